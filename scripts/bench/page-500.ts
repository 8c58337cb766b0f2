// page-500: pages of 500 (limit=500, following continue tokens) out of a namespace holding
// `listLarge` (100,000) ConfigMaps, against raw bun:sqlite reading 500 rows. Target: ≤ 20 ms.

import { datasetServer } from "./dataset.ts";
import { rawSqlite } from "./raw-sqlite.ts";
import { summarize } from "./stats.ts";
import type { Context, Row, Workload } from "./types.ts";

export const page500Workload: Workload = {
  name: "page-500",
  description: "one page of 500 from a namespace of 100k objects",
  async run(ctx: Context): Promise<Row[]> {
    const raw = await rawSqlite(ctx);
    const { client, data } = await datasetServer(ctx);
    const base = "/api/v1/namespaces/large/configmaps?limit=500";
    const times: number[] = [];
    let wrong = 0;
    let token = "";
    let remainingSeen = false;
    for (let i = 0; i < ctx.sizes.pageRepeats; i++) {
      const r = await client.get(token ? `${base}&continue=${encodeURIComponent(token)}` : base);
      times.push(r.ms);
      const body = JSON.parse(r.body) as {
        items?: unknown[];
        metadata?: { continue?: string; remainingItemCount?: number };
      };
      const expect = Math.min(500, data.large);
      if (r.status !== 200 || (body.items?.length !== expect && body.metadata?.continue)) wrong++;
      if (body.metadata?.remainingItemCount !== undefined) remainingSeen = true;
      token = body.metadata?.continue ?? "";
    }
    const s = summarize(times);
    return [
      {
        workload: "page-500",
        metric: `page of 500 from ${data.large} (median of ${times.length})`,
        value: s.p50,
        unit: "ms",
        target: { op: "<=", value: 20 },
        raw: { name: "raw SQLite read of 500 rows", value: raw.pageMs, unit: "ms" },
        ratio: s.p50 / raw.pageMs,
        notes: `p99 ${s.p99.toFixed(1)} ms, first ${times[0]?.toFixed(1)} ms${remainingSeen ? ", with remainingItemCount" : ""}${wrong ? `; ${wrong} pages wrong` : ""}`,
        details: { latencyMs: s, wrongPages: wrong },
      },
    ];
  },
};
