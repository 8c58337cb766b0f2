// Readiness from the syncer's heartbeat does not depend on the syncer's clock: the controller
// measures the age of a heartbeat from when it saw the Lease's renewTime change, on its own clock.
// A syncer whose clock runs an hour ahead goes NotReady once it stops renewing; one whose clock
// runs a minute behind is Ready while it renews.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { loopbackClientConfig } from "../../src/app/loopback-client.ts";
import { RestClient } from "../../src/client/rest-client.ts";
import { ClusterController } from "../../src/controllers/cluster/cluster-controller.ts";
import { type InMemoryApp, inMemoryApp, TEST_TOKEN } from "../helpers/in-memory-app.ts";

let kcp: InMemoryApp;
let controller: ClusterController<RestClient>;

beforeAll(async () => {
  kcp = await inMemoryApp();
  const client = new RestClient(loopbackClientConfig(kcp.app, TEST_TOKEN));
  controller = new ClusterController<RestClient>(
    {
      store: kcp.deps.store,
      registry: kcp.deps.registry,
      parseKubeconfig: async () => ({}),
      clientFor: () => client,
      targetOf: () => "t",
      upstreamFor: (lc) => client.forCluster(lc),
      // configmaps only: kcp serves them itself, so nothing is ever pulled (or negotiated).
      newCrdPuller: () => {
        throw new Error("nothing to import here");
      },
      startSyncer: () => {
        throw new Error("mode none only");
      },
    },
    {
      defaultMode: "none",
      defaultResources: ["configmaps"],
      heartbeatTimeoutMs: 1500,
      syncerImage: "kcp:test",
      kcp: { url: "https://kcp.example:6443" },
    },
  );
  await controller.start();
  const ns = await call("POST", "/api/v1/namespaces", {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: "kcp-system" },
  });
  expect(ns.status).toBe(201);
});
afterAll(async () => {
  await controller.stop();
  await kcp.close();
});

async function call(method: string, path: string, body?: unknown) {
  return kcp.app.request(path, {
    method,
    headers: { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

const leases = "/apis/coordination.k8s.io/v1/namespaces/kcp-system/leases";

/** The syncer of `name` renews its heartbeat, its clock `skewMs` off ours. */
async function renew(name: string, skewMs: number): Promise<void> {
  const renewTime = new Date(Date.now() + skewMs).toISOString().replace("Z", "000Z");
  const path = `${leases}/kcp-syncer-${name}`;
  const cur = await call("GET", path);
  const body = {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: { name: `kcp-syncer-${name}`, annotations: { "kcp.dev/syncer-status": "ok" } },
    spec: { holderIdentity: "syncer", renewTime },
  };
  const res =
    cur.status === 404
      ? await call("POST", leases, body)
      : await call("PUT", path, {
          ...body,
          metadata: { ...body.metadata, resourceVersion: ((await cur.json()) as any).metadata.resourceVersion },
        });
  expect(res.status === 200 || res.status === 201).toBe(true);
}

async function ready(name: string) {
  const obj = (await (await call("GET", `/apis/cluster.example.dev/v1alpha1/clusters/${name}`)).json()) as {
    status?: { conditions?: { type: string; status: string; message: string }[] };
  };
  return obj.status?.conditions?.find((c) => c.type === "Ready");
}

async function until(what: string, probe: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}

async function createCluster(name: string) {
  const res = await call("POST", "/apis/cluster.example.dev/v1alpha1/clusters", {
    apiVersion: "cluster.example.dev/v1alpha1",
    kind: "Cluster",
    metadata: { name },
    spec: { kubeconfig: "k" },
  });
  expect(res.status).toBe(201);
}

test("a syncer an hour ahead that stops renewing goes NotReady", async () => {
  await createCluster("ahead");
  await renew("ahead", 3_600_000);
  await until("Ready", async () => (await ready("ahead"))?.status === "True");
  // No more renewals: NotReady after the timeout (1.5 s), not in an hour.
  await until("NotReady", async () => (await ready("ahead"))?.status === "False");
  expect((await ready("ahead"))?.message).toStartWith("no heartbeat from the syncer for");
}, 30_000);

test("a syncer a minute behind that renews is Ready", async () => {
  await createCluster("behind");
  let renewing = true;
  const loop = (async () => {
    while (renewing) {
      await renew("behind", -60_000);
      await Bun.sleep(200);
    }
  })();
  try {
    await until("Ready", async () => (await ready("behind"))?.status === "True");
  } finally {
    renewing = false;
    await loop;
  }
}, 30_000);
