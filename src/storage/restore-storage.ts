// Restoring a backup file into a running store through the Storage interface (`kcp restore
// --etcd-servers`): every key is created anew, so every object gets a new resourceVersion.
//
// etcd's revision counter cannot be set through its API (only its offline tools can), so the
// revision jump of a SQLite restore (sqlite/restore-database.ts) is replaced by a check: the
// store's revision must already be at least the backup's revision plus `bumpRevision`, which
// holds when restoring into the etcd the backup came from (its counter never goes back), or into
// any etcd that has taken more writes. After the writes, the history is compacted at the new
// revision: every resourceVersion a client of the old server saw is then below it, and gets 410.
// Compaction is global in etcd: other prefixes' watchers must relist too, as after any compaction.

import type { BackupFileReader } from "./backup-file.ts";
import { DestinationNotEmptyError, deleteAll, inParallel } from "./copy-storage.ts";
import type { Storage } from "./interface.ts";

export interface RestoreIntoStorageOptions {
  /** The store's revision must be at least the backup's plus this (see above). */
  bumpRevision: number;
  /** Delete the keys under the prefix first instead of refusing. */
  replace?: boolean;
  /** Writes in flight at once (default 16). */
  concurrency?: number;
  onProgress?: (restored: number, total: number) => void;
  /** Called once before deleting the keys already there (with `replace`). */
  onReplace?: (existing: number) => void;
}

export interface RestoreIntoStorageResult {
  keys: number;
  backupRevision: number;
  /** The store's revision after the writes; everything up to it is compacted. */
  revision: number;
}

/** The store's revision is too low for clients of the old server to be safe (see above). */
export class RevisionTooLowError extends Error {
  constructor(
    readonly current: number,
    readonly needed: number,
    backupRevision: number,
    bump: number,
  ) {
    super(
      `the store is at revision ${current}, below the backup's revision ${backupRevision} plus --bump-revision ${bump}: ` +
        `it would hand out resourceVersions that clients of the old server may have seen. ` +
        `Restore into the etcd the backup came from (or one with more writes), pass a --bump-revision of at most ${Math.max(0, current - backupRevision)} ` +
        `if the old server took fewer writes after the backup, or restore into SQLite (kcp restore --root-dir) and kcp migrate`,
    );
  }
}

export async function restoreIntoStorage(
  backup: BackupFileReader,
  to: { storage: Storage; keyPrefix: string },
  opts: RestoreIntoStorageOptions,
): Promise<RestoreIntoStorageResult> {
  const { storage, keyPrefix } = to;
  const R = backup.info.revision;
  const concurrency = opts.concurrency ?? 16;
  const root = `${keyPrefix}/`;
  const existing = await storage.count(root);
  if (existing > 0 && !opts.replace) throw new DestinationNotEmptyError(existing);
  const current = await storage.currentRevision();
  if (current < R + opts.bumpRevision)
    throw new RevisionTooLowError(current, R + opts.bumpRevision, R, opts.bumpRevision);
  if (existing > 0) {
    opts.onReplace?.(existing);
    await deleteAll(storage, root, 500, concurrency);
  }
  let restored = 0;
  for (const page of backup.pages(500)) {
    await inParallel(page, concurrency, async (o) => {
      if (!o.key.startsWith("/")) throw new Error(`the backup holds a key not starting with "/": ${o.key}`);
      await storage.create(keyPrefix + o.key, o.value);
    });
    restored += page.length;
    opts.onProgress?.(restored, backup.info.keys);
  }
  const landed = await storage.count(root);
  if (landed !== backup.info.keys)
    throw new Error(`restored ${backup.info.keys} keys but the store holds ${landed} under ${root}`);
  const revision = await storage.currentRevision();
  await storage.compact(revision);
  return { keys: restored, backupRevision: R, revision };
}
