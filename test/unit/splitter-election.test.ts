// Several kcp servers on one store: the deployment splitter runs on one of them only (leader
// election on admin|kube-system/kcp-deployment-splitter), and another takes over when the leader
// stops. Two wirings over one in-memory app stand in for two servers on one etcd.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { loopbackClientConfig } from "../../src/app/loopback-client.ts";
import { type ElectedSplitter, SPLITTER_LEASE, startDeploymentSplitter } from "../../src/app/splitter-wiring.ts";
import { type InMemoryApp, inMemoryApp, TEST_TOKEN } from "../helpers/in-memory-app.ts";

let mem: InMemoryApp;
const servers: ElectedSplitter[] = [];

beforeAll(async () => {
  mem = await inMemoryApp();
});
afterAll(async () => {
  for (const s of servers) await s.stop();
  await mem.close();
});

function start(): ElectedSplitter {
  const s = startDeploymentSplitter(loopbackClientConfig(mem.app, TEST_TOKEN), {
    leaseDurationMs: 3000,
    renewDeadlineMs: 2000,
    retryPeriodMs: 100,
  });
  servers.push(s);
  return s;
}

async function until<T>(what: string, probe: () => T | undefined, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}

test("one splitter runs; when its server stops, the other takes over", async () => {
  const a = start();
  const b = start();
  const leader = await until("a leader", () => (a.isLeader() ? a : b.isLeader() ? b : undefined));
  const other = leader === a ? b : a;
  await until("the leader's splitter", () => leader.active);
  expect(other.isLeader()).toBe(false);
  expect(other.active).toBeUndefined();
  const lease = `/apis/coordination.k8s.io/v1/namespaces/${SPLITTER_LEASE.namespace}/leases/${SPLITTER_LEASE.name}`;
  const res = await mem.app.request(lease, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
  expect(res.status).toBe(200);
  await leader.stop();
  expect(leader.active).toBeUndefined();
  await until("the other takes over", () => other.active);
  expect(other.isLeader()).toBe(true);
});
