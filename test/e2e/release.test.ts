// The linux-arm64 release binary (scripts/release.ts, as `npm run release -- --target linux-arm64`
// builds it) runs on arm64: here under Debian's qemu-user, with the arm64 glibc of
// libc6-arm64-cross as its loader and libraries (Bun's glibc binaries are dynamically linked).
// `kcp version`, then `kcp start` → /readyz → x64 kubectl against the emulated server.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { buildStamp } from "../../scripts/build.ts";
import { RELEASE_TARGETS, type ReleaseResult, release } from "../../scripts/release.ts";

const KUBECTL_DIR = "/usr/lib/google-cloud-sdk/bin";
const QEMU = "/usr/bin/qemu-aarch64";
const ARM64_SYSROOT = "/usr/aarch64-linux-gnu";

const missing = !existsSync(QEMU)
  ? `${QEMU} not found: apt-get install qemu-user`
  : !existsSync(join(ARM64_SYSROOT, "lib", "ld-linux-aarch64.so.1"))
    ? `${ARM64_SYSROOT}/lib/ld-linux-aarch64.so.1 not found: apt-get install libc6-arm64-cross`
    : null;

if (missing) {
  test("qemu-user and the arm64 C library are installed", () => {
    throw new Error(missing);
  });
} else {
  describe("the linux-arm64 release binary under qemu-aarch64", () => {
    let dir: string;
    let built: ReleaseResult;
    let binary: string;
    const stamp = buildStamp();
    const progress: string[] = [];

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "kcp-release-"));
      const target = RELEASE_TARGETS.find((t) => t.name === "linux-arm64");
      if (!target) throw new Error("no linux-arm64 target");
      // The first build on a machine downloads Bun's arm64 runtime (about 40 MB).
      built = await release([target], join(dir, "release"), (line) => progress.push(line));
      binary = built.files[0]?.path ?? "";
    }, 180_000);

    afterAll(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** The binary under emulation, from an empty directory with no node_modules or checkout. */
    function spawnArm64(args: string[]) {
      return Bun.spawn([QEMU, "-L", ARM64_SYSROOT, binary, ...args], {
        cwd: dir,
        stdout: "pipe",
        stderr: "pipe",
        env: { PATH: "/usr/bin:/bin", HOME: dir, NO_COLOR: "1" },
      });
    }

    test("is an arm64 ELF named for its version and platform, listed in SHA256SUMS", async () => {
      expect(binary).toBe(join(dir, "release", `kcp-${pkg.version}-linux-arm64`));
      const header = Buffer.from(await Bun.file(binary).slice(0, 20).arrayBuffer());
      expect([...header.subarray(0, 4)]).toEqual([0x7f, 0x45, 0x4c, 0x46]); // "\x7fELF"
      expect(header.readUInt16LE(18)).toBe(183); // e_machine: EM_AARCH64
      expect(progress.join("\n")).toContain(`[1/1] kcp-${pkg.version}-linux-arm64: `);

      const sums = readFileSync(built.sumsFile, "utf8");
      expect(sums).toMatch(new RegExp(`^[0-9a-f]{64}  kcp-${pkg.version.replaceAll(".", "\\.")}-linux-arm64\\n$`));
      const check = Bun.spawnSync(["sha256sum", "-c", "SHA256SUMS"], { cwd: join(dir, "release") });
      expect(check.stdout.toString()).toBe(`kcp-${pkg.version}-linux-arm64: OK\n`);
      expect(check.exitCode).toBe(0);
    });

    test("kcp version prints the version and the baked-in commit", async () => {
      const proc = spawnArm64(["version", "-o", "json"]);
      const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
      expect(stderr).toBe("");
      expect(await proc.exited).toBe(0);
      const info = JSON.parse(stdout);
      expect(info).toMatchObject({
        kcpVersion: pkg.version,
        gitCommit: stamp.gitCommit,
        gitTreeState: stamp.gitTreeState,
        platform: "linux/arm64",
      });
      expect(info.gitCommit).toMatch(/^[0-9a-f]{40}$/);
    }, 60_000);

    test("kcp start serves /readyz and kubectl, and stops on SIGTERM", async () => {
      const rootDir = join(dir, "root");
      const proc = spawnArm64(["start", "--root-dir", rootDir, "--listen", "127.0.0.1:0"]);
      let out = "";
      const decoder = new TextDecoder();
      const pump = async (s: ReadableStream<Uint8Array>) => {
        for await (const chunk of s) out += decoder.decode(chunk, { stream: true });
      };
      const pumped = Promise.all([pump(proc.stdout), pump(proc.stderr)]);
      try {
        // Emulation makes start-up tens of times slower than native: give it a minute.
        const deadline = Date.now() + 60_000;
        let port = 0;
        while (Date.now() < deadline && proc.exitCode === null) {
          const m = /Serving securely on 127\.0\.0\.1:(\d+)/.exec(out);
          if (m && out.includes("Admin kubeconfig")) {
            port = Number(m[1]);
            break;
          }
          await Bun.sleep(100);
        }
        expect(out).toContain("Serving securely on");
        const kubeconfig = join(rootDir, "data", "admin.kubeconfig");
        const ca = readFileSync(join(rootDir, "data", "ca.crt"), "utf8");
        let ready = 0;
        while (Date.now() < deadline) {
          const res = await fetch(`https://127.0.0.1:${port}/readyz`, { tls: { ca } }).catch(() => null);
          ready = res?.status ?? 0;
          await res?.arrayBuffer();
          if (ready === 200) break;
          await Bun.sleep(200);
        }
        expect(ready).toBe(200);

        const kubectl = async (...args: string[]) => {
          const p = Bun.spawn(["kubectl", "--kubeconfig", kubeconfig, ...args], {
            stdout: "pipe",
            stderr: "pipe",
            env: { ...process.env, HOME: dir, PATH: `${process.env.PATH}:${KUBECTL_DIR}` },
          });
          const [stdout, stderr] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
          return { code: await p.exited, stdout, stderr };
        };
        const ns = await kubectl("get", "namespaces", "-o", "name");
        expect(ns.stderr).toBe("");
        expect(ns.code).toBe(0);
        expect(ns.stdout.split("\n").filter(Boolean).sort()).toEqual([
          "namespace/default",
          "namespace/kube-node-lease",
          "namespace/kube-public",
          "namespace/kube-system",
        ]);
        // /version carries the same stamp, and says where it runs.
        const v = await kubectl("version", "-o", "json");
        expect(v.code).toBe(0);
        expect(JSON.parse(v.stdout).serverVersion).toMatchObject({
          gitCommit: stamp.gitCommit,
          platform: "linux/arm64",
          gitVersion: `v1.32.0+kcp-${pkg.version}`,
        });
      } finally {
        proc.kill("SIGTERM");
      }
      expect(await proc.exited).toBe(0);
      await pumped;
    }, 150_000);
  });
}
