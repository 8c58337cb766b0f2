// Copying all of kcp's data from one storage backend to another (`kcp migrate`).
//
// The source is read as one snapshot (every page at the revision of the first), so a copy is
// consistent even if something writes meanwhile (that later write is then not copied: stop the
// servers first). Every key under the source's key prefix is copied: objects of every resource
// and logical cluster, and the logical-cluster markers. Keys are translated from one backend's
// key prefix to the other's (see open-storage.ts, "Key layout"); values are copied byte for byte.
// The destination assigns its own revisions, so every resourceVersion changes.
//
// A destination that already holds data under its prefix is refused, unless `replace` is set:
// then its keys are deleted first, and afterwards it holds exactly the source's.

import type { Storage } from "./interface.ts";

export interface CopyEnd {
  storage: Storage;
  /** The object-store key prefix of this backend ("/registry" for SQLite, "" for etcd). */
  keyPrefix: string;
}

export interface CopyOptions {
  /** Delete what the destination holds instead of refusing to copy into it. */
  replace?: boolean;
  /** Keys per page read from the source (default 500). */
  pageSize?: number;
  /** Writes in flight at once (default 16). */
  concurrency?: number;
  /** Called after each page with the keys copied so far and the total. */
  onProgress?: (copied: number, total: number) => void;
  /** Called once before deleting the destination's keys (with `replace`). */
  onReplace?: (existing: number) => void;
}

export interface CopyResult {
  /** Keys copied. */
  copied: number;
  /** Keys deleted from the destination first (with `replace`). */
  replaced: number;
  /** The source revision the snapshot was read at. */
  sourceRevision: number;
  /** The destination's revision after the copy. */
  destinationRevision: number;
}

export class DestinationNotEmptyError extends Error {
  constructor(readonly keys: number) {
    super(
      `the destination already holds ${keys} key${keys === 1 ? "" : "s"}: use --force to delete them and copy anyway`,
    );
  }
}

export async function copyStorage(from: CopyEnd, to: CopyEnd, opts: CopyOptions = {}): Promise<CopyResult> {
  const pageSize = opts.pageSize ?? 500;
  const concurrency = opts.concurrency ?? 16;
  const fromRoot = `${from.keyPrefix}/`;
  const toRoot = `${to.keyPrefix}/`;

  const existing = await to.storage.count(toRoot);
  let replaced = 0;
  if (existing > 0) {
    if (!opts.replace) throw new DestinationNotEmptyError(existing);
    opts.onReplace?.(existing);
    replaced = await deleteAll(to.storage, toRoot, pageSize, concurrency);
  }

  const total = await from.storage.count(fromRoot);
  let copied = 0;
  let revision = 0;
  let after: string | undefined;
  for (;;) {
    const page = await from.storage.list({
      prefix: fromRoot,
      limit: pageSize,
      ...(revision ? { revision } : {}),
      ...(after !== undefined ? { after } : {}),
    });
    if (revision === 0) revision = page.revision;
    await inParallel(page.items, concurrency, async (kv) => {
      await to.storage.create(toRoot + kv.key.slice(fromRoot.length), kv.value);
    });
    copied += page.items.length;
    opts.onProgress?.(copied, Math.max(total, copied));
    const last = page.items[page.items.length - 1];
    if (!page.more || !last) break;
    after = last.key;
  }
  const landed = await to.storage.count(toRoot);
  if (landed !== copied) throw new Error(`copied ${copied} keys but the destination holds ${landed}`);
  return { copied, replaced, sourceRevision: revision, destinationRevision: await to.storage.currentRevision() };
}

/** Delete every key under `prefix`; returns how many. */
export async function deleteAll(
  storage: Storage,
  prefix: string,
  pageSize: number,
  concurrency: number,
): Promise<number> {
  let deleted = 0;
  for (;;) {
    const page = await storage.list({ prefix, limit: pageSize });
    if (page.items.length === 0) return deleted;
    await inParallel(page.items, concurrency, async (kv) => {
      await storage.delete(kv.key, kv.modRevision);
    });
    deleted += page.items.length;
  }
}

/** Run `fn` over `items` with at most `limit` calls in flight; the first failure fails it all. */
export async function inParallel<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
