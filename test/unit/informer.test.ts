// The in-process informer (client/informer.ts) over a real SQLite store: the initial list as
// onAdd, changes as onUpdate(old, new) and onDelete, one cluster or all, and after the watch is
// lost a relist whose diff against the cache synthesises the deletes and adds missed in the gap.
// The watch is lost for real: the store drops a watcher whose queue exceeds maxWatcherQueue (1
// here), which two writes committed in one batch do.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { builtinResources } from "../../src/apis/builtin/index.ts";
import { encodeObject } from "../../src/apis/object-codec.ts";
import { ResourceRegistry } from "../../src/apis/registry.ts";
import { ObjectStore } from "../../src/apis/store.ts";
import type { KObject, ResourceDef } from "../../src/apis/types.ts";
import { AllowAllAuthorizer } from "../../src/auth/allow-all-authorizer.ts";
import { adminUser, StaticTokenAuthenticator } from "../../src/auth/token-authenticator.ts";
import { Informer, type InformerOptions } from "../../src/client/informer.ts";
import { requestContext } from "../../src/server/rest/request-context.ts";
import { DEFAULT_PREFIX } from "../../src/storage/keys.ts";
import { SqliteStorage } from "../../src/storage/sqlite/sqlite-storage.ts";
import { waitFor } from "../storage/suite.ts";

let dir: string;
let storage: SqliteStorage;
let store: ObjectStore;
let configmaps: ResourceDef;
const informers: Informer[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "kcp-informer-"));
  storage = SqliteStorage.open(join(dir, "kcp.db"), { maxWatcherQueue: 1 });
  const authenticator = new StaticTokenAuthenticator([{ token: "t".repeat(43), user: adminUser() }]);
  const registry = new ResourceRegistry(builtinResources({ authenticator, authorizer: new AllowAllAuthorizer() }));
  configmaps = registry.lookup("admin", "", "v1", "configmaps") as ResourceDef;
  store = new ObjectStore(storage, DEFAULT_PREFIX);
});

afterAll(async () => {
  for (const i of informers) i.stop();
  await storage?.close();
  rmSync(dir, { recursive: true, force: true });
});

const ctx = (cluster: string) => requestContext(cluster, adminUser(), new URLSearchParams(), "default");

function create(cluster: string, name: string, v = "0"): Promise<KObject> {
  return store.create(configmaps, ctx(cluster), { metadata: { name }, data: { v } } as KObject, "default");
}

async function setData(cluster: string, name: string, v: string): Promise<KObject> {
  const { object } = await store.update(configmaps, ctx(cluster), "default", name, (cur) => ({ ...cur, data: { v } }));
  return object;
}

/** An informer whose handler calls are recorded as "add a/x", "update a/x 0→1", "delete a/x". */
function recorded(opts: Partial<InformerOptions> = {}): { informer: Informer; calls: string[] } {
  const calls: string[] = [];
  const data = (o: KObject) => (o.data as Record<string, string> | undefined)?.v;
  const informer = new Informer(store, configmaps, {
    name: "test informer",
    ...opts,
    onAdd: (obj, cluster) => calls.push(`add ${cluster}/${obj.metadata.name}`),
    onUpdate: (old, obj, cluster) => calls.push(`update ${cluster}/${obj.metadata.name} ${data(old)}→${data(obj)}`),
    onDelete: (obj, cluster) => calls.push(`delete ${cluster}/${obj.metadata.name}`),
  });
  informers.push(informer);
  return { informer, calls };
}

test("the initial list is an onAdd per object, across all clusters; then updates and deletes", async () => {
  await create("a", "x");
  await create("b", "y");
  const { informer, calls } = recorded();
  expect(informer.hasSynced()).toBe(false);
  await informer.start();
  expect(informer.hasSynced()).toBe(true);
  expect(informer.isCurrent()).toBe(true);
  expect(calls.sort()).toEqual(["add a/x", "add b/y"]);
  expect(informer.get("default", "x", "a")?.metadata.name).toBe("x");
  expect(informer.get("default", "x", "b")).toBeUndefined();
  expect(informer.list("b").map((o) => o.metadata.name)).toEqual(["y"]);
  calls.length = 0;

  const updated = await setData("a", "x", "1");
  await waitFor(() => calls.length >= 1, "an update");
  expect(calls).toEqual(["update a/x 0→1"]);
  expect(informer.get("default", "x", "a")?.metadata.resourceVersion).toBe(updated.metadata.resourceVersion as string);

  await store.delete(configmaps, ctx("b"), "default", "y");
  await waitFor(() => calls.length >= 2, "a delete");
  expect(calls[1]).toBe("delete b/y");
  expect(informer.get("default", "y", "b")).toBeUndefined();

  await create("c", "z");
  await waitFor(() => calls.length >= 3, "an add");
  expect(calls[2]).toBe("add c/z");
  informer.stop();
});

test("an informer on one cluster sees only that cluster", async () => {
  const { informer, calls } = recorded({ cluster: "a" });
  await informer.start();
  expect(calls).toEqual(["add a/x"]);
  await create("b", "other");
  await create("a", "mine");
  await waitFor(() => calls.length >= 2, "an add");
  await Bun.sleep(20);
  expect(calls).toEqual(["add a/x", "add a/mine"]);
  expect(informer.get("default", "mine", "a")?.metadata.annotations).toBeUndefined();
  informer.stop();
});

test("after the watch is lost, the relist synthesises the deletes and adds of the gap", async () => {
  const { informer, calls } = recorded();
  await informer.start();
  expect(informer.get("mine", "x", "a")).toBeUndefined();
  expect(informer.get("default", "mine", "a")).toBeDefined();
  calls.length = 0;
  // Two writes in one commit batch: the informer's watch (queue limit 1) is dropped, and neither
  // event reaches it.
  const gone = await storage.get(store.key(configmaps, "a", "default", "mine"));
  const born: KObject = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "born", namespace: "default", uid: "u-born" },
    data: { v: "0" },
  };
  await Promise.all([
    storage.delete(store.key(configmaps, "a", "default", "mine"), gone?.modRevision),
    storage.create(store.key(configmaps, "b", "default", "born"), encodeObject(born)),
  ]);
  await waitFor(() => calls.includes("delete a/mine") && calls.includes("add b/born"), "the relist's delete and add");
  expect(informer.isCurrent()).toBe(true);
  // Objects present before and after the gap are updates (client-go's Replace), as they were.
  expect(calls.filter((c) => c.startsWith("update")).sort()).toEqual([
    "update a/x 1→1",
    "update b/other 0→0",
    "update c/z 0→0",
  ]);
  expect(informer.get("default", "mine", "a")).toBeUndefined();
  expect(informer.get("default", "born", "b")?.metadata.uid).toBe("u-born");
  // And the new watch follows changes again.
  calls.length = 0;
  await setData("c", "z", "5");
  await waitFor(() => calls.length >= 1, "an update after the relist");
  expect(calls).toEqual(["update c/z 0→5"]);
  informer.stop();
});

test("resync calls onUpdate(obj, obj) for every cached object", async () => {
  const { informer, calls } = recorded({ cluster: "c", resyncMs: 10 });
  await informer.start();
  expect(calls).toEqual(["add c/z"]);
  await waitFor(() => calls.length >= 3, "two resyncs");
  const v = (informer.get("default", "z", "c")?.data as Record<string, string> | undefined)?.v;
  expect(calls.slice(1, 3)).toEqual([`update c/z ${v}→${v}`, `update c/z ${v}→${v}`]);
  informer.stop();
});

test("after stop() no handler is called and the cache is no longer current", async () => {
  const { informer, calls } = recorded({ cluster: "c", resyncMs: 10 });
  await informer.start();
  informer.stop();
  expect(informer.isCurrent()).toBe(false);
  calls.length = 0;
  await setData("c", "z", "6");
  await create("c", "late");
  await Bun.sleep(50);
  expect(calls).toEqual([]);
});

test("a handler that throws does not stop the informer", async () => {
  const seen: string[] = [];
  const informer = new Informer(store, configmaps, {
    name: "throwing informer",
    cluster: "t",
    onAdd: (obj) => {
      seen.push(obj.metadata.name as string);
      throw new Error("handler bug");
    },
  });
  informers.push(informer);
  await informer.start();
  await create("t", "one");
  await create("t", "two");
  await waitFor(() => seen.length >= 2, "two adds");
  expect(seen).toEqual(["one", "two"]);
  expect(informer.isCurrent()).toBe(true);
  informer.stop();
});

test("a shared informer: added handlers first hear the cache as onAdd, then every change; removal stops them", async () => {
  const { informer, calls } = recorded({ cluster: "shared" });
  await create("shared", "one");
  await informer.start();
  const second: string[] = [];
  const remove = informer.addHandlers({
    onAdd: (obj, cluster) => second.push(`add ${cluster}/${obj.metadata.name}`),
    onUpdate: (_old, obj, cluster) => second.push(`update ${cluster}/${obj.metadata.name}`),
    onDelete: (obj, cluster) => second.push(`delete ${cluster}/${obj.metadata.name}`),
  });
  expect(second).toEqual(["add shared/one"]);
  await setData("shared", "one", "1");
  await waitFor(() => second.length >= 2 && calls.length >= 2, "the update, heard by both");
  expect(second).toEqual(["add shared/one", "update shared/one"]);
  expect(calls).toEqual(["add shared/one", "update shared/one 0→1"]);
  remove();
  await store.delete(configmaps, ctx("shared"), "default", "one");
  await waitFor(() => calls.length >= 3, "the delete");
  expect(calls[2]).toBe("delete shared/one");
  expect(second).toEqual(["add shared/one", "update shared/one"]);
  informer.stop();
});

/** A transform as a consumer that never reads managedFields would give. */
function withoutManagedFields(obj: KObject): KObject {
  const { managedFields: _dropped, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

test("a transform decides what the cache keeps; the shared objects are not changed", async () => {
  const seen: KObject[] = [];
  const informer = new Informer(store, configmaps, {
    name: "trimmed",
    cluster: "trim",
    transform: withoutManagedFields,
  });
  informers.push(informer);
  const created = await create("trim", "t");
  expect(created.metadata.managedFields).toBeDefined();
  await informer.start();
  expect(informer.get("default", "t", "trim")?.metadata.managedFields).toBeUndefined();
  expect(informer.get("default", "t", "trim")?.metadata.name).toBe("t");
  // A plain watcher of the same events still gets the managed fields.
  const plain = new Informer(store, configmaps, {
    name: "plain",
    cluster: "trim",
    onUpdate: (_o, obj) => seen.push(obj),
  });
  informers.push(plain);
  await plain.start();
  const trimmedUpdates: KObject[] = [];
  informer.addHandlers({ onUpdate: (_o, obj) => trimmedUpdates.push(obj) });
  await setData("trim", "t", "2");
  await waitFor(() => seen.length >= 1 && trimmedUpdates.length >= 1, "the update in both");
  expect(seen[0]?.metadata.managedFields).toBeDefined();
  expect(trimmedUpdates[0]?.metadata.managedFields).toBeUndefined();
  expect((trimmedUpdates[0]?.data as Record<string, string> | undefined)?.v).toBe("2");
  informer.stop();
  plain.stop();
});

test("with accepts, the list decodes and caches only accepted objects too, and a transform runs page by page", async () => {
  await create("acc", "plain");
  await store.create(
    configmaps,
    ctx("acc"),
    { metadata: { name: "marked", labels: { mark: "yes" } }, data: { v: "0" } } as KObject,
    "default",
  );
  const seen: string[] = [];
  const informer = new Informer(store, configmaps, {
    name: "accepting",
    cluster: "acc",
    pageSize: 1,
    accepts: (value) => value.includes('"mark"'),
    transform: (obj) => ({ ...obj, data: undefined }),
    onAdd: (obj) => seen.push(obj.metadata.name as string),
  });
  informers.push(informer);
  await informer.start();
  expect(seen).toEqual(["marked"]);
  expect(informer.get("default", "plain", "acc")).toBeUndefined();
  expect(informer.get("default", "marked", "acc")?.data).toBeUndefined();
  informer.stop();
});
