import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };

const MAIN = join(import.meta.dir, "../../src/main.ts");

async function kcp(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  // NO_COLOR: citty colours help text otherwise, which makes matching it awkward.
  const proc = Bun.spawn([process.execPath, MAIN, ...args], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NO_COLOR: "1" },
  });
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  return { code: await proc.exited, stdout, stderr };
}

describe("kcp CLI", () => {
  test("--help lists the commands and exits 0", async () => {
    const r = await kcp("--help");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      "USAGE kcp start|migrate|backup|restore|sync|split|cluster|version|crds|pull-crds|workspace|ws|completion|help",
    );
    expect(r.stdout).toContain(`kcp v${pkg.version}`);
    for (const cmd of [
      "start",
      "migrate",
      "backup",
      "restore",
      "sync",
      "split",
      "cluster",
      "version",
      "crds",
      "pull-crds",
      "workspace",
      "ws",
      "completion",
      "help",
    ])
      expect(r.stdout).toMatch(new RegExp(`^\\s+${cmd}\\s+\\S`, "m"));
  });

  test("version prints the kcp version, the checkout's commit and the Kubernetes API level", async () => {
    const git = (...args: string[]) =>
      Bun.spawnSync(["git", ...args], { cwd: import.meta.dir })
        .stdout.toString()
        .trim();
    const head = git("rev-parse", "HEAD");
    expect(head).toMatch(/^[0-9a-f]{40}$/);
    const r = await kcp("version");
    expect(r.code).toBe(0);
    // Read after the run: the tree state is what git says while the test runs.
    const dirty = git("status", "--porcelain", "--untracked-files=no") !== "";
    expect(r.stdout).toBe(`kcp ${pkg.version} (commit ${head}${dirty ? "-dirty" : ""}, Kubernetes API v1.32)\n`);
  });

  test("version --output json", async () => {
    for (const flag of [["--output", "json"], ["-o", "json"], ["--output=json"]]) {
      const r = await kcp("version", ...flag);
      expect(r.code).toBe(0);
      const info = JSON.parse(r.stdout);
      expect(info.kcpVersion).toBe(pkg.version);
      expect(info.kubernetes).toEqual({ major: "1", minor: "32", gitVersion: "v1.32.0" });
      expect(info.gitCommit).toMatch(/^[0-9a-f]{40}$/);
      expect(["clean", "dirty"]).toContain(info.gitTreeState);
    }
  });

  test("--version prints the bare version", async () => {
    const r = await kcp("--version");
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  test("start --help shows its flags and defaults", async () => {
    const r = await kcp("start", "--help");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("USAGE kcp start [OPTIONS]");
    expect(r.stdout).toContain("--root-dir=<dir>");
    expect(r.stdout).toContain("(Default: .kcp)");
    expect(r.stdout).toContain("--listen=<host:port>");
    expect(r.stdout).toContain("(Default: 127.0.0.1:6443)");
    expect(r.stdout).toContain("--log-level=<silent|error|warn|info|debug|trace>");
  });

  test("help <command> is the same as <command> --help", async () => {
    const [a, b] = await Promise.all([kcp("help", "start"), kcp("start", "--help")]);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
  });

  test("a bad --listen exits 1 with a clear message and no stack", async () => {
    const r = await kcp("start", "--listen", "localhost");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      '--listen must be of format host:port (for example 127.0.0.1:6443, :6443 or [::1]:6443): "localhost" has no port',
    );
    expect(r.stderr).not.toMatch(/\bat .*\.ts:\d+/);
  });

  test("--log-level debug adds the stack to an error", async () => {
    const r = await kcp("start", "--listen", "::1:6443", "--log-level", "debug");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("put it in brackets");
    expect(r.stderr).toMatch(/listen-address\.ts/);
  });

  test("a bad --log-level exits 1 naming the choices", async () => {
    const r = await kcp("start", "--log-level", "loud");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Expected one of: silent, error, warn, info, debug, trace");
  });

  test("an unknown command exits 1 and shows the usage", async () => {
    const r = await kcp("frobnicate");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Unknown command frobnicate");
    expect(r.stdout).toContain("USAGE kcp");
  });

  test("no command exits 1 with the usage", async () => {
    const r = await kcp();
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("USAGE kcp");
  });
});
