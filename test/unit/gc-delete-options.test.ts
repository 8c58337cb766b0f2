// The delete path's propagation policy (kube's deletionFinalizersForGarbageCollection) through the
// HTTP app without a socket, and the garbage collector over the same real (in-memory SQLite) store.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { finalizersForDeletion } from "../../src/apis/store.ts";
import { Informer } from "../../src/client/informer.ts";
import { CrdController } from "../../src/controllers/crd/crd-controller.ts";
import { GarbageCollector } from "../../src/controllers/gc/garbage-collector.ts";
import { type InMemoryApp, inMemoryApp, TEST_TOKEN } from "../helpers/in-memory-app.ts";

type Obj = Record<string, any>;
const HEADERS = { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json" };
const CMS = "/api/v1/namespaces/default/configmaps";

let app: InMemoryApp;
beforeEach(async () => {
  app = await inMemoryApp();
});
afterEach(async () => {
  await app.close();
});

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Obj }> {
  const res = await app.app.request(path, {
    method,
    headers: method === "PATCH" ? { ...HEADERS, "content-type": "application/merge-patch+json" } : HEADERS,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Obj };
}

async function createCm(name: string, meta: Obj = {}, base = CMS): Promise<Obj> {
  const r = await call("POST", base, { apiVersion: "v1", kind: "ConfigMap", metadata: { name, ...meta } });
  expect(r.status).toBe(201);
  return r.body;
}

const refTo = (o: Obj, block = false) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  name: o.metadata.name,
  uid: o.metadata.uid,
  ...(block ? { blockOwnerDeletion: true } : {}),
});

async function until(what: string, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

const exists = async (path: string) => (await call("GET", path)).status === 200;

describe("finalizersForDeletion", () => {
  test("the policy chooses the collector's finalizer; no policy changes nothing", () => {
    expect(finalizersForDeletion(undefined, {})).toBeUndefined();
    expect(finalizersForDeletion(["orphan"], {})).toBeUndefined();
    expect(finalizersForDeletion(undefined, { propagationPolicy: "Background" })).toBeUndefined();
    expect(finalizersForDeletion(["x"], { propagationPolicy: "Foreground" })).toEqual(["x", "foregroundDeletion"]);
    expect(finalizersForDeletion(["foregroundDeletion"], { propagationPolicy: "Orphan" })).toEqual(["orphan"]);
    expect(finalizersForDeletion(["orphan", "x"], { orphanDependents: false })).toEqual(["x"]);
    expect(finalizersForDeletion([], { orphanDependents: true })).toEqual(["orphan"]);
    expect(finalizersForDeletion(["orphan"], { propagationPolicy: "Orphan" })).toBeUndefined();
  });
});

describe("DELETE with a propagation policy", () => {
  test("background (and no policy) deletes at once; foreground and orphan mark the object", async () => {
    await createCm("bg");
    expect((await call("DELETE", `${CMS}/bg?propagationPolicy=Background`)).status).toBe(200);
    expect(await exists(`${CMS}/bg`)).toBe(false);
    await createCm("fg");
    const fg = await call("DELETE", `${CMS}/fg`, { kind: "DeleteOptions", propagationPolicy: "Foreground" });
    expect(fg.body.metadata.finalizers).toEqual(["foregroundDeletion"]);
    expect(fg.body.metadata.deletionTimestamp).toBeString();
    // A second delete may change the policy of an object already being deleted.
    const or = await call("DELETE", `${CMS}/fg?propagationPolicy=Orphan`);
    expect(or.body.metadata.finalizers).toEqual(["orphan"]);
    // …and Background removes the collector's finalizer: nothing else holds it, it goes.
    expect((await call("DELETE", `${CMS}/fg?propagationPolicy=Background`)).status).toBe(200);
    expect(await exists(`${CMS}/fg`)).toBe(false);
  });

  test("dry run marks nothing; both policies at once and unknown ones are refused", async () => {
    await createCm("dry");
    const dry = await call("DELETE", `${CMS}/dry?propagationPolicy=Foreground&dryRun=All`);
    expect(dry.body.metadata.finalizers).toEqual(["foregroundDeletion"]);
    expect((await call("GET", `${CMS}/dry`)).body.metadata.finalizers).toBeUndefined();
    const both = await call("DELETE", `${CMS}/dry`, { propagationPolicy: "Orphan", orphanDependents: true });
    expect(both.status).toBe(422);
    expect(both.body.details.causes[0]).toEqual({
      reason: "FieldValueInvalid",
      message: "Invalid value: true: OrphanDependents and DeletionPropagation cannot be both set",
      field: "orphanDependents",
    });
    expect((await call("DELETE", `${CMS}/dry?propagationPolicy=Sideways`)).status).toBe(422);
    expect(await exists(`${CMS}/dry`)).toBe(true);
  });
});

describe("an informer that decodes only accepted writes", () => {
  test("a write is seen when its new or previous JSON is accepted; deletes always", async () => {
    const def = app.deps.registry.lookup("admin", "", "v1", "configmaps");
    if (!def) throw new Error("no configmaps");
    const calls: string[] = [];
    const informer = new Informer(app.deps.store, def, {
      name: "accepting",
      // As the collector's: the previous JSON counts too, so an object that stops matching is seen once more.
      accepts: (value, prev) => value.includes('"keep"') || (prev?.includes('"keep"') ?? false),
      onAdd: (o) => calls.push(`add ${o.metadata.name}`),
      onUpdate: (_o, n) => calls.push(`update ${n.metadata.name} ${(n.data as Obj | undefined)?.v}`),
      onDelete: (o) => calls.push(`delete ${o.metadata.name}`),
    });
    await informer.start();
    try {
      await call("POST", CMS, {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "skipped" },
        data: { v: "other" },
      });
      await call("POST", CMS, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "kept" }, data: { v: "keep" } });
      await call("PATCH", `${CMS}/kept`, { data: { v: "changed" } });
      await call("PATCH", `${CMS}/kept`, { data: { v: "again" } });
      await call("DELETE", `${CMS}/skipped`);
      await until("the delete", async () => calls.includes("delete skipped"));
      expect(calls).toEqual(["add kept", "update kept changed", "delete skipped"]);
      expect(informer.get("default", "skipped", "admin")).toBeUndefined();
    } finally {
      informer.stop();
    }
  });
});

describe("an informer that lists in pages", () => {
  test("every object of the snapshot arrives, then the watch goes on from it", async () => {
    const def = app.deps.registry.lookup("admin", "", "v1", "configmaps");
    if (!def) throw new Error("no configmaps");
    for (let i = 0; i < 7; i++) await createCm(`p${i}`);
    const added: string[] = [];
    // The store, counting its list calls: 7 objects in pages of 2 are 4 lists.
    const store = app.deps.store;
    let lists = 0;
    const counting = Object.create(store) as typeof store;
    counting.list = (...args: Parameters<typeof store.list>) => {
      lists++;
      return store.list(...args);
    };
    const informer = new Informer(counting, def, {
      name: "paged",
      pageSize: 2,
      onAdd: (o) => added.push(o.metadata.name as string),
    });
    await informer.start();
    try {
      expect(added.sort()).toEqual(["p0", "p1", "p2", "p3", "p4", "p5", "p6"]);
      expect(lists).toBe(4);
      await createCm("p7");
      await until("the watch to deliver p7", async () => added.includes("p7"));
      expect(added.length).toBe(8);
    } finally {
      informer.stop();
    }
  });
});

describe("the collector over the in-memory store", () => {
  test("a reference resolves only to the object it names in the dependent's namespace and scope", async () => {
    expect((await call("POST", "/api/v1/namespaces", { metadata: { name: "other" } })).status).toBe(201);
    const gc = new GarbageCollector(app.deps.store, app.deps.registry);
    await gc.start();
    try {
      const anchor = await createCm("anchor");
      // An owner the graph holds (it has an owner itself), named from another namespace: there the
      // reference is dangling, as in kube, and its dependent is collected.
      const held = await createCm("held", { ownerReferences: [refTo(anchor)] });
      const OTHER = "/api/v1/namespaces/other/configmaps";
      await createCm("across", { ownerReferences: [refTo(held)] }, OTHER);
      await until("the cross-namespace dependent to go", async () => !(await exists(`${OTHER}/across`)));
      expect(await exists(`${CMS}/held`)).toBe(true);
      // A cluster-scoped object naming a namespaced owner: never collected through it, and it does
      // not hold up that owner's foreground deletion.
      const owner = await createCm("ns-owner");
      const ns = await call("POST", "/api/v1/namespaces", {
        metadata: { name: "victim", ownerReferences: [refTo(owner, true)] },
      });
      expect(ns.status).toBe(201);
      expect((await call("DELETE", `${CMS}/ns-owner?propagationPolicy=Foreground`)).status).toBe(200);
      await until("the foreground owner to go", async () => !(await exists(`${CMS}/ns-owner`)));
      const victim = await call("GET", "/api/v1/namespaces/victim");
      expect(victim.status).toBe(200);
      expect(victim.body.metadata.deletionTimestamp).toBeUndefined();
    } finally {
      gc.stop();
    }
  });

  test("an owner the graph does not hold is read once for its dependents, not once each", async () => {
    const store = app.deps.store;
    let ownerReads = 0;
    const counting = Object.create(store) as typeof store;
    counting.tryGet = async (...args: Parameters<typeof store.tryGet>) => {
      if (args[3] === "boss") ownerReads++;
      return store.tryGet(...args);
    };
    const gc = new GarbageCollector(counting, app.deps.registry);
    await gc.start();
    try {
      // No owner references of its own: the collector never decodes it from its watch.
      const boss = await createCm("boss");
      await createCm("first", { ownerReferences: [refTo(boss)] });
      await until("the owner's node to be filled by the read", async () => {
        return gc.graph.node("admin", boss.metadata.uid)?.virtual === false;
      });
      expect(ownerReads).toBe(1);
      for (let i = 0; i < 20; i++) await createCm(`staff-${i}`, { ownerReferences: [refTo(boss)] });
      await until(
        "the graph to hold them",
        async () => gc.graph.node("admin", boss.metadata.uid)?.dependentCount === 21,
      );
      await Bun.sleep(200);
      expect(ownerReads).toBe(1);
      // The owner goes: its deletion is seen from the watch, and every dependent is collected.
      expect((await call("DELETE", `${CMS}/boss`)).status).toBe(200);
      await until("the dependents to go", async () => {
        const list = await call("GET", CMS);
        return !(list.body.items as Obj[]).some((o) => o.metadata.ownerReferences);
      });
      expect(gc.graph.size).toBe(0);
    } finally {
      gc.stop();
    }
  });

  test("a dependent changed between the collector's read and its delete is decided again, not deleted", async () => {
    // The collector's store pauses its read of the owner `a`, so that the dependent can be
    // re-parented in between (a real store underneath: only the timing is arranged).
    const store = app.deps.store;
    let release: (() => void) | undefined;
    let paused = false;
    const pausing = Object.create(store) as typeof store;
    pausing.tryGet = async (...args: Parameters<typeof store.tryGet>) => {
      if (args[3] === "a" && !paused) {
        paused = true;
        await new Promise<void>((resolve) => {
          release = resolve;
        });
      }
      return store.tryGet(...args);
    };
    const gc = new GarbageCollector(pausing, app.deps.registry);
    await gc.start();
    try {
      const a = await createCm("a");
      const b = await createCm("b");
      await createCm("d", { ownerReferences: [refTo(a)] });
      await until("the graph to hold d", async () => gc.graph.size > 0);
      expect((await call("DELETE", `${CMS}/a`)).status).toBe(200);
      await until("the collector to read a", async () => release !== undefined);
      const res = await app.app.request(`${CMS}/d`, {
        method: "PATCH",
        headers: { ...HEADERS, "content-type": "application/merge-patch+json" },
        body: JSON.stringify({ metadata: { ownerReferences: [refTo(b)] } }),
      });
      expect(res.status).toBe(200);
      release?.();
      await Bun.sleep(300);
      const d = await call("GET", `${CMS}/d`);
      expect(d.status).toBe(200);
      expect(d.body.metadata.ownerReferences.map((r: Obj) => r.name)).toEqual(["b"]);
    } finally {
      gc.stop();
    }
  });

  test("a CRD served by webhook conversion in another version does not stop the collector", async () => {
    const crdDef = app.deps.registry.lookup("admin", "apiextensions.k8s.io", "v1", "customresourcedefinitions");
    if (!crdDef) throw new Error("no CRD resource");
    const crds = new CrdController(app.deps.store, app.deps.registry, crdDef);
    await crds.start();
    const gc = new GarbageCollector(app.deps.store, app.deps.registry);
    try {
      const schema = { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } };
      const crd = await call("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", {
        metadata: { name: "widgets.example.com" },
        spec: {
          group: "example.com",
          scope: "Namespaced",
          names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList" },
          conversion: {
            strategy: "Webhook",
            webhook: { clientConfig: { url: "https://convert.example.com/" }, conversionReviewVersions: ["v1"] },
          },
          // The first served version is not the storage version: reading through it needs the webhook.
          versions: [
            { name: "v1", served: true, storage: false, schema },
            { name: "v2", served: true, storage: true, schema },
          ],
        },
      });
      expect(crd.status).toBe(201);
      const widgets = "/apis/example.com/v2/namespaces/default/widgets";
      await until("widgets to be served", async () => (await call("GET", widgets)).status === 200);
      expect((await call("POST", widgets, { metadata: { name: "w" } })).status).toBe(201);
      await gc.start();
      expect(gc.synced()).toBe(true);
      const owner = await createCm("fg-owner");
      await createCm("fg-dep", { ownerReferences: [refTo(owner, true)] });
      await call("DELETE", `${CMS}/fg-owner?propagationPolicy=Foreground`);
      await until("the foreground owner to go", async () => !(await exists(`${CMS}/fg-owner`)));
      expect(await exists(`${CMS}/fg-dep`)).toBe(false);
    } finally {
      gc.stop();
      crds.stop();
    }
  });

  test("chains, owners in other logical clusters, uid mismatch, orphan and foreground", async () => {
    const gc = new GarbageCollector(app.deps.store, app.deps.registry);
    await gc.start();
    try {
      expect(gc.synced()).toBe(true);
      const a = await createCm("a");
      const b = await createCm("b", { ownerReferences: [refTo(a, true)] });
      await createCm("c", { ownerReferences: [refTo(b, true)] });
      // The same uid in another logical cluster is not the owner: that dependent is collected at once.
      const other = "/clusters/other/api/v1/namespaces/default/configmaps";
      await createCm("a", {}, other);
      await createCm("foreign", { ownerReferences: [refTo(a)] }, other);
      await until("the foreign dependent to go", async () => !(await exists(`${other}/foreign`)));
      // A reference naming a live object under another uid is dangling.
      await createCm("stale", { ownerReferences: [{ ...refTo(a), uid: "not-a" }] });
      await until("the stale dependent to go", async () => !(await exists(`${CMS}/stale`)));
      expect(await exists(`${CMS}/c`)).toBe(true);
      expect(await exists(`${other}/a`)).toBe(true);

      // Foreground down the chain: a waits for b, which waits for c.
      expect((await call("DELETE", `${CMS}/a?propagationPolicy=Foreground`)).status).toBe(200);
      await until("the chain to go", async () => !(await exists(`${CMS}/a`)));
      expect(await exists(`${CMS}/b`)).toBe(false);
      expect(await exists(`${CMS}/c`)).toBe(false);
      expect(gc.graph.size).toBe(0);

      // Orphan: the dependent stays without the reference.
      const o = await createCm("o");
      await createCm("kid", { ownerReferences: [refTo(o)] });
      await call("DELETE", `${CMS}/o?propagationPolicy=Orphan`);
      await until("the orphaning owner to go", async () => !(await exists(`${CMS}/o`)));
      expect((await call("GET", `${CMS}/kid`)).body.metadata.ownerReferences).toBeUndefined();

      // An owner without dependents (no node in the graph) is finished too, whatever the policy.
      for (const policy of ["Foreground", "Orphan"]) {
        await createCm(`lone-${policy.toLowerCase()}`);
        await call("DELETE", `${CMS}/lone-${policy.toLowerCase()}?propagationPolicy=${policy}`);
        await until(
          `the lone ${policy} owner to go`,
          async () => !(await exists(`${CMS}/lone-${policy.toLowerCase()}`)),
        );
      }
      expect(gc.graph.size).toBe(0);

      // A cycle (x owns y owns x, both blocking) deleted in foreground does not wait for itself.
      const x = await createCm("x");
      const y = await createCm("y", { ownerReferences: [refTo(x, true)] });
      const put = await call("PUT", `${CMS}/x`, {
        ...x,
        metadata: { ...x.metadata, ownerReferences: [refTo(y, true)] },
      });
      expect(put.status).toBe(200);
      await call("DELETE", `${CMS}/x?propagationPolicy=Foreground`);
      await until("the cycle to go", async () => !(await exists(`${CMS}/x`)) && !(await exists(`${CMS}/y`)));
      expect(gc.graph.size).toBe(0);
    } finally {
      gc.stop();
    }
  });
});
