// Writing a snapshot to a backup file, atomically: the file is built under a temporary name beside
// the destination, flushed to disk, and only then renamed over it. A backup that fails (the store
// went away, the disk filled, the process was killed) leaves no file, or an old one, under the
// destination name; never a partial one.

import { closeSync, openSync } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { fsyncPath } from "../util/fsync-path.ts";
import { KCP_VERSION } from "../version.ts";
import { BackupFileWriter, type BackupInfo } from "./backup-file.ts";
import type { StoreSnapshot } from "./store-snapshot.ts";

export interface WriteBackupOptions {
  /** Keys per page (default 1,000). */
  pageSize?: number;
  /** Called after each page with the keys written so far and the snapshot's total. */
  onProgress?: (written: number, total: number) => void;
}

export async function writeBackup(
  snapshot: StoreSnapshot,
  file: string,
  opts: WriteBackupOptions = {},
): Promise<BackupInfo> {
  const created = new Date().toISOString();
  const tmp = join(dirname(file), `.${basename(file)}.tmp-${process.pid}-${Date.now()}`);
  let writer: BackupFileWriter | null = null;
  try {
    // The file holds every Secret: readable by its owner only, from the moment it exists.
    closeSync(openSync(tmp, "wx", 0o600));
    writer = BackupFileWriter.create(tmp);
    for await (const page of snapshot.pages(opts.pageSize ?? 1000)) {
      writer.add(page);
      opts.onProgress?.(writer.written, snapshot.total);
    }
    if (writer.written !== snapshot.total)
      throw new Error(`read ${writer.written} keys but the snapshot holds ${snapshot.total}`);
    const info = writer.finish({
      backend: snapshot.backend,
      revision: snapshot.revision,
      kcpVersion: KCP_VERSION,
      created,
      source: snapshot.source,
    });
    writer = null;
    fsyncPath(tmp);
    await rename(tmp, file);
    fsyncPath(dirname(file));
    return info;
  } catch (err) {
    writer?.abort();
    await rm(tmp, { force: true });
    throw err;
  }
}
