// The schema LCD of API negotiation, as a table: the seed's vectors (spec 9.3, root path
// `schema.openAPISchema`), then one or more cases per rule and per hole of spec 9.4 that is closed
// here. Each case asserts the outcome, the exact LCD or the exact errors (reason, field, message).

import { describe, expect, test } from "bun:test";
import { lowestCommonDenominator, MAX_SCHEMA_DEPTH } from "../../src/apis/negotiation/schema-lcd.ts";
import { workloadCRDs } from "../../src/apis/workload-crds/workload-crds.ts";

type S = Record<string, unknown>;
type Reason = "FieldValueInvalid" | "FieldValueForbidden" | "FieldValueNotSupported";

interface Case {
  name: string;
  existing: S;
  incoming: S;
  narrow: boolean;
  /** The LCD on success. */
  lcd?: S;
  /** [reason, field, message] of each error on failure. */
  errors?: [Reason, string, string][];
}

const R = "schema.openAPISchema";
const str: S = { type: "string" };
const int: S = { type: "integer" };
const num: S = { type: "number" };
const bool: S = { type: "boolean" };
const obj = (properties: S, extra: S = {}): S => ({ type: "object", properties, ...extra });
const arr = (items: S, extra: S = {}): S => ({ type: "array", items, ...extra });
const inv = (field: string, message: string): [Reason, string, string] => ["FieldValueInvalid", field, message];
const forb = (field: string, message: string): [Reason, string, string] => ["FieldValueForbidden", field, message];

const vectors: Case[] = [
  {
    name: "9.3/1 new has more properties: LCD is existing",
    existing: obj({ existing: str }),
    incoming: obj({ existing: str, new: int }),
    narrow: false,
    lcd: obj({ existing: str }),
  },
  {
    name: "9.3/2 new has fewer properties, no narrowing: error naming them",
    existing: obj({ existing: str, new: str }),
    incoming: obj({ existing: str }),
    narrow: false,
    errors: [inv(`${R}.properties`, 'properties have been removed in an incompatible way: ["new"]')],
  },
  {
    name: "9.3/3 new has fewer properties, narrowing: they go",
    existing: obj({ existing: str, new: str }),
    incoming: obj({ existing: str }),
    narrow: true,
    lcd: obj({ existing: str }),
  },
  {
    name: "9.3/4 properties against an additionalProperties schema that accepts them",
    existing: obj({ prop1: obj({ subProp1: str }), prop2: obj({ subProp1: str, subProp2: str }) }),
    incoming: { type: "object", additionalProperties: obj({ subProp1: str, subProp2: str }) },
    narrow: false,
    lcd: obj({ prop1: obj({ subProp1: str }), prop2: obj({ subProp1: str, subProp2: str }) }),
  },
  {
    name: "9.3/5 properties against an additionalProperties schema lacking one",
    existing: obj({ prop1: obj({ subProp1: str }), prop2: obj({ subProp1: str, subProp2: str }) }),
    incoming: { type: "object", additionalProperties: obj({ subProp1: str }) },
    narrow: false,
    errors: [
      inv(`${R}.properties[prop2].properties`, 'properties have been removed in an incompatible way: ["subProp2"]'),
    ],
  },
  {
    name: "9.3/6 properties against additionalProperties: true",
    existing: obj({ existing: str }),
    incoming: { type: "object", additionalProperties: true },
    narrow: false,
    lcd: obj({ existing: str }),
  },
  {
    name: "9.3/7 a number property, new adds an integer one",
    existing: obj({ existing: num }),
    incoming: obj({ existing: num, new: int }),
    narrow: false,
    lcd: obj({ existing: num }),
  },
  {
    name: "9.3/7 an integer property, new adds a number one",
    existing: obj({ existing: int }),
    incoming: obj({ existing: int, new: num }),
    narrow: false,
    lcd: obj({ existing: int }),
  },
  {
    name: "9.3/7 a boolean property, new adds one",
    existing: obj({ existing: bool }),
    incoming: obj({ existing: bool, new: bool }),
    narrow: false,
    lcd: obj({ existing: bool }),
  },
  {
    name: "9.3/7 an array of objects whose items gain a property",
    existing: obj({ list: arr(obj({ a: str })) }),
    incoming: obj({ list: arr(obj({ a: str, b: int })) }),
    narrow: false,
    lcd: obj({ list: arr(obj({ a: str })) }),
  },
  {
    name: "9.3/7 int-or-string at the root, new adds a property",
    existing: { "x-kubernetes-int-or-string": true, properties: { existing: num } },
    incoming: { "x-kubernetes-int-or-string": true, properties: { existing: num, new: int } },
    narrow: false,
    lcd: { "x-kubernetes-int-or-string": true, properties: { existing: num } },
  },
  {
    name: "9.3/7 preserve-unknown-fields at the root, new adds a property: closed hole, E kept it unchecked",
    existing: obj({ existing: num }, { "x-kubernetes-preserve-unknown-fields": true }),
    incoming: obj({ existing: num, new: int }, { "x-kubernetes-preserve-unknown-fields": true }),
    narrow: false,
    errors: [
      inv(
        `${R}.properties`,
        'properties are restricted by the new schema where the existing schema allows any value: ["new"]',
      ),
    ],
  },
  {
    name: "9.3/7 preserve-unknown-fields at the root, narrowing: the LCD stops preserving",
    existing: obj({ existing: num }, { "x-kubernetes-preserve-unknown-fields": true }),
    incoming: obj({ existing: num, new: int }, { "x-kubernetes-preserve-unknown-fields": true }),
    narrow: true,
    lcd: obj({ existing: num }),
  },
  {
    name: "9.3/7 preserve-unknown-fields at the root, both the same properties",
    existing: obj({ existing: num }, { "x-kubernetes-preserve-unknown-fields": true }),
    incoming: obj({ existing: num }, { "x-kubernetes-preserve-unknown-fields": true }),
    narrow: false,
    lcd: obj({ existing: num }, { "x-kubernetes-preserve-unknown-fields": true }),
  },
  {
    name: "9.3/8 additionalProperties schemas, new's has more properties",
    existing: { type: "object", additionalProperties: obj({ subProp1: str }) },
    incoming: { type: "object", additionalProperties: obj({ subProp1: str, subProp2: str }) },
    narrow: false,
    lcd: { type: "object", additionalProperties: obj({ subProp1: str }) },
  },
  {
    name: "9.3/9 additionalProperties true against a boolean schema: closed hole, incompatible",
    existing: { type: "object", additionalProperties: true },
    incoming: { type: "object", additionalProperties: bool },
    narrow: false,
    errors: [inv(`${R}.additionalProperties.type`, 'The type changed (was "", now "boolean")')],
  },
  {
    name: "9.3/9 narrowing: the LCD takes the boolean schema",
    existing: { type: "object", additionalProperties: true },
    incoming: { type: "object", additionalProperties: bool },
    narrow: true,
    lcd: { type: "object", additionalProperties: bool },
  },
  {
    name: "9.3/10 a boolean additionalProperties schema against true",
    existing: { type: "object", additionalProperties: bool },
    incoming: { type: "object", additionalProperties: true },
    narrow: false,
    lcd: { type: "object", additionalProperties: bool },
  },
];

const rules: Case[] = [
  // types
  {
    name: "type: string against integer",
    existing: obj({ a: str }),
    incoming: obj({ a: int }),
    narrow: true,
    errors: [inv(`${R}.properties[a].type`, 'The type changed (was "string", now "integer")')],
  },
  {
    name: "type: number against integer without narrowing",
    existing: obj({ a: num }),
    incoming: obj({ a: int }),
    narrow: false,
    errors: [inv(`${R}.properties[a].type`, 'The type changed (was "number", now "integer")')],
  },
  {
    name: "type: number against integer narrows to integer",
    existing: obj({ a: { type: "number", maximum: 10 } }),
    incoming: obj({ a: int }),
    narrow: true,
    lcd: obj({ a: { type: "integer", maximum: 10 } }),
  },
  {
    name: "type: an unknown type is not supported",
    existing: obj({ a: { type: "null" } }),
    incoming: obj({ a: { type: "null" } }),
    narrow: true,
    errors: [
      [
        "FieldValueNotSupported",
        `${R}.properties[a].type`,
        'Unsupported value: "null": supported values: "string", "integer", "number", "boolean", "array", "object"',
      ],
      [
        "FieldValueNotSupported",
        `${R}.properties[a].type`,
        'Unsupported value: "null": supported values: "string", "integer", "number", "boolean", "array", "object"',
      ],
    ],
  },
  // int-or-string
  {
    name: "int-or-string against int-or-string with the usual anyOf on one side only",
    existing: obj({
      p: { "x-kubernetes-int-or-string": true, anyOf: [{ type: "integer" }, { type: "string" }] },
    }),
    incoming: obj({ p: { "x-kubernetes-int-or-string": true } }),
    narrow: false,
    lcd: obj({ p: { "x-kubernetes-int-or-string": true, anyOf: [{ type: "integer" }, { type: "string" }] } }),
  },
  {
    name: "int-or-string against string, no narrowing",
    existing: obj({ p: { "x-kubernetes-int-or-string": true } }),
    incoming: obj({ p: str }),
    narrow: false,
    errors: [inv(`${R}.properties[p].type`, 'The type changed (was "integer,string", now "string")')],
  },
  {
    name: "int-or-string against string narrows to string (anyOf dropped)",
    existing: obj({
      p: { "x-kubernetes-int-or-string": true, anyOf: [{ type: "integer" }, { type: "string" }], pattern: "^a" },
    }),
    incoming: obj({ p: str }),
    narrow: true,
    lcd: obj({ p: { type: "string", pattern: "^a" } }),
  },
  {
    name: "integer against int-or-string is compatible",
    existing: obj({ p: int }),
    incoming: obj({ p: { "x-kubernetes-int-or-string": true } }),
    narrow: false,
    lcd: obj({ p: int }),
  },
  // required
  {
    name: "required: new requires a property existing does not (hole closed)",
    existing: obj({ a: str, b: str }, { required: ["a"] }),
    incoming: obj({ a: str, b: str }, { required: ["a", "b"] }),
    narrow: false,
    errors: [inv(`${R}.required`, 'required properties have been added in an incompatible way: ["b"]')],
  },
  {
    name: "required: narrowing adds it",
    existing: obj({ a: str, b: str }, { required: ["a"] }),
    incoming: obj({ a: str, b: str }, { required: ["b", "a"] }),
    narrow: true,
    lcd: obj({ a: str, b: str }, { required: ["a", "b"] }),
  },
  {
    name: "required: new requires a property existing does not have at all",
    existing: obj({ a: str }),
    incoming: obj({ a: str, b: str }, { required: ["b"] }),
    narrow: true,
    errors: [
      inv(
        `${R}.required`,
        'required properties have been added in an incompatible way (not properties of the existing schema): ["b"]',
      ),
    ],
  },
  {
    name: "required: existing requires more than new",
    existing: obj({ a: str, b: str }, { required: ["a", "b"] }),
    incoming: obj({ a: str, b: str }, { required: ["a"] }),
    narrow: false,
    lcd: obj({ a: str, b: str }, { required: ["a", "b"] }),
  },
  {
    name: "required: a required property new lacks cannot be narrowed away",
    existing: obj({ a: str, b: str }, { required: ["b"] }),
    incoming: obj({ a: str }),
    narrow: true,
    errors: [inv(`${R}.required`, 'required properties have been removed in an incompatible way: ["b"]')],
  },
  // enums
  {
    name: "enum: new drops values, no narrowing",
    existing: obj({ e: { type: "string", enum: ["a", "b", "c"] } }),
    incoming: obj({ e: { type: "string", enum: ["a", "c", "d"] } }),
    narrow: false,
    errors: [inv(`${R}.properties[e].enum`, 'enum values have been removed in an incompatible way: ["b"]')],
  },
  {
    name: "enum: narrowing keeps the intersection in existing's order",
    existing: obj({ e: { type: "string", enum: ["c", "b", "a"] } }),
    incoming: obj({ e: { type: "string", enum: ["a", "c", "d"] } }),
    narrow: true,
    lcd: obj({ e: { type: "string", enum: ["c", "a"] } }),
  },
  {
    name: "enum: an empty intersection is an incompatibility (hole closed)",
    existing: obj({ e: { type: "string", enum: ["a"] } }),
    incoming: obj({ e: { type: "string", enum: ["b"] } }),
    narrow: true,
    errors: [inv(`${R}.properties[e].enum`, 'no enum value is allowed by both schemas (was ["a"], now ["b"])')],
  },
  {
    name: "enum: new adds one where existing had none (hole closed)",
    existing: obj({ e: str }),
    incoming: obj({ e: { type: "string", enum: ["x", "y"] } }),
    narrow: false,
    errors: [inv(`${R}.properties[e].enum`, 'enum has been added in an incompatible way: ["x","y"]')],
  },
  {
    name: "enum: narrowing sets new's enum",
    existing: obj({ e: str }),
    incoming: obj({ e: { type: "string", enum: ["x", "y"] } }),
    narrow: true,
    lcd: obj({ e: { type: "string", enum: ["x", "y"] } }),
  },
  {
    name: "enum: existing has one, new none",
    existing: obj({ e: { type: "integer", enum: [1, 2] } }),
    incoming: obj({ e: int }),
    narrow: false,
    lcd: obj({ e: { type: "integer", enum: [1, 2] } }),
  },
  // formats and patterns
  {
    name: "format: new adds a known format",
    existing: obj({ f: str }),
    incoming: obj({ f: { type: "string", format: "date-time" } }),
    narrow: false,
    errors: [
      inv(
        `${R}.properties[f].format`,
        'format value has been changed in an incompatible way (was unset, now "date-time")',
      ),
    ],
  },
  {
    name: "format: narrowing takes new's",
    existing: obj({ f: str }),
    incoming: obj({ f: { type: "string", format: "date-time" } }),
    narrow: true,
    lcd: obj({ f: { type: "string", format: "date-time" } }),
  },
  {
    name: "format: two different known formats never combine",
    existing: obj({ f: { type: "string", format: "uuid" } }),
    incoming: obj({ f: { type: "string", format: "date-time" } }),
    narrow: true,
    errors: [
      inv(
        `${R}.properties[f].format`,
        'format value has been changed in an incompatible way (was "uuid", now "date-time")',
      ),
    ],
  },
  {
    name: "format: unknown formats (int32 on integers, made-up ones) restrict nothing",
    existing: obj({ i: { type: "integer", format: "int64" }, s: str }),
    incoming: obj({ i: { type: "integer", format: "int32" }, s: { type: "string", format: "no-such-format" } }),
    narrow: false,
    lcd: obj({ i: { type: "integer", format: "int64" }, s: str }),
  },
  {
    name: "pattern: new adds one",
    existing: obj({ p: str }),
    incoming: obj({ p: { type: "string", pattern: "^[a-z]+$" } }),
    narrow: false,
    errors: [
      inv(
        `${R}.properties[p].pattern`,
        'pattern value has been changed in an incompatible way (was unset, now "^[a-z]+$")',
      ),
    ],
  },
  {
    name: "pattern: narrowing takes new's; a different one stays an error",
    existing: obj({ p: str, q: { type: "string", pattern: "^a" } }),
    incoming: obj({ p: { type: "string", pattern: "^[a-z]+$" }, q: { type: "string", pattern: "^b" } }),
    narrow: true,
    errors: [
      inv(`${R}.properties[q].pattern`, 'pattern value has been changed in an incompatible way (was "^a", now "^b")'),
    ],
  },
  // bounds
  {
    name: "bounds: maxLength tighter in new, no narrowing",
    existing: obj({ s: { type: "string", maxLength: 10 } }),
    incoming: obj({ s: { type: "string", maxLength: 5 } }),
    narrow: false,
    errors: [
      inv(`${R}.properties[s].maxLength`, "maxLength value has been changed in an incompatible way (was 10, now 5)"),
    ],
  },
  {
    name: "bounds: narrowing takes the tighter of each",
    existing: obj({
      s: { type: "string", maxLength: 10, minLength: 3 },
      n: { type: "number", maximum: 100, minimum: 0 },
      a: arr(str, { maxItems: 4 }),
      o: { type: "object", additionalProperties: str, maxProperties: 9, minProperties: 1 },
    }),
    incoming: obj({
      s: { type: "string", maxLength: 5, minLength: 1 },
      n: { type: "number", maximum: 50, minimum: 0, exclusiveMinimum: true },
      a: arr(str, { maxItems: 3, minItems: 1 }),
      o: { type: "object", additionalProperties: str, maxProperties: 10, minProperties: 2 },
    }),
    narrow: true,
    lcd: obj({
      s: { type: "string", maxLength: 5, minLength: 3 },
      n: { type: "number", maximum: 50, minimum: 0, exclusiveMinimum: true },
      a: arr(str, { maxItems: 3, minItems: 1 }),
      o: { type: "object", additionalProperties: str, maxProperties: 9, minProperties: 2 },
    }),
  },
  {
    name: "bounds: array maxItems/minItems are compared (hole closed)",
    existing: obj({ a: arr(str) }),
    incoming: obj({ a: arr(str, { minItems: 1 }) }),
    narrow: false,
    errors: [
      inv(`${R}.properties[a].minItems`, "minItems value has been changed in an incompatible way (was unset, now 1)"),
    ],
  },
  {
    name: "bounds: exclusive maximum at the same value is tighter",
    existing: obj({ n: { type: "integer", maximum: 5 } }),
    incoming: obj({ n: { type: "integer", maximum: 5, exclusiveMaximum: true } }),
    narrow: false,
    errors: [
      inv(
        `${R}.properties[n].maximum`,
        "maximum value has been changed in an incompatible way (was 5, now exclusive 5)",
      ),
    ],
  },
  {
    name: "bounds: narrowing to an empty range is an incompatibility",
    existing: obj({ n: { type: "integer", minimum: 10 } }),
    incoming: obj({ n: { type: "integer", maximum: 5 } }),
    narrow: true,
    errors: [inv(`${R}.properties[n].minimum`, "no value is allowed by both schemas (minimum 10 is above maximum 5)")],
  },
  {
    name: "multipleOf: integers narrow to the least common multiple",
    existing: obj({ n: { type: "integer", multipleOf: 4 } }),
    incoming: obj({ n: { type: "integer", multipleOf: 6 } }),
    narrow: true,
    lcd: obj({ n: { type: "integer", multipleOf: 12 } }),
  },
  {
    name: "multipleOf: a multiple of new's is compatible",
    existing: obj({ n: { type: "integer", multipleOf: 6 } }),
    incoming: obj({ n: { type: "integer", multipleOf: 3 } }),
    narrow: false,
    lcd: obj({ n: { type: "integer", multipleOf: 6 } }),
  },
  {
    name: "uniqueItems: new requires it",
    existing: obj({ a: arr(str) }),
    incoming: obj({ a: arr(str, { uniqueItems: true }) }),
    narrow: false,
    errors: [
      inv(
        `${R}.properties[a].uniqueItems`,
        "uniqueItems value has been changed in an incompatible way (was false, now true)",
      ),
    ],
  },
  // nullable
  {
    name: "nullable: existing nullable, new not (hole closed)",
    existing: obj({ n: { type: "string", nullable: true } }),
    incoming: obj({ n: str }),
    narrow: false,
    errors: [
      inv(
        `${R}.properties[n].nullable`,
        "nullable value has been changed in an incompatible way (was true, now false)",
      ),
    ],
  },
  {
    name: "nullable: narrowing makes it non-nullable",
    existing: obj({ n: { type: "string", nullable: true } }),
    incoming: obj({ n: str }),
    narrow: true,
    lcd: obj({ n: str }),
  },
  {
    name: "nullable: new nullable, existing not",
    existing: obj({ n: str }),
    incoming: obj({ n: { type: "string", nullable: true } }),
    narrow: false,
    lcd: obj({ n: str }),
  },
  // additionalProperties / absent
  {
    name: "properties against no properties and no additionalProperties (nil crash in the seed)",
    existing: obj({ a: str }),
    incoming: { type: "object" },
    narrow: false,
    errors: [inv(`${R}.properties`, 'properties have been removed in an incompatible way: ["a"]')],
  },
  {
    name: "an additionalProperties schema against none (nil crash in the seed)",
    existing: { type: "object", additionalProperties: str },
    incoming: { type: "object" },
    narrow: true,
    errors: [inv(`${R}.additionalProperties`, "additionalProperties value has been changed in an incompatible way")],
  },
  {
    name: "additionalProperties true against none, narrowing drops it",
    existing: { type: "object", additionalProperties: true },
    incoming: { type: "object" },
    narrow: true,
    lcd: { type: "object" },
  },
  {
    name: "additionalProperties schemas compared recursively",
    existing: { type: "object", additionalProperties: { type: "string", maxLength: 5 } },
    incoming: { type: "object", additionalProperties: { type: "string", maxLength: 3 } },
    narrow: false,
    errors: [
      inv(
        `${R}.additionalProperties.maxLength`,
        "maxLength value has been changed in an incompatible way (was 5, now 3)",
      ),
    ],
  },
  {
    name: "a map against an object naming a key: the map values must satisfy that key's schema",
    existing: { type: "object", additionalProperties: str },
    incoming: { type: "object", additionalProperties: str, properties: { special: int } },
    narrow: true,
    errors: [inv(`${R}.properties[special].type`, 'The type changed (was "string", now "integer")')],
  },
  // preserve-unknown-fields
  {
    name: "preserve-unknown-fields nested: existing preserves, new prunes (hole closed)",
    existing: obj({ raw: { type: "object", "x-kubernetes-preserve-unknown-fields": true } }),
    incoming: obj({ raw: { type: "object" } }),
    narrow: false,
    errors: [
      inv(
        `${R}.properties[raw].x-kubernetes-preserve-unknown-fields`,
        "x-kubernetes-preserve-unknown-fields value changed (was true, now false)",
      ),
    ],
  },
  {
    name: "preserve-unknown-fields nested: narrowing prunes",
    existing: obj({ raw: { type: "object", "x-kubernetes-preserve-unknown-fields": true } }),
    incoming: obj({ raw: { type: "object" } }),
    narrow: true,
    lcd: obj({ raw: { type: "object" } }),
  },
  {
    name: "preserve-unknown-fields nested: new preserves, existing prunes",
    existing: obj({ raw: obj({ a: str }) }),
    incoming: obj({ raw: { type: "object", "x-kubernetes-preserve-unknown-fields": true } }),
    narrow: false,
    lcd: obj({ raw: obj({ a: str }) }),
  },
  // list and map types
  {
    name: "list-type: new is a set, existing atomic",
    existing: obj({ l: arr(str) }),
    incoming: obj({ l: arr(str, { "x-kubernetes-list-type": "set" }) }),
    narrow: false,
    errors: [
      inv(
        `${R}.properties[l].x-kubernetes-list-type`,
        'x-kubernetes-list-type value has been changed in an incompatible way (was "atomic", now "set")',
      ),
    ],
  },
  {
    name: "list-type: narrowing to a map list (its key becomes required as in new)",
    existing: obj({ l: arr(obj({ name: str, v: int }), { "x-kubernetes-list-type": "atomic" }) }),
    incoming: obj({
      l: arr(obj({ name: str, v: int }, { required: ["name"] }), {
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["name"],
      }),
    }),
    narrow: true,
    lcd: obj({
      l: arr(obj({ name: str, v: int }, { required: ["name"] }), {
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["name"],
      }),
    }),
  },
  {
    name: "list-type: a map list against a set or atomic list is compatible",
    existing: obj({
      l: arr(obj({ name: str }), { "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"] }),
      m: arr(str, { "x-kubernetes-list-type": "set" }),
    }),
    incoming: obj({ l: arr(obj({ name: str }), { "x-kubernetes-list-type": "set" }), m: arr(str) }),
    narrow: false,
    lcd: obj({
      l: arr(obj({ name: str }), { "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"] }),
      m: arr(str, { "x-kubernetes-list-type": "set" }),
    }),
  },
  {
    name: "list-map-keys: different keys",
    existing: obj({
      l: arr(obj({ a: str, b: str }), { "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["a", "b"] }),
    }),
    incoming: obj({
      l: arr(obj({ a: str, b: str }), { "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["a"] }),
    }),
    narrow: true,
    errors: [
      inv(
        `${R}.properties[l].x-kubernetes-list-map-keys`,
        'x-kubernetes-list-map-keys value has been changed in an incompatible way (was ["a","b"], now ["a"])',
      ),
    ],
  },
  {
    name: "map-type: differs, no narrowing (the message names the map type)",
    existing: obj({ m: { type: "object", additionalProperties: str, "x-kubernetes-map-type": "atomic" } }),
    incoming: obj({ m: { type: "object", additionalProperties: str } }),
    narrow: false,
    errors: [
      inv(
        `${R}.properties[m].x-kubernetes-map-type`,
        'x-kubernetes-map-type value has been changed in an incompatible way (was "atomic", now "granular")',
      ),
    ],
  },
  // embedded resources
  {
    name: "embedded-resource: must be equal",
    existing: obj({
      r: { type: "object", "x-kubernetes-embedded-resource": true, "x-kubernetes-preserve-unknown-fields": true },
    }),
    incoming: obj({ r: { type: "object", "x-kubernetes-preserve-unknown-fields": true } }),
    narrow: true,
    errors: [
      inv(
        `${R}.properties[r].x-kubernetes-embedded-resource`,
        "x-kubernetes-embedded-resource value changed (was true, now false)",
      ),
    ],
  },
  // junctors
  {
    name: "anyOf equal on both sides is accepted",
    existing: obj({ v: { type: "string", anyOf: [{ pattern: "^a" }, { pattern: "^b" }] } }),
    incoming: obj({ v: { type: "string", anyOf: [{ pattern: "^a" }, { pattern: "^b" }] } }),
    narrow: false,
    lcd: obj({ v: { type: "string", anyOf: [{ pattern: "^a" }, { pattern: "^b" }] } }),
  },
  {
    name: "oneOf / allOf / not differing are not supported (the seed checked allOf thrice)",
    existing: obj({ v: { type: "string", oneOf: [{ pattern: "^a" }] } }),
    incoming: obj({ v: { type: "string", allOf: [{ pattern: "^a" }], not: { pattern: "^c" } } }),
    narrow: true,
    errors: [
      forb(
        `${R}.properties[v].allOf`,
        'the "allOf" JSON Schema construct (unless equal on both sides) is not supported by the schema negotiation',
      ),
      forb(
        `${R}.properties[v].oneOf`,
        'the "oneOf" JSON Schema construct (unless equal on both sides) is not supported by the schema negotiation',
      ),
      forb(
        `${R}.properties[v].not`,
        'the "not" JSON Schema construct (unless equal on both sides) is not supported by the schema negotiation',
      ),
    ],
  },
  {
    name: "unknown keywords are not supported, never ignored",
    existing: obj({ v: { type: "object", patternProperties: { "^x": str } } }),
    incoming: obj({ v: { type: "object", "x-made-up": true } }),
    narrow: true,
    errors: [
      forb(
        `${R}.properties[v].patternProperties`,
        'the "patternProperties" JSON Schema construct is not supported by the schema negotiation',
      ),
      forb(
        `${R}.properties[v].x-made-up`,
        'the "x-made-up" JSON Schema construct is not supported by the schema negotiation',
      ),
    ],
  },
  {
    name: "a keyword of the wrong JSON type is not supported",
    existing: obj({ v: { type: "string", maxLength: "5" } }),
    incoming: obj({ v: str }),
    narrow: true,
    errors: [
      forb(
        `${R}.properties[v].maxLength`,
        'the existing value "5" of "maxLength" is not supported by the schema negotiation',
      ),
    ],
  },
  // arrays without items
  {
    name: "an array without items (nil crash in the seed)",
    existing: obj({ a: { type: "array" } }),
    incoming: obj({ a: arr(str) }),
    narrow: true,
    errors: [forb(`${R}.properties[a].items`, "the array without items is not supported by the schema negotiation")],
  },
  // defaults
  {
    name: "default: kept when the narrowed LCD accepts it",
    existing: obj({ d: { type: "string", default: "a", enum: ["a", "b", "c"] } }),
    incoming: obj({ d: { type: "string", enum: ["a", "b"] } }),
    narrow: true,
    lcd: obj({ d: { type: "string", default: "a", enum: ["a", "b"] } }),
  },
  {
    name: "default: dropped when the narrowed LCD does not accept it",
    existing: obj({ d: { type: "string", default: "c", enum: ["a", "b", "c"] } }),
    incoming: obj({ d: { type: "string", enum: ["a", "b"] } }),
    narrow: true,
    lcd: obj({ d: { type: "string", enum: ["a", "b"] } }),
  },
  {
    name: "default: an object default loses its place when a property it sets is narrowed away",
    existing: obj({ o: obj({ a: str, b: int }, { default: { a: "x", b: 300 } }) }),
    incoming: obj({ o: obj({ a: str, b: { type: "integer", maximum: 100 } }) }),
    narrow: true,
    lcd: obj({ o: obj({ a: str, b: { type: "integer", maximum: 100 } }) }),
  },
  // CEL
  {
    name: "x-kubernetes-validations: new has a rule existing lacks",
    existing: obj({ a: int }),
    incoming: obj({ a: int }, { "x-kubernetes-validations": [{ rule: "self.a > 0", message: "positive" }] }),
    narrow: false,
    errors: [
      inv(`${R}.x-kubernetes-validations`, 'validation rules have been added in an incompatible way: ["self.a > 0"]'),
    ],
  },
  {
    name: "x-kubernetes-validations: narrowing adds it; messages do not matter",
    existing: obj({ a: int }, { "x-kubernetes-validations": [{ rule: "self.a < 9", message: "small" }] }),
    incoming: obj(
      { a: int },
      {
        "x-kubernetes-validations": [
          { rule: "self.a < 9", message: "other words" },
          { rule: "self.a > 0", message: "positive" },
        ],
      },
    ),
    narrow: true,
    lcd: obj(
      { a: int },
      {
        "x-kubernetes-validations": [
          { rule: "self.a < 9", message: "small" },
          { rule: "self.a > 0", message: "positive" },
        ],
      },
    ),
  },
  {
    name: "x-kubernetes-validations: narrowing may not drop a property existing's rules name",
    existing: obj({ a: int, b: int }, { "x-kubernetes-validations": [{ rule: "self.a < self.b" }] }),
    incoming: obj({ b: int }),
    narrow: true,
    errors: [
      inv(`${R}.x-kubernetes-validations`, 'validation rules refer to properties the new schema does not have: ["a"]'),
    ],
  },
  {
    name: "x-kubernetes-validations: a rule about a kept property does not stop narrowing",
    existing: obj({ a: int, ab: int }, { "x-kubernetes-validations": [{ rule: "has(self.ab)", fieldPath: ".ab" }] }),
    incoming: obj({ ab: int }),
    narrow: true,
    lcd: obj({ ab: int }, { "x-kubernetes-validations": [{ rule: "has(self.ab)", fieldPath: ".ab" }] }),
  },
  // descriptions
  {
    name: "descriptions: existing's are kept, new's ignored",
    existing: obj({ a: { type: "string", description: "old words" } }, { description: "root" }),
    incoming: obj({ a: { type: "string", description: "new words" }, b: str }),
    narrow: true,
    lcd: obj({ a: { type: "string", description: "old words" } }, { description: "root" }),
  },
  // multiple errors and paths
  {
    name: "several errors are all reported, in existing's property order, with items paths",
    existing: obj({
      a: { type: "object", additionalProperties: obj({ k: int }) },
      z: arr(obj({ x: str, y: str })),
    }),
    incoming: obj({
      z: arr(obj({ x: str })),
      a: { type: "object", additionalProperties: obj({ k: str }) },
    }),
    narrow: false,
    errors: [
      inv(
        `${R}.properties[a].additionalProperties.properties[k].type`,
        'The type changed (was "integer", now "string")',
      ),
      inv(`${R}.properties[z].items.properties`, 'properties have been removed in an incompatible way: ["y"]'),
    ],
  },
  {
    name: "additionalProperties true prunes an object value's fields: a map of objects against it is incompatible",
    existing: { type: "object", additionalProperties: obj({ a: str }) },
    incoming: { type: "object", additionalProperties: true },
    narrow: false,
    errors: [inv(`${R}.additionalProperties.properties`, 'properties have been removed in an incompatible way: ["a"]')],
  },
  {
    name: "additionalProperties true against a map of objects, narrowing: the values keep no fields",
    existing: { type: "object", additionalProperties: obj({ a: str }) },
    incoming: { type: "object", additionalProperties: true },
    narrow: true,
    lcd: { type: "object", additionalProperties: obj({}) },
  },
  {
    name: "preserve-unknown-fields with an additionalProperties schema in new only: narrowing takes the schema",
    existing: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
    incoming: { type: "object", "x-kubernetes-preserve-unknown-fields": true, additionalProperties: int },
    narrow: true,
    lcd: { type: "object", "x-kubernetes-preserve-unknown-fields": true, additionalProperties: int },
  },
  {
    name: "a Deployment whose pod spec lacks ephemeralContainers (the negotiation demo)",
    existing: obj({
      spec: obj({
        template: obj({
          spec: obj({ containers: arr(obj({ name: str })), ephemeralContainers: arr(obj({ name: str })) }),
        }),
      }),
    }),
    incoming: obj({ spec: obj({ template: obj({ spec: obj({ containers: arr(obj({ name: str })) }) }) }) }),
    narrow: false,
    errors: [
      inv(
        `${R}.properties[spec].properties[template].properties[spec].properties`,
        'properties have been removed in an incompatible way: ["ephemeralContainers"]',
      ),
    ],
  },
  {
    name: "list-type: narrowing an atomic list to a set",
    existing: obj({ l: arr(str) }),
    incoming: obj({ l: arr(str, { "x-kubernetes-list-type": "set" }) }),
    narrow: true,
    lcd: obj({ l: arr(str, { "x-kubernetes-list-type": "set" }) }),
  },
  {
    name: "list-type: a map list's keys fewer than new's are stricter, so compatible",
    existing: obj({
      l: arr(obj({ a: str, b: str }), { "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["a"] }),
    }),
    incoming: obj({
      l: arr(obj({ a: str, b: str }), { "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["b", "a"] }),
    }),
    narrow: false,
    lcd: obj({
      l: arr(obj({ a: str, b: str }), { "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["a"] }),
    }),
  },
  {
    name: "list-type: a map narrowing whose keys are not item properties is an error",
    existing: obj({ l: arr(obj({ a: str })) }),
    incoming: obj({
      l: arr(obj({ a: str, k: str }), { "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["k"] }),
    }),
    narrow: true,
    errors: [
      inv(
        `${R}.properties[l].x-kubernetes-list-type`,
        'x-kubernetes-list-type value has been changed in an incompatible way (was "atomic", now "map"): the list map keys ["k"] are not required scalar properties of the items',
      ),
    ],
  },
  {
    name: "map-type: narrowing follows new",
    existing: obj({ m: { type: "object", additionalProperties: str } }),
    incoming: obj({ m: { type: "object", additionalProperties: str, "x-kubernetes-map-type": "atomic" } }),
    narrow: true,
    lcd: obj({ m: { type: "object", additionalProperties: str, "x-kubernetes-map-type": "atomic" } }),
  },
  {
    name: "uniqueItems: narrowing requires it",
    existing: obj({ a: arr(int) }),
    incoming: obj({ a: arr(int, { uniqueItems: true }) }),
    narrow: true,
    lcd: obj({ a: arr(int, { uniqueItems: true }) }),
  },
  {
    name: "embedded-resource: equal on both sides is compatible",
    existing: obj({
      r: { type: "object", "x-kubernetes-embedded-resource": true, "x-kubernetes-preserve-unknown-fields": true },
    }),
    incoming: obj({
      r: { type: "object", "x-kubernetes-embedded-resource": true, "x-kubernetes-preserve-unknown-fields": true },
    }),
    narrow: false,
    lcd: obj({
      r: { type: "object", "x-kubernetes-embedded-resource": true, "x-kubernetes-preserve-unknown-fields": true },
    }),
  },
  {
    name: "type: an untyped preserve-unknown-fields node narrows to new's int-or-string",
    existing: obj({ v: { "x-kubernetes-preserve-unknown-fields": true } }),
    incoming: obj({ v: { "x-kubernetes-int-or-string": true, "x-kubernetes-preserve-unknown-fields": true } }),
    narrow: true,
    lcd: obj({ v: { "x-kubernetes-preserve-unknown-fields": true, "x-kubernetes-int-or-string": true } }),
  },
  {
    name: "required: narrowing may require a key that a map (additionalProperties) allows",
    existing: { type: "object", additionalProperties: str },
    incoming: { type: "object", additionalProperties: str, required: ["name"] },
    narrow: true,
    lcd: { type: "object", additionalProperties: str, required: ["name"] },
  },
  {
    name: "a map against an object naming a key whose schema accepts the map's values",
    existing: { type: "object", additionalProperties: { type: "string", maxLength: 3 } },
    incoming: { type: "object", additionalProperties: str, properties: { special: { type: "string", maxLength: 5 } } },
    narrow: false,
    lcd: { type: "object", additionalProperties: { type: "string", maxLength: 3 } },
  },
  {
    name: "multipleOf: fractions that do not divide are not narrowed",
    existing: obj({ n: { type: "number", multipleOf: 0.5 } }),
    incoming: obj({ n: { type: "number", multipleOf: 0.3 } }),
    narrow: true,
    errors: [
      inv(
        `${R}.properties[n].multipleOf`,
        "multipleOf value has been changed in an incompatible way (was 0.5, now 0.3)",
      ),
    ],
  },
  {
    name: "bounds: narrowing takes new's exclusive maximum",
    existing: obj({ n: { type: "integer", maximum: 9 } }),
    incoming: obj({ n: { type: "integer", maximum: 9, exclusiveMaximum: true } }),
    narrow: true,
    lcd: obj({ n: { type: "integer", maximum: 9, exclusiveMaximum: true } }),
  },
  {
    name: "bounds: a negative count is not supported",
    existing: obj({ s: str }),
    incoming: obj({ s: { type: "string", minLength: -1 } }),
    narrow: true,
    errors: [
      forb(
        `${R}.properties[s].minLength`,
        'the new value -1 of "minLength" is not supported by the schema negotiation',
      ),
    ],
  },
  {
    name: "enum: an empty enum is not supported",
    existing: obj({ s: str }),
    incoming: obj({ s: { type: "string", enum: [] } }),
    narrow: true,
    errors: [forb(`${R}.properties[s].enum`, "the empty enum is not supported by the schema negotiation")],
  },
  {
    name: "x-kubernetes-validations: a rule without rule text is not supported",
    existing: obj({ a: int }),
    incoming: obj({ a: int }, { "x-kubernetes-validations": [{ message: "no rule" }] }),
    narrow: true,
    errors: [
      forb(
        `${R}.x-kubernetes-validations`,
        "the validation rule without a rule is not supported by the schema negotiation",
      ),
    ],
  },
  {
    name: "default: a nullable default null goes when narrowing makes the field non-nullable",
    existing: obj({ n: { type: "string", nullable: true, default: null } }),
    incoming: obj({ n: str }),
    narrow: true,
    lcd: obj({ n: str }),
  },
  {
    name: "a property named __proto__ stays an own property of the LCD",
    existing: JSON.parse('{"type":"object","properties":{"__proto__":{"type":"string"},"a":{"type":"string"}}}'),
    incoming: JSON.parse('{"type":"object","properties":{"__proto__":{"type":"string"}}}'),
    narrow: true,
    lcd: JSON.parse('{"type":"object","properties":{"__proto__":{"type":"string"}}}'),
  },
];

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

function run(c: Case): void {
  const before = JSON.stringify([c.existing, c.incoming]);
  const r = lowestCommonDenominator(R, c.existing, c.incoming, c.narrow);
  expect(JSON.stringify([c.existing, c.incoming])).toBe(before); // inputs untouched
  if (c.errors) {
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => [e.reason, e.field, e.message])).toEqual(c.errors);
    expect(r.message).toBe(c.errors.map(([, f, m]) => `${f}: ${m}`).join("; "));
  } else {
    if (!r.ok) throw new Error(`unexpected errors: ${r.message}`);
    // Key order aside (L keeps E's order, narrowed keywords come last); own "__proto__" keys count.
    expect(canonical(r.lcd)).toBe(canonical(c.lcd));
  }
}

describe("spec 9.3 vectors", () => {
  for (const c of vectors) test(c.name, () => run(c));
});

describe("rules and closed holes", () => {
  for (const c of rules) test(c.name, () => run(c));
});

describe("results and inputs", () => {
  test("the LCD shares no object with the inputs", () => {
    const existing = obj({
      a: obj({ b: { type: "string", enum: ["x"] } }),
      m: { type: "object", additionalProperties: str },
    });
    const incoming = obj({ a: obj({ b: str }), m: { type: "object", additionalProperties: true } });
    for (const narrow of [false, true]) {
      const r = lowestCommonDenominator("X", existing, incoming, narrow);
      if (!r.ok) throw new Error(r.message);
      const lcd = r.lcd as { properties: { a: { properties: { b: { enum: string[] } } }; m: S } };
      lcd.properties.a.properties.b.enum.push("y");
      lcd.properties.m.additionalProperties = false;
      expect(existing).toEqual(
        obj({ a: obj({ b: { type: "string", enum: ["x"] } }), m: { type: "object", additionalProperties: str } }),
      );
    }
  });
  test("without narrowing, a compatible result equals existing", () => {
    const existing = obj(
      { a: { type: "integer", minimum: 1, description: "d" }, l: arr(str, { "x-kubernetes-list-type": "set" }) },
      { required: ["a"] },
    );
    const incoming = obj({ a: num, l: arr(str), extra: bool });
    const r = lowestCommonDenominator("X", existing, incoming, false);
    expect(r).toEqual({ ok: true, lcd: existing });
    expect(lowestCommonDenominator("X", existing, incoming, true)).toEqual({ ok: true, lcd: existing });
  });
});

describe("real schemas (kcp's ready-made workload CRDs, from kube's OpenAPI)", () => {
  const schemaOf = (kind: string): S => {
    const crd = workloadCRDs().find((c) => (c.spec as { names: { kind: string } }).names.kind === kind);
    if (!crd) throw new Error(`no workload CRD of kind ${kind}`);
    const versions = (crd.spec as { versions: { schema: { openAPIV3Schema: S } }[] }).versions;
    return versions[0]?.schema.openAPIV3Schema as S;
  };

  test("every workload schema is compatible with itself, nothing reported as not supported", () => {
    for (const crd of workloadCRDs()) {
      const spec = crd.spec as { names: { kind: string }; versions: { schema: { openAPIV3Schema: S } }[] };
      const s = spec.versions[0]?.schema.openAPIV3Schema as S;
      for (const narrow of [false, true]) {
        const r = lowestCommonDenominator(spec.names.kind, s, structuredClone(s), narrow);
        if (!r.ok) throw new Error(r.message);
        expect(r.lcd).toEqual(s);
      }
    }
  });

  test("a cluster whose pod spec lacks ephemeralContainers: reported, narrowed away, and back with the cluster gone", () => {
    const current = schemaOf("Deployment");
    const older = structuredClone(current);
    const podSpec = (x: S) =>
      (x as { properties: { spec: { properties: { template: { properties: { spec: { properties: S } } } } } } })
        .properties.spec.properties.template.properties.spec.properties;
    delete podSpec(older).ephemeralContainers;
    const checked = lowestCommonDenominator("Deployment", current, older, false);
    expect(checked.ok ? "" : checked.message).toBe(
      'Deployment.properties[spec].properties[template].properties[spec].properties: properties have been removed in an incompatible way: ["ephemeralContainers"]',
    );
    const narrowed = lowestCommonDenominator("Deployment", current, older, true);
    if (!narrowed.ok) throw new Error(narrowed.message);
    expect(narrowed.lcd).toEqual(older);
    // rebuilt from the current cluster alone, the field is back
    expect(lowestCommonDenominator("Deployment", current, current, true)).toEqual({ ok: true, lcd: current });
  });
});

describe("bounded work", () => {
  test("a schema deeper than the limit is refused, not walked", () => {
    let s: S = str;
    for (let i = 0; i < MAX_SCHEMA_DEPTH + 5; i++) s = obj({ a: s });
    const r = lowestCommonDenominator("X", s, s, true);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.errors).toHaveLength(1);
      expect(r.errors[0]?.reason).toBe("FieldValueForbidden");
      expect(r.errors[0]?.message).toContain("too large for the schema negotiation");
    }
  });
  test("a schema with too many nodes (a huge enum) is refused, not copied into a truncated LCD", () => {
    const huge = obj({ a: { type: "string", enum: Array.from({ length: 250_000 }, (_, i) => `v${i}`) } });
    const r = lowestCommonDenominator("X", huge, obj({ a: str }), false);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => [e.reason, e.field])).toEqual([["FieldValueForbidden", "X"]]);
  });
  test("long values are cut in messages", () => {
    const long = "x".repeat(5000);
    const r = lowestCommonDenominator("X", obj({ s: str }), obj({ s: { type: "string", pattern: long } }), false);
    expect(r.ok ? "" : r.message).toBe(
      `X.properties[s].pattern: pattern value has been changed in an incompatible way (was unset, now "${"x".repeat(999)}… (4002 more characters))`,
    );
  });
  test("non-object inputs are errors", () => {
    expect(lowestCommonDenominator("X", obj({}), null, false)).toEqual({
      ok: false,
      errors: [{ reason: "FieldValueInvalid", field: "X", message: "new schema doesn't allow anything" }],
      message: "X: new schema doesn't allow anything",
    });
  });
});
