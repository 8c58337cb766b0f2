// The API without its listener: the resource registry, the admission chain (namespace lifecycle
// over its in-memory namespace view, RBAC escalation prevention, resource quota over its in-memory
// counts, then the embedding program's plugins), the object store and the logical clusters, with `admin` bootstrapped.
// `kcp start` (start-server.ts) adds the controllers and the HTTPS server around it; tests serve
// it through `app.request(...)`.

import { AdmissionChain } from "../admission/chain.ts";
import { NamespaceView } from "../admission/namespace-view.ts";
import { namespaceLifecycle } from "../admission/plugins/namespace-lifecycle.ts";
import { resourceQuota } from "../admission/plugins/resource-quota.ts";
import { rbacEscalation } from "../admission/plugins/rbac-escalation.ts";
import { logicalClusterBootstrap } from "../admission/plugins/logical-cluster-bootstrap.ts";
import { logicalClusterLifecycle } from "../admission/plugins/logical-cluster-lifecycle.ts";
import { storedRoleRules } from "../admission/plugins/rbac-role-rules.ts";
import type { PolicyRule } from "../auth/rbac/policy-rule.ts";
import { QuotaUsage } from "../controllers/quota/quota-usage.ts";
import type { AdmissionPlugin } from "../apis/admission.ts";
import { builtinResources } from "../apis/builtin/index.ts";
import { clusterResources } from "../apis/builtin/cluster.ts";
import { apiResourceResources } from "../apis/builtin/apiresource.ts";
import { logicalClusterResources } from "../apis/builtin/logical-cluster.ts";
import { DEFAULT_CLUSTER, LogicalClusters } from "../apis/logical-clusters.ts";
import { ResourceRegistry } from "../apis/registry.ts";
import { ObjectStore } from "../apis/store.ts";
import type { ResourceDef } from "../apis/types.ts";
import type { ServiceAccountJWT } from "../auth/service-account-jwt.ts";
import type { Authenticator, Authorizer } from "../auth/types.ts";
import type { Informer } from "../client/informer.ts";
import type { Storage } from "../storage/interface.ts";

export interface ApiCoreOptions {
  storage: Storage;
  keyPrefix: string;
  /** What the review kinds (TokenReview, SubjectAccessReview, …) answer from. */
  authenticator: Authenticator;
  authorizer: Authorizer;
  /** Issues service account tokens (serviceaccounts/<name>/token); without it that subresource is 405. */
  serviceAccountTokens?: ServiceAccountJWT;
  /** Admission plugins of the embedding program, run after kcp's own (NamespaceLifecycle), in this order. */
  admission?: AdmissionPlugin[];
  /**
   * A ClusterRole's effective rules in a logical cluster (defaults and aggregation included), for
   * escalation prevention of bindings; without it, the stored ClusterRole's rules.
   */
  clusterRoleRules?: (cluster: string, name: string) => PolicyRule[] | undefined;
}

export interface ApiCore {
  registry: ResourceRegistry;
  store: ObjectStore;
  clusters: LogicalClusters;
  namespaceDef: ResourceDef;
  crdDef: ResourceDef;
  /** Every logical cluster's namespaces, followed once for admission and the namespace controller. */
  namespaces: Informer;
  /** When a request last deleted something in a terminating namespace (the namespace controller waits on it). */
  lastContentDelete(cluster: string, namespace: string): number | undefined;
  /** Quotas and the object counts they need: ResourceQuota admission's ledger, the quota controller's input. */
  quotaUsage: QuotaUsage;
  /** Stops what runs in the background (the namespace view's and quotas' watches); storage stays open. */
  stop(): void;
}

function builtinDef(registry: ResourceRegistry, group: string, resource: string): ResourceDef {
  const def = registry.lookup(DEFAULT_CLUSTER, group, "v1", resource);
  if (!def) throw new Error(`the ${group ? `${resource}.${group}` : resource} resource is not registered`);
  return def;
}

export async function startApiCore(opts: ApiCoreOptions): Promise<ApiCore> {
  const { storage, keyPrefix } = opts;
  const registry = new ResourceRegistry(
    [
      ...builtinResources({
        authenticator: opts.authenticator,
        authorizer: opts.authorizer,
        serviceAccountTokens: opts.serviceAccountTokens,
      }),
      // kcp's own kinds, served in every logical cluster after kube's.
      ...clusterResources(),
      ...apiResourceResources(),
    ],
    logicalClusterResources(),
  );
  const namespaceDef = builtinDef(registry, "", "namespaces");
  const crdDef = builtinDef(registry, "apiextensions.k8s.io", "customresourcedefinitions");
  // The namespaces admission answers from: listed and watched before the API serves. It reads
  // through a store without admission (the view is what admission itself consults).
  const reader = new ObjectStore(storage, keyPrefix);
  const namespaceView = new NamespaceView(reader, namespaceDef);
  await namespaceView.start();
  const quotaUsage = new QuotaUsage(reader, registry, builtinDef(registry, "", "resourcequotas"));
  let clusters: LogicalClusters | undefined;
  try {
    await quotaUsage.start();
    // Escalation prevention before quota: a refused role or binding is never counted.
    const roleRules = storedRoleRules(
      reader,
      {
        roles: builtinDef(registry, "rbac.authorization.k8s.io", "roles"),
        clusterRoles: builtinDef(registry, "rbac.authorization.k8s.io", "clusterroles"),
      },
      opts.clusterRoleRules,
    );
    const admission = new AdmissionChain([
      namespaceLifecycle(namespaceView),
      rbacEscalation(opts.authorizer, roleRules),
      resourceQuota(quotaUsage),
      logicalClusterBootstrap(() => clusters),
      logicalClusterLifecycle(() => clusters),
      ...(opts.admission ?? []),
    ]);
    const store = new ObjectStore(storage, keyPrefix, admission);
    clusters = new LogicalClusters(storage, store, keyPrefix, namespaceDef);
    await clusters.start();
    await clusters.ensure(DEFAULT_CLUSTER);
    return {
      registry,
      store,
      clusters,
      namespaceDef,
      crdDef,
      namespaces: namespaceView.informer,
      lastContentDelete: (cluster, namespace) => namespaceView.lastContentDelete(cluster, namespace),
      quotaUsage,
      stop: () => {
        namespaceView.stop();
        quotaUsage.stop();
        clusters?.stop();
      },
    };
  } catch (err) {
    namespaceView.stop();
    quotaUsage.stop();
    clusters?.stop();
    throw err;
  }
}
