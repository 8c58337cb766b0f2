// clusters: many logical clusters, each brought into being by its first request (a namespace
// create: kcp adds the marker and default, kube-system, kube-public) and given 3 ConfigMaps.
// Measures clusters created per second and the server's RSS growth per logical cluster (VmRSS
// after the run, settled, minus VmRSS before). Targets: ≥ 200/s, ≤ 200 KiB per cluster.

import { configMap, configMapsPath, namespacesPath, runPool } from "./client.ts";
import { connectionsNote, measured, usageNote, withKcp } from "./harness.ts";
import { memoryOf } from "./proc.ts";
import { rawSqlite } from "./raw-sqlite.ts";
import { kib, mib } from "./stats.ts";
import type { Context, Row, Workload } from "./types.ts";

/**
 * Writes kcp makes per logical cluster here: marker + 3 initial namespaces + 1 namespace + 3 ConfigMaps,
 * and the service accounts controller's `default` ServiceAccount in each of the 4 namespaces.
 */
const WRITES_PER_CLUSTER = 12;

export const clustersWorkload: Workload = {
  name: "clusters",
  description: "logical clusters with a namespace and 3 objects each: creation rate and RSS per cluster",
  async run(ctx: Context): Promise<Row[]> {
    const raw = await rawSqlite(ctx);
    const n = ctx.sizes.clusters;
    return withKcp(
      ctx,
      "clusters",
      async ({ kcp, client }) => {
        // Warm up the request path (JIT) on one cluster that is not counted, then settle.
        await client.post(namespacesPath("warm-up"), {
          apiVersion: "v1",
          kind: "Namespace",
          metadata: { name: "team" },
        });
        await Bun.sleep(1000);
        const before = memoryOf(kcp.pid).rss;
        let failed = 0;
        let sample = "";
        const check = (status: number, want: number, body: string) => {
          if (status !== want) {
            failed++;
            sample ||= `HTTP ${status} ${body.slice(0, 200)}`;
          }
        };
        const { usage } = await measured(kcp.pid, () =>
          runPool(n, ctx.sizes.clusterClients, async (i) => {
            const cluster = `bench-${i}`;
            const ns = await client.post(namespacesPath(cluster), {
              apiVersion: "v1",
              kind: "Namespace",
              metadata: { name: "team" },
            });
            check(ns.status, 201, ns.body);
            for (let k = 0; k < 3; k++) {
              const r = await client.post(configMapsPath("team", cluster), configMap(`cm-${k}`, "team"));
              check(r.status, 201, r.body);
            }
          }),
        );
        const conns = connectionsNote(kcp.port);
        await Bun.sleep(2000);
        const after = memoryOf(kcp.pid).rss;
        // Verify through the all-clusters view: 3 ConfigMaps per logical cluster.
        const all = await client.get("/clusters/*/api/v1/configmaps?limit=1");
        const body = JSON.parse(all.body) as { items?: unknown[]; metadata?: { remainingItemCount?: number } };
        const listed = (body.items?.length ?? 0) + (body.metadata?.remainingItemCount ?? 0);
        const rate = (n * 1000) / usage.wallMs;
        const perCluster = (after - before) / n;
        return [
          {
            workload: "clusters",
            metric: `logical clusters created/s (${n}, each a namespace + 3 objects)`,
            value: rate,
            unit: "/s",
            target: { op: ">=", value: 200 },
            raw: { name: "raw SQLite single-row commits/s", value: raw.commitsPerSec, unit: "/s" },
            ratio: rate / raw.commitsPerSec,
            notes: `${n < 10_000 ? `${n}, not the full 10,000 (--size large or --clusters 10000); ` : ""}${(rate * WRITES_PER_CLUSTER).toFixed(0)} stored writes/s; ${failed} errors${sample ? ` (${sample})` : ""}; ${listed} ConfigMaps listed across clusters (want ${n * 3}); ${conns.note} (${client.transport}); ${usageNote(usage)}`,
            details: { usage, failed, listed, connections: conns },
          },
          {
            workload: "clusters",
            metric: "RSS growth per logical cluster",
            value: kib(perCluster),
            unit: "KiB",
            target: { op: "<=", value: 200 },
            notes: `VmRSS ${mib(before).toFixed(0)} → ${mib(after).toFixed(0)} MiB over ${n} clusters (2 s after the last write)`,
            details: { rssBefore: before, rssAfter: after },
          },
          {
            workload: "clusters",
            metric: "clusters: errors and missing objects",
            value: failed + Math.abs(n * 3 - listed),
            unit: "",
            target: { op: "==", value: 0 },
          },
        ];
      },
      { concurrency: ctx.sizes.clusterClients },
    );
  },
};
