// latency: creates and updates at a fixed rate (open loop, 200 req/s by default, half each),
// latency measured from when each request was due. Target: p99 ≤ 20 ms for both.
// Updates are PUTs with the object's current resourceVersion, round-robin over a preloaded pool.

import { rawSqlite } from "./raw-sqlite.ts";
import { configMap, configMapsPath, ensureNamespace, resourceVersionOf, runAtRate, runPool } from "./client.ts";
import { connectionsNote, measured, usageNote, withKcp } from "./harness.ts";
import { now, summarize } from "./stats.ts";
import type { Context, Row, Workload } from "./types.ts";

export const latencyWorkload: Workload = {
  name: "latency",
  description: "create/update latency (p99) at a fixed request rate",
  async run(ctx: Context): Promise<Row[]> {
    const raw = await rawSqlite(ctx);
    const { latencyRate, latencySeconds } = ctx.sizes;
    const total = Math.max(2, Math.round(latencyRate * latencySeconds));
    return withKcp(ctx, "latency", async ({ kcp, client }) => {
      await ensureNamespace(client, "lat");
      const path = configMapsPath("lat");
      // The update pool: each object is updated every pool/(rate/2) seconds, long after its last update returned.
      const pool = Math.max(4, Math.min(200, Math.round(latencyRate)));
      const rvs: string[] = new Array(pool);
      await runPool(pool, 16, async (i) => {
        const r = await client.post(path, configMap(`upd-${i}`, "lat"));
        if (r.status !== 201) throw new Error(`preload: HTTP ${r.status} ${r.body.slice(0, 200)}`);
        rvs[i] = resourceVersionOf(r.body);
      });
      const createLat: number[] = [];
      const updateLat: number[] = [];
      const serviceLat: number[] = [];
      let errorsCount = 0;
      let sample = "";
      const gens = new Array(pool).fill(0) as number[];
      const { usage } = await measured(kcp.pid, () =>
        runAtRate(total, latencyRate, async (i, due) => {
          let status: number;
          let body: string;
          let ms: number;
          if (i % 2 === 0) {
            const r = await client.post(path, configMap(`new-${i}`, "lat"));
            ({ status, body, ms } = r);
            if (status === 201) createLat.push(now() - due);
          } else {
            const k = Math.floor(i / 2) % pool;
            const obj = configMap(`upd-${k}`, "lat", ++(gens[k] as number));
            (obj.metadata as Record<string, unknown>).resourceVersion = rvs[k];
            const r = await client.put(`${path}/upd-${k}`, obj);
            ({ status, body, ms } = r);
            if (status === 200) {
              updateLat.push(now() - due);
              rvs[k] = resourceVersionOf(body);
            }
          }
          serviceLat.push(ms);
          if (status !== 200 && status !== 201) {
            errorsCount++;
            if (!sample) sample = `HTTP ${status} ${body.slice(0, 200)}`;
          }
        }),
      );
      const conns = connectionsNote(kcp.port);
      const c = summarize(createLat);
      const u = summarize(updateLat);
      const s = summarize(serviceLat);
      const rawRef = { name: "raw SQLite commit p99", value: raw.commitP99Ms, unit: "ms" };
      const common = `${total} requests at ${latencyRate}/s over ${latencySeconds} s, ${errorsCount} errors; ${conns.note}; ${usageNote(usage)}`;
      return [
        {
          workload: "latency",
          metric: `create p99 at ${latencyRate} req/s`,
          value: c.p99,
          unit: "ms",
          target: { op: "<=", value: 20 },
          raw: rawRef,
          ratio: c.p99 / raw.commitP99Ms,
          notes: `p50 ${c.p50.toFixed(2)} ms, max ${c.max.toFixed(1)} ms; ${common}`,
          details: {
            create: c,
            update: u,
            service: s,
            usage,
            connections: conns,
            errors: errorsCount,
            errorSample: sample,
          },
        },
        {
          workload: "latency",
          metric: `update p99 at ${latencyRate} req/s`,
          value: u.p99,
          unit: "ms",
          target: { op: "<=", value: 20 },
          raw: rawRef,
          ratio: u.p99 / raw.commitP99Ms,
          notes: `p50 ${u.p50.toFixed(2)} ms, max ${u.max.toFixed(1)} ms`,
        },
        {
          workload: "latency",
          metric: "latency: errors",
          value: errorsCount,
          unit: "",
          target: { op: "==", value: 0 },
          ...(sample ? { notes: sample } : {}),
        },
      ];
    });
  },
};
