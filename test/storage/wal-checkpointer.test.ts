// The WAL checkpoint thread: it takes over once enough was written, keeps the WAL from growing
// without bound while writes never stop, loses nothing, lets held commits go, and gives the
// checkpoints back to the writer when it fails.

import { afterEach, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GroupCommitter } from "../../src/storage/sqlite/group-commit.ts";
import { SqliteStorage } from "../../src/storage/sqlite/sqlite-storage.ts";
import { type CommitGate, WalCheckpointer } from "../../src/storage/sqlite/wal-checkpointer.ts";

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "kcp-wal-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out");
    await Bun.sleep(5);
  }
}

const VALUE = "x".repeat(2000);
const autocheckpoint = (db: Database) => db.query<{ wal_autocheckpoint: number }, []>("PRAGMA wal_autocheckpoint").get()?.wal_autocheckpoint;

describe("WalCheckpointer", () => {
  test("a store that takes little writing keeps SQLite's own checkpoints and starts no thread", async () => {
    const path = join(tempDir(), "kcp.db");
    const s = SqliteStorage.open(path, { checkpoints: { everyBytes: 1024 * 1024 } });
    for (let i = 0; i < 20; i++) await s.create(`/k/${i}`, VALUE);
    expect(s.stats().checkpoints).toEqual({ checkpoints: 0, complete: 0, catchUps: 0, threaded: false });
    await s.close();
  });

  test("under writes that never pause, rounds complete, the WAL stays bounded, and every write survives a reopen", async () => {
    const path = join(tempDir(), "kcp.db");
    const s = SqliteStorage.open(path, { checkpoints: { everyBytes: 256 * 1024 } });
    const n = 12_000;
    // 32 writers back to back, as a loaded server's clients: ~24 MiB in all.
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < n) {
          const i = next++;
          await s.create(`/k/${String(i).padStart(5, "0")}`, VALUE);
        }
      }),
    );
    const stats = s.stats().checkpoints;
    expect(stats.threaded).toBe(true);
    expect(stats.checkpoints).toBeGreaterThanOrEqual(10);
    // Rounds ended with the whole WAL copied, mostly thanks to a catch-up with commits held (the
    // first checkpoint of a round alone never sees the end of a WAL that keeps growing).
    expect(stats.complete).toBeGreaterThanOrEqual(5);
    expect(stats.catchUps).toBeGreaterThanOrEqual(1);
    // So the WAL was started over again and again: far below the ~24 MiB written (without the
    // catch-ups it grows by about what was written).
    expect(statSync(`${path}-wal`).size).toBeLessThan(8 * 1024 * 1024);
    await s.close();
    // A clean close checkpoints everything and removes the WAL.
    expect(existsSync(`${path}-wal`)).toBe(false);

    const again = SqliteStorage.open(path);
    const all = await again.list({ prefix: "/k/" });
    expect(all.items.length).toBe(n);
    expect(all.items.every((kv) => kv.value === VALUE)).toBe(true);
    await again.close();
  }, 60_000);

  test("close during a round waits for it and commits what was queued", async () => {
    const path = join(tempDir(), "kcp.db");
    const s = SqliteStorage.open(path, { checkpoints: { everyBytes: 64 * 1024 } });
    let acked = 0;
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 400; i++) writes.push(s.create(`/c/${i}`, VALUE).then(() => void acked++));
    await until(() => s.stats().checkpoints.threaded);
    await s.close();
    await Promise.allSettled(writes);
    const again = SqliteStorage.open(path);
    expect((await again.list({ prefix: "/c/" })).items.length).toBe(acked);
    expect(acked).toBe(400);
    await again.close();
  });

  test("a thread that cannot open the store gives the checkpoints back to the writer", async () => {
    const path = join(tempDir(), "kcp.db");
    const db = new Database(path, { create: true });
    db.run("PRAGMA journal_mode = WAL");
    const gate: CommitGate = { hold() {}, release() {} };
    // The thread opens this path, which does not exist (and is not created): it fails.
    const c = new WalCheckpointer(db, join(tempDir(), "missing", "dir", "kcp.db"), gate, { everyBytes: 1 });
    c.noteCommit(10);
    expect(c.stats.threaded).toBe(true);
    expect(autocheckpoint(db)).toBe(0);
    await until(() => !c.stats.threaded);
    expect(autocheckpoint(db)).toBe(1000);
    // Later commits no longer try the thread.
    c.noteCommit(10);
    expect(c.stats.threaded).toBe(false);
    await c.close();
    db.close();
  });

  test("commits held for a catch-up are released when it ends", async () => {
    const path = join(tempDir(), "kcp.db");
    const db = new Database(path, { create: true });
    db.run("PRAGMA journal_mode = WAL");
    db.run("CREATE TABLE t (v TEXT)");
    const events: string[] = [];
    const gate: CommitGate = { hold: () => events.push("hold"), release: () => events.push("release") };
    const c = new WalCheckpointer(db, path, gate, { everyBytes: 1 });
    db.run("INSERT INTO t VALUES ('a')");
    c.noteCommit(10); // starts the thread and a round's first checkpoint
    // A commit while the first checkpoint runs: the round needs a catch-up.
    db.run("INSERT INTO t VALUES ('b')");
    c.noteCommit(10);
    await until(() => c.stats.checkpoints >= 2);
    expect(events).toEqual(["hold", "release"]);
    expect(c.stats.catchUps).toBe(1);
    expect(c.stats.complete).toBe(1);
    await c.close();
    db.close();
  });
});

describe("GroupCommitter hold/release", () => {
  test("held, nothing commits; released, what queued commits in order", async () => {
    const batches: number[][] = [];
    const committer = new GroupCommitter<number, number>((ops) => {
      batches.push([...ops]);
      return ops.map((v) => ({ ok: true, value: v }));
    });
    committer.hold();
    const done = [1, 2, 3].map((v) => committer.submit(v));
    await Bun.sleep(20);
    committer.flush();
    expect(batches).toEqual([]);
    committer.release();
    expect(await Promise.all(done)).toEqual([1, 2, 3]);
    expect(batches).toEqual([[1, 2, 3]]);
  });
});
