// gc: the garbage collector's scale and cost (issue 13, item 9), against two real kcp processes
// started side by side: one as `kcp start` runs, one with the collector left out (KCP_DISABLE_GC=1,
// a benchmarking switch read by src/app/start-server.ts).
//  - creates/s without ownerReferences, collector on ÷ off: alternating rounds against the two
//    servers (same client, same moment's load), the ratio of the medians. Target ≥ 0.9.
//  - a cascade: one owner ConfigMap with N dependents (ConfigMaps naming it in ownerReferences),
//    the owner deleted with background propagation; time until a watch has seen every dependent's
//    DELETED event. Target ≤ 10 s at 10,000. Then the same with foreground propagation: time
//    until the owner itself is gone (after its dependents, which block its deletion).
//  - owned objects across logical clusters: each cluster gets a namespace, one owner and
//    objects/clusters dependents, created by many concurrent clients, on both servers; RSS growth
//    per owned object on each (VmRSS settled after the writes minus before), and the difference:
//    what the collector keeps per object (its graph node, which holds the fields it reads, and the
//    edge: ~260 B of heap; docs/performance.md). Target on the difference ≤ 1 KiB per object.

import { configMap, configMapsPath, ensureNamespace, KcpClient, runPool } from "./client.ts";
import { measured, type Session, usageNote, withKcp } from "./harness.ts";
import { type Kcp, launchKcp, removeDir } from "./kcp-launcher.ts";
import { memoryOf } from "./proc.ts";
import { kib, median, mib, now } from "./stats.ts";
import type { Context, Row, Workload } from "./types.ts";
import { Failures } from "./failures.ts";

const W = "gc";
const CLIENTS = (ctx: Context) => Math.max(ctx.sizes.createClients, ctx.sizes.clusterClients);

/** A small ConfigMap naming `owner` (a ConfigMap of the same namespace) as its owner. */
function dependent(
  name: string,
  namespace: string,
  label: string,
  owner: { name: string; uid: string },
  block = false,
) {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name,
      namespace,
      labels: { "gc-bench": label },
      ownerReferences: [
        {
          apiVersion: "v1",
          kind: "ConfigMap",
          name: owner.name,
          uid: owner.uid,
          ...(block ? { blockOwnerDeletion: true } : {}),
        },
      ],
    },
    data: { index: name },
  };
}

async function createOwner(client: KcpClient, path: string, name: string): Promise<{ name: string; uid: string }> {
  const r = await client.post(path, {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name },
    data: { owner: "yes" },
  });
  if (r.status !== 201) throw new Error(`creating owner ${name}: HTTP ${r.status} ${r.body.slice(0, 200)}`);
  return { name, uid: (JSON.parse(r.body) as { metadata: { uid: string } }).metadata.uid };
}

/**
 * Open a watch on the cascade's namespace and count the dependents' DELETED events; `done` resolves
 * once `want` were seen and, when `owner` is waited for, the owner's too (or on abort). One watch
 * stream is in revision order, so where the owner's DELETED falls among them is exact.
 */
async function watchDeletes(client: KcpClient, path: string, want: number, waitOwner: boolean, signal: AbortSignal) {
  const res = await client.open(path, signal);
  if (res.status !== 200) throw new Error(`watch ${path}: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
  let seen = 0;
  let lastAt = 0;
  /** Dependents' DELETED events before the owner's (-1: the owner's not seen). */
  let ownerAfter = -1;
  const done = (async () => {
    const decoder = new TextDecoder();
    let buf = "";
    try {
      for await (const chunk of res.body as ReadableStream<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true });
        let nl = buf.indexOf("\n");
        while (nl >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          nl = buf.indexOf("\n");
          if (!line.startsWith('{"type":"DELETED"')) continue;
          const name = (JSON.parse(line) as { object: { metadata: { name: string } } }).object.metadata.name;
          if (name === "owner") ownerAfter = seen;
          else {
            seen++;
            lastAt = now();
          }
        }
        if (seen >= want && (!waitOwner || ownerAfter >= 0)) return;
      }
    } catch {
      // Aborted at the deadline.
    }
  })();
  return { done, seen: () => seen, lastAt: () => lastAt, ownerAfter: () => ownerAfter };
}

function resourceVersionOfList(body: string): string {
  return (JSON.parse(body) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
}

async function cascade(ctx: Context, s: Session, policy: "Background" | "Foreground"): Promise<Row[]> {
  const client = s.client;
  const n = ctx.sizes.gcDependents;
  const ns = `cascade-${policy.toLowerCase()}`;
  await ensureNamespace(client, ns);
  const path = configMapsPath(ns);
  const owner = await createOwner(client, path, "owner");
  const failures = new Failures();
  const { usage: createUsage } = await measured(s.kcp.pid, () =>
    runPool(n, ctx.sizes.createClients, async (i) => {
      const r = await client.post(path, dependent(`d-${i}`, ns, ns, owner, policy === "Foreground"));
      failures.check(r.status, 201, r.body);
    }),
  );
  const created = n - failures.count;
  const list = await client.get(`${path}?limit=1`);
  const rv = resourceVersionOfList(list.body);
  const abort = new AbortController();
  const deadlineMs = 60_000 + n * 10;
  const timer = setTimeout(() => abort.abort(), deadlineMs);
  const watch = await watchDeletes(
    client,
    `${path}?watch=1&allowWatchBookmarks=false&resourceVersion=${rv}`,
    created,
    policy === "Foreground",
    abort.signal,
  );
  const t0 = now();
  const del = await client.request(
    "DELETE",
    `${path}/owner`,
    JSON.stringify({ apiVersion: "v1", kind: "DeleteOptions", propagationPolicy: policy }),
  );
  failures.check(del.status, 200, del.body);
  let ownerGoneAt = 0;
  if (policy === "Foreground") {
    // The owner stays (with a deletion timestamp) until its blocking dependents are gone.
    while (!abort.signal.aborted) {
      const r = await client.get(`${path}/owner`);
      if (r.status === 404) {
        ownerGoneAt = now();
        break;
      }
      await Bun.sleep(50);
    }
  }
  await watch.done;
  clearTimeout(timer);
  abort.abort();
  const remaining = await client.get(`${path}?labelSelector=gc-bench%3D${ns}`);
  const left = (JSON.parse(remaining.body) as { items: unknown[] }).items.length;
  const allSeconds = (watch.lastAt() - t0) / 1000;
  const base = `${n.toLocaleString("en-US")} dependents created at ${((n * 1000) / createUsage.wallMs).toFixed(0)}/s; ${watch.seen()} DELETED events seen, ${left} left; ${failures.note()}`;
  const rows: Row[] = [];
  if (policy === "Background") {
    rows.push({
      workload: W,
      metric: `GC: cascade of ${n.toLocaleString("en-US")} dependents (background), until the last is gone`,
      value: watch.seen() >= created ? allSeconds : null,
      unit: "s",
      target: { op: "<=", value: 10 },
      notes: `${n < 10_000 ? `${n}, not the target's 10,000 (--gc-dependents 10000); ` : ""}${base}; ${((watch.seen() * 1000) / Math.max(1, watch.lastAt() - t0)).toFixed(0)} deletes/s`,
      details: { n, seen: watch.seen(), left, seconds: allSeconds },
    });
  } else {
    const ownerSeconds = ownerGoneAt ? (ownerGoneAt - t0) / 1000 : null;
    rows.push({
      workload: W,
      metric: `GC: cascade of ${n.toLocaleString("en-US")} dependents (foreground), until the owner is gone`,
      value: ownerSeconds,
      unit: "s",
      target: { op: "<=", value: 10 },
      notes: `${base}; last dependent gone after ${allSeconds.toFixed(2)} s, the owner after ${ownerSeconds?.toFixed(2) ?? "—"} s (its DELETED after ${watch.ownerAfter()} of the dependents')`,
      details: { n, seen: watch.seen(), left, seconds: allSeconds, ownerSeconds },
    });
  }
  rows.push({
    workload: W,
    metric: `GC: ${policy.toLowerCase()} cascade: errors, dependents left${policy === "Foreground" ? ", owner gone before a dependent" : ""}`,
    value:
      failures.count +
      left +
      (created - watch.seen()) +
      (policy === "Foreground" && (!ownerGoneAt || watch.ownerAfter() !== created) ? 1 : 0),
    unit: "",
    target: { op: "==", value: 0 },
    notes: base,
  });
  return rows;
}

/** A background cascade of 1,000 dependents (not measured): run before the measured ones. */
async function warmUpCascade(ctx: Context, s: Session): Promise<void> {
  const ns = "cascade-warm-up";
  await ensureNamespace(s.client, ns);
  const path = configMapsPath(ns);
  const owner = await createOwner(s.client, path, "owner");
  await runPool(1000, ctx.sizes.createClients, async (i) => {
    await s.client.post(path, dependent(`w-${i}`, ns, ns, owner));
  });
  await s.client.request("DELETE", `${path}/owner`);
  const deadline = now() + 60_000;
  while (now() < deadline) {
    const r = await s.client.get(`${path}?labelSelector=gc-bench%3D${ns}&limit=1`);
    if ((JSON.parse(r.body) as { items: unknown[] }).items.length === 0) return;
    await Bun.sleep(100);
  }
}

/** Each cluster: a namespace, one owner, and its share of `total` dependents. Returns the count created. */
async function ownedAcrossClusters(ctx: Context, s: Session, failures: Failures) {
  const { gcObjects: total, gcClusters: clusters } = ctx.sizes;
  const per = Math.ceil(total / clusters);
  const owners: { name: string; uid: string }[] = [];
  // Namespaces and owners first (one request each per cluster), then the dependents in one pool.
  await runPool(clusters, ctx.sizes.clusterClients, async (c) => {
    const cluster = `gc-${c}`;
    await ensureNamespace(s.client, "team", cluster);
    owners[c] = await createOwner(s.client, configMapsPath("team", cluster), "owner");
  });
  const { usage } = await measured(s.kcp.pid, () =>
    runPool(total, ctx.sizes.clusterClients, async (i) => {
      const c = Math.floor(i / per);
      const cluster = `gc-${c}`;
      const r = await s.client.post(
        configMapsPath("team", cluster),
        dependent(`d-${i}`, "team", "owned", owners[c] as { name: string; uid: string }),
      );
      failures.check(r.status, 201, r.body);
    }),
  );
  return { usage, rate: (total * 1000) / usage.wallMs };
}

/** Settled VmRSS: after `ms` of quiet. */
async function settledRss(pid: number, ms: number): Promise<number> {
  await Bun.sleep(ms);
  return memoryOf(pid).rss;
}

/** Alternating rounds of creates without ownerReferences against the two servers. */
async function createsOffOn(ctx: Context, off: Session, on: Session) {
  const { creates, createClients } = ctx.sizes;
  const perRound = Math.max(1, Math.ceil(creates / 3));
  const failures = new Failures();
  const round = async (s: Session, prefix: string) => {
    const { usage } = await measured(s.kcp.pid, () =>
      runPool(perRound, createClients, async (i) => {
        const r = await s.client.post(configMapsPath("bench"), configMap(`${prefix}-${i}`, "bench"));
        failures.check(r.status, 201, r.body);
      }),
    );
    return (perRound * 1000) / usage.wallMs;
  };
  for (const s of [off, on]) await ensureNamespace(s.client, "bench");
  // Warm both request paths (JIT) before anything counts.
  for (let w = 0; w < 3; w++) {
    await round(off, `warm-${w}`);
    await round(on, `warm-${w}`);
  }
  const offRates: number[] = [];
  const onRates: number[] = [];
  const pairs = ctx.sizeName === "tiny" ? 2 : 6;
  for (let p = 0; p < pairs; p++) {
    // Alternate which goes first, so a drift in the machine's load hits both alike.
    if (p % 2 === 0) {
      offRates.push(await round(off, `obj-${p}`));
      onRates.push(await round(on, `obj-${p}`));
    } else {
      onRates.push(await round(on, `obj-${p}`));
      offRates.push(await round(off, `obj-${p}`));
    }
  }
  return { offRates, onRates, perRound, pairs, failures };
}

const rate = (x: number) => `${Math.round(x).toLocaleString("en-US")}/s`;

export const gcWorkload: Workload = {
  name: "gc",
  description: "garbage collector: cascade time, RSS per owned object, creates/s with it off vs on",
  async run(ctx: Context): Promise<Row[]> {
    // The collector-off server: the switch is read from the environment the server is spawned with.
    const prev = process.env.KCP_DISABLE_GC;
    process.env.KCP_DISABLE_GC = "1";
    let offKcp: Kcp;
    try {
      offKcp = await launchKcp({ label: "gc-off", ...(ctx.profiling ? { profiling: ctx.profiling } : {}) });
    } finally {
      if (prev === undefined) delete process.env.KCP_DISABLE_GC;
      else process.env.KCP_DISABLE_GC = prev;
    }
    const off: Session = { kcp: offKcp, client: new KcpClient(offKcp, { concurrency: CLIENTS(ctx) }) };
    try {
      return await withKcp(
        ctx,
        "gc-on",
        async (on) => {
          const rows: Row[] = [];
          // 1. Creates without ownerReferences, collector off vs on.
          const cmp = await createsOffOn(ctx, off, on);
          const offMedian = median(cmp.offRates);
          const onMedian = median(cmp.onRates);
          rows.push({
            workload: W,
            metric: `GC: creates/s without ownerReferences, collector on (${ctx.sizes.createClients} clients)`,
            value: onMedian,
            unit: "/s",
            raw: { name: "the same creates/s with the collector off (KCP_DISABLE_GC=1)", value: offMedian, unit: "/s" },
            ratio: onMedian / offMedian,
            // Rounds under 1,000 creates (the tiny size) are too short to tell 10 % apart: no target.
            ...(cmp.perRound >= 1000 ? { ratioTarget: { op: ">=" as const, value: 0.9 } } : {}),
            notes: `${cmp.perRound < 1000 ? "no target for rounds under 1,000 creates (noise); " : ""}medians of ${cmp.pairs} alternating rounds of ${cmp.perRound} creates after 3 × ${cmp.perRound} to warm up each; off ${cmp.offRates.map(rate).join(", ")}; on ${cmp.onRates.map(rate).join(", ")}`,
            details: { offRates: cmp.offRates, onRates: cmp.onRates, perRound: cmp.perRound },
          });
          rows.push({
            workload: W,
            metric: "GC: creates off/on: errors",
            value: cmp.failures.count,
            unit: "",
            target: { op: "==", value: 0 },
            notes: cmp.failures.note(),
          });
          ctx.log(`  creates off ${rate(offMedian)}, on ${rate(onMedian)} (${(onMedian / offMedian).toFixed(2)})`);

          // 2. Cascades (collector on), after a small one to warm up the collector's path: owned
          // creates no longer run it (an owner is read once, not once per dependent), so without
          // it the first cascade would measure JSC compiling that path as well.
          await warmUpCascade(ctx, on);
          for (const policy of ["Background", "Foreground"] as const) {
            const r = await cascade(ctx, on, policy);
            ctx.log(`  ${policy.toLowerCase()} cascade: ${r[0]?.value?.toFixed(2) ?? "—"} s`);
            rows.push(...r);
          }

          // 3. Owned objects across logical clusters: RSS growth on both servers.
          const { gcObjects: total, gcClusters: clusters } = ctx.sizes;
          const growth: Record<"off" | "on", { before: number; after: number; rate: number; usage: string }> = {
            off: { before: 0, after: 0, rate: 0, usage: "" },
            on: { before: 0, after: 0, rate: 0, usage: "" },
          };
          const failures = new Failures();
          // A settled RSS after 3 s of quiet (1 s at the tiny size, where it says little anyway).
          const settle = ctx.sizeName === "tiny" ? 1000 : 3000;
          for (const [name, s] of [
            ["off", off],
            ["on", on],
          ] as const) {
            // Warm up the paths an owned create takes (the collector's handlers included) first.
            await ensureNamespace(s.client, "team", "gc-warm-up");
            const warmOwner = await createOwner(s.client, configMapsPath("team", "gc-warm-up"), "owner");
            await runPool(200, CLIENTS(ctx), async (i) => {
              await s.client.post(configMapsPath("team", "gc-warm-up"), dependent(`w-${i}`, "team", "warm", warmOwner));
            });
            const before = await settledRss(s.kcp.pid, settle);
            const r = await ownedAcrossClusters(ctx, s, failures);
            const after = await settledRss(s.kcp.pid, settle);
            growth[name] = { before, after, rate: r.rate, usage: usageNote(r.usage) };
            ctx.log(
              `  ${total} owned objects (${name}): ${rate(r.rate)}, RSS ${mib(before).toFixed(0)} → ${mib(after).toFixed(0)} MiB`,
            );
          }
          // The collector holds them: deleting one cluster's owner collects its dependents.
          const probe = configMapsPath("team", "gc-0");
          const del = await on.client.request("DELETE", `${probe}/owner`);
          failures.check(del.status, 200, del.body);
          // 30 s, and 2 ms more per dependent (all in one cluster, it is a cascade of 100,000).
          const probeWaitMs = 30_000 + Math.ceil(total / clusters) * 2;
          const probeDeadline = now() + probeWaitMs;
          let probeLeft = -1;
          while (now() < probeDeadline) {
            const r = await on.client.get(`${probe}?labelSelector=gc-bench%3Downed`);
            probeLeft = (JSON.parse(r.body) as { items: unknown[] }).items.length;
            if (probeLeft === 0) break;
            await Bun.sleep(200);
          }
          const perObject = (g: { before: number; after: number }) => (g.after - g.before) / total;
          const collectorShare = perObject(growth.on) - perObject(growth.off);
          const scale =
            clusters === 1
              ? `${total.toLocaleString("en-US")} dependents of one owner, one logical cluster`
              : `${total.toLocaleString("en-US")} dependents of ${clusters.toLocaleString("en-US")} owners in as many logical clusters`;
          rows.push(
            {
              workload: W,
              metric: `GC: RSS growth per owned object, collector on (${scale})`,
              value: Math.round(perObject(growth.on)),
              unit: "B",
              notes: `VmRSS ${mib(growth.on.before).toFixed(0)} → ${mib(growth.on.after).toFixed(0)} MiB, settled ${settle / 1000} s; created at ${rate(growth.on.rate)}; ${growth.on.usage}. Info: includes SQLite's page cache and the heap's slack, not only the collector`,
              details: growth.on,
            },
            {
              workload: W,
              metric: "GC: RSS growth per owned object, collector off (the same writes)",
              value: Math.round(perObject(growth.off)),
              unit: "B",
              notes: `VmRSS ${mib(growth.off.before).toFixed(0)} → ${mib(growth.off.after).toFixed(0)} MiB; created at ${rate(growth.off.rate)}; ${growth.off.usage}`,
              details: growth.off,
            },
            {
              workload: W,
              metric: "GC: the collector's RSS per owned object (on − off)",
              value: Math.round(collectorShare),
              unit: "B",
              // Graph node + edge (~260 B of heap, the fields it reads included) per object, with
              // room for the heap's slack; at the tiny size a MiB of noise is 500 B per object.
              // Below 50,000 objects a MiB of the heap's slack is 20 B or more per object: no target.
              ...(total >= 50_000 ? { target: { op: "<=" as const, value: 1024 } } : {}),
              notes: `${total < 50_000 ? "no target below 50,000 objects (RSS noise); " : ""}${kib(collectorShare * total).toFixed(0)} KiB over ${total.toLocaleString("en-US")} objects; the graph keeps ~260 B of heap per owned object (test/unit/gc-graph.test.ts)`,
            },
            {
              workload: W,
              metric: "GC: owned objects: errors, dependents not collected",
              value: failures.count + Math.max(0, probeLeft),
              unit: "",
              target: { op: "==", value: 0 },
              notes: `${failures.note()}; ${probeLeft} dependents of gc-0's owner left ${(probeWaitMs / 1000).toFixed(0)} s at most after it was deleted`,
            },
          );
          return rows;
        },
        { concurrency: CLIENTS(ctx) },
      );
    } finally {
      off.client.close();
      await offKcp.stop();
      removeDir(offKcp.rootDir);
    }
  },
};
