// The syncer's life cycle against two in-memory kcp apps (one is kcp, the other stands in for the
// physical cluster), reached through the client library's injected transport: what stop() leaves
// behind, and what the syncer reports about types it cannot list.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { DynamicClient, type ResourceClient, type ResourceRef } from "../../src/client/dynamic-client.ts";
import { RestClient } from "../../src/client/rest-client.ts";
import { HEARTBEAT_NAMESPACE, heartbeatLeaseName, startSyncer } from "../../src/controllers/syncer/syncer.ts";
import { setLogLevel } from "../../src/log.ts";
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
