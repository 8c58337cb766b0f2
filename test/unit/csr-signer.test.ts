// The CSR signer's decisions (src/controllers/csr/signer.ts) for each signer kcp handles, and the
// certificates it makes, read back with @peculiar/x509 and node:crypto.

import { afterAll, describe, expect, test } from "bun:test";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KObject } from "../../src/apis/types.ts";
import {
  certificateDuration,
  DEFAULT_MAX_DURATION_MS,
  decide,
  KUBE_APISERVER_CLIENT,
  KUBE_APISERVER_CLIENT_KUBELET,
  LEGACY_UNKNOWN,
  type SigningCA,
} from "../../src/controllers/csr/signer.ts";
import { ensureServingCerts } from "../../src/pki/certs.ts";
import { certificateRequestPem, generateKey, type KeyKind } from "../helpers/certificate-request.ts";

await import("../../src/pki/reflect-polyfill.ts");
const x509 = await import("@peculiar/x509");

const dir = mkdtempSync(join(tmpdir(), "kcp-csr-signer-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const certs = await ensureServingCerts(dir);
const caCert = new X509Certificate(certs.caCertPem);
const ca: SigningCA = { certPem: certs.caCertPem, keyPem: certs.caKeyPem as string, notAfter: caCert.validToDate };

const MINUTE = 60_000;
const approved = [
  { type: "Approved", status: "True", reason: "KubectlApprove", lastUpdateTime: "2026-01-01T00:00:00Z" },
];

interface CsrInput {
  signerName?: string;
  usages?: string[];
  expirationSeconds?: number;
  conditions?: unknown[];
  certificate?: string;
  cn?: string;
  orgs?: string[];
  dnsNames?: string[];
  keyKind?: KeyKind;
  badSignature?: boolean;
}

function csr(o: CsrInput = {}): KObject {
  const key = generateKey(o.keyKind ?? "ec");
  const pem = certificateRequestPem({
    cn: o.cn ?? "alice",
    orgs: o.orgs ?? ["dev"],
    dnsNames: o.dnsNames,
    key: key.privateKey,
    badSignature: o.badSignature,
  });
  return {
    apiVersion: "certificates.k8s.io/v1",
    kind: "CertificateSigningRequest",
    metadata: { name: "req" },
    spec: {
      request: Buffer.from(pem).toString("base64"),
      signerName: o.signerName ?? KUBE_APISERVER_CLIENT,
      usages: o.usages ?? ["client auth"],
      ...(o.expirationSeconds !== undefined ? { expirationSeconds: o.expirationSeconds } : {}),
    },
    status: {
      conditions: o.conditions ?? approved,
      ...(o.certificate ? { certificate: o.certificate } : {}),
    },
  };
}

function issued(obj: KObject, now = new Date()): InstanceType<typeof x509.X509Certificate> {
  const d = decide(obj, ca, { now });
  if (d.action !== "issue") throw new Error(`expected a certificate, got ${JSON.stringify(d)}`);
  return new x509.X509Certificate(d.certificate);
}

function failure(obj: KObject): string {
  const d = decide(obj, ca);
  if (d.action !== "fail") throw new Error(`expected a failure, got ${d.action}`);
  expect(d.reason).toBe("SignerValidationFailure");
  return d.message;
}

describe("which CSRs are signed", () => {
  test("pending, denied, failed and already issued CSRs are left alone", () => {
    expect(decide(csr({ conditions: [] }), ca).action).toBe("none");
    expect(decide(csr({ conditions: [{ type: "Denied", status: "True" }] }), ca).action).toBe("none");
    expect(decide(csr({ conditions: [...approved, { type: "Failed", status: "True", reason: "X" }] }), ca).action).toBe(
      "none",
    );
    expect(decide(csr({ certificate: "Zm9v" }), ca).action).toBe("none");
    // Approved and Denied both: kube counts it as not approved.
    expect(decide(csr({ conditions: [...approved, { type: "Denied", status: "True" }] }), ca).action).toBe("none");
  });

  test("signers kcp does not handle are left for others", () => {
    for (const signerName of ["kubernetes.io/kubelet-serving", "example.com/mine"])
      expect(decide(csr({ signerName }), ca).action).toBe("none");
  });

  test("approved kube-apiserver-client, kubelet client and legacy-unknown CSRs are signed", () => {
    expect(decide(csr(), ca).action).toBe("issue");
    expect(
      decide(
        csr({
          signerName: KUBE_APISERVER_CLIENT_KUBELET,
          cn: "system:node:n1",
          orgs: ["system:nodes"],
          usages: ["digital signature", "client auth"],
        }),
        ca,
      ).action,
    ).toBe("issue");
    expect(decide(csr({ signerName: LEGACY_UNKNOWN, usages: ["server auth", "code signing"] }), ca).action).toBe(
      "issue",
    );
  });
});

describe("kube's per-signer rules → Failed", () => {
  test("kube-apiserver-client: client auth required, only digital signature and key encipherment besides", () => {
    expect(failure(csr({ usages: ["client auth", "server auth"] }))).toBe(
      "invalid usage for client certificate: server auth",
    );
    expect(failure(csr({ usages: ["digital signature"] }))).toBe(
      "missing required usage for client certificate: client auth",
    );
    expect(decide(csr({ usages: ["digital signature", "key encipherment", "client auth"] }), ca).action).toBe("issue");
  });

  test("kube-apiserver-client-kubelet: system:nodes, system:node: CN, no SANs, exact usages", () => {
    const kubelet = (o: CsrInput) =>
      csr({
        signerName: KUBE_APISERVER_CLIENT_KUBELET,
        cn: "system:node:n1",
        orgs: ["system:nodes"],
        usages: ["digital signature", "key encipherment", "client auth"],
        ...o,
      });
    expect(failure(kubelet({ orgs: ["dev"] }))).toBe("subject organization is not system:nodes");
    expect(failure(kubelet({ cn: "n1" }))).toBe("subject common name does not begin with system:node:");
    expect(failure(kubelet({ dnsNames: ["n1.example"] }))).toBe("DNS subjectAltNames are not allowed");
    expect(failure(kubelet({ usages: ["client auth"] }))).toBe(
      "usages did not match [client auth digital signature key encipherment]",
    );
    expect(decide(kubelet({}), ca).action).toBe("issue");
  });

  test("a request whose signature does not verify fails", () => {
    expect(failure(csr({ badSignature: true }))).toBe(
      "unable to verify certificate request signature: x509: ECDSA verification failure",
    );
    expect(failure(csr({ badSignature: true, keyKind: "rsa" }))).toBe(
      "unable to verify certificate request signature: crypto/rsa: verification error",
    );
  });
});

describe("the certificate", () => {
  test("subject, key, usages and extensions as kube's signer writes them", async () => {
    const now = new Date();
    const cert = issued(csr({ cn: "alice", orgs: ["dev", "ops"], dnsNames: ["alice.example"] }), now);
    expect(cert.subject).toBe("O=dev, O=ops, CN=alice");
    expect(cert.issuer).toBe(caCert.subject.replace(/\n/g, ", "));
    expect(await cert.verify({ publicKey: await new x509.X509Certificate(certs.caCertPem).publicKey.export() })).toBe(
      true,
    );
    const basic = cert.getExtension(x509.BasicConstraintsExtension);
    expect(basic?.ca).toBe(false);
    expect(basic?.critical).toBe(true);
    const eku = cert.getExtension(x509.ExtendedKeyUsageExtension);
    expect(eku?.usages).toEqual(["1.3.6.1.5.5.7.3.2"]);
    // No key usage requested: no key usage extension (Go omits a zero KeyUsage).
    expect(cert.getExtension(x509.KeyUsagesExtension)).toBeNull();
    const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
    expect(san?.names.toJSON()).toEqual([{ type: "dns", value: "alice.example" }]);
    expect(cert.getExtension(x509.AuthorityKeyIdentifierExtension)).not.toBeNull();
    // A year by default, back-dated 5 minutes.
    expect(cert.notBefore.getTime()).toBe(Math.floor((now.getTime() - 5 * MINUTE) / 1000) * 1000);
    expect(cert.notAfter.getTime()).toBe(Math.floor((now.getTime() + DEFAULT_MAX_DURATION_MS) / 1000) * 1000);
  });

  test("requested key usages become the key usage extension, critical", () => {
    const cert = issued(csr({ usages: ["digital signature", "key encipherment", "client auth"] }));
    const ku = cert.getExtension(x509.KeyUsagesExtension);
    expect(ku?.critical).toBe(true);
    expect(ku?.usages).toBe(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment);
    const legacy = issued(csr({ signerName: LEGACY_UNKNOWN, usages: ["cert sign", "decipher only", "server auth"] }));
    expect(legacy.getExtension(x509.KeyUsagesExtension)?.usages).toBe(
      x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.decipherOnly,
    );
  });

  test("RSA and Ed25519 keys are signed too", () => {
    for (const keyKind of ["rsa", "ed25519"] as const) {
      const cert = issued(csr({ keyKind }));
      expect(cert.publicKey.algorithm.name).toBe(keyKind === "rsa" ? "RSASSA-PKCS1-v1_5" : "Ed25519");
    }
  });

  test("expirationSeconds: honoured between 10 minutes and the maximum", () => {
    expect(certificateDuration(undefined, DEFAULT_MAX_DURATION_MS)).toBe(DEFAULT_MAX_DURATION_MS);
    expect(certificateDuration(3600, DEFAULT_MAX_DURATION_MS)).toBe(3600_000);
    expect(certificateDuration(60, DEFAULT_MAX_DURATION_MS)).toBe(10 * MINUTE);
    expect(certificateDuration(10 ** 9, DEFAULT_MAX_DURATION_MS)).toBe(DEFAULT_MAX_DURATION_MS);
    expect(certificateDuration(7200, 3600_000)).toBe(3600_000);
    const now = new Date();
    const hour = issued(csr({ expirationSeconds: 3600 }), now);
    expect(hour.notAfter.getTime() - Math.floor(now.getTime() / 1000) * 1000).toBe(3600_000);
    // Shorter than 8 hours: back-dated proportionally less (5 min × 1 h / 8 h).
    expect(now.getTime() - hour.notBefore.getTime()).toBeLessThan(Math.ceil((5 * MINUTE) / 8) + 1000);
  });

  test("never outlives the CA", () => {
    const short: SigningCA = { ...ca, notAfter: new Date(Date.now() + 30 * MINUTE) };
    const d = decide(csr(), short);
    if (d.action !== "issue") throw new Error("expected a certificate");
    expect(new X509Certificate(d.certificate).validToDate.getTime()).toBe(
      Math.floor(short.notAfter.getTime() / 1000) * 1000,
    );
  });
});
