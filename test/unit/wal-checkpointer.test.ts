// WAL checkpoints in a worker thread (src/storage/sqlite/checkpointer.ts): the server's connection
// leaves them to the worker, the WAL stays small under a stream of writes, closing removes it, and
// a worker that cannot work hands checkpoints back to the server's connection.

import { Database } from "bun:sqlite";
import { expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SAFETY_AUTOCHECKPOINT_PAGES, WalCheckpointer } from "../../src/storage/sqlite/checkpointer.ts";
import { openDatabase } from "../../src/storage/sqlite/schema.ts";
import { SqliteStorage } from "../../src/storage/sqlite/sqlite-storage.ts";

function tempDb(): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), "kcp-wal-"));
  return { dir, path: join(dir, "kcp.db") };
}

test("the worker checkpoints: the WAL stays small while 24 MiB are written, and closing removes it", async () => {
  const { dir, path } = tempDb();
  try {
    const storage = SqliteStorage.open(path, { checkpointInWorker: true });
    const cp = storage.checkpointer;
    expect(cp).toBeDefined();
    const value = "x".repeat(512 * 1024);
    let maxWal = 0;
    for (let i = 0; i < 48; i++) {
      const before = cp?.completed ?? 0;
      await storage.create(`/registry/configmaps/default/cm-${i}`, value);
      // Every 2 MiB, wait for a checkpoint since (the server's connection would only checkpoint
      // after SAFETY_AUTOCHECKPOINT_PAGES, about 96 MiB).
      if (i % 4 === 3) {
        const deadline = Date.now() + 10_000;
        while ((cp?.completed ?? 0) === before && Date.now() < deadline) await Bun.sleep(5);
        expect(cp?.completed).toBeGreaterThan(before);
        maxWal = Math.max(maxWal, statSync(`${path}-wal`).size);
      }
    }
    expect(cp?.completed).toBeGreaterThan(0);
    expect(cp?.failure).toBeUndefined();
    // Without checkpoints the WAL would hold all 24 MiB; restarted after each, it holds a few.
    expect(maxWal).toBeLessThan(8 * 1024 * 1024);
    expect(maxWal).toBeGreaterThan(0);
    await storage.close();
    // The worker closed its connection first, so the server's, the last, removed the WAL.
    expect(existsSync(`${path}-wal`)).toBe(false);
    const reopened = SqliteStorage.open(path);
    expect((await reopened.list({ prefix: "/registry/configmaps/" })).items.length).toBe(48);
    await reopened.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("under a stream of writes the store holds its commits for catch-ups, and SQLite starts the WAL over", async () => {
  const { dir, path } = tempDb();
  try {
    // Catch-ups every 1,000 frames (SQLite's own cadence) rather than the server's 16,000.
    const storage = SqliteStorage.open(path, { checkpointInWorker: true, walCatchUpFrames: 1000 });
    const value = "y".repeat(4096);
    let next = 0;
    let maxWal = 0;
    // 32 writers at full speed, 20,000 creates: about 100 MiB of WAL frames if it never restarted.
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < 20_000) {
          const n = next++;
          await storage.create(`/registry/configmaps/default/s-${n}`, value);
          if (n % 500 === 0) maxWal = Math.max(maxWal, statSync(`${path}-wal`).size);
        }
      }),
    );
    expect(storage.checkpointer?.catchUps).toBeGreaterThan(0);
    // Far below the safety net's 96 MiB, where the server's own connection would checkpoint.
    expect(maxWal).toBeLessThan(64 * 1024 * 1024);
    expect((await storage.count("/registry/configmaps/")) as number).toBe(20_000);
    await storage.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the server's connection checkpoints only as a safety net while the worker runs", async () => {
  const { dir, path } = tempDb();
  const db = openDatabase(path);
  try {
    const pages = () => db.query<{ wal_autocheckpoint: number }, []>("PRAGMA wal_autocheckpoint").get();
    expect(pages()?.wal_autocheckpoint).toBe(1000);
    const cp = WalCheckpointer.start(db, path);
    expect(pages()?.wal_autocheckpoint).toBe(SAFETY_AUTOCHECKPOINT_PAGES);
    await cp.stop();
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a worker that cannot open the store hands checkpoints back to the server's connection", async () => {
  const { dir, path } = tempDb();
  const db = openDatabase(path);
  try {
    const cp = WalCheckpointer.start(db, join(dir, "missing", "kcp.db"));
    const deadline = Date.now() + 10_000;
    while (!cp.failure && Date.now() < deadline) await Bun.sleep(10);
    expect(cp.failure).toContain("checkpoint worker");
    const row = db.query<{ wal_autocheckpoint: number }, []>("PRAGMA wal_autocheckpoint").get();
    expect(row?.wal_autocheckpoint).toBe(1000);
    await cp.stop();
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("without the option, no worker: tools that open a store briefly keep SQLite's own checkpoints", async () => {
  const { dir, path } = tempDb();
  try {
    const storage = SqliteStorage.open(path);
    expect(storage.checkpointer).toBeUndefined();
    await storage.close();
    const db = new Database(path);
    expect(db.query<{ journal_mode: string }, []>("PRAGMA journal_mode").get()?.journal_mode).toBe("wal");
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
