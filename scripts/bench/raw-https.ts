// The raw part for HTTPS creates: raw-server.ts with a SQLite file, driven exactly like kcp in
// the creates workload (same client, same ConfigMaps, same concurrency). The floor of "JSON over
// HTTPS into one SQLite row" on this runtime and machine: how close kcp's create path could get.

import { copyFileSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import { configMap, KcpClient, runPool } from "./client.ts";
import { BUN, freePort, readyzOk, removeDir } from "./kcp-launcher.ts";
import { cpuTimeOf, selfCpuTime } from "./proc.ts";
import { now } from "./stats.ts";
import type { Context } from "./types.ts";

export interface RawHttps {
  createsPerSec: number;
  serverCores: number;
  clientCores: number;
  /** GET "ok" at the same concurrency: requests/s and server CPU µs per request. */
  getsPerSec: number;
  getServerUs: number;
}

/** Measured once per run; `certDir` holds a kcp data directory's apiserver.crt/.key and ca.crt. */
export function rawHttpsCreates(ctx: Context, certDir: string): Promise<RawHttps> {
  return ctx.once("raw-https", async () => {
    const dir = mkdtempSync(join(ctx.scratch, "raw-https-"));
    for (const f of ["apiserver.crt", "apiserver.key", "ca.crt"]) copyFileSync(join(certDir, f), join(dir, f));
    const port = await freePort();
    const proc = Bun.spawn(
      [
        BUN,
        join(import.meta.dir, "raw-server.ts"),
        String(port),
        join(dir, "apiserver.crt"),
        join(dir, "apiserver.key"),
        join(dir, "raw.db"),
      ],
      {
        stdout: "ignore",
        stderr: "inherit",
      },
    );
    try {
      const t0 = now();
      while (!(await readyzOk(port))) {
        if (proc.exitCode !== null || now() - t0 > 20_000) throw new Error("raw HTTPS server did not start");
        await Bun.sleep(5);
      }
      const { createClients, creates } = ctx.sizes;
      const client = new KcpClient(
        { url: `https://127.0.0.1:${port}`, token: "-", ca: await Bun.file(join(dir, "ca.crt")).text() },
        { concurrency: createClients },
      );
      const path = "/api/v1/namespaces/bench/configmaps";
      await runPool(createClients * 4, createClients, async (i) => {
        await client.post(path, configMap(`warm-${i}`, "bench"));
      });
      // Best of 3 trials (a floor), each a third of the creates workload's count.
      const perTrial = Math.max(1, Math.ceil(creates / 3));
      let failed = 0;
      let best = { rate: 0, serverCores: 0, clientCores: 0 };
      for (let t = 0; t < 3; t++) {
        const s0 = cpuTimeOf(proc.pid);
        const c0 = selfCpuTime();
        const t1 = now();
        await runPool(perTrial, createClients, async (i) => {
          const r = await client.post(path, configMap(`obj-${t}-${i}`, "bench"));
          if (r.status !== 201) failed++;
        });
        const ms = now() - t1;
        const rate = (perTrial * 1000) / ms;
        if (rate > best.rate)
          best = { rate, serverCores: (cpuTimeOf(proc.pid) - s0) / ms, clientCores: (selfCpuTime() - c0) / ms };
      }
      const { serverCores, clientCores } = best;
      if (failed) throw new Error(`raw HTTPS server: ${failed} creates failed`);
      const g0 = cpuTimeOf(proc.pid);
      const t2 = now();
      await runPool(creates, createClients, async () => {
        const r = await client.get("/version");
        if (r.status !== 200) failed++;
      });
      const gms = now() - t2;
      const getServerUs = ((cpuTimeOf(proc.pid) - g0) * 1000) / creates;
      client.close();
      return { createsPerSec: best.rate, serverCores, clientCores, getsPerSec: (creates * 1000) / gms, getServerUs };
    } finally {
      proc.kill("SIGTERM");
      await proc.exited;
      removeDir(dir);
    }
  });
}
