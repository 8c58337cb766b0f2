// x-kubernetes-validations: CEL rules evaluated against custom resources, worded as kube does.

import { describe, expect, test } from "bun:test";
import { compileCelRules, evaluateCelRules } from "../../src/apis/crd/cel-rules.ts";
import type { JSONSchemaProps } from "../../src/apis/crd/schema-types.ts";
import { fieldErrorText } from "../../src/machinery/status.ts";

const schema: JSONSchemaProps = {
  type: "object",
  "x-kubernetes-validations": [{ rule: "self.metadata.name.startsWith('w')", message: "names start with w" }],
  properties: {
    metadata: { type: "object" },
    spec: {
      type: "object",
      "x-kubernetes-validations": [
        { rule: "self.min <= self.max" },
        {
          rule: "!has(self.frozen) || self.frozen == oldSelf.frozen",
          message: "frozen is immutable",
          fieldPath: ".frozen",
        },
        { rule: "self.max < 100", messageExpression: "'max is ' + string(self.max)", reason: "FieldValueForbidden" },
      ],
      properties: {
        min: { type: "integer" },
        max: { type: "integer" },
        frozen: { type: "string" },
        ratio: { type: "number", "x-kubernetes-validations": [{ rule: "self <= 1.0" }] },
        tags: {
          type: "array",
          items: { type: "string" },
          "x-kubernetes-validations": [
            { rule: "self.all(t, t.size() < 5)", message: "short tags" },
            { rule: "self.isSorted()" },
          ],
        },
        when: {
          type: "string",
          format: "date-time",
          "x-kubernetes-validations": [{ rule: "self > timestamp('2020-01-01T00:00:00Z')" }],
        },
        labels: {
          type: "object",
          additionalProperties: { type: "string", "x-kubernetes-validations": [{ rule: "self != 'bad'" }] },
        },
        items: {
          type: "array",
          "x-kubernetes-list-type": "map",
          "x-kubernetes-list-map-keys": ["name"],
          items: {
            type: "object",
            required: ["name"],
            properties: {
              name: { type: "string" },
              v: {
                type: "integer",
                "x-kubernetes-validations": [{ rule: "self >= oldSelf", message: "v may only grow" }],
              },
            },
          },
        },
      },
    },
  },
};

const cel = compileCelRules(schema);
if (!cel) throw new Error("rules were not compiled");

const run = (obj: unknown, old?: unknown) => {
  const r = evaluateCelRules(cel, obj, old);
  return { errors: r.errors.map(fieldErrorText), warnings: r.warnings };
};

const ok = { metadata: { name: "w1" }, spec: { min: 1, max: 2 } };

describe("CEL validation rules", () => {
  test("passing rules", () => {
    expect(run(ok).errors).toEqual([]);
    expect(
      run({
        ...ok,
        spec: { ...ok.spec, ratio: 0.5, tags: ["a", "b"], when: "2024-05-01T00:00:00Z", labels: { a: "ok" } },
      }).errors,
    ).toEqual([]);
  });

  test("failures: default message, message, messageExpression with reason, fieldPath", () => {
    expect(run({ metadata: { name: "x" }, spec: { min: 300, max: 200 } }).errors).toEqual([
      '<nil>: Invalid value: "object": names start with w',
      'spec: Invalid value: "object": failed rule: self.min <= self.max',
      "spec: Forbidden: max is 200",
    ]);
    expect(
      run({ ...ok, spec: { ...ok.spec, frozen: "b" } }, { ...ok, spec: { ...ok.spec, frozen: "a" } }).errors,
    ).toEqual(['spec.frozen: Invalid value: "object": frozen is immutable']);
  });

  test("rules on scalars, lists, maps and timestamps", () => {
    expect(
      run({
        ...ok,
        spec: { ...ok.spec, ratio: 1.5, tags: ["zz", "longtag"], when: "2019-01-01T00:00:00Z", labels: { x: "bad" } },
      }).errors,
    ).toEqual([
      'spec.ratio: Invalid value: "number": failed rule: self <= 1.0',
      'spec.tags: Invalid value: "array": short tags',
      'spec.tags: Invalid value: "array": failed rule: self.isSorted()',
      "spec.when: Invalid value: \"string\": failed rule: self > timestamp('2020-01-01T00:00:00Z')",
      "spec.labels[x]: Invalid value: \"string\": failed rule: self != 'bad'",
    ]);
  });

  test("transition rules run only on update, with list-map items correlated by key", () => {
    const next = {
      ...ok,
      spec: {
        ...ok.spec,
        items: [
          { name: "a", v: 1 },
          { name: "b", v: 9 },
        ],
      },
    };
    expect(run(next).errors).toEqual([]);
    const old = {
      ...ok,
      spec: {
        ...ok.spec,
        items: [
          { name: "b", v: 5 },
          { name: "a", v: 2 },
        ],
      },
    };
    expect(run(next, old).errors).toEqual(['spec.items[0].v: Invalid value: "integer": v may only grow']);
  });

  test("evaluation errors", () => {
    expect(run({ metadata: { name: "w" }, spec: { min: 1 } }).errors).toEqual([
      'spec: Invalid value: "object": no such key: max evaluating rule: self.min <= self.max',
      'spec: Invalid value: "object": no such key: max evaluating rule: self.max < 100',
    ]);
  });

  test("ratcheting: a failure on an unchanged value is a warning on update", () => {
    const bad = { metadata: { name: "w" }, spec: { min: 5, max: 2 } };
    const r = run(bad, structuredClone(bad));
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual(['spec: Invalid value: "object": failed rule: self.min <= self.max']);
  });
});
