// Starts a real `kcp start` (bun src/main.ts start --root-dir <tmp> --listen 127.0.0.1:<port>) the
// way a user would, waits for "Serving securely on …:<port>", and reads the admin token and CA it
// wrote. Optionally times spawn → first 200 on /readyz, and runs the server under Bun's CPU
// profiler (or with a heap-snapshot hook) for diagnosis.

import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { now } from "./stats.ts";

export const REPO = resolve(import.meta.dir, "../..");
export const BUN = process.execPath;

export interface Profiling {
  /** Write a .cpuprofile (and .md) of the server to this directory on exit. */
  cpuDir?: string;
  /** Run the server through kcp-profiled.ts, which writes a heap snapshot on SIGUSR2. */
  heapDir?: string;
}

export interface LaunchOptions {
  rootDir?: string;
  /** 0 (default) lets the server pick; a fixed port lets /readyz be polled from the first instant. */
  port?: number;
  /** Extra `kcp start` flags (e.g. a storage backend). */
  args?: string[];
  /** Poll /readyz from spawn on and record when it first answers 200 (needs a fixed port). */
  timeReady?: boolean;
  profiling?: Profiling;
  /** Name of the profile files. */
  label?: string;
  /** Run this executable instead of `bun src/main.ts` (e.g. dist/kcp); profiling does not apply. */
  executable?: string;
  timeoutMs?: number;
}

export interface Kcp {
  pid: number;
  rootDir: string;
  url: string;
  port: number;
  token: string;
  ca: string;
  /** Milliseconds from spawn to the "Serving securely" line. */
  servingMs: number;
  /** Milliseconds from spawn to the first 200 on /readyz (when timeReady). */
  readyMs?: number;
  output(): string;
  /** SIGTERM and wait (SIGKILL after 20 s); returns the exit code. */
  stop(): Promise<number | null>;
  /** Ask kcp-profiled.ts for a heap snapshot; resolves with its path once written (null when not profiling). */
  heapSnapshot(): Promise<string | null>;
}

export function tempDir(prefix = "kcp-bench-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A free loopback port (released before the server binds it). */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.on("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

/** GET /readyz without trusting anything (the CA may not exist yet); true on 200. */
export async function readyzOk(port: number): Promise<boolean> {
  try {
    const res = await fetch(`https://127.0.0.1:${port}/readyz`, {
      tls: { rejectUnauthorized: false },
      signal: AbortSignal.timeout(2000),
    });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

export async function launchKcp(opts: LaunchOptions = {}): Promise<Kcp> {
  const rootDir = opts.rootDir ?? tempDir();
  const fixedPort = opts.port ?? (opts.timeReady ? await freePort() : 0);
  const prof = opts.profiling;
  const label = opts.label ?? "kcp";
  const runtimeFlags: string[] = [];
  if (prof?.cpuDir) {
    mkdirSync(prof.cpuDir, { recursive: true });
    runtimeFlags.push("--cpu-prof", `--cpu-prof-dir=${prof.cpuDir}`, `--cpu-prof-name=${label}.cpuprofile`);
  }
  const entry = prof?.heapDir ? join(import.meta.dir, "kcp-profiled.ts") : join(REPO, "src/main.ts");
  const program = opts.executable ? [opts.executable] : [BUN, ...runtimeFlags, entry];
  const cmd = [...program, "start", "--root-dir", rootDir, "--listen", `127.0.0.1:${fixedPort}`, ...(opts.args ?? [])];
  const env: Record<string, string | undefined> = { ...process.env };
  if (prof?.heapDir) {
    mkdirSync(prof.heapDir, { recursive: true });
    env.KCP_BENCH_HEAP_DIR = prof.heapDir;
    env.KCP_BENCH_HEAP_LABEL = label;
  }
  const t0 = now();
  const proc = Bun.spawn(cmd, { cwd: rootDir, stdout: "pipe", stderr: "pipe", env });
  let out = "";
  const decoder = new TextDecoder();
  const pump = async (s: ReadableStream<Uint8Array>) => {
    for await (const chunk of s) {
      out += decoder.decode(chunk, { stream: true });
      // Keep memory bounded on chatty servers.
      if (out.length > 4_000_000) out = out.slice(-2_000_000);
    }
  };
  void pump(proc.stdout);
  void pump(proc.stderr);

  let readyMs: number | undefined;
  const readyPoll = (async () => {
    if (!opts.timeReady) return;
    while (proc.exitCode === null && now() - t0 < (opts.timeoutMs ?? 60_000)) {
      if (await readyzOk(fixedPort)) {
        readyMs = now() - t0;
        return;
      }
      await Bun.sleep(1);
    }
  })();

  const deadline = now() + (opts.timeoutMs ?? 60_000);
  let port = 0;
  let servingMs = 0;
  while (now() < deadline) {
    const m = /Serving securely on [^\s]*:(\d+)/.exec(out);
    if (m && out.includes("Admin kubeconfig")) {
      port = Number(m[1]);
      servingMs = now() - t0;
      break;
    }
    if (proc.exitCode !== null) throw new Error(`kcp exited with ${proc.exitCode}:\n${out}`);
    await Bun.sleep(2);
  }
  if (!port) {
    proc.kill("SIGKILL");
    throw new Error(`kcp did not start within ${opts.timeoutMs ?? 60_000} ms:\n${out}`);
  }
  await readyPoll;
  const dataDir = join(rootDir, "data");
  const token = readFileSync(join(dataDir, "admin.token"), "utf8").trim();
  const ca = readFileSync(join(dataDir, "ca.crt"), "utf8");
  return {
    pid: proc.pid,
    rootDir,
    url: `https://127.0.0.1:${port}`,
    port,
    token,
    ca,
    servingMs,
    ...(readyMs !== undefined ? { readyMs } : {}),
    output: () => out,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
      const killer = setTimeout(() => proc.kill("SIGKILL"), 20_000);
      const code = await proc.exited;
      clearTimeout(killer);
      return code;
    },
    async heapSnapshot() {
      if (!prof?.heapDir || proc.exitCode !== null) return null;
      const before = out.length;
      process.kill(proc.pid, "SIGUSR2");
      const until = now() + 120_000;
      while (now() < until) {
        const m = /heap snapshot written: (\S+)/.exec(out.slice(before));
        if (m) return m[1] as string;
        await Bun.sleep(50);
      }
      return null;
    },
  };
}
