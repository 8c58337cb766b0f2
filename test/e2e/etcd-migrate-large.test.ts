// Objects stored under a raised `kcp start --max-object-size` (2Mi here) can be migrated and
// restored with the same flag: without it `kcp migrate` and `kcp restore --etcd-servers` stop at
// the first such object and say which flag to give; with it every key arrives, and a kcp started
// on the copy (with the same flag) serves the object. The test etcd accepts requests that large.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join, resolve } from "node:path";
import { type EtcdCluster, etcdMissingReason, startEtcd } from "../helpers/etcd-process.ts";
import { call, until } from "../helpers/etcd-kcp.ts";
import { type KcpProcess, removeDir, startKcp, tempDir } from "../helpers/kcp-process.ts";

const REPO = resolve(import.meta.dir, "../..");
const missing = etcdMissingReason();
const RAISED = ["--max-object-size", "2Mi"];
const BIG = 1.8 * 1024 * 1024;

async function kcpCli(args: string[]): Promise<{ code: number; out: string }> {
  const proc = Bun.spawn([process.execPath, join(REPO, "src/main.ts"), ...args], {
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

const blobCrd = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "blobs.example.com" },
  spec: {
    group: "example.com",
    scope: "Namespaced",
    names: { plural: "blobs", singular: "blob", kind: "Blob" },
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
const BLOB = "/apis/example.com/v1/namespaces/default/blobs/big";

if (missing) {
  test("etcd is installed", () => {
    throw new Error(missing);
  });
} else {
  describe("migrate and restore --max-object-size", () => {
    let etcd: EtcdCluster;
    const dirs: string[] = [];
    const running: KcpProcess[] = [];
    let rootSqlite: string;
    let payload: string;

    beforeAll(async () => {
      // As kcp's embedded etcd: room for the largest object and its key.
      etcd = await startEtcd({ maxRequestBytes: 2 * 1024 * 1024 + 64 * 1024 });
      rootSqlite = tempDir("kcp-mig-large-");
      dirs.push(rootSqlite);
      const k = await startKcp({ rootDir: rootSqlite, args: RAISED });
      running.push(k);
      expect((await call(k, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", blobCrd)).status).toBe(
        201,
      );
      await until("blobs to be served", async () =>
        (await call(k, "GET", "/apis/example.com/v1")).status === 200 ? true : undefined,
      );
      payload = "z".repeat(BIG);
      const blob = { apiVersion: "example.com/v1", kind: "Blob", metadata: { name: "big" }, spec: { payload } };
      expect((await call(k, "POST", "/apis/example.com/v1/namespaces/default/blobs", blob)).status).toBe(201);
      expect(await k.stop()).toBe(0);
    }, 60_000);

    afterAll(async () => {
      await Promise.all(running.map((k) => k.stop()));
      await etcd?.stop();
      for (const d of dirs) removeDir(d);
    });

    const toEtcd = (prefix: string, extra: string[] = []) => [
      "migrate",
      "--from",
      `sqlite:${rootSqlite}`,
      "--to",
      `etcd:${etcd.endpoints[0]}`,
      "--etcd-prefix",
      prefix,
      ...extra,
    ];

    test("SQLite → etcd: refused at the default size with a hint, migrated with the flag", async () => {
      const refused = await kcpCli(toEtcd("/small"));
      expect(refused.code).toBe(1);
      expect(refused.out).toContain("over the limit of 1572864 bytes");
      expect(refused.out).toContain("give --max-object-size the value of the kcp start that stores it");

      const bad = await kcpCli(toEtcd("/bad", ["--max-object-size", "2 MB"]));
      expect(bad.code).toBe(1);
      expect(bad.out).toContain('--max-object-size: invalid size "2 MB"');

      const r = await kcpCli(toEtcd("/large", RAISED));
      expect(r.out).toMatch(/Migrated \d+ keys/);
      expect(r.code).toBe(0);
    }, 30_000);

    test("etcd → SQLite with the flag, and a kcp on the copy serves the object", async () => {
      const back = tempDir("kcp-mig-large-back-");
      dirs.push(back);
      // The same CA and token as the original, so the test can call the new server.
      const copy = join(back, "data", "kcp.db");
      const r = await kcpCli([
        "migrate",
        "--from",
        `etcd:${etcd.endpoints[0]}`,
        "--etcd-prefix",
        "/large",
        "--to",
        `sqlite:${copy}`,
        ...RAISED,
      ]);
      expect(r.out).toMatch(/Migrated \d+ keys/);
      expect(r.code).toBe(0);
      const k = await startKcp({ rootDir: back, args: RAISED });
      running.push(k);
      const got = await call(k, "GET", BLOB);
      expect(got.status).toBe(200);
      expect(got.body.spec.payload).toBe(payload);
    }, 30_000);

    test("restore --etcd-servers: refused at the default size with a hint, restored with the flag", async () => {
      const file = join(rootSqlite, "big.backup");
      const b = await kcpCli(["backup", "--root-dir", rootSqlite, "--to", file]);
      expect(b.code).toBe(0);
      const restore = (prefix: string, extra: string[] = []) =>
        kcpCli([
          "restore",
          "--from",
          file,
          "--etcd-servers",
          etcd.endpoints[0] as string,
          "--etcd-prefix",
          prefix,
          "--bump-revision",
          "0",
          ...extra,
        ]);
      const refused = await restore("/restored-small");
      expect(refused.code).toBe(1);
      expect(refused.out).toContain("give --max-object-size the value of the kcp start that stores it");
      const r = await restore("/restored", RAISED);
      expect(r.out).toContain("Restored");
      expect(r.code).toBe(0);
    }, 30_000);
  });
}
