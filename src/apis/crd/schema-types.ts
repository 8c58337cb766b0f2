// The JSON shape of a CRD's openAPIV3Schema (apiextensions.k8s.io/v1 JSONSchemaProps), as it
// arrives in a request: loosely typed, so every reader checks before trusting a field.

import { isObject } from "../../machinery/object.ts";

export interface ValidationRule {
  rule?: string;
  message?: string;
  messageExpression?: string;
  reason?: string;
  fieldPath?: string;
  optionalOldSelf?: boolean;
}

export interface JSONSchemaProps {
  id?: string;
  $schema?: string;
  $ref?: string;
  description?: string;
  type?: string;
  format?: string;
  title?: string;
  default?: unknown;
  maximum?: number;
  exclusiveMaximum?: boolean;
  minimum?: number;
  exclusiveMinimum?: boolean;
  maxLength?: number;
  minLength?: number;
  pattern?: string;
  maxItems?: number;
  minItems?: number;
  uniqueItems?: boolean;
  multipleOf?: number;
  enum?: unknown[];
  maxProperties?: number;
  minProperties?: number;
  required?: string[];
  items?: JSONSchemaProps | JSONSchemaProps[];
  allOf?: JSONSchemaProps[];
  oneOf?: JSONSchemaProps[];
  anyOf?: JSONSchemaProps[];
  not?: JSONSchemaProps;
  properties?: Record<string, JSONSchemaProps>;
  additionalProperties?: JSONSchemaProps | boolean;
  patternProperties?: Record<string, JSONSchemaProps>;
  dependencies?: Record<string, unknown>;
  additionalItems?: JSONSchemaProps | boolean;
  definitions?: Record<string, JSONSchemaProps>;
  externalDocs?: { description?: string; url?: string };
  example?: unknown;
  nullable?: boolean;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-embedded-resource"?: boolean;
  "x-kubernetes-int-or-string"?: boolean;
  "x-kubernetes-list-map-keys"?: string[];
  "x-kubernetes-list-type"?: string;
  "x-kubernetes-map-type"?: string;
  "x-kubernetes-validations"?: ValidationRule[];
}

export function isSchema(v: unknown): v is JSONSchemaProps {
  return isObject(v);
}

/** The single items schema (a list of schemas is not structural and has no single meaning). */
export function itemsOf(s: JSONSchemaProps | undefined): JSONSchemaProps | undefined {
  const it = s?.items;
  return isSchema(it) ? it : undefined;
}

/** The schema of the values of a map (additionalProperties as a schema), if any. */
export function additionalPropertiesOf(s: JSONSchemaProps | undefined): JSONSchemaProps | undefined {
  const ap = s?.additionalProperties;
  return isSchema(ap) ? ap : undefined;
}

/** The schema a key of an object value falls under: a named property, else additionalProperties. */
/**
 * The schema `s` declares for property `key`, an own member only: keys come from request data, and
 * `properties.constructor` or `properties.__proto__` would otherwise find Object.prototype's.
 */
export function propertySchema(s: JSONSchemaProps | undefined, key: string): JSONSchemaProps | undefined {
  const props = s?.properties;
  if (!isObject(props) || !Object.hasOwn(props, key)) return undefined;
  const p = props[key];
  return isSchema(p) ? p : undefined;
}

export function fieldSchema(s: JSONSchemaProps | undefined, key: string): JSONSchemaProps | undefined {
  if (!s) return undefined;
  const p = propertySchema(s, key);
  if (p) return p;
  return additionalPropertiesOf(s);
}

export function preservesUnknownFields(s: JSONSchemaProps | undefined): boolean {
  return s?.["x-kubernetes-preserve-unknown-fields"] === true;
}

export function isEmbeddedResource(s: JSONSchemaProps | undefined): boolean {
  return s?.["x-kubernetes-embedded-resource"] === true;
}

export function isIntOrString(s: JSONSchemaProps | undefined): boolean {
  return s?.["x-kubernetes-int-or-string"] === true;
}

/** Visit every schema node reachable through properties, items, additionalProperties and the junctors. */
export function someSchema(s: JSONSchemaProps | undefined, pred: (s: JSONSchemaProps) => boolean): boolean {
  if (!isSchema(s)) return false;
  if (pred(s)) return true;
  const kids: unknown[] = [
    ...(Array.isArray(s.items) ? s.items : [s.items]),
    ...(s.allOf ?? []),
    ...(s.anyOf ?? []),
    ...(s.oneOf ?? []),
    s.not,
    ...Object.values(s.properties ?? {}),
    s.additionalProperties,
    ...Object.values(s.patternProperties ?? {}),
    s.additionalItems,
    ...Object.values(s.definitions ?? {}),
  ];
  return kids.some((k) => isSchema(k) && someSchema(k, pred));
}
