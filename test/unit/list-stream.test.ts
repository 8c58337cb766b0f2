// Streamed lists (handleList without a limit → ObjectStore.openListStream): the body, parsed, is
// what the materialised list gives (ObjectStore.list in the envelope handleList always wrote),
// whether items are spliced from the stored JSON or parsed (onRead, selectors, wildcard with
// annotations, values stored in another key order), across several storage pages, at one
// snapshot while writes happen during the stream, and with 410 for a compacted revision.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { apiVersionOf, encodeObject, servedItemJson, decodeObject } from "../../src/apis/object-codec.ts";
import { type ListOptions, ObjectStore } from "../../src/apis/store.ts";
import type { KObject, ResourceDef } from "../../src/apis/types.ts";
import { adminUser } from "../../src/auth/token-authenticator.ts";
import type { ResourceRequestInfo } from "../../src/server/request-info.ts";
import { parseListOptions } from "../../src/server/rest/list-query.ts";
import { handleList } from "../../src/server/rest/read.ts";
import { requestContext } from "../../src/server/rest/request-context.ts";
import { StatusError } from "../../src/machinery/status.ts";
import { DEFAULT_PREFIX } from "../../src/storage/keys.ts";
import { SqliteStorage } from "../../src/storage/sqlite/sqlite-storage.ts";

let dir: string;
let storage: SqliteStorage;
let store: ObjectStore;

const table = { columns: [], cells: () => [] };

function widgetDef(): ResourceDef {
  return {
    group: "example.com",
    version: "v1",
    plural: "widgets",
    singular: "widget",
    kind: "Widget",
    listKind: "WidgetList",
    namespaced: true,
    verbs: ["create", "get", "list", "update", "patch", "delete"],
    subresources: [],
    mode: "stored",
    source: "builtin",
    table,
    strategy: { hasStatus: false, tracksGeneration: false },
    selectableFields: { "spec.color": (o) => String((o.spec as { color?: string } | undefined)?.color ?? "") },
  };
}

/** A custom-resource-like kind whose served form differs from the stored one (defaults on read). */
function gadgetDef(): ResourceDef {
  return {
    ...widgetDef(),
    plural: "gadgets",
    singular: "gadget",
    kind: "Gadget",
    listKind: "GadgetList",
    source: "crd",
    onRead(obj) {
      const spec = (obj.spec ?? {}) as Record<string, unknown>;
      if (spec.replicas === undefined) spec.replicas = 1;
      obj.spec = spec;
      return obj;
    },
  };
}

const widgets = widgetDef();
const gadgets = gadgetDef();

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "kcp-list-stream-"));
  storage = SqliteStorage.open(join(dir, "kcp.db"));
  store = new ObjectStore(storage, DEFAULT_PREFIX);
});

afterAll(async () => {
  await storage?.close();
  rmSync(dir, { recursive: true, force: true });
});

const ctx = (cluster = "admin") => requestContext(cluster, adminUser(), new URLSearchParams());

function info(def: ResourceDef, cluster: string, namespace?: string, wildcard = false): ResourceRequestInfo {
  return {
    kind: "resource",
    cluster,
    wildcard,
    verb: "list",
    apiPrefix: "apis",
    group: def.group,
    version: def.version,
    namespace,
    resource: def.plural,
    path: "",
  };
}

async function streamed(
  def: ResourceDef,
  inf: ResourceRequestInfo,
  query = "",
): Promise<{ status: number; body: unknown; streamed: boolean }> {
  const req = new Request("https://127.0.0.1/x", { headers: { accept: "application/json" } });
  const res = await handleList(store, def, inf, req, new URLSearchParams(query));
  const text = await res.text();
  // A Response built from a string has no ReadableStream source; ours over several pages does.
  return {
    status: res.status,
    body: JSON.parse(text),
    streamed: text.length > 0 && res.headers.get("content-length") === null,
  };
}

/** The materialised list, in the envelope handleList wrote before lists were streamed. */
async function materialised(def: ResourceDef, inf: ResourceRequestInfo, query = ""): Promise<unknown> {
  const opts: ListOptions = parseListOptions(def, new URLSearchParams(query));
  const res = await store.list(def, inf.wildcard ? undefined : inf.cluster, inf.namespace, opts);
  return JSON.parse(
    JSON.stringify({
      kind: def.listKind,
      apiVersion: apiVersionOf(def),
      metadata: { resourceVersion: res.resourceVersion },
      items: res.items,
    }),
  );
}

let seeded = false;
async function seed(): Promise<void> {
  if (seeded) return;
  seeded = true;
  const variants = (i: number): KObject => {
    const o: KObject = {
      apiVersion: "example.com/v1",
      kind: "Widget",
      metadata: { name: `w-${String(i).padStart(5, "0")}` },
    } as KObject;
    if (i % 3 === 0) o.metadata.labels = { color: i % 2 ? "red" : "blue", tier: "a" };
    if (i % 5 === 0) o.metadata.annotations = { note: `é "quoted" \\ ${i}`, annotations: '{"annotations":{}}' };
    if (i % 7 === 0) o.metadata.finalizers = ["example.com/keep"];
    (o as Record<string, unknown>).spec = {
      color: i % 2 ? "red" : "blue",
      n: i,
      nested: { list: [1, "two", { three: null }], empty: {} },
      text: '}{",\u2028',
    };
    return o;
  };
  for (let i = 0; i < 2345; i++) await store.create(widgets, ctx(), variants(i), "ns1");
  for (let i = 0; i < 20; i++) await store.create(widgets, ctx("other"), variants(i), "ns1");
  // Body keys in another order than apiVersion, kind, metadata still store in that order.
  await store.create(
    widgets,
    ctx(),
    {
      spec: { first: true },
      metadata: { name: "spec-first" },
      kind: "Widget",
      apiVersion: "example.com/v1",
    } as KObject,
    "ns2",
  );
  for (let i = 0; i < 30; i++) {
    await store.create(
      gadgets,
      ctx(),
      { metadata: { name: `g-${i}` }, spec: i % 2 ? { replicas: 3 } : {} } as KObject,
      "ns1",
    );
  }
}

test("encodeObject writes apiVersion, kind and metadata first, and servedItemJson equals decoding", async () => {
  const obj = {
    data: { a: "b" },
    metadata: { name: "x", resourceVersion: "7", annotations: { "kcp.io/cluster": "c" } },
    kind: "Widget",
    apiVersion: "example.com/v1",
  } as KObject;
  const stored = encodeObject(obj);
  expect(stored.startsWith('{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"x"}')).toBe(true);
  expect(obj.metadata.resourceVersion).toBe("7");
  for (const cluster of [undefined, "root:org"]) {
    expect(JSON.parse(servedItemJson(widgets, stored, 42, cluster))).toEqual(
      JSON.parse(JSON.stringify(decodeObject(widgets, stored, 42, cluster))),
    );
  }
  // Empty metadata, another key order, existing annotations on a wildcard read, an onRead kind.
  const odd = [
    '{"apiVersion":"example.com/v1","kind":"Widget","metadata":{}}',
    '{"metadata":{"name":"y"},"apiVersion":"example.com/v1","kind":"Widget"}',
    '{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"z","annotations":{"a":"b"}}}',
    '{"apiVersion":"example.com/v0","kind":"Widget","metadata":{"name":"old"}}',
  ];
  for (const v of odd) {
    for (const cluster of [undefined, "c1"]) {
      for (const def of [widgets, gadgets]) {
        expect(JSON.parse(servedItemJson(def, v, 9, cluster))).toEqual(
          JSON.parse(JSON.stringify(decodeObject(def, v, 9, cluster))),
        );
      }
    }
  }
});

test("a streamed list over several storage pages parses to the materialised list", async () => {
  await seed();
  const inf = info(widgets, "admin", "ns1");
  const got = await streamed(widgets, inf);
  expect(got.status).toBe(200);
  expect(got.streamed).toBe(true);
  expect(got.body).toEqual(await materialised(widgets, inf));
  expect((got.body as { items: unknown[] }).items.length).toBe(2345);
  // All namespaces, and one that fits one page (answered without a stream).
  for (const [i, q] of [
    [info(widgets, "admin"), ""],
    [info(widgets, "admin", "ns2"), ""],
    [info(widgets, "admin", "empty"), ""],
    [info(widgets, "admin", "ns1"), "resourceVersion=0"],
  ] as const) {
    expect((await streamed(widgets, i, q)).body).toEqual(await materialised(widgets, i, q));
  }
});

test("wildcard lists carry the cluster annotation, merged with existing annotations", async () => {
  await seed();
  const inf = info(widgets, "*", undefined, true);
  const got = (await streamed(widgets, inf)).body as { items: KObject[] };
  expect(got as unknown).toEqual(await materialised(widgets, inf));
  expect(got.items.length).toBe(2366);
  const other = got.items.filter((o) => o.metadata.annotations?.["kcp.io/cluster"] === "other");
  expect(other.length).toBe(20);
  expect(other.find((o) => o.metadata.name === "w-00005")?.metadata.annotations?.note).toBe('é "quoted" \\ 5');
});

test("kinds with onRead (defaults) and selectors parse to the same list", async () => {
  await seed();
  const g = info(gadgets, "admin", "ns1");
  const body = (await streamed(gadgets, g)).body as { items: KObject[] };
  expect(body as unknown).toEqual(await materialised(gadgets, g));
  expect(body.items.every((o) => (o.spec as { replicas?: number }).replicas !== undefined)).toBe(true);
  for (const q of [
    "labelSelector=color%3Dred",
    "labelSelector=tier",
    "fieldSelector=spec.color%3Dblue",
    "labelSelector=color%3Dnone",
    "fieldSelector=metadata.name%3Dw-00003",
  ]) {
    const inf = info(widgets, "admin", "ns1");
    expect((await streamed(widgets, inf, q)).body).toEqual(await materialised(widgets, inf, q));
  }
  const wild = info(widgets, "*", undefined, true);
  expect((await streamed(widgets, wild, "labelSelector=color%3Dblue")).body).toEqual(
    await materialised(widgets, wild, "labelSelector=color%3Dblue"),
  );
});

test("pages of openListStream read one snapshot while writes happen between them", async () => {
  await seed();
  const before = await materialised(widgets, info(widgets, "admin", "ns1"));
  const list = await store.openListStream(widgets, "admin", "ns1", {}, 100);
  expect(list.complete).toBe(false);
  const parts: string[] = [];
  const first = await list.next();
  parts.push(first as string);
  // Writes after the first page: an update, a delete and a create, ahead of and behind the reader.
  await store.update(widgets, ctx(), "ns1", "w-02000", (cur) => ({ ...cur, spec: { changed: true } }));
  await store.delete(widgets, ctx(), "ns1", "w-01000");
  await store.create(widgets, ctx(), { metadata: { name: "w-99999" } } as KObject, "ns1");
  for (let p = await list.next(); p !== null; p = await list.next()) parts.push(p);
  expect(parts.length).toBe(24);
  const items = JSON.parse(`[${parts.filter((p) => p !== "").join(",")}]`);
  expect({ ...(before as object), items } as unknown).toEqual(before);
  expect(list.resourceVersion).toBe((before as { metadata: { resourceVersion: string } }).metadata.resourceVersion);
  // The same through the handler: read the head, write, then drain.
  const req = new Request("https://127.0.0.1/x", { headers: { accept: "application/json" } });
  const snapshot = await materialised(widgets, info(widgets, "admin", "ns1"));
  const res = await handleList(store, widgets, info(widgets, "admin", "ns1"), req, new URLSearchParams());
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  const head = await reader.read();
  chunks.push(head.value as Uint8Array);
  await store.delete(widgets, ctx(), "ns1", "w-99999");
  await store.update(widgets, ctx(), "ns1", "w-02300", (cur) => ({ ...cur, spec: { changed: 2 } }));
  for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value);
  expect(JSON.parse(Buffer.concat(chunks).toString("utf8"))).toEqual(snapshot);
});

test("a compacted resourceVersion or continue token is 410 before anything is streamed", async () => {
  await seed();
  const old = Number(
    ((await materialised(widgets, info(widgets, "admin", "ns1"))) as { metadata: { resourceVersion: string } }).metadata
      .resourceVersion,
  );
  const page = await store.list(widgets, "admin", "ns1", { limit: 5 });
  await store.update(widgets, ctx(), "ns1", "w-00001", (cur) => ({ ...cur, spec: { bump: 1 } }));
  await storage.compact(await storage.currentRevision());
  const inf = info(widgets, "admin", "ns1");
  for (const q of [`resourceVersion=${old}&resourceVersionMatch=Exact`, `continue=${page.continue}`]) {
    const err = await handleList(store, widgets, inf, new Request("https://127.0.0.1/x"), new URLSearchParams(q)).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(StatusError);
    expect((err as StatusError).code).toBe(410);
  }
  // A limit list still pages with continue and remainingItemCount (not streamed).
  const limited = await streamed(widgets, inf, "limit=7");
  const meta = (limited.body as { metadata: { continue?: string; remainingItemCount?: number } }).metadata;
  expect(meta.continue).toBeString();
  expect(meta.remainingItemCount).toBeGreaterThan(0);
  expect((limited.body as { items: unknown[] }).items).toEqual(
    ((await materialised(widgets, inf, "limit=7")) as { items: unknown[] }).items,
  );
});

describe("lists of large objects are written in chunks, with the bytes of the whole", () => {
  const big = "x".repeat(20_000);
  let bigSeeded = false;
  async function seedBig(): Promise<void> {
    if (bigSeeded) return;
    bigSeeded = true;
    for (let i = 0; i < 400; i++) {
      await store.create(
        widgets,
        ctx(),
        {
          metadata: { name: `b-${String(i).padStart(4, "0")}`, labels: { n: String(i % 4) } },
          spec: { big },
        } as KObject,
        "bigs",
      );
    }
  }

  async function chunksOf(res: Response): Promise<string[]> {
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const out: string[] = [];
    for (let r = await reader.read(); !r.done; r = await reader.read()) out.push(Buffer.from(r.value).toString("utf8"));
    return out;
  }

  test("a page (limit) is JSON.stringify of the list byte for byte, continue token and count included", async () => {
    await seedBig();
    const inf = info(widgets, "admin", "bigs");
    let token: string | undefined;
    let pages = 0;
    do {
      const query = `limit=150${token ? `&continue=${encodeURIComponent(token)}` : ""}`;
      const opts = parseListOptions(widgets, new URLSearchParams(query));
      const res = await store.list(widgets, "admin", "bigs", opts);
      const metadata: Record<string, unknown> = { resourceVersion: res.resourceVersion };
      if (res.continue) metadata.continue = res.continue;
      if (res.remainingItemCount !== undefined) metadata.remainingItemCount = res.remainingItemCount;
      const old = JSON.stringify({ kind: "WidgetList", apiVersion: "example.com/v1", metadata, items: res.items });
      const req = new Request("https://127.0.0.1/x", { headers: { accept: "application/json" } });
      const served = await handleList(store, widgets, inf, req, new URLSearchParams(query));
      const chunks = await chunksOf(served);
      // 150 objects of 20 KiB: 3 MiB, more than one chunk.
      expect(chunks.length).toBeGreaterThan(2);
      expect(chunks.join("")).toBe(old);
      token = res.continue;
      pages++;
    } while (token);
    expect(pages).toBe(3);
  });

  test("an unlimited list reads pages by bytes and writes about 1 MiB per chunk", async () => {
    await seedBig();
    const inf = info(widgets, "admin", "bigs");
    const reads: (number | undefined)[] = [];
    const list = storage.list.bind(storage);
    storage.list = (opts) => {
      reads.push(opts.limit);
      return list(opts);
    };
    try {
      for (const query of ["", "labelSelector=n%3D1"]) {
        reads.length = 0;
        const req = new Request("https://127.0.0.1/x", { headers: { accept: "application/json" } });
        const chunks = await chunksOf(await handleList(store, widgets, inf, req, new URLSearchParams(query)));
        expect(JSON.parse(chunks.join(""))).toEqual(await materialised(widgets, inf, query));
        // The first read is 1,000 keys (all 400 here); 8 MiB then go out in chunks of about 1 MiB.
        expect(reads[0]).toBe(1000);
        if (query === "") expect(chunks.length).toBeGreaterThan(8);
      }
      // With more than a page: the first read is 300 keys (6 MiB), the next about 4 MiB (~200 objects).
      reads.length = 0;
      const s = await store.openListStream(widgets, "admin", "bigs", {}, 300);
      while ((await s.next()) !== null) {}
      expect(reads[0]).toBe(300);
      expect(reads[1]).toBeLessThan(250);
      expect(reads[1]).toBeGreaterThan(150);
    } finally {
      storage.list = list;
    }
  });

  test("a client that goes away mid-list stops the reads and the encoding", async () => {
    await seedBig();
    let reads = 0;
    const list = storage.list.bind(storage);
    storage.list = (opts) => {
      reads++;
      return list(opts);
    };
    try {
      const inf = info(widgets, "admin", "bigs");
      const req = new Request("https://127.0.0.1/x", { headers: { accept: "application/json" } });
      const s = await store.openListStream(widgets, "admin", "bigs", {}, 50);
      await s.next();
      reads = 0;
      const res = await handleList(store, widgets, inf, req, new URLSearchParams());
      const readsAtStart = reads;
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      await reader.read();
      await reader.read();
      await reader.cancel();
      await Bun.sleep(50);
      // The first page (all 400 objects) was read; nothing after the cancel.
      expect(reads).toBe(readsAtStart);
      const paged = await handleList(store, widgets, inf, req, new URLSearchParams("limit=300"));
      const pagedReader = (paged.body as ReadableStream<Uint8Array>).getReader();
      const first = await pagedReader.read();
      expect(first.done).toBe(false);
      await pagedReader.cancel();
      expect((await pagedReader.read()).done).toBe(true);
    } finally {
      storage.list = list;
    }
  });
});
