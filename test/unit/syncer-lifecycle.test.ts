// The syncer's life cycle against two in-memory kcp apps (one is kcp, the other stands in for the
// physical cluster), reached through the client library's injected transport: what stop() leaves
// behind, and what the syncer reports about types it cannot list.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { DynamicClient, type ResourceClient, type ResourceRef } from "../../src/client/dynamic-client.ts";
import { RestClient } from "../../src/client/rest-client.ts";
import { probeServer } from "../../src/controllers/syncer/heartbeat.ts";
import { HEARTBEAT_NAMESPACE, heartbeatLeaseName, startSyncer } from "../../src/controllers/syncer/syncer.ts";
import { CLUSTER_LABEL, SYNCER_STATUS_ANNOTATION } from "../../src/controllers/syncer/labels.ts";
import { setLogLevel } from "../../src/log.ts";
import type { KObject } from "../../src/machinery/object.ts";
import { isStatusError } from "../../src/machinery/status.ts";
import { type InMemoryApp, inMemoryApp, TEST_TOKEN } from "../helpers/in-memory-app.ts";

let upApp: InMemoryApp;
let downApp: InMemoryApp;

beforeAll(async () => {
  setLogLevel("error");
  upApp = await inMemoryApp();
  downApp = await inMemoryApp();
});
afterAll(async () => {
  await upApp?.close();
  await downApp?.close();
});

interface Traffic {
  /** Watch requests whose response is still open. */
  openWatches: number;
  /** Requests made, by "METHOD path?watch". */
  requests: string[];
}

/**
 * A client of `app` for logical cluster admin; `hook` may delay or refuse a request (return a
 * Response to answer it instead of the app).
 */
function clientOf(
  app: InMemoryApp,
  traffic: Traffic,
  hook?: (req: Request, url: URL) => Promise<Response | undefined>,
  /** Watch events reach the client this much later (a slow connection). */
  watchDelayMs = 0,
): RestClient {
  return new RestClient({
    server: "https://kcp.invalid/clusters/admin",
    token: TEST_TOKEN,
    qps: 0,
    fetch: async (req) => {
      const url = new URL(req.url);
      const watch = url.searchParams.get("watch") === "true";
      traffic.requests.push(`${req.method} ${url.pathname}${watch ? "?watch" : ""}`);
      const answer = (await hook?.(req, url)) ?? (await app.app.fetch(req));
      if (!watch || !answer.body) return answer;
      traffic.openWatches++;
      let closed = false;
      const close = () => {
        if (!closed) traffic.openWatches--;
        closed = true;
      };
      const reader = answer.body.getReader();
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          try {
            const r = await reader.read();
            if (watchDelayMs) await Bun.sleep(watchDelayMs);
            if (r.done) {
              close();
              controller.close();
            } else controller.enqueue(r.value);
          } catch (e) {
            close();
            controller.error(e);
          }
        },
        cancel(reason) {
          close();
          return reader.cancel(reason);
        },
      });
      return new Response(body, { status: answer.status, headers: answer.headers });
    },
  });
}

async function until(what: string, fn: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

test("stop() while the first lists are in flight leaves no informer watching", async () => {
  const upTraffic: Traffic = { openWatches: 0, requests: [] };
  const downTraffic: Traffic = { openWatches: 0, requests: [] };
  let listsAsked = 0;
  // The downstream list of configmaps answers late: stop() comes while it is in flight.
  const slowList = async (_req: Request, url: URL) => {
    if (url.pathname.endsWith("/configmaps") && url.searchParams.get("watch") !== "true") {
      listsAsked++;
      await Bun.sleep(300);
    }
    return undefined;
  };
  const syncer = startSyncer({
    upstream: clientOf(upApp, upTraffic),
    downstream: clientOf(downApp, downTraffic, slowList),
    clusterName: "east",
    logicalCluster: "admin",
    resources: ["configmaps"],
    heartbeatIntervalMs: 60_000,
  });
  await until("the downstream list to be asked for", () => listsAsked > 0);
  const upBefore = upTraffic.requests.length;
  const downBefore = downTraffic.requests.length;
  await syncer.stop();
  // Give the late list time to arrive and whatever follows it time to happen.
  await Bun.sleep(800);
  const watchesAfter = [...upTraffic.requests.slice(upBefore), ...downTraffic.requests.slice(downBefore)].filter((r) =>
    r.endsWith("?watch"),
  );
  expect({ open: upTraffic.openWatches + downTraffic.openWatches, watches: watchesAfter }).toEqual({
    open: 0,
    watches: [],
  });
});

const NAMESPACES: ResourceRef = {
  group: "",
  version: "v1",
  resource: "namespaces",
  namespaced: false,
  kind: "Namespace",
};
const LEASES: ResourceRef = {
  group: "coordination.k8s.io",
  version: "v1",
  resource: "leases",
  namespaced: true,
  kind: "Lease",
};

async function exists(client: ResourceClient, name: string, namespace?: string): Promise<boolean> {
  try {
    await client.get(name, namespace);
    return true;
  } catch (e) {
    if (isStatusError(e) && e.code === 404) return false;
    throw e;
  }
}

async function untilAsync(what: string, fn: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

test("the heartbeat comes back after its namespace was deleted", async () => {
  const traffic: Traffic = { openWatches: 0, requests: [] };
  const upstream = clientOf(upApp, traffic);
  const syncer = startSyncer({
    upstream,
    downstream: clientOf(downApp, { openWatches: 0, requests: [] }),
    clusterName: "north",
    logicalCluster: "admin",
    resources: ["configmaps"],
    heartbeatIntervalMs: 100,
  });
  try {
    await syncer.started;
    const dyn = new DynamicClient(upstream);
    const leases = dyn.resource(LEASES);
    const namespaces = dyn.resource(NAMESPACES);
    expect(await exists(leases, heartbeatLeaseName("north"), HEARTBEAT_NAMESPACE)).toBe(true);
    // Deleted as the namespace controller would: the namespace, its content, then its finalizer.
    await namespaces.delete(HEARTBEAT_NAMESPACE);
    await leases.delete(heartbeatLeaseName("north"), { namespace: HEARTBEAT_NAMESPACE }).catch(() => {});
    const terminating = await namespaces.get(HEARTBEAT_NAMESPACE);
    await upstream.request({
      method: "PUT",
      path: `/api/v1/namespaces/${HEARTBEAT_NAMESPACE}/finalize`,
      body: { ...terminating, spec: { finalizers: [] } },
    });
    await untilAsync("the namespace to go", async () => !(await exists(namespaces, HEARTBEAT_NAMESPACE)));
    await untilAsync("the lease to be written again", () =>
      exists(leases, heartbeatLeaseName("north"), HEARTBEAT_NAMESPACE),
    );
  } finally {
    await syncer.stop();
  }
});

const CONFIGMAPS: ResourceRef = {
  group: "",
  version: "v1",
  resource: "configmaps",
  namespaced: true,
  kind: "ConfigMap",
};

test("an object moved to another Cluster of the same physical cluster keeps its copy", async () => {
  const none = (): Traffic => ({ openWatches: 0, requests: [] });
  const eastDown = none();
  const common = { logicalCluster: "admin", resources: ["configmaps"], heartbeatIntervalMs: 60_000 };
  // east hears of changes late, on both sides: west has taken the copy over by the time east
  // works on the object that left it, with its cache still showing the copy as east's.
  const east = startSyncer({
    ...common,
    clusterName: "east",
    upstream: clientOf(upApp, none(), undefined, 300),
    downstream: clientOf(downApp, eastDown, undefined, 1000),
  });
  const west = startSyncer({
    ...common,
    clusterName: "west",
    upstream: clientOf(upApp, none()),
    downstream: clientOf(downApp, none()),
  });
  try {
    await Promise.all([east.started, west.started]);
    const upCMs = new DynamicClient(clientOf(upApp, none())).resource(CONFIGMAPS);
    const downCMs = new DynamicClient(clientOf(downApp, none())).resource(CONFIGMAPS);
    await upCMs.create({ metadata: { name: "moving", namespace: "default", labels: { [CLUSTER_LABEL]: "east" } } });
    let copy: KObject | undefined;
    await untilAsync("the copy downstream", async () => {
      copy = await downCMs.get("moving", "default").catch(() => undefined);
      return copy !== undefined;
    });
    const uid = copy?.metadata.uid;
    await upCMs.patch("moving", { metadata: { labels: { [CLUSTER_LABEL]: "west" } } }, "merge", {
      namespace: "default",
    });
    await untilAsync("west to take the copy over", async () => {
      const c = await downCMs.get("moving", "default").catch(() => undefined);
      return c?.metadata.labels?.[CLUSTER_LABEL] === "west";
    });
    // east's late events arrive: it sees its copy and no kcp object for it, and deletes.
    await until("east to delete its copy", () => eastDown.requests.some((r) => r.startsWith("DELETE")), 15_000);
    await Bun.sleep(500);
    const after = await downCMs.get("moving", "default").catch(() => undefined);
    expect({ uid: after?.metadata.uid, cluster: after?.metadata.labels?.[CLUSTER_LABEL] }).toEqual({
      uid,
      cluster: "west",
    });
  } finally {
    await Promise.all([east.stop(), west.stop()]);
  }
}, 30_000);

test("two kcps whose logical clusters share a name never take each other's copies", async () => {
  const otherKcp = await inMemoryApp();
  const none = (): Traffic => ({ openWatches: 0, requests: [] });
  const common = {
    logicalCluster: "admin",
    resources: ["configmaps"],
    heartbeatIntervalMs: 60_000,
    clusterName: "south",
  };
  const a = startSyncer({ ...common, upstream: clientOf(upApp, none()), downstream: clientOf(downApp, none()) });
  const b = startSyncer({ ...common, upstream: clientOf(otherKcp, none()), downstream: clientOf(downApp, none()) });
  try {
    await Promise.all([a.started, b.started]);
    const labels = { [CLUSTER_LABEL]: "south" };
    const inA = new DynamicClient(clientOf(upApp, none())).resource(CONFIGMAPS);
    const inB = new DynamicClient(clientOf(otherKcp, none())).resource(CONFIGMAPS);
    const downCMs = new DynamicClient(clientOf(downApp, none())).resource(CONFIGMAPS);
    await inA.create({ metadata: { name: "shared-name", namespace: "default", labels }, data: { from: "a" } });
    await untilAsync(
      "a's copy",
      async () => (await downCMs.get("shared-name", "default").catch(() => undefined)) !== undefined,
    );
    // The same name in the other kcp's `admin`: its syncer must leave a's copy alone.
    await inB.create({ metadata: { name: "shared-name", namespace: "default", labels }, data: { from: "b" } });
    await until("b to try", () => b.counts().failures > 0);
    const copy = await downCMs.get("shared-name", "default");
    expect((copy as { data?: Record<string, string> }).data?.from).toBe("a");
    expect(b.counts()).toMatchObject({ created: 0, updated: 0, deleted: 0 });
  } finally {
    await Promise.all([a.stop(), b.stop()]);
    await otherKcp.close();
  }
}, 20_000);

test("a type whose list is refused is reported in the heartbeat, not hidden behind ok", async () => {
  const none = (): Traffic => ({ openWatches: 0, requests: [] });
  const forbidden = async (_req: Request, url: URL) =>
    url.pathname.endsWith("/configmaps")
      ? Response.json(
          { kind: "Status", apiVersion: "v1", status: "Failure", reason: "Forbidden", message: "no list", code: 403 },
          { status: 403 },
        )
      : undefined;
  const upstream = clientOf(upApp, none());
  const syncer = startSyncer({
    upstream,
    downstream: clientOf(downApp, none(), forbidden),
    clusterName: "refused",
    logicalCluster: "admin",
    resources: ["configmaps"],
    heartbeatIntervalMs: 100,
    rediscoverMs: 100,
  });
  try {
    const leases = new DynamicClient(upstream).resource(LEASES);
    let status = "";
    await untilAsync("the heartbeat to name the refused type", async () => {
      const lease = await leases.get(heartbeatLeaseName("refused"), HEARTBEAT_NAMESPACE).catch(() => undefined);
      status = lease?.metadata.annotations?.[SYNCER_STATUS_ANNOTATION] ?? "";
      return status.includes("configmaps");
    });
    expect(status).toContain("cannot list configmaps: ");
    expect(status).toContain("no list");
    expect(syncer.syncedResources()).toEqual([]);
  } finally {
    await syncer.stop();
  }
}, 20_000);

test("the probe of a server that is not an API server does not echo its answer", async () => {
  const metadata = new RestClient({
    server: "http://169.254.169.254/latest",
    qps: 0,
    fetch: async () => new Response("instance-secret-token", { status: 404 }),
  });
  const said = await probeServer(metadata, "the physical cluster", 1000);
  expect(said).toBe(
    "the physical cluster at http://169.254.169.254/latest refused the syncer: the server answered 404",
  );
});
