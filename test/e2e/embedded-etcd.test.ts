// `kcp start --embedded-etcd`: kcp runs an etcd member from the binary on PATH, with its data in
// <root>/data/etcd and a TLS PKI of its own in <root>/data/etcd-pki (client certificates
// required), restarts it when it crashes, stops it with itself, and finds its data again on the
// next start. Without the binary it says so and exits 1.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { etcdMissingReason, freePort } from "../helpers/etcd-process.ts";
import { call, configMap, until } from "../helpers/etcd-kcp.ts";
import { type KcpProcess, removeDir, startKcp, tempDir } from "../helpers/kcp-process.ts";

const REPO = resolve(import.meta.dir, "../..");
const missing = etcdMissingReason();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("kcp start --embedded-etcd", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) removeDir(d);
  });

  test("without an etcd binary on PATH: a clear error and exit 1", async () => {
    const root = tempDir("kcp-noetcd-");
    dirs.push(root);
    const proc = Bun.spawn(
      [
        process.execPath,
        join(REPO, "src/main.ts"),
        "start",
        "--root-dir",
        root,
        "--listen",
        "127.0.0.1:0",
        "--embedded-etcd",
      ],
      {
        cwd: root,
        stdout: "pipe",
        stderr: "pipe",
        env: { PATH: join(root, "empty-bin"), NO_COLOR: "1", HOME: root },
      },
    );
    const [out, err, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    expect(code).toBe(1);
    expect(out + err).toContain(
      "etcd binary not found on PATH: install etcd (Debian: apt-get install etcd-server) or use the default SQLite storage",
    );
    expect(out + err).not.toContain("    at ");
  });

  if (missing) {
    test("etcd is installed", () => {
      throw new Error(missing);
    });
    return;
  }

  test("runs its member over TLS, restarts it after a crash, stops it, and keeps its data", async () => {
    const root = tempDir("kcp-embedded-");
    dirs.push(root);
    const clientPort = await freePort();
    let peerPort = await freePort();
    while (peerPort === clientPort) peerPort = await freePort();
    const args = [
      "--embedded-etcd",
      "--embedded-etcd-client-port",
      String(clientPort),
      "--embedded-etcd-peer-port",
      String(peerPort),
    ];
    let kcp: KcpProcess | undefined = await startKcp({ rootDir: root, args });
    try {
      const started = /embedded etcd serving on (\S+) \(pid (\d+)/.exec(kcp.output());
      expect(started?.[1]).toBe(`https://127.0.0.1:${clientPort}`);
      const firstPid = Number(started?.[2]);
      expect(alive(firstPid)).toBe(true);

      const pki = join(root, "data", "etcd-pki");
      for (const f of ["ca.crt", "ca.key", "server.crt", "server.key", "client.crt", "client.key"])
        expect(existsSync(join(pki, f))).toBe(true);
      expect(existsSync(join(root, "data", "etcd", "member"))).toBe(true);
      const ca = readFileSync(join(pki, "ca.crt"), "utf8");
      // Only a client with kcp's certificate gets in.
      const anonymous = await fetch(`https://127.0.0.1:${clientPort}/health`, {
        tls: { ca },
        signal: AbortSignal.timeout(5000),
      } as RequestInit).then(
        (r) => r.status,
        () => "refused",
      );
      expect(anonymous).toBe("refused");
      const withCert = await fetch(`https://127.0.0.1:${clientPort}/health`, {
        tls: {
          ca,
          cert: readFileSync(join(pki, "client.crt"), "utf8"),
          key: readFileSync(join(pki, "client.key"), "utf8"),
        },
        signal: AbortSignal.timeout(5000),
      } as RequestInit);
      expect(await withCert.json()).toEqual({ health: "true" });

      expect(
        (await call(kcp, "POST", "/api/v1/namespaces/default/configmaps", configMap("kept", { a: "b" }))).status,
      ).toBe(201);

      // A crash of the member: kcp logs it and starts it again; requests work again.
      process.kill(firstPid, "SIGKILL");
      const k = kcp;
      const restartedPid = await until("the member to be restarted", async () => {
        const m = /embedded etcd restarted \(pid (\d+)/.exec(k.output());
        return m ? Number(m[1]) : undefined;
      });
      expect(kcp.output()).toContain("embedded etcd exited unexpectedly (signal SIGKILL");
      expect(restartedPid).not.toBe(firstPid);
      await until("reads to work again", async () =>
        (await call(k, "GET", "/api/v1/namespaces/default/configmaps/kept")).status === 200 ? true : undefined,
      );
      expect((await call(kcp, "GET", "/readyz")).status).toBe(200);

      // kcp stops its member with itself.
      expect(await kcp.stop()).toBe(0);
      kcp = undefined;
      expect(alive(restartedPid)).toBe(false);
      expect(k.output()).toContain("embedded etcd stopped");

      // The next start finds the data and reuses the PKI.
      kcp = await startKcp({ rootDir: root, args });
      const kept = await call(kcp, "GET", "/api/v1/namespaces/default/configmaps/kept");
      expect(kept.status).toBe(200);
      expect(kept.body.data).toEqual({ a: "b" });
      expect(readFileSync(join(pki, "ca.crt"), "utf8")).toBe(ca);
      expect(await kcp.stop()).toBe(0);
      kcp = undefined;
    } finally {
      await kcp?.kill9();
    }
  }, 60_000);
});
