// CertificateSigningRequests end to end with the real kubectl: a CSR approved with
// `kubectl certificate approve` is signed by kcp's CA, and the certificate is a working credential
// (`kubectl --client-certificate … get ns`, `auth whoami` shows CN and O); a certificate of another
// CA is refused with 401; a denied CSR is never signed; a CSR breaking its signer's rules fails.

import { describe, expect, test } from "bun:test";
import { X509Certificate } from "node:crypto";
import { join } from "node:path";
import { stringify as stringifyYaml } from "yaml";
import { parseCertificateRequest } from "../../src/pki/certificate-request.ts";
import { ensureServingCerts, issueCertificate } from "../../src/pki/certs.ts";
import { certificateRequestPem, generateKey } from "../helpers/certificate-request.ts";
import { type KcpProcess, kubectl, removeDir, startKcp, tempDir, useKcp } from "../helpers/kcp-process.ts";

let kcp: KcpProcess;
useKcp((k) => (kcp = k), { args: ["--client-certificates"] });

type Obj = Record<string, any>;

function pemBytes(pem: string): Uint8Array {
  return new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64"));
}

function csrManifest(name: string, requestPem: string, extra: Obj = {}): string {
  return JSON.stringify({
    apiVersion: "certificates.k8s.io/v1",
    kind: "CertificateSigningRequest",
    metadata: { name },
    spec: {
      request: Buffer.from(requestPem).toString("base64"),
      signerName: "kubernetes.io/kube-apiserver-client",
      usages: ["client auth"],
      ...extra,
    },
  });
}

async function createCsr(name: string, requestPem: string, extra: Obj = {}): Promise<void> {
  const r = await kubectl(kcp, ["create", "-f", "-"], { stdin: csrManifest(name, requestPem, extra) });
  expect(r.stderr).toBe("");
  expect(r.stdout).toContain(`certificatesigningrequest.certificates.k8s.io/${name} created`);
}

async function getCsr(name: string): Promise<Obj> {
  const r = await kubectl(kcp, ["get", "csr", name, "-o", "json"]);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

/** Poll until `done` holds for the CSR (eventual state; the deadline only bounds a failure). */
async function waitForCsr(name: string, done: (csr: Obj) => boolean, ms = 10_000): Promise<Obj> {
  const deadline = Date.now() + ms;
  for (;;) {
    const csr = await getCsr(name);
    if (done(csr)) return csr;
    if (Date.now() > deadline) throw new Error(`csr ${name}: condition not met: ${JSON.stringify(csr.status)}`);
    await Bun.sleep(100);
  }
}

/** A kubeconfig whose only user credential is the client certificate (or none). */
function certKubeconfig(file: string, certPem?: string, keyPem?: string): Promise<string> {
  return certKubeconfigFor(kcp, file, certPem, keyPem);
}

async function certKubeconfigFor(kcp: KcpProcess, file: string, certPem?: string, keyPem?: string): Promise<string> {
  const ca = await Bun.file(join(kcp.rootDir, "data", "ca.crt")).text();
  const doc = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      { name: "kcp", cluster: { server: kcp.url, "certificate-authority-data": Buffer.from(ca).toString("base64") } },
    ],
    users: [
      {
        name: "cert-user",
        user:
          certPem && keyPem
            ? {
                "client-certificate-data": Buffer.from(certPem).toString("base64"),
                "client-key-data": Buffer.from(keyPem).toString("base64"),
              }
            : {},
      },
    ],
    contexts: [{ name: "cert", context: { cluster: "kcp", user: "cert-user" } }],
    "current-context": "cert",
  };
  const path = join(kcp.rootDir, file);
  await Bun.write(path, stringifyYaml(doc));
  return path;
}

describe("CSR signing", () => {
  test("approve → Issued; the certificate authenticates as CN with groups O", async () => {
    const key = generateKey("ec");
    await createCsr("alice", certificateRequestPem({ cn: "alice", orgs: ["dev", "ops"], key: key.privateKey }), {
      expirationSeconds: 3600,
    });
    // Pending: nothing is signed before approval.
    await Bun.sleep(300);
    expect((await getCsr("alice")).status?.certificate).toBeUndefined();
    const approve = await kubectl(kcp, ["certificate", "approve", "alice"]);
    expect(approve.stdout).toContain("approved");
    const csr = await waitForCsr("alice", (c) => Boolean(c.status?.certificate));
    const list = await kubectl(kcp, ["get", "csr", "alice", "--no-headers"]);
    expect(list.stdout).toContain("Approved,Issued");

    const certPem = Buffer.from(csr.status.certificate, "base64").toString();
    const cert = new X509Certificate(certPem);
    const ca = new X509Certificate(await Bun.file(join(kcp.rootDir, "data", "ca.crt")).text());
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.subject.split("\n").sort()).toEqual(["CN=alice", "O=dev", "O=ops"]);
    expect(cert.keyUsage).toEqual(["1.3.6.1.5.5.7.3.2"]);
    // expirationSeconds honoured: one hour (minus no back-dating beyond a few minutes).
    const lifetime = cert.validToDate.getTime() - Date.now();
    expect(lifetime).toBeGreaterThan(55 * 60 * 1000);
    expect(lifetime).toBeLessThanOrEqual(60 * 60 * 1000);

    const kubeconfig = await certKubeconfig("alice.kubeconfig", certPem, key.keyPem);
    // RBAC: the certificate's groups are bound as any user's: group dev may view.
    const bound = await kubectl(kcp, ["create", "clusterrolebinding", "dev-view", "--clusterrole=view", "--group=dev"]);
    expect(bound.stderr).toBe("");
    for (let i = 0; i < 100; i++) {
      if ((await kubectl(kcp, ["auth", "can-i", "list", "namespaces"], { kubeconfig })).code === 0) break;
      await Bun.sleep(50);
    }
    const ns = await kubectl(kcp, ["get", "ns", "default", "-o", "name"], { kubeconfig });
    expect(ns.stderr).toBe("");
    expect(ns.stdout).toBe("namespace/default\n");
    // Also with the flags on a kubeconfig whose user has no credential of its own.
    const certFile = join(kcp.rootDir, "alice.crt");
    const keyFile = join(kcp.rootDir, "alice.key");
    await Bun.write(certFile, certPem);
    await Bun.write(keyFile, key.keyPem);
    const flags = await kubectl(
      kcp,
      ["--client-certificate", certFile, "--client-key", keyFile, "--token=", "get", "ns"],
      { kubeconfig: await certKubeconfig("empty-user.kubeconfig") },
    );
    expect(flags.stderr).toBe("");
    expect(flags.code).toBe(0);
    expect(flags.stdout).toContain("default");
    const whoami = await kubectl(kcp, ["auth", "whoami", "-o", "json"], { kubeconfig });
    expect(whoami.stderr).toBe("");
    const user = JSON.parse(whoami.stdout).status.userInfo;
    expect(user.username).toBe("alice");
    expect(user.groups).toEqual(["dev", "ops", "system:authenticated"]);
  });

  test("a certificate from another CA is refused with 401", async () => {
    // Another kcp's CA (made in a directory of its own) signs a client certificate for "mallory".
    const otherDir = tempDir();
    const other = await ensureServingCerts(otherDir);
    removeDir(otherDir);
    const key = generateKey("ec");
    const csr = parseCertificateRequest(
      pemBytes(certificateRequestPem({ cn: "mallory", orgs: ["system:masters"], key: key.privateKey })),
    );
    const certPem = issueCertificate({
      caCertPem: other.caCertPem,
      caKeyPem: other.caKeyPem as string,
      subject: csr.subject,
      publicKey: csr.publicKey,
      keyUsage: 1,
      extKeyUsages: ["1.3.6.1.5.5.7.3.2"],
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 3600_000),
    });
    const kubeconfig = await certKubeconfig("mallory.kubeconfig", certPem, key.keyPem);
    const r = await kubectl(kcp, ["get", "ns"], { kubeconfig });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("You must be logged in to the server (Unauthorized)");
    // The unverified certificate counts as none: a bearer token beside it decides.
    const withToken = await kubectl(kcp, ["--token", kcp.token, "auth", "whoami", "-o", "json"], { kubeconfig });
    expect(withToken.stderr).toBe("");
    expect(JSON.parse(withToken.stdout).status.userInfo.username).toBe("kcp-admin");
  });

  test("a denied CSR is never signed", async () => {
    const key = generateKey("ec");
    await createCsr("denied", certificateRequestPem({ cn: "bob", key: key.privateKey }));
    const deny = await kubectl(kcp, ["certificate", "deny", "denied"]);
    expect(deny.stdout).toContain("denied");
    // An approved one created after it is signed: the controller has had its chance at both.
    await createCsr("after-denied", certificateRequestPem({ cn: "carol", key: key.privateKey }));
    await kubectl(kcp, ["certificate", "approve", "after-denied"]);
    await waitForCsr("after-denied", (c) => Boolean(c.status?.certificate));
    const csr = await getCsr("denied");
    expect(csr.status.certificate).toBeUndefined();
    expect(csr.status.conditions.map((c: Obj) => c.type)).toEqual(["Denied"]);
  });

  test("usages the signer does not allow → Failed with SignerValidationFailure", async () => {
    const key = generateKey("rsa");
    await createCsr("server-usage", certificateRequestPem({ cn: "svc", key: key.privateKey }), {
      usages: ["client auth", "server auth"],
    });
    await kubectl(kcp, ["certificate", "approve", "server-usage"]);
    const csr = await waitForCsr("server-usage", (c) => c.status?.conditions?.some((x: Obj) => x.type === "Failed"));
    const failed = csr.status.conditions.find((x: Obj) => x.type === "Failed");
    expect(failed).toMatchObject({
      status: "True",
      reason: "SignerValidationFailure",
      message: "invalid usage for client certificate: server auth",
    });
    expect(csr.status.certificate).toBeUndefined();
    const list = await kubectl(kcp, ["get", "csr", "server-usage", "--no-headers"]);
    expect(list.stdout).toContain("Approved,Failed");
  });
});

describe("the TLS listener in front of the HTTP server", () => {
  test("large request and response bodies pass through whole (backpressure both ways)", async () => {
    // About 0.9 MiB of random text (ConfigMaps hold at most 1 MiB): more than any socket buffer takes at once.
    const value = Buffer.from(crypto.getRandomValues(new Uint8Array(700_000))).toString("base64");
    const file = join(kcp.rootDir, "big.txt");
    await Bun.write(file, value);
    const create = await kubectl(kcp, ["create", "configmap", "big", `--from-file=big=${file}`]);
    expect(create.stderr).toBe("");
    for (let i = 0; i < 3; i++) {
      const get = await kubectl(kcp, ["get", "configmap", "big", "-o", "json"]);
      expect(get.code).toBe(0);
      expect(JSON.parse(get.stdout).data.big).toBe(value);
    }
  });
});

describe("kcp start without --client-certificates (the default)", () => {
  test("certificates authenticate no one; bearer tokens work as always", async () => {
    const plain = await startKcp();
    try {
      const data = join(plain.rootDir, "data");
      const key = generateKey("ec");
      const req = parseCertificateRequest(pemBytes(certificateRequestPem({ cn: "alice", key: key.privateKey })));
      // Signed by this server's own CA: it would authenticate with the listener.
      const certPem = issueCertificate({
        caCertPem: await Bun.file(join(data, "ca.crt")).text(),
        caKeyPem: await Bun.file(join(data, "ca.key")).text(),
        subject: req.subject,
        publicKey: req.publicKey,
        keyUsage: 1,
        extKeyUsages: ["1.3.6.1.5.5.7.3.2"],
        notBefore: new Date(Date.now() - 60_000),
        notAfter: new Date(Date.now() + 3600_000),
      });
      const certFile = join(plain.rootDir, "alice.crt");
      const keyFile = join(plain.rootDir, "alice.key");
      await Bun.write(certFile, certPem);
      await Bun.write(keyFile, key.keyPem);
      const asCert = await kubectl(plain, ["--client-certificate", certFile, "--client-key", keyFile, "get", "ns"], {
        kubeconfig: await certKubeconfigFor(plain, "empty.kubeconfig"),
      });
      expect(asCert.code).toBe(1);
      expect(asCert.stderr).toContain("You must be logged in to the server");
      const asToken = await kubectl(plain, ["get", "ns", "default", "-o", "name"]);
      expect(asToken.stdout).toBe("namespace/default\n");
    } finally {
      await plain.stop();
      removeDir(plain.rootDir);
    }
  });
});
