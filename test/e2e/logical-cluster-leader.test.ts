// The LogicalCluster controller runs on one of the kcp replicas of an etcd: the one holding the
// Lease admin|kube-system/kcp-logical-cluster-controller. Two replicas share an etcd: one holds
// the Lease and counts, the other stands by; when the holder is killed (SIGKILL: it releases
// nothing) the other takes the Lease once it expires (2 s here) and counts and deletes from then on.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type EtcdCluster, etcdMissingReason, startEtcd } from "../helpers/etcd-process.ts";
import { call, configMap, etcdArgs, until } from "../helpers/etcd-kcp.ts";
import { type KcpProcess, removeDir, startKcp, tempDir } from "../helpers/kcp-process.ts";
import { slowPost } from "../helpers/slow-body.ts";

const missing = etcdMissingReason();
const LC = "/apis/tenancy.kcp.io/v1alpha1/logicalclusters";
const LEASE = "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kcp-logical-cluster-controller";
const ENV = { KCP_LOGICAL_CLUSTER_LEASE_MS: "2000", KCP_LOGICAL_CLUSTER_REFRESH_MS: "300" };
const STARTED = "logical cluster controller: started (this server is the leader)";

/** The identity a replica campaigns with, from its "became the leader" line; undefined before it leads. */
function leaderIdentity(k: KcpProcess): string | undefined {
  return /lease kube-system\/kcp-logical-cluster-controller \((\S+)\): became the leader/.exec(k.output())?.[1];
}

async function objectsIn(k: KcpProcess, cluster: string): Promise<number | undefined> {
  const r = await call(k, "GET", `${LC}/${cluster}`);
  return r.status === 200 ? r.body.status?.resources?.configmaps : undefined;
}

if (missing) {
  test("etcd is installed", () => {
    throw new Error(missing);
  });
} else {
  describe("LogicalCluster controller leader election", () => {
    let etcd: EtcdCluster;
    let root: string;
    let a: KcpProcess;
    let b: KcpProcess;

    beforeAll(async () => {
      etcd = await startEtcd();
      root = tempDir("kcp-lc-leader-");
      a = await startKcp({ rootDir: root, args: etcdArgs(etcd), env: ENV });
      b = await startKcp({ rootDir: root, args: etcdArgs(etcd), env: ENV });
    }, 60_000);

    afterAll(async () => {
      await Promise.all([a?.stop(), b?.stop()]);
      await etcd?.stop();
      if (root) removeDir(root);
    });

    let leader: KcpProcess;
    let standby: KcpProcess;

    test("one replica holds the Lease and counts; the other stands by", async () => {
      const holder = await until("a Lease holder", async () => {
        const r = await call(a, "GET", LEASE);
        return r.status === 200 && r.body.spec.holderIdentity ? (r.body.spec as Record<string, any>) : undefined;
      });
      [leader, standby] = leaderIdentity(a) === holder.holderIdentity ? [a, b] : [b, a];
      expect(leaderIdentity(leader)).toBe(holder.holderIdentity);
      expect(holder.leaseDurationSeconds).toBe(2);
      expect(holder.leaseTransitions).toBe(0);
      expect(Date.parse(holder.acquireTime)).toBeLessThanOrEqual(Date.parse(holder.renewTime));
      for (let i = 0; i < 3; i++)
        expect(
          (await call(standby, "POST", "/clusters/counted/api/v1/namespaces/default/configmaps", configMap(`c${i}`)))
            .status,
        ).toBe(201);
      await until("counted's configmaps counted", async () =>
        (await objectsIn(standby, "counted")) === 3 ? 3 : undefined,
      );
      // Counting went on for a while (refresh every 300 ms): the standby never started its controller.
      expect(leader.output()).toContain(STARTED);
      expect(standby.output()).not.toContain(STARTED);
      expect(leaderIdentity(standby)).toBeUndefined();
    }, 30_000);

    test("a write admitted by the standby before a deletion holds the leader's deletion until it has finished", async () => {
      expect((await call(standby, "POST", LC, { metadata: { name: "late" } })).status).toBe(201);
      let send!: () => void;
      const release = new Promise<void>((r) => (send = r));
      const write = slowPost(
        standby,
        "/clusters/late/api/v1/namespaces",
        JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: "straggler" } }),
        release,
      );
      // Admitted by the standby when its headers arrive; the body is still on its way.
      await Bun.sleep(500);
      expect((await call(leader, "DELETE", `${LC}/late`)).status).toBe(200);
      // The leader sees the standby's Lease behind the marking revision and waits.
      await until("the leader to wait for the standby", async () =>
        leader.output().includes("logical cluster late: waiting for kcp-replica-") ? true : undefined,
      );
      expect((await call(leader, "GET", `${LC}/late`)).body.status.phase).toBe("Terminating");
      send();
      // Worked once the standby knows: refused at the store, as it would be at the door.
      expect((await write).status).toBe(403);
      await until("late deleted", async () =>
        (await call(leader, "GET", `${LC}/late`)).status === 404 ? true : undefined,
      );
      // The next cluster of the name starts empty, on either server.
      expect((await call(leader, "GET", "/clusters/late/api/v1/namespaces/straggler")).status).toBe(404);
      expect((await call(standby, "GET", "/clusters/late/api/v1/namespaces/straggler")).status).toBe(404);
    }, 30_000);

    test("the standby takes over after the holder is killed, and counts and deletes", async () => {
      const before = (await call(standby, "GET", LEASE)).body.spec as Record<string, any>;
      await leader.kill9();
      const after = await until(
        "the standby to take the Lease",
        async () => {
          const r = await call(standby, "GET", LEASE);
          const spec = r.body.spec as Record<string, any>;
          return spec.holderIdentity && spec.holderIdentity !== before.holderIdentity ? spec : undefined;
        },
        15_000,
      );
      expect(after.leaseTransitions).toBe(before.leaseTransitions + 1);
      // Its log says so a moment after the Lease does.
      await until("the new leader's log", async () =>
        leaderIdentity(standby) === after.holderIdentity && standby.output().includes(STARTED) ? true : undefined,
      );

      expect(
        (await call(standby, "POST", "/clusters/counted/api/v1/namespaces/default/configmaps", configMap("c3"))).status,
      ).toBe(201);
      await until("the new leader's count", async () => ((await objectsIn(standby, "counted")) === 4 ? 4 : undefined));
      expect((await call(standby, "DELETE", `${LC}/counted`)).status).toBe(200);
      await until("counted deleted by the new leader", async () =>
        (await call(standby, "GET", `${LC}/counted`)).status === 404 ? true : undefined,
      );
      const left = await call(standby, "GET", "/clusters/counted/api/v1/namespaces/default/configmaps");
      expect(left.status === 404 || left.body.items?.length === 0).toBe(true);
    }, 30_000);
  });
}
