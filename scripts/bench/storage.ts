// storage: the storage layer alone, in this process, without HTTP or the API machinery: creates
// of 1 KiB values by concurrent callers through the Storage interface (src/storage/interface.ts),
// on the SQLite backend and — when etcd is on PATH — on the etcd backend (EtcdStorage). Set next
// to the HTTPS rows it shows which share of a create's cost is storage and which is the server
// above it. No targets: diagnosis rows.

import { join } from "node:path";
import { mkdtempSync } from "node:fs";
import type { Storage } from "../../src/storage/interface.ts";
import { runPool } from "./client.ts";
import { rawEtcd } from "./etcd.ts";
import { removeDir } from "./kcp-launcher.ts";
import { rawSqlite } from "./raw-sqlite.ts";
import { now } from "./stats.ts";
import type { Context, Row, Workload } from "./types.ts";
import { skippedRow } from "./types.ts";

const VALUE = JSON.stringify({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "x" },
  data: { payload: "v".repeat(900) },
});

async function createsPerSec(
  storage: Storage,
  n: number,
  concurrency: number,
  prefix: string,
): Promise<{ rate: number; errors: number }> {
  let errors = 0;
  for (let i = 0; i < 100; i++) await storage.create(`${prefix}/warm/${i}`, VALUE);
  const t0 = now();
  await runPool(n, concurrency, async (i) => {
    try {
      await storage.create(`${prefix}/bench/obj-${String(i).padStart(7, "0")}`, VALUE);
    } catch {
      errors++;
    }
  });
  return { rate: (n * 1000) / (now() - t0), errors };
}

export const storageWorkload: Workload = {
  name: "storage",
  description: "the storage layer alone (in-process, no HTTP): creates/s on SQLite and etcd",
  async run(ctx: Context): Promise<Row[]> {
    const clients = ctx.sizes.createClients;
    const n = ctx.sizes.creates;
    const rows: Row[] = [];
    const raw = await rawSqlite(ctx);
    const { SqliteStorage } = await import("../../src/storage/sqlite/sqlite-storage.ts");
    const dir = mkdtempSync(join(ctx.scratch, "storage-"));
    const sqlite = SqliteStorage.open(join(dir, "kcp.db"));
    try {
      const r = await createsPerSec(sqlite, n, clients, "/registry/core/configmaps/admin");
      const stats = sqlite.stats();
      rows.push({
        workload: "storage",
        metric: `SQLite storage layer: creates/s, ${clients} concurrent (no HTTP)`,
        value: r.rate,
        unit: "/s",
        raw: { name: "raw SQLite single-row commits/s", value: raw.commitsPerSec, unit: "/s" },
        ratio: r.rate / raw.commitsPerSec,
        notes: `${n} creates, ${r.errors} errors; ${stats.commits} group commits, ${(stats.ops / Math.max(1, stats.commits)).toFixed(1)} writes per commit`,
        details: { ...r, commits: stats.commits, ops: stats.ops },
      });
    } finally {
      await sqlite.close();
      removeDir(dir);
    }
    const rawE = await rawEtcd(ctx);
    const metric = `etcd storage layer: creates/s, ${clients} concurrent (no HTTP)`;
    if ("skipped" in rawE) {
      rows.push(skippedRow("storage", metric, "/s", rawE.skipped));
      return rows;
    }
    const { EtcdStorage } = await import("../../src/storage/etcd/etcd-storage.ts");
    const etcd = await EtcdStorage.connect({ endpoints: [rawE.endpoint], prefix: `/bench-${Date.now()}` });
    try {
      const r = await createsPerSec(etcd, Math.min(n, ctx.sizes.etcdPuts), clients, "/registry/core/configmaps/admin");
      rows.push({
        workload: "storage",
        metric,
        value: r.rate,
        unit: "/s",
        raw: { name: "raw etcd3 puts/s", value: rawE.putsPerSec, unit: "/s" },
        ratio: r.rate / rawE.putsPerSec,
        notes: `${Math.min(n, ctx.sizes.etcdPuts)} creates, ${r.errors} errors`,
        details: r,
      });
    } finally {
      await etcd.close();
    }
    return rows;
  },
};
