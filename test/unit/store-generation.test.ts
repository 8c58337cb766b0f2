// metadata.generation: 1 on create, bumped when anything but metadata (and but status, for kinds with
// a status subresource) changes, as kube-apiserver's strategies do.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ObjectStore } from "../../src/apis/store.ts";
import type { KObject, ResourceDef } from "../../src/apis/types.ts";
import { adminUser } from "../../src/auth/token-authenticator.ts";
import { requestContext } from "../../src/server/rest/request-context.ts";
import { DEFAULT_PREFIX } from "../../src/storage/keys.ts";
import { SqliteStorage } from "../../src/storage/sqlite/sqlite-storage.ts";

let dir: string;
let storage: SqliteStorage;
let store: ObjectStore;

function kind(plural: string, hasStatus: boolean): ResourceDef {
  return {
    group: "example.com",
    version: "v1",
    plural,
    singular: plural.slice(0, -1),
    kind: plural[0].toUpperCase() + plural.slice(1, -1),
    listKind: `${plural[0].toUpperCase()}${plural.slice(1, -1)}List`,
    namespaced: false,
    verbs: ["create", "get", "list", "update", "patch", "delete"],
    subresources: hasStatus ? [{ name: "status", verbs: ["get", "update", "patch"] }] : [],
    mode: "stored",
    source: "crd",
    strategy: { hasStatus, tracksGeneration: true },
  };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "kcp-generation-"));
  storage = SqliteStorage.open(join(dir, "kcp.db"));
  store = new ObjectStore(storage, DEFAULT_PREFIX);
});

afterAll(async () => {
  await storage?.close();
  rmSync(dir, { recursive: true, force: true });
});

const ctx = () => requestContext("admin", adminUser(), new URLSearchParams());

async function change(def: ResourceDef, name: string, edit: (o: KObject) => void): Promise<number> {
  const { object } = await store.update(def, ctx(), undefined, name, (cur) => {
    edit(cur);
    delete cur.metadata.resourceVersion;
    return cur;
  });
  return object.metadata.generation as number;
}

test("with a status subresource, only spec changes bump generation", async () => {
  const def = kind("gadgets", true);
  const created = await store.create(def, ctx(), { metadata: { name: "g" }, spec: { size: 1 } } as KObject, undefined);
  expect(created.metadata.generation).toBe(1);
  expect(await change(def, "g", (o) => (o.metadata.labels = { a: "b" }))).toBe(1);
  expect(await change(def, "g", (o) => (o.spec = { size: 2 }))).toBe(2);
  const { object } = await store.update(def, ctx(), undefined, "g", (cur) => ({ ...cur, status: { ready: true } }), {
    subresource: "status",
  });
  expect(object.metadata.generation).toBe(2);
  expect(object.status).toEqual({ ready: true });
});

test("without a status subresource, a status change bumps generation too", async () => {
  const def = kind("widgets", false);
  await store.create(def, ctx(), { metadata: { name: "w" }, spec: { size: 1 } } as KObject, undefined);
  expect(await change(def, "w", (o) => (o.metadata.annotations = { a: "b" }))).toBe(1);
  expect(await change(def, "w", (o) => (o.status = { ready: true }))).toBe(2);
  expect(await change(def, "w", (o) => (o.spec = { size: 3 }))).toBe(3);
});
