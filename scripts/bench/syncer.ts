// syncer: one kcp (logical cluster `team`) and a second kcp as the physical cluster (logical
// cluster `phys`), with `kcp sync` between them as its own process, as a user runs it.
//  - initial sync: syncObjects labelled ConfigMaps exist in kcp before the syncer starts; objects/s
//    from spawning `kcp sync` until the physical cluster's watch has shown the last copy (start-up
//    included). Target ≥ 1,000 objects/s.
//  - sync latency: labelled ConfigMap writes (half creates, half updates) at syncRate per second,
//    from when each write was due to when the physical cluster's watch shows it. Target p99 ≤ 100 ms.
//  - status round trip: a Widget's spec changed in kcp at statusRate per second; the benchmark plays
//    the physical cluster's controller (on seeing the new spec downstream it writes the status at
//    once); measured from when the write was due until kcp's watch shows the status. Target
//    p99 ≤ 100 ms.
// Writes never seen on the other side count as lost (a correctness row, = 0).

import { join } from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { configMap, ensureNamespace, KcpClient, runAtRate, runPool } from "./client.ts";
import { type Kcp, launchKcp, BUN, REPO, removeDir } from "./kcp-launcher.ts";
import { cpuTimeOf } from "./proc.ts";
import { rawSqlite } from "./raw-sqlite.ts";
import { now, summarize } from "./stats.ts";
import type { Context, Row, Workload } from "./types.ts";

const UP = "team";
const DOWN = "phys";
const CLUSTER = "bench";
const LABEL = `kcp.dev/cluster=${CLUSTER}`;

const WIDGET_CRD = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "widgets.bench.kcp.dev" },
  spec: {
    group: "bench.kcp.dev",
    scope: "Namespaced",
    names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList" },
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: {
              spec: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
              status: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
            },
          },
        },
      },
    ],
  },
};

/** A kubeconfig for logical cluster `cluster` of `kcp`, written next to its admin kubeconfig. */
async function kubeconfigFor(kcp: Kcp, cluster: string): Promise<string> {
  const doc = parseYaml(await Bun.file(join(kcp.rootDir, "data", "admin.kubeconfig")).text()) as {
    clusters: { cluster: { server: string } }[];
  };
  for (const c of doc.clusters) c.cluster.server = `${kcp.url}/clusters/${cluster}`;
  const path = join(kcp.rootDir, `bench-${cluster}.kubeconfig`);
  await Bun.write(path, stringifyYaml(doc));
  return path;
}

/** A watch stream's events, one parsed line at a time, until stopped. */
function follow(
  client: KcpClient,
  path: string,
  onEvent: (type: string, obj: Record<string, any>, at: number) => void,
): { stop(): void; ready: Promise<void> } {
  const abort = new AbortController();
  let markReady: () => void = () => {};
  const ready = new Promise<void>((r) => {
    markReady = r;
  });
  void (async () => {
    try {
      const res = await client.open(path, abort.signal);
      if (res.status !== 200) throw new Error(`watch ${path}: HTTP ${res.status} ${await res.text()}`);
      markReady();
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      let buf = "";
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        const at = now();
        buf += decoder.decode(value, { stream: true });
        let nl = buf.indexOf("\n");
        while (nl >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.trim()) {
            const ev = JSON.parse(line) as { type: string; object: Record<string, any> };
            onEvent(ev.type, ev.object, at);
          }
          nl = buf.indexOf("\n");
        }
      }
    } catch (e) {
      if (!abort.signal.aborted) console.error(`bench syncer: watch ${path}: ${(e as Error).message}`);
    } finally {
      markReady();
    }
  })();
  return { stop: () => abort.abort(), ready };
}

async function listRv(client: KcpClient, path: string): Promise<string> {
  const r = await client.get(path);
  if (r.status !== 200) throw new Error(`list ${path}: HTTP ${r.status} ${r.body.slice(0, 200)}`);
  return (JSON.parse(r.body) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
}

/** Poll `cond` until true (true) or the timeout (false). */
async function waitFor(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = now() + timeoutMs;
  while (!cond()) {
    if (now() > deadline) return false;
    await Bun.sleep(5);
  }
  return true;
}

async function must(r: Promise<{ status: number; body: string }>, what: string, ok = [200, 201]): Promise<string> {
  const reply = await r;
  if (!ok.includes(reply.status)) throw new Error(`${what}: HTTP ${reply.status} ${reply.body.slice(0, 300)}`);
  return reply.body;
}

export const syncerWorkload: Workload = {
  name: "syncer",
  description: "kcp sync: initial sync rate, write → downstream latency, status round trip",
  async run(ctx: Context): Promise<Row[]> {
    const raw = await rawSqlite(ctx);
    const { syncObjects, syncRate, syncSeconds, statusRate } = ctx.sizes;
    const [kcp, phys] = await Promise.all([
      launchKcp({ label: "syncer-kcp", ...(ctx.profiling ? { profiling: ctx.profiling } : {}) }),
      launchKcp({ label: "syncer-phys" }),
    ]);
    const up = new KcpClient(kcp, { concurrency: 16 });
    const down = new KcpClient(phys, { concurrency: 4 });
    const upPath = (p: string) => `/clusters/${UP}${p}`;
    const downPath = (p: string) => `/clusters/${DOWN}${p}`;
    let sync: ReturnType<typeof Bun.spawn> | undefined;
    let syncOut = "";
    const watches: { stop(): void }[] = [];
    try {
      // Both sides: namespaces, the Widget CRD (the physical kcp's admin CRDs are served in every cluster).
      await must(up.post(upPath("/apis/apiextensions.k8s.io/v1/customresourcedefinitions"), WIDGET_CRD), "CRD");
      await must(down.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", WIDGET_CRD), "CRD");
      for (const ns of ["initial", "lat", "status"]) await ensureNamespace(up, ns, UP);
      for (const c of [
        { client: up, path: upPath("/apis/bench.kcp.dev/v1/widgets") },
        { client: down, path: downPath("/apis/bench.kcp.dev/v1/widgets") },
      ]) {
        const deadline = now() + 20_000;
        while ((await c.client.get(c.path)).status !== 200) {
          if (now() > deadline) throw new Error("the Widget CRD was not served within 20 s");
          await Bun.sleep(20);
        }
      }

      // --- initial sync ---
      ctx.log(`  syncer: loading ${syncObjects} labelled ConfigMaps into kcp`);
      await runPool(syncObjects, 16, async (i) => {
        const obj = configMap(`init-${i}`, "initial");
        (obj.metadata as { labels: Record<string, string> }).labels["kcp.dev/cluster"] = CLUSTER;
        await must(up.post(upPath("/api/v1/namespaces/initial/configmaps"), obj), "preload");
      });
      const downCms = downPath("/api/v1/configmaps");
      const rv = await listRv(down, `${downCms}?labelSelector=${encodeURIComponent(LABEL)}&limit=1`);
      const seen = new Map<string, number>();
      const dupes = { n: 0 };
      let initialCount = 0;
      let initialLast = 0;
      let initialFirst = 0;
      const onDown = (type: string, obj: Record<string, any>, at: number) => {
        const m = obj.metadata as { name: string; namespace: string };
        if (type === "ADDED" && m.namespace === "initial") {
          initialCount++;
          if (initialCount === 1) initialFirst = at;
          initialLast = at;
          return;
        }
        if (type !== "ADDED" && type !== "MODIFIED") return;
        const key = `${m.namespace}/${m.name}/${(obj.data as { generation?: string } | undefined)?.generation}`;
        if (seen.has(key)) dupes.n++;
        else seen.set(key, at);
      };
      const downWatch = follow(
        down,
        `${downCms}?watch=1&labelSelector=${encodeURIComponent(LABEL)}&resourceVersion=${rv}`,
        onDown,
      );
      watches.push(downWatch);
      await downWatch.ready;
      const t0 = now();
      sync = Bun.spawn(
        [
          BUN,
          join(REPO, "src/main.ts"),
          "sync",
          "--from-kubeconfig",
          await kubeconfigFor(kcp, UP),
          "--to-kubeconfig",
          await kubeconfigFor(phys, DOWN),
          "--cluster",
          CLUSTER,
          "configmaps",
          "widgets.bench.kcp.dev",
        ],
        { stdout: "pipe", stderr: "pipe" },
      );
      const decoder = new TextDecoder();
      for (const s of [sync.stdout, sync.stderr] as ReadableStream<Uint8Array>[]) {
        void (async () => {
          for await (const c of s) syncOut = (syncOut + decoder.decode(c)).slice(-100_000);
        })();
      }
      const initialDone = await waitFor(() => initialCount >= syncObjects, 120_000);
      const initialMs = initialLast - t0;
      const syncPid = sync.pid;
      const initialCpuMs = cpuTimeOf(syncPid);
      const runningAt = await waitFor(() => syncOut.includes("Syncer running"), 30_000);
      if (!runningAt) throw new Error(`kcp sync did not start:\n${syncOut.slice(-2000)}`);

      // --- sync latency: half creates, half updates of a pool synced beforehand ---
      const pool = Math.max(4, Math.min(100, syncRate));
      await runPool(pool, 8, async (i) => {
        const obj = configMap(`upd-${i}`, "lat", 0);
        (obj.metadata as { labels: Record<string, string> }).labels["kcp.dev/cluster"] = CLUSTER;
        await must(up.post(upPath("/api/v1/namespaces/lat/configmaps"), obj), "pool");
      });
      await waitFor(() => [...Array(pool).keys()].every((i) => seen.has(`lat/upd-${i}/0`)), 30_000);
      const total = Math.max(2, Math.round(syncRate * syncSeconds));
      const due = new Map<string, number>();
      const gens = new Array(pool).fill(0) as number[];
      let writeErrors = 0;
      const cpuBefore = cpuTimeOf(syncPid);
      const wall0 = now();
      await runAtRate(total, syncRate, async (i, dueAt) => {
        let key: string;
        let reply: { status: number };
        if (i % 2 === 0) {
          const obj = configMap(`new-${i}`, "lat", 0);
          (obj.metadata as { labels: Record<string, string> }).labels["kcp.dev/cluster"] = CLUSTER;
          key = `lat/new-${i}/0`;
          due.set(key, dueAt);
          reply = await up.post(upPath("/api/v1/namespaces/lat/configmaps"), obj);
        } else {
          const k = Math.floor(i / 2) % pool;
          const g = ++(gens[k] as number);
          key = `lat/upd-${k}/${g}`;
          due.set(key, dueAt);
          reply = await up.request(
            "PATCH",
            upPath(`/api/v1/namespaces/lat/configmaps/upd-${k}`),
            JSON.stringify({ data: { generation: String(g) } }),
            "application/merge-patch+json",
          );
        }
        if (reply.status !== 200 && reply.status !== 201) {
          writeErrors++;
          due.delete(key);
        }
      });
      await waitFor(() => [...due.keys()].every((k) => seen.has(k)), 10_000);
      const syncCores = (cpuTimeOf(syncPid) - cpuBefore) / (now() - wall0);
      const latencies: number[] = [];
      let lost = 0;
      for (const [k, d] of due) {
        const at = seen.get(k);
        if (at === undefined) lost++;
        else latencies.push(at - d);
      }
      const lat = summarize(latencies);

      // --- status round trip ---
      const widgetsUp = upPath("/apis/bench.kcp.dev/v1/namespaces/status/widgets");
      const widgetsDown = downPath("/apis/bench.kcp.dev/v1/widgets");
      const wpool = Math.max(2, Math.min(50, statusRate));
      for (let i = 0; i < wpool; i++) {
        await must(
          up.post(widgetsUp, {
            apiVersion: "bench.kcp.dev/v1",
            kind: "Widget",
            metadata: { name: `w-${i}`, namespace: "status", labels: { "kcp.dev/cluster": CLUSTER } },
            spec: { gen: 0 },
          }),
          "widget",
        );
      }
      // The physical cluster's controller: status.gen follows spec.gen as soon as a new spec is seen.
      const playerRv = await listRv(down, `${widgetsDown}?limit=1`);
      const player = follow(down, `${widgetsDown}?watch=1&resourceVersion=${playerRv}`, (type, obj) => {
        if (type !== "ADDED" && type !== "MODIFIED") return;
        const g = (obj.spec as { gen?: number }).gen;
        if ((obj.status as { gen?: number } | undefined)?.gen === g) return;
        const m = obj.metadata as { name: string; namespace: string };
        void down.put(`${downPath(`/apis/bench.kcp.dev/v1/namespaces/${m.namespace}/widgets/${m.name}`)}/status`, {
          ...obj,
          status: { gen: g },
        });
      });
      watches.push(player);
      const statusSeen = new Map<string, number>();
      const upRv = await listRv(up, `${widgetsUp}?limit=1`);
      const upWatch = follow(up, `${widgetsUp}?watch=1&resourceVersion=${upRv}`, (type, obj, at) => {
        if (type !== "MODIFIED") return;
        const key = `${(obj.metadata as { name: string }).name}/${(obj.status as { gen?: number } | undefined)?.gen}`;
        if (!statusSeen.has(key)) statusSeen.set(key, at);
      });
      watches.push(upWatch);
      await Promise.all([player.ready, upWatch.ready]);
      await waitFor(() => [...Array(wpool).keys()].every((i) => statusSeen.has(`w-${i}/0`)), 30_000);
      const statusTotal = Math.max(2, Math.round(statusRate * syncSeconds));
      const statusDue = new Map<string, number>();
      const wgens = new Array(wpool).fill(0) as number[];
      await runAtRate(statusTotal, statusRate, async (i, dueAt) => {
        const k = i % wpool;
        const g = ++(wgens[k] as number);
        const key = `w-${k}/${g}`;
        statusDue.set(key, dueAt);
        const r = await up.request(
          "PATCH",
          `${widgetsUp}/w-${k}`,
          JSON.stringify({ spec: { gen: g } }),
          "application/merge-patch+json",
        );
        if (r.status !== 200) {
          writeErrors++;
          statusDue.delete(key);
        }
      });
      // Only the last generation of a widget is sure to come back (a newer spec may overtake an older status).
      const last = new Map<number, string>();
      for (let k = 0; k < wpool; k++) if ((wgens[k] as number) > 0) last.set(k, `w-${k}/${wgens[k]}`);
      await waitFor(() => [...last.values()].every((key) => statusSeen.has(key)), 10_000);
      const roundTrips: number[] = [];
      let statusLost = 0;
      for (const [key, d] of statusDue) {
        const at = statusSeen.get(key);
        if (at !== undefined) roundTrips.push(at - d);
      }
      for (const key of last.values()) if (!statusSeen.has(key)) statusLost++;
      const rt = summarize(roundTrips);

      const initialRate = initialDone ? syncObjects / (initialMs / 1000) : 0;
      const p99Raw = { name: "raw SQLite commit p99", value: raw.commitP99Ms, unit: "ms" };
      return [
        {
          workload: "syncer",
          metric: `initial sync of ${syncObjects} objects`,
          value: initialRate,
          unit: "objects/s",
          target: { op: ">=", value: 1000 },
          raw: { name: "raw SQLite commits/s", value: raw.commitsPerSec, unit: "commits/s" },
          ratio: initialRate / raw.commitsPerSec,
          notes: `${initialDone ? `${(initialMs / 1000).toFixed(2)} s from spawning kcp sync to the last copy (the first after ${((initialFirst - t0) / 1000).toFixed(2)} s)` : `only ${initialCount} copies seen`}; syncer CPU ${(initialCpuMs / 1000).toFixed(1)} s`,
          details: { initialMs, initialCount, initialCpuMs, firstCopyMs: initialFirst - t0 },
        },
        {
          workload: "syncer",
          metric: `sync latency p99 at ${syncRate} writes/s`,
          value: latencies.length ? lat.p99 : null,
          unit: "ms",
          target: { op: "<=", value: 100 },
          raw: p99Raw,
          ratio: lat.p99 / raw.commitP99Ms,
          notes: `p50 ${lat.p50.toFixed(1)} ms, max ${lat.max.toFixed(1)} ms; ${total} writes over ${syncSeconds} s; syncer CPU ${syncCores.toFixed(2)} cores`,
          details: { latency: lat, syncCores, total },
        },
        {
          workload: "syncer",
          metric: `status round trip p99 at ${statusRate} spec writes/s`,
          value: roundTrips.length ? rt.p99 : null,
          unit: "ms",
          target: { op: "<=", value: 100 },
          raw: p99Raw,
          ratio: rt.p99 / raw.commitP99Ms,
          notes: `p50 ${rt.p50.toFixed(1)} ms, max ${rt.max.toFixed(1)} ms; kcp spec write → downstream → status write there → kcp watch`,
          details: { roundTrip: rt, statusTotal, measured: roundTrips.length },
        },
        {
          workload: "syncer",
          metric: "syncer: lost writes or errors",
          value: lost + statusLost + writeErrors + (initialDone ? 0 : syncObjects - initialCount),
          unit: "",
          target: { op: "==", value: 0 },
          notes: `${lost} writes never downstream, ${statusLost} statuses never up, ${writeErrors} write errors, ${dupes.n} repeated events`,
        },
      ];
    } finally {
      for (const w of watches) w.stop();
      if (sync && sync.exitCode === null) {
        sync.kill("SIGTERM");
        await Promise.race([sync.exited, Bun.sleep(5000)]);
        if (sync.exitCode === null) sync.kill("SIGKILL");
      }
      up.close();
      down.close();
      await Promise.all([kcp.stop(), phys.stop()]);
      removeDir(kcp.rootDir);
      removeDir(phys.rootDir);
    }
  },
};
