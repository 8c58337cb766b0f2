// The write-path strategy of custom resources (kube's customResourceStrategy and its status
// strategy): prune unknown fields (reported per fieldValidation), drop disallowed nulls, apply
// defaults, then validate against the version's schema, list types, embedded resources, CEL
// rules and the scale subresource's replica paths.

import { type FieldError, StatusError } from "../../machinery/status.ts";
import type { KObject, RequestContext, Strategy } from "../types.ts";
import type { CompiledSchema } from "./compiled-schema.ts";
import type { ScaleSubresource } from "./crd-spec.ts";
import { evaluateCelRules } from "./cel-rules.ts";
import { applyDefaults, pruneNonNullableNulls } from "./defaulting.ts";
import { duplicateFieldsOf } from "./duplicate-fields.ts";
import { validateEmbeddedResources } from "./embedded-resources.ts";
import { validateListTypes } from "./list-types.ts";
import { prune, pruneObjectMeta } from "./pruning.ts";
import { validateScaleSpec, validateScaleStatus } from "./scale-subresource.ts";
import { reportUnknownFields } from "./unknown-fields.ts";

export interface CustomResourceOptions {
  group: string;
  plural: string;
  kind: string;
  version: string;
  compiled: CompiledSchema;
  status: boolean;
  scale?: ScaleSubresource;
  /** The CRD is being deleted: new objects are refused. */
  terminating: boolean;
}

export interface CustomResourceStrategy extends Strategy {
  validateUpdate(obj: KObject, old: KObject, ctx: RequestContext): FieldError[];
  prepareForUpdate(obj: KObject, old: KObject, ctx: RequestContext): void;
}

/** Prune, drop disallowed nulls and default, as kube's decoding of a custom resource does. */
function normalise(o: CustomResourceOptions, obj: KObject, ctx: RequestContext): void {
  const schema = o.compiled.schema;
  const duplicates = duplicateFieldsOf(obj);
  pruneNonNullableNulls(obj, schema);
  const unknown = [...pruneObjectMeta(obj.metadata), ...prune(obj, schema, true)];
  reportUnknownFields(o.kind, o.version, ctx, unknown, duplicates);
  if (o.compiled.hasDefaults) applyDefaults(obj, schema);
}

function validateObject(
  o: CustomResourceOptions,
  obj: KObject,
  old: KObject | undefined,
  ctx: RequestContext,
  which: "main" | "status",
): FieldError[] {
  const c = o.compiled;
  const errs: FieldError[] = [];
  // kube's order: schema, scale replicas, embedded objects, list types, CEL rules.
  errs.push(...c.validator.validate(obj, old));
  if (o.scale) {
    if (which !== "status") errs.push(...validateScaleSpec(obj, o.scale));
    errs.push(...validateScaleStatus(obj, o.scale));
  }
  if (c.hasEmbeddedResources) errs.push(...validateEmbeddedResources(obj, c.schema, ""));
  if (c.hasListTypes) errs.push(...validateListTypes(obj, c.schema, ""));
  if (c.cel) {
    const r = evaluateCelRules(c.cel, obj, old);
    errs.push(...r.errors);
    ctx.warnings.push(...r.warnings);
  }
  return errs;
}

export function customResourceStrategy(o: CustomResourceOptions): CustomResourceStrategy {
  return {
    hasStatus: o.status,
    tracksGeneration: true,
    prepareForCreate(obj, ctx) {
      if (o.terminating) {
        throw new StatusError(
          405,
          "MethodNotAllowed",
          "create not allowed while custom resource definition is terminating",
          { group: o.group, kind: o.plural },
        );
      }
      normalise(o, obj, ctx);
    },
    prepareForUpdate(obj, _old, ctx) {
      normalise(o, obj, ctx);
    },
    prepareForStatusUpdate(obj, old, ctx) {
      // Only status may change through /status; everything else (metadata too) is the stored object's.
      const hasStatus = "status" in obj;
      const status = obj.status;
      for (const k of Object.keys(obj)) delete obj[k];
      Object.assign(obj, structuredClone(old));
      if (hasStatus) obj.status = status;
      else delete obj.status;
      normalise(o, obj, ctx);
    },
    validate: (obj, ctx) => validateObject(o, obj, undefined, ctx, "main"),
    validateUpdate: (obj, old, ctx) => validateObject(o, obj, old, ctx, "main"),
    validateStatusUpdate: (obj, old, ctx) => validateObject(o, obj, old, ctx, "status"),
  };
}
