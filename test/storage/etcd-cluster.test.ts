// The etcd backend on a 3-member loopback cluster whose leader is killed in the middle of a
// stream of writes and a watch. What must hold: no write the storage acknowledged is lost, no
// write is reported as failed when it applied (only "unavailable" is allowed when the outcome is
// unknown), the watch sees every acknowledged write exactly once and in order, and writes go on
// after the re-election.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { EtcdStorage } from "../../src/storage/etcd/etcd-storage.ts";
import { StorageUnavailableError, type WatchEvent } from "../../src/storage/interface.ts";
import { type EtcdCluster, etcdMissingReason, startEtcdCluster } from "../helpers/etcd-process.ts";
import { waitFor } from "./suite.ts";

const missing = etcdMissingReason();

if (missing) {
  console.error(`etcd cluster tests cannot run: ${missing}`);
  test("etcd is installed", () => {
    throw new Error(missing);
  });
} else {
  describe("etcd backend on a 3-member cluster", () => {
    let cluster: EtcdCluster;
    let storage: EtcdStorage | undefined;

    beforeAll(async () => {
      cluster = await startEtcdCluster(3);
    });
    afterAll(async () => {
      await storage?.close();
      await cluster?.stop();
    });

    test("killing the leader under writes and a watch loses nothing and repeats nothing", async () => {
      const s = await EtcdStorage.connect({
        endpoints: cluster.endpoints,
        callTimeoutMs: 1000,
        retryBudgetMs: 5000,
        progressIntervalMs: 200,
      });
      storage = s;
      const r0 = await s.currentRevision();
      const events: WatchEvent[] = [];
      const watchErrors: Error[] = [];
      const w = s.watch({
        prefix: "/load/",
        afterRevision: r0,
        onEvent: (ev) => void events.push(ev),
        onError: (err) => void watchErrors.push(err),
      });

      interface Ack {
        key: string;
        value: string;
        revision: number;
        at: number;
      }
      const acks: Ack[] = [];
      /** Keys whose last write has an unknown outcome (StorageUnavailableError). */
      const unknown = new Set<string>();
      const wrongAnswers: string[] = [];
      let stop = false;

      const writer = async (id: number) => {
        for (let i = 0; !stop; i++) {
          const key = `/load/w${id}/k${String(i).padStart(5, "0")}`;
          let created: number;
          try {
            created = await s.create(key, `c${id}-${i}`);
            acks.push({ key, value: `c${id}-${i}`, revision: created, at: Date.now() });
          } catch (err) {
            // Nobody else writes these keys: "exists" would be a write reported failed that applied.
            if (err instanceof StorageUnavailableError) unknown.add(key);
            else wrongAnswers.push(`create ${key}: ${err}`);
            continue;
          }
          try {
            const updated = await s.update(key, `u${id}-${i}`, created);
            acks.push({ key, value: `u${id}-${i}`, revision: updated, at: Date.now() });
          } catch (err) {
            if (err instanceof StorageUnavailableError) unknown.add(key);
            else wrongAnswers.push(`update ${key}: ${err}`);
          }
        }
      };
      const writers = Array.from({ length: 8 }, (_, id) => writer(id));

      await Bun.sleep(1000);
      const leader = await cluster.leader();
      const killedAt = Date.now();
      await leader.stop("SIGKILL");
      await Bun.sleep(3000);
      stop = true;
      await Promise.all(writers);

      expect(wrongAnswers).toEqual([]);
      const before = acks.filter((a) => a.at < killedAt).length;
      const after = acks.filter((a) => a.at > killedAt + 1500).length;
      expect(before).toBeGreaterThan(50);
      // Writes resumed after the re-election (well within the 3 s after the kill).
      expect(after).toBeGreaterThan(50);

      // Every acknowledged write is in etcd: each key holds its last acknowledged value, unless a
      // later write of it had an unknown outcome (then it holds one of the two).
      const last = new Map<string, Ack>();
      for (const a of acks) last.set(a.key, a);
      const stored = new Map((await s.list({ prefix: "/load/" })).items.map((kv) => [kv.key, kv]));
      const lost: string[] = [];
      for (const [key, a] of last) {
        const kv = stored.get(key);
        if (!kv) lost.push(`${key} missing`);
        else if (!unknown.has(key) && (kv.modRevision !== a.revision || kv.value !== a.value))
          lost.push(`${key}: ${kv.value}@${kv.modRevision}, acknowledged ${a.value}@${a.revision}`);
        else if (unknown.has(key) && kv.modRevision < a.revision) lost.push(`${key}: older than acknowledged`);
      }
      expect(lost).toEqual([]);

      // The watch: strictly increasing revisions (in order, no repeats), every acknowledged write
      // among them with its value, nothing it reports that etcd does not hold or did not hold.
      const newest = Math.max(...acks.map((a) => a.revision));
      await waitFor(() => (events[events.length - 1]?.revision ?? 0) >= newest, "the watch to catch up", 10_000);
      expect(watchErrors).toEqual([]);
      const revs = events.map((e) => e.revision);
      for (let i = 1; i < revs.length; i++)
        if ((revs[i] as number) <= (revs[i - 1] as number))
          throw new Error(`watch out of order or repeated at ${revs[i]}`);
      const byRevision = new Map(events.map((e) => [e.revision, e]));
      const unseen = acks.filter(
        (a) => byRevision.get(a.revision)?.key !== a.key || byRevision.get(a.revision)?.value !== a.value,
      );
      expect(unseen).toEqual([]);
      for (const ev of events) {
        if (ev.type !== "PUT") throw new Error(`unexpected ${ev.type} ${ev.key}`);
        expect(ev.value.startsWith(ev.prevValue === undefined ? "c" : "u")).toBe(true);
      }
      w.stop();
    }, 30_000);
  });
}
