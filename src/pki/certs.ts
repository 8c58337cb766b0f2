// The server's own PKI: a long-lived CA and a serving certificate it signs, kept in the data
// directory so kubeconfigs written earlier stay valid across restarts.
import {
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  type KeyObject,
  X509Certificate as NativeX509,
  sign,
} from "node:crypto";
import { readFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { writeFileAtomic } from "../util/atomic-write.ts";
import {
  type Bytes,
  bits,
  bool,
  children,
  explicit,
  implicit,
  octets,
  oid,
  oidText,
  read,
  seq,
  set,
  TAG,
  time,
  uint,
  utf8,
} from "./der.ts";

// Certificates are checked with node:crypto's X509Certificate and written with the small DER
// encoder in der.ts, signed by node:crypto: no X.509 library is loaded on the way to a running
// server (@peculiar/x509 cost ~60 ms to import and ~17 MiB, and its first certificate ~100 ms).

export interface ServingCerts {
  caCertPem: string;
  certPem: string;
  keyPem: string;
  caKeyPem?: string;
}

export interface ServingCertOptions {
  /** More names or addresses the server is reached by (the --listen host, `kcp start --tls-sans`). */
  extraHosts?: string[];
  /** The clock, for tests of expiry. */
  now?: Date;
}

export const CA_CERT_FILE = "ca.crt";
export const CA_KEY_FILE = "ca.key";
export const SERVING_CERT_FILE = "apiserver.crt";
export const SERVING_KEY_FILE = "apiserver.key";

const DAY_MS = 24 * 60 * 60 * 1000;
const CA_LIFETIME_MS = 3650 * DAY_MS;
const SERVING_LIFETIME_MS = 365 * DAY_MS;
/** Renew this long before expiry, so a running server never crosses it unnoticed. */
const RENEW_BEFORE_MS = 30 * DAY_MS;
/** Back-date notBefore: a client whose clock is a little behind must not see "not yet valid". */
const CLOCK_SKEW_MS = 60 * 60 * 1000;

/** A certificate and its private key. */
interface KeyedCert {
  cert: NativeX509;
  key: KeyObject;
  certPem: string;
  keyPem: string;
}

export async function ensureServingCerts(dataDir: string, opts: ServingCertOptions = {}): Promise<ServingCerts> {
  const now = opts.now ?? new Date();
  const hosts = servingHosts(opts.extraHosts ?? []);

  let ca = await loadPair(join(dataDir, CA_CERT_FILE), join(dataDir, CA_KEY_FILE));
  if (!ca || !isUsableCa(ca.cert, now)) {
    ca = createCa(now);
    await writePair(dataDir, CA_CERT_FILE, CA_KEY_FILE, ca);
  }

  let serving = await loadPair(join(dataDir, SERVING_CERT_FILE), join(dataDir, SERVING_KEY_FILE));
  if (!serving || !isUsableServingCert(serving.cert, ca.cert, hosts, now)) {
    serving = createServingCert(ca, hosts, now);
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
    const host = raw
      .trim()
      .replace(/^\[(.*)\]$/, "$1")
      .toLowerCase();
    const ip = canonicalIp(host);
    // Wildcard listen addresses are not names anyone connects to.
    if (ip === "0.0.0.0" || ip === "::" || host === "") continue;
    if (ip) ips.add(ip);
    else if (isDnsName(host)) dns.add(host);
    else throw new Error(`invalid host name for the serving certificate: "${raw}"`);
  }
  return { dns: [...dns], ips: [...ips] };
}

const OID = {
  commonName: "2.5.4.3",
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  basicConstraints: "2.5.29.19",
  keyUsage: "2.5.29.15",
  extKeyUsage: "2.5.29.37",
  subjectAltName: "2.5.29.17",
  subjectKeyId: "2.5.29.14",
  authorityKeyId: "2.5.29.35",
  serverAuth: "1.3.6.1.5.5.7.3.1",
} as const;

/** keyUsage (RFC 5280 §4.2.1.3) as BIT STRING content: the count of unused bits, then the bits. */
const KEY_USAGE_CA = Uint8Array.of(0x01, 0x86); // digitalSignature, keyCertSign, cRLSign
const KEY_USAGE_SERVING = Uint8Array.of(0x07, 0x80); // digitalSignature

function extension(id: string, critical: boolean, value: Bytes): Bytes {
  return critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));
}

const commonName = (cn: string): Bytes => seq(set(seq(oid(OID.commonName), utf8(cn))));

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits of a SubjectPublicKeyInfo. */
function keyIdentifier(spki: Bytes): Bytes {
  const bitString = children(read(spki))[1];
  if (!bitString || bitString.tag !== TAG.BIT_STRING) throw new Error("unexpected SubjectPublicKeyInfo");
  return createHash("sha1").update(bitString.content.subarray(1)).digest();
}

interface CertificateFields {
  subject: Bytes;
  issuer: Bytes;
  notBefore: Date;
  notAfter: Date;
  spki: Bytes;
  extensions: Bytes[];
  signingKey: KeyObject;
}

/** An X.509 v3 certificate signed with ECDSA P-256 / SHA-256, as PEM. */
function certificatePem(f: CertificateFields): string {
  const algorithm = seq(oid(OID.ecdsaWithSha256));
  const tbs = seq(
    explicit(0, uint(Uint8Array.of(2))), // v3
    uint(randomSerial()),
    algorithm,
    f.issuer,
    seq(time(f.notBefore), time(f.notAfter)),
    f.subject,
    f.spki,
    explicit(3, seq(...f.extensions)),
  );
  const signature = sign("sha256", tbs, { key: f.signingKey, dsaEncoding: "der" });
  const der = Buffer.from(seq(tbs, algorithm, bits(signature)));
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`;
}

function keyed(certPem: string, key: KeyObject): KeyedCert {
  return {
    cert: new NativeX509(certPem),
    key,
    certPem,
    keyPem: key.export({ type: "pkcs8", format: "pem" }) as string,
  };
}

function createCa(now: Date): KeyedCert {
  const { privateKey, publicKey } = generateKeys();
  const spki = publicKey.export({ type: "spki", format: "der" });
  const keyId = keyIdentifier(spki);
  const name = commonName("kcp-ca");
  const certPem = certificatePem({
    subject: name,
    issuer: name,
    notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
    notAfter: new Date(now.getTime() + CA_LIFETIME_MS),
    spki,
    extensions: [
      extension(OID.basicConstraints, true, seq(bool(true))),
      extension(OID.keyUsage, true, bitString(KEY_USAGE_CA)),
      extension(OID.subjectKeyId, false, octets(keyId)),
      extension(OID.authorityKeyId, false, seq(implicit(0, keyId))),
    ],
    signingKey: privateKey,
  });
  return keyed(certPem, privateKey);
}

function createServingCert(ca: KeyedCert, hosts: { dns: string[]; ips: string[] }, now: Date): KeyedCert {
  const { privateKey, publicKey } = generateKeys();
  const spki = publicKey.export({ type: "spki", format: "der" });
  const caFields = certificateFields(ca.cert);
  const names = [
    ...hosts.dns.map((dns) => implicit(2, new TextEncoder().encode(dns))),
    ...hosts.ips.map((ip) => implicit(7, ipBytes(ip))),
  ];
  const extensions = [
    extension(OID.basicConstraints, true, seq()),
    extension(OID.keyUsage, true, bitString(KEY_USAGE_SERVING)),
    extension(OID.extKeyUsage, false, seq(oid(OID.serverAuth))),
    extension(OID.subjectAltName, false, seq(...names)),
    extension(OID.subjectKeyId, false, octets(keyIdentifier(spki))),
  ];
  if (caFields.keyId) extensions.push(extension(OID.authorityKeyId, false, seq(implicit(0, caFields.keyId))));
  const certPem = certificatePem({
    subject: commonName("kcp"),
    // The CA's own encoded name: Go matches issuer to subject byte for byte.
    issuer: caFields.subject,
    notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
    notAfter: new Date(now.getTime() + SERVING_LIFETIME_MS),
    spki,
    extensions,
    signingKey: ca.key,
  });
  return keyed(certPem, privateKey);
}

/** A BIT STRING from its content octets (the count of unused bits first). */
function bitString(content: Bytes): Bytes {
  return Uint8Array.of(TAG.BIT_STRING, content.length, ...content);
}

/** The subject Name (encoded as it is) and the subject key identifier of a certificate. */
function certificateFields(cert: NativeX509): { subject: Bytes; keyId?: Bytes } {
  const tbs = children(read(new Uint8Array(cert.raw)))[0];
  if (!tbs) throw new Error("unexpected certificate");
  const fields = children(tbs);
  // version [0] is optional; serial, signature, issuer, validity and subject follow it.
  const base = fields[0]?.tag === 0xa0 ? 1 : 0;
  const subject = fields[base + 4];
  if (!subject) throw new Error("unexpected certificate");
  let keyId: Bytes | undefined;
  const extensionsField = fields.find((f) => f.tag === 0xa3);
  const list = extensionsField ? children(extensionsField)[0] : undefined;
  for (const ext of list ? children(list) : []) {
    const parts = children(ext);
    const id = parts[0];
    const value = parts[parts.length - 1];
    if (id && value && oidText(id.content) === OID.subjectKeyId) keyId = read(value.content).content;
  }
  return { subject: subject.raw, keyId };
}

/** The 4 or 16 bytes of a canonical IPv4 or IPv6 address (as canonicalIp writes them). */
function ipBytes(ip: string): Bytes {
  if (!ip.includes(":")) return Uint8Array.from(ip.split(".").map(Number));
  const [head = "", tail] = ip.split("::");
  const groups = (s: string) => (s === "" ? [] : s.split(":").map((h) => Number.parseInt(h, 16)));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

function isUsableCa(cert: NativeX509, now: Date): boolean {
  // A self-signed CA: basic constraints CA:TRUE, and its signature verifies with its own key.
  return cert.ca && isValidAt(cert, now) && cert.checkIssued(cert) && cert.verify(cert.publicKey);
}

function isUsableServingCert(
  cert: NativeX509,
  ca: NativeX509,
  hosts: { dns: string[]; ips: string[] },
  now: Date,
): boolean {
  if (!isValidAt(cert, now)) return false;
  // Signed by this CA: a CA regenerated since would leave an orphaned serving certificate.
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return false;
  // Exactly the names asked for: a name dropped from --tls-sans must stop being served too.
  const have = new Set(subjectAltNames(cert));
  const want = new Set([...hosts.dns, ...hosts.ips]);
  return have.size === want.size && [...want].every((h) => have.has(h));
}

/**
 * The DNS names (lower case) and IP addresses (canonical) of a certificate's SAN extension.
 * node:crypto gives it as text: "DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1".
 */
function subjectAltNames(cert: NativeX509): string[] {
  const names: string[] = [];
  for (const entry of (cert.subjectAltName ?? "").split(/,\s*/)) {
    const colon = entry.indexOf(":");
    if (colon < 0) continue;
    const type = entry.slice(0, colon).trim();
    const value = entry
      .slice(colon + 1)
      .trim()
      .toLowerCase();
    if (type === "DNS") names.push(value);
    else if (type === "IP Address") names.push(canonicalIp(value) ?? value);
  }
  return names;
}

/** Valid now and for the renewal margin ahead. */
function isValidAt(cert: NativeX509, now: Date): boolean {
  const notBefore = cert.validFromDate.getTime();
  const notAfter = cert.validToDate.getTime();
  if (Number.isNaN(notBefore) || Number.isNaN(notAfter)) return false;
  return notBefore <= now.getTime() && notAfter - RENEW_BEFORE_MS > now.getTime();
}

/**
 * A certificate and key read back from disk, or undefined when either is missing or unreadable,
 * the key is not a P-256 key, or they do not match: a crash between writing a key and its
 * certificate must not pair a key with someone else's certificate.
 */
async function loadPair(certPath: string, keyPath: string): Promise<KeyedCert | undefined> {
  try {
    const [certPem, keyPem] = await Promise.all([readFile(certPath, "utf8"), readFile(keyPath, "utf8")]);
    const cert = new NativeX509(certPem);
    const key = createPrivateKey(keyPem);
    if (key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== "prime256v1") return undefined;
    if (!cert.checkPrivateKey(key)) return undefined;
    return { cert, key, certPem, keyPem };
  } catch {
    return undefined;
  }
}

async function writePair(dataDir: string, certFile: string, keyFile: string, pair: KeyedCert): Promise<void> {
  // Key first: a crash in between leaves a mismatch that the next start detects and repairs.
  await writeFileAtomic(join(dataDir, keyFile), pair.keyPem, 0o600);
  await writeFileAtomic(join(dataDir, certFile), pair.certPem, 0o644);
}

function generateKeys(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync("ec", { namedCurve: "P-256" });
}

/** 128 random bits, first byte in 0x01–0x7f: Go rejects negative serials, and DER must not pad it. */
function randomSerial(): Bytes {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01;
  return bytes;
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
  return (
    name.length > 0 &&
    name.length <= 253 &&
    /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/.test(name)
  );
}

// ---- client certificates signed for certificate signing requests ----

export interface IssueOptions {
  caCertPem: string;
  caKeyPem: string;
  /** The subject Name as encoded in the request. */
  subject: Bytes;
  /** The requester's SubjectPublicKeyInfo as encoded. */
  publicKey: Bytes;
  /** The requested subjectAltName extension value (GeneralNames), copied as is. */
  subjectAltNames?: Bytes;
  /** Go's x509.KeyUsage bits (digitalSignature = 1, contentCommitment = 2, keyEncipherment = 4, …). */
  keyUsage: number;
  /** Extended key usage OIDs, in order. */
  extKeyUsages: string[];
  notBefore: Date;
  notAfter: Date;
}

/**
 * A leaf certificate (CA:false) for a requester's key, signed by the CA, as PEM: what
 * x509.CreateCertificate makes of kube's signing template (key usage critical when any, extended
 * key usage, basic constraints, the CA's key identifier as authority key identifier).
 */
export function issueCertificate(o: IssueOptions): string {
  const ca = new NativeX509(o.caCertPem);
  const caFields = certificateFields(ca);
  const extensions: Bytes[] = [];
  if (o.keyUsage) extensions.push(extension(OID.keyUsage, true, keyUsageBits(o.keyUsage)));
  if (o.extKeyUsages.length) extensions.push(extension(OID.extKeyUsage, false, seq(...o.extKeyUsages.map(oid))));
  extensions.push(extension(OID.basicConstraints, true, seq()));
  if (caFields.keyId) extensions.push(extension(OID.authorityKeyId, false, seq(implicit(0, caFields.keyId))));
  if (o.subjectAltNames) extensions.push(extension(OID.subjectAltName, false, o.subjectAltNames));
  return certificatePem({
    subject: o.subject,
    issuer: caFields.subject,
    notBefore: o.notBefore,
    notAfter: o.notAfter,
    spki: o.publicKey,
    extensions,
    signingKey: createPrivateKey(o.caKeyPem),
  });
}

/** Key usage bits (bit 0 = digitalSignature, the BIT STRING's first bit) as a minimal BIT STRING. */
function keyUsageBits(usage: number): Bytes {
  const bytes = [(usage & 0xff) === 0 ? 0 : reverseByte(usage & 0xff), reverseByte((usage >> 8) & 0xff)];
  const used = bytes[1] ? 2 : 1;
  const last = bytes[used - 1] ?? 0;
  let unused = 0;
  while (unused < 7 && !(last & (1 << unused))) unused++;
  return bitString(Uint8Array.of(unused, ...bytes.slice(0, used)));
}

function reverseByte(b: number): number {
  let r = 0;
  for (let i = 0; i < 8; i++) if (b & (1 << i)) r |= 1 << (7 - i);
  return r;
}
