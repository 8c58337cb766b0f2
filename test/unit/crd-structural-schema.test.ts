// Structural schema checks and the other openAPIV3Schema rules of CRD validation, with
// apiextensions-apiserver's messages and paths (spec.validation for a schema every version shares).

import { describe, expect, test } from "bun:test";
import { validateCRD } from "../../src/apis/crd/crd-validation.ts";
import { validateStructural } from "../../src/apis/crd/structural-schema.ts";
import type { JSONSchemaProps } from "../../src/apis/crd/schema-types.ts";
import type { KObject } from "../../src/apis/types.ts";
import { fieldErrorText } from "../../src/machinery/status.ts";

const texts = (s: JSONSchemaProps) => validateStructural(s, "spec.validation.openAPIV3Schema").map(fieldErrorText);

function crd(versions: Record<string, unknown>[], extra: Record<string, unknown> = {}): KObject {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "widgets.example.com" },
    spec: {
      group: "example.com",
      scope: "Namespaced",
      names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList" },
      versions,
      ...extra,
    },
    status: { storedVersions: ["v1"] },
  };
}

function version(name: string, schema: unknown, more: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, served: true, storage: name === "v1", schema: { openAPIV3Schema: schema }, ...more };
}

const crdErrors = (o: KObject) => validateCRD(o).map(fieldErrorText);

describe("structural schema", () => {
  test("a structural schema passes", () => {
    expect(
      texts({
        type: "object",
        properties: {
          spec: {
            type: "object",
            properties: { replicas: { type: "integer" }, tags: { type: "array", items: { type: "string" } } },
          },
          status: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
        },
      }),
    ).toEqual([]);
  });

  test("types must be specified, arrays need items, sorted as kube sorts", () => {
    expect(texts({ properties: { spec: { properties: { l: { type: "array" }, x: {} } } } })).toEqual([
      "spec.validation.openAPIV3Schema.properties[spec].properties[l].items: Required value: must be specified",
      "spec.validation.openAPIV3Schema.properties[spec].properties[x].type: Required value: must not be empty for specified object fields",
      "spec.validation.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields",
      "spec.validation.openAPIV3Schema.type: Required value: must not be empty at the root",
    ]);
    expect(texts({ type: "object", properties: { l: { type: "array", items: {} } } })).toEqual([
      "spec.validation.openAPIV3Schema.properties[l].items.type: Required value: must not be empty for specified array items",
    ]);
  });

  test("the root is an object without additionalProperties", () => {
    expect(texts({ type: "string" })).toEqual([
      'spec.validation.openAPIV3Schema.type: Invalid value: "string": must be object at the root',
    ]);
    expect(texts({ type: "object", additionalProperties: { type: "string" } })).toEqual([
      "spec.validation.openAPIV3Schema.additionalProperties: Forbidden: must not be used at the root",
    ]);
  });

  test("value validations may not specify structure", () => {
    expect(
      texts({
        type: "object",
        properties: {
          spec: {
            type: "object",
            anyOf: [{ type: "object", description: "x", properties: { a: { type: "string" } } }],
          },
        },
      }),
    ).toEqual([
      "spec.validation.openAPIV3Schema.properties[spec].anyOf[0].description: Forbidden: must be empty to be structural",
      "spec.validation.openAPIV3Schema.properties[spec].anyOf[0].properties[a].type: Forbidden: must be empty to be structural",
      "spec.validation.openAPIV3Schema.properties[spec].anyOf[0].type: Forbidden: must be empty to be structural",
    ]);
  });

  test("root value validations must refer to specified fields", () => {
    expect(
      texts({
        type: "object",
        properties: { a: { type: "string" } },
        oneOf: [{ required: ["b"], properties: { b: {} } }],
      }),
    ).toEqual([
      "spec.validation.openAPIV3Schema.properties[b]: Required value: because it is defined in spec.validation.openAPIV3Schema.oneOf[0].properties[b]",
    ]);
  });

  test("int-or-string: the anyOf of integer and string is allowed", () => {
    const port = { "x-kubernetes-int-or-string": true, anyOf: [{ type: "integer" }, { type: "string" }] };
    expect(texts({ type: "object", properties: { port } })).toEqual([]);
    expect(
      texts({ type: "object", properties: { port: { ...port, "x-kubernetes-preserve-unknown-fields": true } } }),
    ).toEqual([
      "spec.validation.openAPIV3Schema.properties[port].x-kubernetes-preserve-unknown-fields: Invalid value: true: must be false if x-kubernetes-int-or-string is true",
    ]);
  });

  test("embedded resources and metadata", () => {
    expect(
      texts({ type: "object", properties: { t: { type: "object", "x-kubernetes-embedded-resource": true } } }),
    ).toEqual([
      "spec.validation.openAPIV3Schema.properties[t].properties: Required value: must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields",
    ]);
    expect(
      texts({
        type: "object",
        properties: { metadata: { type: "object", properties: { name: { type: "string", maxLength: 10 } } } },
      }),
    ).toEqual([]);
    expect(
      texts({
        type: "object",
        properties: { metadata: { type: "object", properties: { labels: { type: "object" } } } },
      }),
    ).toEqual([
      "spec.validation.openAPIV3Schema.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified",
    ]);
    expect(texts({ type: "object", properties: { kind: { type: "integer" } } })).toEqual([
      'spec.validation.openAPIV3Schema.properties[kind].type: Invalid value: "integer": must be string',
    ]);
  });
});

describe("CRD schema validation", () => {
  test("a schema shared by every version is reported at spec.validation, otherwise per version", () => {
    const bad = { type: "object", properties: { spec: {} } };
    expect(crdErrors(crd([version("v1", bad)]))).toEqual([
      "spec.validation.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields",
    ]);
    expect(crdErrors(crd([version("v1", bad), version("v2", { type: "object" }, { storage: false })]))).toEqual([
      "spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields",
    ]);
  });

  test("schemas are required, exactly one storage version", () => {
    expect(crdErrors(crd([{ name: "v1", served: true, storage: false }]))).toEqual([
      "spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required",
      'spec.versions: Invalid value: []apiextensions.CustomResourceDefinitionVersion{{Name:"v1"}}: must have exactly one version marked as storage version',
    ]);
  });

  test("the OpenAPI subset: unsupported keywords, list and map types", () => {
    const errs = crdErrors(
      crd([
        version("v1", {
          type: "object",
          properties: {
            a: { type: "string", uniqueItems: true, $ref: "#/x" },
            b: { type: "object", properties: { x: { type: "string" } }, additionalProperties: { type: "string" } },
            c: {
              type: "array",
              items: { type: "object", properties: { k: { type: "string" } } },
              "x-kubernetes-list-type": "map",
            },
            d: { type: "string", "x-kubernetes-list-type": "set" },
            e: { type: "null" },
          },
        }),
      ]),
    );
    expect(errs).toEqual([
      "spec.validation.openAPIV3Schema.properties[a].$ref: Forbidden: $ref is not supported",
      "spec.validation.openAPIV3Schema.properties[a].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic",
      "spec.validation.openAPIV3Schema.properties[b].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive",
      "spec.validation.openAPIV3Schema.properties[c].x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is map",
      'spec.validation.openAPIV3Schema.properties[d].type: Invalid value: "string": must be array if x-kubernetes-list-type is specified',
      'spec.validation.openAPIV3Schema.properties[e].type: Unsupported value: "null": supported values: "array", "boolean", "integer", "number", "object", "string"',
      "spec.validation.openAPIV3Schema.properties[e].type: Forbidden: type cannot be set to null, use nullable as an alternative",
    ]);
  });

  test("list-map keys must be required or defaulted", () => {
    const errs = crdErrors(
      crd([
        version("v1", {
          type: "object",
          properties: {
            ports: {
              type: "array",
              "x-kubernetes-list-type": "map",
              "x-kubernetes-list-map-keys": ["name"],
              items: { type: "object", properties: { name: { type: "string" } } },
            },
          },
        }),
      ]),
    );
    expect(errs).toEqual([
      "spec.validation.openAPIV3Schema.properties[ports].items.properties[name].default: Required value: this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property",
    ]);
  });

  test("with the status subresource only some root fields are allowed", () => {
    const errs = crdErrors(
      crd([
        version(
          "v1",
          { type: "object", "x-kubernetes-embedded-resource": true, properties: { a: { type: "string" } } },
          { subresources: { status: {} } },
        ),
      ]),
    );
    expect(errs[0]).toStartWith("spec.validation.openAPIV3Schema: Invalid value: ");
    expect(errs[0]).toEndWith("fields are allowed at the root of the schema if the status subresource is enabled");
  });

  test("defaults: not in metadata, pruned and valid", () => {
    expect(
      crdErrors(crd([version("v1", { type: "object", properties: { metadata: { type: "object", default: {} } } })])),
    ).toContain(
      "spec.validation.openAPIV3Schema.properties[metadata].default: Forbidden: must not be set in top-level metadata",
    );
    expect(
      crdErrors(
        crd([version("v1", { type: "object", properties: { n: { type: "integer", minimum: 0, default: -1 } } })]),
      ),
    ).toEqual([
      "spec.validation.openAPIV3Schema.properties[n].default: Invalid value: -1:  in body should be greater than or equal to 0",
    ]);
    expect(
      crdErrors(
        crd([
          version("v1", {
            type: "object",
            properties: { o: { type: "object", properties: { a: { type: "string" } }, default: { a: "x", b: 1 } } },
          }),
        ]),
      ),
    ).toEqual([
      'spec.validation.openAPIV3Schema.properties[o].default: Invalid value: map[string]interface {}{"a":"x", "b":1}: must not have unknown fields',
    ]);
  });

  test("x-kubernetes-validations: static checks and CEL compilation", () => {
    const errs = crdErrors(
      crd([
        version("v1", {
          type: "object",
          properties: {
            spec: {
              type: "object",
              properties: { x: { type: "integer" } },
              "x-kubernetes-validations": [{ rule: "self.x >" }, { rule: "" }, { rule: "self.x > 0", reason: "Nope" }],
            },
            list: {
              type: "array",
              items: { type: "string", "x-kubernetes-validations": [{ rule: "self == oldSelf" }] },
            },
          },
        }),
      ]),
    );
    expect(errs).toContain(
      "spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[1].rule: Required value: rule is not specified",
    );
    expect(errs).toContain(
      'spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[2].reason: Unsupported value: "Nope": supported values: "FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired"',
    );
    // CEL is compiled only where the schema itself is valid; the list's item rule is checked.
    expect(errs).toContain(
      'spec.validation.openAPIV3Schema.properties[list].items.x-kubernetes-validations[0].rule: Invalid value: "self == oldSelf": oldSelf cannot be used on the uncorrelatable portion of the schema within spec.validation.openAPIV3Schema.properties[list]',
    );
  });

  test("a rule that does not compile", () => {
    const errs = crdErrors(
      crd([
        version("v1", {
          type: "object",
          properties: {
            spec: {
              type: "object",
              properties: { x: { type: "integer" } },
              "x-kubernetes-validations": [{ rule: "self.x >" }],
            },
          },
        }),
      ]),
    );
    expect(errs).toHaveLength(1);
    expect(errs[0]).toStartWith(
      'spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule: Invalid value: apiextensions.ValidationRule{Rule:"self.x >", Message:"", MessageExpression:"", Reason:(*apiextensions.FieldValueErrorReason)(nil), FieldPath:"", OptionalOldSelf:(*bool)(nil)}: compilation failed: ERROR: <input>:',
    );
  });

  test("subresources, printer columns, deprecation warnings", () => {
    const errs = crdErrors(
      crd([
        version(
          "v1",
          { type: "object" },
          {
            subresources: { scale: { specReplicasPath: "spec.replicas", statusReplicasPath: ".spec.x" } },
            additionalPrinterColumns: [{ name: "A", type: "text", jsonPath: ".spec.a" }],
            deprecationWarning: "old",
          },
        ),
      ]),
    );
    expect(errs).toEqual([
      'spec.versions[0].deprecationWarning: Invalid value: "old": can only be set for deprecated versions',
      'spec.subresources.scale.specReplicasPath: Invalid value: "spec.replicas": must be a simple json path starting with .',
      'spec.subresources.scale.statusReplicasPath: Invalid value: ".spec.x": should be a json path under .status',
      'spec.additionalPrinterColumns[0].type: Invalid value: "text": must be one of boolean,date,integer,number,string',
    ]);
  });

  test("protected groups need the API approval annotation", async () => {
    const { validateAPIApproval } = await import("../../src/apis/crd/crd-validation.ts");
    const o = crd([version("v1", { type: "object" })]);
    (o.spec as Record<string, unknown>).group = "things.k8s.io";
    expect(validateAPIApproval(o).map(fieldErrorText)).toEqual([
      'metadata.annotations[api-approved.kubernetes.io]: Required value: protected groups must have approval annotation "api-approved.kubernetes.io", see https://github.com/kubernetes/enhancements/pull/1111',
    ]);
    o.metadata.annotations = { "api-approved.kubernetes.io": "https://github.com/kubernetes/kubernetes/pull/1" };
    expect(validateAPIApproval(o)).toEqual([]);
  });
});
