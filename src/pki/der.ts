// Just enough DER (ASN.1 Distinguished Encoding Rules) to write an X.509 certificate and to read
// the few fields of one we need back (its subject, public key and key identifier). The server's
// certificates are small and of a fixed shape, so this replaces a general ASN.1 library at start.

export type Bytes = Uint8Array;

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

function concat(parts: Bytes[]): Bytes {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function length(n: number): Bytes {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/** One tag-length-value; `content` parts are concatenated. */
export function tlv(tag: number, ...content: Bytes[]): Bytes {
  const body = concat(content);
  return concat([Uint8Array.of(tag), length(body.length), body]);
}

export const seq = (...items: Bytes[]): Bytes => tlv(TAG.SEQUENCE, ...items);
export const set = (...items: Bytes[]): Bytes => tlv(TAG.SET, ...items);
export const octets = (b: Bytes): Bytes => tlv(TAG.OCTET_STRING, b);
export const bool = (v: boolean): Bytes => tlv(TAG.BOOLEAN, Uint8Array.of(v ? 0xff : 0));
export const utf8 = (s: string): Bytes => tlv(TAG.UTF8_STRING, new TextEncoder().encode(s));
/** A context-specific tag: [n] EXPLICIT (constructed) or IMPLICIT of a primitive. */
export const explicit = (n: number, ...items: Bytes[]): Bytes => tlv(0xa0 | n, ...items);
export const implicit = (n: number, content: Bytes): Bytes => tlv(0x80 | n, content);

/** A BIT STRING of whole bytes (no unused bits). */
export const bits = (b: Bytes): Bytes => tlv(TAG.BIT_STRING, Uint8Array.of(0), b);

/** A non-negative INTEGER from its big-endian bytes (minimal, with a 0x00 pad when the top bit is set). */
export function uint(b: Bytes): Bytes {
  let start = 0;
  while (start < b.length - 1 && b[start] === 0) start++;
  const v = b.subarray(start);
  return (v[0] ?? 0) & 0x80 ? tlv(TAG.INTEGER, Uint8Array.of(0), v) : tlv(TAG.INTEGER, v.length ? v : Uint8Array.of(0));
}

export function oid(dotted: string): Bytes {
  const arcs = dotted.split(".").map(Number);
  const out: number[] = [40 * (arcs[0] ?? 0) + (arcs[1] ?? 0)];
  for (const arc of arcs.slice(2)) {
    const groups: number[] = [];
    for (let v = arc; ; v = Math.floor(v / 128)) {
      groups.unshift((v & 0x7f) | (groups.length ? 0x80 : 0));
      if (v < 128) break;
    }
    out.push(...groups);
  }
  return tlv(TAG.OID, Uint8Array.from(out));
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050; whole seconds, UTC. */
export function time(d: Date): Bytes {
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  const year = d.getUTCFullYear();
  if (year >= 1950 && year < 2050) return tlv(TAG.UTC_TIME, new TextEncoder().encode(digits.slice(2)));
  return tlv(TAG.GENERALIZED_TIME, new TextEncoder().encode(digits));
}

// ---- reading ----

export interface Element {
  tag: number;
  /** The whole element, header included. */
  raw: Bytes;
  /** The content octets. */
  content: Bytes;
}

/** The element at `offset` of `buf`. */
export function read(buf: Bytes, offset = 0): Element {
  const tag = buf[offset];
  let len = buf[offset + 1];
  if (tag === undefined || len === undefined) throw new Error("DER: truncated");
  let at = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Error("DER: unsupported length");
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[at + i] ?? 0);
    at += n;
  }
  if (at + len > buf.length) throw new Error("DER: truncated");
  return { tag, raw: buf.subarray(offset, at + len), content: buf.subarray(at, at + len) };
}

/** The elements inside a constructed one. */
export function children(el: Element): Element[] {
  const out: Element[] = [];
  for (let at = 0; at < el.content.length; ) {
    const child = read(el.content, at);
    out.push(child);
    at += child.raw.length;
  }
  return out;
}

/** The dotted text of an OBJECT IDENTIFIER element's content. */
export function oidText(content: Bytes): string {
  const first = content[0] ?? 0;
  const arcs = [Math.min(2, Math.floor(first / 40)), first - 40 * Math.min(2, Math.floor(first / 40))];
  let v = 0;
  for (const b of content.subarray(1)) {
    v = v * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      arcs.push(v);
      v = 0;
    }
  }
  return arcs.join(".");
}
