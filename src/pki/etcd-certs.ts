// The PKI of the embedded etcd: a CA of its own, one certificate the member serves (client and
// peer ports alike) and one client certificate kcp presents. etcd requires client certificates,
// so nothing but kcp (or an operator holding these files) can talk to it. Kept in
// `<root>/data/etcd-pki/` and reused across restarts; regenerated together when any part is
// missing, unreadable, mismatched or near expiry (only kcp depends on them).
import type * as X509 from "@peculiar/x509";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../util/atomic-write.ts";

// As in certs.ts: the Reflect polyfill, then x509, loaded in that order on first use.
let x509: typeof X509;
async function loadX509(): Promise<void> {
  if (x509) return;
  await import("./reflect-polyfill.ts");
  x509 = await import("@peculiar/x509");
}

export interface EtcdPkiFiles {
  caFile: string;
  /** The member's certificate and key (server and peer; also accepted as a client). */
  serverCertFile: string;
  serverKeyFile: string;
  /** kcp's client certificate and key. */
  clientCertFile: string;
  clientKeyFile: string;
}

const KEY_ALGORITHM = { name: "ECDSA", namedCurve: "P-256" };
const SIGNING_ALGORITHM = { name: "ECDSA", hash: "SHA-256" };
const DAY_MS = 24 * 60 * 60 * 1000;
const CA_LIFETIME_MS = 3650 * DAY_MS;
const LEAF_LIFETIME_MS = 365 * DAY_MS;
const RENEW_BEFORE_MS = 30 * DAY_MS;
const CLOCK_SKEW_MS = 60 * 60 * 1000;
/** The names the member is reached by: it listens on loopback only. */
const SERVER_DNS = ["localhost"];
const SERVER_IPS = ["127.0.0.1", "::1"];

export function etcdPkiFiles(dir: string): EtcdPkiFiles {
  return {
    caFile: join(dir, "ca.crt"),
    serverCertFile: join(dir, "server.crt"),
    serverKeyFile: join(dir, "server.key"),
    clientCertFile: join(dir, "client.crt"),
    clientKeyFile: join(dir, "client.key"),
  };
}

interface Pair {
  cert: X509.X509Certificate;
  key: CryptoKey;
  certPem: string;
  keyPem: string;
}

/** Make sure `dir` holds a usable etcd PKI; returns the file names. */
export async function ensureEtcdPki(dir: string, now = new Date()): Promise<EtcdPkiFiles> {
  await loadX509();
  const files = etcdPkiFiles(dir);
  if (await isUsable(files, now)) return files;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const ca = await createCa(now);
  const server = await createLeaf(ca, "CN=etcd-server", now, {
    usages: [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
    dns: SERVER_DNS,
    ips: SERVER_IPS,
  });
  const client = await createLeaf(ca, "CN=kcp", now, { usages: [x509.ExtendedKeyUsage.clientAuth], dns: [], ips: [] });
  // Leaves first and the CA last: a crash in between leaves new leaves that the old CA does not
  // verify, which the next start detects and repairs.
  await writePair(files.serverCertFile, files.serverKeyFile, server);
  await writePair(files.clientCertFile, files.clientKeyFile, client);
  await writeFileAtomic(join(dir, "ca.key"), ca.keyPem, 0o600);
  await writeFileAtomic(files.caFile, ca.certPem, 0o644);
  return files;
}

async function isUsable(files: EtcdPkiFiles, now: Date): Promise<boolean> {
  try {
    const ca = new x509.X509Certificate(await readFile(files.caFile, "utf8"));
    if (!validFor(ca, now)) return false;
    for (const [certFile, keyFile] of [
      [files.serverCertFile, files.serverKeyFile],
      [files.clientCertFile, files.clientKeyFile],
    ] as const) {
      const pair = await loadPair(certFile, keyFile);
      if (!pair || !validFor(pair.cert, now)) return false;
      if (!(await pair.cert.verify({ publicKey: ca.publicKey, signatureOnly: true }))) return false;
    }
    return true;
  } catch {
    return false;
  }
}

function validFor(cert: X509.X509Certificate, now: Date): boolean {
  return cert.notBefore.getTime() <= now.getTime() && cert.notAfter.getTime() - RENEW_BEFORE_MS > now.getTime();
}

async function loadPair(certFile: string, keyFile: string): Promise<Pair | undefined> {
  const [certPem, keyPem] = await Promise.all([readFile(certFile, "utf8"), readFile(keyFile, "utf8")]);
  const cert = new x509.X509Certificate(certPem);
  const key = await crypto.subtle.importKey("pkcs8", x509.PemConverter.decodeFirst(keyPem), KEY_ALGORITHM, true, [
    "sign",
  ]);
  // The key must belong to the certificate.
  const pub = await cert.publicKey.export(KEY_ALGORITHM, ["verify"]);
  const [a, b] = await Promise.all([crypto.subtle.exportKey("jwk", key), crypto.subtle.exportKey("jwk", pub)]);
  if (a.x !== b.x || a.y !== b.y) return undefined;
  return { cert, key, certPem, keyPem };
}

async function createCa(now: Date): Promise<Pair> {
  const keys = (await crypto.subtle.generateKey(KEY_ALGORITHM, true, ["sign", "verify"])) as CryptoKeyPair;
  const ski = await x509.SubjectKeyIdentifierExtension.create(keys.publicKey);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: "CN=kcp-etcd-ca",
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

async function createLeaf(
  ca: Pair,
  subject: string,
  now: Date,
  opts: { usages: string[]; dns: string[]; ips: string[] },
): Promise<Pair> {
  const keys = (await crypto.subtle.generateKey(KEY_ALGORITHM, true, ["sign", "verify"])) as CryptoKeyPair;
  const extensions: X509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension(opts.usages, false),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  if (opts.dns.length + opts.ips.length > 0) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension([
        ...opts.dns.map((value) => ({ type: "dns" as const, value })),
        ...opts.ips.map((value) => ({ type: "ip" as const, value })),
      ]),
    );
  }
  const caKeyId = ca.cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  if (caKeyId) extensions.push(new x509.AuthorityKeyIdentifierExtension(caKeyId));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject,
    issuer: ca.cert.subjectName,
    notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
    notAfter: new Date(now.getTime() + LEAF_LIFETIME_MS),
    publicKey: keys.publicKey,
    signingKey: ca.key,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions,
  });
  return { cert, key: keys.privateKey, certPem: cert.toString("pem"), keyPem: await exportKeyPem(keys.privateKey) };
}

async function writePair(certFile: string, keyFile: string, pair: Pair): Promise<void> {
  await writeFileAtomic(keyFile, pair.keyPem, 0o600);
  await writeFileAtomic(certFile, pair.certPem, 0o644);
}

async function exportKeyPem(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await crypto.subtle.exportKey("pkcs8", key), "PRIVATE KEY");
}

/** 128 random bits, first byte 0x01–0x7f (a positive DER integer without padding). */
function randomSerial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01;
  return Buffer.from(bytes).toString("hex");
}
