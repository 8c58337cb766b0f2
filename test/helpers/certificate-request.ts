// PKCS#10 certificate requests made in the test with node:crypto and the project's DER writer, so
// the tests need no openssl: EC P-256, RSA or Ed25519 keys, a subject with CN and O, optional DNS
// names, and optionally a broken signature.

import { createPublicKey, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { bits, type Bytes, explicit, implicit, oid, octets, seq, set, tlv, uint, utf8 } from "../../src/pki/der.ts";

export type KeyKind = "ec" | "rsa" | "ed25519";

export function generateKey(kind: KeyKind = "ec"): { privateKey: KeyObject; publicKey: KeyObject; keyPem: string } {
  const pair =
    kind === "ec"
      ? generateKeyPairSync("ec", { namedCurve: "P-256" })
      : kind === "rsa"
        ? generateKeyPairSync("rsa", { modulusLength: 2048 })
        : generateKeyPairSync("ed25519");
  return { ...pair, keyPem: pair.privateKey.export({ type: "pkcs8", format: "pem" }) as string };
}

export interface CsrOptions {
  cn?: string;
  orgs?: string[];
  dnsNames?: string[];
  key: KeyObject;
  /** Flip a bit of the signature. */
  badSignature?: boolean;
}

export function certificateRequestPem(o: CsrOptions): string {
  const rdns: Bytes[] = [];
  for (const org of o.orgs ?? []) rdns.push(set(seq(oid("2.5.4.10"), utf8(org))));
  if (o.cn !== undefined) rdns.push(set(seq(oid("2.5.4.3"), utf8(o.cn))));
  const publicKey = new Uint8Array(createPublicKey(o.key).export({ type: "spki", format: "der" }));
  const attributes: Bytes[] = [];
  if (o.dnsNames?.length) {
    const names = seq(...o.dnsNames.map((d) => implicit(2, new TextEncoder().encode(d))));
    const extension = seq(oid("2.5.29.17"), octets(names));
    attributes.push(seq(oid("1.2.840.113549.1.9.14"), set(seq(extension))));
  }
  const info = seq(uint(Uint8Array.of(0)), seq(...rdns), publicKey, explicit(0, ...attributes));
  const type = o.key.asymmetricKeyType;
  const algorithm =
    type === "ec"
      ? seq(oid("1.2.840.10045.4.3.2"))
      : type === "rsa"
        ? seq(oid("1.2.840.113549.1.1.11"), tlv(0x05))
        : seq(oid("1.3.101.112"));
  const signature = new Uint8Array(
    sign(type === "ed25519" ? null : "sha256", info, type === "ec" ? { key: o.key, dsaEncoding: "der" } : o.key),
  );
  if (o.badSignature) signature[signature.length - 1] = (signature[signature.length - 1] ?? 0) ^ 1;
  const der = Buffer.from(seq(info, algorithm, bits(signature)));
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE REQUEST-----\n${lines.join("\n")}\n-----END CERTIFICATE REQUEST-----\n`;
}
