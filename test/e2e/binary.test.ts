// The compiled binary must run on its own: no node_modules, no package.json, and it must not pick
// up .env or bunfig.toml from the directory it is started in.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { buildBinary, buildStamp } from "../../scripts/build.ts";

const KUBECTL_DIR = "/usr/lib/google-cloud-sdk/bin";
let workDir: string;
let binary: string;
/** The stamp the build took from this checkout. */
let stamp: ReturnType<typeof buildStamp>;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), "kcp-binary-"));
  binary = join(workDir, "bin", "kcp");
  stamp = buildStamp();
  await buildBinary(binary, undefined, stamp);
  // Traps: the binary was built with autoload of both switched off, so neither may matter.
  writeFileSync(join(workDir, "bunfig.toml"), 'preload = ["./does-not-exist.ts"]\n');
  writeFileSync(join(workDir, ".env"), "NO_COLOR=\n");
}, 120_000);

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

async function run(args: string[], env: Record<string, string> = {}) {
  const proc = Bun.spawn([binary, ...args], {
    cwd: workDir,
    stdout: "pipe",
    stderr: "pipe",
    env: { PATH: `/usr/bin:/bin:${KUBECTL_DIR}`, HOME: workDir, NO_COLOR: "1", ...env },
  });
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  return { code: await proc.exited, stdout, stderr };
}

/** Start `dist/kcp` with `args`, gathering its stdout and stderr into one text. */
function spawnKcp(args: string[], env: Record<string, string> = {}) {
  const proc = Bun.spawn([binary, ...args], {
    cwd: workDir,
    stdout: "pipe",
    stderr: "pipe",
    env: { PATH: "/usr/bin:/bin", HOME: workDir, ...env },
  });
  let out = "";
  const decoder = new TextDecoder();
  const pump = async (s: ReadableStream<Uint8Array>) => {
    for await (const chunk of s) out += decoder.decode(chunk);
  };
  const pumped = Promise.all([pump(proc.stdout), pump(proc.stderr)]);
  /** The first match of `re` in the output, waiting up to 20 s for it (null if it never came). */
  const waitFor = async (re: RegExp) => {
    const deadline = Date.now() + 20_000;
    while (!re.test(out) && proc.exitCode === null && Date.now() < deadline) await Bun.sleep(20);
    return re.exec(out);
  };
  return { proc, pumped, waitFor, output: () => out };
}

describe("dist/kcp", () => {
  test("version runs from a directory without node_modules", async () => {
    const r = await run(["version"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const commit = `${stamp.gitCommit}${stamp.gitTreeState === "dirty" ? "-dirty" : ""}`;
    expect(stamp.gitCommit).toMatch(/^[0-9a-f]{40}$/);
    expect(r.stdout).toBe(`kcp ${pkg.version} (commit ${commit}, Kubernetes API v1.32)\n`);
    // The stamp is baked in: the binary runs where there is no checkout (HOME, cwd: a temp dir).
    const json = JSON.parse((await run(["version", "-o", "json"])).stdout);
    expect(json).toMatchObject({ gitCommit: stamp.gitCommit, buildDate: stamp.buildDate });
  });

  test("--help and start --help", async () => {
    const root = await run(["--help"]);
    expect(root.code).toBe(0);
    expect(root.stdout).toContain(
      "USAGE kcp start|migrate|backup|restore|sync|split|cluster|version|crds|pull-crds|workspace|ws|completion|help",
    );
    const start = await run(["start", "--help"]);
    expect(start.code).toBe(0);
    expect(start.stdout).toContain("--listen=<host:port>");
  });

  test("a bad flag exits 1 with a message", async () => {
    const r = await run(["start", "--listen", "nope"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("--listen must be of format host:port");
  });

  test("start serves kubectl and stops cleanly on SIGTERM", async () => {
    const rootDir = join(workDir, "root");
    const { proc, pumped, waitFor, output } = spawnKcp(["start", "--root-dir", rootDir, "--listen", "127.0.0.1:0"]);
    try {
      expect(await waitFor(/Serving securely on \S+:\d+/)).not.toBeNull();

      const kubectl = Bun.spawn(
        ["kubectl", "--kubeconfig", join(rootDir, "data", "admin.kubeconfig"), "get", "namespaces", "-o", "name"],
        {
          stdout: "pipe",
          stderr: "pipe",
          env: { ...process.env, HOME: workDir, PATH: `${process.env.PATH}:${KUBECTL_DIR}` },
        },
      );
      const [stdout, stderr] = await Promise.all([
        new Response(kubectl.stdout).text(),
        new Response(kubectl.stderr).text(),
      ]);
      expect(stderr).toBe("");
      expect(await kubectl.exited).toBe(0);
      expect(stdout).toContain("namespace/default");
    } finally {
      proc.kill("SIGTERM");
    }
    expect(await proc.exited).toBe(0);
    await pumped;
    // The WAL checkpoint worker is bundled too: it started (no fallback to the main thread) and
    // closed its connection, so the server's, the last, removed the WAL.
    expect(output()).not.toContain("checkpoint worker");
    expect(existsSync(join(rootDir, "data", "kcp.db-wal"))).toBe(false);
  }, 60_000);
});
