// client.authentication.k8s.io exec credential plugins: kubectl runs the kubeconfig's command
// (with its args and env, and the ExecCredential request in KUBERNETES_EXEC_INFO), reads an
// ExecCredential from its stdout, and reuses the credential until status.expirationTimestamp (or
// until the server answers 401, which makes the next request run the plugin again).

import { EXEC_API_VERSIONS, type ExecConfig } from "../config/kubeconfig.ts";

export interface ExecCluster {
  server: string;
  caData?: string;
  insecureSkipTlsVerify?: boolean;
  tlsServerName?: string;
}

export interface ExecResult {
  token?: string;
  clientCertificateData?: string;
  clientKeyData?: string;
  /** ms since the epoch; undefined: valid until the server refuses it. */
  expiresAt?: number;
}

/** A plugin that prints more than this is broken (a credential is a few KiB). */
const MAX_OUTPUT_BYTES = 1024 * 1024;
/** A plugin that never exits must not hang every request. */
const PLUGIN_TIMEOUT_MS = 60_000;

export class ExecCredentialProvider {
  private cached?: ExecResult;
  private pending?: Promise<ExecResult>;

  constructor(
    private readonly exec: ExecConfig,
    private readonly cluster: ExecCluster,
  ) {}

  /** The cached credential while it is valid, else a fresh one (concurrent callers share one run). */
  async get(): Promise<ExecResult> {
    const c = this.cached;
    if (c && (c.expiresAt === undefined || c.expiresAt > Date.now())) return c;
    this.pending ??= this.run().finally(() => {
      this.pending = undefined;
    });
    this.cached = await this.pending;
    return this.cached;
  }

  /** Forget the credential (the server refused it). */
  invalidate(): void {
    this.cached = undefined;
  }

  private async run(): Promise<ExecResult> {
    const { exec } = this;
    const spec: Record<string, unknown> = { interactive: false };
    if (exec.provideClusterInfo) {
      spec.cluster = {
        server: this.cluster.server,
        ...(this.cluster.caData
          ? { "certificate-authority-data": Buffer.from(this.cluster.caData).toString("base64") }
          : {}),
        ...(this.cluster.insecureSkipTlsVerify ? { "insecure-skip-tls-verify": true } : {}),
        ...(this.cluster.tlsServerName ? { "tls-server-name": this.cluster.tlsServerName } : {}),
      };
    }
    const env: Record<string, string | undefined> = { ...process.env };
    for (const e of exec.env ?? []) env[e.name] = e.value;
    env.KUBERNETES_EXEC_INFO = JSON.stringify({ apiVersion: exec.apiVersion, kind: "ExecCredential", spec });
    const what = `exec plugin ${exec.command}`;
    let proc: ReturnType<typeof Bun.spawn>;
    try {
      proc = Bun.spawn([exec.command, ...(exec.args ?? [])], { env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    } catch (e) {
      const hint = exec.installHint ? `\n${exec.installHint}` : "";
      throw new Error(`${what}: cannot run it: ${(e as Error).message}${hint}`);
    }
    const timer = setTimeout(() => proc.kill("SIGKILL"), PLUGIN_TIMEOUT_MS);
    try {
      const [stdout, stderr, code] = await Promise.all([
        readBounded(proc.stdout as ReadableStream<Uint8Array>),
        readBounded(proc.stderr as ReadableStream<Uint8Array>),
        proc.exited,
      ]);
      if (code !== 0) throw new Error(`${what} exited with ${code}: ${stderr.trim().slice(-500)}`);
      return parseExecCredential(stdout, exec.apiVersion, what);
    } finally {
      clearTimeout(timer);
    }
  }
}

async function readBounded(stream: ReadableStream<Uint8Array>): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.byteLength;
    if (size > MAX_OUTPUT_BYTES) throw new Error(`exec plugin printed more than ${MAX_OUTPUT_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** An ExecCredential's status, checked as client-go checks it. */
export function parseExecCredential(text: string, apiVersion: string, what = "exec plugin"): ExecResult {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error(`${what}: output is not an ExecCredential (not JSON)`);
  }
  const cred = doc as { apiVersion?: unknown; kind?: unknown; status?: Record<string, unknown> };
  if (!cred || typeof cred !== "object" || cred.kind !== "ExecCredential") {
    throw new Error(`${what}: output is not an ExecCredential`);
  }
  if (cred.apiVersion !== apiVersion || !EXEC_API_VERSIONS.includes(apiVersion)) {
    throw new Error(`${what}: ExecCredential has apiVersion ${String(cred.apiVersion)}, expected ${apiVersion}`);
  }
  const status = cred.status;
  if (!status || typeof status !== "object") throw new Error(`${what}: ExecCredential has no status`);
  const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
  const result: ExecResult = {
    token: str(status.token),
    clientCertificateData: str(status.clientCertificateData),
    clientKeyData: str(status.clientKeyData),
  };
  if (!result.token && !(result.clientCertificateData && result.clientKeyData)) {
    throw new Error(`${what}: ExecCredential status has neither a token nor a client certificate and key`);
  }
  if (Boolean(result.clientCertificateData) !== Boolean(result.clientKeyData)) {
    throw new Error(`${what}: ExecCredential status has a client certificate without its key (or the reverse)`);
  }
  const expiry = str(status.expirationTimestamp);
  if (expiry) {
    const at = Date.parse(expiry);
    if (Number.isNaN(at)) throw new Error(`${what}: expirationTimestamp ${expiry} is not a time`);
    result.expiresAt = at;
  }
  return result;
}
