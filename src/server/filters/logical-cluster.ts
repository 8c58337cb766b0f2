// Filter 4, logical cluster (kcp's own): a resource request in a named logical cluster brings it into
// being on first use (its marker and the namespaces default, kube-system, kube-public). Wildcard
// (`/clusters/*`) requests only read, and non-resource requests create nothing.

import type { MiddlewareHandler } from "hono";
import type { LogicalClusters } from "../../apis/logical-clusters.ts";
import type { Env } from "./env.ts";

export function logicalClusterFilter(clusters: LogicalClusters): MiddlewareHandler<Env> {
  return (c, next) => {
    const info = c.get("requestInfo");
    if (info.kind === "resource" && !info.wildcard) {
      // Undefined once the cluster is known: the common case costs no await.
      const pending = clusters.ensure(info.cluster);
      if (pending) return pending.then(() => next());
    }
    return next();
  };
}
