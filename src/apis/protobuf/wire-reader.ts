// A reader for the protocol-buffers wire format (proto2 as gogo-protobuf writes it): tags, varints,
// fixed-width numbers and length-delimited fields. Errors carry the texts of gogo's generated
// unmarshalers ("unexpected EOF", "proto: integer overflow", ...), which kube-apiserver wraps into
// its 400 answers.

/** A malformed protobuf message. The message is gogo-protobuf's wording. */
export class ProtoError extends Error {}

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_BYTES = 2;
export const WIRE_START_GROUP = 3;
export const WIRE_END_GROUP = 4;
export const WIRE_FIXED32 = 5;

export interface Tag {
  field: number;
  wireType: number;
}

const TWO_32 = 2 ** 32;

export class WireReader {
  private pos = 0;
  private view: DataView | undefined;

  constructor(private readonly buf: Uint8Array) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  get offset(): number {
    return this.pos;
  }

  /** A varint as its low and high 32-bit halves (unsigned). At most 10 bytes, as Go allows. */
  private varintHalves(): [number, number] {
    let lo = 0;
    let hi = 0;
    for (let i = 0; ; i++) {
      if (i >= 10) throw new ProtoError("proto: integer overflow");
      if (this.pos >= this.buf.length) throw new ProtoError("unexpected EOF");
      const b = this.buf[this.pos++] as number;
      const bits = b & 0x7f;
      if (i < 4) lo |= bits << (7 * i);
      else if (i === 4) {
        lo |= (bits & 0x0f) << 28;
        hi |= bits >>> 4;
      } else hi |= bits << (7 * i - 32);
      if (b < 0x80) return [lo >>> 0, hi >>> 0];
    }
  }

  /** An unsigned varint that must fit in 53 bits (tags and lengths are far smaller). */
  uint(): number {
    const [lo, hi] = this.varintHalves();
    if (hi >= 0x200000) throw new ProtoError("proto: integer overflow");
    return hi * TWO_32 + lo;
  }

  /** A varint as Go's int64 (two's complement): exact as a bigint. */
  int64(): bigint {
    const [lo, hi] = this.varintHalves();
    return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
  }

  /** A varint as Go's int32: the low 32 bits, signed. */
  int32(): number {
    const [lo] = this.varintHalves();
    return lo | 0;
  }

  bool(): boolean {
    const [lo, hi] = this.varintHalves();
    return lo !== 0 || hi !== 0;
  }

  private dataView(): DataView {
    this.view ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    return this.view;
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new ProtoError("unexpected EOF");
  }

  double(): number {
    this.need(8);
    const v = this.dataView().getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  fixed32(): number {
    this.need(4);
    const v = this.dataView().getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** A length-delimited field's payload (a view into the buffer, not a copy). */
  bytes(): Uint8Array {
    const [lo, hi] = this.varintHalves();
    // Go reads the length as an int: one with the sign bit set is "negative".
    if (hi >= 0x80000000) throw new ProtoError("proto: negative length found during unmarshaling");
    const len = hi * TWO_32 + lo;
    if (len > this.buf.length - this.pos) throw new ProtoError("unexpected EOF");
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  /** A field's tag. The caller rejects field 0 and a stray end-group, naming its message. */
  tag(): Tag {
    const v = this.uint();
    return { field: Math.floor(v / 8), wireType: v % 8 };
  }

  /** Skip a field's value of the given wire type (groups included, as gogo's skip does). */
  skip(wireType: number, depth = 0): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.varintHalves();
        return;
      case WIRE_FIXED64:
        this.need(8);
        this.pos += 8;
        return;
      case WIRE_BYTES:
        this.bytes();
        return;
      case WIRE_FIXED32:
        this.need(4);
        this.pos += 4;
        return;
      case WIRE_START_GROUP: {
        if (depth > 100) throw new ProtoError("proto: exceeded maximum group nesting");
        for (;;) {
          if (this.done) throw new ProtoError("unexpected EOF");
          const t = this.tag();
          if (t.wireType === WIRE_END_GROUP) return;
          if (t.field <= 0) throw new ProtoError(`proto: illegal tag ${t.field} (wire type ${t.wireType})`);
          this.skip(t.wireType, depth + 1);
        }
      }
      case WIRE_END_GROUP:
        throw new ProtoError("proto: unexpected end group");
      default:
        throw new ProtoError(`proto: illegal wireType ${wireType}`);
    }
  }
}
