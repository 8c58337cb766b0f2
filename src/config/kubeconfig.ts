// Kubeconfig files: the admin one the server writes at start, and reading any kubeconfig into
// what a client needs to connect (the basis of our own REST client).
import { readFile, stat } from "node:fs/promises";
import { dirname, isAbsolute, resolve } from "node:path";
import { writeFileAtomic } from "../util/atomic-write.ts";
import { yamlModule } from "../util/lazy-modules.ts";

export interface AdminKubeconfigOptions {
  /** Base URL of the server, e.g. https://127.0.0.1:6443. A wildcard host is replaced by loopback. */
  server: string;
  caCertPem: string;
  token: string;
}

/** What a client needs from one context of a kubeconfig. */
export interface KubeconfigContext {
  contextName: string;
  clusterName: string;
  userName: string;
  server: string;
  /** The CA bundle as PEM, from certificate-authority-data or the certificate-authority file. */
  caData?: string;
  insecureSkipTlsVerify: boolean;
  tlsServerName?: string;
  token?: string;
  clientCertData?: string;
  clientKeyData?: string;
  username?: string;
  password?: string;
  namespace?: string;
  /** Set when the token comes from this file (no inline token): clients re-read it as it changes. */
  tokenFile?: string;
  exec?: ExecConfig;
}

/** A client.authentication.k8s.io exec credential plugin, as a kubeconfig user names it. */
export interface ExecConfig {
  apiVersion: string;
  /** Absolute when the kubeconfig gave a path; a bare name is looked up on PATH. */
  command: string;
  args?: string[];
  env?: { name: string; value: string }[];
  installHint?: string;
  /** Pass the cluster (server, CA) to the plugin in KUBERNETES_EXEC_INFO. */
  provideClusterInfo?: boolean;
}

export const ADMIN_CONTEXT = "admin";
export const USER_CONTEXT = "user";
export const USER_LOGICAL_CLUSTER = "user";

/** The URL clients should use for a listen address: a wildcard bind is reached over loopback. */
export function serverUrlForListen(host: string, port: number): string {
  const bare = host.replace(/^\[(.*)\]$/, "$1");
  let target = bare;
  if (bare === "" || bare === "0.0.0.0") target = "127.0.0.1";
  else if (bare === "::") target = "localhost";
  return `https://${target.includes(":") ? `[${target}]` : target}:${port}`;
}

/**
 * The admin kubeconfig as YAML text. Written by hand, not through the yaml library: the shape is
 * fixed and small, and `kcp start` then never loads a YAML library (~8 MiB and several ms).
 */
export function buildAdminKubeconfig(opts: AdminKubeconfigOptions): string {
  const base = loopbackForWildcard(opts.server).replace(/\/+$/, "");
  const caData = Buffer.from(opts.caCertPem).toString("base64");
  const cluster = (name: string, server: string) => [
    `  - name: ${scalar(name)}`,
    "    cluster:",
    `      server: ${scalar(server)}`,
    `      certificate-authority-data: ${scalar(caData)}`,
  ];
  const context = (name: string) => [
    `  - name: ${scalar(name)}`,
    "    context:",
    `      cluster: ${scalar(name)}`,
    "      user: admin",
  ];
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    ...cluster(ADMIN_CONTEXT, base),
    ...cluster(USER_CONTEXT, `${base}/clusters/${USER_LOGICAL_CLUSTER}`),
    "users:",
    "  - name: admin",
    "    user:",
    `      token: ${scalar(opts.token)}`,
    "contexts:",
    ...context(ADMIN_CONTEXT),
    ...context(USER_CONTEXT),
    `current-context: ${scalar(ADMIN_CONTEXT)}`,
    "preferences: {}",
    "",
  ].join("\n");
}

/** YAML 1.1 words that a plain scalar would turn into a boolean or null (Go's yaml.v2 reads 1.1). */
const YAML_KEYWORDS = /^(y|yes|n|no|true|false|on|off|null)$/i;

/**
 * A string as a YAML scalar: plain when it is unmistakably a string (starts with a letter, no
 * spaces, quotes, comment or flow indicators, no trailing colon, not a keyword), otherwise
 * double-quoted — a JSON string is a valid YAML double-quoted scalar.
 */
function scalar(value: string): string {
  if (/^[A-Za-z][A-Za-z0-9._/:+=@-]*$/.test(value) && !value.endsWith(":") && !YAML_KEYWORDS.test(value)) return value;
  return JSON.stringify(value);
}

/**
 * Written 0600: the file holds the admin token. Left alone when it already has this content, so a
 * restart does not rewrite it (nor touch its modification time).
 */
export async function writeAdminKubeconfig(path: string, opts: AdminKubeconfigOptions): Promise<void> {
  const text = buildAdminKubeconfig(opts);
  try {
    const [current, info] = await Promise.all([readFile(path, "utf8"), stat(path)]);
    if (current === text && (info.mode & 0o777) === 0o600) return;
  } catch {
    // Missing or unreadable: write it.
  }
  await writeFileAtomic(path, text, 0o600);
}

/** Reads a kubeconfig file and resolves one context (default: current-context). */
export async function readKubeconfig(path: string, contextName?: string): Promise<KubeconfigContext> {
  const text = await readFile(path, "utf8");
  return parseKubeconfig(text, { contextName, baseDir: dirname(resolve(path)) });
}

/** Resolves one context of kubeconfig text; relative file references are taken from baseDir, as kubectl does. */
export async function parseKubeconfig(
  text: string,
  opts: { contextName?: string; baseDir?: string } = {},
): Promise<KubeconfigContext> {
  return resolveKubeconfigContext(parseKubeconfigDocument(text, opts.baseDir ?? process.cwd()), opts.contextName);
}

/**
 * A kubeconfig's named clusters, users and contexts, each a raw mapping as written, with file
 * references already made absolute (kubectl resolves them against the file that names them
 * before merging, so a merged document mixes files from several directories correctly).
 */
export interface KubeconfigDocument {
  currentContext?: string;
  clusters: Map<string, Record<string, unknown>>;
  users: Map<string, Record<string, unknown>>;
  contexts: Map<string, Record<string, unknown>>;
}

/** Parses kubeconfig text; an empty file is an empty document (kubectl tolerates those in KUBECONFIG). */
export function parseKubeconfigDocument(text: string, baseDir: string): KubeconfigDocument {
  let parsed: unknown;
  try {
    parsed = yamlModule().parse(text);
  } catch (e) {
    throw new Error(`kubeconfig is not valid YAML: ${(e as Error).message.split("\n")[0]}`);
  }
  const doc = parsed === null || parsed === undefined ? {} : asRecord(parsed, "kubeconfig");
  const abs = (p: unknown) => (typeof p === "string" && p !== "" && !isAbsolute(p) ? resolve(baseDir, p) : p);
  const clusters = namedMap(doc.clusters, "cluster", (c) => ({
    ...c,
    ...(c["certificate-authority"] !== undefined ? { "certificate-authority": abs(c["certificate-authority"]) } : {}),
  }));
  const users = namedMap(doc.users, "user", (u) => {
    const out: Record<string, unknown> = { ...u };
    for (const k of ["client-certificate", "client-key", "tokenFile"]) if (u[k] !== undefined) out[k] = abs(u[k]);
    // An exec command with a path separator is a file path (kubectl resolves it); a bare name is looked up on PATH.
    if (u.exec && typeof u.exec === "object" && !Array.isArray(u.exec)) {
      const exec = u.exec as Record<string, unknown>;
      const cmd = exec.command;
      out.exec = { ...exec, command: typeof cmd === "string" && cmd.includes("/") ? abs(cmd) : cmd };
    }
    return out;
  });
  const contexts = namedMap(doc.contexts, "context", (c) => c);
  return { currentContext: optionalString(doc["current-context"]), clusters, users, contexts };
}

/**
 * kubectl's merge of several kubeconfig files (KUBECONFIG=a:b:c): the first file to name a
 * cluster, user or context wins it, and current-context comes from the first file that sets one.
 */
export function mergeKubeconfigDocuments(docs: KubeconfigDocument[]): KubeconfigDocument {
  const merged: KubeconfigDocument = { clusters: new Map(), users: new Map(), contexts: new Map() };
  for (const doc of docs) {
    merged.currentContext ??= doc.currentContext;
    for (const field of ["clusters", "users", "contexts"] as const) {
      for (const [name, entry] of doc[field]) if (!merged[field].has(name)) merged[field].set(name, entry);
    }
  }
  return merged;
}

/**
 * What a kubeconfig may make its reader do besides sending what it holds. A kubeconfig someone
 * else wrote (a Cluster's spec.kubeconfig, given by a tenant) must not run commands on this host
 * (exec plugins) nor make it read and send this host's files (certificate, key and token paths).
 */
export interface KubeconfigTrust {
  /** Run exec credential plugins (default true). */
  allowExec?: boolean;
  /** Read files the kubeconfig names (default true). */
  allowFiles?: boolean;
}

/** One context of a (merged) document, with the files it names read. */
export async function resolveKubeconfigContext(
  doc: KubeconfigDocument,
  contextName?: string,
  trust: KubeconfigTrust = {},
): Promise<KubeconfigContext> {
  const name = contextName || doc.currentContext;
  if (!name) throw new Error("kubeconfig has no current-context and no context was given");
  const context = lookup(doc.contexts, "context", name);
  const clusterName = requiredString(context.cluster, `context "${name}" cluster`);
  const userName = optionalString(context.user) ?? "";
  const cluster = lookup(doc.clusters, "cluster", clusterName);
  const user = userName ? lookup(doc.users, "user", userName) : {};
  const fromFile = async (p: string, what: string) => {
    if (trust.allowFiles === false) {
      const inline = what === "tokenFile" ? "token" : `${what}-data`;
      throw new Error(`kubeconfig: ${what} refers to a file (${p}); only inline data (${inline}) is allowed here`);
    }
    try {
      return await readFile(p, "utf8");
    } catch (e) {
      throw new Error(
        `kubeconfig: cannot read ${what} ${p}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
  };
  const dataOrFile = async (data: unknown, file: unknown, what: string): Promise<string | undefined> => {
    if (typeof data === "string" && data !== "") return decodeBase64(data, `${what}-data`);
    if (typeof file === "string" && file !== "") return fromFile(file, what);
    return undefined;
  };
  const inlineToken = optionalString(user.token);
  const tokenFile = inlineToken ? undefined : optionalString(user.tokenFile);
  const tokenFromFile = tokenFile ? (await fromFile(tokenFile, "tokenFile")).trim() : undefined;
  return {
    contextName: name,
    clusterName,
    userName,
    server: requiredString(cluster.server, `cluster "${clusterName}" server`),
    caData: await dataOrFile(
      cluster["certificate-authority-data"],
      cluster["certificate-authority"],
      "certificate-authority",
    ),
    insecureSkipTlsVerify: cluster["insecure-skip-tls-verify"] === true,
    tlsServerName: optionalString(cluster["tls-server-name"]),
    token: inlineToken || tokenFromFile,
    tokenFile,
    clientCertData: await dataOrFile(user["client-certificate-data"], user["client-certificate"], "client-certificate"),
    clientKeyData: await dataOrFile(user["client-key-data"], user["client-key"], "client-key"),
    username: optionalString(user.username),
    password: optionalString(user.password),
    exec: user.exec === undefined || user.exec === null ? undefined : execConfig(user.exec, userName, trust),
    namespace: optionalString(context.namespace),
  };
}

/** The exec credential plugin of a user, checked (kubectl refuses the same shapes). */
function execConfig(value: unknown, userName: string, trust: KubeconfigTrust): ExecConfig {
  if (trust.allowExec === false) {
    throw new Error(`kubeconfig: user "${userName}" uses an exec credential plugin, which is not allowed here`);
  }
  const exec = asRecord(value, `user "${userName}" exec`);
  const apiVersion = requiredString(exec.apiVersion, `user "${userName}" exec apiVersion`);
  if (!EXEC_API_VERSIONS.includes(apiVersion)) {
    throw new Error(
      `kubeconfig: user "${userName}" exec apiVersion ${apiVersion} is not supported (use ${EXEC_API_VERSIONS[0]})`,
    );
  }
  const command = requiredString(exec.command, `user "${userName}" exec command`);
  const args = exec.args === undefined || exec.args === null ? [] : exec.args;
  if (!Array.isArray(args) || args.some((a) => typeof a !== "string")) {
    throw new Error(`kubeconfig: user "${userName}" exec args must be a list of strings`);
  }
  const envList = exec.env === undefined || exec.env === null ? [] : exec.env;
  if (!Array.isArray(envList)) throw new Error(`kubeconfig: user "${userName}" exec env must be a list`);
  const env = envList.map((e, i) => {
    const entry = asRecord(e, `user "${userName}" exec env[${i}]`);
    return {
      name: requiredString(entry.name, `user "${userName}" exec env[${i}] name`),
      value: String(entry.value ?? ""),
    };
  });
  return {
    apiVersion,
    command,
    args: args as string[],
    env,
    installHint: optionalString(exec.installHint),
    provideClusterInfo: exec.provideClusterInfo === true,
  };
}

/** The exec credential API versions understood (v1beta1 has the same shape for what we read). */
export const EXEC_API_VERSIONS = ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"];

function decodeBase64(data: string, what: string): string {
  if (!/^[A-Za-z0-9+/=\s]*$/.test(data)) throw new Error(`kubeconfig: ${what} is not base64`);
  return Buffer.from(data, "base64").toString("utf8");
}

function loopbackForWildcard(server: string): string {
  const url = new URL(server);
  if (url.hostname === "0.0.0.0") url.hostname = "127.0.0.1";
  else if (url.hostname === "[::]") url.hostname = "localhost";
  // URL.toString() adds a "/" path to a bare origin; keep the caller's form otherwise.
  return url.pathname === "/" && !server.endsWith("/") ? url.origin : url.toString();
}

/** A kubeconfig list of `{name, <field>: {...}}` as a Map by name (names are data: never object keys). */
function namedMap(
  list: unknown,
  field: string,
  adjust: (entry: Record<string, unknown>) => Record<string, unknown>,
): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  if (list === undefined || list === null) return out;
  if (!Array.isArray(list)) throw new Error(`kubeconfig: ${field}s is not a list`);
  for (const entry of list) {
    if (!entry || typeof entry !== "object") continue;
    const name = (entry as Record<string, unknown>).name;
    if (typeof name !== "string" || out.has(name)) continue;
    out.set(name, adjust(asRecord((entry as Record<string, unknown>)[field] ?? {}, `${field} "${name}"`)));
  }
  return out;
}

function lookup(map: Map<string, Record<string, unknown>>, field: string, name: string): Record<string, unknown> {
  const entry = map.get(name);
  if (!entry) throw new Error(`kubeconfig has no ${field} named "${name}"`);
  return entry;
}

function asRecord(value: unknown, what: string): Record<string, unknown> {
  if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  throw new Error(`${what} is not a mapping`);
}

function optionalString(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function requiredString(value: unknown, what: string): string {
  const s = optionalString(value);
  if (s === undefined) throw new Error(`kubeconfig: ${what} is missing`);
  return s;
}
