// The raw part for the SQLite rows: what bun:sqlite itself does on this machine, with the
// durability kcp's backend uses (WAL, synchronous=NORMAL; src/storage/sqlite/schema.ts), on
// ~1 KiB rows. Single-row commits (one INSERT per transaction) are the yardstick for write
// throughput and latency; key-range reads of the same row counts are the floor for lists.
// Runs in the benchmark process, before any server starts, so nothing else competes for the CPU.

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
    const lat: number[] = new Array(sizes.rawCommits);
    const t0 = now();
    for (let i = 0; i < sizes.rawCommits; i++) {
      const s = now();
      insert.run(key("single", i), VALUE);
      lat[i] = now() - s;
    }
    const singleMs = now() - t0;
    const latency = summarize(lat);

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
    const best = (f: () => number, n: number): number => {
      const xs: number[] = [];
      for (let i = 0; i < n; i++) xs.push(f());
      return summarize(xs).p50;
    };
    const rangeSmallMs = best(() => readRange("small", `/registry/core/configmaps/admin/small/`, -1), 5);
    const rangeLargeMs = best(() => readRange("large", `/registry/core/configmaps/admin/large/`, -1), 3);
    const pageMs = best(() => readRange("large", key("large", Math.floor(large / 2)), 500), 20);
    db.close();
    return {
      commitsPerSec: (sizes.rawCommits * 1000) / singleMs,
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
