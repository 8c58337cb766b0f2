// `kcp start --tls-sans`: the serving certificate answers to the extra names, so a client that
// reaches kcp through a load balancer's name verifies it; the set changing issues it again; a name
// that cannot be in a certificate stops the start with its name.
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { kubectl, removeDir, startKcp, tempDir } from "../helpers/kcp-process.ts";

setDefaultTimeout(60_000);

const REPO = join(import.meta.dir, "../..");
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) removeDir(d);
});

test("kubectl verifies the certificate by an extra name, and not by a name left out", async () => {
  const rootDir = tempDir();
  dirs.push(rootDir);
  const k = await startKcp({ rootDir, args: ["--tls-sans", "kcp.lb.example.test, 10.20.30.40"] });
  try {
    // kubectl connects to 127.0.0.1 and checks the certificate against the name given.
    const byName = await kubectl(k, ["--tls-server-name", "kcp.lb.example.test", "get", "ns", "default", "-o", "name"]);
    expect(byName.stderr).toBe("");
    expect(byName.stdout.trim()).toBe("namespace/default");
    const other = await kubectl(k, ["--tls-server-name", "other.example.test", "get", "ns", "default"]);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toContain("x509: certificate is valid for");
    expect(other.stderr).toContain("kcp.lb.example.test");
  } finally {
    await k.stop();
  }
  const first = readFileSync(join(rootDir, "data", "apiserver.crt"), "utf8");
  const san = new X509Certificate(first).subjectAltName ?? "";
  expect(san).toContain("DNS:kcp.lb.example.test");
  expect(san).toContain("IP Address:10.20.30.40");

  // Started again without the flag: the certificate is issued again without the names.
  const again = await startKcp({ rootDir });
  try {
    const byName = await kubectl(again, ["--tls-server-name", "kcp.lb.example.test", "get", "ns", "default"]);
    expect(byName.code).not.toBe(0);
    expect(byName.stderr).toContain("x509: certificate is valid for");
  } finally {
    await again.stop();
  }
  const second = readFileSync(join(rootDir, "data", "apiserver.crt"), "utf8");
  expect(second).not.toBe(first);
  expect(new X509Certificate(second).subjectAltName).not.toContain("kcp.lb.example.test");
});

test("a name that cannot be in a certificate stops the start, exit 1, naming it", async () => {
  const rootDir = tempDir();
  dirs.push(rootDir);
  const proc = Bun.spawn(
    [
      process.execPath,
      join(REPO, "src/main.ts"),
      "start",
      "--root-dir",
      rootDir,
      "--tls-sans",
      "ok.example.test,bad name!",
    ],
    { stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } },
  );
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  expect(code).toBe(1);
  expect(out + err).toContain('invalid host name for the serving certificate: "bad name!"');
  expect(out + err).not.toContain("Serving securely");
});
