// The raw part for the SQLite rows: what bun:sqlite itself does on this machine, with the
// durability kcp's backend uses (WAL, synchronous=NORMAL; src/storage/sqlite/schema.ts), on
// ~1 KiB rows. Single-row commits (one INSERT per transaction) are the yardstick for write
// throughput and latency; key-range reads of the same row counts are the floor for lists.
// Runs in the benchmark process, before any server starts. A raw part is a floor: each figure is
// the best of several trials, so that a moment of contention from other processes on the machine
// does not pass for what bun:sqlite can do.

import { Database } from "bun:sqlite";
import { join } from "node:path";
import { mkdtempSync, rmSync } from "node:fs";
import { now, summarize } from "./stats.ts";
import type { Context, RawSqlite, Sizes } from "./types.ts";

const VALUE = "v".repeat(1000);

function open(path: string): Database {
  const db = new Database(path, { create: true, strict: true });
  db.run("PRAGMA journal_mode = WAL");
  db.run("PRAGMA synchronous = NORMAL");
  db.run("PRAGMA cache_size = -32000");
  db.run("CREATE TABLE kv (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, value TEXT NOT NULL)");
  return db;
}

function key(prefix: string, i: number): string {
  return `/registry/core/configmaps/admin/${prefix}/obj-${String(i).padStart(7, "0")}`;
}

export async function measureRawSqlite(sizes: Sizes, scratch: string): Promise<RawSqlite> {
  const dir = mkdtempSync(join(scratch, "raw-sqlite-"));
  try {
    const db = open(join(dir, "raw.db"));
    // Single-row commits: autocommit INSERTs, each its own transaction (and WAL append).
    const insert = db.query<unknown, [string, string]>("INSERT INTO kv (key, value) VALUES (?, ?)");
    for (let i = 0; i < 200; i++) insert.run(key("warm", i), VALUE);
    const TRIALS = 5;
    const perTrial = Math.max(1, Math.ceil(sizes.rawCommits / TRIALS));
    let best = { rate: 0, latency: summarize([]) };
    for (let t = 0; t < TRIALS; t++) {
      const lat: number[] = new Array(perTrial);
      const t0 = now();
      for (let i = 0; i < perTrial; i++) {
        const s = now();
        insert.run(key(`single${t}`, i), VALUE);
        lat[i] = now() - s;
      }
      const rate = (perTrial * 1000) / (now() - t0);
      if (rate > best.rate) best = { rate, latency: summarize(lat) };
    }
    const latency = best.latency;

    // Batched: 1,000 rows per transaction, which also loads the rows for the range reads.
    const small = sizes.listSmall;
    const large = sizes.listLarge;
    const batch = db.transaction((prefix: string, from: number, to: number) => {
      for (let i = from; i < to; i++) insert.run(key(prefix, i), VALUE);
    });
    const tb = now();
    for (let i = 0; i < large; i += 1000) batch("large", i, Math.min(large, i + 1000));
    const batchedMs = now() - tb;
    for (let i = 0; i < small; i += 1000) batch("small", i, Math.min(small, i + 1000));

    const range = db.query<{ key: string; value: string }, [string, string, number]>(
      "SELECT key, value FROM kv WHERE key >= ? AND key < ? ORDER BY key LIMIT ?",
    );
    const readRange = (prefix: string, from: string, limit: number): number => {
      const lo = from;
      const hi = `/registry/core/configmaps/admin/${prefix}0`;
      const s = now();
      const rows = range.all(lo, hi, limit);
      const ms = now() - s;
      if (rows.length === 0) throw new Error("raw sqlite: empty range");
      return ms;
    };
    const fastest = (f: () => number, n: number): number => {
      const xs: number[] = [];
      for (let i = 0; i < n; i++) xs.push(f());
      return summarize(xs).min;
    };
    const rangeSmallMs = fastest(() => readRange("small", `/registry/core/configmaps/admin/small/`, -1), 5);
    const rangeLargeMs = fastest(() => readRange("large", `/registry/core/configmaps/admin/large/`, -1), 3);
    const pageMs = fastest(() => readRange("large", key("large", Math.floor(large / 2)), 500), 20);
    db.close();
    return {
      commitsPerSec: best.rate,
      commitP50Ms: latency.p50,
      commitP99Ms: latency.p99,
      batchedRowsPerSec: (large * 1000) / batchedMs,
      rangeSmallMs,
      rangeLargeMs,
      pageMs,
      rows: { commits: sizes.rawCommits, small, large },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The raw SQLite part of this run (measured on first use). */
export function rawSqlite(ctx: Context): Promise<RawSqlite> {
  return ctx.once("raw-sqlite", async () => {
    ctx.log("  raw part: bun:sqlite single-row commits and range reads (WAL, synchronous=NORMAL)");
    return measureRawSqlite(ctx.sizes, ctx.scratch);
  });
}
