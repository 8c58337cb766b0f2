import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KeyExistsError, RevisionMismatchError, WatchOverflowError } from "../../src/storage/interface.ts";
import { GroupCommitter } from "../../src/storage/sqlite/group-commit.ts";
import { SqliteStorage, type SqliteStorageOptions } from "../../src/storage/sqlite/sqlite-storage.ts";
import { record, runStorageSuite, waitFor } from "./suite.ts";

const dirs: string[] = [];
const stores: SqliteStorage[] = [];

function tempPath(): string {
  const dir = mkdtempSync(join(tmpdir(), "kcp-sqlite-"));
  dirs.push(dir);
  return join(dir, "state.db");
}

function openAt(path: string, opts?: SqliteStorageOptions): SqliteStorage {
  const s = SqliteStorage.open(path, opts);
  stores.push(s);
  return s;
}

afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

runStorageSuite("sqlite", async () => {
  const storage = openAt(tempPath());
  return { storage, cleanup: () => storage.close() };
});

describe("SqliteStorage", () => {
  test("a reopened store keeps its data, history and revision counter", async () => {
    const path = tempPath();
    let s = openAt(path);
    const a = await s.create("/r/a", "1");
    const snap = await s.update("/r/a", "2", a);
    await s.create("/r/b", "b");
    const last = (await s.delete("/r/b")).revision; // the newest row is a delete
    await s.close();

    s = openAt(path);
    expect(await s.currentRevision()).toBe(last);
    expect(await s.get("/r/a")).toEqual({ key: "/r/a", value: "2", modRevision: snap, createRevision: a });
    expect((await s.list({ prefix: "/r/", revision: snap + 1 })).items.map((kv) => kv.key)).toEqual(["/r/a", "/r/b"]);
    expect(await s.create("/r/c", "c")).toBe(last + 1);
  });

  test("the revision counter survives compacting away the newest rows", async () => {
    const path = tempPath();
    let s = openAt(path);
    await s.create("/r/a", "1");
    const last = (await s.delete("/r/a")).revision;
    await s.compact(last);
    expect(s.stats().logRows).toBe(0);
    await s.close();

    s = openAt(path);
    expect(await s.currentRevision()).toBe(last);
    expect(await s.compactedRevision()).toBe(last);
    expect(await s.create("/r/a", "again")).toBe(last + 1);
  });

  test("group commit: 500 concurrent creates take few transactions", async () => {
    const s = openAt(tempPath());
    const before = s.stats();
    const revs = await Promise.all(Array.from({ length: 500 }, (_, i) => s.create(`/g/k${i}`, "v")));
    const after = s.stats();
    expect(after.ops - before.ops).toBe(500);
    expect(after.commits - before.commits).toBeLessThanOrEqual(2);
    expect(new Set(revs).size).toBe(500);

    const small = openAt(tempPath(), { maxBatch: 100 });
    await Promise.all(Array.from({ length: 500 }, (_, i) => small.create(`/g/k${i}`, "v")));
    expect(small.stats().commits).toBe(5);
  });

  test("group commit: ops in one batch see each other, and one failure fails only itself", async () => {
    const s = openAt(tempPath());
    const r0 = await s.currentRevision();
    const commits = s.stats().commits;
    const results = await Promise.allSettled([
      s.create("/g/k", "1"),
      s.create("/g/k", "dup"),
      s.update("/g/k", "2", r0 + 1),
      s.update("/g/k", "stale", r0 + 1),
      s.delete("/g/k", r0 + 2),
      s.create("/g/other", "o"),
    ]);
    expect(s.stats().commits - commits).toBe(1);
    expect(results.map((r) => r.status)).toEqual([
      "fulfilled",
      "rejected",
      "fulfilled",
      "rejected",
      "fulfilled",
      "fulfilled",
    ]);
    expect((results[3] as PromiseRejectedResult).reason).toBeInstanceOf(RevisionMismatchError);
    expect(results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []))).toEqual([
      r0 + 1,
      r0 + 2,
      { revision: r0 + 3, prev: { key: "/g/k", value: "2", modRevision: r0 + 2, createRevision: r0 + 1 } },
      r0 + 4,
    ]);
    expect(await s.get("/g/k")).toBeNull();

    // A create finds keys of earlier batches, and a key deleted earlier in its own batch free.
    const r1 = await s.currentRevision();
    const second = await Promise.allSettled([
      s.create("/g/k", "again"),
      s.create("/g/other", "taken"),
      s.delete("/g/k"),
      s.create("/g/k", "third"),
    ]);
    expect(second.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled", "fulfilled"]);
    expect((second[1] as PromiseRejectedResult).reason).toBeInstanceOf(KeyExistsError);
    expect(await s.get("/g/other")).toEqual({
      key: "/g/other",
      value: "o",
      modRevision: r0 + 4,
      createRevision: r0 + 4,
    });
    expect(await s.get("/g/k")).toEqual({ key: "/g/k", value: "third", modRevision: r1 + 3, createRevision: r1 + 3 });
    await s.close();
  });

  test("group commit: a batch that fails as a whole rejects each of its ops, and only those", async () => {
    const committer = new GroupCommitter<number, number>((ops) => {
      if (ops.includes(13)) throw new Error("disk full");
      return ops.map((v) => ({ ok: true, value: v * 2 }));
    }, 3);
    const results = await Promise.allSettled([1, 2, 3, 13, 5].map((v) => committer.submit(v)));
    expect(results.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as Error).message))).toEqual([
      2,
      4,
      6,
      "disk full",
      "disk full",
    ]);
    expect(committer.stats).toEqual({ commits: 1, ops: 3 });
  });

  test("every acknowledged write survives kill -9", async () => {
    const path = tempPath();
    const child = Bun.spawn([process.execPath, join(import.meta.dir, "crash-writer.ts"), path], {
      stdout: "pipe",
      stderr: "inherit",
    });
    const acked = new Map<string, number>();
    const decoder = new TextDecoder();
    let buffered = "";
    const take = (chunk: Uint8Array) => {
      buffered += decoder.decode(chunk, { stream: true });
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) {
        const [key, rev] = line.split(" ");
        acked.set(key as string, Number(rev));
      }
    };
    const reader = child.stdout.getReader();
    while (acked.size < 2000) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`writer exited early after ${acked.size} writes`);
      take(value);
    }
    child.kill("SIGKILL");
    // Lines already in the pipe were acknowledged too.
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      take(value);
    }
    expect(await child.exited).not.toBe(0);
    expect(child.signalCode).toBe("SIGKILL");

    const s = openAt(path);
    const maxAcked = Math.max(...acked.values());
    expect(await s.currentRevision()).toBeGreaterThanOrEqual(maxAcked);
    const stored = new Map((await s.list({ prefix: "/crash/" })).items.map((kv) => [kv.key, kv.modRevision]));
    const missing = [...acked].filter(([key, rev]) => stored.get(key) !== rev);
    expect(missing).toEqual([]);
  });

  test("compaction keeps only the live row of each key", async () => {
    const s = openAt(tempPath());
    const revs = await Promise.all(Array.from({ length: 10 }, (_, i) => s.create(`/cp/k${i}`, "0")));
    for (let round = 1; round <= 20; round++) {
      for (let i = 0; i < 10; i++) revs[i] = await s.update(`/cp/k${i}`, String(round), revs[i] as number);
    }
    for (let i = 0; i < 5; i++) await s.create(`/cp/gone${i}`, "x").then(() => s.delete(`/cp/gone${i}`));
    expect(s.stats().logRows).toBe(10 * 21 + 10);
    await s.compact(await s.currentRevision());
    expect(s.stats().logRows).toBe(10);
    expect((await s.list({ prefix: "/cp/" })).items.map((kv) => kv.value)).toEqual(Array(10).fill("20"));
  });

  test("auto-compaction bounds the log", async () => {
    const s = openAt(tempPath());
    s.startAutoCompaction(10, 100);
    let rev = await s.create("/ac/k", "0");
    for (let i = 1; i <= 1500; i++) rev = await s.update("/ac/k", String(i), rev);
    await waitFor(() => s.stats().logRows <= 101, "auto-compaction");
    expect(await s.compactedRevision()).toBeGreaterThanOrEqual(rev - 200);
    expect((await s.get("/ac/k"))?.value).toBe("1500");
  });

  test("compacting a future revision is refused", async () => {
    const s = openAt(tempPath());
    await expect(s.compact((await s.currentRevision()) + 1)).rejects.toThrow(RangeError);
  });

  test("a list of 10k objects returns exactly that prefix's keys, in key order", async () => {
    // Speed is measured by the benchmark script, never asserted here.
    const s = openAt(tempPath());
    const value = "x".repeat(1024);
    await Promise.all(
      Array.from({ length: 10_000 }, (_, i) => s.create(`/perf/ns/obj-${String(i).padStart(5, "0")}`, value)),
    );
    await Promise.all(Array.from({ length: 2_000 }, (_, i) => s.create(`/perf2/other-${i}`, value)));
    const res = await s.list({ prefix: "/perf/" });
    expect(res.items).toHaveLength(10_000);
    expect(res.items[0].key).toBe("/perf/ns/obj-00000");
    expect(res.items[9_999].key).toBe("/perf/ns/obj-09999");
  });

  test("a watch from far back replays a backlog longer than one read", async () => {
    const s = openAt(tempPath());
    const r0 = await s.currentRevision();
    const revs = await Promise.all(Array.from({ length: 2500 }, (_, i) => s.create(`/bl/k${i}`, "v")));
    const rec = record(s, { prefix: "/bl/", afterRevision: r0 });
    const live = await s.create("/bl/live", "v");
    await waitFor(() => rec.events.length === 2501, "2501 events");
    expect(rec.events.map((e) => e.revision)).toEqual([...revs, live].sort((a, b) => a - b));
    rec.stop();
  });

  test("idle watchers get progress notifications", async () => {
    const s = openAt(tempPath(), { progressIntervalMs: 10 });
    const quiet = record(s, { prefix: "/quiet/", afterRevision: await s.currentRevision() });
    const rev = await s.create("/busy/k", "v");
    await waitFor(() => quiet.progress.some((r) => r >= rev), "progress");
    expect(quiet.events).toEqual([]);
    quiet.stop();
  });

  test("a watcher that stops consuming is dropped without holding back the others", async () => {
    const s = openAt(tempPath(), { maxWatcherQueue: 50 });
    const r0 = await s.currentRevision();
    const errors: Error[] = [];
    s.watch({
      prefix: "/ov/",
      afterRevision: r0,
      onEvent: () => new Promise<void>(() => {}),
      onError: (e) => errors.push(e),
    });
    const healthy = record(s, { prefix: "/ov/", afterRevision: r0 });
    for (let i = 0; i < 100; i++) await s.create(`/ov/k${i}`, "v");
    await waitFor(() => healthy.events.length === 100, "100 events");
    await waitFor(() => errors.length === 1, "overflow");
    expect(errors[0]).toBeInstanceOf(WatchOverflowError);
    expect(s.stats().watchers).toBe(1);
    healthy.stop();
  });
});
