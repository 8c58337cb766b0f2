// start-100k: spawn → first 200 on /readyz of kcp restarted on the list data set (listLarge +
// listSmall objects). Target: ≤ 2 s. The raw part is the minimal Bun HTTPS server, as for startup.

import { join } from "node:path";
import { datasetServer } from "./dataset.ts";
import { mib } from "./stats.ts";
import { rawServer } from "./startup.ts";
import type { Context, Row, Workload } from "./types.ts";

export const start100kWorkload: Workload = {
  name: "start-100k",
  description: "start to /readyz ok with the 100k-object data set",
  async run(ctx: Context): Promise<Row[]> {
    const { readyMs, data, rssAfterStart } = await datasetServer(ctx);
    const raw = await rawServer(ctx, join(data.rootDir, "data"));
    return [
      {
        workload: "start-100k",
        metric: `start → /readyz, ${data.objects} objects`,
        value: readyMs,
        unit: "ms",
        target: { op: "<=", value: 2000 },
        raw: { name: "raw Bun HTTPS server spawn → 200", value: raw.readyMs, unit: "ms" },
        ratio: readyMs / raw.readyMs,
        notes: `RSS ${mib(rssAfterStart).toFixed(0)} MiB when ready; data set loaded at ${data.loadPerSec.toFixed(0)} creates/s (${ctx.sizes.loadClients} clients)`,
        details: { dataset: data, rssAfterStart },
      },
    ];
  },
};
