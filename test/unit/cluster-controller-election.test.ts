// Several kcp servers on one store: the cluster controller runs on one of them only (leader election
// on admin|kube-system/kcp-cluster-controller), and another takes over when the leader stops.
// Two controller wirings over one in-memory app stand in for two servers on one etcd.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { CLUSTER_GROUP, CLUSTER_RESOURCE, CLUSTER_VERSION } from "../../src/apis/builtin/cluster.ts";
import { DEFAULT_CLUSTER } from "../../src/apis/logical-clusters.ts";
import type { KObject } from "../../src/apis/types.ts";
import {
  CLUSTER_CONTROLLER_LEASE,
  type ElectedClusterController,
  startClusterController,
} from "../../src/app/cluster-controller-wiring.ts";
import { loopbackClientConfig } from "../../src/app/loopback-client.ts";
import { type InMemoryApp, inMemoryApp, TEST_TOKEN } from "../helpers/in-memory-app.ts";

let mem: InMemoryApp;
const servers: ElectedClusterController[] = [];

beforeAll(async () => {
  mem = await inMemoryApp();
});
afterAll(async () => {
  for (const s of servers) await s.stop();
  await mem.close();
});

function startServer(): Promise<ElectedClusterController> {
  return startClusterController(
    { leaderElection: { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 100 } },
    {
      store: mem.deps.store,
      registry: mem.deps.registry,
      loopback: loopbackClientConfig(mem.app, TEST_TOKEN),
      url: "https://127.0.0.1:6443",
      caCertPem: "",
    },
  ).then((s) => {
    servers.push(s);
    return s;
  });
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}

const clusterPath = "/apis/cluster.example.dev/v1alpha1/clusters";

async function createCluster(name: string): Promise<void> {
  const res = await mem.app.request(clusterPath, {
    method: "POST",
    headers: { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({
      apiVersion: `${CLUSTER_GROUP}/${CLUSTER_VERSION}`,
      kind: "Cluster",
      metadata: { name },
      spec: { kubeconfig: "hello" },
    }),
  });
  expect(res.status).toBe(201);
}

async function readyReason(name: string): Promise<string | undefined> {
  const def = mem.deps.registry.lookup(DEFAULT_CLUSTER, CLUSTER_GROUP, CLUSTER_VERSION, CLUSTER_RESOURCE);
  if (!def) throw new Error("clusters are not registered");
  const obj: KObject | undefined = await mem.deps.store
    .get(def, DEFAULT_CLUSTER, undefined, name)
    .catch(() => undefined);
  const conds = (obj?.status as { conditions?: { type: string; reason: string }[] } | undefined)?.conditions;
  return conds?.find((c) => c.type === "Ready")?.reason;
}

test("one of two servers runs the controller; the other takes over when it stops", async () => {
  const a = await startServer();
  const b = await startServer();
  const leader = await until("a leader", () => (a.active ? a : b.active ? b : undefined));
  const other = leader === a ? b : a;
  // Both campaign for a while: still exactly one runs a controller.
  for (let i = 0; i < 10; i++) {
    expect([a, b].filter((s) => s.active !== undefined)).toHaveLength(1);
    await Bun.sleep(100);
  }
  expect(other.isLeader()).toBe(false);
  const { namespace, name } = CLUSTER_CONTROLLER_LEASE;
  const lease = await mem.app.request(`/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${name}`, {
    headers: { authorization: `Bearer ${TEST_TOKEN}` },
  });
  expect(lease.status).toBe(200);

  await createCluster("first");
  expect(await until("the leader's status", async () => await readyReason("first"))).toBe("InvalidKubeConfig");

  await leader.stop();
  expect(leader.active).toBeUndefined();
  await until("the other server to lead", () => other.active);
  await createCluster("second");
  expect(await until("the new leader's status", async () => await readyReason("second"))).toBe("InvalidKubeConfig");
}, 30_000);
