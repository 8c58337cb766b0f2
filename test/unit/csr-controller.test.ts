// The CSR signing and cleaning controllers over a real object store (SQLite in memory): an
// approved CSR gets its certificate in whichever logical cluster it lives; the cleaner's rules
// (kube's csrcleaner) with periods shortened for the test.

import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_CLUSTER } from "../../src/apis/logical-clusters.ts";
import type { KObject, RequestContext, ResourceDef } from "../../src/apis/types.ts";
import { cleanupReason, CsrController, DEFAULT_CLEANUP } from "../../src/controllers/csr/csr-controller.ts";
import { KUBE_APISERVER_CLIENT } from "../../src/controllers/csr/signer.ts";
import { ensureServingCerts, issueCertificate } from "../../src/pki/certs.ts";
import { parseCertificateRequest } from "../../src/pki/certificate-request.ts";
import { certificateRequestPem, generateKey } from "../helpers/certificate-request.ts";
import { type InMemoryApp, inMemoryApp } from "../helpers/in-memory-app.ts";
import { adminUser } from "../../src/auth/token-authenticator.ts";
import { X509Certificate } from "node:crypto";

const dir = mkdtempSync(join(tmpdir(), "kcp-csr-controller-"));
const certs = await ensureServingCerts(dir);
rmSync(dir, { recursive: true, force: true });
const ca = {
  certPem: certs.caCertPem,
  keyPem: certs.caKeyPem as string,
  notAfter: new X509Certificate(certs.caCertPem).validToDate,
};

const HOUR = 3600_000;
let env: InMemoryApp | undefined;
const controllers: CsrController[] = [];
afterEach(async () => {
  for (const c of controllers.splice(0)) c.stop();
  await env?.close();
  env = undefined;
});

function ctx(cluster: string): RequestContext {
  return { cluster, user: adminUser(), dryRun: false, warnings: [] };
}

function csrObject(name: string): KObject {
  const key = generateKey("ec");
  return {
    apiVersion: "certificates.k8s.io/v1",
    kind: "CertificateSigningRequest",
    metadata: { name },
    spec: {
      request: Buffer.from(certificateRequestPem({ cn: name, key: key.privateKey })).toString("base64"),
      signerName: KUBE_APISERVER_CLIENT,
      usages: ["client auth"],
    },
  };
}

async function setup(cleanup: Partial<typeof DEFAULT_CLEANUP> = {}): Promise<{ def: ResourceDef; app: InMemoryApp }> {
  const app = await inMemoryApp();
  env = app;
  const def = app.deps.registry.lookup(DEFAULT_CLUSTER, "certificates.k8s.io", "v1", "certificatesigningrequests");
  if (!def) throw new Error("no CSR resource");
  const controller = new CsrController(app.deps.store, def, ca, { cleanup });
  controllers.push(controller);
  await controller.start();
  return { def, app };
}

async function decideCondition(app: InMemoryApp, def: ResourceDef, cluster: string, name: string, type: string) {
  await app.deps.store.update(
    def,
    ctx(cluster),
    undefined,
    name,
    (cur) => {
      const status = (cur.status ?? {}) as { conditions?: unknown[] };
      status.conditions = [...(status.conditions ?? []), { type, status: "True", reason: "Test" }];
      cur.status = status;
      return cur;
    },
    { subresource: "approval" },
  );
}

async function eventually<T>(what: string, fn: () => Promise<T | undefined>, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not reached`);
    await Bun.sleep(20);
  }
}

async function getOrUndefined(app: InMemoryApp, def: ResourceDef, cluster: string, name: string) {
  try {
    return await app.deps.store.get(def, cluster, undefined, name);
  } catch {
    return undefined;
  }
}

describe("CsrController", () => {
  test("signs approved CSRs in every logical cluster, and only those", async () => {
    const { def, app } = await setup();
    for (const cluster of ["root", "team-a"]) {
      await app.deps.store.create(def, ctx(cluster), csrObject("alice"), undefined);
      await app.deps.store.create(def, ctx(cluster), csrObject("bob"), undefined);
      await decideCondition(app, def, cluster, "alice", "Approved");
      await decideCondition(app, def, cluster, "bob", "Denied");
    }
    for (const cluster of ["root", "team-a"]) {
      const alice = await eventually("alice issued", async () => {
        const obj = await getOrUndefined(app, def, cluster, "alice");
        return (obj?.status as { certificate?: string })?.certificate ? obj : undefined;
      });
      const pem = Buffer.from((alice.status as { certificate: string }).certificate, "base64").toString();
      expect(new X509Certificate(pem).subject).toBe("CN=alice");
    }
    // bob was denied before alice was approved; by now the controller has seen both.
    const bob = await app.deps.store.get(def, "team-a", undefined, "bob");
    expect((bob.status as { certificate?: string }).certificate).toBeUndefined();
  });

  test("the cleaner deletes denied and issued CSRs after their period, keeps pending ones", async () => {
    const { def, app } = await setup({ intervalMs: 50, approvedMs: 0, deniedMs: 0, failedMs: 0, pendingMs: HOUR });
    await app.deps.store.create(def, ctx("root"), csrObject("pending"), undefined);
    await app.deps.store.create(def, ctx("root"), csrObject("denied"), undefined);
    await app.deps.store.create(def, ctx("root"), csrObject("issued"), undefined);
    await decideCondition(app, def, "root", "denied", "Denied");
    await decideCondition(app, def, "root", "issued", "Approved");
    await eventually("denied deleted", async () =>
      (await getOrUndefined(app, def, "root", "denied")) ? undefined : true,
    );
    await eventually("issued deleted", async () =>
      (await getOrUndefined(app, def, "root", "issued")) ? undefined : true,
    );
    await Bun.sleep(150);
    expect(await getOrUndefined(app, def, "root", "pending")).toBeDefined();
  });
});

describe("cleanupReason (kube's csrcleaner periods)", () => {
  const now = Date.parse("2026-06-01T12:00:00Z");
  const ago = (ms: number) => new Date(now - ms).toISOString().replace(/\.\d+Z$/, "Z");
  const obj = (status: Record<string, unknown>, created = ago(0)): KObject => ({
    apiVersion: "certificates.k8s.io/v1",
    kind: "CertificateSigningRequest",
    metadata: { name: "x", creationTimestamp: created },
    status,
  });
  const cond = (type: string, age: number) => ({ type, status: "True", lastUpdateTime: ago(age) });
  const cert = (notAfter: number) => {
    const key = generateKey("ec");
    const pem = certificateRequestPem({ cn: "x", key: key.privateKey });
    const req = parseCertificateRequest(
      new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64")),
    );
    const out = issueCertificate({
      caCertPem: certs.caCertPem,
      caKeyPem: certs.caKeyPem as string,
      subject: req.subject,
      publicKey: req.publicKey,
      keyUsage: 0,
      extKeyUsages: [],
      notBefore: new Date(notAfter - 2 * HOUR),
      notAfter: new Date(notAfter),
    });
    return Buffer.from(out).toString("base64");
  };
  const reason = (o: KObject) => cleanupReason(o, DEFAULT_CLEANUP, now);

  test("pending: kept for 24 hours", () => {
    expect(reason(obj({}, ago(23 * HOUR)))).toBeUndefined();
    expect(reason(obj({}, ago(25 * HOUR)))).toBe("pending");
  });
  test("denied and failed: kept for 1 hour after the condition", () => {
    expect(reason(obj({ conditions: [cond("Denied", 0.5 * HOUR)] }))).toBeUndefined();
    expect(reason(obj({ conditions: [cond("Denied", 2 * HOUR)] }))).toBe("denied");
    expect(reason(obj({ conditions: [cond("Approved", 0), cond("Failed", 2 * HOUR)] }))).toBe("failed");
  });
  test("issued: kept for 1 hour after approval, or until the certificate expires", () => {
    const valid = cert(now + 10 * HOUR);
    expect(reason(obj({ conditions: [cond("Approved", 0.5 * HOUR)], certificate: valid }))).toBeUndefined();
    expect(reason(obj({ conditions: [cond("Approved", 2 * HOUR)], certificate: valid }))).toBe("issued and approved");
    expect(reason(obj({ conditions: [cond("Approved", 0.5 * HOUR)], certificate: cert(now - HOUR) }))).toBe(
      "its certificate expired",
    );
    // Approved but not issued (a signer kcp does not handle): not the approved rule's to delete.
    expect(reason(obj({ conditions: [cond("Approved", 30 * HOUR)] }, ago(30 * HOUR)))).toBeUndefined();
  });
});
