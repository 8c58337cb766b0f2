// What a binding's roleRef resolves to, for escalation prevention (rbac-escalation.ts): a Role is
// read from storage in the binding's namespace (the write path reads the stored truth, as kube's
// registry reads through its role getter); a ClusterRole is asked of `clusterRoleRules` when the
// composition root has one (the RBAC policy index: kube's default ClusterRoles, which are not
// stored, and aggregated rules), else read from storage too.

import type { ObjectStore } from "../../apis/store.ts";
import type { ResourceDef } from "../../apis/types.ts";
import type { PolicyRule } from "../../auth/rbac/policy-rule.ts";
import { type RoleRules, rulesIn } from "./rbac-escalation.ts";

export function storedRoleRules(
  reader: ObjectStore,
  defs: { roles: ResourceDef; clusterRoles: ResourceDef },
  clusterRoleRules?: (cluster: string, name: string) => PolicyRule[] | undefined,
): RoleRules {
  return {
    rulesOf(cluster, kind, namespace, name) {
      if (kind === "ClusterRole" && clusterRoleRules) return clusterRoleRules(cluster, name) ?? null;
      const def = kind === "Role" ? defs.roles : defs.clusterRoles;
      return reader
        .tryGet(def, cluster, kind === "Role" ? namespace : undefined, name)
        .then((obj) => (obj ? rulesIn(obj) : null));
    },
  };
}
