// apiserver_storage_objects: the number of stored objects per resource, counted in storage when
// /metrics is scraped (one count of a key range per resource, as kube-apiserver's periodic count).
// The resources are the built-ins and every logical cluster's CRDs, one per storage location
// (the key range spans all logical clusters), at most MAX_COUNTED_RESOURCES of them per scrape.

import type { ResourceRegistry } from "../../apis/registry.ts";
import { storageOf } from "../../apis/store.ts";
import { DEFAULT_CLUSTER } from "../../apis/logical-clusters.ts";
import type { Storage } from "../../storage/interface.ts";
import { resourcePrefix } from "../../storage/keys.ts";

export const MAX_COUNTED_RESOURCES = 500;

/** `resource.group` (kube's label spelling, bare for the core group) → objects, sorted by label. */
export async function countObjects(
  storage: Storage,
  keyPrefix: string,
  registry: ResourceRegistry,
): Promise<[string, number][]> {
  const seen = new Map<string, string>();
  const defs = [
    ...registry.resources(DEFAULT_CLUSTER),
    ...registry.clustersWithOwnResources().flatMap((c) => registry.ownResources(c)),
  ];
  for (const def of defs) {
    if (def.mode !== "stored") continue;
    if (seen.size >= MAX_COUNTED_RESOURCES) break;
    const s = storageOf(def);
    const label = s.group === "" ? s.resource : `${s.resource}.${s.group}`;
    if (!seen.has(label)) seen.set(label, resourcePrefix(keyPrefix, s.group, s.resource));
  }
  const labels = [...seen.keys()].sort();
  const counts = await Promise.all(labels.map((l) => storage.count(seen.get(l) as string)));
  return labels.map((l, i) => [l, counts[i]]);
}
