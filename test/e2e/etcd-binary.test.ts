// The compiled binary (scripts/build.ts, as `npm run build` runs it) talks to etcd from a
// directory without node_modules: `kcp start` on an external etcd over TLS with client
// certificates, `kcp migrate` out of it, and `kcp start --embedded-etcd` (etcd PKI made by the
// binary, the member run and stopped by it).
//
// A compiled binary remembers the absolute paths of the modules it was built from, and on the
// build machine could quietly read them from the repository's node_modules. It is therefore built
// from a throwaway copy of the project (test/helpers/project-copy.ts), deleted before it runs.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type EtcdCluster, etcdMissingReason, freePort, startEtcd, tempDir } from "../helpers/etcd-process.ts";
import { copyProject } from "../helpers/project-copy.ts";

const missing = etcdMissingReason();
const KUBECTL_DIR = "/usr/lib/google-cloud-sdk/bin";

interface Running {
  proc: ReturnType<typeof Bun.spawn>;
  output(): string;
}

if (missing) {
  test("etcd is installed", () => {
    throw new Error(missing);
  });
} else {
  describe("the compiled binary on etcd", () => {
    let etcd: EtcdCluster;
    let dir: string;
    let binary: string;
    /** An empty working directory: no node_modules, package.json, bunfig or .env to find. */
    let work: string;

    beforeAll(async () => {
      dir = tempDir("kcp-etcd-binary-");
      work = join(dir, "work");
      mkdirSync(work);
      binary = join(dir, "bin", "kcp");
      const project = join(dir, "project");
      copyProject(project);
      try {
        const { buildBinary } = (await import(
          join(project, "scripts/build.ts")
        )) as typeof import("../../scripts/build.ts");
        await buildBinary(binary);
      } finally {
        rmSync(project, { recursive: true, force: true });
      }
      expect(existsSync(project)).toBe(false);
      etcd = await startEtcd({ tls: true });
    }, 120_000);

    afterAll(async () => {
      await etcd?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    function run(args: string[]): Running {
      const proc = Bun.spawn([binary, ...args], {
        cwd: work,
        stdout: "pipe",
        stderr: "pipe",
        env: { PATH: "/usr/bin:/bin", HOME: work, NO_COLOR: "1" },
      });
      let out = "";
      const decoder = new TextDecoder();
      const pump = async (s: ReadableStream<Uint8Array>) => {
        for await (const chunk of s) out += decoder.decode(chunk, { stream: true });
      };
      void pump(proc.stdout as ReadableStream<Uint8Array>);
      void pump(proc.stderr as ReadableStream<Uint8Array>);
      return { proc, output: () => out };
    }

    async function serving(r: Running): Promise<void> {
      const deadline = Date.now() + 30_000;
      while (!/Admin kubeconfig/.test(r.output())) {
        if (r.proc.exitCode !== null || Date.now() > deadline)
          throw new Error(`kcp did not start (exit ${r.proc.exitCode}):\n${r.output()}`);
        await Bun.sleep(20);
      }
    }

    async function kubectl(root: string, args: string[]): Promise<{ code: number; out: string }> {
      const proc = Bun.spawn(
        [
          "kubectl",
          "--kubeconfig",
          join(root, "data", "admin.kubeconfig"),
          "--cache-dir",
          join(root, "cache"),
          ...args,
        ],
        {
          stdout: "pipe",
          stderr: "pipe",
          env: { PATH: `/usr/bin:/bin:${KUBECTL_DIR}`, HOME: root },
        },
      );
      const [out, err, code] = await Promise.all([
        new Response(proc.stdout).text(),
        new Response(proc.stderr).text(),
        proc.exited,
      ]);
      return { code, out: out + err };
    }

    const tlsArgs = () => {
      const tls = etcd.tls;
      if (!tls) throw new Error("the test etcd has no TLS");
      return ["--etcd-cafile", tls.caFile, "--etcd-certfile", tls.certFile, "--etcd-keyfile", tls.keyFile];
    };

    test("start on an external etcd over TLS, then migrate out of it", async () => {
      const root = join(work, "external");
      const kcp = run([
        "start",
        "--root-dir",
        root,
        "--listen",
        "127.0.0.1:0",
        "--etcd-servers",
        etcd.endpoints.join(","),
        ...tlsArgs(),
        "--etcd-prefix",
        "/bin",
      ]);
      try {
        await serving(kcp);
        expect(kcp.output()).toContain(`Connected to etcd at ${etcd.endpoints[0]} (key prefix /bin`);
        const created = await kubectl(root, ["create", "configmap", "from-binary", "--from-literal=k=v"]);
        expect(created.out).toContain("configmap/from-binary created");
        const got = await kubectl(root, ["get", "configmap", "from-binary", "-o", "jsonpath={.data.k}"]);
        expect(got.out).toBe("v");
      } finally {
        kcp.proc.kill("SIGTERM");
      }
      expect(await kcp.proc.exited).toBe(0);
      expect(kcp.output()).not.toContain("node_modules");

      const migrate = run([
        "migrate",
        "--from",
        `etcd:${etcd.endpoints[0]}`,
        ...tlsArgs(),
        "--etcd-prefix",
        "/bin",
        "--to",
        `sqlite:${join(work, "copy")}`,
      ]);
      expect(await migrate.proc.exited).toBe(0);
      expect(migrate.output()).toMatch(/Migrated \d+ keys/);
      expect(existsSync(join(work, "copy", "data", "kcp.db"))).toBe(true);
    }, 60_000);

    test("start --embedded-etcd runs and stops its own member", async () => {
      const root = join(work, "embedded");
      const [clientPort, peerPort] = [await freePort(), await freePort()];
      const kcp = run([
        "start",
        "--root-dir",
        root,
        "--listen",
        "127.0.0.1:0",
        "--embedded-etcd",
        "--embedded-etcd-client-port",
        String(clientPort),
        "--embedded-etcd-peer-port",
        String(peerPort),
      ]);
      let pid = 0;
      try {
        await serving(kcp);
        pid = Number(/embedded etcd serving on \S+ \(pid (\d+)/.exec(kcp.output())?.[1]);
        expect(pid).toBeGreaterThan(0);
        const created = await kubectl(root, ["create", "namespace", "in-embedded"]);
        expect(created.out).toContain("namespace/in-embedded created");
      } finally {
        kcp.proc.kill("SIGTERM");
      }
      expect(await kcp.proc.exited).toBe(0);
      expect(kcp.output()).toContain("embedded etcd stopped");
      expect(() => process.kill(pid, 0)).toThrow();
    }, 60_000);
  });
}
