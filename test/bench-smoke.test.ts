// The benchmark must not rot: run `scripts/bench.ts` over every workload at the tiny size (a few
// seconds of load each) and check what it reports is correct — every workload has its rows, no
// workload failed, no write was lost, no watch event missed, counts add up, the JSON is written.
// Timings are not checked here: that is what `npm run bench` is for.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { WORKLOADS } from "../scripts/bench.ts";
import type { Row } from "../scripts/bench/types.ts";

const REPO = resolve(import.meta.dir, "..");

interface Results {
  size: string;
  machine: { nproc: number; model: string };
  shared: string;
  workloads: string[];
  rows: (Row & { verdict: string })[];
  markdown: string;
}

let dir: string;
let code: number;
let output: string;
let results: Results;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kcp-bench-smoke-"));
  const out = join(dir, "results.json");
  // --no-build: a stale dist/kcp gives skipped binary rows instead of a build inside the tests.
  const proc = Bun.spawn(
    [process.execPath, join(REPO, "scripts/bench.ts"), "--size", "tiny", "--no-build", "--out", out],
    {
      cwd: REPO,
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  code = await proc.exited;
  output = stdout + stderr;
  if (existsSync(out)) results = JSON.parse(readFileSync(out, "utf8")) as Results;
}, 240_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const rowsOf = (workload: string) => results.rows.filter((r) => r.workload === workload);
const row = (workload: string, metric: RegExp) => {
  const r = rowsOf(workload).find((x) => metric.test(x.metric));
  if (!r) throw new Error(`no row ${metric} in ${workload}: ${JSON.stringify(rowsOf(workload).map((x) => x.metric))}`);
  return r;
};

describe("npm run bench --size tiny", () => {
  test("exits 0 and writes the JSON with the machine and the table", () => {
    if (code !== 0 || !results) console.error(output.slice(-6000));
    expect(code).toBe(0);
    expect(results.size).toBe("tiny");
    expect(results.machine.nproc).toBeGreaterThan(0);
    expect(results.shared).toContain("share");
    expect(results.markdown).toContain("| # | workload | metric |");
    expect(output).toContain("ratio");
  });

  test("every workload reported rows and none failed to run", () => {
    expect(results.workloads).toEqual(WORKLOADS.map((w) => w.name));
    for (const w of WORKLOADS) expect(rowsOf(w.name).length).toBeGreaterThan(0);
    expect(results.rows.filter((r) => r.error !== undefined)).toEqual([]);
  });

  test("measured rows have a value; rows compared with a raw part have a ratio", () => {
    for (const r of results.rows) {
      if (r.skipped !== undefined) {
        expect(r.skipped.length).toBeGreaterThan(0);
        continue;
      }
      expect(typeof r.value).toBe("number");
      expect(Number.isFinite(r.value as number)).toBe(true);
      if (r.raw) expect(Number.isFinite(r.ratio as number)).toBe(true);
    }
  });

  test("correctness: no errors, no lock errors, no lost writes, no missed or duplicated events", () => {
    // Every exact-count target (= 0) is a correctness check.
    const checks = results.rows.filter((r) => r.target?.op === "==" && r.skipped === undefined);
    expect(checks.length).toBeGreaterThanOrEqual(7);
    for (const r of checks)
      expect({ metric: r.metric, value: r.value, notes: r.notes }).toEqual({
        metric: r.metric,
        value: 0,
        notes: r.notes,
      });
  });

  test("counts add up", () => {
    const writers = row("writers", /writes\/s/).details as {
      objects: number;
      listed: number;
      unacknowledged: number;
      writes: number;
    };
    expect(writers.writes).toBeGreaterThan(0);
    expect(writers.listed).toBe(writers.objects + writers.unacknowledged);
    expect((row("list-10k", /full list/).details as { wrongLists: number }).wrongLists).toBe(0);
    expect((row("list-100k", /full list/).details as { wrongLists: number }).wrongLists).toBe(0);
    expect((row("page-500", /page of 500/).details as { wrongPages: number }).wrongPages).toBe(0);
    const watch = row("watch", /watchers, p99/).details as { events: number; watchers: number };
    expect(watch.events).toBeGreaterThan(0);
    expect(watch.watchers).toBeGreaterThan(0);
    const creates = row("creates", /creates\/s/).details as { statuses: Record<string, number> };
    expect(Object.keys(creates.statuses)).toEqual(["201"]);
  });

  test("etcd rows are measured when etcd is on PATH, else say why not", () => {
    const raw = row("etcd", /raw etcd3 puts/);
    if (Bun.which(process.env.ETCD_BIN ?? "etcd")) expect(raw.value).toBeGreaterThan(0);
    else expect(raw.skipped).toContain("not on PATH");
    for (const r of rowsOf("etcd")) expect(r.value !== null || (r.skipped ?? "").length > 0).toBe(true);
  });
});
