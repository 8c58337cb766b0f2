// watch: one event stream to many concurrent watchers (1,000 by default, each its own HTTPS
// connection, held by watch-client.ts in a child process). A writer creates and updates
// ConfigMaps at a fixed rate; each event's latency is from the moment its write was sent to its
// arrival at a watcher. Every watcher must see exactly the acknowledged revisions, in order, once.
// Targets: p99 ≤ 50 ms, 0 missed, 0 duplicated.

import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { configMap, configMapsPath, ensureNamespace, type KcpClient, resourceVersionOf, runAtRate } from "./client.ts";
import { connectionsNote, usageNote, withKcp, type Usage } from "./harness.ts";
import { BUN, type Kcp } from "./kcp-launcher.ts";
import { cpuTimeOf, softOpenFilesLimit } from "./proc.ts";
import { rawSqlite } from "./raw-sqlite.ts";
import { now, type Summary, summarize } from "./stats.ts";
import type { Context, Row, Workload } from "./types.ts";

export interface WatchOutcome {
  watchers: number;
  events: number;
  latency: Summary;
  writeLatency: Summary;
  missed: number;
  duplicated: number;
  outOfOrder: number;
  streamErrors: number;
  errorSample: string;
  writeErrors: number;
  usage: Usage & { watcherClientCores: number };
  connections: ReturnType<typeof connectionsNote>;
  reducedFrom?: number;
}

const epochNow = () => performance.timeOrigin + performance.now();

/** Run the watchers against a running kcp and measure; used for the SQLite and the etcd backend. */
export async function measureWatch(ctx: Context, kcp: Kcp, client: KcpClient, label: string): Promise<WatchOutcome> {
  let watchers = ctx.sizes.watchers;
  // Each watch holds one descriptor in this process tree's client and one in the server.
  const limit = softOpenFilesLimit();
  let reducedFrom: number | undefined;
  if (watchers + 256 > limit) {
    reducedFrom = watchers;
    watchers = Math.max(1, limit - 256);
    ctx.log(`  watch: open-files limit ${limit} allows only ${watchers} watchers (raise it with ulimit -n)`);
  }
  const events = ctx.sizes.watchEvents;
  await ensureNamespace(client, "watch");
  const path = configMapsPath("watch");
  const head = await client.get(`${path}?limit=1`);
  const startRV = resourceVersionOf(head.body);
  const out = join(ctx.scratch, `watch-${label}-${process.pid}.json`);
  const cfgFile = join(ctx.scratch, `watch-${label}-config.json`);
  writeFileSync(
    cfgFile,
    JSON.stringify({
      url: kcp.url,
      ca: kcp.ca,
      token: kcp.token,
      path: `${path}?watch=1&resourceVersion=${startRV}&timeoutSeconds=3600`,
      watchers,
      expect: events,
      timeoutMs: Math.max(30_000, (events / ctx.sizes.watchRate) * 1000 + 30_000),
      out,
    }),
  );
  const child = Bun.spawn([BUN, join(import.meta.dir, "watch-client.ts"), cfgFile], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, BUN_CONFIG_MAX_HTTP_REQUESTS: String(Math.min(65_535, watchers + 64)) },
  });
  let childOut = "";
  let childErr = "";
  const decoder = new TextDecoder();
  void (async () => {
    for await (const c of child.stdout) childOut += decoder.decode(c, { stream: true });
  })();
  void (async () => {
    for await (const c of child.stderr) childErr += decoder.decode(c, { stream: true });
  })();
  const waitFor = async (word: string, ms: number) => {
    const until = now() + ms;
    while (!childOut.includes(word)) {
      if (child.exitCode !== null && !childOut.includes(word))
        throw new Error(`watch client exited (${child.exitCode}): ${childErr.slice(-2000)}`);
      if (now() > until)
        throw new Error(
          `watch client: no ${word} within ${ms} ms; its output: ${childOut.slice(-500)} ${childErr.slice(-2000)}`,
        );
      await Bun.sleep(10);
    }
  };
  try {
    const openStart = now();
    await waitFor("READY", 120_000);
    ctx.log(`  watch: ${watchers} watch streams open in ${((now() - openStart) / 1000).toFixed(1)} s`);
    const connections = connectionsNote(kcp.port);

    const sentAt = new Map<string, number>();
    const expected: string[] = new Array(events);
    const writeLat: number[] = [];
    let writeErrors = 0;
    const created = new Map<number, Promise<string | null>>();
    const s0 = cpuTimeOf(kcp.pid);
    const c0 = process.cpuUsage();
    const t0 = now();
    await runAtRate(events, ctx.sizes.watchRate, async (i) => {
      let sent: number;
      let rv: string | null = null;
      if (i % 2 === 0 || i === events - 1) {
        const name = `ev-${i}`;
        const p = (async () => {
          sent = epochNow();
          const r = await client.post(path, configMap(name, "watch"));
          writeLat.push(r.ms);
          if (r.status !== 201) {
            writeErrors++;
            return null;
          }
          rv = resourceVersionOf(r.body);
          sentAt.set(rv, sent);
          expected[i] = rv;
          return rv;
        })();
        created.set(i, p);
        await p;
      } else {
        const prevRV = await created.get(i - 1);
        if (prevRV === null || prevRV === undefined) {
          writeErrors++;
          return;
        }
        const obj = configMap(`ev-${i - 1}`, "watch", 1);
        (obj.metadata as Record<string, unknown>).resourceVersion = prevRV;
        sent = epochNow();
        const r = await client.put(`${path}/ev-${i - 1}`, obj);
        writeLat.push(r.ms);
        if (r.status !== 200) {
          writeErrors++;
          return;
        }
        rv = resourceVersionOf(r.body);
        sentAt.set(rv, sent);
        expected[i] = rv;
      }
    });
    await waitFor("DONE", 120_000);
    const wallMs = now() - t0;
    const c1 = process.cpuUsage(c0);
    const usage = {
      wallMs,
      serverCores: (cpuTimeOf(kcp.pid) - s0) / wallMs,
      clientCores: (c1.user + c1.system) / 1000 / wallMs,
      watcherClientCores: 0,
    };
    await child.exited;
    const data = JSON.parse(await Bun.file(out).text()) as {
      watchers: { rvs: string[]; at: number[]; error?: string }[];
      cpuMs: number;
      wallMs: number;
    };
    usage.watcherClientCores = data.cpuMs / data.wallMs;
    rmSync(out, { force: true });
    // Expected order: by revision (the writes' revisions, as acknowledged).
    const want = expected.filter((x): x is string => typeof x === "string").sort((a, b) => Number(a) - Number(b));
    const wantSet = new Set(want);
    const lat: number[] = [];
    let missed = 0;
    let duplicated = 0;
    let outOfOrder = 0;
    let streamErrors = 0;
    let errorSample = "";
    for (const w of data.watchers) {
      const seen = new Set<string>();
      let last = 0;
      w.rvs.forEach((rv, k) => {
        if (seen.has(rv)) duplicated++;
        seen.add(rv);
        const n = Number(rv);
        if (n <= last) outOfOrder++;
        last = n;
        const sent = sentAt.get(rv);
        if (sent !== undefined) lat.push((w.at[k] as number) - sent);
      });
      for (const rv of wantSet) if (!seen.has(rv)) missed++;
      if (w.error && w.rvs.length < want.length) {
        streamErrors++;
        errorSample ||= w.error;
      }
    }
    return {
      watchers,
      events: want.length,
      latency: summarize(lat),
      writeLatency: summarize(writeLat),
      missed,
      duplicated,
      outOfOrder,
      streamErrors,
      errorSample,
      writeErrors,
      usage,
      connections,
      ...(reducedFrom !== undefined ? { reducedFrom } : {}),
    };
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
    await child.exited;
    rmSync(cfgFile, { force: true });
  }
}

export function watchRows(
  workload: string,
  o: WatchOutcome,
  raw: { name: string; value: number; unit: string },
): Row[] {
  const reduced = o.reducedFrom !== undefined ? ` (reduced from ${o.reducedFrom} by the open-files limit)` : "";
  return [
    {
      workload,
      metric: `event → ${o.watchers} watchers, p99`,
      value: o.latency.p99,
      unit: "ms",
      target: { op: "<=", value: 50 },
      raw,
      ratio: o.latency.p99 / raw.value,
      notes: `${o.events} events × ${o.watchers} watchers${reduced}; p50 ${o.latency.p50.toFixed(1)} ms, max ${o.latency.max.toFixed(1)} ms; write p50 ${o.writeLatency.p50.toFixed(1)} ms; ${o.connections.note}; ${usageNote(o.usage)} + watchers ${o.usage.watcherClientCores.toFixed(2)}`,
      details: { ...o },
    },
    {
      workload,
      metric: "watch: missed + duplicated + out of order",
      value: o.missed + o.duplicated + o.outOfOrder,
      unit: "",
      target: { op: "==", value: 0 },
      notes: `${o.missed} missed, ${o.duplicated} duplicated, ${o.outOfOrder} out of order of ${o.events * o.watchers} deliveries; ${o.streamErrors} streams failed${o.errorSample ? ` (${o.errorSample})` : ""}; ${o.writeErrors} write errors`,
    },
  ];
}

export const watchWorkload: Workload = {
  name: "watch",
  description: "event latency to many concurrent HTTP watch streams; nothing missed or duplicated",
  async run(ctx: Context): Promise<Row[]> {
    const raw = await rawSqlite(ctx);
    return withKcp(ctx, "watch", async ({ kcp, client }) => {
      const o = await measureWatch(ctx, kcp, client, "sqlite");
      return watchRows("watch", o, { name: "raw SQLite commit p99", value: raw.commitP99Ms, unit: "ms" });
    });
  },
};
