// Status up: kcp's object gets the status of its downstream copy, through the status subresource,
// and only when it differs (every write would otherwise wake every kcp watcher for nothing). Only
// our own copy of this very kcp object counts: the copy's upstream-uid annotation must be the kcp
// object's uid, and the write carries the kcp object's resourceVersion, so a kcp object deleted and
// recreated meanwhile never receives its predecessor's status. Downstream creates and deletes are
// not propagated up: kcp is the source of truth for what exists.

import { deepEqual } from "../../apis/object-codec.ts";
import { isStatusError } from "../../machinery/status.ts";
import { ownershipOf, upstreamStatus } from "./downstream-object.ts";
import { CLUSTER_LABEL } from "./labels.ts";
import type { ResourceSides } from "./spec-down.ts";

const FIELD_MANAGER = "kcp-syncer";

/** Copy status up for `namespace/name` if it changed; throws to be retried. True when it wrote. */
export async function syncStatusUp(
  logicalCluster: string,
  sides: ResourceSides,
  namespace: string,
  name: string,
  /** The kcp installation's identity: a copy must carry it to count as ours. */
  identity?: string,
  /** This syncer's cluster: a re-read object must still be labelled for it. */
  clusterName?: string,
): Promise<boolean> {
  if (!sides.res.hasStatus) return false;
  const down = sides.downCache.get(namespace, name);
  let up = sides.upCache.get(namespace, name);
  if (!down || !up || up.metadata.deletionTimestamp) return false;
  if (ownershipOf(down, logicalCluster, up.metadata.uid, identity) !== "ours") return false;
  const status = upstreamStatus(down);
  if (deepEqual(status, up.status)) return false;
  for (let attempt = 0; ; attempt++) {
    const body = { ...up, status };
    if (status === undefined) delete body.status;
    try {
      await sides.upstream.updateStatus(body, { fieldManager: FIELD_MANAGER });
      return true;
    } catch (e) {
      if (!isStatusError(e)) throw e;
      if (e.code === 404) return false;
      if (e.code !== 409 || attempt > 0) throw e;
    }
    // Our cache was behind kcp: read the object, and write only if it is still the same one.
    let live: typeof up;
    try {
      live = await sides.upstream.get(name, namespace);
    } catch (e) {
      if (isStatusError(e) && e.code === 404) return false;
      throw e;
    }
    if (live.metadata.uid !== up.metadata.uid) return false;
    // Moved to another cluster meanwhile: its status is that cluster's syncer's to write.
    if (clusterName !== undefined && live.metadata.labels?.[CLUSTER_LABEL] !== clusterName) return false;
    if (deepEqual(status, live.status)) return false;
    up = live;
  }
}
