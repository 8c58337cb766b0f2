import { describe, expect, test } from "bun:test";
import { builtinResources } from "../../src/apis/builtin/index.ts";
import { capUpdateManagers } from "../../src/apis/fieldmanager/cap-managers.ts";
import { checkApplyConfiguration, trackApply, trackUpdate } from "../../src/apis/fieldmanager/field-manager.ts";
import { FieldSet } from "../../src/apis/fieldmanager/field-set.ts";
import { fieldSetOf } from "../../src/apis/fieldmanager/field-set-of.ts";
import {
  decodeManagedFields,
  encodeManagedFields,
  Managed,
  type ManagedFieldsEntry,
  managerIdentifier,
} from "../../src/apis/fieldmanager/managed-fields.ts";
import { prefixFromUserAgent, validateFieldManager } from "../../src/apis/fieldmanager/manager-name.ts";
import { recordManagedFields } from "../../src/apis/fieldmanager/store-hook.ts";
import { displayPath, parsePathElement, serializePathElement } from "../../src/apis/fieldmanager/path-element.ts";
import { SchemaNode } from "../../src/apis/schema-node.ts";
import type { KObject, RequestContext, ResourceDef } from "../../src/apis/types.ts";
import { BUILTIN_SCHEMAS } from "../../src/apis/builtin/schemas/index.ts";
import { StatusError } from "../../src/machinery/status.ts";

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

const configMaps = kind({});
/** A custom resource with a set, a map list, an atomic list and a status subresource. */
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
          free: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
        },
      },
      status: { type: "object", properties: { ready: { type: "boolean" } } },
    },
  },
});

const T0 = "2024-01-01T00:00:00Z";
const T1 = "2024-01-01T00:00:01Z";
const T2 = "2024-01-01T00:00:02Z";

function cm(data: Record<string, string>, meta: Partial<KObject["metadata"]> = {}): KObject {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", namespace: "default", ...meta }, data };
}

function widget(spec: Record<string, unknown>, extra: Record<string, unknown> = {}): KObject {
  return {
    apiVersion: "example.com/v1",
    kind: "Widget",
    metadata: { name: "w", namespace: "default" },
    spec,
    ...extra,
  };
}

function withManaged(obj: KObject, entries: unknown): KObject {
  return { ...obj, metadata: { ...obj.metadata, managedFields: entries as unknown[] } };
}

function statusError(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (e) {
    if (e instanceof StatusError) return e;
    throw e;
  }
  throw new Error("no error");
}

describe("fieldsV1 encoding", () => {
  test("path elements serialize as kube writes them, and parse back", () => {
    const cases: [Parameters<typeof serializePathElement>[0], string][] = [
      [{ field: "data" }, "f:data"],
      [
        {
          key: [
            ["name", "a"],
            ["protocol", "TCP"],
          ],
        },
        'k:{"name":"a","protocol":"TCP"}',
      ],
      [{ key: [["port", 80]] }, 'k:{"port":80}'],
      [{ value: "a<b" }, 'v:"a\\u003cb"'],
      [{ value: 3 }, "v:3"],
      [{ index: 2 }, "i:2"],
    ];
    for (const [pe, text] of cases) {
      expect(serializePathElement(pe)).toBe(text);
      expect(serializePathElement(parsePathElement(text))).toBe(text);
    }
    expect(
      displayPath([
        { field: "spec" },
        { field: "ports" },
        {
          key: [
            ["name", "a"],
            ["port", 80],
          ],
        },
        { field: "x" },
      ]),
    ).toBe('.spec.ports[name="a",port=80].x');
    expect(displayPath([{ field: "tags" }, { value: "a" }, { index: 1 }])).toBe('.tags[="a"][1]');
  });

  test("a set encodes with '.' for paths that are members and parents, keys in structured-merge-diff's order", () => {
    const s = FieldSet.of(
      [{ field: "data" }],
      [{ field: "data" }, { field: "b" }],
      [{ field: "data" }, { field: "a" }],
      [{ field: "metadata" }, { field: "labels" }, { field: "x" }],
      [{ field: "spec" }, { field: "l" }, { index: 0 }],
      [{ field: "spec" }, { field: "l" }, { value: "v" }],
      [{ field: "spec" }, { field: "l" }, { key: [["name", "k"]] }],
      [{ field: "spec" }, { field: "l" }, { field: "z" }],
    );
    const v1 = s.toFieldsV1();
    expect(JSON.stringify(v1)).toBe(
      '{"f:data":{".":{},"f:a":{},"f:b":{}},"f:metadata":{"f:labels":{"f:x":{}}},"f:spec":{"f:l":{"f:z":{},"k:{\\"name\\":\\"k\\"}":{},"v:\\"v\\"":{},"i:0":{}}}}',
    );
    expect(FieldSet.fromFieldsV1(v1).toFieldsV1()).toEqual(v1);
  });

  test("set algebra: difference is per path, recursiveDifference drops subtrees", () => {
    const a = FieldSet.of([{ field: "d" }], [{ field: "d" }, { field: "x" }], [{ field: "e" }]);
    const b = FieldSet.of([{ field: "d" }]);
    expect(a.difference(b).toFieldsV1()).toEqual({ "f:d": { "f:x": {} }, "f:e": {} });
    expect(a.recursiveDifference(b).toFieldsV1()).toEqual({ "f:e": {} });
    expect(a.intersection(FieldSet.of([{ field: "d" }, { field: "x" }])).toFieldsV1()).toEqual({
      "f:d": { "f:x": {} },
    });
  });

  test("the fields of a value: leaves, granular list items, map keys, empty maps and nulls", () => {
    const node = SchemaNode.of(widgets.openAPISchema);
    const set = fieldSetOf(
      {
        spec: {
          size: 1,
          tags: ["a"],
          args: ["x"],
          ports: [{ name: "http", port: 80 }],
          labels: { k: "v" },
          free: { deep: { x: 1 } },
        },
        status: {},
        metadata: { labels: { a: "b" } },
      },
      node,
    );
    expect(set.toFieldsV1()).toEqual({
      "f:metadata": { "f:labels": { "f:a": {} } },
      "f:spec": {
        "f:args": {},
        "f:free": { "f:deep": { ".": {}, "f:x": {} } },
        "f:labels": { "f:k": {} },
        "f:ports": { 'k:{"name":"http","protocol":"TCP"}': { ".": {}, "f:name": {}, "f:port": {} } },
        "f:size": {},
        "f:tags": { 'v:"a"': {} },
      },
      "f:status": {},
    });
  });

  test("managedFields entries: decode errors name the entry, encoding sorts Apply first, then by time", () => {
    expect(() => decodeManagedFields([{ manager: "m", operation: "Update", apiVersion: "v1" }])).toThrow(
      "missing fieldsType in managed fields entry 0",
    );
    expect(() => decodeManagedFields([{ manager: "m", operation: "Update", fieldsType: "FieldsV2" }])).toThrow(
      'invalid fieldsType "FieldsV2" in managed fields entry 0',
    );
    const m = new Managed();
    const set = FieldSet.of([{ field: "data" }]);
    m.fields.set(managerIdentifier({ manager: "b", operation: "Update", apiVersion: "v1" }), {
      set,
      apiVersion: "v1",
      applied: false,
    });
    m.times.set(managerIdentifier({ manager: "b", operation: "Update", apiVersion: "v1" }), T0);
    m.fields.set(managerIdentifier({ manager: "a", operation: "Update", apiVersion: "v1" }), {
      set,
      apiVersion: "v1",
      applied: false,
    });
    m.times.set(managerIdentifier({ manager: "a", operation: "Update", apiVersion: "v1" }), T1);
    m.fields.set(managerIdentifier({ manager: "z", operation: "Apply", subresource: "status" }), {
      set,
      apiVersion: "v1",
      applied: true,
    });
    m.times.set(managerIdentifier({ manager: "z", operation: "Apply", subresource: "status" }), T2);
    const entries = encodeManagedFields(m) as ManagedFieldsEntry[];
    expect(entries.map((e) => e.manager)).toEqual(["z", "b", "a"]);
    expect(Object.keys(entries[0] as object)).toEqual([
      "manager",
      "operation",
      "apiVersion",
      "time",
      "fieldsType",
      "fieldsV1",
      "subresource",
    ]);
    expect(encodeManagedFields(decodeManagedFields(entries))).toEqual(entries);
  });
});

describe("updates", () => {
  test("a create owns what it set; '.' marks maps it created", () => {
    const entries = trackUpdate(
      { def: configMaps, manager: "kubectl-create", now: T0 },
      undefined,
      cm({ a: "1" }, { labels: { x: "y" }, uid: "u" }),
      undefined,
    );
    expect(entries).toEqual([
      {
        manager: "kubectl-create",
        operation: "Update",
        apiVersion: "v1",
        time: T0,
        fieldsType: "FieldsV1",
        fieldsV1: { "f:data": { ".": {}, "f:a": {} }, "f:metadata": { "f:labels": { ".": {}, "f:x": {} } } },
      },
    ]);
  });

  test("an update takes changed fields from their owner; one manager's updates accumulate; no change keeps the time", () => {
    const created = withManaged(
      cm({ a: "1", b: "2" }),
      trackUpdate({ def: configMaps, manager: "create", now: T0 }, undefined, cm({ a: "1", b: "2" }), undefined),
    );
    const patched = trackUpdate(
      { def: configMaps, manager: "patch", now: T1 },
      created,
      cm({ a: "9", b: "2" }),
      created.metadata.managedFields,
    );
    expect(patched?.map((e) => [e.manager, e.time, e.fieldsV1])).toEqual([
      ["create", T0, { "f:data": { ".": {}, "f:b": {} } }],
      ["patch", T1, { "f:data": { "f:a": {} } }],
    ]);
    const live = withManaged(cm({ a: "9", b: "2" }), patched);
    const again = trackUpdate(
      { def: configMaps, manager: "patch", now: T2 },
      live,
      cm({ a: "9", b: "2", c: "3" }),
      patched,
    );
    expect(again?.find((e) => e.manager === "patch")).toMatchObject({
      time: T2,
      fieldsV1: { "f:data": { "f:a": {}, "f:c": {} } },
    });
    const noop = trackUpdate({ def: configMaps, manager: "patch", now: T2 }, live, cm({ a: "9", b: "2" }), patched);
    expect(noop).toEqual(patched);
    // A removed field is owned by no one any more ("create" still owns the map it created).
    const removed = trackUpdate({ def: configMaps, manager: "other", now: T2 }, live, cm({ a: "9" }), patched);
    expect(removed?.map((e) => [e.manager, e.fieldsV1])).toEqual([
      ["create", { "f:data": {} }],
      ["patch", { "f:data": { "f:a": {} } }],
    ]);
  });

  test("managedFields written by the client replace the stored ones; [{}] resets them; subresources keep the stored ones", () => {
    const live = withManaged(
      cm({ a: "1" }),
      trackUpdate({ def: configMaps, manager: "create", now: T0 }, undefined, cm({ a: "1" }), undefined),
    );
    const rewritten = [
      {
        manager: "kubectl",
        operation: "Apply",
        apiVersion: "v1",
        time: T0,
        fieldsType: "FieldsV1",
        fieldsV1: { "f:data": { "f:a": {} } },
      },
    ];
    expect(trackUpdate({ def: configMaps, manager: "kubectl", now: T1 }, live, cm({ a: "1" }), rewritten)).toEqual(
      rewritten,
    );
    expect(trackUpdate({ def: configMaps, manager: "kubectl", now: T1 }, live, cm({ a: "1" }), [{}])).toBeUndefined();
    expect(trackUpdate({ def: configMaps, manager: "x", now: T1 }, live, cm({ a: "1" }), [{ bad: 1 }])).toEqual(
      live.metadata.managedFields as ManagedFieldsEntry[],
    );
    const status = trackUpdate(
      { def: widgets, subresource: "status", manager: "ctrl", now: T1 },
      widget({ size: 1 }),
      widget({ size: 1 }, { status: { ready: true } }),
      rewritten,
    );
    expect(status).toEqual([
      {
        manager: "ctrl",
        operation: "Update",
        apiVersion: "example.com/v1",
        time: T1,
        fieldsType: "FieldsV1",
        fieldsV1: { "f:status": { ".": {}, "f:ready": {} } },
        subresource: "status",
      },
    ]);
  });

  test("at most 10 update managers: the oldest merge into ancient-changes", () => {
    const m = new Managed();
    for (let i = 0; i < 12; i++) {
      const id = managerIdentifier({ manager: `m${i}`, operation: "Update", apiVersion: "v1" });
      m.fields.set(id, { set: FieldSet.of([{ field: `f${i}` }]), apiVersion: "v1", applied: false });
      m.times.set(id, `2024-01-01T00:00:${String(10 + i)}Z`);
    }
    capUpdateManagers(m);
    const entries = encodeManagedFields(m) as ManagedFieldsEntry[];
    expect(entries.length).toBe(10);
    expect(entries[0]).toMatchObject({
      manager: "ancient-changes",
      time: "2024-01-01T00:00:12Z",
      fieldsV1: { "f:f0": {}, "f:f1": {}, "f:f2": {} },
    });
  });
});

describe("server-side apply", () => {
  const apply = (live: KObject | undefined, config: KObject, manager = "kubectl", force = false, now = T1) =>
    trackApply({ def: configMaps, manager, now }, live, config, force);

  test("creates: the applier owns exactly its configuration", () => {
    const out = apply(undefined, cm({ a: "1" }, { labels: { x: "y" } }));
    expect(out.data).toEqual({ a: "1" });
    expect(out.metadata.managedFields).toEqual([
      {
        manager: "kubectl",
        operation: "Apply",
        apiVersion: "v1",
        time: T1,
        fieldsType: "FieldsV1",
        fieldsV1: { "f:data": { "f:a": {} }, "f:metadata": { "f:labels": { "f:x": {} } } },
      },
    ]);
  });

  test("a conflict names the other manager and field; force takes the field over", () => {
    const live = withManaged(
      cm({ a: "1", b: "2" }),
      trackUpdate(
        { def: configMaps, manager: "kubectl-client-side-apply", now: T0 },
        undefined,
        cm({ a: "1", b: "2" }),
        undefined,
      ),
    );
    const e = statusError(() => apply(live, cm({ a: "9" })));
    expect(e.code).toBe(409);
    expect(e.reason).toBe("Conflict");
    expect(e.message).toBe('Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: .data.a');
    expect(e.details).toEqual({
      causes: [
        {
          reason: "FieldManagerConflict",
          message: 'conflict with "kubectl-client-side-apply" using v1',
          field: ".data.a",
        },
      ],
    });
    const two = statusError(() => apply(live, cm({ a: "9", b: "8" }), "other"));
    expect(two.message).toBe(
      'Apply failed with 2 conflicts: conflicts with "kubectl-client-side-apply" using v1:\n- .data.a\n- .data.b',
    );
    const forced = apply(live, cm({ a: "9" }), "kubectl", true);
    expect(forced.data).toEqual({ a: "9", b: "2" });
    expect(
      forced.metadata.managedFields?.map((e) => [
        (e as ManagedFieldsEntry).manager,
        (e as ManagedFieldsEntry).fieldsV1,
      ]),
    ).toEqual([
      ["kubectl", { "f:data": { "f:a": {} } }],
      ["kubectl-client-side-apply", { "f:data": { ".": {}, "f:b": {} } }],
    ]);
  });

  test("the same value is shared ownership, not a conflict; fields no longer applied are removed unless someone else owns them", () => {
    const first = apply(undefined, cm({ a: "1", b: "2", c: "3" }), "one", false, T0);
    const second = apply(first, cm({ a: "1" }), "two");
    expect(second.metadata.managedFields?.length).toBe(2);
    const third = apply(second, cm({ c: "3" }), "one", false, T2);
    // b is gone (only "one" had it); a stays (still "two"'s); c stays ("one" still applies it).
    expect(third.data).toEqual({ a: "1", c: "3" });
    const { data: _d, ...noData } = cm({});
    const fourth = apply(third, noData as KObject, "one", false, T2);
    expect(fourth.data).toEqual({ a: "1" });
    const last = apply(fourth, noData as KObject, "two", false, T2);
    expect(last.data).toBeUndefined();
    expect(last.metadata.managedFields).toBeUndefined();
    // An applied empty map is owned, and stays.
    expect(apply(third, cm({}), "one", false, T2).data).toEqual({ a: "1" });
  });

  test("list types: sets by value, map lists by key (with defaulted keys), atomic lists replaced", () => {
    const applyW = (live: KObject | undefined, config: KObject, manager: string) =>
      trackApply({ def: widgets, manager, now: T1 }, live, config, false);
    const a = applyW(undefined, widget({ tags: ["x"], args: ["1", "2"], ports: [{ name: "http", port: 80 }] }), "a");
    const b = applyW(a, widget({ tags: ["y"], ports: [{ name: "https", port: 443 }] }), "b");
    expect(b.spec).toEqual({
      tags: ["x", "y"],
      args: ["1", "2"],
      ports: [
        { name: "http", port: 80 },
        { name: "https", port: 443 },
      ],
    });
    const c = applyW(b, widget({ tags: ["y"], ports: [{ name: "https", port: 443 }] }), "a");
    expect(c.spec).toEqual({ tags: ["y"], ports: [{ name: "https", port: 443 }] });
    const e = statusError(() => applyW(b, widget({ args: ["3"] }), "b"));
    expect(e.message).toBe('Apply failed with 1 conflict: conflict with "a": .spec.args');
    const conflictOnItem = statusError(() => applyW(b, widget({ ports: [{ name: "http", port: 81 }] }), "b"));
    expect(conflictOnItem.message).toBe(
      'Apply failed with 1 conflict: conflict with "a": .spec.ports[name="http",protocol="TCP"].port',
    );
  });

  test("status is not the main resource's to own; through /status only status is", () => {
    const out = trackApply(
      { def: widgets, manager: "m", now: T1 },
      undefined,
      widget({ size: 1 }, { status: { ready: true } }),
      false,
    );
    expect((out.metadata.managedFields as ManagedFieldsEntry[])[0]?.fieldsV1).toEqual({ "f:spec": { "f:size": {} } });
    const viaStatus = trackApply(
      { def: widgets, subresource: "status", manager: "m", now: T1 },
      out,
      widget({ size: 5 }, { status: { ready: true } }),
      false,
    );
    expect(viaStatus.metadata.managedFields?.map((e) => (e as ManagedFieldsEntry).fieldsV1)).toContainEqual({
      "f:status": { "f:ready": {} },
    });
  });

  test("objects without managed fields get a before-first-apply owner", () => {
    const e = statusError(() => apply(cm({ a: "1" }, { uid: "u" }), cm({ a: "2" })));
    expect(e.message).toBe('Apply failed with 1 conflict: conflict with "before-first-apply" using v1: .data.a');
  });

  test("kubectl's server-side apply takes over what kubectl applied client-side, and keeps the annotation current", () => {
    const last =
      '{"apiVersion":"v1","data":{"a":"1"},"kind":"ConfigMap","metadata":{"annotations":{},"name":"c","namespace":"default"}}\n';
    const csa = cm({ a: "1", b: "2" }, { annotations: { "kubectl.kubernetes.io/last-applied-configuration": last } });
    const live = withManaged(
      csa,
      trackUpdate({ def: configMaps, manager: "kubectl-client-side-apply", now: T0 }, undefined, csa, undefined),
    );
    const out = apply(live, cm({ a: "10" }));
    expect(out.data).toEqual({ a: "10", b: "2" });
    expect(out.metadata.annotations?.["kubectl.kubernetes.io/last-applied-configuration"]).toBe(
      '{"apiVersion":"v1","data":{"a":"10"},"kind":"ConfigMap","metadata":{"name":"c","namespace":"default"}}\n',
    );
    // b was never in the annotation: still a conflict. Another manager gets no such allowance.
    expect(statusError(() => apply(live, cm({ a: "10", b: "3" }))).message).toBe(
      'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: .data.b',
    );
    expect(statusError(() => apply(live, cm({ a: "10" }), "mine")).code).toBe(409);
  });

  test("a no-op apply keeps the object and the time of unchanged entries", () => {
    const first = apply(undefined, cm({ a: "1" }), "kubectl", false, T0);
    const again = apply(first, cm({ a: "1" }), "kubectl", false, T2);
    expect(again).toEqual(first);
  });

  test("the body must be of the URL's kind and version, without managedFields; unknown fields fail typed conversion (400)", () => {
    expect(statusError(() => checkApplyConfiguration(configMaps, { apiVersion: "v1", kind: "Secret" })).message).toBe(
      "invalid object type: /v1, Kind=Secret",
    );
    expect(statusError(() => checkApplyConfiguration(configMaps, { kind: "ConfigMap" })).message).toBe(
      "invalid object type: /, Kind=ConfigMap",
    );
    expect(
      statusError(() =>
        checkApplyConfiguration(configMaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { managedFields: [] } }),
      ).message,
    ).toBe("metadata.managedFields must be nil");
    const e = statusError(() => apply(undefined, { ...cm({}), spec: { x: 1 } }));
    expect(e.code).toBe(400);
    expect(e.message).toBe(
      "failed to create typed patch object (default/c; /v1, Kind=ConfigMap): .spec: field not declared in schema",
    );
    expect(e.toStatus().reason).toBe("BadRequest");
  });
});

describe("manager names", () => {
  test("default from the User-Agent's product; printable, at most 128 bytes", () => {
    expect(prefixFromUserAgent("kubectl/v1.32.5 (linux/amd64) kubernetes/abc")).toBe("kubectl");
    expect(prefixFromUserAgent("a\u0007b")).toBe("ab");
    expect(prefixFromUserAgent("x".repeat(200)).length).toBe(128);
    expect(prefixFromUserAgent(undefined)).toBe("");
    // Remembered per User-Agent (up to a bound): asked again, and past the bound, the same answers.
    for (let i = 0; i < 300; i++) expect(prefixFromUserAgent(`client-${i}/v1`)).toBe(`client-${i}`);
    for (let i = 0; i < 300; i++) expect(prefixFromUserAgent(`client-${i}/v2`)).toBe(`client-${i}`);
    expect(prefixFromUserAgent("kubectl/v1.32.5 (linux/amd64) kubernetes/abc")).toBe("kubectl");
    expect(validateFieldManager("ok-name")).toEqual([]);
    expect(validateFieldManager("a\tb").map((e) => e.detail)).toEqual(["invalid character U+0009 (at position 1)"]);
  });

  test("the ObjectMeta schema resolves through $ref for custom resources", () => {
    const node = SchemaNode.of(widgets.openAPISchema);
    expect(node.field("metadata")?.field("ownerReferences")?.listMapKeys).toEqual(["uid"]);
    expect(SchemaNode.of(BUILTIN_SCHEMAS["io.k8s.api.core.v1.ServiceAccount"]).field("secrets")?.listType).toBe("map");
  });
});

describe("managedFields of a create with user-chosen keys", () => {
  test("long map keys are not kept after the request (the field-key cache holds short names only)", async () => {
    const { heapSize, fullGC } = await import("bun:jsc");
    const defs = builtinResources({} as never);
    const configmaps = defs.find((d) => d.group === "" && d.plural === "configmaps") as ResourceDef;
    const ctx = {
      cluster: "admin",
      user: { username: "u", groups: [] },
      dryRun: false,
      warnings: [],
      fieldValidation: "Warn",
      fieldManager: "t",
    } as RequestContext;
    fullGC();
    const before = heapSize();
    for (let i = 0; i < 200; i++) {
      const obj = {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "c", namespace: "d" },
        data: { [`${i}-${"k".repeat(100_000)}`]: "v" },
      } as KObject;
      recordManagedFields(configmaps, ctx, undefined, obj, undefined);
      expect(
        Object.keys((obj.metadata.managedFields as { fieldsV1: { "f:data": object } }[])[0]?.fieldsV1["f:data"] ?? {}),
      ).toHaveLength(2);
    }
    fullGC();
    // 200 keys of 100 KB: kept (with their "f:" copies) they would hold 40 MB.
    expect(heapSize() - before).toBeLessThan(10 * 1024 * 1024);
  });
});
