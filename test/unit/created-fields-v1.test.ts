import { describe, expect, test } from "bun:test";
import { addedFieldsV1, compareValues } from "../../src/apis/fieldmanager/compare.ts";
import { trackUpdate } from "../../src/apis/fieldmanager/field-manager.ts";
import { FieldSet } from "../../src/apis/fieldmanager/field-set.ts";
import { TypedValueError } from "../../src/apis/fieldmanager/list-item-element.ts";
import { encodeManagedFields, Managed, managerIdentifier } from "../../src/apis/fieldmanager/managed-fields.ts";
import { compareStrings } from "../../src/apis/fieldmanager/path-element.ts";
import { schemaNodeOf } from "../../src/apis/schema-node.ts";
import type { KObject, ResourceDef } from "../../src/apis/types.ts";

function kind(over: Partial<ResourceDef>): ResourceDef {
  return {
    group: "",
    version: "v1",
    kind: "ConfigMap",
    plural: "configmaps",
    singular: "configmap",
    listKind: "ConfigMapList",
    namespaced: true,
    verbs: [],
    subresources: [],
    mode: "stored",
    strategy: { hasStatus: false, tracksGeneration: false },
    source: "builtin",
    ...over,
  };
}

const f = (name: string) => ({ field: name });
// The system fields a create's managedFields leave out (field-manager.ts' STRIPPED).
const STRIPPED = FieldSet.of(
  [f("apiVersion")],
  [f("kind")],
  [f("metadata")],
  ...[
    "name",
    "namespace",
    "creationTimestamp",
    "selfLink",
    "uid",
    "clusterName",
    "generation",
    "managedFields",
    "resourceVersion",
  ].map((n) => [f("metadata"), f(n)]),
);
const STATUS = FieldSet.of([f("status")]);

const configMaps = kind({});
const pods = kind({ kind: "Pod", plural: "pods", strategy: { hasStatus: true, tracksGeneration: false } });
const services = kind({ kind: "Service", plural: "services", strategy: { hasStatus: true, tracksGeneration: false } });
const deployments = kind({
  group: "apps",
  kind: "Deployment",
  plural: "deployments",
  strategy: { hasStatus: true, tracksGeneration: true },
});
const widgets = kind({
  group: "example.com",
  kind: "Widget",
  plural: "widgets",
  source: "crd",
  strategy: { hasStatus: true, tracksGeneration: true },
  openAPISchema: {
    type: "object",
    properties: {
      apiVersion: { type: "string" },
      kind: { type: "string" },
      metadata: { allOf: [{ $ref: "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" }] },
      spec: {
        type: "object",
        properties: {
          size: { type: "integer" },
          tags: { type: "array", items: { type: "string" }, "x-kubernetes-list-type": "set" },
          nums: { type: "array", items: { type: "number" }, "x-kubernetes-list-type": "set" },
          args: { type: "array", items: { type: "string" } },
          ports: {
            type: "array",
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["name", "protocol"],
            items: {
              type: "object",
              properties: {
                name: { type: "string" },
                protocol: { type: "string", default: "TCP" },
                port: { type: "integer" },
              },
            },
          },
          labels: { type: "object", additionalProperties: { type: "string" } },
          selector: { type: "object", "x-kubernetes-map-type": "atomic", properties: { a: { type: "string" } } },
          free: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
        },
      },
      status: {
        type: "object",
        properties: {
          ready: { type: "boolean" },
          conds: {
            type: "array",
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["type"],
            items: { type: "object" },
          },
        },
      },
    },
  },
});

const meta = {
  name: "x",
  namespace: "default",
  uid: "u",
  resourceVersion: "1",
  creationTimestamp: "2024-01-01T00:00:00Z",
  generation: 1,
};

const cases: [string, ResourceDef, KObject][] = [
  ["bare ConfigMap", configMaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { ...meta } }],
  [
    "ConfigMap with data, labels, annotations, finalizers",
    configMaps,
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        ...meta,
        labels: { b: "1", a: "2", "x.io/Z": "3" },
        annotations: { k: "v" },
        finalizers: ["a/b", "c"],
      },
      data: {
        zeta: "1",
        alpha: "2",
        Beta: "3",
        "a.b": "",
        "a-b": "",
        "\u00e9": "",
        "\uffff": "",
        "\u{1f600}": "",
        "\ue000": "",
      },
      binaryData: { q: "AA==" },
      immutable: true,
    },
  ],
  [
    "ConfigMap with empty data",
    configMaps,
    { apiVersion: "v1", kind: "ConfigMap", metadata: { ...meta, labels: {} }, data: {} },
  ],
  [
    "Pod",
    pods,
    {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        ...meta,
        ownerReferences: [
          { apiVersion: "v1", kind: "X", name: "o", uid: "2" },
          { apiVersion: "v1", kind: "X", name: "p", uid: "1" },
        ],
      },
      spec: {
        containers: [
          {
            name: "b",
            image: "i",
            ports: [
              { containerPort: 80 },
              { containerPort: 53, protocol: "UDP" },
              { containerPort: 53, protocol: "TCP" },
            ],
            args: ["x", "y"],
            env: [{ name: "E", value: "1" }],
          },
          { name: "a", image: "j", resources: { limits: { cpu: "1" } } },
          { name: "a", image: "duplicate" },
        ],
        tolerations: [{ key: "k" }, { key: "k" }],
        nodeSelector: { z: "1", a: "2" },
      },
      status: { phase: "Pending", conditions: [{ type: "Ready", status: "True" }] },
    },
  ],
  [
    "Service",
    services,
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { ...meta },
      spec: {
        ports: [{ port: 443, protocol: "TCP", targetPort: 8443 }, { port: 80 }],
        selector: { app: "a" },
        type: "ClusterIP",
      },
    },
  ],
  [
    "Deployment",
    deployments,
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { ...meta },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: "a" } },
        template: {
          metadata: { labels: { app: "a" } },
          spec: { containers: [{ name: "c", image: "i" }], volumes: [{ name: "v", emptyDir: {} }] },
        },
      },
    },
  ],
  [
    "Widget with set, map list, atomic list and status",
    widgets,
    {
      apiVersion: "example.com/v1",
      kind: "Widget",
      metadata: { ...meta, labels: { a: "1" } },
      spec: {
        size: 3,
        tags: ["b", "a", "b", "\u{1f600}", "\ue000"],
        nums: [2, 1.5, -1, 10],
        args: ["z", "a"],
        ports: [
          { name: "http", port: 80 },
          { name: "http", protocol: "UDP", port: 81 },
          { name: "dns", protocol: "TCP" },
          { name: "http", protocol: "TCP", port: 82 },
        ],
        labels: { b: "", a: "" },
        selector: { a: "b" },
        free: { nested: { deep: [1, { x: 1 }] }, empty: {}, list: [] },
        unknown: "pruned elsewhere",
      },
      status: { ready: true, conds: [{ type: "A" }] },
    },
  ],
  [
    "Widget with empty containers",
    widgets,
    {
      apiVersion: "example.com/v1",
      kind: "Widget",
      metadata: { ...meta },
      spec: { tags: [], ports: [], labels: {}, free: {} },
      status: {},
    },
  ],
  [
    "Widget with only status",
    widgets,
    { apiVersion: "example.com/v1", kind: "Widget", metadata: { ...meta }, status: { ready: false } },
  ],
];

/** What a create records, the general way: compare with an empty object, then leave out the stripped and ignored paths. */
function addedSet(obj: KObject, def: ResourceDef): FieldSet {
  let set = compareValues({}, obj, schemaNodeOf(def)).added.difference(STRIPPED);
  if (def.strategy.hasStatus) set = set.recursiveDifference(STATUS);
  return set;
}

function general(obj: KObject, def: ResourceDef): Record<string, unknown> | undefined {
  const set = addedSet(obj, def);
  return set.isEmpty() ? undefined : set.toFieldsV1();
}

describe("addedFieldsV1", () => {
  for (const [name, def, obj] of cases) {
    test(`${name}: same fieldsV1 as the field set`, () => {
      const node = schemaNodeOf(def);
      const fast = addedFieldsV1(obj, node, STRIPPED, def.strategy.hasStatus ? STATUS : undefined);
      const want = general(obj, def);
      expect(fast).toEqual(want);
      // Same key order too: fieldsV1 is stored and served as written.
      expect(JSON.stringify(fast)).toBe(JSON.stringify(want));
    });

    test(`${name}: trackUpdate writes the entry encodeManagedFields would`, () => {
      const now = "2024-01-02T03:04:05Z";
      const got = trackUpdate({ def, manager: "m", now }, undefined, obj, undefined);
      const set = addedSet(obj, def);
      const managed = new Managed();
      if (!set.isEmpty()) {
        const id = managerIdentifier({
          manager: "m",
          operation: "Update",
          apiVersion: def.group ? `${def.group}/${def.version}` : def.version,
        });
        managed.fields.set(id, {
          set,
          apiVersion: def.group ? `${def.group}/${def.version}` : def.version,
          applied: false,
        });
        managed.times.set(id, now);
      }
      expect(JSON.stringify(got)).toBe(JSON.stringify(encodeManagedFields(managed)));
    });
  }

  const bad: [string, KObject][] = [
    [
      "a map-list item without its key",
      { apiVersion: "example.com/v1", kind: "Widget", metadata: { ...meta }, spec: { ports: [{ protocol: "TCP" }] } },
    ],
    [
      "a set item that is a map",
      { apiVersion: "example.com/v1", kind: "Widget", metadata: { ...meta }, spec: { tags: [{ a: 1 }] } },
    ],
    [
      "a bad item under the ignored status",
      { apiVersion: "example.com/v1", kind: "Widget", metadata: { ...meta }, status: { conds: ["x"] } },
    ],
  ];
  for (const [name, obj] of bad) {
    test(`${name}: throws TypedValueError as comparing with an empty object does`, () => {
      const node = schemaNodeOf(widgets);
      expect(() => compareValues({}, obj, node)).toThrow(TypedValueError);
      expect(() => addedFieldsV1(obj, node, STRIPPED, STATUS)).toThrow(TypedValueError);
      expect(trackUpdate({ def: widgets, manager: "m" }, undefined, obj, undefined)).toBeUndefined();
    });
  }
});

describe("compareStrings", () => {
  /** Code point order, the slow way. */
  function reference(a: string, b: string): number {
    const x = [...a].map((c) => c.codePointAt(0) as number);
    const y = [...b].map((c) => c.codePointAt(0) as number);
    for (let i = 0; i < Math.min(x.length, y.length); i++)
      if (x[i] !== y[i]) return (x[i] as number) < (y[i] as number) ? -1 : 1;
    return x.length === y.length ? 0 : x.length < y.length ? -1 : 1;
  }

  test("orders by code point, surrogate pairs after U+E000–U+FFFF", () => {
    const words = [
      "",
      "a",
      "ab",
      "b",
      "B",
      "\u00e9",
      "\ud7ff",
      "\ue000",
      "\uffff",
      "\u{10000}",
      "\u{1f600}",
      "a\u{1f600}",
      "a\uffff",
      "\ud83d",
      "\ud83dx",
      "a\ud83d",
    ];
    for (const a of words) for (const b of words) expect(compareStrings(a, b)).toBe(reference(a, b));
  });
});
