// writers: many concurrent writers (200 by default) for a while, each creating its own
// ConfigMaps and updating every other one. Then one full list checks that every acknowledged
// write is there with the resourceVersion it was acknowledged with. Targets: 0 errors, 0
// "database is locked" (in any reply or in the server's log), no write lost.

import { rawSqlite } from "./raw-sqlite.ts";
import { configMap, configMapsPath, ensureNamespace, mentionsLocked, resourceVersionOf } from "./client.ts";
import { connectionsNote, measured, usageNote, withKcp } from "./harness.ts";
import { now, summarize } from "./stats.ts";
import type { Context, Row, Workload } from "./types.ts";

export const writersWorkload: Workload = {
  name: "writers",
  description: "many concurrent writers for a fixed time; verify nothing was lost",
  async run(ctx: Context): Promise<Row[]> {
    const raw = await rawSqlite(ctx);
    const { writers, writerSeconds } = ctx.sizes;
    return withKcp(
      ctx,
      "writers",
      async ({ kcp, client }) => {
        await ensureNamespace(client, "wr");
        const path = configMapsPath("wr");
        /** Acknowledged state: name → resourceVersion of the last acknowledged write. */
        const acked = new Map<string, string>();
        const lat: number[] = [];
        let writes = 0;
        let errorsCount = 0;
        let locked = 0;
        let sample = "";
        const deadline = now() + writerSeconds * 1000;
        const { usage } = await measured(kcp.pid, () =>
          Promise.all(
            Array.from({ length: writers }, async (_, w) => {
              for (let i = 0; now() < deadline; i++) {
                const name = `w${w}-${i}`;
                const r = await client.post(path, configMap(name, "wr"));
                writes++;
                lat.push(r.ms);
                if (r.status === 201) acked.set(name, resourceVersionOf(r.body));
                else {
                  errorsCount++;
                  if (mentionsLocked(r.body)) locked++;
                  if (!sample) sample = `create HTTP ${r.status} ${r.body.slice(0, 200)}`;
                }
                // Every other iteration, update the previous object (PUT with its resourceVersion).
                if (i % 2 === 1 && now() < deadline) {
                  const prev = `w${w}-${i - 1}`;
                  const rv = acked.get(prev);
                  if (rv === undefined) continue;
                  const obj = configMap(prev, "wr", 1);
                  (obj.metadata as Record<string, unknown>).resourceVersion = rv;
                  const u = await client.put(`${path}/${prev}`, obj);
                  writes++;
                  lat.push(u.ms);
                  if (u.status === 200) acked.set(prev, resourceVersionOf(u.body));
                  else {
                    errorsCount++;
                    if (mentionsLocked(u.body)) locked++;
                    if (!sample) sample = `update HTTP ${u.status} ${u.body.slice(0, 200)}`;
                  }
                }
              }
            }),
          ),
        );
        const conns = connectionsNote(kcp.port);
        const lockedInLog = (kcp.output().match(/database is locked|SQLITE_BUSY/gi) ?? []).length;

        // Verification: everything acknowledged is listed, at the acknowledged revision.
        const list = await client.get(path);
        if (list.status !== 200) throw new Error(`writers: final list HTTP ${list.status} ${list.body.slice(0, 200)}`);
        const items = (JSON.parse(list.body) as { items: { metadata: { name: string; resourceVersion: string } }[] })
          .items;
        const listed = new Map(items.map((o) => [o.metadata.name, o.metadata.resourceVersion]));
        let lost = 0;
        let stale = 0;
        for (const [name, rv] of acked) {
          const got = listed.get(name);
          if (got === undefined) lost++;
          else if (got !== rv) stale++;
        }
        const unacknowledged = [...listed.keys()].filter((n) => !acked.has(n)).length;
        const l = summarize(lat);
        const rate = (writes * 1000) / usage.wallMs;
        const shortened =
          writerSeconds < 30
            ? ` (${writerSeconds} s, not the full 30 s: --writer-seconds 30 or --size large for that)`
            : "";
        return [
          {
            workload: "writers",
            metric: `${writers} writers × ${writerSeconds} s: writes/s`,
            value: rate,
            unit: "/s",
            raw: { name: "raw SQLite single-row commits/s", value: raw.commitsPerSec, unit: "/s" },
            ratio: rate / raw.commitsPerSec,
            notes: `${writes} writes${shortened}, p50 ${l.p50.toFixed(1)} ms, p99 ${l.p99.toFixed(1)} ms; ${conns.note} (${client.transport}); ${usageNote(usage)}`,
            details: {
              latencyMs: l,
              usage,
              connections: conns,
              writes,
              objects: acked.size,
              listed: listed.size,
              unacknowledged,
            },
          },
          {
            workload: "writers",
            metric: "writers: errors",
            value: errorsCount,
            unit: "",
            target: { op: "==", value: 0 },
            ...(sample ? { notes: sample } : {}),
          },
          {
            workload: "writers",
            metric: 'writers: "database is locked"',
            value: locked + lockedInLog,
            unit: "",
            target: { op: "==", value: 0 },
            notes: `${locked} in replies, ${lockedInLog} in the server log`,
          },
          {
            workload: "writers",
            metric: "writers: acknowledged writes lost",
            value: lost + stale,
            unit: "",
            target: { op: "==", value: 0 },
            notes: `${acked.size} objects acknowledged, ${listed.size} listed; ${lost} missing, ${stale} at an older resourceVersion, ${unacknowledged} present but never acknowledged`,
          },
        ];
      },
      { concurrency: writers },
    );
  },
};
