// The x509 authenticator: CN → username, every O → a group (plus system:authenticated); no CN, or
// an extended key usage without client auth, authenticates no one.

import { afterAll, describe, expect, test } from "bun:test";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClientCertAuthenticator } from "../../src/auth/client-cert-authenticator.ts";
import { parseCertificateRequest } from "../../src/pki/certificate-request.ts";
import { ensureServingCerts, issueCertificate } from "../../src/pki/certs.ts";
import { certificateRequestPem, generateKey } from "../helpers/certificate-request.ts";

const dir = mkdtempSync(join(tmpdir(), "kcp-x509-auth-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const certs = await ensureServingCerts(dir);

function pemBytes(pem: string): Uint8Array {
  return new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64"));
}

function clientCert(subject: { cn?: string; orgs?: string[] }, extKeyUsages = ["1.3.6.1.5.5.7.3.2"]): X509Certificate {
  const key = generateKey("ec");
  const req = parseCertificateRequest(pemBytes(certificateRequestPem({ ...subject, key: key.privateKey })));
  return new X509Certificate(
    issueCertificate({
      caCertPem: certs.caCertPem,
      caKeyPem: certs.caKeyPem as string,
      subject: req.subject,
      publicKey: req.publicKey,
      keyUsage: 1,
      extKeyUsages,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 3600_000),
    }),
  );
}

describe("ClientCertAuthenticator", () => {
  const auth = new ClientCertAuthenticator();

  test("CN is the user, O the groups, plus system:authenticated", () => {
    expect(auth.authenticateCertificate(clientCert({ cn: "alice", orgs: ["dev", "ops"] }))).toEqual({
      username: "alice",
      groups: ["dev", "ops", "system:authenticated"],
    });
    expect(auth.authenticateCertificate(clientCert({ cn: "system:node:n1", orgs: [] }))).toEqual({
      username: "system:node:n1",
      groups: ["system:authenticated"],
    });
  });

  test("a certificate without a CN authenticates no one", () => {
    expect(auth.authenticateCertificate(clientCert({ orgs: ["dev"] }))).toBeNull();
  });

  test("extended key usage must allow client auth (any, or no extension, does)", () => {
    expect(auth.authenticateCertificate(clientCert({ cn: "svc" }, ["1.3.6.1.5.5.7.3.1"]))).toBeNull();
    expect(auth.authenticateCertificate(clientCert({ cn: "svc" }, ["2.5.29.37.0"]))?.username).toBe("svc");
    expect(auth.authenticateCertificate(clientCert({ cn: "svc" }, []))?.username).toBe("svc");
  });

  test("names with characters the text form would confuse stay whole", () => {
    const user = auth.authenticateCertificate(clientCert({ cn: "a\nO=admins", orgs: ["x, O=y"] }));
    expect(user).toEqual({ username: "a\nO=admins", groups: ["x, O=y", "system:authenticated"] });
  });
});
