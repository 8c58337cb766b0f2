// `kcp migrate` both ways between SQLite and a real etcd: every object (built-in kinds, CRDs and
// their custom resources, several logical clusters) and the logical-cluster markers arrive;
// a non-empty destination is refused unless --force; a kcp started on the destination serves it all.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join, resolve } from "node:path";
import { type EtcdCluster, etcdMissingReason, startEtcd } from "../helpers/etcd-process.ts";
import { call, configMap, etcdArgs, until } from "../helpers/etcd-kcp.ts";
import { type KcpProcess, removeDir, startKcp, tempDir } from "../helpers/kcp-process.ts";

const REPO = resolve(import.meta.dir, "../..");
const missing = etcdMissingReason();

async function migrate(args: string[]): Promise<{ code: number; out: string }> {
  const proc = Bun.spawn([process.execPath, join(REPO, "src/main.ts"), "migrate", ...args], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NO_COLOR: "1" },
  });
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, out: out + err };
}

function migratedKeys(out: string): number {
  const m = /Migrated (\d+) keys/.exec(out);
  if (!m) throw new Error(`no "Migrated N keys" in:\n${out}`);
  return Number(m[1]);
}

async function etcdKeys(etcd: EtcdCluster, prefix: string): Promise<string[]> {
  const proc = Bun.spawn(
    ["etcdctl", "--endpoints", etcd.endpoints.join(","), "get", "--prefix", prefix, "--keys-only"],
    {
      stdout: "pipe",
      env: { ...process.env, ETCDCTL_API: "3" },
    },
  );
  const out = await new Response(proc.stdout).text();
  expect(await proc.exited).toBe(0);
  return out.split("\n").filter(Boolean);
}

const thingCrd = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "things.example.com" },
  spec: {
    group: "example.com",
    scope: "Namespaced",
    names: { plural: "things", singular: "thing", kind: "Thing" },
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
      },
    ],
  },
};

/** What must survive a migration, by API path: uid, creation time, data. */
type Snapshot = Record<string, { uid: string; created: string; payload: unknown }>;

async function snapshot(kcp: KcpProcess, paths: string[]): Promise<Snapshot> {
  const out: Snapshot = {};
  for (const p of paths) {
    const r = await call(kcp, "GET", p);
    expect(r.status).toBe(200);
    out[p] = {
      uid: r.body.metadata.uid,
      created: r.body.metadata.creationTimestamp,
      payload: r.body.data ?? r.body.spec,
    };
  }
  return out;
}

if (missing) {
  test("etcd is installed", () => {
    throw new Error(missing);
  });
} else {
  describe("kcp migrate", () => {
    let etcd: EtcdCluster;
    const dirs: string[] = [];
    const running: KcpProcess[] = [];
    let rootSqlite: string;
    let before: Snapshot;
    const paths = [
      "/api/v1/namespaces/apps/configmaps/cm-0",
      "/api/v1/namespaces/apps/configmaps/cm-24",
      "/api/v1/namespaces/apps/secrets/s",
      "/clusters/team-a/api/v1/namespaces/default/configmaps/in-team-a",
      "/clusters/team-a/apis/apiextensions.k8s.io/v1/customresourcedefinitions/things.example.com",
      "/clusters/team-a/apis/example.com/v1/namespaces/default/things/t1",
    ];

    async function start(rootDir: string, args: string[] = []): Promise<KcpProcess> {
      const k = await startKcp({ rootDir, args });
      running.push(k);
      return k;
    }

    beforeAll(async () => {
      etcd = await startEtcd();
      rootSqlite = tempDir("kcp-mig-sqlite-");
      dirs.push(rootSqlite);
      const k = await start(rootSqlite);
      expect((await call(k, "POST", "/api/v1/namespaces", { metadata: { name: "apps" } })).status).toBe(201);
      for (let i = 0; i < 25; i++)
        expect(
          (await call(k, "POST", "/api/v1/namespaces/apps/configmaps", configMap(`cm-${i}`, { i: String(i) }))).status,
        ).toBe(201);
      expect(
        (await call(k, "POST", "/api/v1/namespaces/apps/secrets", { metadata: { name: "s" }, stringData: { p: "w" } }))
          .status,
      ).toBe(201);
      expect(
        (
          await call(
            k,
            "POST",
            "/clusters/team-a/api/v1/namespaces/default/configmaps",
            configMap("in-team-a", { t: "a" }),
          )
        ).status,
      ).toBe(201);
      expect(
        (await call(k, "POST", "/clusters/team-a/apis/apiextensions.k8s.io/v1/customresourcedefinitions", thingCrd))
          .status,
      ).toBe(201);
      await until("things to be served in team-a", async () =>
        (await call(k, "GET", "/clusters/team-a/apis/example.com/v1")).status === 200 ? true : undefined,
      );
      const thing = {
        apiVersion: "example.com/v1",
        kind: "Thing",
        metadata: { name: "t1" },
        spec: { colour: "green" },
      };
      expect(
        (await call(k, "POST", "/clusters/team-a/apis/example.com/v1/namespaces/default/things", thing)).status,
      ).toBe(201);
      before = await snapshot(k, paths);
      expect(await k.stop()).toBe(0);
    }, 60_000);

    afterAll(async () => {
      await Promise.all(running.map((k) => k.stop()));
      await etcd?.stop();
      for (const d of dirs) removeDir(d);
    });

    let keysIntoEtcd = 0;

    test("SQLite → etcd: everything arrives under --etcd-prefix; a second run is refused", async () => {
      const r = await migrate([
        "--from",
        `sqlite:${rootSqlite}`,
        "--to",
        `etcd:${etcd.endpoints[0]}`,
        "--etcd-prefix",
        "/mig",
      ]);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/copied \d+\/\d+ keys \(100%\)/);
      expect(r.out).toContain("resourceVersion");
      keysIntoEtcd = migratedKeys(r.out);
      const keys = await etcdKeys(etcd, "/mig/");
      expect(keys).toHaveLength(keysIntoEtcd);
      expect(keys).toContain("/mig/core/configmaps/admin/apps/cm-0");
      // The logical-cluster markers came along.
      expect(keys).toContain("/mig/tenancy.kcp.io/logicalclusters/admin/admin");
      expect(keys).toContain("/mig/tenancy.kcp.io/logicalclusters/admin/team-a");

      const again = await migrate([
        "--from",
        `sqlite:${rootSqlite}`,
        "--to",
        `etcd:${etcd.endpoints[0]}`,
        "--etcd-prefix",
        "/mig",
      ]);
      expect(again.code).toBe(1);
      expect(again.out).toContain(`the destination already holds ${keysIntoEtcd} keys: use --force`);
    }, 30_000);

    test("kcp on the etcd copy serves every object, the CRD and its resources", async () => {
      // Same root directory: same CA and token; the data now comes from etcd.
      const k = await start(rootSqlite, etcdArgs(etcd, ["--etcd-prefix", "/mig"]));
      await until("things to be served in team-a", async () =>
        (await call(k, "GET", "/clusters/team-a/apis/example.com/v1")).status === 200 ? true : undefined,
      );
      expect(await snapshot(k, paths)).toEqual(before);
      expect((await call(k, "GET", "/api/v1/namespaces/apps/configmaps")).body.items).toHaveLength(25);
      expect(
        (await call(k, "POST", "/api/v1/namespaces/apps/configmaps", configMap("made-on-etcd", { x: "y" }))).status,
      ).toBe(201);
      expect(await k.stop()).toBe(0);
      // Nothing but kcp's prefix was touched.
      expect(await etcdKeys(etcd, "/registry/")).toEqual([]);
    }, 30_000);

    test("etcd → SQLite, into a new root and (with --force) over the old database", async () => {
      const rootBack = tempDir("kcp-mig-back-");
      dirs.push(rootBack);
      const back = await migrate([
        "--from",
        `etcd:${etcd.endpoints[0]}`,
        "--etcd-prefix",
        "/mig",
        "--to",
        `sqlite:${rootBack}`,
      ]);
      expect(back.code).toBe(0);
      expect(migratedKeys(back.out)).toBe(keysIntoEtcd + 1);

      const refused = await migrate([
        "--from",
        `etcd:${etcd.endpoints[0]}`,
        "--etcd-prefix",
        "/mig",
        "--to",
        `sqlite:${rootSqlite}`,
      ]);
      expect(refused.code).toBe(1);
      expect(refused.out).toContain("use --force");
      const forced = await migrate([
        "--from",
        `etcd:${etcd.endpoints[0]}`,
        "--etcd-prefix",
        "/mig",
        "--to",
        `sqlite:${rootSqlite}`,
        "--force",
      ]);
      expect(forced.code).toBe(0);
      expect(forced.out).toContain(`--force: deleting the ${keysIntoEtcd} keys the destination holds`);

      for (const root of [rootBack, rootSqlite]) {
        const k = await start(root);
        await until("things to be served in team-a", async () =>
          (await call(k, "GET", "/clusters/team-a/apis/example.com/v1")).status === 200 ? true : undefined,
        );
        expect(await snapshot(k, paths)).toEqual(before);
        expect((await call(k, "GET", "/api/v1/namespaces/apps/configmaps/made-on-etcd")).body.data).toEqual({ x: "y" });
        expect((await call(k, "GET", "/api/v1/namespaces/apps/configmaps")).body.items).toHaveLength(26);
        expect(await k.stop()).toBe(0);
      }
    }, 60_000);

    test("bad sources and destinations are refused", async () => {
      const none = await migrate(["--from", `sqlite:${join(rootSqlite, "nope")}`, "--to", `etcd:${etcd.endpoints[0]}`]);
      expect(none.code).toBe(1);
      expect(none.out).toContain("no SQLite database");
      const same = await migrate(["--from", `sqlite:${rootSqlite}`, "--to", "sqlite:/tmp/x.db"]);
      expect(same.code).toBe(1);
      expect(same.out).toContain("must be different backends");
      const junk = await migrate(["--from", "mysql:db", "--to", `etcd:${etcd.endpoints[0]}`]);
      expect(junk.code).toBe(1);
      expect(junk.out).toContain("--from must be sqlite:");
    });
  });
}
