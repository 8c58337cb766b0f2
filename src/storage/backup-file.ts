// The backup file of `kcp backup`: one SQLite database, whichever backend it was taken from.
//
//   backup   named strings: format ("kcp-backup"), format_version, backend ("sqlite" | "etcd"),
//            revision (the store's revision the snapshot was read at), keys, kcp_version,
//            created (ISO 8601, UTC), source (what was backed up, for people).
//   objects  every live key at that revision: key, value, mod_rev, create_rev. Keys are relative
//            to the backend's key prefix ("/core/configmaps/admin/default/x": no "/registry" or
//            --etcd-prefix), so a backup of either backend restores into either.
//
// Only the state at the revision is kept, not the history before it: a restored store marks
// everything up to (and past) that revision compacted anyway. SQLite because it is what kcp
// already has for files: `sqlite3 backup.db 'select * from backup'` answers what a file holds.
// The file is written under a temporary name and renamed when complete (see writeBackup).

import { Database, type Statement } from "bun:sqlite";

export const BACKUP_FORMAT = "kcp-backup";
export const BACKUP_FORMAT_VERSION = 1;

export type BackupBackend = "sqlite" | "etcd";

export interface BackupInfo {
  backend: BackupBackend;
  /** The revision the snapshot was read at: every object's modRevision is at or below it. */
  revision: number;
  /** Live keys in the file. */
  keys: number;
  /** The kcp version that wrote the file. */
  kcpVersion: string;
  /** When the snapshot was taken (ISO 8601). */
  created: string;
  /** What was backed up, for people (a database path, etcd endpoints and prefix). */
  source: string;
}

export interface BackupObject {
  /** Relative to the backend's key prefix, starting with "/". */
  key: string;
  value: string;
  modRevision: number;
  createRevision: number;
}

/** The file is not a kcp backup, or one this version cannot read. */
export class BackupFormatError extends Error {}

const DDL = [
  "CREATE TABLE backup (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
  `CREATE TABLE objects (
     key        TEXT    PRIMARY KEY,
     value      TEXT    NOT NULL,
     mod_rev    INTEGER NOT NULL,
     create_rev INTEGER NOT NULL
   ) WITHOUT ROWID`,
];

/** Writes a new backup file (which must not exist yet): objects page by page, then the info. */
export class BackupFileWriter {
  private readonly insert: Statement<unknown, [string, string, number, number]>;
  private readonly addPage: (objects: readonly BackupObject[]) => void;
  private count = 0;

  private constructor(private readonly db: Database) {
    this.insert = db.query("INSERT INTO objects (key, value, mod_rev, create_rev) VALUES (?, ?, ?, ?)");
    this.addPage = db.transaction((objects: readonly BackupObject[]) => {
      for (const o of objects) this.insert.run(o.key, o.value, o.modRevision, o.createRevision);
    });
  }

  static create(path: string): BackupFileWriter {
    const db = new Database(path, { create: true, strict: true });
    try {
      // A half-written file is deleted, never used: no journal needed; durability comes from
      // the fsync before the rename (writeBackup).
      db.run("PRAGMA journal_mode = OFF");
      db.run("PRAGMA synchronous = OFF");
      for (const sql of DDL) db.run(sql);
    } catch (err) {
      db.close();
      throw err;
    }
    return new BackupFileWriter(db);
  }

  /** Objects written so far. */
  get written(): number {
    return this.count;
  }

  add(objects: readonly BackupObject[]): void {
    this.addPage(objects);
    this.count += objects.length;
  }

  /** Record the info and close the file. */
  finish(info: Omit<BackupInfo, "keys">): BackupInfo {
    const full: BackupInfo = { ...info, keys: this.count };
    const put = this.db.query("INSERT INTO backup (name, value) VALUES (?, ?)");
    this.db.transaction(() => {
      put.run("format", BACKUP_FORMAT);
      put.run("format_version", String(BACKUP_FORMAT_VERSION));
      put.run("backend", full.backend);
      put.run("revision", String(full.revision));
      put.run("keys", String(full.keys));
      put.run("kcp_version", full.kcpVersion);
      put.run("created", full.created);
      put.run("source", full.source);
    })();
    this.db.close();
    return full;
  }

  /** Close without finishing (the caller deletes the file). */
  abort(): void {
    this.db.close();
  }
}

/** Reads a backup file: its info (checked) and its objects in key order. */
export class BackupFileReader {
  private constructor(
    private readonly db: Database,
    readonly info: BackupInfo,
  ) {}

  static open(path: string): BackupFileReader {
    let db: Database;
    try {
      db = new Database(path, { readonly: true, strict: true });
    } catch (err) {
      throw new BackupFormatError(`cannot open ${path} as a kcp backup: ${(err as Error).message}`);
    }
    try {
      return new BackupFileReader(db, readInfo(db, path));
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /** Objects in key order, `pageSize` at a time; the last page may be shorter. */
  *pages(pageSize = 1000): Generator<BackupObject[]> {
    const stmt = this.db.query<BackupObject, [string, number]>(
      `SELECT key, value, mod_rev AS modRevision, create_rev AS createRevision
       FROM objects WHERE key > ? ORDER BY key LIMIT ?`,
    );
    let after = "";
    for (;;) {
      const page = stmt.all(after, pageSize);
      if (page.length > 0) yield page;
      const last = page[page.length - 1];
      if (!last || page.length < pageSize) return;
      after = last.key;
    }
  }

  close(): void {
    this.db.close();
  }
}

function readInfo(db: Database, path: string): BackupInfo {
  let rows: { name: string; value: string }[];
  try {
    rows = db.query<{ name: string; value: string }, []>("SELECT name, value FROM backup").all();
  } catch {
    throw new BackupFormatError(`${path} is not a kcp backup (no backup table)`);
  }
  const values = new Map(rows.map((r) => [r.name, r.value]));
  if (values.get("format") !== BACKUP_FORMAT) throw new BackupFormatError(`${path} is not a kcp backup`);
  const version = Number(values.get("format_version"));
  if (version !== BACKUP_FORMAT_VERSION)
    throw new BackupFormatError(
      `${path} is a kcp backup of format version ${values.get("format_version")}; this kcp reads version ${BACKUP_FORMAT_VERSION}`,
    );
  const backend = values.get("backend");
  if (backend !== "sqlite" && backend !== "etcd") throw new BackupFormatError(`${path}: unknown backend "${backend}"`);
  const revision = Number(values.get("revision"));
  const keys = Number(values.get("keys"));
  if (!Number.isSafeInteger(revision) || revision < 1 || !Number.isSafeInteger(keys) || keys < 0)
    throw new BackupFormatError(`${path}: the backup's revision or key count is damaged`);
  const stored = db.query<{ n: number }, []>("SELECT count(*) AS n FROM objects").get()?.n ?? 0;
  if (stored !== keys) throw new BackupFormatError(`${path} should hold ${keys} keys but holds ${stored}`);
  return {
    backend,
    revision,
    keys,
    kcpVersion: values.get("kcp_version") ?? "",
    created: values.get("created") ?? "",
    source: values.get("source") ?? "",
  };
}
