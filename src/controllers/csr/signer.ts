// What kube-controller-manager's csrsigning controllers decide for one CertificateSigningRequest,
// as a pure function: nothing (not approved, failed, already issued, or another signer's), a
// failure (the request does not meet its signer's rules: kube's `Failed` condition with reason
// SignerValidationFailure), or the signed certificate.
//
// Signers handled, with kube's rules:
//   kubernetes.io/kube-apiserver-client          usages: "client auth" required, "digital signature"
//                                                and "key encipherment" allowed, nothing else
//   kubernetes.io/kube-apiserver-client-kubelet  O exactly ["system:nodes"], CN "system:node:…", no
//                                                SANs, usages exactly {digital signature, (key
//                                                encipherment,) client auth}
//   kubernetes.io/legacy-unknown                 anything the API accepted
// kubernetes.io/kubelet-serving is not signed (kcp has no nodes to serve from).
//
// Validity: expirationSeconds when given, clamped to [10 minutes, the signer's maximum]; the
// maximum (kube's --cluster-signing-duration) defaults to one year; never past the CA's own end.
// notBefore is back-dated 5 minutes (less for certificates shorter than 8 hours) for clock skew.

import type { KObject } from "../../apis/types.ts";
import { checkSignature, parseCertificateRequest } from "../../pki/certificate-request.ts";
import { issueCertificate } from "../../pki/certs.ts";

export const KUBE_APISERVER_CLIENT = "kubernetes.io/kube-apiserver-client";
export const KUBE_APISERVER_CLIENT_KUBELET = "kubernetes.io/kube-apiserver-client-kubelet";
export const LEGACY_UNKNOWN = "kubernetes.io/legacy-unknown";

/** kube's --cluster-signing-duration default. */
export const DEFAULT_MAX_DURATION_MS = 365 * 24 * 60 * 60 * 1000;
const MIN_DURATION_MS = 10 * 60 * 1000;
const BACKDATE_MS = 5 * 60 * 1000;
const SHORT_MS = 8 * 60 * 60 * 1000;

export interface SigningCA {
  certPem: string;
  keyPem: string;
  /** The CA certificate's end of validity: no certificate it signs outlives it. */
  notAfter: Date;
}

export type SignDecision =
  | { action: "none" }
  | { action: "fail"; reason: "SignerValidationFailure"; message: string }
  | { action: "issue"; certificate: string };

/** Go's x509.KeyUsage bits. */
const KEY_USAGES: Record<string, number> = {
  signing: 1,
  "digital signature": 1,
  "content commitment": 2,
  "key encipherment": 4,
  "data encipherment": 8,
  "key agreement": 16,
  "cert sign": 32,
  "crl sign": 64,
  "encipher only": 128,
  "decipher only": 256,
};

/** Extended key usages, with Go's x509.ExtKeyUsage numbers (the order kube sorts them in). */
const EXT_KEY_USAGES: Record<string, { rank: number; oid: string }> = {
  any: { rank: 0, oid: "2.5.29.37.0" },
  "server auth": { rank: 1, oid: "1.3.6.1.5.5.7.3.1" },
  "client auth": { rank: 2, oid: "1.3.6.1.5.5.7.3.2" },
  "code signing": { rank: 3, oid: "1.3.6.1.5.5.7.3.3" },
  "email protection": { rank: 4, oid: "1.3.6.1.5.5.7.3.4" },
  "s/mime": { rank: 4, oid: "1.3.6.1.5.5.7.3.4" },
  "ipsec end system": { rank: 5, oid: "1.3.6.1.5.5.7.3.5" },
  "ipsec tunnel": { rank: 6, oid: "1.3.6.1.5.5.7.3.6" },
  "ipsec user": { rank: 7, oid: "1.3.6.1.5.5.7.3.7" },
  timestamping: { rank: 8, oid: "1.3.6.1.5.5.7.3.8" },
  "ocsp signing": { rank: 9, oid: "1.3.6.1.5.5.7.3.9" },
  "microsoft sgc": { rank: 10, oid: "1.3.6.1.4.1.311.10.3.3" },
  "netscape sgc": { rank: 11, oid: "2.16.840.1.113730.4.1" },
};

interface Condition {
  type?: string;
  status?: string;
}

function conditions(csr: KObject): Condition[] {
  const list = (csr.status as { conditions?: unknown } | undefined)?.conditions;
  return Array.isArray(list) ? (list as Condition[]) : [];
}

export function hasCondition(csr: KObject, type: string): boolean {
  return conditions(csr).some((c) => c?.type === type && c.status === "True");
}

export function isApproved(csr: KObject): boolean {
  // kube's IsCertificateRequestApproved: approved and not denied.
  return hasCondition(csr, "Approved") && !hasCondition(csr, "Denied");
}

export function certificateOf(csr: KObject): string {
  const cert = (csr.status as { certificate?: unknown } | undefined)?.certificate;
  return typeof cert === "string" ? cert : "";
}

export function isSignerHandled(signerName: string): boolean {
  return (
    signerName === KUBE_APISERVER_CLIENT ||
    signerName === KUBE_APISERVER_CLIENT_KUBELET ||
    signerName === LEGACY_UNKNOWN
  );
}

function usagesOf(csr: KObject): string[] {
  const usages = (csr.spec as { usages?: unknown } | undefined)?.usages;
  return Array.isArray(usages) ? usages.filter((u): u is string => typeof u === "string") : [];
}

/** validAPIServerClientUsages. */
function apiServerClientUsagesError(usages: string[]): string | undefined {
  let clientAuth = false;
  for (const u of usages) {
    if (u === "client auth") clientAuth = true;
    else if (u !== "digital signature" && u !== "key encipherment") return `invalid usage for client certificate: ${u}`;
  }
  return clientAuth ? undefined : "missing required usage for client certificate: client auth";
}

/** ValidateKubeletClientCSR. */
function kubeletClientError(req: ReturnType<typeof parseCertificateRequest>, usages: string[]): string | undefined {
  if (req.organizations.length !== 1 || req.organizations[0] !== "system:nodes")
    return "subject organization is not system:nodes";
  if (req.dnsNames.length) return "DNS subjectAltNames are not allowed";
  if (req.emailAddresses.length) return "Email subjectAltNames are not allowed";
  if (req.ipAddresses.length) return "IP subjectAltNames are not allowed";
  if (req.uris.length) return "URI subjectAltNames are not allowed";
  if (!req.commonName.startsWith("system:node:")) return "subject common name does not begin with system:node:";
  const set = [...new Set(usages)].sort().join(",");
  if (set !== "client auth,digital signature,key encipherment" && set !== "client auth,digital signature")
    return "usages did not match [client auth digital signature key encipherment]";
  return undefined;
}

/** The certificate's lifetime for the requested expirationSeconds (kube's signer.duration). */
export function certificateDuration(expirationSeconds: unknown, maxDurationMs: number): number {
  if (typeof expirationSeconds !== "number") return maxDurationMs;
  const requested = expirationSeconds * 1000;
  if (requested > maxDurationMs) return maxDurationMs;
  if (requested < MIN_DURATION_MS) return MIN_DURATION_MS;
  return requested;
}

function pemBody(pem: string, type: string): Uint8Array {
  const m = new RegExp(`-----BEGIN ${type}-----([A-Za-z0-9+/=\\s]*)-----END ${type}-----`).exec(pem);
  if (!m) throw new Error(`PEM block type must be ${type}`);
  return new Uint8Array(Buffer.from((m[1] ?? "").replace(/\s+/g, ""), "base64"));
}

export function decide(csr: KObject, ca: SigningCA, opts: { maxDurationMs?: number; now?: Date } = {}): SignDecision {
  if (!isApproved(csr) || hasCondition(csr, "Failed") || certificateOf(csr)) return { action: "none" };
  const spec = (csr.spec ?? {}) as { signerName?: unknown; request?: unknown; expirationSeconds?: unknown };
  const signerName = typeof spec.signerName === "string" ? spec.signerName : "";
  if (!isSignerHandled(signerName)) return { action: "none" };
  const fail = (message: string): SignDecision => ({ action: "fail", reason: "SignerValidationFailure", message });
  const usages = usagesOf(csr);
  let request: ReturnType<typeof parseCertificateRequest>;
  try {
    const pem = Buffer.from(typeof spec.request === "string" ? spec.request : "", "base64").toString("latin1");
    request = parseCertificateRequest(pemBody(pem, "CERTIFICATE REQUEST"));
  } catch (e) {
    // kube retries an unparsable request forever; API validation already refuses those, so this
    // only meets a request it could not read at all: fail it rather than retry without end.
    return fail(`unable to parse csr ${JSON.stringify(csr.metadata.name)}: ${(e as Error).message}`);
  }
  if (signerName === KUBE_APISERVER_CLIENT) {
    const err = apiServerClientUsagesError(usages);
    if (err) return fail(err);
  } else if (signerName === KUBE_APISERVER_CLIENT_KUBELET) {
    const err = kubeletClientError(request, usages);
    if (err) return fail(err);
  }
  try {
    checkSignature(request);
  } catch (e) {
    return fail(`unable to verify certificate request signature: ${(e as Error).message}`);
  }
  let keyUsage = 0;
  const ext = new Map<string, number>();
  const unrecognized: string[] = [];
  for (const u of usages) {
    if (Object.hasOwn(KEY_USAGES, u)) keyUsage |= KEY_USAGES[u] as number;
    else if (Object.hasOwn(EXT_KEY_USAGES, u)) {
      const { oid, rank } = EXT_KEY_USAGES[u] as { oid: string; rank: number };
      ext.set(oid, rank);
    } else unrecognized.push(u);
  }
  if (unrecognized.length)
    return fail(`unrecognized usage values: [${unrecognized.map((u) => JSON.stringify(u)).join(" ")}]`);
  const now = opts.now ?? new Date();
  const ttl = certificateDuration(spec.expirationSeconds, opts.maxDurationMs ?? DEFAULT_MAX_DURATION_MS);
  // 5 minutes is about 1% of 8 hours: shorter certificates are back-dated proportionally less.
  const backdate = ttl >= SHORT_MS ? BACKDATE_MS : Math.floor((BACKDATE_MS * ttl) / SHORT_MS);
  let notAfter = new Date(now.getTime() + ttl);
  if (notAfter > ca.notAfter) notAfter = ca.notAfter;
  const certificate = issueCertificate({
    caCertPem: ca.certPem,
    caKeyPem: ca.keyPem,
    subject: request.subject,
    publicKey: request.publicKey,
    subjectAltNames: request.subjectAltNames,
    keyUsage,
    extKeyUsages: [...ext].sort((a, b) => a[1] - b[1]).map(([oid]) => oid),
    notBefore: new Date(now.getTime() - backdate),
    notAfter,
  });
  return { action: "issue", certificate };
}
