// The etcd backend inside a binary made by `bun build --compile`, run against a real etcd where
// no node_modules can be found: what the compile plugin (scripts/etcd3-compile-plugin.ts) exists
// for. Without it the binary dies at start reading etcd3's proto/rpc.proto.
//
// A compiled binary remembers the absolute directory of each bundled module (`__dirname`), so on
// the machine that built it, it would quietly read the repository's node_modules. The test
// therefore builds from a throwaway copy of src/ and of the packages it needs, and deletes that
// copy before running the binary.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { etcd3CompilePlugin } from "../../scripts/etcd3-compile-plugin.ts";
import { type EtcdCluster, etcdMissingReason, startEtcd, tempDir } from "../helpers/etcd-process.ts";

const REPO = resolve(import.meta.dir, "../..");

// Every field the backend relies on is snake_case on the wire (range_end, prev_kv, count_only,
// create_revision): a list, a count, a guarded update and a watch with previous values would each
// lose something if the embedded definitions had been camelCased.
const PROGRAM = `
import { EtcdStorage } from "./src/storage/etcd/etcd-storage.ts";
const endpoint = process.argv[process.argv.length - 1];
const s = await EtcdStorage.connect({ endpoints: [endpoint], prefix: "/compiled", callTimeoutMs: 3000 });
const r0 = await s.currentRevision();
const seen = [];
const w = s.watch({ prefix: "/registry/", afterRevision: r0, onEvent: (ev) => { seen.push(ev); }, onError: (e) => { console.error(e); process.exit(3); } });
const a = await s.create("/registry/core/configmaps/root/default/a", '{"text":"grüße"}');
await s.create("/registry/core/configmaps/root/default/b", "b");
await s.create("/registry/core/configmaps/root/other/c", "c");
const a2 = await s.update("/registry/core/configmaps/root/default/a", "a2", a);
const list = await s.list({ prefix: "/registry/core/configmaps/root/default/" });
const count = await s.count("/registry/core/configmaps/");
const stale = await s.update("/registry/core/configmaps/root/default/a", "x", a).then(() => "applied", (e) => e.message);
while (seen.length < 4) await Bun.sleep(5);
w.stop();
await s.close();
console.log(JSON.stringify({
  first: list.items[0].value,
  keys: list.items.map((kv) => kv.key),
  count,
  stale,
  a2,
  events: seen.map((e) => [e.type, e.key.split("/").pop(), e.value, e.prevValue ?? null]),
}));
`;

const missing = etcdMissingReason();

if (missing) {
  console.error(`etcd compiled-binary test cannot run: ${missing}`);
  test("etcd is installed", () => {
    throw new Error(missing);
  });
} else {
  describe("etcd backend in a compiled binary", () => {
    let etcd: EtcdCluster;
    let dir: string;

    beforeAll(async () => {
      dir = tempDir("kcp-etcd-compiled-");
      etcd = await startEtcd();
    });
    afterAll(async () => {
      await etcd?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** Build in a fresh copy of src/ and the packages it imports; delete the copy afterwards. */
    async function build(outfile: string, withPlugin: boolean): Promise<void> {
      const project = join(dir, `project-${withPlugin ? "with" : "without"}`);
      cpSync(join(REPO, "src"), join(project, "src"), { recursive: true });
      copyPackages(["etcd3", "@grpc/grpc-js", "consola"], join(REPO, "node_modules"), join(project, "node_modules"));
      const entry = join(project, "program.ts");
      writeFileSync(entry, PROGRAM);
      try {
        await bundle(entry, outfile, withPlugin);
      } finally {
        rmSync(project, { recursive: true, force: true });
      }
    }

    async function bundle(entry: string, outfile: string, withPlugin: boolean): Promise<void> {
      const result = await Bun.build({
        entrypoints: [entry],
        compile: { outfile, autoloadDotenv: false, autoloadBunfig: false },
        minify: true,
        bytecode: true,
        format: "esm",
        target: "bun",
        plugins: withPlugin ? [etcd3CompilePlugin] : [],
      });
      if (!result.success) throw new AggregateError(result.logs, "bundle failed");
    }

    async function run(binary: string): Promise<{ code: number; out: string; err: string }> {
      // An empty working directory: nothing to find in node_modules, no bunfig, no .env.
      const cwd = tempDir("kcp-etcd-run-");
      try {
        const proc = Bun.spawn([binary, etcd.endpoints[0] as string], {
          cwd,
          stdout: "pipe",
          stderr: "pipe",
          env: { PATH: process.env.PATH ?? "" },
        });
        const timer = setTimeout(() => proc.kill("SIGKILL"), 20_000);
        const [out, err, code] = await Promise.all([
          new Response(proc.stdout).text(),
          new Response(proc.stderr).text(),
          proc.exited,
        ]);
        clearTimeout(timer);
        return { code, out, err };
      } finally {
        rmSync(cwd, { recursive: true, force: true });
      }
    }

    test("with the plugin, put, get, list, count, a guarded update and a watch work", async () => {
      const binary = join(dir, "with-plugin");
      await build(binary, true);
      const { code, out, err } = await run(binary);
      expect(err).toBe("");
      expect(code).toBe(0);
      const res = JSON.parse(out);
      expect(res.keys).toEqual([
        "/registry/core/configmaps/root/default/a",
        "/registry/core/configmaps/root/default/b",
      ]);
      expect(res.first).toBe("a2");
      expect(res.count).toBe(3);
      expect(res.stale).toContain("revision mismatch");
      expect(res.events).toEqual([
        ["PUT", "a", '{"text":"grüße"}', null],
        ["PUT", "b", "b", null],
        ["PUT", "c", "c", null],
        ["PUT", "a", "a2", '{"text":"grüße"}'],
      ]);
    }, 60_000);

    test("without the plugin, the binary cannot load etcd3 (why the plugin exists)", async () => {
      const binary = join(dir, "without-plugin");
      await build(binary, false);
      const { code, err } = await run(binary);
      expect(code).not.toBe(0);
      expect(err).toContain("proto/rpc.proto");
      expect(err).toContain("ENOENT");
    }, 60_000);
  });
}

/**
 * Copy packages and everything they depend on (dependencies, resolved the way Node does, nested
 * node_modules included) from one node_modules tree into another, as real files.
 */
function copyPackages(names: string[], fromModules: string, toModules: string): void {
  const root = dirname(fromModules);
  const copied = new Set<string>();
  const visit = (name: string, from: string) => {
    const dir = resolvePackage(name, from, root);
    if (!dir) throw new Error(`package ${name} (needed from ${from}) is not installed`);
    if (copied.has(dir)) return;
    copied.add(dir);
    const dest = join(dirname(toModules), relative(root, dir));
    mkdirSync(dest, { recursive: true });
    // Nested node_modules are copied package by package as they are reached.
    cpSync(dir, dest, {
      recursive: true,
      filter: (src) => src === dir || !relative(dir, src).startsWith("node_modules"),
    });
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) {
      if (pkg.optionalDependencies?.[dep] !== undefined && !resolvePackage(dep, dir, root)) continue;
      visit(dep, dir);
    }
  };
  for (const name of names) visit(name, root);
}

/** Where `name` resolves from a package directory: its own node_modules, then each parent's. */
function resolvePackage(name: string, fromDir: string, root: string): string | null {
  let dir = fromDir;
  for (;;) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    if (dir === root || dir === dirname(dir)) return null;
    dir = dirname(dir);
  }
}
