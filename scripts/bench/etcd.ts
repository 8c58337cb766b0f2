// etcd: the raw parts (etcd3 puts from Bun at the same concurrency, and put → watch event latency
// on a single etcd watcher) and, when `kcp start` has an etcd backend, kcp's creates/s and watch
// latency on it in the same run. Targets: kcp creates/s ≥ 0.5 of raw puts. Each part prints
// "skipped: <why>" when etcd is not on PATH or kcp has no etcd flag yet.

import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { Etcd3 } from "etcd3";
import { configMapsPath, ensureNamespace, runAtRate, runPool } from "./client.ts";
import { connectionsNote, usageNote, withKcp } from "./harness.ts";
import { BUN, freePort, REPO, removeDir } from "./kcp-launcher.ts";
import { now, summarize } from "./stats.ts";
import type { Context, RawEtcd, Row, Workload } from "./types.ts";
import { skippedRow } from "./types.ts";
import { steadyCreates, steadyNote } from "./steady-creates.ts";
import { measureWatch, watchRows } from "./watch.ts";

const ETCD_BIN = process.env.ETCD_BIN ?? "etcd";
const VALUE = "v".repeat(1024);

interface EtcdServer {
  endpoint: string;
  stop(): Promise<void>;
}

async function startEtcd(scratch: string): Promise<EtcdServer> {
  const dir = mkdtempSync(join(scratch, "etcd-"));
  const client = await freePort();
  let peer = await freePort();
  while (peer === client) peer = await freePort();
  const endpoint = `http://127.0.0.1:${client}`;
  const proc = Bun.spawn(
    [
      ETCD_BIN,
      "--name=bench",
      `--data-dir=${join(dir, "data")}`,
      `--listen-client-urls=${endpoint}`,
      `--advertise-client-urls=${endpoint}`,
      `--listen-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-cluster=bench=http://127.0.0.1:${peer}`,
      "--log-level=error",
      "--logger=zap",
    ],
    { stdout: "ignore", stderr: "pipe" },
  );
  let err = "";
  void (async () => {
    for await (const c of proc.stderr) err += new TextDecoder().decode(c);
  })();
  const until = now() + 20_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`etcd exited (${proc.exitCode}): ${err.slice(-1000)}`);
    try {
      const r = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1000) });
      if (r.ok && ((await r.json()) as { health?: string }).health === "true") break;
    } catch {}
    if (now() > until) {
      proc.kill("SIGKILL");
      throw new Error(`etcd did not become healthy: ${err.slice(-1000)}`);
    }
    await Bun.sleep(50);
  }
  return {
    endpoint,
    async stop() {
      proc.kill("SIGTERM");
      await proc.exited;
      removeDir(dir);
    },
  };
}

/** gRPC calls etcd has answered, by method (etcd's /metrics, grpc_server_handled_total). */
async function etcdCalls(endpoint: string): Promise<Map<string, number>> {
  const calls = new Map<string, number>();
  try {
    const text = await (await fetch(`${endpoint}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
    for (const line of text.split("\n")) {
      if (!line.startsWith("grpc_server_handled_total{")) continue;
      const m = /grpc_method="([^"]+)"[^}]*}\s+([0-9.e+]+)/.exec(line);
      if (m) calls.set(m[1] as string, (calls.get(m[1] as string) ?? 0) + Number(m[2]));
    }
  } catch {}
  return calls;
}

/** "Range 1.0, Txn 1.0" per operation: the calls made between two etcdCalls snapshots. */
function callsPer(before: Map<string, number>, after: Map<string, number>, ops: number): string {
  const parts: string[] = [];
  for (const [method, n] of after) {
    const d = n - (before.get(method) ?? 0);
    if (d > 0 && method !== "Watch") parts.push(`${method} ${(d / ops).toFixed(2)}`);
  }
  return parts.length ? parts.join(", ") : "unknown";
}

function etcdMissing(): string | null {
  return Bun.which(ETCD_BIN)
    ? null
    : `etcd ("${ETCD_BIN}") is not on PATH (Debian: apt-get install etcd-server, or set ETCD_BIN)`;
}

/** One etcd per run, started on first use and stopped at the end. */
function etcdServer(ctx: Context): Promise<EtcdServer> {
  return ctx.once("etcd-server", async () => {
    const server = await startEtcd(ctx.scratch);
    ctx.defer(() => server.stop());
    return server;
  });
}

export function rawEtcd(ctx: Context): Promise<RawEtcd | { skipped: string }> {
  return ctx.once("raw-etcd", async () => {
    const missing = etcdMissing();
    if (missing) return { skipped: missing };
    const server = await etcdServer(ctx);
    ctx.log(
      `  raw part: etcd3 puts (${ctx.sizes.createClients} concurrent) and watch latency against ${server.endpoint}`,
    );
    const client = new Etcd3({ hosts: server.endpoint });
    try {
      for (let i = 0; i < 100; i++) await client.put(`/raw-warm/${i}`).value(VALUE);
      // Best of 3 trials: a floor, not a moment of contention.
      let putsPerSec = 0;
      let lat: number[] = [];
      const perTrial = Math.max(1, Math.ceil(ctx.sizes.etcdPuts / 3));
      for (let t = 0; t < 3; t++) {
        const trialLat: number[] = [];
        const t0 = now();
        await runPool(perTrial, ctx.sizes.createClients, async (i) => {
          const s = now();
          await client.put(`/raw-put/${t}/${String(i).padStart(7, "0")}`).value(VALUE);
          trialLat.push(now() - s);
        });
        const rate = (perTrial * 1000) / (now() - t0);
        if (rate > putsPerSec) {
          putsPerSec = rate;
          lat = trialLat;
        }
      }
      // Watch latency: put → event on one watcher, at the watch workload's rate.
      const sent = new Map<string, number>();
      const watchLat: number[] = [];
      const watcher = await client.watch().prefix("/raw-watch/").create();
      let seen = 0;
      let done: () => void = () => {};
      const all = new Promise<void>((r) => {
        done = r;
      });
      watcher.on("put", (kv) => {
        const at = now();
        const s = sent.get(kv.key.toString());
        if (s !== undefined) watchLat.push(at - s);
        if (++seen === ctx.sizes.etcdWatchEvents) done();
      });
      await runAtRate(ctx.sizes.etcdWatchEvents, ctx.sizes.watchRate, async (i) => {
        const key = `/raw-watch/${i}`;
        sent.set(key, now());
        await client.put(key).value(VALUE);
      });
      await Promise.race([all, Bun.sleep(10_000)]);
      await watcher.cancel();
      const p = summarize(lat);
      const w = summarize(watchLat);
      return { putsPerSec, putP99Ms: p.p99, watchP50Ms: w.p50, watchP99Ms: w.p99, endpoint: server.endpoint };
    } finally {
      client.close();
    }
  });
}

/**
 * The `kcp start` flags that select etcd, read from its --help: an endpoints flag
 * (`--etcd-servers`/`--etcd-endpoints`, pointed at this run's etcd), else a storage enum with an
 * `etcd` value or an `--embedded-etcd` switch (kcp runs its own etcd); or why there are none.
 */
async function kcpEtcdFlags(endpoint: string): Promise<{ flags: string[]; embedded: boolean } | { skipped: string }> {
  const proc = Bun.spawn([BUN, join(REPO, "src/main.ts"), "start", "--help"], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NO_COLOR: "1" },
  });
  const [out, errText] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  await proc.exited;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping terminal colours
  const help = (out + errText).replace(/\x1b\[[0-9;]*m/g, "");
  const servers = /--(etcd[-a-z]*(?:servers|endpoints))\b/.exec(help);
  const backend = /--([a-z-]*storage[a-z-]*)=<([^>]*)>/.exec(help);
  const storageFlag = backend && /(^|\|)etcd(\||$)/.test(backend[2] as string) ? [`--${backend[1]}=etcd`] : [];
  if (servers) return { flags: [...storageFlag, `--${servers[1]}=${endpoint}`], embedded: false };
  if (storageFlag.length) return { flags: storageFlag, embedded: true };
  const embedded = /--(embedded-etcd|etcd-embedded)\b/.exec(help);
  if (embedded) return { flags: [`--${embedded[1]}`], embedded: true };
  return {
    skipped:
      "the etcd backend is not wired into `kcp start` yet (no --etcd-servers, --storage=etcd or --embedded-etcd in `kcp start --help`)",
  };
}

export const etcdWorkload: Workload = {
  name: "etcd",
  description: "raw etcd3 puts and watch latency; kcp creates/s and watch latency on the etcd backend",
  async run(ctx: Context): Promise<Row[]> {
    const raw = await rawEtcd(ctx);
    const clients = ctx.sizes.createClients;
    const createsMetric = `etcd backend: creates/s, ${clients} clients`;
    const watchMetric = `etcd backend: event → ${ctx.sizes.watchers} watchers, p99`;
    if ("skipped" in raw) {
      return [
        skippedRow("etcd", `raw etcd3 puts/s, ${clients} clients`, "/s", raw.skipped),
        skippedRow("etcd", "raw etcd watch latency p99", "ms", raw.skipped),
        skippedRow("etcd", createsMetric, "/s", raw.skipped),
        skippedRow("etcd", watchMetric, "ms", raw.skipped, { op: "<=", value: 50 }),
      ];
    }
    const rows: Row[] = [
      {
        workload: "etcd",
        metric: `raw etcd3 puts/s, ${clients} clients (1 KiB)`,
        value: raw.putsPerSec,
        unit: "/s",
        notes: `${ctx.sizes.etcdPuts} puts, p99 ${raw.putP99Ms.toFixed(1)} ms; etcd ${raw.endpoint}`,
      },
      {
        workload: "etcd",
        metric: "raw etcd watch latency p99 (put → event)",
        value: raw.watchP99Ms,
        unit: "ms",
        notes: `p50 ${raw.watchP50Ms.toFixed(2)} ms, ${ctx.sizes.etcdWatchEvents} events at ${ctx.sizes.watchRate}/s`,
      },
    ];
    const server = await etcdServer(ctx);
    const selection = await kcpEtcdFlags(server.endpoint);
    if ("skipped" in selection) {
      rows.push(
        skippedRow("etcd", createsMetric, "/s", selection.skipped),
        skippedRow("etcd", watchMetric, "ms", selection.skipped, { op: "<=", value: 50 }),
      );
      return rows;
    }
    const which = selection.embedded
      ? "kcp's own embedded etcd (TLS), raw parts against a plain local etcd"
      : `this run's etcd (${server.endpoint})`;
    const more = await withKcp(
      ctx,
      "etcd",
      async ({ kcp, client }) => {
        await ensureNamespace(client, "bench");
        const path = configMapsPath("bench");
        const calls0 = selection.embedded ? new Map<string, number>() : await etcdCalls(server.endpoint);
        // At steady state, as the raw puts above and the SQLite creates are measured.
        const steady = await steadyCreates(kcp.pid, client, path, "bench", ctx.sizes.creates, clients);
        const { rate, usage } = steady;
        const failed = steady.sent - steady.created;
        const sample = steady.errorSample;
        const conns = connectionsNote(kcp.port);
        const perCreate = selection.embedded
          ? "unknown (embedded etcd)"
          : callsPer(calls0, await etcdCalls(server.endpoint), steady.sent);
        const out: Row[] = [
          {
            workload: "etcd",
            metric: createsMetric,
            value: rate,
            unit: "/s",
            raw: { name: "raw etcd3 puts/s", value: raw.putsPerSec, unit: "/s" },
            ratio: rate / raw.putsPerSec,
            ratioTarget: { op: ">=", value: 0.5 },
            notes: `${steadyNote(steady)} on ${which}, ${failed} errors${sample ? ` (${sample})` : ""}; etcd calls per create: ${perCreate}; ${conns.note}; ${usageNote(usage)}`,
            details: { usage, etcdCallsPerCreate: perCreate },
          },
        ];
        const o = await measureWatch(ctx, kcp, client, "etcd");
        out.push(
          ...watchRows("etcd", o, { name: "raw etcd watch p99", value: raw.watchP99Ms, unit: "ms" }).map((r) => ({
            ...r,
            metric: `etcd backend: ${r.metric}`,
          })),
        );
        return out;
      },
      { args: selection.flags, concurrency: clients },
    );
    rows.push(...more);
    return rows;
  },
};
