// Restoring a backup file into a new SQLite store (`kcp restore`), as etcdutl's
// `snapshot restore --bump-revision N --mark-compacted` does for etcd.
//
// Every object keeps its resourceVersion (its modRevision from the backup) and creation revision.
// The store's revision then jumps to the backup's revision plus `bumpRevision`, and everything up
// to there is marked compacted. Why: clients of the server that was backed up may have seen
// revisions after the snapshot (writes the backup does not hold). Without the jump, the restored
// store would reuse those numbers for other writes, and a watch resumed from one would silently
// miss or misorder events. With it, a watch or a list at any revision before the jump gets
// CompactedError (410 Gone, Expired, over HTTP) and the client relists; new writes get revisions
// no old client has seen. So `bumpRevision` must exceed the writes the old server took after the
// snapshot (the default, 1,000,000,000, is what etcd recommends; revisions are 64-bit integers in
// SQLite and below 2^53 here, so room stays for about 9·10^6 such jumps).
//
// The database is built under a temporary name in the destination's directory and renamed into
// place when complete, so a failed restore leaves no half database under the real name.

import { closeSync, existsSync, openSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { BackupFileReader, BackupObject } from "../backup-file.ts";
import { DEFAULT_PREFIX } from "../keys.ts";
import { fsyncPath } from "../../util/fsync-path.ts";
import { openDatabase, writeMeta } from "./schema.ts";

export const DEFAULT_BUMP_REVISION = 1_000_000_000;

export interface RestoreOptions {
  /** How far past the backup's revision the restored store's revision jumps (see above). */
  bumpRevision: number;
  /** Replace an existing database instead of refusing. */
  replace?: boolean;
  /** Called after each page with the keys restored so far and the backup's total. */
  onProgress?: (restored: number, total: number) => void;
}

export interface RestoreResult {
  keys: number;
  /** The backup's revision. */
  backupRevision: number;
  /** The restored store's revision: everything at or below it is compacted. */
  revision: number;
  /** Objects that got a new revision (two objects shared one in etcd, which SQLite cannot hold). */
  renumbered: number;
}

export class DatabaseExistsError extends Error {
  constructor(readonly path: string) {
    super(`${path} already exists: stop the kcp using it and pass --force to replace it`);
  }
}

export async function restoreSqliteDatabase(
  backup: BackupFileReader,
  dbPath: string,
  opts: RestoreOptions,
): Promise<RestoreResult> {
  const R = backup.info.revision;
  if (!Number.isSafeInteger(opts.bumpRevision) || opts.bumpRevision < 0)
    throw new RangeError(`the revision bump must be a non-negative integer, not ${opts.bumpRevision}`);
  if (!Number.isSafeInteger(R + opts.bumpRevision + backup.info.keys))
    throw new RangeError(`revision ${R} + ${opts.bumpRevision} is too large`);
  if (existsSync(dbPath) && !opts.replace) throw new DatabaseExistsError(dbPath);
  await mkdir(dirname(dbPath), { recursive: true, mode: 0o700 });

  const tmp = join(dirname(dbPath), `.${basename(dbPath)}.restore-${process.pid}-${Date.now()}`);
  const removeTmp = () =>
    Promise.all([tmp, `${tmp}-wal`, `${tmp}-shm`].map((f) => rm(f, { force: true }))).then(() => undefined);
  try {
    // The database holds every Secret: readable by its owner only, from the moment it exists.
    closeSync(openSync(tmp, "wx", 0o600));
    const db = openDatabase(tmp);
    let restored = 0;
    let renumbered = 0;
    let revision = R + opts.bumpRevision;
    try {
      db.run("PRAGMA synchronous = OFF");
      const insertLog = db.query<unknown, [number, string, number, string]>(
        "INSERT INTO log (rev, key, create_rev, prev_rev, deleted, value) VALUES (?, ?, ?, 0, 0, ?) ON CONFLICT (rev) DO NOTHING",
      );
      const insertCurrent = db.query<unknown, [string, number, number]>(
        "INSERT INTO current (key, rev, create_rev) VALUES (?, ?, ?)",
      );
      // Objects whose revision another object already holds, or that is not one the backup could hold.
      const clashes: { key: string; value: string; createRevision: number }[] = [];
      const addPage = db.transaction((page: BackupObject[]) => {
        for (const o of page) {
          if (!o.key.startsWith("/")) throw new Error(`the backup holds a key not starting with "/": ${o.key}`);
          const key = DEFAULT_PREFIX + o.key;
          const valid = Number.isSafeInteger(o.modRevision) && o.modRevision >= 1 && o.modRevision <= R;
          if (!valid || insertLog.run(o.modRevision, key, o.createRevision, o.value).changes === 0) {
            clashes.push({ key, value: o.value, createRevision: o.createRevision });
            continue;
          }
          insertCurrent.run(key, o.modRevision, o.createRevision);
        }
      });
      for (const page of backup.pages()) {
        addPage(page);
        restored += page.length;
        opts.onProgress?.(restored, backup.info.keys);
      }
      db.transaction(() => {
        // After the jump's end, so no old client knows these revisions either.
        for (const c of clashes) {
          revision++;
          insertLog.run(revision, c.key, Math.min(c.createRevision, revision), c.value);
          insertCurrent.run(c.key, revision, Math.min(c.createRevision, revision));
        }
        renumbered = clashes.length;
        writeMeta(db, "compact_rev", revision);
      })();
      if (restored !== backup.info.keys)
        throw new Error(`the backup should hold ${backup.info.keys} keys but ${restored} were read`);
      db.run("PRAGMA wal_checkpoint(TRUNCATE)");
    } finally {
      db.close();
    }
    // Closing the last connection checkpointed and removed the WAL; make sure nothing of it stays.
    await Promise.all([`${tmp}-wal`, `${tmp}-shm`].map((f) => rm(f, { force: true })));
    fsyncPath(tmp);
    // A replaced database's WAL would be replayed onto the new file: it goes first.
    await Promise.all([`${dbPath}-wal`, `${dbPath}-shm`].map((f) => rm(f, { force: true })));
    await rename(tmp, dbPath);
    fsyncPath(dirname(dbPath));
    return { keys: restored, backupRevision: R, revision, renumbered };
  } catch (err) {
    await removeTmp();
    throw err;
  }
}
