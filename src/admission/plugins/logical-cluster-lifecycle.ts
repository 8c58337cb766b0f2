// LogicalClusterLifecycle admission: nothing is created in a logical cluster being deleted, by
// anyone. Requests are refused earlier, by the logical cluster filter; this catches kcp's own
// in-process controllers, which write through the store without passing the filter (the service
// account controller recreating a `default` service account from a namespace it has not yet seen
// deleted): such a create could land after the deleter's last count and outlive the cluster
// (docs/logical-clusters.md, "Deletion and writes in flight"). Updates of deleted objects fail by
// themselves; deletes are always allowed.

import type { AdmissionAttributes, AdmissionOperation, AdmissionPlugin } from "../../apis/admission.ts";
import { type LogicalClusters, terminatingStatus } from "../../apis/logical-clusters.ts";

/** `clusters` is asked late: LogicalClusters writes through the store this plugin guards. */
export function logicalClusterLifecycle(clusters: () => LogicalClusters | undefined): AdmissionPlugin {
  return {
    name: "LogicalClusterLifecycle",
    handles: (operation: AdmissionOperation) => operation === "CREATE",
    validate(a: AdmissionAttributes): void {
      if (clusters()?.isTerminating(a.ctx.cluster)) throw terminatingStatus(a.ctx.cluster);
    },
  };
}
