// What kcp's start-up time and idle memory are made of: for each library (and for kcp's server
// module as a whole), a fresh `bun` process imports it alone and reports the time the import
// took and its RSS afterwards, against a process that imports nothing. Medians of several runs.
// A diagnosis aid for docs/performance.md; not part of `npm run bench`.
//
// Usage: bun scripts/bench/startup-breakdown.ts [--runs N]

import { parseArgs } from "node:util";
import { BUN, REPO } from "./kcp-launcher.ts";
import { median } from "./stats.ts";

const TARGETS: [string, string][] = [
  ["(nothing)", ""],
  ["hono", "hono"],
  ["yaml", "yaml"],
  ["ajv", "ajv"],
  ["@peculiar/x509 (+ reflect-metadata)", "reflect-metadata;@peculiar/x509"],
  ["@marcbachmann/cel-js", "@marcbachmann/cel-js"],
  ["consola", "consola"],
  ["citty", "citty"],
  ["etcd3", "etcd3"],
  ["bun:sqlite", "bun:sqlite"],
  ["kcp: src/app/start-server.ts (everything `kcp start` loads)", `${REPO}/src/app/start-server.ts`],
];

const SCRIPT = `
const specs = (process.env.MODS || "").split(";").filter(Boolean);
const t0 = performance.now();
for (const s of specs) await import(s);
const ms = performance.now() - t0;
Bun.gc(true);
const rss = Number(/VmRSS:\\s+(\\d+)/.exec(await Bun.file("/proc/self/status").text())[1]) * 1024;
console.log(JSON.stringify({ ms, rss, heap: (await import("bun:jsc")).heapSize() }));
`;

async function once(mods: string): Promise<{ ms: number; rss: number; heap: number; wall: number }> {
  const t0 = performance.now();
  const proc = Bun.spawn([BUN, "-e", SCRIPT], {
    cwd: REPO,
    env: { ...process.env, MODS: mods },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  const wall = performance.now() - t0;
  if ((await proc.exited) !== 0) throw new Error(`import ${mods}: ${err}`);
  return { ...(JSON.parse(out) as { ms: number; rss: number; heap: number }), wall };
}

if (import.meta.main) {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { runs: { type: "string", default: "5" } } });
  const runs = Number(values.runs);
  const rows: string[] = [];
  let base = { rss: 0, heap: 0 };
  for (const [name, mods] of TARGETS) {
    const xs = [];
    for (let i = 0; i < runs; i++) xs.push(await once(mods));
    const ms = median(xs.map((x) => x.ms));
    const rss = median(xs.map((x) => x.rss));
    const heap = median(xs.map((x) => x.heap));
    const wall = median(xs.map((x) => x.wall));
    if (mods === "") base = { rss, heap };
    const d = (v: number, b: number) => (mods === "" ? "" : ` (+${((v - b) / 1048576).toFixed(1)})`);
    rows.push(
      `| ${name} | ${ms.toFixed(1)} | ${wall.toFixed(0)} | ${(rss / 1048576).toFixed(1)}${d(rss, base.rss)} | ${(heap / 1048576).toFixed(1)}${d(heap, base.heap)} |`,
    );
  }
  console.log(
    `| import | import ms | process wall ms | RSS MiB (Δ) | JS heap MiB (Δ) |\n|---|---:|---:|---:|---:|\n${rows.join("\n")}`,
  );
  console.log(`\nmedians of ${runs} fresh processes each; RSS after a full GC`);
}
