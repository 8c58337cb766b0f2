// The loopback client: controllers inside `kcp start` reach the server's own hono app in-process
// with the client library, through the whole filter chain (authentication with the in-memory
// loopback token, admission, field management, watches) — against a real server started in this
// process with startServer.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LOOPBACK_SERVER } from "../../src/app/loopback-client.ts";
import { type RunningServer, startServer } from "../../src/app/start-server.ts";
import { DynamicClient, type ResourceRef } from "../../src/client/dynamic-client.ts";
import { Informer, remoteSource } from "../../src/client/informer.ts";
import { RestClient } from "../../src/client/rest-client.ts";
import type { KObject } from "../../src/machinery/object.ts";
import { isStatusError } from "../../src/machinery/status.ts";
import { setLogLevel } from "../../src/log.ts";

const CONFIGMAPS: ResourceRef = {
  group: "",
  version: "v1",
  resource: "configmaps",
  namespaced: true,
  kind: "ConfigMap",
};
const dir = mkdtempSync(join(tmpdir(), "kcp-loopback-"));
let server: RunningServer;

beforeAll(async () => {
  setLogLevel("warn");
  // Frequent bookmarks, so the informer's resourceVersion moves on without events of its own.
  server = await startServer({
    rootDir: dir,
    listen: { host: "127.0.0.1", port: 0 },
    watch: { bookmarkIntervalMs: 100 },
  });
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function until<T>(what: string, fn: () => T | undefined, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

test("requests authenticate as system:apiserver with a token the admin's is not", async () => {
  expect(server.loopback.server).toBe(LOOPBACK_SERVER);
  expect(server.loopback.token).not.toBe(server.token);
  const rest = new RestClient(server.loopback);
  const review = await rest.request<{ status: { userInfo: { username: string; groups: string[] } } }>({
    method: "POST",
    path: "/apis/authentication.k8s.io/v1/selfsubjectreviews",
    body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" },
  });
  expect(review.status.userInfo.username).toBe("system:apiserver");
  expect(review.status.userInfo.groups).toContain("system:masters");
  // The authentication filter is in the path: a wrong token is refused.
  const denied = new RestClient({ ...server.loopback, token: "not-the-loopback-token" });
  const err = await denied.request({ method: "GET", path: "/api/v1/namespaces" }).catch((e) => e);
  expect(isStatusError(err) && err.code).toBe(401);
});

test("the loopback token is written nowhere in the data directory", () => {
  const token = server.loopback.token as string;
  const files = (d: string): string[] =>
    readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? files(join(d, f)) : [join(d, f)]));
  const all = files(dir);
  expect(all.length).toBeGreaterThan(3);
  for (const f of all) expect(readFileSync(f).includes(token)).toBe(false);
});

test("CRUD through admission and field management; logical clusters by forCluster", async () => {
  const rest = new RestClient(server.loopback);
  const cms = new DynamicClient(rest.forCluster("team-l")).resource(CONFIGMAPS);
  expect(cms.rest.config.server).toBe(`${LOOPBACK_SERVER}/clusters/team-l`);
  const created = await cms.create({ metadata: { name: "lb" }, data: { a: "1" } } as KObject, { namespace: "default" });
  expect(created.metadata.uid).toBeString();
  const managers = (created.metadata.managedFields as { manager: string }[]).map((m) => m.manager);
  expect(managers).toEqual(["kcp-loopback"]);
  // Namespace lifecycle admission runs: no objects in a namespace that does not exist.
  const missing = await cms
    .create({ metadata: { name: "x" } } as KObject, { namespace: "no-such-namespace" })
    .catch((e) => e);
  expect(isStatusError(missing) && missing.code).toBe(404);
  const other = new DynamicClient(rest).resource(CONFIGMAPS);
  expect(await other.get("lb", "default").catch((e) => isStatusError(e) && e.code)).toBe(404);
});

test("watches and a remote informer over the loopback", async () => {
  const cms = new DynamicClient(new RestClient(server.loopback)).resource(CONFIGMAPS);
  const seen: string[] = [];
  const informer = new Informer({
    name: "loopback informer",
    source: remoteSource(cms, { namespace: "default" }),
    onAdd: (o) => seen.push(`add ${o.metadata.name}`),
    onUpdate: (_a, b) => seen.push(`update ${b.metadata.name}`),
    onDelete: (o) => seen.push(`delete ${o.metadata.name}`),
  });
  await informer.start();
  try {
    await cms.create({ metadata: { name: "w1" } } as KObject, { namespace: "default" });
    await cms.patch("w1", { data: { k: "v" } }, "merge", { namespace: "default" });
    await cms.delete("w1", { namespace: "default" });
    await until("three events", () => (seen.length >= 3 ? true : undefined));
    expect(seen).toEqual(["add w1", "update w1", "delete w1"]);
  } finally {
    informer.stop();
  }
});

test("bookmarks move a quiet informer's resourceVersion on", async () => {
  const dyn = new DynamicClient(new RestClient(server.loopback));
  const informer = new Informer({
    name: "quiet informer",
    source: remoteSource(dyn.resource(CONFIGMAPS), { namespace: "default", labelSelector: "never=matches" }),
  });
  await informer.start();
  try {
    const listed = Number(informer.lastSyncResourceVersion());
    expect(listed).toBeGreaterThan(0);
    // A write the informer does not follow moves the store's revision past the list's.
    const other = await dyn
      .resource({ group: "", version: "v1", resource: "secrets", namespaced: true })
      .create({ metadata: { name: "elsewhere" } } as KObject, { namespace: "default" });
    const written = Number(other.metadata.resourceVersion);
    expect(written).toBeGreaterThan(listed);
    await until("a bookmark", () => (Number(informer.lastSyncResourceVersion()) >= written ? true : undefined));
    expect(informer.list()).toEqual([]);
  } finally {
    informer.stop();
  }
});
