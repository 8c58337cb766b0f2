// The backend-independent storage test suite: written against src/storage/interface.ts alone, so
// every backend (SQLite, etcd) runs it unchanged. `open` must return a fresh, empty store.

import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import {
  CompactedError,
  KeyExistsError,
  KeyNotFoundError,
  RevisionMismatchError,
  type Storage,
  StorageUnavailableError,
  ValueTooLargeError,
  type WatchEvent,
  type WatchOptions,
} from "../../src/storage/interface.ts";

export interface OpenedStorage {
  storage: Storage;
  cleanup: () => Promise<void>;
}

/** Poll until `cond` holds (watch delivery is asynchronous). */
export async function waitFor(cond: () => boolean, what = "condition", timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(2);
  }
}

export interface Recorder {
  events: WatchEvent[];
  errors: Error[];
  progress: number[];
  stop: () => void;
}

/** Start a watch that records everything it is told. */
export function record(storage: Storage, opts: Omit<WatchOptions, "onEvent" | "onError" | "onProgress">): Recorder {
  const r: Recorder = { events: [], errors: [], progress: [], stop: () => {} };
  const w = storage.watch({
    ...opts,
    onEvent: (ev) => {
      r.events.push(ev);
    },
    onError: (err) => {
      r.errors.push(err);
    },
    onProgress: (rev) => {
      r.progress.push(rev);
    },
  });
  r.stop = () => w.stop();
  return r;
}

/** Wait a little for anything that should not arrive (duplicates, events after stop). */
const settle = () => Bun.sleep(30);

const summary = (evs: WatchEvent[]) => evs.map((e) => `${e.type} ${e.key} ${e.value}`);

/**
 * What a call failed with (an object naming its result when it did not fail). Not
 * `expect(p).rejects`: bun test waits for that promise synchronously, from inside the callback
 * that is running, and a client whose previous answer arrived in that very callback (an HTTP/2
 * connection's data callback, etcd's gRPC) cannot send or read until the wait ends.
 */
async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    (value) => ({ resolvedWith: value }),
    (err: unknown) => err,
  );
}

function expectIncreasing(revs: number[]): void {
  for (let i = 1; i < revs.length; i++) expect(revs[i] as number).toBeGreaterThan(revs[i - 1] as number);
}

export function runStorageSuite(name: string, open: () => Promise<OpenedStorage>): void {
  describe(`storage suite: ${name}`, () => {
    let s: Storage;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ storage: s, cleanup } = await open());
    });
    afterEach(async () => {
      await cleanup();
    });

    describe("single-key operations", () => {
      test("create, get and exists", async () => {
        const r0 = await s.currentRevision();
        const r1 = await s.create("/t/a", "v1");
        expect(r1).toBeGreaterThan(r0);
        expect(await s.currentRevision()).toBe(r1);
        expect(await s.get("/t/a")).toEqual({ key: "/t/a", value: "v1", modRevision: r1, createRevision: r1 });
        expect(await s.get("/t/missing")).toBeNull();

        const err = await s.create("/t/a", "v2").catch((e) => e);
        expect(err).toBeInstanceOf(KeyExistsError);
        expect((err as KeyExistsError).key).toBe("/t/a");
        expect((await s.get("/t/a"))?.value).toBe("v1");
        // A failed write takes no revision.
        expect(await s.currentRevision()).toBe(r1);
      });

      test("a value over the default size limit (etcd's 1.5 MiB) is refused, nothing stored", async () => {
        const big = "x".repeat(1.5 * 1024 * 1024 + 1);
        expect(await failure(s.create("/t/big", big))).toBeInstanceOf(ValueTooLargeError);
        expect(await s.get("/t/big")).toBeNull();
        const r1 = await s.create("/t/big", "small");
        expect(await failure(s.update("/t/big", big, r1))).toBeInstanceOf(ValueTooLargeError);
        expect((await s.get("/t/big"))?.value).toBe("small");
      });

      test("update with the right and a stale revision", async () => {
        const r1 = await s.create("/t/u", "v1");
        const r2 = await s.update("/t/u", "v2", r1);
        expect(r2).toBeGreaterThan(r1);
        expect(await s.get("/t/u")).toEqual({ key: "/t/u", value: "v2", modRevision: r2, createRevision: r1 });

        const stale = await s.update("/t/u", "v3", r1).catch((e) => e);
        expect(stale).toBeInstanceOf(RevisionMismatchError);
        expect((stale as RevisionMismatchError).current).toEqual({
          key: "/t/u",
          value: "v2",
          modRevision: r2,
          createRevision: r1,
        });
        expect((await s.get("/t/u"))?.value).toBe("v2");

        expect(await failure(s.update("/t/none", "x", r1))).toBeInstanceOf(KeyNotFoundError);
        expect(await s.currentRevision()).toBe(r2);
      });

      test("delete with and without a precondition", async () => {
        const r1 = await s.create("/t/d", "gone");
        const del = await s.delete("/t/d");
        expect(del.revision).toBeGreaterThan(r1);
        expect(del.prev).toEqual({ key: "/t/d", value: "gone", modRevision: r1, createRevision: r1 });
        expect(await s.get("/t/d")).toBeNull();
        expect(await failure(s.delete("/t/d"))).toBeInstanceOf(KeyNotFoundError);

        const c1 = await s.create("/t/p", "a");
        const c2 = await s.update("/t/p", "b", c1);
        const mismatch = await s.delete("/t/p", c1).catch((e) => e);
        expect(mismatch).toBeInstanceOf(RevisionMismatchError);
        expect((mismatch as RevisionMismatchError).current.modRevision).toBe(c2);
        expect((await s.get("/t/p"))?.value).toBe("b");
        const ok = await s.delete("/t/p", c2);
        expect(ok.prev.value).toBe("b");
        expect(await s.get("/t/p")).toBeNull();

        // A key created again starts a new life.
        const again = await s.create("/t/d", "back");
        expect(await s.get("/t/d")).toEqual({ key: "/t/d", value: "back", modRevision: again, createRevision: again });
      });

      test("revisions increase with every write and only with writes", async () => {
        const revs = [await s.currentRevision()];
        revs.push(await s.create("/m/a", "1"));
        revs.push(await s.create("/m/b", "1"));
        revs.push(await s.update("/m/a", "2", revs[1] as number));
        revs.push((await s.delete("/m/b")).revision);
        expectIncreasing(revs);
        await s.create("/m/a", "dup").catch(() => {});
        await s.delete("/m/b").catch(() => {});
        expect(await s.currentRevision()).toBe(revs[revs.length - 1] as number);
        expect(await s.healthy()).toBe(true);
      });
    });

    describe("list", () => {
      test("by prefix, without leaking into sibling prefixes", async () => {
        for (const k of ["/a/b/2", "/a/b/1", "/a/b/x/y", "/a/bc/1", "/a/b", "/a/a/1", "/a/c"])
          await s.create(k, `v${k}`);
        const res = await s.list({ prefix: "/a/b/" });
        expect(res.items.map((kv) => kv.key)).toEqual(["/a/b/1", "/a/b/2", "/a/b/x/y"]);
        expect(res.items[0]?.value).toBe("v/a/b/1");
        expect(res.revision).toBe(await s.currentRevision());
        expect(res.more).toBe(false);
        expect((await s.list({ prefix: "/a/" })).items).toHaveLength(7);
        expect((await s.list({ prefix: "/nothing/" })).items).toEqual([]);
        expect(await s.count("/a/b/")).toBe(3);
        expect(await s.count("/a/")).toBe(7);
        await s.delete("/a/b/2");
        expect(await s.count("/a/b/")).toBe(2);
      });

      test("pagination with after, limit, more and remaining", async () => {
        const keys = Array.from({ length: 25 }, (_, i) => `/p/k${String(i).padStart(2, "0")}`);
        await Promise.all(keys.map((k) => s.create(k, k)));
        await s.create("/p2/outside", "x");

        const page1 = await s.list({ prefix: "/p/", limit: 10 });
        expect(page1.items.map((kv) => kv.key)).toEqual(keys.slice(0, 10));
        expect(page1.more).toBe(true);
        expect(page1.remaining).toBe(15);

        // Writes between pages do not show: the next pages read the first page's revision.
        await s.delete("/p/k15");
        await s.create("/p/k10a", "new");
        const page2 = await s.list({ prefix: "/p/", limit: 10, after: "/p/k09", revision: page1.revision });
        expect(page2.items.map((kv) => kv.key)).toEqual(keys.slice(10, 20));
        expect(page2.revision).toBe(page1.revision);
        expect(page2.more).toBe(true);
        expect(page2.remaining).toBe(5);
        const page3 = await s.list({ prefix: "/p/", limit: 10, after: "/p/k19", revision: page1.revision });
        expect(page3.items.map((kv) => kv.key)).toEqual(keys.slice(20));
        expect(page3.more).toBe(false);
        expect(page3.remaining ?? 0).toBe(0);

        const exact = await s.list({ prefix: "/p/", limit: 25 });
        expect(exact.items).toHaveLength(25); // 25 - k15 + k10a
        expect(exact.more).toBe(false);
        const latest = await s.list({ prefix: "/p/", limit: 5, after: "/p/k10" });
        expect(latest.items.map((kv) => kv.key)).toEqual(["/p/k10a", "/p/k11", "/p/k12", "/p/k13", "/p/k14"]);
        expect(latest.remaining).toBe(9);
      });

      test("at an older revision sees that snapshot", async () => {
        const ra = await s.create("/o/a", "a1");
        const rb = await s.create("/o/b", "b1");
        const snap = await s.currentRevision();
        await s.delete("/o/a");
        const rb2 = await s.update("/o/b", "b2", rb);
        await s.create("/o/c", "c1");

        const old = await s.list({ prefix: "/o/", revision: snap });
        expect(old.revision).toBe(snap);
        expect(old.items).toEqual([
          { key: "/o/a", value: "a1", modRevision: ra, createRevision: ra },
          { key: "/o/b", value: "b1", modRevision: rb, createRevision: rb },
        ]);
        const paged = await s.list({ prefix: "/o/", revision: snap, limit: 1 });
        expect(paged.items.map((kv) => kv.key)).toEqual(["/o/a"]);
        expect(paged.more).toBe(true);
        expect(paged.remaining).toBe(1);
        // Deleted before the snapshot, so absent from it (the snapshot is not the latest state).
        const afterDelete = await s.list({ prefix: "/o/", revision: rb2, limit: 5 });
        expect(afterDelete.items).toEqual([{ key: "/o/b", value: "b2", modRevision: rb2, createRevision: rb }]);
        expect(afterDelete.more).toBe(false);
        // Before anything was written the prefix was empty.
        expect((await s.list({ prefix: "/o/", revision: ra - 1 })).items).toEqual([]);

        const latest = await s.list({ prefix: "/o/" });
        expect(latest.items.map((kv) => `${kv.key}=${kv.value}`)).toEqual(["/o/b=b2", "/o/c=c1"]);
        expect(await failure(s.list({ prefix: "/o/", revision: (await s.currentRevision()) + 1000 }))).toBeInstanceOf(
          Error,
        );
      });
    });

    describe("concurrent writers", () => {
      test("hundreds of parallel creates get distinct, increasing revisions", async () => {
        const n = 300;
        const revs = await Promise.all(Array.from({ length: n }, (_, i) => s.create(`/cc/k${i}`, `v${i}`)));
        expect(new Set(revs).size).toBe(n);
        for (let i = 0; i < n; i += 37) expect((await s.get(`/cc/k${i}`))?.modRevision).toBe(revs[i] as number);
        expect(await s.count("/cc/")).toBe(n);
        expect(await s.currentRevision()).toBe(Math.max(...revs));
      });

      test("parallel creates of one key: exactly one wins", async () => {
        const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => s.create("/cc/same", `w${i}`)));
        const won = results.filter((r) => r.status === "fulfilled");
        expect(won).toHaveLength(1);
        for (const r of results) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(KeyExistsError);
      });

      test("compare-and-swap increments lose no update", async () => {
        await s.create("/cc/counter", "0");
        const increment = async () => {
          for (;;) {
            const cur = await s.get("/cc/counter");
            if (!cur) throw new Error("counter vanished");
            try {
              return await s.update("/cc/counter", String(Number(cur.value) + 1), cur.modRevision);
            } catch (err) {
              if (!(err instanceof RevisionMismatchError)) throw err;
            }
          }
        };
        const workers = 40;
        const revs = await Promise.all(Array.from({ length: workers }, increment));
        expect((await s.get("/cc/counter"))?.value).toBe(String(workers));
        expect(new Set(revs).size).toBe(workers);
      });

      test("mixed parallel writes commit in revision order", async () => {
        const r0 = await s.currentRevision();
        const rec = record(s, { prefix: "/mx/", afterRevision: r0 });
        const creates = await Promise.all(Array.from({ length: 100 }, (_, i) => s.create(`/mx/k${i}`, "0")));
        const ops: Promise<number>[] = [];
        for (let i = 0; i < 100; i++) {
          if (i % 3 === 0) ops.push(s.delete(`/mx/k${i}`).then((d) => d.revision));
          else ops.push(s.update(`/mx/k${i}`, "1", creates[i] as number));
        }
        const revs = [...creates, ...(await Promise.all(ops))];
        await waitFor(() => rec.events.length === 200, "200 events");
        const seen = rec.events.map((e) => e.revision);
        expectIncreasing(seen);
        expect(seen).toEqual([...revs].sort((a, b) => a - b));
        rec.stop();
      });
    });

    describe("watch", () => {
      test("from a revision: backlog, then live, in order, exactly once, with previous values", async () => {
        const r0 = await s.currentRevision();
        const a1 = await s.create("/w/a", "1");
        const a2 = await s.update("/w/a", "2", a1);
        const b1 = await s.create("/w/b", "x");
        const bDel = await s.delete("/w/b");
        const rec = record(s, { prefix: "/w/", afterRevision: r0 });
        const a3 = await s.update("/w/a", "3", a2);
        const aDel = await s.delete("/w/a");
        const c1 = await s.create("/w/c", "c");

        await waitFor(() => rec.events.length >= 7, "7 events");
        await settle();
        expect(rec.errors).toEqual([]);
        expect(summary(rec.events)).toEqual([
          "PUT /w/a 1",
          "PUT /w/a 2",
          "PUT /w/b x",
          "DELETE /w/b x",
          "PUT /w/a 3",
          "DELETE /w/a 3",
          "PUT /w/c c",
        ]);
        expect(rec.events.map((e) => e.revision)).toEqual([a1, a2, b1, bDel.revision, a3, aDel.revision, c1]);
        expect(rec.events.map((e) => e.prevValue)).toEqual([undefined, "1", undefined, "x", "2", "3", undefined]);
        expect(rec.events.map((e) => e.prevRevision)).toEqual([0, a1, 0, b1, a2, a3, 0]);
        expect(rec.events.map((e) => e.createRevision)).toEqual([a1, a1, b1, b1, a1, a1, c1]);
        rec.stop();
      });

      test("started while writes are in flight: every event exactly once", async () => {
        const r0 = await s.currentRevision();
        const first = Array.from({ length: 100 }, (_, i) => s.create(`/wf/a${i}`, "v"));
        const early = record(s, { prefix: "/wf/", afterRevision: r0 });
        const firstRevs = await Promise.all(first);
        const mid = record(s, { prefix: "/wf/", afterRevision: r0 });
        const second = await Promise.all(Array.from({ length: 100 }, (_, i) => s.create(`/wf/b${i}`, "v")));
        const all = [...firstRevs, ...second].sort((a, b) => a - b);
        for (const rec of [early, mid]) {
          await waitFor(() => rec.events.length >= 200, "200 events");
          await settle();
          expect(rec.events.map((e) => e.revision)).toEqual(all);
          rec.stop();
        }
      });

      test("filters by prefix", async () => {
        const r0 = await s.currentRevision();
        const narrow = record(s, { prefix: "/f/a/", afterRevision: r0 });
        const wide = record(s, { prefix: "/f/", afterRevision: r0 });
        for (const k of ["/f/a/1", "/f/ab/1", "/f/a", "/f/b/1", "/f/a/x/y"]) await s.create(k, "v");
        await waitFor(() => wide.events.length === 5, "5 events");
        await settle();
        expect(narrow.events.map((e) => e.key)).toEqual(["/f/a/1", "/f/a/x/y"]);
        narrow.stop();
        wide.stop();
      });

      test("from the current revision sees only later writes; stop ends delivery", async () => {
        await s.create("/ws/old", "v");
        const rec = record(s, { prefix: "/ws/", afterRevision: await s.currentRevision() });
        await s.create("/ws/new", "v");
        await waitFor(() => rec.events.length === 1, "1 event");
        rec.stop();
        await s.create("/ws/after-stop", "v");
        await settle();
        expect(rec.events.map((e) => e.key)).toEqual(["/ws/new"]);
        expect(rec.errors).toEqual([]);
      });

      test("a consumer returning promises gets events one at a time, in order", async () => {
        const r0 = await s.currentRevision();
        const got: number[] = [];
        let inFlight = 0;
        let maxInFlight = 0;
        const w = s.watch({
          prefix: "/bp/",
          afterRevision: r0,
          onEvent: async (ev) => {
            inFlight++;
            maxInFlight = Math.max(maxInFlight, inFlight);
            await Bun.sleep(1);
            got.push(ev.revision);
            inFlight--;
          },
          onError: (err) => {
            throw err;
          },
        });
        const revs = await Promise.all(Array.from({ length: 20 }, (_, i) => s.create(`/bp/k${i}`, "v")));
        await waitFor(() => got.length === 20, "20 events");
        expect(got).toEqual([...revs].sort((a, b) => a - b));
        expect(maxInFlight).toBe(1);
        w.stop();
      });
    });

    describe("compaction", () => {
      test("lists and watches below the compacted revision fail; at and above it they work", async () => {
        const a1 = await s.create("/c/a", "v1");
        const a2 = await s.update("/c/a", "v2", a1);
        await s.create("/c/b", "b");
        const bDel = await s.delete("/c/b");
        const d1 = await s.create("/c/d", "d");
        const at = bDel.revision;
        await s.compact(at);

        expect(await s.compactedRevision()).toBe(at);
        const err = await s.list({ prefix: "/c/", revision: a2 }).catch((e) => e);
        expect(err).toBeInstanceOf(CompactedError);
        expect((err as CompactedError).compacted).toBe(at);
        // The state as of the compacted revision is kept.
        expect((await s.list({ prefix: "/c/", revision: at })).items).toEqual([
          { key: "/c/a", value: "v2", modRevision: a2, createRevision: a1 },
        ]);
        expect((await s.list({ prefix: "/c/" })).items.map((kv) => kv.key)).toEqual(["/c/a", "/c/d"]);
        expect(await s.get("/c/a")).toEqual({ key: "/c/a", value: "v2", modRevision: a2, createRevision: a1 });

        const tooOld = record(s, { prefix: "/c/", afterRevision: a1 });
        await waitFor(() => tooOld.errors.length === 1, "CompactedError");
        expect(tooOld.errors[0]).toBeInstanceOf(CompactedError);

        const fromCompacted = record(s, { prefix: "/c/", afterRevision: at });
        const a3 = await s.update("/c/a", "v3", a2);
        await waitFor(() => fromCompacted.events.length === 2, "2 events");
        await settle();
        expect(fromCompacted.errors).toEqual([]);
        expect(fromCompacted.events.map((e) => e.revision)).toEqual([d1, a3]);
        expect(fromCompacted.events[1]?.prevValue).toBe("v2");
        expect(tooOld.events).toEqual([]);
        fromCompacted.stop();

        // Compacting again at or below the compacted revision changes nothing.
        await s.compact(at - 1);
        expect(await s.compactedRevision()).toBe(at);
        expect(await s.currentRevision()).toBe(a3);
      });
    });

    describe("close", () => {
      test("commits queued writes, ends watches, then refuses service", async () => {
        const rec = record(s, { prefix: "/z/", afterRevision: await s.currentRevision() });
        const pending = s.create("/z/a", "1");
        await s.close();
        expect(await pending).toBeGreaterThan(0);
        expect(await s.healthy()).toBe(false);
        expect(await failure(s.get("/z/a"))).toBeInstanceOf(StorageUnavailableError);
        expect(await failure(s.create("/z/b", "x"))).toBeInstanceOf(StorageUnavailableError);
        expect(await failure(s.list({ prefix: "/z/" }))).toBeInstanceOf(StorageUnavailableError);
        await waitFor(() => rec.errors.length === 1, "watch error");
        expect(rec.errors[0]).toBeInstanceOf(StorageUnavailableError);
        const late = record(s, { prefix: "/z/", afterRevision: 0 });
        await waitFor(() => late.errors.length === 1, "watch error after close");
        expect(late.errors[0]).toBeInstanceOf(StorageUnavailableError);
        await s.close(); // idempotent
      });
    });
  });
}
