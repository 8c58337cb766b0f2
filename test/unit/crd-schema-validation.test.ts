// Validation of custom resources against their schema (ajv, worded as kube-apiserver words it),
// list types, embedded resources, pruning, defaulting and duplicate-field detection.

import { describe, expect, test } from "bun:test";
import { applyDefaults, pruneNonNullableNulls } from "../../src/apis/crd/defaulting.ts";
import { duplicateFieldsOf, findDuplicateFields, recordDuplicateFields } from "../../src/apis/crd/duplicate-fields.ts";
import { validateEmbeddedResources } from "../../src/apis/crd/embedded-resources.ts";
import { goFloat } from "../../src/apis/crd/go-json-values.ts";
import { validateListTypes } from "../../src/apis/crd/list-types.ts";
import { prune, pruneObjectMeta } from "../../src/apis/crd/pruning.ts";
import type { JSONSchemaProps } from "../../src/apis/crd/schema-types.ts";
import { compileSchemaValidator } from "../../src/apis/crd/schema-validator.ts";
import { fieldErrorText } from "../../src/machinery/status.ts";

const schema: JSONSchemaProps = {
  type: "object",
  properties: {
    spec: {
      type: "object",
      required: ["name"],
      properties: {
        name: { type: "string", pattern: "^[a-z]+$", minLength: 2, maxLength: 5 },
        replicas: { type: "integer", minimum: 0, maximum: 10 },
        ratio: { type: "number", exclusiveMinimum: true, minimum: 0.5 },
        color: { type: "string", enum: ["red", "blue"] },
        when: { type: "string", format: "date-time" },
        port: { "x-kubernetes-int-or-string": true },
        tags: { type: "array", maxItems: 2, minItems: 1, items: { type: "string" } },
        labels: { type: "object", maxProperties: 1, additionalProperties: { type: "string" } },
        maybe: { type: "string", nullable: true },
        items: { type: "array", items: { type: "object", properties: { n: { type: "integer", multipleOf: 5 } } } },
      },
    },
  },
};

const validator = compileSchemaValidator(schema);
const errs = (obj: unknown, old?: unknown) => validator.validate(obj, old).map(fieldErrorText);

describe("schema validation messages", () => {
  test("a valid object", () => {
    expect(
      errs({
        spec: { name: "abc", replicas: 3, port: "http", maybe: null, tags: ["a"], when: "2024-01-02T03:04:05Z" },
      }),
    ).toEqual([]);
    expect(errs({ spec: { name: "abc", port: 8080, ratio: 0.6 } })).toEqual([]);
  });

  test("numbers, strings and enums", () => {
    expect(errs({ spec: { name: "abc", replicas: -1 } })).toEqual([
      "spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or equal to 0",
    ]);
    expect(errs({ spec: { name: "abc", replicas: 11 } })).toEqual([
      "spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10",
    ]);
    expect(errs({ spec: { name: "abc", ratio: 0.5 } })).toEqual([
      "spec.ratio: Invalid value: 0.5: spec.ratio in body should be greater than 0.5",
    ]);
    expect(errs({ spec: { name: "ABC" } })).toEqual([
      "spec.name: Invalid value: \"ABC\": spec.name in body should match '^[a-z]+$'",
    ]);
    expect(errs({ spec: { name: "a" } })).toEqual([
      'spec.name: Invalid value: "a": spec.name in body should be at least 2 chars long',
    ]);
    expect(errs({ spec: { name: "abcdef" } })).toEqual(["spec.name: Too long: may not be more than 5 bytes"]);
    expect(errs({ spec: { name: "abc", color: "green" } })).toEqual([
      'spec.color: Unsupported value: "green": supported values: "red", "blue"',
    ]);
    expect(errs({ spec: { name: "abc", when: "yesterday" } })).toEqual([
      'spec.when: Invalid value: "yesterday": spec.when in body must be of type date-time: "yesterday"',
    ]);
  });

  test("types, nulls and required fields", () => {
    expect(errs({ spec: { name: "abc", replicas: "two" } })).toEqual([
      'spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"',
    ]);
    expect(errs({ spec: { name: "abc", replicas: 1.5 } })).toEqual([
      'spec.replicas: Invalid value: "number": spec.replicas in body must be of type integer: "number"',
    ]);
    expect(errs({ spec: { name: "abc", port: true } })).toEqual([
      'spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"',
    ]);
    expect(errs({ spec: { name: "abc", tags: [null] } })).toEqual([
      'spec.tags[0]: Invalid value: "null": spec.tags[0] in body must be of type string: "null"',
    ]);
    expect(errs({ spec: {} })).toEqual(["spec.name: Required value"]);
  });

  test("arrays and maps", () => {
    expect(errs({ spec: { name: "abc", tags: ["a", "b", "c"] } })).toEqual([
      "spec.tags: Too many: 3: must have at most 2 items",
    ]);
    expect(errs({ spec: { name: "abc", tags: [] } })).toEqual([
      "spec.tags: Invalid value: 0: spec.tags in body should have at least 1 items",
    ]);
    expect(errs({ spec: { name: "abc", labels: { a: "1", b: "2" } } })).toEqual([
      "spec.labels: Too many: 1: has too many items",
    ]);
    expect(errs({ spec: { name: "abc", labels: { a: 1 } } })).toEqual([
      'spec.labels.a: Invalid value: "integer": spec.labels.a in body must be of type string: "integer"',
    ]);
    expect(errs({ spec: { name: "abc", items: [{ n: 5 }, { n: 7 }] } })).toEqual([
      "spec.items[1].n: Invalid value: 7: spec.items[1].n in body should be a multiple of 5",
    ]);
  });

  test("ratcheting: unchanged invalid values are accepted on update", () => {
    const old = { spec: { name: "abc", replicas: 20 }, other: 1 };
    expect(errs({ spec: { name: "abc", replicas: 20 }, other: 2 }, old)).toEqual([]);
    expect(errs({ spec: { name: "abc", replicas: 21 } }, old)).toEqual([
      "spec.replicas: Invalid value: 21: spec.replicas in body should be less than or equal to 10",
    ]);
  });

  test("Go's float formatting in limits", () => {
    expect(goFloat(0.5)).toBe("0.5");
    expect(goFloat(1e6)).toBe("1e+06");
    expect(goFloat(123456)).toBe("123456");
    expect(goFloat(0.00001)).toBe("1e-05");
  });
});

describe("list types and embedded resources", () => {
  const s: JSONSchemaProps = {
    type: "object",
    properties: {
      tags: { type: "array", "x-kubernetes-list-type": "set", items: { type: "string" } },
      ports: {
        type: "array",
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["name", "protocol"],
        items: {
          type: "object",
          required: ["name"],
          properties: {
            name: { type: "string" },
            protocol: { type: "string", default: "TCP" },
            port: { type: "integer" },
          },
        },
      },
      template: {
        type: "object",
        "x-kubernetes-embedded-resource": true,
        "x-kubernetes-preserve-unknown-fields": true,
      },
    },
  };

  test("sets and maps hold unique entries", () => {
    expect(validateListTypes({ tags: ["a", "b", "a"] }, s, "spec").map(fieldErrorText)).toEqual([
      'spec.tags[2]: Duplicate value: "a"',
    ]);
    expect(
      validateListTypes(
        {
          ports: [
            { name: "http", port: 80 },
            { name: "http", protocol: "UDP" },
            { name: "http", protocol: "TCP", port: 81 },
          ],
        },
        s,
        "spec",
      ).map(fieldErrorText),
    ).toEqual(['spec.ports[2]: Duplicate value: map[string]interface {}{"name":"http", "protocol":"TCP"}']);
  });

  test("embedded resources need apiVersion and kind", () => {
    expect(validateEmbeddedResources({ template: { metadata: {} } }, s, "").map(fieldErrorText)).toEqual([
      "template.apiVersion: Required value: must not be empty",
      "template.kind: Required value: must not be empty",
    ]);
    expect(validateEmbeddedResources({ template: { apiVersion: "v1", kind: "Pod" } }, s, "")).toEqual([]);
  });
});

describe("pruning", () => {
  const s: JSONSchemaProps = {
    type: "object",
    properties: {
      spec: {
        type: "object",
        properties: {
          a: { type: "string" },
          free: {
            type: "object",
            "x-kubernetes-preserve-unknown-fields": true,
            properties: { known: { type: "object", properties: { x: { type: "string" } } } },
          },
          list: { type: "array", items: { type: "object", properties: { k: { type: "string" } } } },
          map: { type: "object", additionalProperties: { type: "object", properties: { v: { type: "string" } } } },
          embedded: {
            type: "object",
            "x-kubernetes-embedded-resource": true,
            properties: { spec: { type: "object" } },
          },
        },
      },
    },
  };

  test("unknown fields are dropped and reported; preserved ones kept", () => {
    const obj = {
      apiVersion: "example.com/v1",
      kind: "Widget",
      metadata: { name: "w", bogus: 1 },
      spec: {
        a: "x",
        b: "gone",
        free: { anything: 1, known: { x: "y", z: "gone" } },
        list: [{ k: "1", extra: true }],
        map: { one: { v: "1", w: "gone" } },
        embedded: { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: {}, junk: 1 },
      },
      top: 1,
    };
    const pruned = prune(obj, s, true);
    expect(pruned.sort()).toEqual([
      "spec.b",
      "spec.embedded.junk",
      "spec.free.known.z",
      "spec.list[0].extra",
      "spec.map.one.w",
      "top",
    ]);
    expect(pruneObjectMeta(obj.metadata)).toEqual(["metadata.bogus"]);
    expect(obj).toEqual({
      apiVersion: "example.com/v1",
      kind: "Widget",
      metadata: { name: "w" },
      spec: {
        a: "x",
        free: { anything: 1, known: { x: "y" } },
        list: [{ k: "1" }],
        map: { one: { v: "1" } },
        embedded: { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: {} },
      },
    } as never);
  });
});

describe("defaulting", () => {
  const s: JSONSchemaProps = {
    type: "object",
    properties: {
      spec: {
        type: "object",
        default: {},
        properties: {
          color: { type: "string", default: "blue" },
          size: { type: "integer", default: 3 },
          nullableWithDefault: { type: "string", nullable: true, default: "d" },
          plain: { type: "string" },
          nested: { type: "object", default: {}, properties: { deep: { type: "boolean", default: true } } },
          items: { type: "array", items: { type: "object", properties: { w: { type: "integer", default: 1 } } } },
        },
      },
    },
  };

  test("absent and null non-nullable fields get defaults, recursively", () => {
    const obj: Record<string, unknown> = {
      spec: { size: null, plain: null, nullableWithDefault: null, items: [{}, { w: 5 }] },
    };
    pruneNonNullableNulls(obj, s);
    applyDefaults(obj, s);
    expect(obj).toEqual({
      spec: { color: "blue", size: 3, nullableWithDefault: null, nested: { deep: true }, items: [{ w: 1 }, { w: 5 }] },
    });
  });

  test("a missing parent is created from its own default, then filled", () => {
    const obj: Record<string, unknown> = {};
    applyDefaults(obj, s);
    expect(obj).toEqual({ spec: { color: "blue", size: 3, nullableWithDefault: "d", nested: { deep: true } } });
  });
});

describe("duplicate fields", () => {
  test("paths of repeated keys in a JSON text", () => {
    expect(findDuplicateFields('{"spec":{"a":1,"b":[{"x":1,"x":2}],"a":3},"kind":"W","kind":"W"}')).toEqual([
      "spec.b[0].x",
      "spec.a",
      "kind",
    ]);
    expect(findDuplicateFields('{"a":"}\\"{","b":{"a":1}}')).toEqual([]);
  });

  test("recorded for the parsed object only when the text repeats a key", () => {
    const record = (text: string) => {
      const doc = JSON.parse(text) as object;
      recordDuplicateFields(doc, text);
      return duplicateFieldsOf(doc);
    };
    // Strings that look like keys, escaped quotes, spaces before the colon, empty objects, arrays of objects.
    expect(record('{"a": "\\"b\\": 1", "c" : {"d":[{"e":1},{"e":2}], "f":{}}, "g":[1,"h:",null]}')).toEqual([]);
    expect(record('{"a":1, "b" : {"c":[{"d":1, "d" : 2}]}, "a":3}')).toEqual(["b.c[0].d", "a"]);
    expect(record('{"x\\"y":1,"x\\"y":2}')).toEqual(['x"y']);
    expect(record('{"__proto__":{"a":1},"b":1}')).toEqual([]);
    expect(record('{"__proto__":{"a":1},"__proto__":{"a":2}}')).toEqual(["__proto__"]);
  });
});
