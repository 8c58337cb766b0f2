// PKCS#10 certificate requests (RFC 2986), read as Go's x509.ParseCertificateRequest does for what
// kube's CSR signer needs: the subject (raw, and its CN and O), the public key, the requested
// subject alternative names, and whether the request's signature verifies with its own key
// (CertificateRequest.CheckSignature), which proves the requester holds the private key.

import { createPublicKey, verify } from "node:crypto";
import { type Bytes, children, type Element, oidText, read, TAG } from "./der.ts";
import { type NameFields, nameFields } from "./x509-name.ts";

const EXTENSION_REQUEST = "1.2.840.113549.1.9.14";
const SUBJECT_ALT_NAME = "2.5.29.17";

/** Signature algorithms Go verifies on a CSR (SHA-1 included: CheckSignature allows it there). */
const SIGNATURE_ALGORITHMS: Record<string, string | null> = {
  "1.2.840.113549.1.1.5": "sha1", // sha1WithRSAEncryption
  "1.2.840.113549.1.1.11": "sha256",
  "1.2.840.113549.1.1.12": "sha384",
  "1.2.840.113549.1.1.13": "sha512",
  "1.2.840.10045.4.1": "sha1", // ecdsa-with-SHA1
  "1.2.840.10045.4.3.2": "sha256",
  "1.2.840.10045.4.3.3": "sha384",
  "1.2.840.10045.4.3.4": "sha512",
  "1.3.101.112": null, // Ed25519: the algorithm has its own hash
};

export interface CertificateRequest extends NameFields {
  /** The subject Name as encoded, copied into the certificate unchanged. */
  subject: Bytes;
  /** The SubjectPublicKeyInfo as encoded. */
  publicKey: Bytes;
  /** The subjectAltName extension's value (GeneralNames) as requested, if any. */
  subjectAltNames?: Bytes;
  dnsNames: string[];
  emailAddresses: string[];
  ipAddresses: string[];
  uris: string[];
  /** The signed part and its signature, for checkSignature. */
  info: Bytes;
  signatureAlgorithm: string;
  signature: Bytes;
}

function expect(el: Element | undefined, tag: number): Element {
  if (!el || el.tag !== tag) throw new Error("x509: malformed certificate request");
  return el;
}

/** Parse the DER of a CERTIFICATE REQUEST block; throws with Go-like wording when malformed. */
export function parseCertificateRequest(der: Bytes): CertificateRequest {
  const top = read(der);
  if (top.raw.length !== der.length) throw new Error("x509: trailing data after certificate request");
  const [infoEl, algorithmEl, signatureEl] = children(expect(top, TAG.SEQUENCE));
  const info = expect(infoEl, TAG.SEQUENCE);
  const algorithm = children(expect(algorithmEl, TAG.SEQUENCE))[0];
  const signature = expect(signatureEl, TAG.BIT_STRING);
  if (signature.content[0] !== 0) throw new Error("x509: malformed signature");
  const [version, subject, publicKey, attributes] = children(info);
  expect(version, TAG.INTEGER);
  const names = nameFields(expect(subject, TAG.SEQUENCE));
  const request: CertificateRequest = {
    ...names,
    subject: expect(subject, TAG.SEQUENCE).raw,
    publicKey: expect(publicKey, TAG.SEQUENCE).raw,
    dnsNames: [],
    emailAddresses: [],
    ipAddresses: [],
    uris: [],
    info: info.raw,
    signatureAlgorithm: oidText(expect(algorithm, TAG.OID).content),
    signature: signature.content.subarray(1),
  };
  if (attributes) {
    if (attributes.tag !== 0xa0) throw new Error("x509: malformed certificate request");
    for (const attribute of children(attributes)) {
      const [type, values] = children(expect(attribute, TAG.SEQUENCE));
      if (oidText(expect(type, TAG.OID).content) !== EXTENSION_REQUEST) continue;
      for (const extensions of children(expect(values, TAG.SET))) {
        for (const extension of children(expect(extensions, TAG.SEQUENCE))) readExtension(extension, request);
      }
    }
  }
  return request;
}

function readExtension(extension: Element, request: CertificateRequest): void {
  const parts = children(expect(extension, TAG.SEQUENCE));
  const id = oidText(expect(parts[0], TAG.OID).content);
  if (id !== SUBJECT_ALT_NAME) return;
  const value = expect(parts[parts.length - 1], TAG.OCTET_STRING).content;
  request.subjectAltNames = value;
  for (const name of children(expect(read(value), TAG.SEQUENCE))) {
    const text = () => new TextDecoder().decode(name.content);
    switch (name.tag) {
      case 0x81:
        request.emailAddresses.push(text());
        break;
      case 0x82:
        request.dnsNames.push(text());
        break;
      case 0x86:
        request.uris.push(text());
        break;
      case 0x87:
        request.ipAddresses.push(ipText(name.content));
        break;
    }
  }
}

function ipText(b: Bytes): string {
  if (b.length === 4) return [...b].join(".");
  if (b.length !== 16) throw new Error("x509: invalid IP address length in subjectAltName");
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((b[i] ?? 0) << 8) | (b[i + 1] ?? 0)).toString(16));
  return groups.join(":");
}

/** Throws unless the request's signature verifies with the public key it carries. */
export function checkSignature(request: CertificateRequest): void {
  if (!Object.hasOwn(SIGNATURE_ALGORITHMS, request.signatureAlgorithm))
    throw new Error(`x509: cannot verify signature: algorithm ${request.signatureAlgorithm} is unimplemented`);
  const hash = SIGNATURE_ALGORITHMS[request.signatureAlgorithm] ?? null;
  let ok = false;
  try {
    const key = createPublicKey({ key: Buffer.from(request.publicKey), format: "der", type: "spki" });
    ok = verify(
      hash,
      request.info,
      key.asymmetricKeyType === "ec" ? { key, dsaEncoding: "der" } : key,
      request.signature,
    );
  } catch {
    ok = false;
  }
  if (!ok) throw new Error(verificationFailure(request.signatureAlgorithm));
}

/** Go's words for a signature that does not verify, by key type. */
function verificationFailure(algorithm: string): string {
  if (algorithm.startsWith("1.2.840.10045")) return "x509: ECDSA verification failure";
  if (algorithm === "1.3.101.112") return "x509: Ed25519 verification failure";
  return "crypto/rsa: verification error";
}
