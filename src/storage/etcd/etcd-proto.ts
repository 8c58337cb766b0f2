// Protocol Buffers encoding of the few etcd KV messages the storage sends and reads
// (etcdserverpb.KV Range, Txn and Compact; field numbers of etcd's api/etcdserverpb/rpc.proto and
// api/mvccpb/kv.proto), written by hand for grpc-kv.ts: no schema loading, no reflection.
//
// Requests are encoded straight into a gRPC frame (a 5-byte prefix: uncompressed flag and
// big-endian length). Answers come back in etcd3's shapes: keys and values as Buffers (views of
// the answer, not copies), 64-bit integers as decimal strings, a header on every (sub)response.
// Fields the storage never sets (sort order, min/max revisions, nested transactions) are left
// out; unknown fields of an answer are skipped.

import type {
  ICompactionRequest,
  ICompactionResponse,
  ICompare,
  IDeleteRangeResponse,
  IKeyValue,
  IPutResponse,
  IRangeRequest,
  IRangeResponse,
  IRequestOp,
  IResponseHeader,
  IResponseOp,
  ITxnRequest,
  ITxnResponse,
} from "etcd3";

const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;
const FIXED32 = 5;

const COMPARE_TARGETS: Record<string, number> = { Version: 0, Create: 1, Mod: 2, Value: 3, Lease: 4 };
const COMPARE_RESULTS: Record<string, number> = { Equal: 0, Greater: 1, Less: 2, NotEqual: 3 };

/** A message under construction, with room for the gRPC frame prefix in front. */
class Writer {
  buf: Buffer;
  pos = 5;

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n + 64));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  /** A non-negative integer below 2^53. */
  varint(v: number): void {
    this.room(10);
    const b = this.buf;
    while (v >= 0x80) {
      b[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    b[this.pos++] = v;
  }

  private bigVarint(v: bigint): void {
    this.room(10);
    let u = BigInt.asUintN(64, v);
    while (u >= 0x80n) {
      this.buf[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.pos++] = Number(u);
  }

  tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  /** An int64 field; skipped when absent, or zero unless `always` (a oneof member). */
  int64(field: number, v: string | number | bigint | undefined, always = false): void {
    if (v === undefined || v === null) return;
    if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) {
      if (v === 0 && !always) return;
      this.tag(field, VARINT);
      this.varint(v);
      return;
    }
    const big = BigInt(typeof v === "number" ? Math.trunc(v) : v);
    if (big === 0n && !always) return;
    this.tag(field, VARINT);
    this.bigVarint(big);
  }

  bool(field: number, v: boolean | undefined): void {
    if (!v) return;
    this.tag(field, VARINT);
    this.varint(1);
  }

  enumValue(field: number, v: number): void {
    if (v === 0) return;
    this.tag(field, VARINT);
    this.varint(v);
  }

  /** A bytes field (strings as UTF-8); skipped when absent or empty unless `always`. */
  bytes(field: number, v: Buffer | Uint8Array | string | undefined, always = false): void {
    if (v === undefined || v === null) return;
    if (typeof v === "string") v = Buffer.from(v, "utf8");
    if (v.length === 0 && !always) return;
    this.tag(field, LEN);
    this.varint(v.length);
    this.room(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
  }

  /** Open an embedded message: returns where its body starts (after a 1-byte length slot). */
  begin(field: number): number {
    this.tag(field, LEN);
    this.room(1);
    this.pos++;
    return this.pos;
  }

  /** Close the embedded message opened at `start`: write its length, widening the slot if needed. */
  end(start: number): void {
    const len = this.pos - start;
    if (len < 0x80) {
      this.buf[start - 1] = len;
      return;
    }
    let extra = 0;
    for (let v = len; v >= 0x80; v = Math.floor(v / 0x80)) extra++;
    this.room(extra);
    this.buf.copy(this.buf, start + extra, start, this.pos);
    let at = start - 1;
    let v = len;
    while (v >= 0x80) {
      this.buf[at++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[at] = v;
    this.pos += extra;
  }

  /** The gRPC frame: flag 0 (not compressed), the message length, the message. */
  frame(): Buffer {
    this.buf[0] = 0;
    this.buf.writeUInt32BE(this.pos - 5, 1);
    return this.buf.subarray(0, this.pos);
  }
}

// --- requests --------------------------------------------------------------------------------

function writeRange(w: Writer, r: IRangeRequest): void {
  w.bytes(1, r.key, true);
  w.bytes(2, r.range_end);
  w.int64(3, r.limit);
  w.int64(4, r.revision);
  w.bool(7, r.serializable);
  w.bool(8, r.keys_only);
  w.bool(9, r.count_only);
}

function writeCompare(w: Writer, c: ICompare): void {
  w.enumValue(1, enumOf(COMPARE_RESULTS, c.result, "compare result"));
  w.enumValue(2, enumOf(COMPARE_TARGETS, c.target, "compare target"));
  w.bytes(3, c.key, true);
  // One member of a oneof: sent even when zero (create_revision 0 means "absent").
  w.int64(4, c.version, true);
  w.int64(5, c.create_revision, true);
  w.int64(6, c.mod_revision, true);
  w.bytes(7, c.value, true);
  w.int64(8, c.lease, true);
  w.bytes(64, c.range_end);
}

function writeOp(w: Writer, field: number, op: IRequestOp): void {
  const at = w.begin(field);
  if (op.request_range) {
    const inner = w.begin(1);
    writeRange(w, op.request_range);
    w.end(inner);
  } else if (op.request_put) {
    const p = op.request_put;
    const inner = w.begin(2);
    w.bytes(1, p.key, true);
    w.bytes(2, p.value);
    w.int64(3, p.lease);
    w.bool(4, p.prev_kv);
    w.end(inner);
  } else if (op.request_delete_range) {
    const d = op.request_delete_range;
    const inner = w.begin(3);
    w.bytes(1, d.key, true);
    w.bytes(2, d.range_end);
    w.bool(3, d.prev_kv);
    w.end(inner);
  } else {
    throw new Error("etcd: unsupported transaction operation");
  }
  w.end(at);
}

function enumOf(names: Record<string, number>, v: string | number | undefined, what: string): number {
  if (v === undefined) return 0;
  if (typeof v === "number") return v;
  const n = names[v];
  if (n === undefined) throw new Error(`etcd: unknown ${what} ${v}`);
  return n;
}

function byteLength(v: Buffer | string | undefined): number {
  return v === undefined ? 0 : typeof v === "string" ? v.length * 3 : v.length;
}

/** etcdserverpb.RangeRequest as a gRPC frame. */
export function encodeRangeRequest(r: IRangeRequest): Buffer {
  const w = new Writer(64 + byteLength(r.key) + byteLength(r.range_end));
  writeRange(w, r);
  return w.frame();
}

/** etcdserverpb.TxnRequest as a gRPC frame. */
export function encodeTxnRequest(t: ITxnRequest): Buffer {
  let size = 64;
  for (const c of t.compare ?? []) size += 48 + byteLength(c.key) + byteLength(c.value);
  for (const op of [...(t.success ?? []), ...(t.failure ?? [])]) {
    const o = op.request_put ?? op.request_range ?? op.request_delete_range;
    size += 32 + byteLength(o?.key) + byteLength(op.request_put?.value);
  }
  const w = new Writer(size);
  for (const c of t.compare ?? []) {
    const at = w.begin(1);
    writeCompare(w, c);
    w.end(at);
  }
  for (const op of t.success ?? []) writeOp(w, 2, op);
  for (const op of t.failure ?? []) writeOp(w, 3, op);
  return w.frame();
}

/** etcdserverpb.CompactionRequest as a gRPC frame. */
export function encodeCompactionRequest(c: ICompactionRequest): Buffer {
  const w = new Writer(32);
  w.int64(1, c.revision);
  w.bool(2, c.physical);
  return w.frame();
}

// --- answers ---------------------------------------------------------------------------------

/** Reads fields of one message: `buf[pos, end)`. */
class Reader {
  pos: number;
  /** The field number and wire type of the field `next()` read. */
  field = 0;
  wire = 0;

  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  more(): boolean {
    return this.pos < this.end;
  }

  /** Read the next field's tag into `field` and `wire`. */
  next(): void {
    const tag = this.uint();
    this.field = Math.floor(tag / 8);
    this.wire = tag & 7;
  }

  /** An embedded message, read by `read` over its bytes; `pos` moves past it. */
  message<T>(read: (buf: Buffer, start: number, end: number) => T): T {
    const end = this.len();
    const v = read(this.buf, this.pos, end);
    this.pos = end;
    return v;
  }

  /** A varint that fits in 53 bits (tags, lengths, booleans, enums). */
  uint(): number {
    let v = 0;
    let scale = 1;
    for (;;) {
      if (this.pos >= this.end) throw new Error("etcd: truncated protobuf message");
      const b = this.buf[this.pos++] as number;
      v += (b & 0x7f) * scale;
      if (b < 0x80) return v;
      scale *= 0x80;
      if (scale > 2 ** 49) throw new Error("etcd: protobuf varint too long");
    }
  }

  /** A 64-bit varint as a decimal string, signed (int64) or not (uint64). */
  int64(signed: boolean): string {
    let lo = 0;
    let hi = 0;
    for (let shift = 0; ; shift += 7) {
      if (this.pos >= this.end || shift > 63) throw new Error("etcd: bad protobuf varint");
      const b = this.buf[this.pos++] as number;
      if (shift < 28) lo += (b & 0x7f) * 2 ** shift;
      else if (shift === 28) {
        lo += (b & 0x0f) * 2 ** 28;
        hi += (b & 0x7f) >> 4;
      } else hi += (b & 0x7f) * 2 ** (shift - 32);
      if (b < 0x80) break;
    }
    hi = hi % 2 ** 32;
    if (hi < 0x200000) return String(hi * 2 ** 32 + lo);
    const v = (BigInt(hi) << 32n) | BigInt(lo);
    return String(signed ? BigInt.asIntN(64, v) : v);
  }

  /** A length-delimited field: returns its end, leaves `pos` at its start. */
  len(): number {
    const n = this.uint();
    const end = this.pos + n;
    if (end > this.end) throw new Error("etcd: truncated protobuf message");
    return end;
  }

  bytes(): Buffer {
    const end = this.len();
    const b = this.buf.subarray(this.pos, end);
    this.pos = end;
    return b;
  }

  skip(wire: number): void {
    if (wire === VARINT) this.uint64Skip();
    else if (wire === FIXED64) this.pos += 8;
    else if (wire === LEN) this.pos = this.len();
    else if (wire === FIXED32) this.pos += 4;
    else throw new Error(`etcd: unsupported protobuf wire type ${wire}`);
    if (this.pos > this.end) throw new Error("etcd: truncated protobuf message");
  }

  private uint64Skip(): void {
    while (this.pos < this.end && (this.buf[this.pos++] as number) >= 0x80) {}
  }
}

const ZERO = "0";

function emptyHeader(): IResponseHeader {
  return { cluster_id: ZERO, member_id: ZERO, revision: ZERO, raft_term: ZERO };
}

function readHeader(buf: Buffer, start: number, end: number): IResponseHeader {
  const h = emptyHeader();
  const r = new Reader(buf, start, end);
  while (r.more()) {
    r.next();
    const { field, wire } = r;
    if (wire !== VARINT) r.skip(wire);
    else if (field === 1) h.cluster_id = r.int64(false);
    else if (field === 2) h.member_id = r.int64(false);
    else if (field === 3) h.revision = r.int64(true);
    else if (field === 4) h.raft_term = r.int64(false);
    else r.skip(wire);
  }
  return h;
}

function readKeyValue(buf: Buffer, start: number, end: number): IKeyValue {
  const kv: IKeyValue = {
    key: EMPTY,
    create_revision: ZERO,
    mod_revision: ZERO,
    version: ZERO,
    value: EMPTY,
    lease: ZERO,
  };
  const r = new Reader(buf, start, end);
  while (r.more()) {
    r.next();
    const { field, wire } = r;
    if (field === 1 && wire === LEN) kv.key = r.bytes();
    else if (field === 5 && wire === LEN) kv.value = r.bytes();
    else if (wire !== VARINT) r.skip(wire);
    else if (field === 2) kv.create_revision = r.int64(true);
    else if (field === 3) kv.mod_revision = r.int64(true);
    else if (field === 4) kv.version = r.int64(true);
    else if (field === 6) kv.lease = r.int64(true);
    else r.skip(wire);
  }
  return kv;
}

const EMPTY = Buffer.alloc(0);

function readRangeResponse(buf: Buffer, start: number, end: number): IRangeResponse {
  const res: IRangeResponse = { header: emptyHeader(), kvs: [], more: false, count: ZERO };
  const r = new Reader(buf, start, end);
  while (r.more()) {
    r.next();
    const { field, wire } = r;
    if (field === 1 && wire === LEN) res.header = r.message(readHeader);
    else if (field === 2 && wire === LEN) res.kvs.push(r.message(readKeyValue));
    else if (field === 3 && wire === VARINT) res.more = r.uint() !== 0;
    else if (field === 4 && wire === VARINT) res.count = r.int64(true);
    else r.skip(wire);
  }
  return res;
}

function readPutResponse(buf: Buffer, start: number, end: number): IPutResponse {
  const res = { header: emptyHeader() } as IPutResponse;
  const r = new Reader(buf, start, end);
  while (r.more()) {
    r.next();
    const { field, wire } = r;
    if (field === 1 && wire === LEN) res.header = r.message(readHeader);
    else if (field === 2 && wire === LEN) res.prev_kv = r.message(readKeyValue);
    else r.skip(wire);
  }
  return res;
}

function readDeleteRangeResponse(buf: Buffer, start: number, end: number): IDeleteRangeResponse {
  const res: IDeleteRangeResponse = { header: emptyHeader(), deleted: ZERO, prev_kvs: [] };
  const r = new Reader(buf, start, end);
  while (r.more()) {
    r.next();
    const { field, wire } = r;
    if (field === 1 && wire === LEN) res.header = r.message(readHeader);
    else if (field === 2 && wire === VARINT) res.deleted = r.int64(true);
    else if (field === 3 && wire === LEN) res.prev_kvs.push(r.message(readKeyValue));
    else r.skip(wire);
  }
  return res;
}

function readResponseOp(buf: Buffer, start: number, end: number): IResponseOp {
  const r = new Reader(buf, start, end);
  let op: Partial<IResponseOp> = {};
  while (r.more()) {
    r.next();
    const { field, wire } = r;
    if (wire !== LEN) r.skip(wire);
    else if (field === 1) op = { response_range: r.message(readRangeResponse) };
    else if (field === 2) op = { response_put: r.message(readPutResponse) };
    else if (field === 3) op = { response_delete_range: r.message(readDeleteRangeResponse) };
    else if (field === 4) op = { response_txn: r.message(readTxnResponse) };
    else r.skip(wire);
  }
  return op as IResponseOp;
}

function readTxnResponse(buf: Buffer, start: number, end: number): ITxnResponse {
  const res: ITxnResponse = { header: emptyHeader(), succeeded: false, responses: [] };
  const r = new Reader(buf, start, end);
  while (r.more()) {
    r.next();
    const { field, wire } = r;
    if (field === 1 && wire === LEN) res.header = r.message(readHeader);
    else if (field === 2 && wire === VARINT) res.succeeded = r.uint() !== 0;
    else if (field === 3 && wire === LEN) res.responses.push(r.message(readResponseOp));
    else r.skip(wire);
  }
  return res;
}

function readCompactionResponse(buf: Buffer, start: number, end: number): ICompactionResponse {
  const res: ICompactionResponse = { header: emptyHeader() };
  const r = new Reader(buf, start, end);
  while (r.more()) {
    r.next();
    if (r.field === 1 && r.wire === LEN) res.header = r.message(readHeader);
    else r.skip(r.wire);
  }
  return res;
}

/** The message of a gRPC answer (one uncompressed frame). */
function unframe(buf: Buffer): { start: number; end: number } {
  if (buf.length < 5) throw new Error(`etcd: gRPC answer of ${buf.length} bytes has no frame`);
  if (buf[0] !== 0) throw new Error("etcd: compressed gRPC answers are not supported");
  const end = 5 + buf.readUInt32BE(1);
  if (end !== buf.length) throw new Error(`etcd: gRPC frame of ${end - 5} bytes in an answer of ${buf.length - 5}`);
  return { start: 5, end };
}

/** Decoders of a whole gRPC answer body (frame prefix included). */
export function decodeRangeResponse(body: Buffer): IRangeResponse {
  const { start, end } = unframe(body);
  return readRangeResponse(body, start, end);
}

export function decodeTxnResponse(body: Buffer): ITxnResponse {
  const { start, end } = unframe(body);
  return readTxnResponse(body, start, end);
}

export function decodeCompactionResponse(body: Buffer): ICompactionResponse {
  const { start, end } = unframe(body);
  return readCompactionResponse(body, start, end);
}
