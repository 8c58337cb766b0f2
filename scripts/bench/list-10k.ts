// list-10k: a full list (no limit) of a namespace holding `listSmall` (10,000) ConfigMaps, the
// median of several, against raw bun:sqlite reading the same number of rows. Target: ≤ 100 ms.

import { datasetServer, drainCounting } from "./dataset.ts";
import { rawSqlite } from "./raw-sqlite.ts";
import { now, summarize } from "./stats.ts";
import type { Context, Row, Workload } from "./types.ts";

export const list10kWorkload: Workload = {
  name: "list-10k",
  description: "full list of a namespace with 10k objects",
  async run(ctx: Context): Promise<Row[]> {
    const raw = await rawSqlite(ctx);
    const { client, data } = await datasetServer(ctx);
    const times: number[] = [];
    let bytes = 0;
    let wrong = 0;
    for (let i = 0; i < ctx.sizes.listRepeats; i++) {
      const t0 = now();
      const res = await client.open("/api/v1/namespaces/small/configmaps");
      const got = await drainCounting(res);
      times.push(now() - t0);
      bytes = got.bytes;
      if (res.status !== 200 || got.objects !== data.small) wrong++;
    }
    const s = summarize(times);
    return [
      {
        workload: "list-10k",
        metric: `full list of ${data.small} objects (median of ${times.length})`,
        value: s.p50,
        unit: "ms",
        target: { op: "<=", value: 100 },
        raw: { name: `raw SQLite read of ${raw.rows.small} rows`, value: raw.rangeSmallMs, unit: "ms" },
        ratio: s.p50 / raw.rangeSmallMs,
        notes: `first ${times[0]?.toFixed(0)} ms, max ${s.max.toFixed(0)} ms; ${(bytes / 1024 / 1024).toFixed(1)} MiB per list${wrong ? `; ${wrong} lists wrong (status or item count)` : ""}`,
        details: { timesMs: times, bytes, wrongLists: wrong },
      },
    ];
  },
};
