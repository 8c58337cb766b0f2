// core/v1 and events.k8s.io/v1 Events are two views of one set of objects, as in kube: the mapping
// between the two shapes round-trips, and over HTTP (the real app on a real SQLite store) an event
// written through either API is read, listed, watched, patched and deleted through the other, each
// in its own version, with each API's field selectors.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { eventToCoreV1, eventToEventsV1 } from "../../src/apis/builtin/event-conversion.ts";
import type { KObject } from "../../src/apis/types.ts";
import { type InMemoryApp, inMemoryApp, TEST_TOKEN } from "../helpers/in-memory-app.ts";
import { WatchStream } from "../helpers/watch-stream.ts";

type Obj = any;

const CORE = "/api/v1/namespaces/default/events";
const V1 = "/apis/events.k8s.io/v1/namespaces/default/events";
const auth = { authorization: `Bearer ${TEST_TOKEN}` };

const coreShape = {
  apiVersion: "v1",
  kind: "Event",
  metadata: { name: "e", namespace: "default", uid: "u-1", resourceVersion: "7", managedFields: [{ manager: "m" }] },
  involvedObject: { kind: "ConfigMap", namespace: "default", name: "cfg" },
  reason: "Synced",
  message: "all good",
  source: { component: "ctl", host: "h" },
  firstTimestamp: "2026-01-01T00:00:00Z",
  lastTimestamp: "2026-01-01T00:01:00Z",
  count: 3,
  type: "Normal",
  eventTime: "2026-01-01T00:00:00.000001Z",
  series: { count: 2, lastObservedTime: "2026-01-01T00:01:00.000001Z" },
  action: "Sync",
  related: { kind: "Secret", name: "s" },
  reportingComponent: "ctl",
  reportingInstance: "ctl-1",
};

const v1Shape = {
  apiVersion: "events.k8s.io/v1",
  kind: "Event",
  metadata: coreShape.metadata,
  regarding: coreShape.involvedObject,
  reason: "Synced",
  note: "all good",
  deprecatedSource: coreShape.source,
  deprecatedFirstTimestamp: coreShape.firstTimestamp,
  deprecatedLastTimestamp: coreShape.lastTimestamp,
  deprecatedCount: 3,
  type: "Normal",
  eventTime: coreShape.eventTime,
  series: coreShape.series,
  action: "Sync",
  related: coreShape.related,
  reportingController: "ctl",
  reportingInstance: "ctl-1",
};

describe("the Event mapping", () => {
  test("core/v1 → events.k8s.io/v1 renames kube's fields and keeps the rest", () => {
    expect(eventToEventsV1(structuredClone(coreShape) as KObject)).toEqual(v1Shape as KObject);
  });

  test("events.k8s.io/v1 → core/v1 is its inverse", () => {
    expect(eventToCoreV1(structuredClone(v1Shape) as KObject)).toEqual(coreShape as KObject);
  });

  test("keys named after Object.prototype's members are kept as they are, never renamed or made a prototype", () => {
    const hostile = JSON.parse(
      '{"apiVersion":"v1","kind":"Event","metadata":{"name":"x"},"constructor":1,"toString":2,"__proto__":{"polluted":true}}',
    ) as KObject;
    const v1 = eventToEventsV1(hostile);
    expect(Object.keys(v1)).toEqual(["apiVersion", "kind", "metadata", "constructor", "toString", "__proto__"]);
    expect(Object.getPrototypeOf(v1)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(v1, "constructor")?.value).toBe(1);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(eventToCoreV1(v1))).toEqual([
      "apiVersion",
      "kind",
      "metadata",
      "constructor",
      "toString",
      "__proto__",
    ]);
  });

  test("round trips both ways, absent fields staying absent", () => {
    const sparseCore = { apiVersion: "v1", kind: "Event", metadata: { name: "x" }, involvedObject: {}, count: 0 };
    expect(eventToCoreV1(eventToEventsV1(structuredClone(sparseCore) as KObject))).toEqual(sparseCore as KObject);
    const sparseV1 = { apiVersion: "events.k8s.io/v1", kind: "Event", metadata: { name: "x" }, note: "n" };
    expect(eventToEventsV1(eventToCoreV1(structuredClone(sparseV1) as KObject))).toEqual(sparseV1 as KObject);
    expect(Object.keys(eventToEventsV1(structuredClone(sparseCore) as KObject))).toEqual([
      "apiVersion",
      "kind",
      "metadata",
      "regarding",
      "deprecatedCount",
    ]);
  });
});

let a: InMemoryApp;
beforeEach(async () => {
  a = await inMemoryApp();
});
afterEach(async () => {
  await a.close();
});

async function call(method: string, path: string, body?: unknown, contentType = "application/json") {
  const res = await a.app.request(path, {
    method,
    headers: { ...auth, "content-type": contentType },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Obj) : undefined };
}

/** A new-style event, as a controller writes it through events.k8s.io/v1. */
function newStyle(name: string, regardingName = "cfg"): Obj {
  return {
    apiVersion: "events.k8s.io/v1",
    kind: "Event",
    metadata: { name, namespace: "default" },
    eventTime: "2026-01-01T00:00:00.000000Z",
    reportingController: "example.com/ctl",
    reportingInstance: "ctl-1",
    action: "Sync",
    reason: "Synced",
    type: "Normal",
    note: "synced it",
    regarding: { kind: "ConfigMap", namespace: "default", name: regardingName },
  };
}

/** An old-style event, as `kubectl` or a legacy recorder writes it through core/v1. */
function oldStyle(name: string, kind = "Pod"): Obj {
  return {
    apiVersion: "v1",
    kind: "Event",
    metadata: { name, namespace: "default" },
    involvedObject: { kind, namespace: "default", name: "p" },
    reason: "Started",
    message: "started it",
    source: { component: "kubelet" },
    firstTimestamp: "2026-01-01T00:00:00Z",
    lastTimestamp: "2026-01-01T00:00:00Z",
    count: 1,
    type: "Normal",
  };
}

const CORE_ONLY = [
  "involvedObject",
  "message",
  "source",
  "firstTimestamp",
  "lastTimestamp",
  "count",
  "reportingComponent",
];
const V1_ONLY = [
  "regarding",
  "note",
  "deprecatedSource",
  "deprecatedFirstTimestamp",
  "deprecatedLastTimestamp",
  "deprecatedCount",
  "reportingController",
];
const expectCoreForm = (o: Obj) => {
  expect(o.apiVersion).toBe("v1");
  for (const f of V1_ONLY) expect(o).not.toHaveProperty(f);
};
const expectV1Form = (o: Obj) => {
  expect(o.apiVersion).toBe("events.k8s.io/v1");
  for (const f of CORE_ONLY) expect(o).not.toHaveProperty(f);
};

describe("one Events store over HTTP", () => {
  test("an event created through events.k8s.io/v1 is the same object through core/v1", async () => {
    const created = await call("POST", V1, newStyle("n1"));
    expect(created.status).toBe(201);
    expectV1Form(created.body);
    const got = await call("GET", `${CORE}/n1`);
    expect(got.status).toBe(200);
    expectCoreForm(got.body);
    expect(got.body.involvedObject).toEqual({ kind: "ConfigMap", namespace: "default", name: "cfg" });
    expect(got.body.message).toBe("synced it");
    expect(got.body.reportingComponent).toBe("example.com/ctl");
    expect(got.body.metadata.uid).toBe(created.body.metadata.uid);
    expect(got.body.metadata.resourceVersion).toBe(created.body.metadata.resourceVersion);
    expect(got.body.metadata.managedFields).toEqual(created.body.metadata.managedFields);
    // Reading it back through its own API gives what the create answered.
    expect((await call("GET", `${V1}/n1`)).body).toEqual(created.body);
  });

  test("an event created through core/v1 is listed through events.k8s.io/v1 in that version", async () => {
    expect((await call("POST", CORE, oldStyle("o1"))).status).toBe(201);
    for (const path of [
      V1,
      `${V1}?limit=10`,
      "/apis/events.k8s.io/v1/events",
      "/clusters/*/apis/events.k8s.io/v1/events",
    ]) {
      const list = await call("GET", path);
      expect(list.status).toBe(200);
      expect(list.body.kind).toBe("EventList");
      expect(list.body.items).toHaveLength(1);
      const item = list.body.items[0];
      expectV1Form(item);
      expect(item.regarding).toEqual({ kind: "Pod", namespace: "default", name: "p" });
      expect(item.note).toBe("started it");
      expect(item.deprecatedSource).toEqual({ component: "kubelet" });
      expect(item.deprecatedCount).toBe(1);
      expect(item.deprecatedFirstTimestamp).toBe("2026-01-01T00:00:00Z");
    }
    // And the core list (the stored form's fast path) still serves core/v1 only.
    expect((await call("POST", V1, newStyle("n1"))).status).toBe(201);
    for (const path of [CORE, `${CORE}?limit=10`, "/clusters/*/api/v1/events"]) {
      const list = await call("GET", path);
      expect(list.body.items.map((i: Obj) => i.metadata.name)).toEqual(["n1", "o1"]);
      for (const i of list.body.items) expectCoreForm(i);
    }
  });

  test("each API's field selectors work on events written through the other", async () => {
    await call("POST", V1, newStyle("n1", "one"));
    await call("POST", V1, newStyle("n2", "two"));
    await call("POST", CORE, oldStyle("o1", "Pod"));
    await call("POST", CORE, oldStyle("o2", "Node"));
    const names = async (path: string) => (await call("GET", path)).body.items.map((i: Obj) => i.metadata.name);
    expect(await names(`${CORE}?fieldSelector=involvedObject.name%3Dtwo`)).toEqual(["n2"]);
    expect(await names(`${CORE}?fieldSelector=involvedObject.kind%3DNode`)).toEqual(["o2"]);
    expect(await names(`${CORE}?fieldSelector=reportingComponent%3Dexample.com%2Fctl`)).toEqual(["n1", "n2"]);
    expect(await names(`${V1}?fieldSelector=regarding.kind%3DPod`)).toEqual(["o1"]);
    expect(await names(`${V1}?fieldSelector=regarding.name%3Done`)).toEqual(["n1"]);
    expect(await names(`${V1}?fieldSelector=reportingController%3Dexample.com%2Fctl&limit=5`)).toEqual(["n1", "n2"]);
  });

  test("watches of either API see writes through the other, each in its own version", async () => {
    const rv = (await call("GET", CORE)).body.metadata.resourceVersion;
    const open = async (path: string) => {
      const sep = path.includes("?") ? "&" : "?";
      const res = await a.app.request(`${path}${sep}watch=1&resourceVersion=${rv}`, { headers: auth });
      expect(res.status).toBe(200);
      return new WatchStream(res);
    };
    const coreWatch = await open(CORE);
    const v1Watch = await open(V1);
    const selected = await open(`${V1}?fieldSelector=regarding.kind%3DNode`);
    expect((await call("POST", CORE, oldStyle("o1", "Node"))).status).toBe(201);
    expect((await call("POST", V1, newStyle("n1"))).status).toBe(201);
    const patched = await call(
      "PATCH",
      `${CORE}/o1`,
      { message: "restarted", count: 2 },
      "application/merge-patch+json",
    );
    expect(patched.status).toBe(200);
    expect((await call("DELETE", `${V1}/o1`)).status).toBe(200);

    const c = await coreWatch.take(4);
    expect(c.map((e) => [e.type, e.object.metadata.name])).toEqual([
      ["ADDED", "o1"],
      ["ADDED", "n1"],
      ["MODIFIED", "o1"],
      ["DELETED", "o1"],
    ]);
    for (const e of c) expectCoreForm(e.object);
    expect(c[1]?.object.message).toBe("synced it");

    const v = await v1Watch.take(4);
    expect(v.map((e) => [e.type, e.object.metadata.name])).toEqual(c.map((e) => [e.type, e.object.metadata.name]));
    for (const e of v) expectV1Form(e.object);
    expect(v[2]?.object.note).toBe("restarted");
    expect(v[2]?.object.deprecatedCount).toBe(2);
    expect(v[2]?.object.metadata.resourceVersion).toBe(patched.body.metadata.resourceVersion);

    const s = await selected.take(3);
    expect(s.map((e) => [e.type, e.object.metadata.name, e.object.regarding.kind])).toEqual([
      ["ADDED", "o1", "Node"],
      ["MODIFIED", "o1", "Node"],
      ["DELETED", "o1", "Node"],
    ]);
    for (const w of [coreWatch, v1Watch, selected]) w.close();
  });

  test("patches through either API change the one object", async () => {
    await call("POST", V1, newStyle("n1"));
    // core/v1: a strategic merge patch of the core field names.
    const smp = await call(
      "PATCH",
      `${CORE}/n1`,
      { metadata: { labels: { a: "b" } }, message: "via core" },
      "application/strategic-merge-patch+json",
    );
    expect(smp.status).toBe(200);
    expect(smp.body.message).toBe("via core");
    const v1 = await call("GET", `${V1}/n1`);
    expect(v1.body.note).toBe("via core");
    expect(v1.body.metadata.labels).toEqual({ a: "b" });
    // events.k8s.io/v1: a series may grow (the strict update rules), through a strategic merge patch.
    const grow = await call(
      "PATCH",
      `${V1}/n1`,
      { series: { count: 2, lastObservedTime: "2026-01-01T00:05:00.000000Z" } },
      "application/strategic-merge-patch+json",
    );
    expect(grow.status).toBe(200);
    expect((await call("GET", `${CORE}/n1`)).body.series).toEqual({
      count: 2,
      lastObservedTime: "2026-01-01T00:05:00.000000Z",
    });
    // The strict rules still hold for updates through events.k8s.io/v1, whatever wrote before.
    const bad = await call("PATCH", `${V1}/n1`, { note: "changed" }, "application/merge-patch+json");
    expect(bad.status).toBe(422);
    expect(bad.body.details.causes[0].field).toBe("message");
    // Server-side apply through core/v1 of an event created through events.k8s.io/v1: message is
    // owned by the strategic merge patch's manager, so it conflicts until forced.
    const body = JSON.stringify({ apiVersion: "v1", kind: "Event", metadata: { name: "n1" }, message: "applied" });
    const conflict = await call("PATCH", `${CORE}/n1?fieldManager=tester`, body, "application/apply-patch+yaml");
    expect(conflict.status).toBe(409);
    expect(conflict.body.details.causes[0].field).toBe(".message");
    const applied = await call(
      "PATCH",
      `${CORE}/n1?fieldManager=tester&force=true`,
      body,
      "application/apply-patch+yaml",
    );
    expect(applied.status).toBe(200);
    expect((await call("GET", `${V1}/n1`)).body.note).toBe("applied");
    const managers = (await call("GET", `${V1}/n1`)).body.metadata.managedFields.map((m: Obj) => m.manager);
    expect(managers).toContain("tester");
  });

  test("a PUT through events.k8s.io/v1 of an event created through core/v1 keeps the core fields it maps", async () => {
    await call("POST", CORE, oldStyle("o1"));
    const cur = (await call("GET", `${V1}/o1`)).body;
    const put = await call("PUT", `${V1}/o1`, { ...cur, metadata: { ...cur.metadata, labels: { x: "y" } } });
    expect(put.status).toBe(200);
    const core = (await call("GET", `${CORE}/o1`)).body;
    expect(core.metadata.labels).toEqual({ x: "y" });
    expect(core.source).toEqual({ component: "kubelet" });
    expect(core.count).toBe(1);
    expect(core.involvedObject.kind).toBe("Pod");
  });

  test("delete and deletecollection through one API remove the events the other wrote", async () => {
    await call("POST", V1, newStyle("n1"));
    await call("POST", CORE, oldStyle("o1"));
    await call("POST", CORE, oldStyle("o2"));
    expect((await call("DELETE", `${CORE}/n1`)).status).toBe(200);
    expect((await call("GET", `${V1}/n1`)).status).toBe(404);
    expect((await call("DELETE", `${V1}?fieldSelector=regarding.kind%3DPod`)).status).toBe(200);
    expect((await call("GET", CORE)).body.items).toEqual([]);
  });

  test("a server-side apply through events.k8s.io/v1 creates the event core/v1 serves", async () => {
    const applied = await call(
      "PATCH",
      `${V1}/n1?fieldManager=ctl`,
      JSON.stringify(newStyle("n1")),
      "application/apply-patch+yaml",
    );
    expect(applied.status).toBe(201);
    expectV1Form(applied.body);
    const entry = applied.body.metadata.managedFields[0];
    expect([entry.manager, entry.operation, entry.apiVersion]).toEqual(["ctl", "Apply", "events.k8s.io/v1"]);
    expect(entry.fieldsV1).toHaveProperty("f:note");
    const core = (await call("GET", `${CORE}/n1`)).body;
    expectCoreForm(core);
    expect(core.message).toBe("synced it");
    // managedFields are the object's, not converted: kube keeps each entry in its own apiVersion.
    expect(core.metadata.managedFields).toEqual(applied.body.metadata.managedFields);
    // A dry-run create through events.k8s.io/v1 answers in that version and stores nothing.
    const dry = await call("POST", `${V1}?dryRun=All`, newStyle("n2"));
    expect(dry.status).toBe(201);
    expectV1Form(dry.body);
    expect((await call("GET", `${CORE}/n2`)).status).toBe(404);
  });

  test("discovery gives both the storage version hash of core/v1 Event, as kube does", async () => {
    const hash = async (path: string) =>
      (await call("GET", path)).body.resources.find((r: Obj) => r.name === "events").storageVersionHash;
    expect(await hash("/apis/events.k8s.io/v1")).toBe("r2yiGXH7wu8=");
    expect(await hash("/api/v1")).toBe("r2yiGXH7wu8=");
  });

  test("a name taken through one API is taken through the other", async () => {
    await call("POST", CORE, oldStyle("same"));
    const dup = await call("POST", V1, newStyle("same"));
    expect(dup.status).toBe(409);
    expect(dup.body.reason).toBe("AlreadyExists");
  });
});
