// The decoded watch on the object store (apis/object-watch.ts) over a real SQLite store: selector
// transitions (an object that stops matching arrives as DELETED, one that starts matching as
// ADDED), one logical cluster or all of them (then annotated with their cluster), initial events,
// the shared JSON of the fan-out fast path, and 410 Expired for a compacted resourceVersion.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { builtinResources } from "../../src/apis/builtin/index.ts";
import { CLUSTER_ANNOTATION } from "../../src/apis/object-codec.ts";
import {
  type ObjectEvent,
  type ObjectWatch,
  type WatchObjectsOptions,
  watchObjects,
} from "../../src/apis/object-watch.ts";
import { ResourceRegistry } from "../../src/apis/registry.ts";
import { ObjectStore } from "../../src/apis/store.ts";
import type { KObject, ResourceDef } from "../../src/apis/types.ts";
import { AllowAllAuthorizer } from "../../src/auth/allow-all-authorizer.ts";
import { adminUser, StaticTokenAuthenticator } from "../../src/auth/token-authenticator.ts";
import { parseLabelSelector } from "../../src/machinery/selectors/label-selector.ts";
import { StatusError } from "../../src/machinery/status.ts";
import { requestContext } from "../../src/server/rest/request-context.ts";
import { DEFAULT_PREFIX } from "../../src/storage/keys.ts";
import { SqliteStorage } from "../../src/storage/sqlite/sqlite-storage.ts";
import { waitFor } from "../storage/suite.ts";

let dir: string;
let storage: SqliteStorage;
let store: ObjectStore;
let configmaps: ResourceDef;
const open: ObjectWatch[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "kcp-object-watch-"));
  storage = SqliteStorage.open(join(dir, "kcp.db"));
  const authenticator = new StaticTokenAuthenticator([{ token: "t".repeat(43), user: adminUser() }]);
  const registry = new ResourceRegistry(builtinResources({ authenticator, authorizer: new AllowAllAuthorizer() }));
  configmaps = registry.lookup("admin", "", "v1", "configmaps") as ResourceDef;
  store = new ObjectStore(storage, DEFAULT_PREFIX);
});

afterAll(async () => {
  for (const w of open) w.stop();
  await storage?.close();
  rmSync(dir, { recursive: true, force: true });
});

const ctx = (cluster: string) => requestContext(cluster, adminUser(), new URLSearchParams(), "default");

async function create(cluster: string, name: string, labels?: Record<string, string>): Promise<KObject> {
  return store.create(configmaps, ctx(cluster), { metadata: { name, labels }, data: { v: "0" } } as KObject, "default");
}

async function update(cluster: string, name: string, change: (o: KObject) => void): Promise<KObject> {
  const { object } = await store.update(configmaps, ctx(cluster), "default", name, (cur) => {
    change(cur);
    return cur;
  });
  return object;
}

/** A watch whose events (and end) are recorded. */
function record(opts: Partial<WatchObjectsOptions>): {
  events: ObjectEvent[];
  closed: Error[];
  started: () => boolean;
  watch: ObjectWatch;
} {
  const events: ObjectEvent[] = [];
  const closed: Error[] = [];
  let started = false;
  const watch = watchObjects(store, configmaps, {
    ...opts,
    onEvent: (ev) => events.push(ev),
    onStart: () => {
      started = true;
    },
    onClose: (err) => closed.push(err),
  });
  open.push(watch);
  return { events, closed, started: () => started, watch };
}

const summary = (events: ObjectEvent[]) => events.map((e) => `${e.type} ${e.cluster}/${e.object.metadata.name}`);

async function currentRV(): Promise<string> {
  return String(await storage.currentRevision());
}

describe("selectors", () => {
  test("an object that stops matching arrives as DELETED, one that starts matching as ADDED", async () => {
    const from = await currentRV();
    const w = record({ cluster: "sel", resourceVersion: from, labelSelector: parseLabelSelector("app=web") });
    await waitFor(w.started, "watch start");
    await create("sel", "match", { app: "web" });
    await create("sel", "other", { app: "db" });
    await update("sel", "match", (o) => {
      o.data = { v: "1" };
    });
    await update("sel", "match", (o) => {
      o.metadata.labels = { app: "db" };
    });
    await update("sel", "match", (o) => {
      o.data = { v: "2" };
    });
    await update("sel", "other", (o) => {
      o.metadata.labels = { app: "web" };
    });
    await store.delete(configmaps, ctx("sel"), "default", "match");
    await store.delete(configmaps, ctx("sel"), "default", "other");
    await waitFor(() => w.events.length >= 5, "5 events");
    await Bun.sleep(20);
    expect(summary(w.events)).toEqual([
      "ADDED sel/match",
      "MODIFIED sel/match",
      "DELETED sel/match",
      "ADDED sel/other",
      "DELETED sel/other",
    ]);
    // The DELETED for a label change carries the object as it is now (no longer matching).
    expect(w.events[2]?.object.metadata.labels).toEqual({ app: "db" });
    expect(w.closed).toEqual([]);
  });
});

describe("logical clusters", () => {
  test("a watch on one cluster sees only that cluster, without the cluster annotation", async () => {
    const w = record({ cluster: "one", resourceVersion: await currentRV() });
    await waitFor(w.started, "watch start");
    await create("two", "elsewhere");
    await create("one", "here");
    await waitFor(() => w.events.length >= 1, "an event");
    await Bun.sleep(20);
    expect(summary(w.events)).toEqual(["ADDED one/here"]);
    expect(w.events[0]?.object.metadata.annotations).toBeUndefined();
    expect(w.events[0]?.object.metadata.namespace).toBe("default");
  });

  test("a watch on all clusters sees every cluster, each object annotated with its cluster", async () => {
    const w = record({ resourceVersion: await currentRV() });
    await waitFor(w.started, "watch start");
    await create("left", "l");
    await create("right", "r", { keep: "yes" });
    await waitFor(() => w.events.length >= 2, "2 events");
    expect(summary(w.events)).toEqual(["ADDED left/l", "ADDED right/r"]);
    expect(w.events[0]?.object.metadata.annotations).toEqual({ [CLUSTER_ANNOTATION]: "left" });
    expect(w.events[1]?.object.metadata.annotations).toEqual({ [CLUSTER_ANNOTATION]: "right" });
    expect(w.events[1]?.object.metadata.labels).toEqual({ keep: "yes" });
  });

  test("initial events of all clusters carry the annotation too, then live changes follow", async () => {
    const w = record({ sendInitialEvents: true, labelSelector: parseLabelSelector("keep=yes") });
    await waitFor(w.started, "watch start");
    const initial = w.events.slice();
    expect(summary(initial)).toEqual(["ADDED right/r", `BOOKMARK undefined/undefined`]);
    expect(initial[0]?.object.metadata.annotations).toEqual({ [CLUSTER_ANNOTATION]: "right" });
    expect(initial[1]?.object.metadata.annotations).toEqual({ "k8s.io/initial-events-end": "true" });
    expect(initial[1]?.object.metadata.resourceVersion).toBe(await currentRV());
    await create("third", "t", { keep: "yes" });
    await waitFor(() => w.events.length >= 3, "a live event");
    expect(summary(w.events.slice(2))).toEqual(["ADDED third/t"]);
  });
});

describe("decoding once per storage event", () => {
  test("watchers of the same definition share the decoded object and its JSON", async () => {
    const from = await currentRV();
    const a = record({ cluster: "shared", resourceVersion: from, json: true });
    const b = record({ cluster: "shared", resourceVersion: from, json: true });
    const plain = record({ cluster: "shared", resourceVersion: from });
    await waitFor(() => a.started() && b.started() && plain.started(), "watch start");
    const created = await create("shared", "s");
    await waitFor(() => a.events.length + b.events.length + plain.events.length >= 3, "3 events");
    const [ea, eb, ep] = [a.events[0], b.events[0], plain.events[0]];
    expect(ea?.object).toBe(eb?.object as KObject);
    expect(ea?.json).toBe(JSON.stringify(ea?.object));
    expect(eb?.json).toBe(ea?.json as string);
    expect(ep?.json).toBeUndefined();
    expect(ea?.object.metadata.resourceVersion).toBe(created.metadata.resourceVersion as string);
  });
});

describe("resourceVersion", () => {
  test("a malformed resourceVersion throws at once (400)", () => {
    expect(() => watchObjects(store, configmaps, { resourceVersion: "abc", onEvent: () => {} })).toThrow(StatusError);
  });

  test("a compacted resourceVersion gives a 410 Expired ERROR event, then the watch closes", async () => {
    const before = Number(await currentRV());
    await create("old", "o1");
    await update("old", "o1", (o) => {
      o.data = { v: "1" };
    });
    const compactedAt = await storage.currentRevision();
    await storage.compact(compactedAt);
    const w = record({ cluster: "old", resourceVersion: String(before) });
    await waitFor(() => w.closed.length > 0, "the watch to close");
    expect(w.events.map((e) => e.type)).toEqual(["ERROR"]);
    expect(w.events[0]?.object).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: `too old resource version: ${before} (${compactedAt})`,
      reason: "Expired",
      code: 410,
    } as unknown as KObject);
    // From the compacted revision itself the watch works.
    const ok = record({ cluster: "old", resourceVersion: String(compactedAt) });
    await waitFor(ok.started, "watch start");
    await create("old", "o2");
    await waitFor(() => ok.events.length >= 1, "an event");
    expect(summary(ok.events)).toEqual(["ADDED old/o2"]);
    expect(ok.closed).toEqual([]);
  });

  test("stop() ends delivery", async () => {
    const w = record({ cluster: "stop", resourceVersion: await currentRV() });
    await waitFor(w.started, "watch start");
    w.watch.stop();
    await create("stop", "x");
    await Bun.sleep(20);
    expect(w.events).toEqual([]);
    expect(w.closed).toEqual([]);
  });
});
