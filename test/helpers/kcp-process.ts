// Start a real `kcp start` process on a free port with a temporary root directory, and drive the
// real kubectl against it. Every end-to-end test starts and stops its own server.

import { afterAll, beforeAll } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";

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
  const proc = Bun.spawn(
    [
      process.execPath,
      join(REPO, "src/main.ts"),
      "start",
      "--root-dir",
      rootDir,
      "--listen",
      "127.0.0.1:0",
      ...(opts.args ?? []),
    ],
    {
      cwd: rootDir,
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, ...opts.env },
    },
  );
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
  const seq = ++startedCount;
  proc.exited.then(() => running.delete(seq));
  const kcp: KcpProcess = {
    rootDir,
    url: `https://127.0.0.1:${port}`,
    port,
    // The one the server says it wrote: a replica sharing a root directory writes its own.
    kubeconfig: /Admin kubeconfig: (\S+)/.exec(out)?.[1] ?? join(rootDir, "data", "admin.kubeconfig"),
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
  running.set(seq, kcp);
  return kcp;
}

/** Processes startKcp started that have not exited, by start order (useKcp stops its file's leftovers). */
const running = new Map<number, KcpProcess>();
let startedCount = 0;

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KubectlOptions {
  /** "1.27" … "1.33" runs that versioned binary; unset runs the PATH dispatcher. */
  version?: string;
  stdin?: string;
  context?: string;
  /** Another kubeconfig than the server's admin one. */
  kubeconfig?: string;
  /** Another discovery cache than the server's shared one (e.g. to start cold). */
  cacheDir?: string;
  timeoutMs?: number;
  /** More environment variables (e.g. KUBECTL_APPLYSET=true). */
  env?: Record<string, string>;
}

function kubectlCommand(kcp: KcpProcess, args: string[], opts: KubectlOptions): string[] {
  const bin = opts.version ? join(KUBECTL_DIR, `kubectl.${opts.version}`) : "kubectl";
  const cache = opts.cacheDir ?? join(kcp.rootDir, "kubectl-cache");
  return [
    bin,
    "--kubeconfig",
    opts.kubeconfig ?? kcp.kubeconfig,
    "--cache-dir",
    cache,
    ...(opts.context ? ["--context", opts.context] : []),
    ...args,
  ];
}

function kubectlEnv(kcp: KcpProcess): Record<string, string | undefined> {
  return { ...process.env, HOME: kcp.rootDir, PATH: `${process.env.PATH}:${KUBECTL_DIR}` };
}

/** Run kubectl (the given version, or the PATH dispatcher) with the server's kubeconfig and a private cache. */
export async function kubectl(kcp: KcpProcess, args: string[], opts: KubectlOptions = {}): Promise<KubectlResult> {
  const proc = Bun.spawn(kubectlCommand(kcp, args, opts), {
    stdin: opts.stdin !== undefined ? new TextEncoder().encode(opts.stdin) : "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...kubectlEnv(kcp), ...opts.env },
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), opts.timeoutMs ?? 30_000);
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}

export interface BackgroundKubectl {
  /** stdout so far. */
  stdout(): string;
  stderr(): string;
  /** Wait until stdout satisfies `done` (or fail with what was printed after `timeoutMs`). */
  waitFor(done: (stdout: string) => boolean, timeoutMs?: number): Promise<string>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number>;
  exited: Promise<number>;
}

/** Start a long-running kubectl (e.g. `get -w`) and read its output while it runs. */
export function spawnKubectl(kcp: KcpProcess, args: string[], opts: KubectlOptions = {}): BackgroundKubectl {
  const proc = Bun.spawn(kubectlCommand(kcp, args, opts), {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: kubectlEnv(kcp),
  });
  let out = "";
  let err = "";
  const pump = async (s: ReadableStream<Uint8Array>, add: (t: string) => void) => {
    const d = new TextDecoder();
    for await (const chunk of s) add(d.decode(chunk, { stream: true }));
  };
  const pumped = Promise.all([pump(proc.stdout, (t) => (out += t)), pump(proc.stderr, (t) => (err += t))]);
  const exited = pumped.then(() => proc.exited);
  return {
    stdout: () => out,
    stderr: () => err,
    exited,
    async waitFor(done, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (!done(out)) {
        if (Date.now() > deadline || proc.exitCode !== null) {
          await Bun.sleep(50);
          if (done(out)) break;
          throw new Error(
            `kubectl ${args.join(" ")}: condition not met (exit ${proc.exitCode})\nstdout:\n${out}\nstderr:\n${err}`,
          );
        }
        await Bun.sleep(20);
      }
      return out;
    },
    async stop() {
      if (proc.exitCode === null) proc.kill("SIGTERM");
      return await exited;
    },
  };
}

/**
 * Write a copy of the admin kubeconfig whose clusters point at `serverPath` on the same server
 * (e.g. "/clusters/team-a"), and return its path.
 */
export async function kubeconfigWithPath(
  kcp: KcpProcess,
  serverPath: string,
  file = `kubeconfig-${serverPath.replace(/[^a-z0-9]+/gi, "_")}`,
): Promise<string> {
  const doc = parseYaml(await Bun.file(kcp.kubeconfig).text()) as { clusters: { cluster: { server: string } }[] };
  for (const c of doc.clusters) c.cluster.server = `${kcp.url}${serverPath}`;
  const path = join(kcp.rootDir, file);
  await Bun.write(path, stringifyYaml(doc));
  return path;
}

/** fetch against the server with the admin token and its CA. */
export async function api(
  kcp: KcpProcess,
  path: string,
  init: RequestInit & { token?: string | null } = {},
): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.token !== null) headers.set("Authorization", `Bearer ${init.token ?? kcp.token}`);
  const ca = await Bun.file(join(kcp.rootDir, "data", "ca.crt")).text();
  return fetch(`${kcp.url}${path}`, { ...init, headers, tls: { ca } } as RequestInit);
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * One kcp for a test file: started before its tests (then `setup` runs, when given), stopped after
 * them with its root directory removed. `bind` hands the process to the file's own variable. Any
 * other kcp the file started and left running (a test that restarts the server on the same root
 * directory) is stopped too, and its root directory removed.
 */
export function useKcp(
  bind: (kcp: KcpProcess) => void,
  opts: StartOptions & { setup?: (kcp: KcpProcess) => Promise<void> } = {},
): void {
  let first = Number.POSITIVE_INFINITY;
  const roots = new Set<string>();
  beforeAll(async () => {
    first = startedCount + 1;
    const kcp = await startKcp(opts);
    roots.add(kcp.rootDir);
    bind(kcp);
    await opts.setup?.(kcp);
  });
  afterAll(async () => {
    for (const [seq, kcp] of running) {
      if (seq < first) continue;
      roots.add(kcp.rootDir);
      await kcp.stop();
    }
    for (const root of roots) removeDir(root);
  });
}
