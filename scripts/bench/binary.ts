// binary: the single executable (dist/kcp, rebuilt with scripts/build.ts when missing or older
// than any file under src/): its size, and the wall time of `kcp version` from spawn to exit
// (median). The raw part is a compiled one-line program, the floor of any Bun executable.
// Target: `kcp version` ≤ 50 ms.

import { readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUN, launchKcp, REPO, removeDir, tempDir } from "./kcp-launcher.ts";
import { memoryOf } from "./proc.ts";
import { mib, now, summarize } from "./stats.ts";
import type { Context, Row, Workload } from "./types.ts";
import { skippedRow } from "./types.ts";

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    const t = e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs;
    if (t > newest) newest = t;
  }
  return newest;
}

function mtimeOrZero(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

async function timeRuns(cmd: string[], runs: number, expect: RegExp): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs + 1; i++) {
    const t0 = now();
    const proc = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" });
    const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
    const ms = now() - t0;
    if (code !== 0 || !expect.test(out))
      throw new Error(`${cmd.join(" ")}: exit ${code}, output ${JSON.stringify(out.slice(0, 200))}`);
    // The first run pays for reading the executable into the page cache; it is not counted.
    if (i > 0) times.push(ms);
  }
  return times;
}

export const binaryWorkload: Workload = {
  name: "binary",
  description: "size of dist/kcp and start-up of `kcp version`",
  async run(ctx: Context): Promise<Row[]> {
    const bin = join(REPO, "dist/kcp");
    const stale = mtimeOrZero(bin) < newestMtime(join(REPO, "src"));
    let buildNote = "dist/kcp was up to date";
    if (stale) {
      if (!ctx.build) {
        const why = "dist/kcp is missing or older than src/ and building was turned off (--no-build)";
        return [
          skippedRow("binary", "dist/kcp size", "MiB", why),
          skippedRow("binary", "`kcp version` start-up", "ms", why, { op: "<=", value: 50 }),
        ];
      }
      ctx.log("  binary: building dist/kcp (bun scripts/build.ts)");
      const t0 = now();
      const proc = Bun.spawn([BUN, join(REPO, "scripts/build.ts")], { cwd: REPO, stdout: "pipe", stderr: "pipe" });
      const [out, err, code] = await Promise.all([
        new Response(proc.stdout).text(),
        new Response(proc.stderr).text(),
        proc.exited,
      ]);
      if (code !== 0) throw new Error(`build failed (${code}): ${out}${err}`);
      buildNote = `rebuilt in ${((now() - t0) / 1000).toFixed(1)} s`;
    }
    const size = statSync(bin).size;
    const runs = ctx.sizes.versionRuns;
    const kcpTimes = await timeRuns([bin, "version"], runs, /kcp/);

    // The floor: a compiled `console.log`.
    const src = join(ctx.scratch, "hello.ts");
    const hello = join(ctx.scratch, "hello-bin");
    writeFileSync(src, 'console.log("hello");\n');
    const built = await Bun.build({
      entrypoints: [src],
      compile: { outfile: hello, autoloadDotenv: false, autoloadBunfig: false },
      minify: true,
      target: "bun",
    });
    if (!built.success) throw new AggregateError(built.logs, "building the raw executable failed");
    const rawTimes = await timeRuns([hello], runs, /hello/);
    const rawSize = statSync(hello).size;
    const k = summarize(kcpTimes);
    const r = summarize(rawTimes);

    // `dist/kcp start` on an existing, empty root directory: spawn → /readyz 200, then idle RSS.
    const root = tempDir("kcp-bench-bin-");
    const starts: number[] = [];
    let idleRss = 0;
    try {
      for (let i = 0; i < ctx.sizes.startRuns + 1; i++) {
        const kcp = await launchKcp({ rootDir: root, timeReady: true, executable: bin, label: "binary" });
        // The first start makes the certificates; it is not counted.
        if (i > 0) starts.push(kcp.readyMs ?? Number.NaN);
        if (i === 1) {
          await Bun.sleep(2000);
          idleRss = memoryOf(kcp.pid).rss;
        }
        await kcp.stop();
      }
    } finally {
      removeDir(root);
    }
    const st = summarize(starts);
    return [
      {
        workload: "binary",
        metric: "dist/kcp size",
        value: mib(size),
        unit: "MiB",
        raw: { name: "compiled hello-world size", value: mib(rawSize), unit: "MiB" },
        ratio: size / rawSize,
        notes: `${buildNote}; kcp adds ${mib(size - rawSize).toFixed(1)} MiB to the Bun runtime`,
        details: { bytes: size, rawBytes: rawSize },
      },
      {
        workload: "binary",
        metric: `\`kcp version\` start-up (median of ${runs})`,
        value: k.p50,
        unit: "ms",
        target: { op: "<=", value: 50 },
        raw: { name: "compiled hello-world run", value: r.p50, unit: "ms" },
        ratio: k.p50 / r.p50,
        notes: `min ${k.min.toFixed(1)}, max ${k.max.toFixed(1)} ms, spawn to exit`,
        details: { timesMs: kcpTimes, rawTimesMs: rawTimes },
      },
      {
        workload: "binary",
        metric: `\`dist/kcp start\` → /readyz, empty, existing root dir (median of ${starts.length})`,
        value: st.p50,
        unit: "ms",
        target: { op: "<=", value: 150 },
        notes: `min ${st.min.toFixed(0)}, max ${st.max.toFixed(0)} ms; the compiled binary (bytecode, no transpiling) against the startup rows' \`bun src/main.ts start\``,
        details: { timesMs: starts },
      },
      {
        workload: "binary",
        metric: "`dist/kcp start` idle RSS",
        value: mib(idleRss),
        unit: "MiB",
        target: { op: "<=", value: 60 },
        notes: "VmRSS 2 s after /readyz answered",
      },
    ];
  },
};
