// What a client needs to reach one server: the resolved form of one kubeconfig context (or of the
// in-process loopback, which injects its own `fetch`). Everything the REST client reads is here;
// kubeconfig-loader.ts builds it from files, app/loopback-client.ts for controllers inside kcp.

import type { ExecConfig } from "../config/kubeconfig.ts";

export type { ExecConfig } from "../config/kubeconfig.ts";

export interface ClientConfig {
  /** https://host:port[/clusters/<name>] — a path prefix is kept. */
  server: string;
  /** PEM CA bundle that verifies the server. */
  caData?: string;
  insecureSkipTlsVerify?: boolean;
  /** The name to verify the server certificate against (and send as SNI), when not the URL's host. */
  tlsServerName?: string;
  token?: string;
  /** Re-read when it changes (as client-go does for projected tokens). */
  tokenFile?: string;
  clientCertData?: string;
  clientKeyData?: string;
  /** client.authentication.k8s.io/v1 exec credential plugin. */
  exec?: ExecConfig;
  username?: string;
  password?: string;
  /** The context's namespace (default "default"). */
  namespace?: string;
  contextName?: string;
  /** Injected transport for the in-process loopback client (no socket); absent: global fetch with TLS options. */
  fetch?: (req: Request) => Promise<Response>;
  userAgent?: string;
  /**
   * The largest answer a request accepts (default 512 MiB: big lists). A server that may be anyone's
   * (a tenant's physical cluster) gets less where the caller knows answers are small.
   */
  maxResponseBytes?: number;
  /** Per non-watch request; default 30 s. */
  timeoutMs?: number;
  /** Client-side rate limit (token bucket); defaults 50 / 100; 0 = unlimited. */
  qps?: number;
  burst?: number;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_QPS = 50;
export const DEFAULT_BURST = 100;

const CLUSTER_PATH = /\/clusters\/([^/]+)\/*$/;

/** The logical cluster a server URL addresses (`…/clusters/<name>`), or "" for none. */
export function clusterOfServer(server: string): string {
  const m = CLUSTER_PATH.exec(new URL(server).pathname);
  return m ? decodeURIComponent(m[1] as string) : "";
}

/** The server URL for logical cluster `name`: its /clusters/<x> suffix replaced, or one appended. */
export function serverForCluster(server: string, name: string): string {
  const url = new URL(server);
  const base = url.pathname.replace(CLUSTER_PATH, "").replace(/\/+$/, "");
  url.pathname = `${base}/clusters/${encodeURIComponent(name)}`;
  return url.toString().replace(/\/+$/, "");
}
