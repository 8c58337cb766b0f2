// Everything derived from one CRD version's schema, built once when the version is (re)served and
// shared by every request and every logical cluster that serves it: the ajv validator, the CEL
// rules, and which of the optional walks (defaults, list types, embedded resources) apply at all.

import { compileCelRules, type CelNode } from "./cel-rules.ts";
import { hasDefaults } from "./defaulting.ts";
import { hasEmbeddedResources } from "./embedded-resources.ts";
import { hasListTypes } from "./list-types.ts";
import type { JSONSchemaProps } from "./schema-types.ts";
import { compileSchemaValidator, type SchemaValidator } from "./schema-validator.ts";

export interface CompiledSchema {
  schema: JSONSchemaProps;
  validator: SchemaValidator;
  cel?: CelNode;
  hasDefaults: boolean;
  hasListTypes: boolean;
  hasEmbeddedResources: boolean;
}

/**
 * The ajv validator, compiled on its first use: compiling generates code for the whole schema, about
 * a second for a schema the size of a pod spec (the ready-made workload CRDs), which would otherwise
 * be paid for every such CRD when it is established and again at every start of kcp.
 */
function lazyValidator(schema: JSONSchemaProps): SchemaValidator {
  let compiled: SchemaValidator | undefined;
  return {
    validate(obj, old, prefix) {
      compiled ??= compileSchemaValidator(schema);
      return compiled.validate(obj, old, prefix);
    },
  };
}

export function compileSchema(schema: JSONSchemaProps): CompiledSchema {
  return {
    schema,
    validator: lazyValidator(schema),
    cel: compileCelRules(schema),
    hasDefaults: hasDefaults(schema),
    hasListTypes: hasListTypes(schema),
    hasEmbeddedResources: hasEmbeddedResources(schema),
  };
}
