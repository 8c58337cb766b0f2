// The offload worker in the compiled binary: `bun build --compile` bundles a Worker's module only
// as an entry point of its own (scripts/build.ts). A large apply and a large YAML body, which go
// to the worker, must work in dist/kcp run from a directory without the sources.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBinary } from "../../scripts/build.ts";

let workDir: string;
let proc: ReturnType<typeof Bun.spawn> | undefined;
let out = "";

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), "kcp-offload-binary-"));
  await buildBinary(join(workDir, "kcp"));
}, 240_000);

afterAll(async () => {
  if (proc && proc.exitCode === null) {
    proc.kill("SIGKILL");
    await proc.exited;
  }
  rmSync(workDir, { recursive: true, force: true });
});

test("dist/kcp works large applies and YAML bodies in its worker", async () => {
  proc = Bun.spawn([join(workDir, "kcp"), "start", "--root-dir", join(workDir, "root"), "--listen", "127.0.0.1:0"], {
    cwd: workDir,
    stdout: "pipe",
    stderr: "pipe",
    env: { PATH: "/usr/bin:/bin", HOME: workDir, NO_COLOR: "1" },
  });
  const decoder = new TextDecoder();
  for (const s of [proc.stdout, proc.stderr] as ReadableStream<Uint8Array>[])
    void (async () => {
      for await (const chunk of s) out += decoder.decode(chunk);
    })();
  const deadline = Date.now() + 30_000;
  let port = 0;
  while (!port && Date.now() < deadline && proc.exitCode === null) {
    port = Number(/Serving securely on [^\s]*:(\d+)/.exec(out)?.[1] ?? 0);
    await Bun.sleep(50);
  }
  expect(port).toBeGreaterThan(0);
  const token = readFileSync(join(workDir, "root", "data", "admin.token"), "utf8").trim();
  const ca = readFileSync(join(workDir, "root", "data", "ca.crt"), "utf8");
  const call = (path: string, method: string, body: string, type: string) =>
    fetch(`https://127.0.0.1:${port}/api/v1/namespaces/default/configmaps${path}`, {
      method,
      body,
      headers: { Authorization: `Bearer ${token}`, "Content-Type": type },
      tls: { ca },
    } as RequestInit);
  const data: Record<string, string> = {};
  for (let i = 0; i < 10_000; i++) data[`k${i}`] = `v${i}`;
  const applied = await call(
    "/wide?fieldManager=a",
    "PATCH",
    JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "wide" }, data }),
    "application/apply-patch+yaml",
  );
  const obj = (await applied.json()) as { data: Record<string, string>; metadata: { managedFields: unknown[] } };
  expect(applied.status).toBe(201);
  expect(Object.keys(obj.data).length).toBe(10_000);
  expect(obj.metadata.managedFields.length).toBe(1);
  const yaml = ["apiVersion: v1", "kind: ConfigMap", "metadata:", "  name: from-yaml", "data:"];
  for (let i = 0; i < 5_000; i++) yaml.push(`  key-${i}: value-${i}-abcdefghij`);
  const created = await call("", "POST", yaml.join("\n"), "application/yaml");
  expect(created.status).toBe(201);
  expect(((await created.json()) as { data: Record<string, string> }).data["key-4999"]).toBe("value-4999-abcdefghij");
  expect(out).not.toContain("ModuleNotFound");
  proc.kill("SIGTERM");
  expect(await proc.exited).toBe(0);
}, 60_000);
