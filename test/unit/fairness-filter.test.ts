// The fairness filter (src/server/filters/fairness.ts) in the app's chain, through `app.request(...)`:
// a flow over its share with a full queue gets kube's 429 Status with Retry-After; other flows,
// system:masters, watches and health checks pass; a released seat serves the waiting request; a
// client that disconnects while waiting leaves the queue.
// Seats are taken by the test itself (flows.acquire), so nothing depends on timing.

import { afterEach, expect, test } from "bun:test";
import { createApp } from "../../src/server/app.ts";
import { FLOW_QUEUE_LENGTH, FlowControl, type RequestKind } from "../../src/server/fairness/flow-control.ts";
import type { Release } from "../../src/server/fairness/seat-pool.ts";
import { type InMemoryApp, inMemoryApp, TEST_TOKEN } from "../helpers/in-memory-app.ts";

const opened: InMemoryApp[] = [];
afterEach(async () => {
  for (const a of opened.splice(0)) await a.close();
});

const user = (name: string) => ({ username: name, uid: name, groups: ["system:authenticated"] });
const CONFIGMAPS = (cluster: string) => `/clusters/${cluster}/api/v1/namespaces/default/configmaps`;

/** The app with flow control of `seats` per kind in all and a share of 1 per flow. */
async function setUp(seats = 10) {
  const a = await inMemoryApp({
    tokens: [
      { token: "alice-token", user: user("alice") },
      { token: "bob-token", user: user("bob") },
    ],
  });
  opened.push(a);
  const flows = new FlowControl({
    maxRequestsInflight: seats,
    maxMutatingRequestsInflight: seats,
    perFlow: 1,
    waitLimitMs: 60_000,
  });
  const app = createApp({ ...a.deps, flowControl: flows });
  const headers = (token: string) => ({ authorization: `Bearer ${token}`, "content-type": "application/json" });
  const create = (token: string, cluster: string, name: string) =>
    app.request(CONFIGMAPS(cluster), {
      method: "POST",
      headers: headers(token),
      body: JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name } }),
    });
  const get = (token: string, path: string, signal?: AbortSignal) =>
    app.request(path, { headers: headers(token), ...(signal ? { signal } : {}) });
  /** Takes `flow`'s seat and fills its queue; returns the undo. */
  const fill = (kind: RequestKind, flow: string) => {
    const held = flows.acquire(kind, flow) as Release;
    const queued = Array.from({ length: FLOW_QUEUE_LENGTH }, () => flows.acquire(kind, flow)) as Promise<Release>[];
    return async () => {
      held();
      for (const q of queued) (await q)();
    };
  };
  return { flows, app, create, get, fill };
}

test("a flow over its share with a full queue gets 429 TooManyRequests, Retry-After: 1", async () => {
  const { flows, create, get, fill } = await setUp();
  expect((await create("alice-token", "team-a", "first")).status).toBe(201);
  const undo = fill("mutating", "team-a alice");
  const res = await create("alice-token", "team-a", "over");
  expect(res.status).toBe(429);
  expect(res.headers.get("retry-after")).toBe("1");
  expect(await res.json()).toMatchObject({
    kind: "Status",
    apiVersion: "v1",
    status: "Failure",
    reason: "TooManyRequests",
    code: 429,
    message: "Too many requests, please try again later.",
    details: { retryAfterSeconds: 1 },
  });
  expect(flows.rejected).toBe(1);
  // Read-only requests have seats of their own.
  expect((await get("alice-token", CONFIGMAPS("team-a"))).status).toBe(200);
  await undo();
  expect((await create("alice-token", "team-a", "after")).status).toBe(201);
});

test("other flows are served: another user, and the same user in another logical cluster", async () => {
  const { create, fill } = await setUp();
  const undo = fill("mutating", "team-a alice");
  expect((await create("bob-token", "team-a", "bobs")).status).toBe(201);
  expect((await create("alice-token", "team-b", "elsewhere")).status).toBe(201);
  expect((await create("alice-token", "team-a", "over")).status).toBe(429);
  await undo();
});

test("system:masters, watches and health checks are exempt", async () => {
  // One seat of each kind in all, held, and the pools' waiting room full: any other request is refused.
  const { flows, create, get, fill } = await setUp(1);
  const undoRead = fill("readOnly", "someone else");
  const undoWrite = fill("mutating", "someone else");
  expect((await get("alice-token", CONFIGMAPS("team-a"))).status).toBe(429);
  expect((await create("alice-token", "team-a", "refused")).status).toBe(429);
  // The admin token's user is in system:masters.
  expect((await create(TEST_TOKEN, "team-a", "by-admin")).status).toBe(201);
  expect((await get(TEST_TOKEN, CONFIGMAPS("team-a"))).status).toBe(200);
  // A watch is long-running and never takes a seat.
  const ac = new AbortController();
  const watch = await get("alice-token", `${CONFIGMAPS("team-a")}?watch=true`, ac.signal);
  expect(watch.status).toBe(200);
  ac.abort();
  await watch.body?.cancel().catch(() => {});
  for (const path of ["/readyz", "/livez", "/healthz", "/readyz/ping"])
    expect((await get("alice-token", path)).status).toBe(200);
  expect(flows.rejected).toBe(2);
  await undoRead();
  await undoWrite();
});

test("a request waiting for a seat is served when one frees", async () => {
  const { flows, create } = await setUp();
  const held = flows.acquire("mutating", "team-a alice") as Release;
  const pending = create("alice-token", "team-a", "waited");
  const deadline = Date.now() + 5000;
  while (flows.pools.mutating.waiting === 0 && Date.now() < deadline) await Bun.sleep(5);
  expect(flows.pools.mutating.waiting).toBe(1);
  held();
  expect((await pending).status).toBe(201);
  expect(flows.pools.mutating.inFlight).toBe(0);
});

test("a client that goes away while waiting leaves its flow's queue (over a real socket)", async () => {
  const { flows, app } = await setUp();
  // Bun aborts a request's signal when its connection closes; app.request has no connection.
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: (req) => app.fetch(req) });
  try {
    const held = flows.acquire("readOnly", "team-a alice") as Release;
    const ac = new AbortController();
    const gone = fetch(`http://127.0.0.1:${server.port}${CONFIGMAPS("team-a")}`, {
      headers: { authorization: "Bearer alice-token" },
      signal: ac.signal,
    }).catch(() => "aborted");
    const queued = Date.now() + 5000;
    while (flows.pools.readOnly.waiting === 0 && Date.now() < queued) await Bun.sleep(5);
    expect(flows.pools.readOnly.waiting).toBe(1);
    ac.abort();
    expect(await gone).toBe("aborted");
    const left = Date.now() + 5000;
    while (flows.pools.readOnly.waiting > 0 && Date.now() < left) await Bun.sleep(5);
    expect(flows.pools.readOnly.waiting).toBe(0);
    expect(flows.rejected).toBe(1);
    held();
    expect(flows.pools.readOnly.inFlight).toBe(0);
  } finally {
    server.stop(true);
  }
});

test("system:masters gained by impersonation is not exempt: the identity that authenticated must be in it", async () => {
  // Impersonation is authorized in the request's logical cluster, so any cluster-admin there (the
  // creator of a cluster) may impersonate the group system:masters in it.
  const { app, fill } = await setUp(1);
  const undo = fill("mutating", "someone else");
  const createAs = (token: string, name: string) =>
    app.request(CONFIGMAPS("team-a"), {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        "impersonate-user": "alice",
        "impersonate-group": "system:masters",
      },
      body: JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name } }),
    });
  expect((await createAs("alice-token", "spoofed")).status).toBe(429);
  // A member of system:masters impersonating it stays exempt.
  expect((await createAs(TEST_TOKEN, "by-admin")).status).toBe(201);
  await undo();
});
