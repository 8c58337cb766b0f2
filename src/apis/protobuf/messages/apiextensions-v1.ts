// k8s.io/apiextensions-apiserver apiextensions/v1: CustomResourceDefinition, with the recursive
// JSONSchemaProps and its either-or wrappers, which marshal to JSON as one of their two forms.

import {
  bool,
  bytes,
  double,
  int32,
  int64,
  map,
  type MessageDesc,
  message,
  msg,
  msgs,
  string,
  strings,
} from "../schema.ts";
import { ObjectMeta, Time } from "./meta-v1.ts";
import { rawJSON } from "./values.ts";

/** message JSON { optional bytes raw = 1; } — any JSON value (defaults, enum values, examples). */
const JSONValue = message("JSON", [bytes(1, "raw")], (p) => rawJSON(p.raw, "*v1.JSON"));

/** Either a schema or a list of schemas: the list when it has items, else the schema. */
const JSONSchemaPropsOrArray: MessageDesc = message(
  "JSONSchemaPropsOrArray",
  [msg(1, "schema", () => JSONSchemaProps, "pointer"), msgs(2, "jSONSchemas", () => JSONSchemaProps)],
  (p) => (Array.isArray(p.jSONSchemas) && p.jSONSchemas.length > 0 ? p.jSONSchemas : (p.schema ?? null)),
);

/** Either a schema or a boolean: the schema when set, else `allows`. */
const JSONSchemaPropsOrBool: MessageDesc = message(
  "JSONSchemaPropsOrBool",
  [bool(1, "allows"), msg(2, "schema", () => JSONSchemaProps, "pointer")],
  (p) => (p.schema !== undefined ? p.schema : p.allows === true),
);

/** Either a schema or a list of property names: the list when it has items, else the schema. */
const JSONSchemaPropsOrStringArray: MessageDesc = message(
  "JSONSchemaPropsOrStringArray",
  [msg(1, "schema", () => JSONSchemaProps, "pointer"), strings(2, "property")],
  (p) => (Array.isArray(p.property) && p.property.length > 0 ? p.property : (p.schema ?? null)),
);

const ExternalDocumentation = message("ExternalDocumentation", [string(1, "description"), string(2, "url")]);

const ValidationRule = message("ValidationRule", [
  string(1, "rule", "always"),
  string(2, "message"),
  string(3, "messageExpression"),
  string(4, "reason", "pointer"),
  string(5, "fieldPath"),
  bool(6, "optionalOldSelf", "pointer"),
]);

export const JSONSchemaProps: MessageDesc = message("JSONSchemaProps", [
  string(1, "id"),
  string(2, "$schema"),
  string(3, "$ref", "pointer"),
  string(4, "description"),
  string(5, "type"),
  string(6, "format"),
  string(7, "title"),
  msg(8, "default", () => JSONValue, "pointer"),
  double(9, "maximum", "pointer"),
  bool(10, "exclusiveMaximum"),
  double(11, "minimum", "pointer"),
  bool(12, "exclusiveMinimum"),
  int64(13, "maxLength", "pointer"),
  int64(14, "minLength", "pointer"),
  string(15, "pattern"),
  int64(16, "maxItems", "pointer"),
  int64(17, "minItems", "pointer"),
  bool(18, "uniqueItems"),
  double(19, "multipleOf", "pointer"),
  msgs(20, "enum", () => JSONValue),
  int64(21, "maxProperties", "pointer"),
  int64(22, "minProperties", "pointer"),
  strings(23, "required"),
  msg(24, "items", () => JSONSchemaPropsOrArray, "pointer"),
  msgs(25, "allOf", () => JSONSchemaProps),
  msgs(26, "oneOf", () => JSONSchemaProps),
  msgs(27, "anyOf", () => JSONSchemaProps),
  msg(28, "not", () => JSONSchemaProps, "pointer"),
  map(29, "properties", () => JSONSchemaProps),
  msg(30, "additionalProperties", () => JSONSchemaPropsOrBool, "pointer"),
  map(31, "patternProperties", () => JSONSchemaProps),
  map(32, "dependencies", () => JSONSchemaPropsOrStringArray),
  msg(33, "additionalItems", () => JSONSchemaPropsOrBool, "pointer"),
  map(34, "definitions", () => JSONSchemaProps),
  msg(35, "externalDocs", () => ExternalDocumentation, "pointer"),
  msg(36, "example", () => JSONValue, "pointer"),
  bool(37, "nullable"),
  bool(38, "x-kubernetes-preserve-unknown-fields", "pointer"),
  bool(39, "x-kubernetes-embedded-resource"),
  bool(40, "x-kubernetes-int-or-string"),
  strings(41, "x-kubernetes-list-map-keys"),
  string(42, "x-kubernetes-list-type", "pointer"),
  string(43, "x-kubernetes-map-type", "pointer"),
  msgs(44, "x-kubernetes-validations", () => ValidationRule),
]);

const ServiceReference = message("ServiceReference", [
  string(1, "namespace", "always"),
  string(2, "name", "always"),
  string(3, "path", "pointer"),
  int32(4, "port", "pointer"),
]);

const WebhookClientConfig = message("WebhookClientConfig", [
  string(3, "url", "pointer"),
  msg(1, "service", () => ServiceReference, "pointer"),
  bytes(2, "caBundle"),
]);

const WebhookConversion = message("WebhookConversion", [
  msg(2, "clientConfig", () => WebhookClientConfig, "pointer"),
  strings(3, "conversionReviewVersions", "always"),
]);

const CustomResourceConversion = message("CustomResourceConversion", [
  string(1, "strategy", "always"),
  msg(2, "webhook", () => WebhookConversion, "pointer"),
]);

const CustomResourceDefinitionNames = message("CustomResourceDefinitionNames", [
  string(1, "plural", "always"),
  string(2, "singular"),
  strings(3, "shortNames"),
  string(4, "kind", "always"),
  string(5, "listKind"),
  strings(6, "categories"),
]);

const CustomResourceValidation = message("CustomResourceValidation", [
  msg(1, "openAPIV3Schema", () => JSONSchemaProps, "pointer"),
]);

const CustomResourceSubresourceStatus = message("CustomResourceSubresourceStatus", []);

const CustomResourceSubresourceScale = message("CustomResourceSubresourceScale", [
  string(1, "specReplicasPath", "always"),
  string(2, "statusReplicasPath", "always"),
  string(3, "labelSelectorPath", "pointer"),
]);

const CustomResourceSubresources = message("CustomResourceSubresources", [
  msg(1, "status", () => CustomResourceSubresourceStatus, "pointer"),
  msg(2, "scale", () => CustomResourceSubresourceScale, "pointer"),
]);

const CustomResourceColumnDefinition = message("CustomResourceColumnDefinition", [
  string(1, "name", "always"),
  string(2, "type", "always"),
  string(3, "format"),
  string(4, "description"),
  int32(5, "priority"),
  string(6, "jsonPath", "always"),
]);

const SelectableField = message("SelectableField", [string(1, "jsonPath", "always")]);

const CustomResourceDefinitionVersion = message("CustomResourceDefinitionVersion", [
  string(1, "name", "always"),
  bool(2, "served", "always"),
  bool(3, "storage", "always"),
  bool(7, "deprecated"),
  string(8, "deprecationWarning", "pointer"),
  msg(4, "schema", () => CustomResourceValidation, "pointer"),
  msg(5, "subresources", () => CustomResourceSubresources, "pointer"),
  msgs(6, "additionalPrinterColumns", () => CustomResourceColumnDefinition),
  msgs(9, "selectableFields", () => SelectableField),
]);

const CustomResourceDefinitionSpec = message("CustomResourceDefinitionSpec", [
  string(1, "group", "always"),
  msg(3, "names", () => CustomResourceDefinitionNames),
  string(4, "scope", "always"),
  msgs(7, "versions", () => CustomResourceDefinitionVersion, "always"),
  msg(9, "conversion", () => CustomResourceConversion, "pointer"),
  bool(10, "preserveUnknownFields"),
]);

const CustomResourceDefinitionCondition = message("CustomResourceDefinitionCondition", [
  string(1, "type", "always"),
  string(2, "status", "always"),
  msg(3, "lastTransitionTime", () => Time),
  string(4, "reason"),
  string(5, "message"),
]);

const CustomResourceDefinitionStatus = message("CustomResourceDefinitionStatus", [
  msgs(1, "conditions", () => CustomResourceDefinitionCondition),
  msg(2, "acceptedNames", () => CustomResourceDefinitionNames),
  strings(3, "storedVersions", "always"),
]);

export const CustomResourceDefinition = message("CustomResourceDefinition", [
  msg(1, "metadata", () => ObjectMeta),
  msg(2, "spec", () => CustomResourceDefinitionSpec),
  msg(3, "status", () => CustomResourceDefinitionStatus),
]);
