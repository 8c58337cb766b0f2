// A consistent snapshot of a SQLite store that a running kcp keeps writing (`kcp backup`).
//
// The database is in WAL mode, so a read transaction on a connection of our own sees the
// database as of its first read, for as long as it stays open, while the server goes on
// committing (readers and the writer do not block each other; the server's checkpoints just
// cannot pass our snapshot until it ends). Everything here is read inside one such transaction:
// the revision, the count and every page, so they all describe one instant. Only live keys are
// read (the `current` table and their values), not the history.

import { Database } from "bun:sqlite";
import type { BackupObject } from "../backup-file.ts";
import { DEFAULT_PREFIX } from "../keys.ts";
import { prefixEnd } from "../interface.ts";
import type { StoreSnapshot } from "../store-snapshot.ts";

export function openSqliteSnapshot(path: string): StoreSnapshot {
  // Read-write (never create): a read-only connection cannot recover a WAL database whose server
  // died and left no shared-memory file. Nothing is written.
  const db = new Database(path, { readwrite: true, create: false, strict: true });
  try {
    db.run("PRAGMA busy_timeout = 5000");
    db.run("BEGIN");
    const revision = readRevision(db);
    const lo = `${DEFAULT_PREFIX}/`;
    const hi = prefixEnd(lo);
    const total = db
      .query<{ n: number }, [string, string]>("SELECT count(*) AS n FROM current WHERE key > ? AND key < ?")
      .get(lo, hi)?.n as number;
    const page = db.query<BackupObject, [string, string, number]>(
      `SELECT c.key AS key, l.value AS value, c.rev AS modRevision, c.create_rev AS createRevision
       FROM current c JOIN log l ON l.rev = c.rev
       WHERE c.key > ? AND c.key < ? ORDER BY c.key LIMIT ?`,
    );
    let closed = false;
    return {
      backend: "sqlite",
      revision,
      total,
      source: `SQLite database ${path}`,
      async *pages(pageSize: number) {
        // Every object key starts with "/registry/" and is longer: all sort after it.
        let after = lo;
        for (;;) {
          const items = page.all(after, hi, pageSize);
          if (items.length > 0) {
            for (const o of items) o.key = o.key.slice(DEFAULT_PREFIX.length);
            yield items;
          }
          const last = items[items.length - 1];
          if (!last || items.length < pageSize) return;
          after = DEFAULT_PREFIX + last.key;
          // Let progress be reported and signals be handled between pages.
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      },
      async close() {
        if (closed) return;
        closed = true;
        db.run("COMMIT");
        db.close();
      },
    };
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * The store's revision as SqliteStorage computes it when it opens: the newest row, or the
 * compacted revision if compaction removed the newest rows (deletes), never below 1. The first
 * read of the transaction, so it fixes the snapshot.
 */
function readRevision(db: Database): number {
  const version = db.query<{ value: number }, []>("SELECT value FROM meta WHERE name = 'schema_version'").get();
  if (!version) throw new Error("not a kcp database (no schema version)");
  const max = db.query<{ rev: number | null }, []>("SELECT MAX(rev) AS rev FROM log").get()?.rev ?? 0;
  const compacted =
    db.query<{ value: number }, []>("SELECT value FROM meta WHERE name = 'compact_rev'").get()?.value ?? 0;
  return Math.max(max, compacted, 1);
}
