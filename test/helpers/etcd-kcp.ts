// Helpers for end-to-end tests of kcp on etcd: the flags that point `kcp start` at a test etcd,
// JSON calls through kcp's API, polling with a deadline, and the warnings and errors a server logged.

import type { EtcdCluster } from "./etcd-process.ts";
import { api, type KcpProcess } from "./kcp-process.ts";

/** `--etcd-servers` (and the TLS flags when the cluster uses TLS) for a test etcd, plus `extra`. */
export function etcdArgs(etcd: EtcdCluster, extra: string[] = []): string[] {
  const tls = etcd.tls
    ? ["--etcd-cafile", etcd.tls.caFile, "--etcd-certfile", etcd.tls.certFile, "--etcd-keyfile", etcd.tls.keyFile]
    : [];
  return ["--etcd-servers", etcd.endpoints.join(","), ...tls, ...extra];
}

export interface JsonReply {
  status: number;
  body: any;
}

/** A JSON request through kcp's API with the admin token; `timeoutMs` bounds it (a hang fails). */
export async function call(
  kcp: KcpProcess,
  method: string,
  path: string,
  body?: unknown,
  timeoutMs = 30_000,
): Promise<JsonReply> {
  const res = await api(kcp, path, {
    method,
    signal: AbortSignal.timeout(timeoutMs),
    ...(body !== undefined ? { body: JSON.stringify(body), headers: { "Content-Type": "application/json" } } : {}),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Health endpoints answer plain text.
  }
  return { status: res.status, body: parsed };
}

/** Poll `fn` until it returns something other than undefined; fail after `ms` naming `what`. */
export async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await Bun.sleep(50);
  }
}

/** Lines of a server's output at WARN or ERROR level. */
export function problems(kcp: KcpProcess): string[] {
  return kcp
    .output()
    .split("\n")
    .filter((l) => /\b(WARN|ERROR)\b/.test(l));
}

/** A ConfigMap body. */
export function configMap(name: string, data: Record<string, string> = {}): Record<string, unknown> {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data };
}
