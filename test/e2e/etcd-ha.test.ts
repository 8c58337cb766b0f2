// Faults at the API level, with two kcp replicas on a 3-member etcd cluster on loopback:
//   - the etcd leader is killed during a stream of writes (through kcp) and a watch (through the
//     other replica): no acknowledged write is lost, no watch event is missed or repeated, and
//     writes resume after the election;
//   - every member is stopped: kcp reports not ready, answers 503/504 Status errors instead of
//     hanging, and recovers by itself when the members come back (its open watches too);
//   - one kcp replica is killed: the other's clients see nothing wrong.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type EtcdCluster, etcdMissingReason, startEtcdCluster } from "../helpers/etcd-process.ts";
import { call, configMap, etcdArgs, type JsonReply, until } from "../helpers/etcd-kcp.ts";
import { api, type KcpProcess, removeDir, startKcp, tempDir } from "../helpers/kcp-process.ts";
import { WatchStream } from "../helpers/watch-stream.ts";

const missing = etcdMissingReason();

/**
 * Create a ConfigMap through `kcp`, as a careful client does: retry while storage is unavailable
 * (503), and after an answer that leaves the outcome unknown (504) look whether it applied.
 * Returns the acknowledged resourceVersion.
 */
async function createAcknowledged(kcp: KcpProcess, namespace: string, name: string): Promise<{ rv: string }> {
  const path = `/api/v1/namespaces/${namespace}/configmaps`;
  let uncertain = false;
  for (let attempt = 0; attempt < 200; attempt++) {
    const r: JsonReply = await call(kcp, "POST", path, configMap(name, { at: String(Date.now()) }));
    if (r.status === 201) return { rv: r.body.metadata.resourceVersion };
    if (r.status === 409 && uncertain) {
      // An earlier attempt did apply.
      const got = await call(kcp, "GET", `${path}/${name}`);
      if (got.status === 200) return { rv: got.body.metadata.resourceVersion };
    } else if (r.status === 503 || r.status === 504) {
      expect(r.body.kind).toBe("Status");
      expect(r.body.code).toBe(r.status);
      if (r.status === 504) uncertain = true;
    } else {
      throw new Error(`create ${name}: unexpected ${r.status} ${JSON.stringify(r.body)}`);
    }
    await Bun.sleep(50);
  }
  throw new Error(`create ${name}: gave up`);
}

if (missing) {
  test("etcd is installed", () => {
    throw new Error(missing);
  });
} else {
  describe("kcp replicas on a 3-member etcd cluster, under faults", () => {
    let etcd: EtcdCluster;
    let root: string;
    let a: KcpProcess;
    let b: KcpProcess;
    /** A watch through b on namespace "ha", open from the first test to the last. */
    let watch: WatchStream;
    /** Names and resourceVersions of every acknowledged create in "ha", in order. */
    const acked: [string, string][] = [];

    beforeAll(async () => {
      etcd = await startEtcdCluster(3);
      root = tempDir("kcp-ha-");
      const args = etcdArgs(etcd, ["--etcd-request-timeout", "1s"]);
      a = await startKcp({ rootDir: root, args });
      b = await startKcp({ rootDir: root, args });
      expect((await call(a, "POST", "/api/v1/namespaces", { metadata: { name: "ha" } })).status).toBe(201);
      const start = (await call(b, "GET", "/api/v1/namespaces/ha/configmaps")).body.metadata.resourceVersion;
      watch = new WatchStream(await api(b, `/api/v1/namespaces/ha/configmaps?watch=1&resourceVersion=${start}`));
    }, 60_000);

    afterAll(async () => {
      watch?.close();
      await Promise.all([a?.stop(), b?.stop()]);
      await etcd?.stop();
      if (root) removeDir(root);
    });

    /** The watch's next `n` events must be the ADDED events of the last `n` acknowledged creates. */
    async function expectWatched(n: number): Promise<void> {
      const events = await watch.take(n, 30_000);
      expect(events.map((e) => [e.type, e.object.metadata.name, e.object.metadata.resourceVersion])).toEqual(
        acked.slice(-n).map(([name, rv]) => ["ADDED", name, rv]),
      );
      expect(await watch.drain(300)).toEqual([]);
    }

    test("killing the etcd leader during writes and a watch loses nothing", async () => {
      const total = 60;
      let killed: Awaited<ReturnType<EtcdCluster["leader"]>> | undefined;
      for (let i = 0; i < total; i++) {
        if (i === 15) {
          killed = await etcd.leader();
          await killed.stop("SIGKILL");
        }
        const { rv } = await createAcknowledged(a, "ha", `k-${i}`);
        acked.push([`k-${i}`, rv]);
      }
      // Writes went on through a new leader with two members left.
      expect(killed?.running).toBe(false);
      const survivor = await etcd.leader();
      expect(survivor).not.toBe(killed);
      await killed?.start();
      await expectWatched(total);
      // Every acknowledged write is there, through either replica.
      const list = await call(a, "GET", "/api/v1/namespaces/ha/configmaps");
      expect(list.body.items.map((o: any) => [o.metadata.name, o.metadata.resourceVersion]).sort()).toEqual(
        [...acked].sort(),
      );
    }, 60_000);

    test("with every member down: not ready, 503/504 Status errors, then recovery by itself", async () => {
      await Promise.all(etcd.members.map((m) => m.stop("SIGKILL")));
      await until(
        "/readyz to fail",
        async () => ((await call(b, "GET", "/readyz")).status === 500 ? true : undefined),
        15_000,
      );
      const verbose = await call(b, "GET", "/readyz?verbose");
      expect(verbose.body).toContain("[-]storage failed");
      // Liveness is not storage's business: restarting kcp would not bring etcd back.
      expect((await call(b, "GET", "/livez")).status).toBe(200);

      // Reads and writes fail with a Status, in bounded time (call() aborts after 30 s).
      const read = await call(b, "GET", "/api/v1/namespaces/ha/configmaps/k-0");
      expect([503, 504]).toContain(read.status);
      expect(read.body).toMatchObject({
        kind: "Status",
        status: "Failure",
        code: read.status,
        reason: read.status === 503 ? "ServiceUnavailable" : "Timeout",
      });
      const write = await call(a, "POST", "/api/v1/namespaces/ha/configmaps", configMap("during-outage"));
      expect([503, 504]).toContain(write.status);
      expect(write.body).toMatchObject({ kind: "Status", code: write.status });

      await Promise.all(etcd.members.map((m) => m.start()));
      for (const kcp of [a, b])
        await until(
          "/readyz to pass again",
          async () => ((await call(kcp, "GET", "/readyz")).status === 200 ? true : undefined),
          30_000,
        );
      const { rv } = await createAcknowledged(b, "ha", "after-outage");
      acked.push(["after-outage", rv]);
      expect(
        (await call(a, "GET", "/api/v1/namespaces/ha/configmaps/after-outage")).body.metadata.resourceVersion,
      ).toBe(rv);
      // The watch opened before the outage carries on.
      await expectWatched(1);
    }, 60_000);

    test("killing one kcp replica: clients of the other see nothing wrong", async () => {
      const total = 30;
      for (let i = 0; i < total; i++) {
        if (i === 10) await a.kill9();
        const r = await call(b, "POST", "/api/v1/namespaces/ha/configmaps", configMap(`after-kill-${i}`));
        expect(r.status).toBe(201);
        acked.push([`after-kill-${i}`, r.body.metadata.resourceVersion]);
      }
      await expectWatched(total);
      expect((await call(b, "GET", "/readyz")).status).toBe(200);
    }, 30_000);
  });
}
