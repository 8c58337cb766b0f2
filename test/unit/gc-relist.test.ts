// The garbage collector's own list and watch (controllers/gc/resource-feed.ts) keep no cache: the
// graph is what they observed. When the watch is lost, the relist must still tell the collector
// what went away in the gap. The watch is lost for real: the store drops a watcher whose queue
// exceeds maxWatcherQueue (1 here), which two writes committed in one batch do.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { builtinResources } from "../../src/apis/builtin/index.ts";
import { ResourceRegistry } from "../../src/apis/registry.ts";
import { ObjectStore } from "../../src/apis/store.ts";
import type { KObject, ResourceDef } from "../../src/apis/types.ts";
import { AllowAllAuthorizer } from "../../src/auth/allow-all-authorizer.ts";
import { adminUser, StaticTokenAuthenticator } from "../../src/auth/token-authenticator.ts";
import { GarbageCollector } from "../../src/controllers/gc/garbage-collector.ts";
import { requestContext } from "../../src/server/rest/request-context.ts";
import { DEFAULT_PREFIX } from "../../src/storage/keys.ts";
import { SqliteStorage } from "../../src/storage/sqlite/sqlite-storage.ts";

let dir: string;
let storage: SqliteStorage;
let store: ObjectStore;
let registry: ResourceRegistry;
let configmaps: ResourceDef;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "kcp-gc-relist-"));
  storage = SqliteStorage.open(join(dir, "kcp.db"), { maxWatcherQueue: 1 });
  const authenticator = new StaticTokenAuthenticator([{ token: "t".repeat(43), user: adminUser() }]);
  registry = new ResourceRegistry(builtinResources({ authenticator, authorizer: new AllowAllAuthorizer() }));
  configmaps = registry.lookup("admin", "", "v1", "configmaps") as ResourceDef;
  store = new ObjectStore(storage, DEFAULT_PREFIX);
});

afterAll(async () => {
  await storage?.close();
  rmSync(dir, { recursive: true, force: true });
});

const ctx = requestContext("a", adminUser(), new URLSearchParams(), "default");

function create(name: string, owner?: KObject): Promise<KObject> {
  const ownerReferences = owner
    ? [{ apiVersion: "v1", kind: "ConfigMap", name: owner.metadata.name, uid: owner.metadata.uid }]
    : undefined;
  return store.create(configmaps, ctx, { metadata: { name, ownerReferences } } as KObject, "default");
}

async function until(what: string, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

const exists = async (name: string) => Boolean(await store.tryGet(configmaps, "a", "default", name));

test("an owner deleted while the watch was lost: the relist tells the collector, its dependent is collected", async () => {
  const anchor = await create("anchor");
  // The parent owns (is owned by the anchor): the graph holds it as an observed node.
  const parent = await create("parent", anchor);
  const child = await create("child", parent);
  const gc = new GarbageCollector(store, registry);
  await gc.start();
  try {
    expect(gc.graph.node("a", parent.metadata.uid as string)?.virtual).toBe(false);
    expect(gc.graph.node("a", child.metadata.uid as string)?.virtual).toBe(false);
    // The parent's deletion and another write in one commit batch: the collector's watch of
    // configmaps is dropped before it delivers the DELETED event.
    const stored = await storage.get(store.key(configmaps, "a", "default", "parent"));
    await Promise.all([
      storage.delete(store.key(configmaps, "a", "default", "parent"), stored?.modRevision),
      create("bystander"),
    ]);
    await until("the child to be collected after the relist", async () => !(await exists("child")));
    expect(gc.graph.node("a", parent.metadata.uid as string)).toBeUndefined();
    expect(await exists("anchor")).toBe(true);
    expect(await exists("bystander")).toBe(true);
  } finally {
    gc.stop();
  }
});
