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
  const doc = asRecord(yamlModule().parse(text), "kubeconfig");
  const contextName = opts.contextName ?? optionalString(doc["current-context"]);
  if (!contextName) throw new Error("kubeconfig has no current-context and no context was given");
  const context = findNamed(doc.contexts, "context", contextName);
  const clusterName = requiredString(context.cluster, `context "${contextName}" cluster`);
  const userName = optionalString(context.user) ?? "";
  const cluster = findNamed(doc.clusters, "cluster", clusterName);
  const user = userName ? findNamed(doc.users, "user", userName) : {};
  const baseDir = opts.baseDir ?? process.cwd();
  const fromFile = (p: unknown) => readFile(isAbsolute(String(p)) ? String(p) : resolve(baseDir, String(p)), "utf8");
  const dataOrFile = async (data: unknown, file: unknown): Promise<string | undefined> => {
    if (typeof data === "string" && data !== "") return Buffer.from(data, "base64").toString("utf8");
    if (typeof file === "string" && file !== "") return fromFile(file);
    return undefined;
  };

  const tokenFromFile = typeof user.tokenFile === "string" ? (await fromFile(user.tokenFile)).trim() : undefined;
  return {
    contextName,
    clusterName,
    userName,
    server: requiredString(cluster.server, `cluster "${clusterName}" server`),
    caData: await dataOrFile(cluster["certificate-authority-data"], cluster["certificate-authority"]),
    insecureSkipTlsVerify: cluster["insecure-skip-tls-verify"] === true,
    tlsServerName: optionalString(cluster["tls-server-name"]),
    token: optionalString(user.token) || tokenFromFile,
    clientCertData: await dataOrFile(user["client-certificate-data"], user["client-certificate"]),
    clientKeyData: await dataOrFile(user["client-key-data"], user["client-key"]),
    username: optionalString(user.username),
    password: optionalString(user.password),
    namespace: optionalString(context.namespace),
  };
}

function loopbackForWildcard(server: string): string {
  const url = new URL(server);
  if (url.hostname === "0.0.0.0") url.hostname = "127.0.0.1";
  else if (url.hostname === "[::]") url.hostname = "localhost";
  // URL.toString() adds a "/" path to a bare origin; keep the caller's form otherwise.
  return url.pathname === "/" && !server.endsWith("/") ? url.origin : url.toString();
}

/** Finds `{name, <field>: {...}}` in a kubeconfig list. */
function findNamed(list: unknown, field: string, name: string): Record<string, unknown> {
  const entries = Array.isArray(list) ? list : [];
  for (const entry of entries) {
    if (entry && typeof entry === "object" && (entry as Record<string, unknown>).name === name) {
      return asRecord((entry as Record<string, unknown>)[field] ?? {}, `${field} "${name}"`);
    }
  }
  throw new Error(`kubeconfig has no ${field} named "${name}"`);
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
