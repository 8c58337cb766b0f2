// NamespaceLifecycle admission from its in-memory view of namespaces: known namespaces answered
// from the view (kept by a storage watch), unknown ones read from storage, with kube's 404 and 403.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KObject, RequestContext, ResourceDef } from "../../src/apis/types.ts";
import { namespaceLifecycle as lifecyclePlugin } from "../../src/admission/plugins/namespace-lifecycle.ts";
import { NamespaceView } from "../../src/admission/namespace-view.ts";
import { ObjectStore } from "../../src/apis/store.ts";
import { StatusError } from "../../src/machinery/status.ts";
import { DEFAULT_PREFIX, objectKey } from "../../src/storage/keys.ts";
import { SqliteStorage } from "../../src/storage/sqlite/sqlite-storage.ts";

let dir: string;
let storage: SqliteStorage;
let view: NamespaceView;

const namespaces = {
  group: "",
  version: "v1",
  plural: "namespaces",
  kind: "Namespace",
  namespaced: false,
} as ResourceDef;
const configMaps = {
  group: "",
  version: "v1",
  plural: "configmaps",
  kind: "ConfigMap",
  namespaced: true,
} as ResourceDef;
const ctx = (cluster: string) => ({ cluster }) as RequestContext;
const cm = (namespace: string): KObject => ({ metadata: { name: "c", namespace } });
const nsKey = (cluster: string, name: string) =>
  objectKey(DEFAULT_PREFIX, { group: "", resource: "namespaces", cluster, name });
const nsValue = (name: string, terminating = false) =>
  JSON.stringify({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name, ...(terminating ? { deletionTimestamp: "2026-01-01T00:00:00Z" } : {}) },
    status: { phase: terminating ? "Terminating" : "Active" },
  });

/** The plugin's check of a create of `obj`, as the admission chain makes it. */
function namespaceLifecycle(...args: Parameters<typeof lifecyclePlugin>) {
  const plugin = lifecyclePlugin(...args);
  return async (def: ResourceDef, obj: KObject, c: RequestContext): Promise<void> => {
    expect(plugin.handles("CREATE")).toBe(true);
    const attributes = {
      operation: "CREATE",
      def,
      subresource: undefined,
      name: obj.metadata.name ?? "",
      namespace: obj.metadata.namespace,
      object: obj,
      oldObject: undefined,
      user: c.user,
      dryRun: false,
      ctx: c,
    } as const;
    await plugin.validate?.(attributes);
  };
}

async function codeOf(p: Promise<void>): Promise<number> {
  try {
    await p;
    return 0;
  } catch (e) {
    if (e instanceof StatusError) return e.code;
    throw e;
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kcp-ns-lifecycle-"));
  storage = SqliteStorage.open(join(dir, "kcp.db"));
  await storage.create(nsKey("a", "listed"), nsValue("listed"));
  await storage.create(nsKey("a", "going"), nsValue("going", true));
  view = new NamespaceView(new ObjectStore(storage, DEFAULT_PREFIX), namespaces);
  await view.start();
});

afterAll(async () => {
  view?.stop();
  await storage?.close();
  rmSync(dir, { recursive: true, force: true });
});

test("namespaces listed at start are known, with their phase", async () => {
  expect(view.lookup("a", "listed")?.terminating).toBe(false);
  expect(view.lookup("a", "going")?.terminating).toBe(true);
  expect(view.lookup("b", "listed")).toBeUndefined();
  const admit = namespaceLifecycle(view);
  expect(await codeOf(admit(configMaps, cm("listed"), ctx("a")))).toBe(0);
  expect(await codeOf(admit(configMaps, cm("going"), ctx("a")))).toBe(403);
  expect(await codeOf(admit(configMaps, cm("listed"), ctx("b")))).toBe(404);
  expect(await codeOf(admit(configMaps, cm("missing"), ctx("a")))).toBe(404);
});

test("the watch keeps the view current: created, terminating, deleted", async () => {
  const admit = namespaceLifecycle(view);
  const rev = await storage.create(nsKey("a", "new"), nsValue("new"));
  await Bun.sleep(0);
  expect(view.lookup("a", "new")?.terminating).toBe(false);
  expect(await codeOf(admit(configMaps, cm("new"), ctx("a")))).toBe(0);
  const rev2 = await storage.update(nsKey("a", "new"), nsValue("new", true), rev);
  await Bun.sleep(0);
  expect(view.lookup("a", "new")?.terminating).toBe(true);
  expect(await codeOf(admit(configMaps, cm("new"), ctx("a")))).toBe(403);
  await storage.delete(nsKey("a", "new"), rev2);
  await Bun.sleep(0);
  expect(view.lookup("a", "new")).toBeUndefined();
  expect(await codeOf(admit(configMaps, cm("new"), ctx("a")))).toBe(404);
});

test("a namespace the view has not seen yet is read from storage", async () => {
  // A view that is not running knows nothing: every lookup goes to storage (as for a namespace
  // another replica created a moment ago).
  const cold = new NamespaceView(new ObjectStore(storage, DEFAULT_PREFIX), namespaces);
  const admit = namespaceLifecycle(cold);
  expect(cold.lookup("a", "listed")).toBeUndefined();
  expect(await codeOf(admit(configMaps, cm("listed"), ctx("a")))).toBe(0);
  expect(await codeOf(admit(configMaps, cm("going"), ctx("a")))).toBe(403);
  expect(await codeOf(admit(configMaps, cm("missing"), ctx("a")))).toBe(404);
});

test("cluster-scoped kinds are not checked", async () => {
  const admit = namespaceLifecycle(view);
  const clusterScoped = { ...configMaps, namespaced: false } as ResourceDef;
  expect(await codeOf(admit(clusterScoped, { metadata: { name: "x" } }, ctx("a")))).toBe(0);
});

test("deletes are never refused; those in a terminating namespace are noted for the namespace controller", async () => {
  const plugin = lifecyclePlugin(view);
  expect(plugin.handles("DELETE")).toBe(true);
  const del = (namespace: string, dryRun = false) =>
    plugin.validate?.({
      operation: "DELETE",
      def: configMaps,
      subresource: undefined,
      name: "c",
      namespace,
      object: undefined,
      oldObject: cm(namespace),
      user: { username: "u", groups: [] },
      dryRun,
      ctx: ctx("a"),
    });
  expect(view.lastContentDelete("a", "going")).toBeUndefined();
  expect(del("going", true)).toBeUndefined();
  expect(view.lastContentDelete("a", "going")).toBeUndefined();
  const before = Date.now();
  expect(del("going")).toBeUndefined();
  expect(view.lastContentDelete("a", "going")).toBeGreaterThanOrEqual(before);
  // An active namespace's deletes are nobody's business.
  expect(del("listed")).toBeUndefined();
  expect(view.lastContentDelete("a", "listed")).toBeUndefined();
});
