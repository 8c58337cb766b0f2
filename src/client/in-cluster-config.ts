// The configuration of a process running in a pod (client-go's InClusterConfig): the API server
// from KUBERNETES_SERVICE_HOST / KUBERNETES_SERVICE_PORT, the pod's service account token (a
// projected token the kubelet rotates: read as a tokenFile, re-read when it changes), its CA and
// its namespace, from the service account directory the kubelet mounts.

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { ClientConfig } from "./client-config.ts";

export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** True when the environment says this process runs in a pod. */
export function isInCluster(env: Record<string, string | undefined> = process.env): boolean {
  return Boolean(env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT);
}

export async function inClusterClientConfig(
  opts: { env?: Record<string, string | undefined>; serviceAccountDir?: string } = {},
): Promise<ClientConfig> {
  const env = opts.env ?? process.env;
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) {
    throw new Error("not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set");
  }
  const dir = opts.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  const read = async (file: string, required: boolean) => {
    try {
      return await readFile(join(dir, file), "utf8");
    } catch (e) {
      if (!required) return undefined;
      throw new Error(`in-cluster configuration: cannot read ${join(dir, file)}: ${(e as NodeJS.ErrnoException).code}`);
    }
  };
  // Read now so that a missing mount fails here, with a clear message, not on the first request.
  await read("token", true);
  const caData = await read("ca.crt", false);
  const namespace = (await read("namespace", false))?.trim();
  return {
    server: `https://${host.includes(":") ? `[${host}]` : host}:${port}`,
    tokenFile: join(dir, "token"),
    ...(caData ? { caData } : {}),
    namespace: namespace || "default",
    contextName: "in-cluster",
  };
}
