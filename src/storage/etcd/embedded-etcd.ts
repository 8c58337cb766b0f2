// `kcp start --embedded-etcd`: one local etcd member, run from the `etcd` binary on PATH and
// supervised by kcp.
//
// - Data in `<root>/data/etcd` (mode 0700); TLS on both ports with a PKI of its own
//   (src/pki/etcd-certs.ts, `<root>/data/etcd-pki/`), client certificates required, so only kcp
//   talks to it. It listens on 127.0.0.1 only.
// - Start-up waits until the member reports healthy (60 s at most); an exit meanwhile fails
//   kcp's start with etcd's own last words.
// - Afterwards, an unexpected exit is logged and the member is started again, after 0.5 s
//   doubling to 30 s while it keeps crashing soon after starting; a member that ran for a minute
//   starts over at 0.5 s. Meanwhile requests fail with 503 (the storage's retries bridge short gaps).
// - stop(): SIGTERM, wait (10 s, then SIGKILL). On Linux the member also gets SIGTERM when kcp
//   dies without stopping it (setpriv's parent-death signal), so no orphan keeps the ports.

import { mkdir } from "node:fs/promises";
import { log } from "../../log.ts";
import { ensureEtcdPki, type EtcdPkiFiles } from "../../pki/etcd-certs.ts";

export const ETCD_NOT_FOUND_MESSAGE =
  "etcd binary not found on PATH: install etcd (Debian: apt-get install etcd-server) or use the default SQLite storage";

export class EtcdBinaryNotFoundError extends Error {
  constructor() {
    super(ETCD_NOT_FOUND_MESSAGE);
  }
}

export interface EmbeddedEtcdOptions {
  /** The member's data directory (`<root>/data/etcd`). */
  dataDir: string;
  /** Where its PKI lives (`<root>/data/etcd-pki`). */
  pkiDir: string;
  clientPort: number;
  peerPort: number;
  /** The etcd executable's name or path (default "etcd", looked up on PATH). */
  binary?: string;
  /** How long the first start may take to become healthy (default 60 s). */
  startTimeoutMs?: number;
  /** etcd's --max-request-bytes (default etcd's 1.5 MiB): room for kcp's largest object and its key. */
  maxRequestBytes?: number;
}

const MEMBER_NAME = "kcp";
const FIRST_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;
/** A member that ran this long before it exited gets the first backoff again. */
const STABLE_AFTER_MS = 60_000;
const STOP_GRACE_MS = 10_000;
/** How much of etcd's output is kept for error messages. */
const OUTPUT_TAIL = 8192;

const SETPRIV = process.platform === "linux" ? Bun.which("setpriv") : null;

type EtcdProcess = ReturnType<typeof Bun.spawn>;

export class EmbeddedEtcd {
  /** The client URL kcp connects to. */
  readonly endpoint: string;
  private proc: EtcdProcess | null = null;
  private startedAt = 0;
  private backoffMs = FIRST_BACKOFF_MS;
  private restartTimer: Timer | null = null;
  private stopping = false;
  private tail = "";
  /** Times the member was started again after an unexpected exit. */
  restarts = 0;

  private constructor(
    private readonly binary: string,
    private readonly opts: EmbeddedEtcdOptions,
    /** CA, and kcp's client certificate, for the storage client. */
    readonly pki: EtcdPkiFiles,
  ) {
    this.endpoint = `https://127.0.0.1:${opts.clientPort}`;
  }

  /** Find the binary, prepare the PKI and data directory, start the member and wait until it is healthy. */
  static async start(opts: EmbeddedEtcdOptions): Promise<EmbeddedEtcd> {
    const binary = Bun.which(opts.binary ?? "etcd");
    if (!binary) throw new EtcdBinaryNotFoundError();
    const pki = await ensureEtcdPki(opts.pkiDir);
    await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
    const etcd = new EmbeddedEtcd(binary, opts, pki);
    await etcd.startFirst();
    return etcd;
  }

  /** The member's process id (0 while it is not running). */
  get pid(): number {
    return this.running ? (this.proc?.pid ?? 0) : 0;
  }

  get running(): boolean {
    return this.proc !== null && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** SIGTERM the member and wait for it to exit. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const proc = this.proc;
    if (!proc || !this.running) return;
    proc.kill("SIGTERM");
    const exited = await Promise.race([proc.exited.then(() => true), Bun.sleep(STOP_GRACE_MS).then(() => false)]);
    if (!exited) {
      log.warn(`embedded etcd did not stop within ${STOP_GRACE_MS / 1000}s of SIGTERM; killing it`);
      proc.kill("SIGKILL");
      await proc.exited;
    }
    log.info("embedded etcd stopped");
  }

  private async startFirst(): Promise<void> {
    const proc = this.spawn();
    const deadline = Date.now() + (this.opts.startTimeoutMs ?? 60_000);
    while (Date.now() < deadline) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        // Let the output pumps catch up before quoting it.
        await Bun.sleep(50);
        throw new Error(`embedded etcd exited during start-up (${exitText(proc)}):\n${this.tail.trim()}`);
      }
      if (await this.healthy()) {
        log.info(`embedded etcd serving on ${this.endpoint} (pid ${proc.pid}, data in ${this.opts.dataDir})`);
        this.supervise(proc);
        return;
      }
      await Bun.sleep(100);
    }
    proc.kill("SIGKILL");
    await proc.exited;
    throw new Error(
      `embedded etcd did not become healthy within ${Math.round((this.opts.startTimeoutMs ?? 60_000) / 1000)}s:\n${this.tail.trim()}`,
    );
  }

  private spawn(): EtcdProcess {
    const o = this.opts;
    const clientUrl = this.endpoint;
    const peerUrl = `https://127.0.0.1:${o.peerPort}`;
    const { caFile, serverCertFile, serverKeyFile } = this.pki;
    const args = [
      this.binary,
      "--name",
      MEMBER_NAME,
      "--data-dir",
      o.dataDir,
      "--listen-client-urls",
      clientUrl,
      "--advertise-client-urls",
      clientUrl,
      "--listen-peer-urls",
      peerUrl,
      "--initial-advertise-peer-urls",
      peerUrl,
      "--initial-cluster",
      `${MEMBER_NAME}=${peerUrl}`,
      "--initial-cluster-state",
      "new",
      ...(o.maxRequestBytes ? ["--max-request-bytes", String(o.maxRequestBytes)] : []),
      "--cert-file",
      serverCertFile,
      "--key-file",
      serverKeyFile,
      "--trusted-ca-file",
      caFile,
      "--client-cert-auth",
      "--peer-cert-file",
      serverCertFile,
      "--peer-key-file",
      serverKeyFile,
      "--peer-trusted-ca-file",
      caFile,
      "--peer-client-cert-auth",
      "--logger",
      "zap",
      "--log-outputs",
      "stderr",
      "--log-level",
      "warn",
    ];
    const cmd = SETPRIV ? [SETPRIV, "--pdeathsig", "SIGTERM", "--", ...args] : args;
    // Its own session: a terminal's Ctrl-C (SIGINT to the foreground process group) reaches kcp, which
    // then stops the member itself, instead of killing the member under a running kcp.
    const proc = Bun.spawn(cmd, { stdin: "ignore", stdout: "pipe", stderr: "pipe", detached: true });
    this.proc = proc;
    this.startedAt = Date.now();
    this.tail = "";
    void this.pump(proc.stdout as ReadableStream<Uint8Array>);
    void this.pump(proc.stderr as ReadableStream<Uint8Array>);
    return proc;
  }

  /** Keep the end of etcd's output for messages, and pass its lines to the debug log. */
  private async pump(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let partial = "";
    try {
      for await (const chunk of stream) {
        const text = decoder.decode(chunk, { stream: true });
        this.tail = (this.tail + text).slice(-OUTPUT_TAIL);
        partial += text;
        const lines = partial.split("\n");
        partial = lines.pop() ?? "";
        for (const line of lines) if (line.trim()) log.debug(`etcd: ${line}`);
      }
    } catch {
      // The process is gone; its exit is handled elsewhere.
    }
  }

  private supervise(proc: EtcdProcess): void {
    void proc.exited.then(() => {
      if (this.stopping || this.proc !== proc) return;
      const ranMs = Date.now() - this.startedAt;
      if (ranMs >= STABLE_AFTER_MS) this.backoffMs = FIRST_BACKOFF_MS;
      const delay = this.backoffMs;
      this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
      const last = lastLine(this.tail);
      log.warn(
        `embedded etcd exited unexpectedly (${exitText(proc)}${last ? `; last output: ${last}` : ""}); restarting in ${formatMs(delay)}`,
      );
      this.restartTimer = setTimeout(() => {
        this.restartTimer = null;
        if (this.stopping) return;
        this.restarts++;
        const next = this.spawn();
        log.info(`embedded etcd restarted (pid ${next.pid}, restart ${this.restarts})`);
        this.supervise(next);
      }, delay);
    });
  }

  /** etcd's /health: true once the member has a leader and serves linearizable reads. */
  private async healthy(): Promise<boolean> {
    try {
      const res = await fetch(`${this.endpoint}/health`, {
        signal: AbortSignal.timeout(1000),
        tls: {
          ca: await Bun.file(this.pki.caFile).text(),
          cert: await Bun.file(this.pki.clientCertFile).text(),
          key: await Bun.file(this.pki.clientKeyFile).text(),
        },
      } as RequestInit);
      if (!res.ok) return false;
      const body = (await res.json()) as { health?: string };
      return body.health === "true";
    } catch {
      return false;
    }
  }
}

function exitText(proc: EtcdProcess): string {
  return proc.signalCode ? `signal ${proc.signalCode}` : `exit code ${proc.exitCode}`;
}

/** The last line of etcd's output that reports an error (zap JSON at error level or above, or plain text such as a Go panic). */
function lastLine(text: string): string {
  const lines = text
    .trim()
    .split("\n")
    .filter((l) => l.trim() !== "" && (!l.startsWith("{") || /"level":"(error|dpanic|panic|fatal)"/.test(l)));
  return (lines[lines.length - 1] ?? "").slice(0, 400);
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${ms / 1000}s`;
}
