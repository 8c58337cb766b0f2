// The SQLite file layout of the revision log, and how the file is opened.
//
//   log      append-only, one row per write; rev (the rowid) is the global revision. A delete is a
//            row with deleted = 1 whose value is the deleted value (so DELETE events can carry it).
//            prev_rev points at the row this one supersedes (0 for a create), which gives watch
//            events their prevValue and lets compaction find superseded rows without a scan.
//   current  the latest live row of every key, updated in the same transaction as the log. A list
//            at the latest revision is a range scan of this small table plus a rowid lookup per
//            item, instead of "latest row per key" over the whole history.
//   meta     named integers: the schema version and the compacted revision.
//
// Durability: WAL with synchronous=NORMAL. COMMIT returns after the transaction's frames were
// written to the WAL file with write(2); they are then in the operating system's page cache, which
// a killed process (even kill -9) cannot take back. Only an OS crash or power loss can lose the
// last commits (NORMAL fsyncs at checkpoints, not at every commit), and even then the database is
// not corrupted. So a write we acknowledged after COMMIT survives the death of this process.

import { Database } from "bun:sqlite";

export const SCHEMA_VERSION = 1;

const DDL = [
  `CREATE TABLE IF NOT EXISTS log (
     rev        INTEGER PRIMARY KEY,
     key        TEXT    NOT NULL,
     create_rev INTEGER NOT NULL,
     prev_rev   INTEGER NOT NULL,
     deleted    INTEGER NOT NULL,
     value      TEXT    NOT NULL
   )`,
  // Covers "latest row per key at or below a revision" (lists at an older revision) without
  // touching the rows themselves.
  "CREATE INDEX IF NOT EXISTS log_key_rev ON log (key, rev, deleted)",
  `CREATE TABLE IF NOT EXISTS current (
     key        TEXT    PRIMARY KEY,
     rev        INTEGER NOT NULL,
     create_rev INTEGER NOT NULL
   ) WITHOUT ROWID`,
  "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID",
];

/** Open (creating if needed) a store file, with the pragmas and tables the backend relies on. */
export function openDatabase(path: string): Database {
  const db = new Database(path, { create: true, strict: true });
  try {
    db.run("PRAGMA journal_mode = WAL");
    db.run("PRAGMA synchronous = NORMAL");
    // One handle does all the work, but an operator's sqlite3 shell may briefly hold a lock.
    db.run("PRAGMA busy_timeout = 5000");
    db.run("PRAGMA cache_size = -32000");
    db.transaction(() => {
      for (const sql of DDL) db.run(sql);
      const version = readMeta(db, "schema_version");
      if (version === null) writeMeta(db, "schema_version", SCHEMA_VERSION);
      else if (version !== SCHEMA_VERSION)
        throw new Error(`unsupported storage schema version ${version} (expected ${SCHEMA_VERSION})`);
    }).immediate();
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

export function readMeta(db: Database, name: string): number | null {
  const row = db.query<{ value: number }, [string]>("SELECT value FROM meta WHERE name = ?").get(name);
  return row ? row.value : null;
}

export function writeMeta(db: Database, name: string, value: number): void {
  db.query("INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value").run(
    name,
    value,
  );
}
