// `npm run bench [-- <workload>… ] [--size tiny|small|default|large] [--<count> <n>]…`
//
// Starts kcp itself (bun src/main.ts start on a temporary root directory and a free loopback
// port) for each workload, drives it over HTTPS with keep-alive connections, and prints a table
// of results against the targets, each throughput or latency also as a ratio to the raw part
// (bun:sqlite, etcd, a bare Bun HTTPS server, a compiled hello-world) measured in the same run.
// Writes everything to bench-results/<date>.json (or --out). The workloads are in scripts/bench/.
//
// The benchmark client and the server share this machine's cores; the table says how many.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { binaryWorkload } from "./bench/binary.ts";
import { breakdownWorkload } from "./bench/breakdown.ts";
import { clustersWorkload } from "./bench/clusters.ts";
import { createsWorkload } from "./bench/creates.ts";
import { etcdWorkload } from "./bench/etcd.ts";
import { fairnessWorkload } from "./bench/fairness.ts";
import { gcWorkload } from "./bench/gc.ts";
import { rbacWorkload } from "./bench/rbac.ts";
import { smallDeviceWorkload } from "./bench/small-device.ts";
import { REPO } from "./bench/kcp-launcher.ts";
import { latencyWorkload } from "./bench/latency.ts";
import { list10kWorkload } from "./bench/list-10k.ts";
import { list100kWorkload } from "./bench/list-100k.ts";
import { page500Workload } from "./bench/page-500.ts";
import { loadAverage, machineInfo } from "./bench/proc.ts";
import { type Header, renderMarkdown, renderTerminal } from "./bench/report.ts";
import { start100kWorkload } from "./bench/start-100k.ts";
import { stallWorkload } from "./bench/stall.ts";
import { startupWorkload } from "./bench/startup.ts";
import { storageWorkload } from "./bench/storage.ts";
import { syncerWorkload } from "./bench/syncer.ts";
import { pushSyncersWorkload } from "./bench/push-syncers.ts";
import {
  type Context,
  type Row,
  SIZE_NAMES,
  SIZES,
  type SizeName,
  type Sizes,
  verdict,
  type Workload,
} from "./bench/types.ts";
import { watchWorkload } from "./bench/watch.ts";
import { writersWorkload } from "./bench/writers.ts";

/** In the order a full run takes them: the list workloads together, since they share a server. */
export const WORKLOADS: Workload[] = [
  createsWorkload,
  latencyWorkload,
  writersWorkload,
  startupWorkload,
  start100kWorkload,
  list100kWorkload,
  list10kWorkload,
  page500Workload,
  watchWorkload,
  clustersWorkload,
  syncerWorkload,
  pushSyncersWorkload,
  gcWorkload,
  rbacWorkload,
  fairnessWorkload,
  stallWorkload,
  etcdWorkload,
  storageWorkload,
  breakdownWorkload,
  binaryWorkload,
  smallDeviceWorkload,
];

const DATASET_WORKLOADS = new Set(["start-100k", "list-100k", "list-10k", "page-500"]);

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function usage(): string {
  const counts = Object.keys(SIZES.default)
    .map((k) => `--${kebab(k)}`)
    .join(" ");
  return [
    "usage: npm run bench -- [workload…] [--size tiny|small|default|large] [--<count> <n>]…",
    "                        [--out <file.json>] [--cpu-prof <dir>] [--heap-snapshot <dir>] [--no-build] [--update-doc]",
    "",
    "  --cpu-prof <dir>       run each kcp under bun --cpu-prof (summarise with scripts/bench/profile-summary.ts)",
    "  --heap-snapshot <dir>  write a heap snapshot of each kcp before it stops (scripts/bench/heap-summary.ts)",
    "  --update-doc           put the table into docs/performance.md (between its bench:table markers)",
    "  --render <file.json>   print (and with --update-doc, write) the table of an earlier run; runs nothing",
    "",
    "workloads (all by default, in this order):",
    ...WORKLOADS.map((w) => `  ${w.name.padEnd(11)} ${w.description}`),
    "",
    `counts (override the size's): ${counts}`,
    "",
    "sizes:",
    ...SIZE_NAMES.map(
      (n) =>
        `  ${n.padEnd(8)} ${n === "default" ? "the targets' sizes, shortened where the task allows (200 writers for 10 s, 2,000 logical clusters); about 2 min on 2 cores" : n === "large" ? "the targets' full sizes (200 writers for 30 s, 10,000 logical clusters)" : n === "small" ? "quick look (about a minute)" : "seconds; the smoke test's size (checks correctness, not speed)"}`,
    ),
  ].join("\n");
}

interface Options {
  names: string[];
  sizeName: SizeName;
  sizes: Sizes;
  out: string;
  cpuProf?: string;
  heapSnapshot?: string;
  build: boolean;
  updateDoc: boolean;
  render?: string;
}

const DOC = join(REPO, "docs", "performance.md");
const DOC_START = "<!-- bench:table:start -->";
const DOC_END = "<!-- bench:table:end -->";

/** Replace the table between the markers of docs/performance.md; false if the doc has no markers. */
function updateDoc(markdown: string, resultsFile: string): boolean {
  if (!existsSync(DOC)) return false;
  const doc = readFileSync(DOC, "utf8");
  const a = doc.indexOf(DOC_START);
  const b = doc.indexOf(DOC_END);
  if (a < 0 || b < a) return false;
  const body = `${DOC_START}\n${markdown}\n\nFull results: \`${resultsFile.startsWith(REPO) ? resultsFile.slice(REPO.length + 1) : resultsFile}\`.\n`;
  writeFileSync(DOC, doc.slice(0, a) + body + doc.slice(b));
  return true;
}

function parse(argv: string[]): Options | null {
  const countOptions = Object.fromEntries(
    Object.keys(SIZES.default).map((k) => [kebab(k), { type: "string" as const }]),
  );
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      size: { type: "string", default: "default" },
      out: { type: "string" },
      "cpu-prof": { type: "string" },
      "heap-snapshot": { type: "string" },
      "no-build": { type: "boolean", default: false },
      "update-doc": { type: "boolean", default: false },
      render: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
      ...countOptions,
    },
  });
  if (values.help) return null;
  const sizeName = values.size as SizeName;
  if (!SIZE_NAMES.includes(sizeName)) throw new Error(`unknown --size ${sizeName} (one of ${SIZE_NAMES.join(", ")})`);
  const sizes: Sizes = { ...SIZES[sizeName] };
  for (const key of Object.keys(sizes) as (keyof Sizes)[]) {
    const v = (values as Record<string, unknown>)[kebab(key)];
    if (typeof v === "string") {
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`--${kebab(key)} must be a positive number`);
      sizes[key] = n;
    }
  }
  const known = new Set(WORKLOADS.map((w) => w.name));
  const names = positionals.length === 0 || positionals.includes("all") ? WORKLOADS.map((w) => w.name) : positionals;
  for (const n of names)
    if (!known.has(n)) throw new Error(`unknown workload "${n}" (one of ${[...known].join(", ")})`);
  const stamp = new Date()
    .toISOString()
    .replace(/:/g, "-")
    .replace(/\.\d+Z$/, "Z");
  return {
    names,
    sizeName,
    sizes,
    out: resolve(values.out ?? join(REPO, "bench-results", `${stamp}.json`)),
    ...(values["cpu-prof"] ? { cpuProf: resolve(values["cpu-prof"]) } : {}),
    ...(values["heap-snapshot"] ? { heapSnapshot: resolve(values["heap-snapshot"]) } : {}),
    build: !values["no-build"],
    updateDoc: values["update-doc"] === true,
    ...(values.render ? { render: resolve(values.render) } : {}),
  };
}

export async function main(argv: string[]): Promise<number> {
  let opts: Options | null;
  try {
    opts = parse(argv);
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${usage()}`);
    return 2;
  }
  if (!opts) {
    console.log(usage());
    return 0;
  }
  if (opts.render) {
    const saved = JSON.parse(readFileSync(opts.render, "utf8")) as Header & { rows: Row[] };
    console.log(renderTerminal(saved.rows, saved));
    if (opts.updateDoc)
      console.log(
        updateDoc(renderMarkdown(saved.rows, saved), opts.render)
          ? `table written to ${DOC}`
          : `${DOC} has no markers: not updated`,
      );
    return 0;
  }
  const machine = machineInfo();
  const startedAt = new Date();
  const t0 = performance.now();
  const scratch = mkdtempSync(join(tmpdir(), "kcp-bench-"));
  const memo = new Map<string, Promise<unknown>>();
  const deferred: { fn: () => Promise<void> | void; key?: string }[] = [];
  const log = (m: string) => console.error(m);
  const runDeferred = async (key?: string) => {
    for (let i = deferred.length - 1; i >= 0; i--) {
      const d = deferred[i] as (typeof deferred)[number];
      if (key !== undefined && d.key !== key) continue;
      deferred.splice(i, 1);
      try {
        await d.fn();
      } catch (e) {
        log(`clean-up failed: ${(e as Error).message}`);
      }
    }
  };
  const profiling =
    opts.cpuProf || opts.heapSnapshot
      ? {
          ...(opts.cpuProf ? { cpuDir: opts.cpuProf } : {}),
          ...(opts.heapSnapshot ? { heapDir: opts.heapSnapshot } : {}),
        }
      : undefined;
  const ctx: Context = {
    sizes: opts.sizes,
    sizeName: opts.sizeName,
    profiling,
    build: opts.build,
    log,
    once<T>(key: string, fn: () => Promise<T>): Promise<T> {
      let p = memo.get(key) as Promise<T> | undefined;
      if (!p) {
        p = fn();
        memo.set(key, p);
      }
      return p;
    },
    selected: new Set(opts.names),
    scratch,
    defer(fn, key) {
      deferred.push(key === undefined ? { fn } : { fn, key });
    },
  };

  log(
    `kcp bench: ${opts.names.join(", ")} (size ${opts.sizeName}); ${machine.nproc} cores shared by the benchmark client and the server`,
  );
  // Other work on the machine skews every figure: say so up front and in the results.
  const loadBefore = loadAverage();
  if (loadBefore[0] > machine.nproc / 4) {
    log(
      `warning: load average is ${loadBefore[0]} before the run: other processes compete for the ${machine.nproc} cores, expect lower and noisier figures`,
    );
  }
  const rows: Row[] = [];
  const timings: Record<string, number> = {};
  const selected = WORKLOADS.filter((w) => ctx.selected.has(w.name));
  const lastDataset = selected.filter((w) => DATASET_WORKLOADS.has(w.name)).at(-1)?.name;
  let crashed = false;
  try {
    for (const w of selected) {
      log(`▶ ${w.name}: ${w.description}`);
      const ws = performance.now();
      try {
        const got = await w.run(ctx);
        rows.push(...got);
        for (const r of got)
          log(
            `  ${verdict(r).padEnd(7)} ${r.metric}: ${r.skipped !== undefined ? `skipped: ${r.skipped}` : `${r.value === null ? "—" : r.value.toFixed(2)} ${r.unit}`}`,
          );
      } catch (e) {
        crashed = true;
        const msg = (e as Error).stack ?? String(e);
        log(`  FAILED: ${msg}`);
        rows.push({
          workload: w.name,
          metric: `${w.name}: run`,
          value: null,
          unit: "",
          error: (e as Error).message.slice(0, 500),
        });
      }
      timings[w.name] = (performance.now() - ws) / 1000;
      if (w.name === lastDataset) await runDeferred("dataset-server");
    }
  } finally {
    await runDeferred();
    rmSync(scratch, { recursive: true, force: true });
  }
  const seconds = (performance.now() - t0) / 1000;
  const header = {
    date: startedAt.toISOString(),
    size: opts.sizeName,
    machine,
    shared: `the benchmark client and the server share ${machine.nproc} cores`,
    loadAverage: { before: loadBefore, after: loadAverage() },
    durationSeconds: Math.round(seconds * 10) / 10,
  };
  console.log(renderTerminal(rows, header));
  mkdirSync(dirname(opts.out), { recursive: true });
  const json = {
    ...header,
    workloads: opts.names,
    sizes: opts.sizes,
    workloadSeconds: timings,
    ...(opts.cpuProf ? { cpuProfiles: opts.cpuProf } : {}),
    rows: rows.map((r) => ({ ...r, verdict: verdict(r) })),
    markdown: renderMarkdown(rows, header),
  };
  writeFileSync(opts.out, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`\nresults: ${opts.out} (${seconds.toFixed(0)} s)`);
  if (opts.updateDoc)
    console.log(
      updateDoc(json.markdown, opts.out)
        ? `table written to ${DOC}`
        : `${DOC} has no ${DOC_START} … ${DOC_END} markers: not updated`,
    );
  return crashed ? 1 : 0;
}

if (import.meta.main) {
  process.exit(await main(process.argv.slice(2)));
}
