// Where pull mode has installed a Cluster's syncer, kept in kcp until it is removed again: a Secret
// `kcp-syncer-<name>-installs` in namespace kcp-system of the Cluster's logical cluster, one data
// key per physical cluster (its target id: server URL and CA) holding the kubeconfig to reach it.
//
// The controller's memory is not enough: when a Cluster's kubeconfig moves to another cluster while
// the old one does not answer, when its mode leaves pull while kcp is down, or after a restart, the
// old install would otherwise be forgotten and its syncer would keep running with a valid token.
// The record is written before anything is installed and an entry is dropped only once its
// cluster confirmed the removal. A Secret, because the kubeconfigs in it carry credentials.

import { isObject } from "../../machinery/object.ts";
import { applyManifest, deleteManifest, isNotFound, type KubeRequester, type Manifest } from "./kube-requests.ts";
import { SYNCER_NAMESPACE_IN_KCP } from "./syncer-credentials.ts";

export function installRecordName(clusterName: string): string {
  return `kcp-syncer-${clusterName}-installs`;
}

function recordManifest(clusterName: string, data: Record<string, string>): Manifest {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: installRecordName(clusterName), namespace: SYNCER_NAMESPACE_IN_KCP },
    type: "Opaque",
    data,
  };
}

/** The recorded installs: target id → the kubeconfig (text) that reaches that cluster. */
export async function readInstallRecord(upstream: KubeRequester, clusterName: string): Promise<Map<string, string>> {
  const targets = new Map<string, string>();
  let secret: Manifest;
  try {
    secret = await upstream.request<Manifest>({
      method: "GET",
      path: `/api/v1/namespaces/${SYNCER_NAMESPACE_IN_KCP}/secrets/${installRecordName(clusterName)}`,
    });
  } catch (e) {
    if (isNotFound(e)) return targets;
    throw e;
  }
  const data = isObject(secret.data) ? secret.data : {};
  for (const [target, value] of Object.entries(data))
    if (typeof value === "string") targets.set(target, Buffer.from(value, "base64").toString("utf8"));
  return targets;
}

/** Writes the record (deletes it when empty). */
export async function writeInstallRecord(
  upstream: KubeRequester,
  clusterName: string,
  targets: ReadonlyMap<string, string>,
): Promise<void> {
  if (targets.size === 0) {
    await deleteManifest(upstream, recordManifest(clusterName, {}));
    return;
  }
  const data: Record<string, string> = Object.create(null);
  for (const [target, kubeconfig] of targets) data[target] = Buffer.from(kubeconfig).toString("base64");
  await applyManifest(upstream, {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: SYNCER_NAMESPACE_IN_KCP },
  });
  await applyManifest(upstream, recordManifest(clusterName, data));
}
