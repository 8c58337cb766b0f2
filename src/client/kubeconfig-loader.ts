// kubectl's loading rules: which kubeconfig files, how several merge, and one context of them as a
// ClientConfig. The parsing itself is config/kubeconfig.ts (the server writes and reads the same
// format); this adds the file search and the mapping to what the REST client takes.

import { readFile, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import {
  type KubeconfigContext,
  type KubeconfigDocument,
  type KubeconfigTrust,
  mergeKubeconfigDocuments,
  parseKubeconfigDocument,
  resolveKubeconfigContext,
} from "../config/kubeconfig.ts";
import type { ClientConfig } from "./client-config.ts";
import { inClusterClientConfig, isInCluster } from "./in-cluster-config.ts";

export interface LoadOptions {
  /** One file (kubectl's --kubeconfig): only it is read, and it must exist. */
  kubeconfig?: string;
  /** kubectl's --context; default: the merged current-context. */
  context?: string;
  /** The environment to read KUBECONFIG and HOME from (default process.env). */
  env?: Record<string, string | undefined>;
}

/**
 * The client configuration kubectl would use: `opts.kubeconfig`, else every file of KUBECONFIG
 * (':'-separated; missing ones skipped, as kubectl does; merged: the first file to name a cluster,
 * user or context wins it, current-context from the first file that sets one), else ~/.kube/config,
 * else, in a pod, its service account (in-cluster-config.ts).
 */
export async function loadClientConfig(opts: LoadOptions = {}): Promise<ClientConfig> {
  const env = opts.env ?? process.env;
  const docs: KubeconfigDocument[] = [];
  if (opts.kubeconfig) {
    docs.push(await readDocument(opts.kubeconfig, true));
  } else if (env.KUBECONFIG) {
    const seen = new Set<string>();
    for (const file of env.KUBECONFIG.split(delimiter)) {
      if (!file || seen.has(resolve(file))) continue;
      seen.add(resolve(file));
      const doc = await readDocument(file, false);
      if (doc) docs.push(doc);
    }
    if (docs.length === 0) throw new Error(`none of the KUBECONFIG files exist: ${env.KUBECONFIG}`);
  } else {
    const home = env.HOME || homedir();
    const path = join(home, ".kube", "config");
    // No kubeconfig at all inside a pod: the pod's own service account (as client-go's deferred loader).
    if (isInCluster(env) && !opts.context && !(await exists(path))) return inClusterClientConfig({ env });
    docs.push(await readDocument(path, true));
  }
  return toClientConfig(await resolveKubeconfigContext(mergeKubeconfigDocuments(docs), opts.context));
}

/**
 * A whole kubeconfig given as text (a Cluster's spec.kubeconfig); throws an Error for people when
 * invalid. Such text comes from someone else: by default it may neither run an exec plugin nor
 * name files on this host (certificate-authority, client-certificate, client-key, tokenFile) —
 * only inline data; `allowExec` / `allowFiles` lift that for text the caller trusts.
 */
export async function clientConfigFromKubeconfigText(
  text: string,
  opts: { context?: string; baseDir?: string } & KubeconfigTrust = {},
): Promise<ClientConfig> {
  const doc = parseKubeconfigDocument(text, opts.baseDir ?? process.cwd());
  const trust = { allowExec: opts.allowExec ?? false, allowFiles: opts.allowFiles ?? false };
  return toClientConfig(await resolveKubeconfigContext(doc, opts.context, trust));
}

async function readDocument(path: string, required: true): Promise<KubeconfigDocument>;
async function readDocument(path: string, required: false): Promise<KubeconfigDocument | undefined>;
async function readDocument(path: string, required: boolean): Promise<KubeconfigDocument | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (!required && code === "ENOENT") return undefined;
    throw new Error(`cannot read kubeconfig ${path}: ${code ?? (e as Error).message}`);
  }
  try {
    return parseKubeconfigDocument(text, dirname(resolve(path)));
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
}

export function toClientConfig(ctx: KubeconfigContext): ClientConfig {
  const config: ClientConfig = {
    server: ctx.server,
    contextName: ctx.contextName,
    namespace: ctx.namespace || "default",
  };
  let url: URL;
  try {
    url = new URL(ctx.server);
    if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error("not http(s)");
  } catch {
    throw new Error(
      `kubeconfig: cluster "${ctx.clusterName}" server ${JSON.stringify(ctx.server)} is not an http(s) URL`,
    );
  }
  // The client appends API paths to the server URL: a `?` or `#` would turn them into a query or a
  // fragment (a kubeconfig from someone else would choose the exact URL fetched), and credentials
  // belong in the user entry, not the URL.
  const extra = ctx.server.includes("?")
    ? "a query"
    : ctx.server.includes("#")
      ? "a fragment"
      : url.username || url.password
        ? "credentials"
        : undefined;
  if (extra) {
    throw new Error(
      `kubeconfig: cluster "${ctx.clusterName}" server ${JSON.stringify(ctx.server)} has ${extra}; ` +
        "only scheme, host, port and a path prefix are allowed",
    );
  }
  if (ctx.caData) config.caData = ctx.caData;
  if (ctx.insecureSkipTlsVerify) config.insecureSkipTlsVerify = true;
  if (ctx.tlsServerName) config.tlsServerName = ctx.tlsServerName;
  // An inline token wins; a token file is re-read by the client as it changes.
  if (ctx.tokenFile) config.tokenFile = ctx.tokenFile;
  else if (ctx.token) config.token = ctx.token;
  if (ctx.clientCertData) config.clientCertData = ctx.clientCertData;
  if (ctx.clientKeyData) config.clientKeyData = ctx.clientKeyData;
  if (Boolean(ctx.clientCertData) !== Boolean(ctx.clientKeyData)) {
    throw new Error(`kubeconfig: user "${ctx.userName}" has a client certificate without a key (or a key without one)`);
  }
  if (ctx.username) config.username = ctx.username;
  if (ctx.password) config.password = ctx.password;
  if (ctx.exec) config.exec = ctx.exec;
  return config;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
