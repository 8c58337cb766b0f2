// creates: ConfigMaps created over HTTPS by concurrent clients (closed loop), against raw SQLite
// single-row commits. Target: ≥ 2,000/s and ≥ 0.3 of raw, 0 errors.

import { rawSqlite } from "./raw-sqlite.ts";
import { configMapsPath, ensureNamespace } from "./client.ts";
import { connectionsNote, usageNote, withKcp } from "./harness.ts";
import { join } from "node:path";
import { rawHttpsCreates } from "./raw-https.ts";
import { summarize } from "./stats.ts";
import { steadyCreates, steadyNote } from "./steady-creates.ts";
import type { Context, Row, Workload } from "./types.ts";

export const createsWorkload: Workload = {
  name: "creates",
  description: "creates/s over HTTPS with N concurrent clients (1 KiB ConfigMaps)",
  async run(ctx: Context): Promise<Row[]> {
    const raw = await rawSqlite(ctx);
    const { creates, createClients } = ctx.sizes;
    return withKcp(
      ctx,
      "creates",
      async ({ kcp, client }) => {
        await ensureNamespace(client, "bench");
        const path = configMapsPath("bench");
        const steady = await steadyCreates(kcp.pid, client, path, "bench", creates, createClients);
        const { rate, usage } = steady;
        const conns = connectionsNote(kcp.port);
        // The floor, measured while this kcp idles (it has its certificates to lend).
        const floor = await rawHttpsCreates(ctx, join(kcp.rootDir, "data"));
        const errorsCount = steady.sent - steady.created;
        const sample = steady.errorSample;
        const l = summarize(steady.latenciesMs);
        const rows: Row[] = [
          {
            workload: "creates",
            metric: `creates/s, ${createClients} clients`,
            value: rate,
            unit: "/s",
            target: { op: ">=", value: 2000 },
            raw: { name: "raw SQLite single-row commits/s", value: raw.commitsPerSec, unit: "/s" },
            ratio: rate / raw.commitsPerSec,
            ratioTarget: { op: ">=", value: 0.3 },
            notes: `${steadyNote(steady)}, p50 ${l.p50.toFixed(1)} ms, p99 ${l.p99.toFixed(1)} ms; ${conns.note} (${client.transport}); ${usageNote(usage)}`,
            details: {
              latencyMs: l,
              usage,
              warmRates: steady.warmRates,
              trialRates: steady.trialRates,
              connections: conns,
              statuses: Object.fromEntries(steady.statuses),
              errorSample: sample,
            },
          },
          {
            workload: "creates",
            metric: `raw Bun HTTPS + bun:sqlite creates/s, ${createClients} clients`,
            value: floor.createsPerSec,
            unit: "/s",
            raw: { name: "raw SQLite single-row commits/s", value: raw.commitsPerSec, unit: "/s" },
            ratio: floor.createsPerSec / raw.commitsPerSec,
            notes: `the floor of an HTTPS create here: raw-server.ts parses the JSON and commits one row per request; kcp reaches ${((100 * rate) / floor.createsPerSec).toFixed(0)} % of it; CPU: server ${floor.serverCores.toFixed(2)}, client ${floor.clientCores.toFixed(2)} cores`,
            details: { ...floor },
          },
          {
            workload: "creates",
            metric: "creates: errors",
            value: errorsCount,
            unit: "",
            target: { op: "==", value: 0 },
            ...(sample ? { notes: sample } : {}),
          },
        ];
        return rows;
      },
      { concurrency: createClients },
    );
  },
};
