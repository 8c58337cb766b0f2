// small-device: what a small arm64 device needs to run the release binary, measured on this
// machine. The linux-arm64 binary runs under qemu-aarch64 (Debian's qemu-user, with the arm64
// glibc of libc6-arm64-cross); the linux-x64 binary of the same build runs natively beside it, so
// each figure comes with its x64 counterpart from the same run and their ratio.
//
// Measured for each: spawn → /readyz 200 on an empty (existing) root directory, idle RSS; then on
// a root directory holding `listSmall` 1 KiB ConfigMaps (10,000 at the small and default sizes,
// loaded over HTTPS by the x64 binary, then copied for each): spawn → /readyz, RSS settled after
// start, the time of one full LIST of them, and RSS after that LIST.
//
// Under emulation VmRSS also counts qemu itself: its code, its malloc heap of translated-block
// metadata and its buffer of translated code (together well over 100 MiB). The arm64 rows report
// the guest's share instead, from /proc/<pid>/smaps: every mapping except qemu's heap ([heap]; the
// guest's malloc lives in its own mappings), anonymous executable mappings (qemu's code buffer;
// the guest's JIT has none on x64 either), and qemu's binary and host libraries. The full VmRSS is
// in the notes. On hardware the guest's share is what the process would take.

import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildBinary, buildStamp } from "../build.ts";
import { configMap, configMapsPath, ensureNamespace, KcpClient, runPool } from "./client.ts";
import { type Kcp, launchKcp, removeDir, tempDir } from "./kcp-launcher.ts";
import { memoryOf } from "./proc.ts";
import { mib, now, summarize } from "./stats.ts";
import type { Context, Row, Workload } from "./types.ts";
import { skippedRow } from "./types.ts";

const W = "small-device";
const QEMU = "/usr/bin/qemu-aarch64";
const ARM64_SYSROOT = "/usr/aarch64-linux-gnu";
/** Emulated starts take seconds, not milliseconds. */
const START_TIMEOUT_MS = 180_000;
/** Let the collector and lazy initialisation settle before reading RSS. */
const SETTLE_MS = 3000;

interface Platform {
  name: string;
  executable: string;
  emulated: boolean;
}

interface Figures {
  emptyStartMs: number[];
  /** RSS (the guest's share under emulation) and the process's whole VmRSS, bytes. */
  idleRss: number;
  idleVmRss: number;
  dataStartMs: number[];
  dataRss: number;
  dataVmRss: number;
  listMs: number;
  listRss: number;
  listVmRss: number;
  /** VmHWM after the LIST (qemu's memory included under emulation). */
  listPeak: number;
}

function missingReason(): string | null {
  if (!existsSync(QEMU)) return `${QEMU} not found (apt-get install qemu-user)`;
  if (!existsSync(join(ARM64_SYSROOT, "lib", "ld-linux-aarch64.so.1")))
    return `${ARM64_SYSROOT} has no arm64 glibc (apt-get install libc6-arm64-cross)`;
  if (process.platform !== "linux" || process.arch !== "x64") return "needs a linux x64 machine";
  return null;
}

const METRICS: [string, string][] = [
  ["start → /readyz, empty, existing root dir", "ms"],
  ["idle RSS", "MiB"],
  ["start → /readyz, {n} ConfigMaps", "ms"],
  ["RSS with {n} ConfigMaps, after start", "MiB"],
  ["full LIST of {n} ConfigMaps", "ms"],
  ["RSS with {n} ConfigMaps, after a full LIST", "MiB"],
];

/** RSS of `pid` less qemu's own mappings when it is emulated (see the header). */
function rssOf(pid: number, emulated: boolean): number {
  if (!emulated) return memoryOf(pid).rss;
  let total = 0;
  let skip = false;
  for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    const head = /^[0-9a-f]+-[0-9a-f]+ (\S+) \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head) {
      const [, perms = "", path = ""] = head;
      skip =
        path === "[heap]" ||
        (path === "" && perms.includes("x")) ||
        path === QEMU ||
        path.includes("/x86_64-linux-gnu/");
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && !skip) total += Number(rss[1]) * 1024;
  }
  return total;
}

/** Start `runs` + 1 times on `rootDir` (the first, which may make certificates, is not counted). */
async function timedStarts(
  p: Platform,
  rootDir: string,
  runs: number,
  atFirst: (kcp: Kcp) => Promise<void>,
): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs + 1; i++) {
    const kcp = await launchKcp({
      rootDir,
      timeReady: true,
      executable: p.executable,
      label: W,
      timeoutMs: START_TIMEOUT_MS,
    });
    try {
      if (i > 0) times.push(kcp.readyMs ?? Number.NaN);
      if (i === 1) await atFirst(kcp);
    } finally {
      await kcp.stop();
    }
  }
  return times;
}

async function measure(ctx: Context, p: Platform, dataRoot: string, objects: number): Promise<Figures> {
  const runs = Math.max(1, Math.min(ctx.sizes.startRuns, 3));
  ctx.log(`  ${W}: ${p.name}: ${runs + 1} starts on an empty root dir`);
  const empty = tempDir("kcp-bench-device-");
  let idleRss = 0;
  let idleVmRss = 0;
  let emptyStartMs: number[];
  try {
    emptyStartMs = await timedStarts(p, empty, runs, async (kcp) => {
      await Bun.sleep(SETTLE_MS);
      idleRss = rssOf(kcp.pid, p.emulated);
      idleVmRss = memoryOf(kcp.pid).rss;
    });
  } finally {
    removeDir(empty);
  }

  ctx.log(`  ${W}: ${p.name}: ${runs + 1} starts on ${objects} ConfigMaps, one full LIST`);
  const data = tempDir("kcp-bench-device-data-");
  let dataRss = 0;
  let dataVmRss = 0;
  let listMs = 0;
  let listRss = 0;
  let listVmRss = 0;
  let listPeak = 0;
  try {
    cpSync(dataRoot, data, { recursive: true });
    const dataStartMs = await timedStarts(p, data, runs, async (kcp) => {
      await Bun.sleep(SETTLE_MS);
      dataRss = rssOf(kcp.pid, p.emulated);
      dataVmRss = memoryOf(kcp.pid).rss;
      const client = new KcpClient(kcp);
      try {
        const r = await client.get(configMapsPath("small"));
        if (r.status !== 200) throw new Error(`LIST: HTTP ${r.status} ${r.body.slice(0, 200)}`);
        const items = (JSON.parse(r.body) as { items: unknown[] }).items.length;
        if (items !== objects) throw new Error(`LIST returned ${items} ConfigMaps, expected ${objects}`);
        listMs = r.ms;
      } finally {
        client.close();
      }
      await Bun.sleep(SETTLE_MS);
      const m = memoryOf(kcp.pid);
      listRss = rssOf(kcp.pid, p.emulated);
      listVmRss = m.rss;
      listPeak = m.hwm;
    });
    return { emptyStartMs, idleRss, idleVmRss, dataStartMs, dataRss, dataVmRss, listMs, listRss, listVmRss, listPeak };
  } finally {
    removeDir(data);
  }
}

/** A root directory holding `objects` ConfigMaps in namespace "small", written by `loader`. */
async function loadData(ctx: Context, loader: string, objects: number): Promise<string> {
  const rootDir = join(ctx.scratch, "small-device-data");
  mkdirSync(rootDir, { recursive: true });
  ctx.log(`  ${W}: loading ${objects} ConfigMaps with the x64 binary`);
  const kcp = await launchKcp({ rootDir, executable: loader, label: W });
  const concurrency = ctx.sizes.loadClients;
  const client = new KcpClient(kcp, { concurrency });
  try {
    await ensureNamespace(client, "small");
    let failed = 0;
    let sample = "";
    await runPool(objects, concurrency, async (i) => {
      const r = await client.post(configMapsPath("small"), configMap(`obj-${String(i).padStart(7, "0")}`, "small"));
      if (r.status !== 201) {
        failed++;
        sample ||= `HTTP ${r.status} ${r.body.slice(0, 200)}`;
      }
    });
    if (failed) throw new Error(`${failed} creates failed: ${sample}`);
  } finally {
    client.close();
    await kcp.stop();
  }
  return rootDir;
}

export const smallDeviceWorkload: Workload = {
  name: W,
  description: "the linux-arm64 binary under qemu-aarch64 against linux-x64: start time, idle RSS, RSS with N objects",
  async run(ctx: Context): Promise<Row[]> {
    const objects = ctx.sizes.listSmall;
    const named = METRICS.map(([m, unit]) => [m.replace("{n}", objects.toLocaleString("en-US")), unit] as const);
    const why = missingReason() ?? (ctx.build ? null : "builds two release binaries and building was turned off");
    if (why) return named.map(([m, unit]) => skippedRow(W, m, unit, why));

    const dir = join(ctx.scratch, "small-device");
    const stamp = buildStamp();
    const x64 = join(dir, "kcp-linux-x64");
    const arm64 = join(dir, "kcp-linux-arm64");
    ctx.log(`  ${W}: building the linux-x64 and linux-arm64 binaries`);
    const t0 = now();
    await buildBinary(x64, "bun-linux-x64", stamp);
    await buildBinary(arm64, "bun-linux-arm64", stamp);
    ctx.log(`  ${W}: built in ${((now() - t0) / 1000).toFixed(1)} s`);
    // exec: the process launchKcp spawns becomes qemu itself, so its pid is the one to measure.
    const wrapper = join(dir, "kcp-arm64-qemu");
    writeFileSync(wrapper, `#!/bin/sh\nexec ${QEMU} -L ${ARM64_SYSROOT} ${arm64} "$@"\n`, { mode: 0o755 });

    const dataRoot = await loadData(ctx, x64, objects);
    const native = await measure(ctx, { name: "linux-x64", executable: x64, emulated: false }, dataRoot, objects);
    const emulated = await measure(
      ctx,
      { name: "linux-arm64 under qemu", executable: wrapper, emulated: true },
      dataRoot,
      objects,
    );

    const median = (xs: number[]) => summarize(xs).p50;
    const vm = (bytes: number) => `qemu's VmRSS ${mib(bytes).toFixed(0)} MiB`;
    const pairs: [number, number, string][] = [
      [median(emulated.emptyStartMs), median(native.emptyStartMs), `median of ${emulated.emptyStartMs.length}`],
      [mib(emulated.idleRss), mib(native.idleRss), `${SETTLE_MS / 1000} s after /readyz; ${vm(emulated.idleVmRss)}`],
      [median(emulated.dataStartMs), median(native.dataStartMs), `median of ${emulated.dataStartMs.length}`],
      [mib(emulated.dataRss), mib(native.dataRss), `${SETTLE_MS / 1000} s after /readyz; ${vm(emulated.dataVmRss)}`],
      [emulated.listMs, native.listMs, "one GET, x64 client, 1 KiB objects"],
      [
        mib(emulated.listRss),
        mib(native.listRss),
        `${vm(emulated.listVmRss)}; x64 peak ${mib(native.listPeak).toFixed(1)} MiB`,
      ],
    ];
    return named.map(([metric, unit], i) => {
      const [value, raw, note] = pairs[i] as [number, number, string];
      return {
        workload: W,
        metric: `${metric}, arm64 (qemu)`,
        value,
        unit,
        raw: { name: "linux-x64 binary, same run", value: raw, unit },
        ratio: value / raw,
        notes: note,
        details: { native, emulated },
      };
    });
  },
};
