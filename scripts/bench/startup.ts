// startup: spawn → first 200 on /readyz with an empty store, on a new root directory (kcp makes
// its CA, serving certificate and token first) and on an existing one (a restart); then the
// server's RSS once idle. The raw part is a minimal Bun HTTPS server (raw-server.ts) started and
// polled the same way. Targets: ≤ 150 ms, idle RSS ≤ 60 MiB.

import { join } from "node:path";
import { BUN, freePort, launchKcp, readyzOk, removeDir, tempDir } from "./kcp-launcher.ts";
import { memoryOf } from "./proc.ts";
import { mib, now, summarize } from "./stats.ts";
import type { Context, Row, Workload } from "./types.ts";

export interface RawServer {
  readyMs: number;
  idleRss: number;
}

/** Spawn → first 200 of the minimal HTTPS server (median of runs), and its idle RSS. */
export function rawServer(ctx: Context, certDir: string): Promise<RawServer> {
  return ctx.once("raw-server", async () => {
    const times: number[] = [];
    let idleRss = 0;
    for (let i = 0; i < Math.max(3, ctx.sizes.startRuns); i++) {
      const port = await freePort();
      const t0 = now();
      const proc = Bun.spawn(
        [
          BUN,
          join(import.meta.dir, "raw-server.ts"),
          String(port),
          join(certDir, "apiserver.crt"),
          join(certDir, "apiserver.key"),
        ],
        {
          stdout: "ignore",
          stderr: "inherit",
        },
      );
      try {
        while (!(await readyzOk(port))) {
          if (proc.exitCode !== null) throw new Error(`raw server exited with ${proc.exitCode}`);
          if (now() - t0 > 20_000) throw new Error("raw server did not answer in 20 s");
          await Bun.sleep(1);
        }
        times.push(now() - t0);
        if (i === 0) {
          await Bun.sleep(1500);
          idleRss = memoryOf(proc.pid).rss;
        }
      } finally {
        proc.kill("SIGTERM");
        await proc.exited;
      }
    }
    return { readyMs: summarize(times).p50, idleRss };
  });
}

export const startupWorkload: Workload = {
  name: "startup",
  description: "start to /readyz ok with an empty store (new and existing root dir), idle RSS",
  async run(ctx: Context): Promise<Row[]> {
    const runs = ctx.sizes.startRuns;
    const cold: number[] = [];
    const warm: number[] = [];
    let idleRss = 0;
    let idleAfterMs = 0;
    const keep = tempDir("kcp-bench-start-");
    try {
      for (let i = 0; i < runs; i++) {
        const root = i === 0 ? keep : tempDir("kcp-bench-start-");
        const kcp = await launchKcp({ rootDir: root, timeReady: true, label: `start-cold-${i}` });
        cold.push(kcp.readyMs ?? Number.NaN);
        await kcp.stop();
        if (root !== keep) removeDir(root);
      }
      for (let i = 0; i < runs; i++) {
        const kcp = await launchKcp({
          rootDir: keep,
          timeReady: true,
          label: `start-warm-${i}`,
          ...(i === 0 && ctx.profiling ? { profiling: ctx.profiling } : {}),
        });
        warm.push(kcp.readyMs ?? Number.NaN);
        if (i === 0) {
          // Idle: nothing but /readyz has been asked; give timers and the GC a moment.
          const t0 = now();
          await Bun.sleep(2000);
          idleRss = memoryOf(kcp.pid).rss;
          idleAfterMs = now() - t0;
        }
        await kcp.stop();
      }
      const raw = await rawServer(ctx, join(keep, "data"));
      const c = summarize(cold);
      const w = summarize(warm);
      const rawRef = { name: "raw Bun HTTPS server spawn → 200", value: raw.readyMs, unit: "ms" };
      return [
        {
          workload: "startup",
          metric: `start → /readyz, empty, new root dir (median of ${runs})`,
          value: c.p50,
          unit: "ms",
          target: { op: "<=", value: 150 },
          raw: rawRef,
          ratio: c.p50 / raw.readyMs,
          notes: `min ${c.min.toFixed(0)}, max ${c.max.toFixed(0)} ms; includes making the CA, serving certificate and token`,
          details: { timesMs: cold },
        },
        {
          workload: "startup",
          metric: `start → /readyz, empty, existing root dir (median of ${runs})`,
          value: w.p50,
          unit: "ms",
          target: { op: "<=", value: 150 },
          raw: rawRef,
          ratio: w.p50 / raw.readyMs,
          notes: `min ${w.min.toFixed(0)}, max ${w.max.toFixed(0)} ms`,
          details: { timesMs: warm },
        },
        {
          workload: "startup",
          metric: "idle RSS after start",
          value: mib(idleRss),
          unit: "MiB",
          target: { op: "<=", value: 60 },
          raw: { name: "raw Bun HTTPS server idle RSS", value: mib(raw.idleRss), unit: "MiB" },
          ratio: idleRss / raw.idleRss,
          notes: `VmRSS ${(idleAfterMs / 1000).toFixed(1)} s after /readyz answered`,
          details: { idleRss, rawIdleRss: raw.idleRss },
        },
      ];
    } finally {
      removeDir(keep);
    }
  },
};
