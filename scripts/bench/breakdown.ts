// breakdown: where a request's server time goes, by ablation. The same kcp answers, at the
// creates workload's concurrency, a sequence of requests that each add one layer: a public
// non-resource GET (HTTPS + the filters: request info, authentication, authorization), a GET of
// one ConfigMap (+ routing, a storage read, decoding and encoding), a dry-run create (+ body
// reading, decoding, defaulting, validation, admission), a create (+ the commit) and an update.
// For each: requests/s and the server's CPU time per request (µs, from /proc). The raw HTTPS
// server's GET and create are the floor. No targets: diagnosis rows.

import { join } from "node:path";
import { configMap, configMapsPath, ensureNamespace, type KcpClient, resourceVersionOf, runPool } from "./client.ts";
import { withKcp } from "./harness.ts";
import { cpuTimeOf } from "./proc.ts";
import { rawHttpsCreates } from "./raw-https.ts";
import { now } from "./stats.ts";
import type { Context, Row, Workload } from "./types.ts";

interface Step {
  name: string;
  run: (client: KcpClient, i: number) => Promise<number>;
}

async function measureStep(
  client: KcpClient,
  pid: number,
  n: number,
  concurrency: number,
  step: Step,
): Promise<{ perSec: number; serverUs: number; failed: number }> {
  let failed = 0;
  const go = (count: number, offset: number) =>
    runPool(count, concurrency, async (i) => {
      const status = await step.run(client, offset + i);
      if (status >= 300) failed++;
    });
  await go(Math.min(500, n), 10_000_000);
  failed = 0;
  const s0 = cpuTimeOf(pid);
  const t0 = now();
  await go(n, 0);
  const ms = now() - t0;
  return { perSec: (n * 1000) / ms, serverUs: ((cpuTimeOf(pid) - s0) * 1000) / n, failed };
}

export const breakdownWorkload: Workload = {
  name: "breakdown",
  description: "server CPU per request, layer by layer (ablation), against the raw HTTPS floor",
  async run(ctx: Context): Promise<Row[]> {
    const clients = ctx.sizes.createClients;
    const n = Math.max(200, Math.round(ctx.sizes.creates / 2));
    return withKcp(
      ctx,
      "breakdown",
      async ({ kcp, client }) => {
        await ensureNamespace(client, "bd");
        const path = configMapsPath("bd");
        const seed = await client.post(path, configMap("seed", "bd"));
        if (seed.status !== 201) throw new Error(`breakdown: seed HTTP ${seed.status}`);
        const rvs = new Map<number, string>();
        const steps: Step[] = [
          { name: "GET /version (filters only)", run: async (c) => (await c.get("/version")).status },
          { name: "GET one ConfigMap", run: async (c) => (await c.get(`${path}/seed`)).status },
          {
            name: "POST ConfigMap, dryRun=All",
            run: async (c, i) => (await c.post(`${path}?dryRun=All`, configMap(`dry-${i}`, "bd"))).status,
          },
          {
            name: "POST ConfigMap (create)",
            run: async (c, i) => {
              const r = await c.post(path, configMap(`obj-${i}`, "bd"));
              if (r.status === 201 && i < 10_000_000) rvs.set(i, resourceVersionOf(r.body));
              return r.status;
            },
          },
          {
            name: "PUT ConfigMap (update)",
            run: async (c, i) => {
              const k = i % Math.max(1, rvs.size);
              const obj = configMap(`obj-${k}`, "bd", 1 + i);
              (obj.metadata as Record<string, unknown>).resourceVersion = rvs.get(k);
              const r = await c.put(`${path}/obj-${k}`, obj);
              if (r.status === 200) rvs.set(k, resourceVersionOf(r.body));
              return r.status === 409 ? 200 : r.status;
            },
          },
        ];
        const rows: Row[] = [];
        const floor = await rawHttpsCreates(ctx, join(kcp.rootDir, "data"));
        let prev = 0;
        for (const step of steps) {
          // Updates go round-robin over the objects created just before: no two at once on one object.
          const count = step.name.startsWith("PUT") ? Math.min(n, rvs.size) : n;
          const m = await measureStep(client, kcp.pid, count, clients, step);
          rows.push({
            workload: "breakdown",
            metric: `${step.name}: server µs/request`,
            value: m.serverUs,
            unit: "µs",
            notes: `${m.perSec.toFixed(0)} req/s at ${clients} clients; ${prev ? `${m.serverUs >= prev ? "+" : ""}${(m.serverUs - prev).toFixed(0)} µs over the step before; ` : ""}${m.failed} failed`,
            details: m,
          });
          if (!step.name.startsWith("PUT")) prev = m.serverUs;
        }
        rows.push({
          workload: "breakdown",
          metric: "raw Bun HTTPS GET: server µs/request",
          value: floor.getServerUs,
          unit: "µs",
          notes: `${floor.getsPerSec.toFixed(0)} req/s at ${clients} clients: the floor of the GET rows above`,
        });
        rows.push({
          workload: "breakdown",
          metric: "raw Bun HTTPS + bun:sqlite create: server µs/request",
          value: (floor.serverCores * 1e6) / floor.createsPerSec,
          unit: "µs",
          notes: `${floor.createsPerSec.toFixed(0)} req/s at ${clients} clients: the floor of the POST rows above`,
        });
        return rows;
      },
      { concurrency: clients },
    );
  },
};
