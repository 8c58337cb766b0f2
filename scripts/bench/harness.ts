// Running a workload against a fresh kcp: launch, hand over a client, measure the CPU both sides
// used and how many connections the server saw, stop and clean up.

import { KcpClient } from "./client.ts";
import { type Kcp, launchKcp, type LaunchOptions, removeDir } from "./kcp-launcher.ts";
import { connectionsTo, cpuTimeOf, selfCpuTime } from "./proc.ts";
import { now } from "./stats.ts";
import type { Context } from "./types.ts";

export interface Usage {
  /** Wall-clock milliseconds of the measured section. */
  wallMs: number;
  /** CPU the server used in it, as a share of one core (1.0 = one core busy). */
  serverCores: number;
  /** CPU this benchmark client used in it, as a share of one core. */
  clientCores: number;
}

/** Measure the wall-clock time and CPU use (server and client) of `fn`. */
export async function measured<T>(pid: number, fn: () => Promise<T>): Promise<{ result: T; usage: Usage }> {
  const s0 = cpuTimeOf(pid);
  const c0 = selfCpuTime();
  const t0 = now();
  const result = await fn();
  const wallMs = now() - t0;
  const serverCores = (cpuTimeOf(pid) - s0) / wallMs;
  const clientCores = (selfCpuTime() - c0) / wallMs;
  return { result, usage: { wallMs, serverCores, clientCores } };
}

export function usageNote(u: Usage): string {
  return `CPU: server ${u.serverCores.toFixed(2)}, client ${u.clientCores.toFixed(2)} cores`;
}

export interface Session {
  kcp: Kcp;
  client: KcpClient;
}

/** Launch kcp (fresh root directory unless given), run `fn`, stop and clean up. */
export async function withKcp<T>(
  ctx: Context,
  label: string,
  fn: (s: Session) => Promise<T>,
  opts: LaunchOptions & { concurrency?: number } = {},
): Promise<T> {
  const { concurrency, ...launch } = opts;
  const kcp = await launchKcp({ label, ...(ctx.profiling ? { profiling: ctx.profiling } : {}), ...launch });
  const client = new KcpClient(kcp, { concurrency: concurrency ?? 1 });
  try {
    return await fn({ kcp, client });
  } finally {
    client.close();
    const snap = await kcp.heapSnapshot();
    if (snap) ctx.log(`  heap snapshot: ${snap}`);
    const code = await kcp.stop();
    if (code !== 0 && code !== null) ctx.log(`  kcp (${label}) exited with ${code}`);
    if (!opts.rootDir) removeDir(kcp.rootDir);
  }
}

/** "32 conns (0 time-wait)": established connections to the server now. */
export function connectionsNote(port: number): { note: string; established: number; timeWait: number } {
  const c = connectionsTo(port);
  return { note: `${c.established} conns open, ${c.timeWait} in TIME_WAIT`, ...c };
}
