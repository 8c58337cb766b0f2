// Which admin kubeconfig a server writes. Alone (SQLite, or the only server on an etcd), it is
// `<root-dir>/data/admin.kubeconfig`, as always. Replicas on one etcd often share a root directory
// (the README's advice for sharing credentials); each used to overwrite that file with its own
// address, so the last one started won and kubectl lost the others. Now a replica leaves
// admin.kubeconfig alone while the server it names answers, and writes its own
// `admin-<host>-<port>.kubeconfig` beside it, removed again when it stops.

import { rm } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { readKubeconfig, writeAdminKubeconfig } from "../config/kubeconfig.ts";
import { log } from "../log.ts";

export const ADMIN_KUBECONFIG = "admin.kubeconfig";

export interface AdminKubeconfigPlan {
  /** The kubeconfig naming this server. */
  path: string;
  /** A replica's own file: removed on stop. */
  ownFile: boolean;
}

/**
 * Write the admin kubeconfig for the server at `server`. With `shared` storage (etcd: other
 * replicas may serve the same data from the same root directory), admin.kubeconfig is kept when it
 * names another server that answers with our CA; this server's kubeconfig is then a file of its own.
 */
export async function writeServerKubeconfig(
  dataDir: string,
  opts: { server: string; caCertPem: string; token: string; port: number; shared: boolean },
): Promise<AdminKubeconfigPlan> {
  const main = join(dataDir, ADMIN_KUBECONFIG);
  const content = { server: opts.server, caCertPem: opts.caCertPem, token: opts.token };
  if (opts.shared) {
    const other = await otherServerIn(main, opts.server);
    if (other && (await answers(other, opts.caCertPem))) {
      const own = join(dataDir, replicaKubeconfigName(opts.port));
      await writeAdminKubeconfig(own, content);
      log.info(`${ADMIN_KUBECONFIG} names the replica at ${other}, which answers: kept as it is`);
      return { path: own, ownFile: true };
    }
  }
  await writeAdminKubeconfig(main, content);
  return { path: main, ownFile: false };
}

/** Remove a replica's own kubeconfig (never admin.kubeconfig). */
export async function removeServerKubeconfig(plan: AdminKubeconfigPlan): Promise<void> {
  if (plan.ownFile) await rm(plan.path, { force: true });
}

/** `admin-<host>-<port>.kubeconfig`, the host name reduced to what is safe in a file name. */
export function replicaKubeconfigName(port: number, host = hostname()): string {
  const safe =
    host
      .toLowerCase()
      .replace(/[^a-z0-9.-]+/g, "_")
      .slice(0, 63) || "host";
  return `admin-${safe}-${port}.kubeconfig`;
}

/** The server admin.kubeconfig names when it is not `own`; undefined without one. */
async function otherServerIn(path: string, own: string): Promise<string | undefined> {
  try {
    const ctx = await readKubeconfig(path);
    return ctx.server && ctx.server !== own ? ctx.server : undefined;
  } catch {
    return undefined; // missing or unreadable: this server writes it
  }
}

/** Whether a kcp answers at `server` through TLS verified by our CA (any HTTP status will do). */
async function answers(server: string, caCertPem: string): Promise<boolean> {
  try {
    const res = await fetch(`${new URL(server).origin}/readyz`, {
      tls: { ca: caCertPem },
      signal: AbortSignal.timeout(2_000),
    });
    await res.body?.cancel();
    return true;
  } catch {
    return false;
  }
}
