// The requests the cluster controller and `kcp cluster` make of a Kubernetes API (kcp's or a
// physical cluster's), on any client with the client library's request() (src/client/rest-client.ts
// RestClient): create-or-update of a manifest, delete ignoring NotFound, and the REST paths.

import type { RequestOptions } from "../../client/rest-client.ts";
import { isObject } from "../../machinery/object.ts";
import { isStatusError } from "../../machinery/status.ts";

/** What is needed of a client: one JSON request; non-2xx throws a StatusError. */
export interface KubeRequester {
  request<T = unknown>(opts: RequestOptions): Promise<T>;
}

export type Manifest = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: Record<string, unknown> & { name?: unknown; namespace?: unknown };
};

/** The kinds written here, and their resource names. */
const PLURALS: Record<string, string> = {
  Namespace: "namespaces",
  ServiceAccount: "serviceaccounts",
  Secret: "secrets",
  ClusterRole: "clusterroles",
  ClusterRoleBinding: "clusterrolebindings",
  Role: "roles",
  RoleBinding: "rolebindings",
  Deployment: "deployments",
  Lease: "leases",
};

export function collectionPath(apiVersion: string, plural: string, namespace?: string): string {
  const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return namespace ? `${base}/namespaces/${namespace}/${plural}` : `${base}/${plural}`;
}

export function objectPath(m: Manifest): string {
  const plural = PLURALS[m.kind];
  if (!plural) throw new Error(`no resource known for kind ${m.kind}`);
  const ns = typeof m.metadata.namespace === "string" ? m.metadata.namespace : undefined;
  return `${collectionPath(m.apiVersion, plural, ns)}/${String(m.metadata.name)}`;
}

export function isNotFound(e: unknown): boolean {
  return isStatusError(e) && e.code === 404;
}

export function isAlreadyExists(e: unknown): boolean {
  return isStatusError(e) && e.code === 409 && e.reason === "AlreadyExists";
}

/**
 * Create the object, or replace what is there with it (keeping the server's metadata and others'
 * labels and annotations), so a second apply converges on the same content. Namespaces are only
 * created.
 */
export async function applyManifest(client: KubeRequester, m: Manifest): Promise<void> {
  const path = objectPath(m);
  const collection = path.slice(0, path.lastIndexOf("/"));
  try {
    await client.request({ method: "POST", path: collection, body: m });
    return;
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
  }
  if (m.kind === "Namespace") return;
  for (let attempt = 0; ; attempt++) {
    const current = await client.request<Manifest>({ method: "GET", path });
    const meta = current.metadata;
    // Ours are merged into what is there: others' labels and annotations (the Deployment
    // controller's revision, kubectl's) stay.
    const merged = (theirs: unknown, ours: unknown) =>
      theirs || ours ? { ...(isObject(theirs) ? theirs : {}), ...(isObject(ours) ? ours : {}) } : undefined;
    const next = {
      ...m,
      metadata: {
        ...meta,
        labels: merged(meta.labels, m.metadata.labels),
        annotations: merged(meta.annotations, m.metadata.annotations),
      },
    };
    try {
      await client.request({ method: "PUT", path, body: next });
      return;
    } catch (e) {
      if (!(isStatusError(e) && e.code === 409) || attempt >= 3) throw e;
    }
  }
}

/** Delete; gone already is fine. */
export async function deleteManifest(client: KubeRequester, m: Manifest): Promise<void> {
  try {
    await client.request({ method: "DELETE", path: objectPath(m) });
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}
