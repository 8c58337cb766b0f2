// Which of the requested resource types can be synced now: found by discovery in kcp (as a GR
// string such as "deployments.apps" or a bare resource name such as "configmaps"), namespaced,
// watchable, and served by the physical cluster too. What is missing is reported, not fatal: the
// syncer reads discovery again until everything requested is there (a CRD created in kcp later is
// picked up without a restart, which the seed could not do).

import type { APIResourceInfo, DiscoveryClient } from "../../client/discovery-client.ts";
import type { ResourceRef } from "../../client/dynamic-client.ts";

/** One resource type being synced. */
export interface SyncedResource {
  /** "deployments.apps", "configmaps": the name in logs, the Lease and the Cluster's status. */
  gr: string;
  ref: ResourceRef;
  /** The type has a status subresource: status flows up through it, and is not sent down. */
  hasStatus: boolean;
}

export interface DiscoveryResult {
  found: SyncedResource[];
  /** Requested names with no namespaced, watchable type in kcp. */
  missingUpstream: string[];
  /** GRs found in kcp that the physical cluster does not serve. */
  missingDownstream: string[];
  /** Requested names that matched only cluster-scoped or unwatchable types (never retried). */
  unsyncable: string[];
}

export function grOf(r: { resource: string; group: string }): string {
  return r.group ? `${r.resource}.${r.group}` : r.resource;
}

/** Does requested name `name` (a GR string or a bare resource name) mean resource `r`? */
function matches(name: string, r: APIResourceInfo): boolean {
  const n = name.toLowerCase();
  if (n === grOf(r)) return true;
  // The core group may be named explicitly, as CRDs for core kinds are ("pods.core").
  if (!r.group && n === `${r.resource}.core`) return true;
  return n === r.resource;
}

/** Resolve the requested names against both sides' discovery. Throws when either side cannot be read. */
export async function discoverResources(
  requested: string[],
  upstream: DiscoveryClient,
  downstream: DiscoveryClient,
): Promise<DiscoveryResult> {
  // Fresh each pass (a CRD may have appeared), and not kept after it: a syncer is idle most of the
  // time, and a hundred of them in one process should not each hold two discovery documents.
  upstream.invalidate();
  const up = await upstream.serverPreferredResources();
  upstream.invalidate();
  const result: DiscoveryResult = { found: [], missingUpstream: [], missingDownstream: [], unsyncable: [] };
  const chosen = new Map<string, APIResourceInfo>();
  for (const name of requested) {
    const candidates = up.filter((r) => !r.resource.includes("/") && matches(name, r));
    const usable = candidates.filter((r) => r.namespaced && r.verbs.includes("watch") && r.verbs.includes("list"));
    if (usable.length === 0) {
      (candidates.length > 0 ? result.unsyncable : result.missingUpstream).push(name);
      continue;
    }
    for (const r of usable) chosen.set(grOf(r), r);
  }
  if (chosen.size === 0) return result;
  downstream.invalidate();
  const down = await downstream.serverPreferredResources();
  downstream.invalidate();
  const served = new Set(down.filter((r) => r.namespaced).map((r) => grOf(r)));
  for (const [gr, r] of [...chosen].sort(([a], [b]) => a.localeCompare(b))) {
    if (!served.has(gr)) {
      result.missingDownstream.push(gr);
      continue;
    }
    result.found.push({
      gr,
      ref: { group: r.group, version: r.version, resource: r.resource, namespaced: true, kind: r.kind },
      hasStatus: r.subresources.includes("status"),
    });
  }
  return result;
}
