// The server's own PKI: a long-lived CA and a serving certificate it signs, kept in the data
// directory so kubeconfigs written earlier stay valid across restarts.
import type * as X509 from "@peculiar/x509";
import { readFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { writeFileAtomic } from "../util/atomic-write.ts";

// @peculiar/x509 needs the Reflect metadata polyfill loaded first. Static imports do not guarantee
// that order (a bundler may evaluate npm ES modules before a CommonJS polyfill), so both are loaded
// here, in sequence, on first use — which also keeps them off the start-up path of other commands.
let x509: typeof X509;
async function loadX509(): Promise<void> {
  if (x509) return;
  await import("./reflect-polyfill.ts");
  x509 = await import("@peculiar/x509");
}

export interface ServingCerts {
  caCertPem: string;
  certPem: string;
  keyPem: string;
  caKeyPem?: string;
}

export interface ServingCertOptions {
  /** More names or addresses the server is reached by (e.g. the --listen host). */
  extraHosts?: string[];
  /** The clock, for tests of expiry. */
  now?: Date;
}

export const CA_CERT_FILE = "ca.crt";
export const CA_KEY_FILE = "ca.key";
export const SERVING_CERT_FILE = "apiserver.crt";
export const SERVING_KEY_FILE = "apiserver.key";

const KEY_ALGORITHM = { name: "ECDSA", namedCurve: "P-256" };
const SIGNING_ALGORITHM = { name: "ECDSA", hash: "SHA-256" };
const DAY_MS = 24 * 60 * 60 * 1000;
const CA_LIFETIME_MS = 3650 * DAY_MS;
const SERVING_LIFETIME_MS = 365 * DAY_MS;
/** Renew this long before expiry, so a running server never crosses it unnoticed. */
const RENEW_BEFORE_MS = 30 * DAY_MS;
/** Back-date notBefore: a client whose clock is a little behind must not see "not yet valid". */
const CLOCK_SKEW_MS = 60 * 60 * 1000;

interface KeyedCert {
  cert: X509.X509Certificate;
  key: CryptoKey;
  certPem: string;
  keyPem: string;
}

export async function ensureServingCerts(
  dataDir: string,
  opts: ServingCertOptions = {},
): Promise<ServingCerts> {
  await loadX509();
  const now = opts.now ?? new Date();
  const hosts = servingHosts(opts.extraHosts ?? []);

  let ca = await loadPair(join(dataDir, CA_CERT_FILE), join(dataDir, CA_KEY_FILE));
  if (!ca || !(await isUsableCa(ca, now))) {
    ca = await createCa(now);
    await writePair(dataDir, CA_CERT_FILE, CA_KEY_FILE, ca);
  }

  let serving = await loadPair(join(dataDir, SERVING_CERT_FILE), join(dataDir, SERVING_KEY_FILE));
  if (!serving || !(await isUsableServingCert(serving, ca, hosts, now))) {
    serving = await createServingCert(ca, hosts, now);
    await writePair(dataDir, SERVING_CERT_FILE, SERVING_KEY_FILE, serving);
  }

  return {
    caCertPem: ca.certPem,
    certPem: serving.certPem,
    keyPem: serving.keyPem,
    caKeyPem: ca.keyPem,
  };
}

/** The SANs a serving certificate needs: loopback, this host, and what the caller adds. */
export function servingHosts(extraHosts: string[]): { dns: string[]; ips: string[] } {
  const dns = new Set<string>(["localhost"]);
  const ips = new Set<string>(["127.0.0.1", "::1"]);
  const own = hostname().toLowerCase();
  if (isDnsName(own)) dns.add(own);
  for (const raw of extraHosts) {
    const host = raw.trim().replace(/^\[(.*)\]$/, "$1").toLowerCase();
    const ip = canonicalIp(host);
    // Wildcard listen addresses are not names anyone connects to.
    if (ip === "0.0.0.0" || ip === "::" || host === "") continue;
    if (ip) ips.add(ip);
    else if (isDnsName(host)) dns.add(host);
    else throw new Error(`invalid host name for the serving certificate: "${raw}"`);
  }
  return { dns: [...dns], ips: [...ips] };
}

async function createCa(now: Date): Promise<KeyedCert> {
  const keys = await generateKeys();
  const ski = await x509.SubjectKeyIdentifierExtension.create(keys.publicKey);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: "CN=kcp-ca",
    notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
    notAfter: new Date(now.getTime() + CA_LIFETIME_MS),
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      ski,
      new x509.AuthorityKeyIdentifierExtension(ski.keyId),
    ],
  });
  return { cert, key: keys.privateKey, certPem: cert.toString("pem"), keyPem: await exportKeyPem(keys.privateKey) };
}

async function createServingCert(
  ca: KeyedCert,
  hosts: { dns: string[]; ips: string[] },
  now: Date,
): Promise<KeyedCert> {
  const keys = await generateKeys();
  const caKeyId = ca.cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  const extensions: X509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
    new x509.SubjectAlternativeNameExtension([
      ...hosts.dns.map((value) => ({ type: "dns" as const, value })),
      ...hosts.ips.map((value) => ({ type: "ip" as const, value })),
    ]),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  if (caKeyId) extensions.push(new x509.AuthorityKeyIdentifierExtension(caKeyId));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: "CN=kcp",
    // The CA's own encoded name: Go matches issuer to subject byte for byte.
    issuer: ca.cert.subjectName,
    notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
    notAfter: new Date(now.getTime() + SERVING_LIFETIME_MS),
    publicKey: keys.publicKey,
    signingKey: ca.key,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions,
  });
  return { cert, key: keys.privateKey, certPem: cert.toString("pem"), keyPem: await exportKeyPem(keys.privateKey) };
}

async function isUsableCa(ca: KeyedCert, now: Date): Promise<boolean> {
  const constraints = ca.cert.getExtension(x509.BasicConstraintsExtension);
  return (
    constraints?.ca === true &&
    isValidAt(ca.cert, now) &&
    (await ca.cert.verify({ signatureOnly: true }))
  );
}

async function isUsableServingCert(
  serving: KeyedCert,
  ca: KeyedCert,
  hosts: { dns: string[]; ips: string[] },
  now: Date,
): Promise<boolean> {
  if (!isValidAt(serving.cert, now)) return false;
  // Signed by this CA: a CA regenerated since would leave an orphaned serving certificate.
  if (!(await serving.cert.verify({ publicKey: ca.cert.publicKey, signatureOnly: true }))) return false;
  const san = serving.cert.getExtension(x509.SubjectAlternativeNameExtension);
  const have = new Set((san?.names.items ?? []).map((n) => (n.type === "ip" ? canonicalIp(n.value) : n.value.toLowerCase())));
  return [...hosts.dns, ...hosts.ips].every((h) => have.has(h));
}

/** Valid now and for the renewal margin ahead. */
function isValidAt(cert: X509.X509Certificate, now: Date): boolean {
  return cert.notBefore.getTime() <= now.getTime() && cert.notAfter.getTime() - RENEW_BEFORE_MS > now.getTime();
}

/** A certificate and key read back from disk, or undefined when either is missing, unreadable or they do not match. */
async function loadPair(certPath: string, keyPath: string): Promise<KeyedCert | undefined> {
  try {
    const [certPem, keyPem] = await Promise.all([readFile(certPath, "utf8"), readFile(keyPath, "utf8")]);
    const cert = new x509.X509Certificate(certPem);
    const key = await crypto.subtle.importKey("pkcs8", x509.PemConverter.decodeFirst(keyPem), KEY_ALGORITHM, true, [
      "sign",
    ]);
    if (!(await keyMatchesCert(key, cert))) return undefined;
    return { cert, key, certPem, keyPem };
  } catch {
    return undefined;
  }
}

/** A crash between writing a key and its certificate must not pair a key with someone else's certificate. */
async function keyMatchesCert(privateKey: CryptoKey, cert: X509.X509Certificate): Promise<boolean> {
  const publicKey = await cert.publicKey.export(KEY_ALGORITHM, ["verify"]);
  const [priv, pub] = await Promise.all([
    crypto.subtle.exportKey("jwk", privateKey),
    crypto.subtle.exportKey("jwk", publicKey),
  ]);
  return priv.crv === pub.crv && priv.x === pub.x && priv.y === pub.y;
}

async function writePair(dataDir: string, certFile: string, keyFile: string, pair: KeyedCert): Promise<void> {
  // Key first: a crash in between leaves a mismatch that the next start detects and repairs.
  await writeFileAtomic(join(dataDir, keyFile), pair.keyPem, 0o600);
  await writeFileAtomic(join(dataDir, certFile), pair.certPem, 0o644);
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey(KEY_ALGORITHM, true, ["sign", "verify"])) as CryptoKeyPair;
}

async function exportKeyPem(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await crypto.subtle.exportKey("pkcs8", key), "PRIVATE KEY");
}

/** 128 random bits, first byte in 0x01–0x7f: Go rejects negative serials, and DER must not pad it. */
function randomSerial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01;
  return Buffer.from(bytes).toString("hex");
}

/** The canonical text of an IP address (so "::0001" and "::1" compare equal), or undefined. */
function canonicalIp(host: string): string | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) {
    const parts = host.split(".").map(Number);
    return parts.every((p) => p <= 255) ? parts.join(".") : undefined;
  }
  if (!host.includes(":")) return undefined;
  try {
    return new URL(`http://[${host}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
}

function isDnsName(name: string): boolean {
  return name.length > 0 && name.length <= 253 && /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/.test(name);
}
