// Bearer tokens issued through serviceaccounts/<name>/token: a valid signature, an API audience,
// and a service account that still exists with the uid the token names (and, for a token bound
// to a secret, that secret too). Deleting the service account (or recreating it) revokes its
// tokens at once: every use reads it back from storage.
//
// A service account belongs to one logical cluster, and so do its tokens: the authentication filter
// refuses (401) a token on another logical cluster's path, or on the `/clusters/*` wildcard
// (serviceAccountTokenAllowedIn). Otherwise a pull-mode syncer's token, minted in one tenant's
// logical cluster, would work in every other tenant's.

import type { Storage } from "../storage/interface.ts";
import { objectKey } from "../storage/keys.ts";
import type { ServiceAccountJWT } from "./service-account-jwt.ts";
import type { Authenticator, UserInfo } from "./types.ts";

/** The extra key naming the logical cluster of a service account user. */
export const CLUSTER_NAME_EXTRA = "authentication.kcp.io/cluster-name";
/** kube's credential id extra: "JTI=<token id>". */
export const CREDENTIAL_ID_EXTRA = "authentication.kubernetes.io/credential-id";

/** The identity of a stored core/v1 object, or null when it does not exist. */
export type ObjectLookup = (
  cluster: string,
  resource: "serviceaccounts" | "secrets",
  namespace: string,
  name: string,
) => Promise<{ uid: string; deleting: boolean } | null>;

/** Look objects up directly in storage (their stored JSON). */
export function storageLookup(storage: Storage, prefix: string): ObjectLookup {
  return async (cluster, resource, namespace, name) => {
    const kv = await storage.get(objectKey(prefix, { group: "", resource, cluster, namespace, name }));
    if (!kv) return null;
    const meta = (JSON.parse(kv.value) as { metadata?: { uid?: unknown; deletionTimestamp?: unknown } }).metadata ?? {};
    return { uid: typeof meta.uid === "string" ? meta.uid : "", deleting: meta.deletionTimestamp != null };
  };
}

/** The user of a service account, as kube's serviceaccount.UserInfo names it. */
export function serviceAccountUser(
  cluster: string,
  namespace: string,
  name: string,
  uid: string,
  tokenId: string,
): UserInfo {
  const extra: Record<string, string[]> = { [CLUSTER_NAME_EXTRA]: [cluster] };
  if (tokenId) extra[CREDENTIAL_ID_EXTRA] = [`JTI=${tokenId}`];
  return {
    username: `system:serviceaccount:${namespace}:${name}`,
    uid,
    groups: ["system:serviceaccounts", `system:serviceaccounts:${namespace}`, "system:authenticated"],
    extra,
  };
}

export class ServiceAccountTokenAuthenticator implements Authenticator {
  constructor(
    private readonly jwt: ServiceAccountJWT,
    private readonly lookup: ObjectLookup,
  ) {}

  async authenticateToken(token: string): Promise<UserInfo | null> {
    const claims = this.jwt.verify(token);
    if (!claims) return null;
    if (!claims.audiences.some((a) => this.jwt.apiAudiences.includes(a))) return null;
    const sa = await this.lookup(claims.cluster, "serviceaccounts", claims.namespace, claims.name);
    if (!sa || sa.uid !== claims.uid || sa.deleting) return null;
    if (claims.secret) {
      const secret = await this.lookup(claims.cluster, "secrets", claims.namespace, claims.secret.name);
      if (!secret || secret.uid !== claims.secret.uid || secret.deleting) return null;
    }
    return serviceAccountUser(claims.cluster, claims.namespace, claims.name, claims.uid, claims.id);
  }
}

/**
 * Whether `user` may act in logical cluster `cluster` (a `/clusters/*` request when `wildcard`):
 * a service account user only in its own logical cluster, never across all; other users (static
 * tokens, anonymous) everywhere, as before.
 */
export function serviceAccountTokenAllowedIn(user: UserInfo, cluster: string, wildcard: boolean): boolean {
  const extra = user.extra ?? {};
  if (!Object.hasOwn(extra, CLUSTER_NAME_EXTRA)) return true;
  const own = extra[CLUSTER_NAME_EXTRA] ?? [];
  return !wildcard && own.length === 1 && own[0] === cluster;
}
