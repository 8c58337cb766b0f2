// PEM blocks as Go's encoding/pem Decode finds them, and the syntactic checks kube applies to a
// CSR's request and a signed certificate: the outline of their DER structure. Signatures are not
// verified (WebCrypto is async, validation is not), and no X.509 library is loaded: @peculiar/x509
// needs a Reflect polyfill whose load order this module could not guarantee.

import { base64ErrorOffset } from "./wire-decode.ts";

export interface PemBlock {
  type: string;
  headers: Record<string, string>;
  bytes: Uint8Array;
}

const BEGIN = /(?:^|\n)-----BEGIN ([^\n]*)-----[ \t\r]*\n/g;

/** Every well-formed block in `text`, in order (pem.Decode called until it finds no more). */
export function decodePemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  BEGIN.lastIndex = 0;
  for (let m = BEGIN.exec(text); m; m = BEGIN.exec(text)) {
    const type = m[1] as string;
    const bodyStart = m.index + m[0].length;
    const endMarker = `-----END ${type}-----`;
    const end = text.indexOf(endMarker, bodyStart);
    if (end < 0) continue;
    const lines = text.slice(bodyStart, end).split("\n");
    const headers: Record<string, string> = {};
    // Headers are "Key: value" lines before the base64 body.
    while (lines.length && lines[0]?.includes(":")) {
      const line = lines.shift() as string;
      const i = line.indexOf(":");
      headers[line.slice(0, i).trim()] = line.slice(i + 1).trim();
    }
    const b64 = lines.join("").replace(/[ \t\r]/g, "");
    if (base64ErrorOffset(b64) >= 0) continue;
    blocks.push({ type, headers, bytes: new Uint8Array(Buffer.from(b64, "base64")) });
    BEGIN.lastIndex = end + endMarker.length;
  }
  return blocks;
}

/** validateCSR: the error text kube reports for spec.request, or "" when it parses. */
export function certificateRequestError(request: Uint8Array): string {
  const block = decodePemBlocks(Buffer.from(request).toString("latin1"))[0];
  if (block?.type !== "CERTIFICATE REQUEST") return "PEM block type must be CERTIFICATE REQUEST";
  // CertificationRequest ::= SEQUENCE { info SEQUENCE { version INTEGER, subject SEQUENCE,
  //   subjectPKInfo SEQUENCE, attributes [0] }, signatureAlgorithm SEQUENCE, signature BIT STRING }
  return derShapeError(block.bytes, [SEQUENCE, SEQUENCE, BIT_STRING], [INTEGER, SEQUENCE, SEQUENCE, CONTEXT_0]);
}

/** validateCertificate: the error text for status.certificate, or "" when it is acceptable. */
export function certificateChainError(pemData: Uint8Array): string {
  if (pemData.length === 0) return "";
  const blocks = decodePemBlocks(Buffer.from(pemData).toString("latin1"));
  for (const block of blocks) {
    if (block.type !== "CERTIFICATE")
      return `only CERTIFICATE PEM blocks are allowed, found ${JSON.stringify(block.type)}`;
    if (Object.keys(block.headers).length !== 0) return "no PEM block headers are permitted";
    // Certificate ::= SEQUENCE { tbsCertificate SEQUENCE, signatureAlgorithm SEQUENCE, signatureValue BIT STRING }
    if (derShapeError(block.bytes, [SEQUENCE, SEQUENCE, BIT_STRING], null)) return "x509: malformed certificate";
  }
  if (blocks.length === 0) return "must contain at least one CERTIFICATE PEM block";
  return "";
}

// ---- a minimal DER reader ----

const INTEGER = 0x02;
const BIT_STRING = 0x03;
const SEQUENCE = 0x30;
const CONTEXT_0 = 0xa0;

interface Tlv {
  tag: number;
  start: number;
  end: number;
}

/** The element at `pos`, or a Go-worded error. Only definite lengths exist in DER. */
function readTlv(der: Uint8Array, pos: number, limit: number): Tlv | string {
  if (pos + 2 > limit) return "asn1: syntax error: data truncated";
  const tag = der[pos] as number;
  let len = der[pos + 1] as number;
  let start = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > limit) return "asn1: syntax error: data truncated";
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (der[start + i] as number);
    start += n;
  }
  if (start + len > limit) return "asn1: syntax error: data truncated";
  return { tag, start, end: start + len };
}

function children(der: Uint8Array, parent: Tlv): Tlv[] | string {
  const out: Tlv[] = [];
  for (let pos = parent.start; pos < parent.end; ) {
    const t = readTlv(der, pos, parent.end);
    if (typeof t === "string") return t;
    out.push(t);
    pos = t.end;
  }
  return out;
}

/** Check a SEQUENCE whose elements start with `outer` tags (and whose first element starts with `inner`). */
function derShapeError(der: Uint8Array, outer: number[], inner: number[] | null): string {
  const top = readTlv(der, 0, der.length);
  if (typeof top === "string") return top;
  if (top.end !== der.length) return "asn1: syntax error: trailing data";
  if (top.tag !== SEQUENCE) return "asn1: structure error: tags don't match";
  const elems = children(der, top);
  if (typeof elems === "string") return elems;
  if (elems.length < outer.length || outer.some((tag, i) => elems[i]?.tag !== tag))
    return "asn1: structure error: tags don't match";
  if (inner) {
    const first = children(der, elems[0] as Tlv);
    if (typeof first === "string") return first;
    if (first.length < inner.length || inner.some((tag, i) => first[i]?.tag !== tag))
      return "asn1: structure error: tags don't match";
  }
  return "";
}
