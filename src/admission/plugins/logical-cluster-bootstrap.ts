// LogicalClusterBootstrap admission: a LogicalCluster created through the API (in `admin`) is a
// cluster made as first use makes it: its namespaces are written before its object, the marker,
// so that a marker always means a ready cluster. A cluster that exists already is left alone (the
// create then fails AlreadyExists, a Terminating one included); dry runs write nothing.

import type { AdmissionAttributes, AdmissionOperation, AdmissionPlugin } from "../../apis/admission.ts";
import { LOGICAL_CLUSTER_PLURAL, TENANCY_GROUP } from "../../apis/builtin/logical-cluster.ts";
import { DEFAULT_CLUSTER, type LogicalClusters } from "../../apis/logical-clusters.ts";

/** `clusters` is asked late: the store this plugin guards is what LogicalClusters writes through. */
export function logicalClusterBootstrap(clusters: () => LogicalClusters | undefined): AdmissionPlugin {
  return {
    name: "LogicalClusterBootstrap",
    handles: (operation: AdmissionOperation) => operation === "CREATE",
    validate(a: AdmissionAttributes): Promise<void> | undefined {
      if (a.dryRun || a.subresource !== undefined || a.ctx.cluster !== DEFAULT_CLUSTER) return undefined;
      if (a.def.group !== TENANCY_GROUP || a.def.plural !== LOGICAL_CLUSTER_PLURAL || !a.object) return undefined;
      const name = a.object.metadata.name;
      const lc = clusters();
      if (!lc || !name) return undefined;
      return lc.prepare(name);
    },
  };
}
