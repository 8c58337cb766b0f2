// What a workload is, what it reports, and the sizes each run uses.

import type { Profiling } from "./kcp-launcher.ts";

export const SIZE_NAMES = ["tiny", "small", "default", "large"] as const;
export type SizeName = (typeof SIZE_NAMES)[number];

/** Every count a workload uses; each can be overridden on the command line (--<name> <n>). */
export interface Sizes {
  /** creates: objects created, and concurrent clients. */
  creates: number;
  createClients: number;
  /** latency: requests per second, seconds, and objects updated round-robin. */
  latencyRate: number;
  latencySeconds: number;
  /** writers: concurrent writers and how long they write. */
  writers: number;
  writerSeconds: number;
  /** lists: objects in the small and large namespaces, and repeats of each measurement. */
  listSmall: number;
  listLarge: number;
  listRepeats: number;
  largeListRepeats: number;
  pageRepeats: number;
  /** Clients that load the list data set. */
  loadClients: number;
  /** watch: concurrent watch streams, events written, and their rate per second. */
  watchers: number;
  watchEvents: number;
  watchRate: number;
  /** startup: runs of each start-up measurement. */
  startRuns: number;
  /** clusters: logical clusters created (each with a namespace and 3 ConfigMaps) and clients. */
  clusters: number;
  clusterClients: number;
  /** raw parts: single-row SQLite commits, rows for the raw range reads, etcd puts. */
  rawCommits: number;
  etcdPuts: number;
  etcdWatchEvents: number;
  /** binary: runs of `kcp version`. */
  versionRuns: number;
  /** syncer: objects in the initial sync, writes per second and seconds of the latency run, status writes per second. */
  syncObjects: number;
  syncRate: number;
  syncSeconds: number;
  statusRate: number;
  /** push-syncers: Clusters (push-mode syncers) in one kcp. */
  pushSyncers: number;
  /** gc: dependents of the one owner of a cascade; owned objects, and the logical clusters they are spread over. */
  gcDependents: number;
  gcObjects: number;
  gcClusters: number;
}

export const SIZES: Record<SizeName, Sizes> = {
  tiny: {
    creates: 200,
    createClients: 8,
    latencyRate: 50,
    latencySeconds: 1,
    writers: 20,
    writerSeconds: 2,
    listSmall: 300,
    listLarge: 1000,
    listRepeats: 2,
    largeListRepeats: 1,
    pageRepeats: 3,
    loadClients: 16,
    watchers: 10,
    watchEvents: 6,
    watchRate: 20,
    startRuns: 1,
    clusters: 10,
    clusterClients: 8,
    rawCommits: 300,
    etcdPuts: 200,
    etcdWatchEvents: 5,
    versionRuns: 2,
    syncObjects: 200,
    syncRate: 50,
    syncSeconds: 1,
    statusRate: 20,
    pushSyncers: 5,
    gcDependents: 200,
    gcObjects: 2_000,
    gcClusters: 20,
  },
  small: {
    creates: 3000,
    createClients: 32,
    latencyRate: 200,
    latencySeconds: 5,
    writers: 200,
    writerSeconds: 5,
    listSmall: 10_000,
    listLarge: 20_000,
    listRepeats: 5,
    largeListRepeats: 2,
    pageRepeats: 20,
    loadClients: 48,
    watchers: 200,
    watchEvents: 50,
    watchRate: 20,
    startRuns: 3,
    clusters: 500,
    clusterClients: 32,
    rawCommits: 5000,
    etcdPuts: 3000,
    etcdWatchEvents: 50,
    versionRuns: 5,
    syncObjects: 2000,
    syncRate: 100,
    syncSeconds: 5,
    statusRate: 50,
    pushSyncers: 20,
    gcDependents: 2_000,
    gcObjects: 20_000,
    gcClusters: 200,
  },
  default: {
    creates: 15_000,
    createClients: 32,
    latencyRate: 200,
    latencySeconds: 10,
    writers: 200,
    writerSeconds: 10,
    listSmall: 10_000,
    listLarge: 100_000,
    listRepeats: 10,
    largeListRepeats: 3,
    pageRepeats: 50,
    loadClients: 48,
    watchers: 1000,
    watchEvents: 200,
    watchRate: 20,
    startRuns: 5,
    clusters: 2000,
    clusterClients: 32,
    rawCommits: 20_000,
    etcdPuts: 10_000,
    etcdWatchEvents: 200,
    versionRuns: 10,
    syncObjects: 10_000,
    syncRate: 100,
    syncSeconds: 10,
    statusRate: 50,
    pushSyncers: 100,
    gcDependents: 10_000,
    gcObjects: 100_000,
    gcClusters: 1_000,
  },
  large: {
    creates: 50_000,
    createClients: 32,
    latencyRate: 200,
    latencySeconds: 30,
    writers: 200,
    writerSeconds: 30,
    listSmall: 10_000,
    listLarge: 100_000,
    listRepeats: 20,
    largeListRepeats: 5,
    pageRepeats: 200,
    loadClients: 48,
    watchers: 1000,
    watchEvents: 1000,
    watchRate: 20,
    startRuns: 10,
    clusters: 10_000,
    clusterClients: 32,
    rawCommits: 50_000,
    etcdPuts: 30_000,
    etcdWatchEvents: 500,
    versionRuns: 20,
    syncObjects: 10_000,
    syncRate: 100,
    syncSeconds: 30,
    statusRate: 50,
    pushSyncers: 100,
    gcDependents: 10_000,
    gcObjects: 100_000,
    gcClusters: 1_000,
  },
};

export type Comparison = ">=" | "<=" | "==";

export interface Target {
  op: Comparison;
  value: number;
}

/** One line of the result table. */
export interface Row {
  workload: string;
  metric: string;
  /** null when skipped or not measurable. */
  value: number | null;
  unit: string;
  /** The target on `value`, if any. */
  target?: Target;
  /** The raw part this row is compared with, measured in the same run. */
  raw?: { name: string; value: number; unit: string };
  /** value ÷ raw.value (for latencies: how many times slower than the raw part). */
  ratio?: number;
  /** A target on `ratio` (e.g. ≥ 0.3 of raw SQLite commits). */
  ratioTarget?: Target;
  /** Why the row was not measured. */
  skipped?: string;
  /** The workload failed with this error (the row is a FAIL). */
  error?: string;
  /** Short extra facts for the table (errors, counts, connections). */
  notes?: string;
  /** Everything else worth keeping in the JSON. */
  details?: Record<string, unknown>;
}

export type Verdict = "pass" | "FAIL" | "info" | "skipped";

function meets(v: number, t: Target): boolean {
  if (t.op === ">=") return v >= t.value;
  if (t.op === "<=") return v <= t.value;
  return v === t.value;
}

export function verdict(row: Row): Verdict {
  if (row.error !== undefined) return "FAIL";
  if (row.skipped !== undefined) return "skipped";
  if (!row.target && !row.ratioTarget) return "info";
  if (row.value === null || Number.isNaN(row.value)) return "FAIL";
  if (row.target && !meets(row.value, row.target)) return "FAIL";
  if (row.ratioTarget && (row.ratio === undefined || !meets(row.ratio, row.ratioTarget))) return "FAIL";
  return "pass";
}

/** The raw parts, measured once per run and shared by every row that compares with them. */
export interface RawSqlite {
  /** Single-row commits per second (one INSERT per transaction), WAL + synchronous=NORMAL; best of 5 trials. */
  commitsPerSec: number;
  commitP50Ms: number;
  commitP99Ms: number;
  /** Rows per second when committing 1,000 rows per transaction. */
  batchedRowsPerSec: number;
  /** Milliseconds to read every row of a key range of listSmall / listLarge rows (bun:sqlite .all()); fastest of several. */
  rangeSmallMs: number;
  rangeLargeMs: number;
  /** Milliseconds to read 500 rows from the middle of listLarge rows. */
  pageMs: number;
  rows: { commits: number; small: number; large: number };
}

export interface RawEtcd {
  putsPerSec: number;
  putP99Ms: number;
  watchP50Ms: number;
  watchP99Ms: number;
  endpoint: string;
}

export interface Dataset {
  rootDir: string;
  small: number;
  large: number;
  /** Total objects stored (both namespaces). */
  objects: number;
  loadSeconds: number;
  loadPerSec: number;
}

export interface Context {
  sizes: Sizes;
  sizeName: SizeName;
  profiling: Profiling | undefined;
  /** Build dist/kcp when missing or stale (the smoke test turns it off). */
  build: boolean;
  log(message: string): void;
  /** Run `fn` once per run and share its result (raw parts, the list data set). */
  once<T>(key: string, fn: () => Promise<T>): Promise<T>;
  /** Workloads selected in this run (a fixture may size itself by them). */
  selected: ReadonlySet<string>;
  /** Directory for per-run scratch data, removed at the end. */
  scratch: string;
  /**
   * A clean-up to run at the end of the run (last registered first), or earlier when the runner
   * releases its `key` (the list data set's server is stopped once the list workloads are done).
   */
  defer(fn: () => Promise<void> | void, key?: string): void;
}

export interface Workload {
  name: string;
  description: string;
  run(ctx: Context): Promise<Row[]>;
}

export function skippedRow(workload: string, metric: string, unit: string, why: string, target?: Target): Row {
  return { workload, metric, value: null, unit, skipped: why, ...(target ? { target } : {}) };
}
