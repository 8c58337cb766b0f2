import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { writeAdminKubeconfig } from "../../src/config/kubeconfig.ts";
import { ensureServingCerts, servingHosts } from "../../src/pki/certs.ts";

// @peculiar/x509 needs the Reflect polyfill evaluated first; static imports do not guarantee the order.
await import("../../src/pki/reflect-polyfill.ts");
const x509 = await import("@peculiar/x509");

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "kcp-pki-"));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function files(dir: string): Record<string, string> {
  const read = (name: string) => readFileSync(join(dir, name), "utf8");
  return { ca: read("ca.crt"), caKey: read("ca.key"), cert: read("apiserver.crt"), key: read("apiserver.key") };
}

function sanOf(pem: string): string[] {
  const san = new x509.X509Certificate(pem).getExtension(x509.SubjectAlternativeNameExtension);
  return (san?.names.items ?? []).map((n) => `${n.type}:${n.value}`);
}

async function run(cmd: string[]): Promise<{ code: number; out: string }> {
  const proc = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  return { code: await proc.exited, out: stdout + stderr };
}

/** A TLS server with the generated certificate that answers /version like kube-apiserver. */
function serveTls(certs: { certPem: string; keyPem: string }) {
  return Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    tls: { cert: certs.certPem, key: certs.keyPem },
    fetch(req) {
      if (new URL(req.url).pathname.startsWith("/version")) {
        return Response.json({ major: "1", minor: "32", gitVersion: "v1.32.0", platform: "linux/amd64" });
      }
      return new Response("not found", { status: 404 });
    },
  });
}

describe("ensureServingCerts", () => {
  test("first run writes a CA and a serving certificate with private keys 0600", async () => {
    const dir = tempDir();
    const certs = await ensureServingCerts(dir);
    const f = files(dir);
    expect(certs).toEqual({ caCertPem: f.ca, caKeyPem: f.caKey, certPem: f.cert, keyPem: f.key });
    expect(statSync(join(dir, "ca.key")).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "apiserver.key")).mode & 0o777).toBe(0o600);
    expect(f.key).toStartWith("-----BEGIN PRIVATE KEY-----");
  });

  test("the CA and serving certificate carry what Go's verifier needs", async () => {
    const dir = tempDir();
    const certs = await ensureServingCerts(dir);
    const ca = new x509.X509Certificate(certs.caCertPem);
    const leaf = new x509.X509Certificate(certs.certPem);

    expect(ca.subject).toBe("CN=kcp-ca");
    expect(ca.getExtension(x509.BasicConstraintsExtension)?.ca).toBe(true);
    expect(ca.getExtension(x509.KeyUsagesExtension)!.usages & x509.KeyUsageFlags.keyCertSign).toBeTruthy();
    const caYears = (ca.notAfter.getTime() - Date.now()) / (365 * 86_400_000);
    expect(caYears).toBeGreaterThan(9.9);

    expect(leaf.issuer).toBe(ca.subject);
    expect(leaf.getExtension(x509.BasicConstraintsExtension)?.ca).toBe(false);
    expect(leaf.getExtension(x509.KeyUsagesExtension)!.usages & x509.KeyUsageFlags.digitalSignature).toBeTruthy();
    expect(leaf.getExtension(x509.ExtendedKeyUsageExtension)?.usages).toEqual([x509.ExtendedKeyUsage.serverAuth]);
    const caSki = ca.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
    expect(caSki).toBeString();
    expect(leaf.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId).toBe(caSki);
    expect(leaf.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId).toBeString();
    // Positive serials: the top bit of the first byte is clear.
    for (const cert of [ca, leaf]) expect(Number.parseInt(cert.serialNumber.slice(0, 2), 16)).toBeLessThan(0x80);
    const leafDays = (leaf.notAfter.getTime() - Date.now()) / 86_400_000;
    expect(leafDays).toBeGreaterThan(360);
    expect(leafDays).toBeLessThan(370);

    const san = sanOf(certs.certPem);
    expect(san).toContain("dns:localhost");
    expect(san).toContain(`dns:${hostname().toLowerCase()}`);
    expect(san).toContain("ip:127.0.0.1");
    expect(san.some((s) => s === "ip:::1" || s === "ip:0:0:0:0:0:0:0:1")).toBe(true);
  });

  test("openssl verifies the chain for server use", async () => {
    const dir = tempDir();
    await ensureServingCerts(dir);
    const result = await run([
      "openssl",
      "verify",
      "-purpose",
      "sslserver",
      "-x509_strict",
      "-CAfile",
      join(dir, "ca.crt"),
      join(dir, "apiserver.crt"),
    ]);
    expect(result.out).toContain(": OK");
    expect(result.code).toBe(0);
  });

  test("a second run reuses every file byte for byte", async () => {
    const dir = tempDir();
    await ensureServingCerts(dir, { extraHosts: ["kcp.example.test"] });
    const before = files(dir);
    const again = await ensureServingCerts(dir, { extraHosts: ["kcp.example.test"] });
    expect(files(dir)).toEqual(before);
    expect(again.certPem).toBe(before.cert);
  });

  test("extra hosts become SANs; a new one renews only the serving certificate", async () => {
    const dir = tempDir();
    await ensureServingCerts(dir);
    const before = files(dir);
    const certs = await ensureServingCerts(dir, {
      extraHosts: ["kcp.example.test", "10.1.2.3", "[fe80::1]", "0.0.0.0"],
    });
    const after = files(dir);
    expect(after.ca).toBe(before.ca);
    expect(after.caKey).toBe(before.caKey);
    expect(after.cert).not.toBe(before.cert);
    const san = sanOf(certs.certPem);
    expect(san).toContain("dns:kcp.example.test");
    expect(san).toContain("ip:10.1.2.3");
    expect(san.some((s) => /^ip:fe80:/i.test(s))).toBe(true);
    expect(san.some((s) => s.includes("0.0.0.0"))).toBe(false);
  });

  test("a name dropped from the extra hosts is issued again without it; the same set keeps the file", async () => {
    const dir = tempDir();
    await ensureServingCerts(dir, { extraHosts: ["lb.example.test", "10.9.8.7"] });
    const withBoth = files(dir);
    const fewer = await ensureServingCerts(dir, { extraHosts: ["lb.example.test"] });
    expect(files(dir).ca).toBe(withBoth.ca);
    expect(fewer.certPem).not.toBe(withBoth.cert);
    expect(sanOf(fewer.certPem)).toContain("dns:lb.example.test");
    expect(sanOf(fewer.certPem)).not.toContain("ip:10.9.8.7");
    // Case and spelling of the same set change nothing.
    const same = await ensureServingCerts(dir, { extraHosts: ["LB.example.test"] });
    expect(same.certPem).toBe(fewer.certPem);
  });

  test("a serving certificate within 30 days of expiry is renewed, the CA kept", async () => {
    const dir = tempDir();
    await ensureServingCerts(dir);
    const before = files(dir);
    // Eleven months on, the one-year serving certificate has under 30 days left.
    const later = new Date(Date.now() + 340 * 86_400_000);
    await ensureServingCerts(dir, { now: later });
    const after = files(dir);
    expect(after.ca).toBe(before.ca);
    expect(after.cert).not.toBe(before.cert);
    expect(new x509.X509Certificate(after.cert).notAfter.getTime()).toBeGreaterThan(later.getTime() + 300 * 86_400_000);
  });

  test("a missing serving key renews the serving pair; a missing CA key renews everything", async () => {
    const dir = tempDir();
    await ensureServingCerts(dir);
    const first = files(dir);
    rmSync(join(dir, "apiserver.key"));
    await ensureServingCerts(dir);
    const second = files(dir);
    expect(second.ca).toBe(first.ca);
    expect(second.cert).not.toBe(first.cert);

    rmSync(join(dir, "ca.key"));
    await ensureServingCerts(dir);
    const third = files(dir);
    expect(third.ca).not.toBe(second.ca);
    // The old serving certificate was signed by the old CA: it must go too.
    expect(third.cert).not.toBe(second.cert);
    const verify = await run(["openssl", "verify", "-CAfile", join(dir, "ca.crt"), join(dir, "apiserver.crt")]);
    expect(verify.code).toBe(0);
  });

  test("a key that does not match its certificate is replaced", async () => {
    const dir = tempDir();
    const other = tempDir();
    await ensureServingCerts(dir);
    await ensureServingCerts(other);
    const before = files(dir);
    writeFileSync(join(dir, "apiserver.key"), readFileSync(join(other, "apiserver.key")));
    const certs = await ensureServingCerts(dir);
    expect(certs.certPem).not.toBe(before.cert);
    expect(certs.caCertPem).toBe(before.ca);
  });

  test("a CA written by @peculiar/x509 (earlier versions) is kept and signs the new serving certificate", async () => {
    const dir = tempDir();
    const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
    const keys = (await crypto.subtle.generateKey(alg, true, ["sign", "verify"])) as CryptoKeyPair;
    const ski = await x509.SubjectKeyIdentifierExtension.create(keys.publicKey);
    const ca = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: "01",
      name: "CN=kcp-ca",
      notBefore: new Date(Date.now() - 3_600_000),
      notAfter: new Date(Date.now() + 3650 * 86_400_000),
      keys,
      signingAlgorithm: alg,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        ski,
      ],
    });
    const caKey = x509.PemConverter.encode(await crypto.subtle.exportKey("pkcs8", keys.privateKey), "PRIVATE KEY");
    writeFileSync(join(dir, "ca.crt"), ca.toString("pem"));
    writeFileSync(join(dir, "ca.key"), caKey);
    const certs = await ensureServingCerts(dir);
    expect(certs.caCertPem).toBe(ca.toString("pem"));
    const leaf = new x509.X509Certificate(certs.certPem);
    expect(leaf.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId).toBe(ski.keyId);
    const verify = await run([
      "openssl",
      "verify",
      "-purpose",
      "sslserver",
      "-x509_strict",
      "-CAfile",
      join(dir, "ca.crt"),
      join(dir, "apiserver.crt"),
    ]);
    expect(verify.out).toContain(": OK");
  });

  test("a certificate that is not a CA in place of the CA is replaced, and the serving pair with it", async () => {
    const dir = tempDir();
    await ensureServingCerts(dir);
    const before = files(dir);
    writeFileSync(join(dir, "ca.crt"), before.cert);
    writeFileSync(join(dir, "ca.key"), before.key);
    const certs = await ensureServingCerts(dir);
    expect(certs.caCertPem).not.toBe(before.cert);
    expect(new x509.X509Certificate(certs.caCertPem).getExtension(x509.BasicConstraintsExtension)?.ca).toBe(true);
    expect(certs.certPem).not.toBe(before.cert);
    const verify = await run(["openssl", "verify", "-CAfile", join(dir, "ca.crt"), join(dir, "apiserver.crt")]);
    expect(verify.code).toBe(0);
  });

  test("Bun.serve serves the certificate and fetch trusts it through the CA alone", async () => {
    const certs = await ensureServingCerts(tempDir());
    const server = serveTls(certs);
    try {
      for (const host of ["127.0.0.1", "localhost"]) {
        const res = await fetch(`https://${host}:${server.port}/version`, { tls: { ca: certs.caCertPem } });
        expect(res.status).toBe(200);
        expect(((await res.json()) as { minor: string }).minor).toBe("32");
      }
      // And without the CA the handshake is refused: trust comes from the CA, not from a lax client.
      await expect(fetch(`https://127.0.0.1:${server.port}/version`)).rejects.toThrow();
    } finally {
      server.stop(true);
    }
  });

  test("kubectl (Go TLS) accepts the chain through the admin kubeconfig", async () => {
    const dir = tempDir();
    const certs = await ensureServingCerts(dir);
    const server = serveTls(certs);
    try {
      const kubeconfig = join(dir, "admin.kubeconfig");
      await writeAdminKubeconfig(kubeconfig, {
        server: `https://127.0.0.1:${server.port}`,
        caCertPem: certs.caCertPem,
        token: "t",
      });
      const result = await run(["kubectl", "--kubeconfig", kubeconfig, "version", "-o", "json"]);
      expect(result.out).not.toContain("x509");
      expect(result.code).toBe(0);
      expect(JSON.parse(result.out.slice(result.out.indexOf("{"))).serverVersion.gitVersion).toBe("v1.32.0");
    } finally {
      server.stop(true);
    }
  });
});

describe("servingHosts", () => {
  test("always loopback and the host name; brackets and wildcards handled", () => {
    const hosts = servingHosts(["[::1]", "Example.TEST", "::", "0.0.0.0", "192.168.0.1"]);
    expect(hosts.dns).toContain("localhost");
    expect(hosts.dns).toContain("example.test");
    expect(hosts.ips.sort()).toEqual(["127.0.0.1", "192.168.0.1", "::1"]);
  });

  test("rejects a name that cannot be a SAN", () => {
    expect(() => servingHosts(["bad host!"])).toThrow(/invalid host name/);
  });
});
