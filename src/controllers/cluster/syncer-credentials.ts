// The kcp credential of a pull-mode syncer: a ServiceAccount `kcp-syncer-<cluster>` in namespace
// kcp-system of the Cluster's logical cluster, a token minted for it through the TokenRequest
// subresource, and a kubeconfig with that token for the logical cluster's URL. The syncer never
// gets the admin token (the seed handed it out in a ConfigMap). Removing the ServiceAccount
// revokes the token: kcp's token authenticator checks that the account still exists.
//
// With RBAC, the account is given only what the syncer does in its logical cluster (syncerPolicy):
// read the synced resources everywhere and write their status, report Events, read the
// kube-system namespace (its uid names the kcp), create kcp-system, keep its heartbeat Lease
// there, and follow CRDs (a synced type may arrive later). Nothing else: no secrets, no RBAC,
// no writes to the resources' spec.

import { yamlModule } from "../../util/lazy-modules.ts";
import { heartbeatLeaseName } from "../syncer/heartbeat.ts";
import { applyManifest, deleteManifest, isNotFound, type KubeRequester } from "./kube-requests.ts";
import { parseGroupResource } from "./pull-manifests.ts";

export const SYNCER_NAMESPACE_IN_KCP = "kcp-system";
/**
 * Pull-mode tokens live a year; a reinstall (new kubeconfig, resources, or a kcp restart) mints a
 * new one, and so does the controller's re-check at 80 % of the lifetime or when the service
 * account was deleted or recreated (its tokens are dead then).
 */
const TOKEN_SECONDS = 365 * 24 * 3600;

export function syncerServiceAccountName(clusterName: string): string {
  return `kcp-syncer-${clusterName}`;
}

const namespace = () => ({ apiVersion: "v1", kind: "Namespace", metadata: { name: SYNCER_NAMESPACE_IN_KCP } });
const serviceAccount = (clusterName: string) => ({
  apiVersion: "v1",
  kind: "ServiceAccount",
  metadata: { name: syncerServiceAccountName(clusterName), namespace: SYNCER_NAMESPACE_IN_KCP },
});

const RBAC_V1 = "rbac.authorization.k8s.io/v1";

/**
 * The RBAC objects of a syncer's service account, in the order to create them: a ClusterRole and
 * ClusterRoleBinding for what spans namespaces, a Role and RoleBinding in kcp-system for its Lease.
 * All named after the service account.
 */
export function syncerPolicy(clusterName: string, resources: readonly string[]) {
  const name = syncerServiceAccountName(clusterName);
  const subjects = [{ kind: "ServiceAccount", name, namespace: SYNCER_NAMESPACE_IN_KCP }];
  const byGroup = new Map<string, string[]>();
  for (const gr of resources) {
    const { group, resource } = parseGroupResource(gr);
    byGroup.set(group, [...(byGroup.get(group) ?? []), resource]);
  }
  const synced = [...byGroup].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const clusterRules = [
    { apiGroups: [""], resources: ["namespaces"], verbs: ["get"], resourceNames: ["kube-system"] },
    { apiGroups: [""], resources: ["namespaces"], verbs: ["create"] },
    { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
    { apiGroups: ["apiextensions.k8s.io"], resources: ["customresourcedefinitions"], verbs: ["get", "list", "watch"] },
    ...synced.map(([group, rs]) => ({
      apiGroups: [group],
      resources: [...rs].sort(),
      verbs: ["get", "list", "watch"],
    })),
    ...synced.map(([group, rs]) => ({
      apiGroups: [group],
      resources: rs.map((r) => `${r}/status`).sort(),
      verbs: ["get", "patch", "update"],
    })),
  ];
  const roleRef = (kind: string) => ({ apiGroup: "rbac.authorization.k8s.io", kind, name });
  const inKcpSystem = { name, namespace: SYNCER_NAMESPACE_IN_KCP };
  return [
    { apiVersion: RBAC_V1, kind: "ClusterRole", metadata: { name }, rules: clusterRules },
    { apiVersion: RBAC_V1, kind: "ClusterRoleBinding", metadata: { name }, roleRef: roleRef("ClusterRole"), subjects },
    {
      apiVersion: RBAC_V1,
      kind: "Role",
      metadata: inKcpSystem,
      rules: [
        { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"] },
        {
          apiGroups: ["coordination.k8s.io"],
          resources: ["leases"],
          verbs: ["get", "patch", "update"],
          resourceNames: [heartbeatLeaseName(clusterName)],
        },
      ],
    },
    { apiVersion: RBAC_V1, kind: "RoleBinding", metadata: inKcpSystem, roleRef: roleRef("Role"), subjects },
  ];
}

/** A syncer's token, and what tells when it stops working: its expiry and its service account's uid. */
export interface SyncerCredential {
  token: string;
  /** The uid of the service account it was minted for: recreating the account revokes the token. */
  serviceAccountUid: string;
  /** When it expires (ms since the epoch). */
  expiresAt: number;
}

/** The uid of the syncer's service account, or undefined when there is none. */
export async function syncerServiceAccountUid(
  upstream: KubeRequester,
  clusterName: string,
): Promise<string | undefined> {
  try {
    const sa = await upstream.request<{ metadata?: { uid?: string } }>({
      method: "GET",
      path: `/api/v1/namespaces/${SYNCER_NAMESPACE_IN_KCP}/serviceaccounts/${syncerServiceAccountName(clusterName)}`,
    });
    return sa.metadata?.uid;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/**
 * Ensures the service account with its RBAC (for `resources`, "deployments.apps" …) and returns a
 * fresh token for it. `upstream` is scoped to the logical cluster.
 */
export async function mintSyncerToken(
  upstream: KubeRequester,
  clusterName: string,
  resources: readonly string[],
): Promise<SyncerCredential> {
  await applyManifest(upstream, namespace());
  await applyManifest(upstream, serviceAccount(clusterName));
  for (const m of syncerPolicy(clusterName, resources)) await applyManifest(upstream, m);
  const sa = syncerServiceAccountName(clusterName);
  const uid = await syncerServiceAccountUid(upstream, clusterName);
  if (!uid)
    throw new Error(`the service account ${SYNCER_NAMESPACE_IN_KCP}/${sa} disappeared while a token was minted`);
  const requested = Date.now();
  const res = await upstream.request<{ status?: { token?: string; expirationTimestamp?: string } }>({
    method: "POST",
    path: `/api/v1/namespaces/${SYNCER_NAMESPACE_IN_KCP}/serviceaccounts/${sa}/token`,
    body: {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenRequest",
      spec: { expirationSeconds: TOKEN_SECONDS },
    },
  });
  const token = res.status?.token;
  if (!token) throw new Error(`the TokenRequest for ${SYNCER_NAMESPACE_IN_KCP}/${sa} returned no token`);
  const expires = Date.parse(res.status?.expirationTimestamp ?? "");
  return {
    token,
    serviceAccountUid: uid,
    expiresAt: Number.isFinite(expires) ? expires : requested + TOKEN_SECONDS * 1000,
  };
}

/** Removes the service account (and with it the validity of every token minted for it), then its RBAC. */
export async function removeSyncerServiceAccount(upstream: KubeRequester, clusterName: string): Promise<void> {
  await deleteManifest(upstream, serviceAccount(clusterName));
  for (const m of syncerPolicy(clusterName, []).reverse()) await deleteManifest(upstream, m);
}

export interface KcpEndpoint {
  /** kcp's base URL as the syncer reaches it, without /clusters/<name>. */
  url: string;
  /** PEM of the CA that signed kcp's serving certificate; absent: the system's roots. */
  caPem?: string;
}

/** A self-contained kubeconfig for the logical cluster, with the syncer's token. */
export function syncerKubeconfig(kcp: KcpEndpoint, logicalCluster: string, clusterName: string, token: string): string {
  const base = kcp.url.replace(/\/+$/, "").replace(/\/clusters\/[^/]+$/, "");
  const user = syncerServiceAccountName(clusterName);
  return yamlModule().stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: "kcp",
        cluster: {
          server: `${base}/clusters/${logicalCluster}`,
          ...(kcp.caPem ? { "certificate-authority-data": Buffer.from(kcp.caPem).toString("base64") } : {}),
        },
      },
    ],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: logicalCluster, context: { cluster: "kcp", user } }],
    "current-context": logicalCluster,
  });
}
