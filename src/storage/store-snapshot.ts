// A consistent, read-only view of a store at one revision, read page by page (what `kcp backup`
// copies). Each backend has its own way to hold the revision still while a server keeps writing:
// SQLite a read transaction on its own connection (sqlite/snapshot-reader.ts), etcd ranges at
// the revision of the first (below).

import type { BackupBackend, BackupObject } from "./backup-file.ts";
import type { Storage } from "./interface.ts";

export interface StoreSnapshot {
  backend: BackupBackend;
  /** The revision every page is read at. */
  revision: number;
  /** Live keys at that revision. */
  total: number;
  /** For people: what is being read. */
  source: string;
  /** Every live key at `revision`, in key order; keys relative to the backend's prefix. */
  pages(pageSize: number): AsyncIterable<BackupObject[]>;
  close(): Promise<void>;
}

/**
 * A snapshot read through the Storage interface: every page listed at the revision of the first
 * (etcd keeps that revision readable until someone compacts past it: a compaction during the read
 * fails it with CompactedError, and the backup is then taken again).
 */
export async function storageSnapshot(
  storage: Storage,
  keyPrefix: string,
  backend: BackupBackend,
  source: string,
  close: () => Promise<void>,
): Promise<StoreSnapshot> {
  const root = `${keyPrefix}/`;
  // One key fixes the revision and, with `remaining`, counts the rest at that same revision.
  const first = await storage.list({ prefix: root, limit: 1 });
  const revision = first.revision;
  const total = first.items.length + (first.remaining ?? 0);
  return {
    backend,
    revision,
    total,
    source,
    async *pages(pageSize: number) {
      let after: string | undefined;
      for (;;) {
        const page = await storage.list({
          prefix: root,
          revision,
          limit: pageSize,
          skipRemaining: true,
          ...(after !== undefined ? { after } : {}),
        });
        if (page.items.length > 0)
          yield page.items.map((kv) => ({
            key: kv.key.slice(keyPrefix.length),
            value: kv.value,
            modRevision: kv.modRevision,
            createRevision: kv.createRevision,
          }));
        const last = page.items[page.items.length - 1];
        if (!page.more || !last) return;
        after = last.key;
      }
    },
    close,
  };
}
