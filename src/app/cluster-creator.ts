// A logical cluster created by a user who is not in system:masters (allowed to `create`
// `logicalclusters` in admin: docs/security.md) belongs to that user: a ClusterRoleBinding
// `kcp:creator` to cluster-admin in the new cluster, as kcp's workspaces make their creator admin.
// It is written by kcp itself (system:masters, past escalation prevention) and put into RBAC's
// index at once, so that the request that created the cluster is judged with it.

import { DEFAULT_CLUSTER } from "../apis/logical-clusters.ts";
import type { ResourceRegistry } from "../apis/registry.ts";
import type { ObjectStore } from "../apis/store.ts";
import type { KObject, RequestContext } from "../apis/types.ts";
import type { PolicyIndex } from "../auth/rbac/policy-index.ts";
import type { UserInfo } from "../auth/types.ts";
import { log } from "../log.ts";

export const CREATOR_BINDING = "kcp:creator";

const SYSTEM_USER = { username: "system:kcp", groups: ["system:masters"] };

export function creatorBindingFor(username: string): KObject {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name: CREATOR_BINDING },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
    subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: username }],
  } as KObject;
}

/** The hook the logical cluster filter calls when a user created a cluster (AppDeps.clusterCreated). */
export function clusterCreatorHook(
  store: ObjectStore,
  registry: ResourceRegistry,
  policy: PolicyIndex | undefined,
): (cluster: string, creator: UserInfo) => Promise<void> {
  return async (cluster, creator) => {
    const def = registry.lookup(DEFAULT_CLUSTER, "rbac.authorization.k8s.io", "v1", "clusterrolebindings");
    if (!def) throw new Error("clusterrolebindings.rbac.authorization.k8s.io is not registered");
    const ctx: RequestContext = { cluster, user: SYSTEM_USER, dryRun: false, warnings: [] };
    const created = await store.create(def, ctx, creatorBindingFor(creator.username), undefined);
    // The watch brings it too; until then this request (and the creator's next) would find no binding.
    policy?.upsert("ClusterRoleBinding", cluster, created);
    log.info(`logical cluster ${cluster} created by ${creator.username}, its cluster-admin (${CREATOR_BINDING})`);
  };
}
