// list-100k: a full list (no limit) of a namespace holding `listLarge` (100,000) ConfigMaps, read
// as a stream; and the server's memory while it answers: VmHWM (peak RSS, reset just before each
// list through /proc/<pid>/clear_refs) against the size of the data (the list's JSON). Targets:
// ≤ 1.5 s, peak server RSS ≤ 2× the data size.

import { datasetServer, drainCounting } from "./dataset.ts";
import { memoryOf, resetPeak } from "./proc.ts";
import { rawSqlite } from "./raw-sqlite.ts";
import { mib, now, summarize } from "./stats.ts";
import type { Context, Row, Workload } from "./types.ts";

export const list100kWorkload: Workload = {
  name: "list-100k",
  description: "full list of 100k objects (streamed) and the server's peak memory",
  async run(ctx: Context): Promise<Row[]> {
    const raw = await rawSqlite(ctx);
    const { kcp, client, data } = await datasetServer(ctx);
    const times: number[] = [];
    const firstByte: number[] = [];
    let bytes = 0;
    let wrong = 0;
    const runs: { before: number; peak: number }[] = [];
    let peakReset = true;
    for (let i = 0; i < ctx.sizes.largeListRepeats; i++) {
      await Bun.sleep(200);
      peakReset = resetPeak(kcp.pid) && peakReset;
      const before = memoryOf(kcp.pid).rss;
      const t0 = now();
      const res = await client.open("/api/v1/namespaces/large/configmaps");
      const got = await drainCounting(res);
      times.push(now() - t0);
      firstByte.push(got.firstByteMs);
      runs.push({ before, peak: memoryOf(kcp.pid).hwm });
      bytes = got.bytes;
      if (res.status !== 200 || got.objects !== data.large) wrong++;
    }
    const peak = Math.max(...runs.map((r) => r.peak));
    const s = summarize(times);
    const dataMiB = mib(bytes);
    const hwmNote = peakReset
      ? "VmHWM reset before each list"
      : "VmHWM could not be reset (clear_refs): peak since start";
    return [
      {
        workload: "list-100k",
        metric: `full list of ${data.large} objects (median of ${times.length})`,
        value: s.p50,
        unit: "ms",
        target: { op: "<=", value: 1500 },
        raw: { name: `raw SQLite read of ${raw.rows.large} rows`, value: raw.rangeLargeMs, unit: "ms" },
        ratio: s.p50 / raw.rangeLargeMs,
        notes: `first byte after ${summarize(firstByte).p50.toFixed(0)} ms; ${dataMiB.toFixed(1)} MiB of JSON${wrong ? `; ${wrong} lists wrong (status or item count)` : ""}`,
        details: { timesMs: times, firstByteMs: firstByte, bytes, wrongLists: wrong },
      },
      {
        workload: "list-100k",
        metric: "server peak RSS during the list ÷ data size",
        value: peak / bytes,
        unit: "×",
        target: { op: "<=", value: 2 },
        notes: `peak ${mib(peak).toFixed(0)} MiB for ${dataMiB.toFixed(0)} MiB of data; RSS before → peak per list: ${runs.map((r) => `${mib(r.before).toFixed(0)} → ${mib(r.peak).toFixed(0)}`).join(", ")} MiB; ${hwmNote}`,
        details: { peakRss: peak, runs, dataBytes: bytes, peakReset },
      },
    ];
  },
};
