// What `kcp start` must not load on its way to serving: libraries only some requests need (YAML
// bodies, CRD schemas and CEL rules) and an X.509 library (certificates are checked and written
// with node:crypto). Each costs start-up time and idle memory (docs/performance.md, start-up).
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const REPO = join(import.meta.dir, "../..");
const dir = mkdtempSync(join(tmpdir(), "kcp-startup-imports-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A fresh process starts the server twice on one root directory (making, then reusing, the
// certificates and the kubeconfig) and lists the packages it loaded.
const SCRIPT = `
const { startServer } = await import(${JSON.stringify(join(REPO, "src/app/start-server.ts"))});
const { setLogLevel } = await import(${JSON.stringify(join(REPO, "src/log.ts"))});
setLogLevel("silent");
for (let i = 0; i < 2; i++) {
  const s = await startServer({ rootDir: process.env.ROOT, listen: { host: "127.0.0.1", port: 0 } });
  const res = await fetch(s.url + "/readyz", { headers: { authorization: "Bearer " + s.token }, tls: { ca: s.caCertPem } });
  if (res.status !== 200) throw new Error("readyz " + res.status);
  await s.stop();
}
const pkgs = new Set();
for (const k of Object.keys(require.cache)) {
  const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(k);
  if (m) pkgs.add(m[1]);
}
console.log(JSON.stringify([...pkgs].sort()));
process.exit(0);
`;

test("kcp start loads no YAML, JSON Schema, CEL or X.509 library, and no etcd client", {
  timeout: 20_000,
}, async () => {
  const proc = Bun.spawn([process.execPath, "-e", SCRIPT], {
    cwd: REPO,
    env: { ...process.env, ROOT: dir },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  expect(await proc.exited, err).toBe(0);
  const loaded = JSON.parse(out.trim().split("\n").pop() ?? "[]") as string[];
  for (const pkg of [
    "yaml",
    "ajv",
    "@marcbachmann/cel-js",
    "@peculiar/x509",
    "asn1js",
    "reflect-metadata",
    "etcd3",
    "@grpc/grpc-js",
  ]) {
    expect(loaded).not.toContain(pkg);
  }
  // The probe itself: the server's own dependencies are seen.
  expect(loaded).toContain("hono");
});
