// The storage side of logical clusters as objects, on SQLite in memory (the e2e test runs the
// same through kcp on etcd): the skip scan finds each resource once, counts and bytes are the
// cluster's alone (a cluster whose name extends another's is not part of it), and a range
// delete goes page by page until nothing of the cluster is left, publishing a DELETE per key.
import { describe, expect, test } from "bun:test";
import {
  clusterUsage,
  deleteClusterRange,
  MAX_SIZED_BYTES,
  storedResources,
} from "../../src/controllers/logical-cluster/storage-usage.ts";
import type { ListOptions, ListResult, WatchEvent } from "../../src/storage/interface.ts";
import { SqliteStorage } from "../../src/storage/sqlite/sqlite-storage.ts";

const P = "/registry";

async function seeded(): Promise<SqliteStorage> {
  const s = SqliteStorage.open(":memory:", { progressIntervalMs: 0 });
  const writes: Promise<number>[] = [];
  for (let i = 0; i < 1200; i++) writes.push(s.create(`${P}/core/configmaps/team/default/c${i}`, `{"v":${i}}`));
  writes.push(s.create(`${P}/core/configmaps/team-a/default/other`, "{}"));
  writes.push(s.create(`${P}/core/namespaces/team/default`, "{}"));
  writes.push(s.create(`${P}/apps/deployments/team/default/d`, "{}"));
  writes.push(s.create(`${P}/apps/deployments/admin/default/d`, "{}"));
  // A resource whose name extends another's is its own range.
  writes.push(s.create(`${P}/core/configmaps0/team/x`, "{}"));
  await Promise.all(writes);
  return s;
}

describe("storage usage of a logical cluster", () => {
  test("the skip scan names every stored resource once", async () => {
    const s = await seeded();
    try {
      expect((await storedResources(s, P)).map((r) => r.name)).toEqual([
        "deployments.apps",
        "configmaps",
        "configmaps0",
        "namespaces",
      ]);
    } finally {
      await s.close();
    }
  });

  test("counts and bytes are the cluster's own; bytes can be left out", async () => {
    const s = await seeded();
    try {
      const ranges = await storedResources(s, P);
      const team = await clusterUsage(s, ranges, "team");
      expect(team.resources).toEqual({ "deployments.apps": 1, configmaps: 1200, configmaps0: 1, namespaces: 1 });
      expect(team.objects).toBe(1203);
      expect(team.estimated).toBe(false);
      let bytes = 0;
      for (const r of ranges) {
        for (const kv of (await s.list({ prefix: `${r.prefix}team/` })).items) bytes += kv.key.length + kv.value.length;
      }
      expect(team.bytes).toBe(bytes);
      expect(await clusterUsage(s, ranges, "team-a")).toMatchObject({ objects: 1, resources: { configmaps: 1 } });
      expect(await clusterUsage(s, ranges, "team", { bytes: false })).toMatchObject({ objects: 1203, bytes: 0 });
    } finally {
      await s.close();
    }
  });

  test("bytes read for sizing are bounded by MAX_SIZED_BYTES, not only by keys; the rest is estimated", async () => {
    const s = SqliteStorage.open(":memory:", { progressIntervalMs: 0 });
    // Large values, as a tenant may store (each under the 1.5 MiB value limit): far more bytes
    // than the budget in far fewer keys than MAX_SIZED_KEYS.
    const value = JSON.stringify({ data: "x".repeat(1024 * 1024) });
    const n = Math.ceil((2 * MAX_SIZED_BYTES) / value.length);
    await Promise.all(Array.from({ length: n }, (_, i) => s.create(`${P}/core/secrets/big/default/s${i}`, value)));
    // The real store, with the bytes of values each list hands back added up.
    let valueBytes = 0;
    const counted = Object.create(s) as SqliteStorage;
    counted.list = async (opts: ListOptions): Promise<ListResult> => {
      const res = await s.list(opts);
      for (const kv of res.items) valueBytes += kv.value.length;
      return res;
    };
    try {
      const usage = await clusterUsage(counted, await storedResources(s, P), "big");
      expect(usage.objects).toBe(n);
      expect(valueBytes).toBeLessThanOrEqual(MAX_SIZED_BYTES + value.length);
      expect(usage.estimated).toBe(true);
      const exact = n * (value.length + `${P}/core/secrets/big/default/s0`.length);
      expect(Math.abs(usage.bytes - exact) / exact).toBeLessThan(0.01);
    } finally {
      await s.close();
    }
  });

  test("a range delete removes every key of the cluster, page by page, each one a DELETE event", async () => {
    const s = await seeded();
    const deletes: WatchEvent[] = [];
    const w = s.watch({
      prefix: `${P}/`,
      afterRevision: await s.currentRevision(),
      onEvent: (ev) => {
        deletes.push(ev);
      },
      onError: () => {},
    });
    try {
      const ranges = await storedResources(s, P);
      let n = 0;
      for (const r of ranges) n += await deleteClusterRange(s, r, "team");
      expect(n).toBe(1203);
      expect((await clusterUsage(s, ranges, "team")).objects).toBe(0);
      // Neighbours stay: a cluster whose name extends this one's, and admin.
      expect(await s.count(`${P}/core/configmaps/team-a/`)).toBe(1);
      expect(await s.count(`${P}/apps/deployments/admin/`)).toBe(1);
      for (let i = 0; i < 200 && deletes.length < 1203; i++) await Bun.sleep(5);
      expect(deletes.length).toBe(1203);
      expect(deletes.every((e) => e.type === "DELETE" && e.key.split("/")[4] === "team")).toBe(true);
    } finally {
      w.stop();
      await s.close();
    }
  });
});
