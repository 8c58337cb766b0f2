// The kcp credential of a pull-mode syncer: a ServiceAccount `kcp-syncer-<cluster>` in namespace
// kcp-system of the Cluster's logical cluster, a token minted for it through the TokenRequest
// subresource, and a kubeconfig with that token for the logical cluster's URL. The syncer never
// gets the admin token (the seed handed it out in a ConfigMap). Removing the ServiceAccount
// revokes the token: kcp's token authenticator checks that the account still exists.

import { yamlModule } from "../../util/lazy-modules.ts";
import { applyManifest, deleteManifest, isNotFound, type KubeRequester } from "./kube-requests.ts";

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

/** Ensures the service account and returns a fresh token for it. `upstream` is scoped to the logical cluster. */
export async function mintSyncerToken(upstream: KubeRequester, clusterName: string): Promise<SyncerCredential> {
  await applyManifest(upstream, namespace());
  await applyManifest(upstream, serviceAccount(clusterName));
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

/** Removes the service account (and with it the validity of every token minted for it). */
export async function removeSyncerServiceAccount(upstream: KubeRequester, clusterName: string): Promise<void> {
  await deleteManifest(upstream, serviceAccount(clusterName));
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
