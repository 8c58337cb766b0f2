// Each server's replica Lease says how far its admitted writes have drained; the deleter waits
// for every live one at or past the marking revision, skips expired ones and its own, and a server
// that stops deletes its Lease.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { AdmittedWrites } from "../../src/apis/admitted-writes.ts";
import { DRAINED_ANNOTATION, REPLICA_LABEL, ReplicaLease, replicasBehind } from "../../src/app/replica-lease.ts";
import { loopbackClientConfig } from "../../src/app/loopback-client.ts";
import { DynamicClient, type ResourceClient } from "../../src/client/dynamic-client.ts";
import { RestClient } from "../../src/client/rest-client.ts";
import type { KObject } from "../../src/machinery/object.ts";
import { type InMemoryApp, inMemoryApp, TEST_TOKEN } from "../helpers/in-memory-app.ts";

/** metav1.MicroTime, as Lease times are written. */
const microTime = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");

let mem: InMemoryApp;
let leases: ResourceClient;

beforeEach(async () => {
  mem = await inMemoryApp();
  leases = new DynamicClient(new RestClient(loopbackClientConfig(mem.app, TEST_TOKEN))).resource({
    group: "coordination.k8s.io",
    version: "v1",
    resource: "leases",
    namespaced: true,
  });
});
afterEach(() => mem.close());

async function drainedOf(name: string): Promise<number> {
  const lease = await leases.get(name, "kube-system");
  expect(lease.metadata.labels?.[REPLICA_LABEL]).toBe("true");
  return Number(lease.metadata.annotations?.[DRAINED_ANNOTATION]);
}

test("a server is behind while a write admitted before the revision is in flight, then acknowledges at once", async () => {
  const writesA = new AdmittedWrites();
  const writesB = new AdmittedWrites();
  writesA.observe(10);
  writesB.observe(10);
  const a = new ReplicaLease(leases, writesA, { durationMs: 60_000 });
  const b = new ReplicaLease(leases, writesB, { durationMs: 60_000 });
  await a.start();
  await b.start();
  const inFlight = writesB.admit("team-a");
  // team-a is marked at revision 12; both see it.
  writesA.observe(12);
  writesB.observe(12);
  a.acknowledge(12);
  b.acknowledge(12);
  const deadline = Date.now() + 5000;
  while ((await drainedOf(a.name)) < 12 && Date.now() < deadline) await Bun.sleep(20);
  expect(await drainedOf(a.name)).toBe(12);
  expect(await drainedOf(b.name)).toBe(10);
  // Seen from a: b is behind; from b (which checks itself in memory): nobody.
  expect(await replicasBehind(leases, a.name, 12)).toEqual([b.name]);
  expect(await replicasBehind(leases, b.name, 12)).toEqual([]);
  inFlight();
  while ((await drainedOf(b.name)) < 12 && Date.now() < deadline) await Bun.sleep(20);
  expect(await replicasBehind(leases, a.name, 12)).toEqual([]);
  await b.stop();
  await expect(leases.get(b.name, "kube-system")).rejects.toMatchObject({ code: 404 });
  await a.stop();
});

test("an expired Lease (a killed server) is not waited for", async () => {
  const stale = {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: {
      name: "kcp-replica-gone",
      namespace: "kube-system",
      labels: { [REPLICA_LABEL]: "true" },
      annotations: { [DRAINED_ANNOTATION]: "1" },
    },
    spec: {
      holderIdentity: "kcp-replica-gone",
      leaseDurationSeconds: 40,
      renewTime: microTime(Date.now() - 41_000),
    },
  } as unknown as KObject;
  await leases.create(stale, { namespace: "kube-system" });
  expect(await replicasBehind(leases, "me", 5)).toEqual([]);
  const live = { ...stale, metadata: { ...stale.metadata, name: "kcp-replica-live" } } as KObject;
  (live as unknown as { spec: { renewTime: string } }).spec.renewTime = microTime(Date.now());
  await leases.create(live, { namespace: "kube-system" });
  expect(await replicasBehind(leases, "me", 5)).toEqual(["kcp-replica-live"]);
});
