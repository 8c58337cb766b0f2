// Start a real `kcp start` process on a free port with a temporary root directory, and drive the
// real kubectl against it. Every end-to-end test starts and stops its own server.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const REPO = resolve(import.meta.dir, "../..");
const KUBECTL_DIR = "/usr/lib/google-cloud-sdk/bin";

export interface KcpProcess {
  rootDir: string;
  url: string;
  port: number;
  kubeconfig: string;
  token: string;
  /** Output so far (stdout+stderr). */
  output(): string;
  /** Stop with SIGTERM (or the given signal) and wait for exit; returns the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number>;
  kill9(): Promise<void>;
}

export interface StartOptions {
  rootDir?: string;
  args?: string[];
  env?: Record<string, string>;
}

export function tempDir(prefix = "kcp-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Start `bun src/main.ts start --listen 127.0.0.1:0` and wait for the "Serving securely" line. */
export async function startKcp(opts: StartOptions = {}): Promise<KcpProcess> {
  const rootDir = opts.rootDir ?? tempDir();
  const proc = Bun.spawn([process.execPath, join(REPO, "src/main.ts"), "start", "--root-dir", rootDir, "--listen", "127.0.0.1:0", ...(opts.args ?? [])], {
    cwd: rootDir,
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, ...opts.env },
  });
  let out = "";
  const decoder = new TextDecoder();
  const pump = async (s: ReadableStream<Uint8Array>) => {
    for await (const chunk of s) out += decoder.decode(chunk);
  };
  void pump(proc.stdout);
  void pump(proc.stderr);
  const deadline = Date.now() + 30_000;
  let port = 0;
  while (Date.now() < deadline) {
    const m = /Serving securely on [^\s]*:(\d+)/.exec(out);
    if (m && out.includes("Admin kubeconfig")) {
      port = Number(m[1]);
      break;
    }
    if (proc.exitCode !== null) throw new Error(`kcp exited with ${proc.exitCode}:\n${out}`);
    await Bun.sleep(20);
  }
  if (!port) {
    proc.kill("SIGKILL");
    throw new Error(`kcp did not become ready:\n${out}`);
  }
  const token = (await Bun.file(join(rootDir, "data", "admin.token")).text()).trim();
  return {
    rootDir,
    url: `https://127.0.0.1:${port}`,
    port,
    kubeconfig: join(rootDir, "data", "admin.kubeconfig"),
    token,
    output: () => out,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (proc.exitCode === null) proc.kill(signal);
      return await proc.exited;
    },
    async kill9() {
      proc.kill("SIGKILL");
      await proc.exited;
    },
  };
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run kubectl (the given version, or the PATH dispatcher) with the server's kubeconfig and a private cache. */
export async function kubectl(kcp: KcpProcess, args: string[], opts: { version?: string; stdin?: string; context?: string; timeoutMs?: number } = {}): Promise<KubectlResult> {
  const bin = opts.version ? join(KUBECTL_DIR, `kubectl.${opts.version}`) : "kubectl";
  const cache = join(kcp.rootDir, "kubectl-cache");
  const full = [bin, "--kubeconfig", kcp.kubeconfig, "--cache-dir", cache, ...(opts.context ? ["--context", opts.context] : []), ...args];
  const proc = Bun.spawn(full, {
    stdin: opts.stdin !== undefined ? new TextEncoder().encode(opts.stdin) : "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, HOME: kcp.rootDir, PATH: `${process.env.PATH}:${KUBECTL_DIR}` },
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), opts.timeoutMs ?? 30_000);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** fetch against the server with the admin token and its CA. */
export async function api(kcp: KcpProcess, path: string, init: RequestInit & { token?: string | null } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.token !== null) headers.set("Authorization", `Bearer ${init.token ?? kcp.token}`);
  const ca = await Bun.file(join(kcp.rootDir, "data", "ca.crt")).text();
  return fetch(`${kcp.url}${path}`, { ...init, headers, tls: { ca } } as RequestInit);
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
