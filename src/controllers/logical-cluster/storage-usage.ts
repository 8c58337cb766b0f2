// What a logical cluster holds in storage, read from the keys alone. The key layout puts the
// resource before the cluster (storage/keys.ts), so a cluster is not one key range: it is one
// range per resource, `<prefix>/<group>/<resource>/<cluster>/`. The resources come from storage,
// not the registry (a resource no longer served may still hold keys): a skip scan, one list of one
// key per resource present, jumps from each resource's first key past its whole range.

import { KeyNotFoundError, type Storage, prefixEnd } from "../../storage/interface.ts";

/** A resource's key range across clusters, `<prefix>/<group>/<resource>/`, and its display name. */
export interface ResourceRange {
  prefix: string;
  /** `configmaps`, `deployments.apps`, `logicalclusters.tenancy.kcp.io`. */
  name: string;
}

/** Values are read for their size up to this many keys per cluster… */
export const MAX_SIZED_KEYS = 20_000;
/** …and up to about this many bytes (values may be 1.5 MiB each): beyond, bytes are estimated. */
export const MAX_SIZED_BYTES = 32 * 1024 * 1024;
const PAGE = 500;
const FIRST_PAGE = 16;

/** Every resource with at least one key in storage: one single-key list per resource. */
export async function storedResources(storage: Storage, keyPrefix: string): Promise<ResourceRange[]> {
  const root = `${keyPrefix}/`;
  const out: ResourceRange[] = [];
  let after: string | undefined;
  // Bounded: one step per resource, and each step moves past a whole resource range.
  for (let step = 0; step < 100_000; step++) {
    const { items } = await storage.list({ prefix: root, after, limit: 1, skipRemaining: true });
    const kv = items[0];
    if (!kv) break;
    const parts = kv.key.slice(root.length).split("/");
    if (parts.length < 3) {
      after = kv.key;
      continue;
    }
    const [group, resource] = parts as [string, string];
    const prefix = `${root}${group}/${resource}/`;
    out.push({ prefix, name: group === "core" ? resource : `${resource}.${group}` });
    after = prefixEnd(prefix);
  }
  return out;
}

export interface ClusterUsage {
  /** Objects per resource (resources with none left out). */
  resources: Record<string, number>;
  objects: number;
  /** Bytes of keys and values; estimated from the sized keys' average past MAX_SIZED_KEYS or MAX_SIZED_BYTES. */
  bytes: number;
  /** True when bytes is an estimate. */
  estimated: boolean;
}

/**
 * Counts (exact: one count per resource range) and bytes (values read in pages, bounded) of
 * `cluster`. With `bytes: false` only counts are taken (bytes 0, estimated false).
 */
export async function clusterUsage(
  storage: Storage,
  ranges: ResourceRange[],
  cluster: string,
  opts: { bytes?: boolean } = {},
): Promise<ClusterUsage> {
  const sizing = opts.bytes ?? true;
  const resources: Record<string, number> = Object.create(null);
  let objects = 0;
  let sizedKeys = 0;
  let sizedBytes = 0;
  let largest = 0;
  for (const r of ranges) {
    const prefix = `${r.prefix}${cluster}/`;
    const n = await storage.count(prefix);
    if (n === 0) continue;
    resources[r.name] = n;
    objects += n;
    let after: string | undefined;
    while (sizing && sizedKeys < MAX_SIZED_KEYS && sizedBytes < MAX_SIZED_BYTES) {
      // Pages sized so that the budget is not overrun by much: as many keys as the rest of it
      // holds at the largest size seen (a few keys at first, when no size is known).
      const fit = largest > 0 ? Math.floor((MAX_SIZED_BYTES - sizedBytes) / largest) : FIRST_PAGE;
      const limit = Math.max(1, Math.min(PAGE, MAX_SIZED_KEYS - sizedKeys, fit));
      const page = await storage.list({ prefix, after, limit, skipRemaining: true });
      for (const kv of page.items) {
        const size = Buffer.byteLength(kv.key) + Buffer.byteLength(kv.value);
        sizedBytes += size;
        if (size > largest) largest = size;
      }
      sizedKeys += page.items.length;
      const last = page.items.at(-1);
      if (!page.more || !last) break;
      after = last.key;
    }
  }
  const estimated = sizedKeys < objects;
  const bytes = estimated && sizedKeys > 0 ? Math.round((sizedBytes / sizedKeys) * objects) : sizedBytes;
  return { resources: { ...resources }, objects, bytes, estimated };
}

/**
 * Delete every key of `cluster` under one resource range, a page at a time (each page's deletes are
 * separate writes, which SQLite's group commit puts in one transaction, not one for everything):
 * watchers see each object's DELETED. Returns how many keys went.
 */
export async function deleteClusterRange(storage: Storage, range: ResourceRange, cluster: string): Promise<number> {
  const prefix = `${range.prefix}${cluster}/`;
  let deleted = 0;
  for (;;) {
    const { items } = await storage.list({ prefix, limit: PAGE, skipRemaining: true });
    if (items.length === 0) return deleted;
    const results = await Promise.allSettled(items.map((kv) => storage.delete(kv.key)));
    for (const r of results) {
      if (r.status === "fulfilled") deleted++;
      // A key another writer deleted meanwhile is gone all the same.
      else if (!(r.reason instanceof KeyNotFoundError)) throw r.reason;
    }
  }
}
