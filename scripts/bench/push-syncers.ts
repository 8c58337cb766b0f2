// push-syncers: one kcp running many push-mode syncers (the cluster controller inside `kcp start`),
// each to its own logical cluster of a second kcp standing in for the physical clusters. Measures
// the controller kcp's RSS growth per syncer: VmRSS once every Cluster is Ready and settled, minus
// VmRSS before the Clusters were created (after one warm-up Cluster, not counted, has loaded the
// code paths). Target ≤ 1 MiB per syncer. Also reported: how long until all were Ready.

import { join } from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { KcpClient, runPool } from "./client.ts";
import { type Kcp, launchKcp, removeDir } from "./kcp-launcher.ts";
import { memoryOf } from "./proc.ts";
import { mib, now } from "./stats.ts";
import type { Context, Row, Workload } from "./types.ts";

const FLEET = "fleet";
const clustersPath = `/clusters/${FLEET}/apis/cluster.example.dev/v1alpha1/clusters`;

/** A self-contained kubeconfig (the admin one of `phys`, inline CA) for its logical cluster `lc`. */
async function kubeconfigText(phys: Kcp, lc: string): Promise<string> {
  const doc = parseYaml(await Bun.file(join(phys.rootDir, "data", "admin.kubeconfig")).text()) as {
    clusters: { cluster: { server: string } }[];
  };
  for (const c of doc.clusters) c.cluster.server = `${phys.url}/clusters/${lc}`;
  return stringifyYaml(doc);
}

function cluster(name: string, kubeconfig: string) {
  return {
    apiVersion: "cluster.example.dev/v1alpha1",
    kind: "Cluster",
    metadata: { name },
    spec: { kubeconfig, mode: "push", resources: ["configmaps"] },
  };
}

/** Names of the Clusters whose Ready is True. */
async function readyNames(client: KcpClient): Promise<Set<string>> {
  const r = await client.request("GET", clustersPath);
  const items = (JSON.parse(r.body) as { items: any[] }).items ?? [];
  const ready = new Set<string>();
  for (const c of items)
    if (c.status?.conditions?.some((x: any) => x.type === "Ready" && x.status === "True")) ready.add(c.metadata.name);
  return ready;
}

async function waitReady(client: KcpClient, names: string[], timeoutMs: number): Promise<number> {
  const deadline = now() + timeoutMs;
  for (;;) {
    const ready = await readyNames(client);
    const n = names.filter((x) => ready.has(x)).length;
    if (n === names.length || now() > deadline) return n;
    await Bun.sleep(250);
  }
}

export const pushSyncersWorkload: Workload = {
  name: "push-syncers",
  description: "push-mode syncers in one kcp (each to a logical cluster of another kcp): RSS per syncer",
  async run(ctx: Context): Promise<Row[]> {
    const n = ctx.sizes.pushSyncers;
    const phys = await launchKcp({ label: "push-syncers-physical" });
    const kcp = await launchKcp({
      label: "push-syncers",
      ...(ctx.profiling ? { profiling: ctx.profiling } : {}),
      args: ["--cluster-heartbeat-timeout", "60s"],
    });
    const client = new KcpClient(kcp, { concurrency: 8 });
    try {
      // Warm up: one Cluster, Ready, then removed; its code is loaded and its caches filled.
      const warm = await client.request(
        "POST",
        clustersPath,
        JSON.stringify(cluster("warm-up", await kubeconfigText(phys, "warm-up"))),
      );
      if (warm.status !== 201) throw new Error(`creating a Cluster: HTTP ${warm.status} ${warm.body.slice(0, 200)}`);
      if ((await waitReady(client, ["warm-up"], 30_000)) !== 1)
        throw new Error("the warm-up Cluster never became Ready");
      await client.request("DELETE", `${clustersPath}/warm-up`);
      await Bun.sleep(2000);
      Bun.gc(true);
      const before = memoryOf(kcp.pid).rss;
      const names = Array.from({ length: n }, (_, i) => `c-${i}`);
      const t0 = now();
      let failed = 0;
      await runPool(n, 8, async (i) => {
        const name = names[i] as string;
        const r = await client.request(
          "POST",
          clustersPath,
          JSON.stringify(cluster(name, await kubeconfigText(phys, `phys-${i}`))),
        );
        if (r.status !== 201) failed++;
      });
      const ready = await waitReady(client, names, 60_000 + n * 500);
      const readyMs = now() - t0;
      // Let the first heartbeats, lists and status writes settle.
      await Bun.sleep(3000);
      const after = memoryOf(kcp.pid).rss;
      const perSyncer = (after - before) / n;
      ctx.log(
        `  ${ready}/${n} Ready in ${(readyMs / 1000).toFixed(1)} s; RSS ${mib(before).toFixed(0)} → ${mib(after).toFixed(0)} MiB`,
      );
      return [
        {
          workload: "push-syncers",
          metric: `${n} push syncers: RSS per syncer`,
          value: Number(mib(perSyncer).toFixed(3)),
          unit: "MiB",
          target: { op: "<=", value: 1 },
          notes: `RSS ${mib(before).toFixed(0)} → ${mib(after).toFixed(0)} MiB`,
          details: { before, after, n },
        },
        {
          workload: "push-syncers",
          metric: `${n} push syncers: Clusters not Ready`,
          value: n - ready,
          unit: "clusters",
          target: { op: "==", value: 0 },
          notes: failed
            ? `${failed} creates failed`
            : `all Ready ${(readyMs / 1000).toFixed(1)} s after the first create`,
          details: { readyMs, failed },
        },
      ];
    } finally {
      client.close();
      await kcp.stop();
      await phys.stop();
      removeDir(kcp.rootDir);
      removeDir(phys.rootDir);
    }
  },
};
