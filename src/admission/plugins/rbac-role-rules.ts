// What a binding's roleRef resolves to, for escalation prevention (rbac-escalation.ts). Roles and
// ClusterRoles are read from storage (the stored truth: a role created a moment ago may not have
// reached the policy index's watch yet). A ClusterRole that is not stored (kube's defaults) or
// that aggregates others is asked of `clusterRoleRules` when the composition root has one (the
// RBAC policy index, which holds the defaults and computes aggregation).

import type { ObjectStore } from "../../apis/store.ts";
import type { ResourceDef } from "../../apis/types.ts";
import type { PolicyRule } from "../../auth/rbac/policy-rule.ts";
import { hasAggregationRule, type RoleRules, rulesIn } from "./rbac-escalation.ts";

export function storedRoleRules(
  reader: ObjectStore,
  defs: { roles: ResourceDef; clusterRoles: ResourceDef },
  clusterRoleRules?: (cluster: string, name: string) => PolicyRule[] | undefined,
): RoleRules {
  return {
    async rulesOf(cluster, kind, namespace, name) {
      if (kind === "Role") {
        const role = await reader.tryGet(defs.roles, cluster, namespace, name);
        return role ? rulesIn(role) : null;
      }
      const role = await reader.tryGet(defs.clusterRoles, cluster, undefined, name);
      if (role && !hasAggregationRule(role)) return rulesIn(role);
      if (clusterRoleRules) return clusterRoleRules(cluster, name) ?? (role ? rulesIn(role) : null);
      return role ? rulesIn(role) : null;
    },
  };
}
