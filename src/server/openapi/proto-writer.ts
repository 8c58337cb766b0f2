// A minimal protocol buffers (proto3) writer: varints, length-delimited fields and fixed64
// doubles, enough to encode gnostic's OpenAPI v2 messages. Default values are skipped, as
// proto3 encoders do.

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;

const encoder = new TextEncoder();

export class ProtoWriter {
  private buf = new Uint8Array(256);
  private len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  private varint(v: number): void {
    // Field values here are non-negative and below 2^53: split into 7-bit groups arithmetically.
    this.ensure(10);
    let n = v;
    while (n >= 0x80) {
      this.buf[this.len++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.len++] = n;
  }

  private tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  private raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }

  string(field: number, value: string | undefined): this {
    if (!value) return this;
    const bytes = encoder.encode(value);
    this.tag(field, WIRE_LEN);
    this.varint(bytes.length);
    this.raw(bytes);
    return this;
  }

  /** A repeated string field: one entry per value, empty strings included. */
  strings(field: number, values: readonly string[] | undefined): this {
    for (const v of values ?? []) {
      const bytes = encoder.encode(v);
      this.tag(field, WIRE_LEN);
      this.varint(bytes.length);
      this.raw(bytes);
    }
    return this;
  }

  bool(field: number, value: boolean | undefined): this {
    if (!value) return this;
    this.tag(field, WIRE_VARINT);
    this.varint(1);
    return this;
  }

  int64(field: number, value: number | undefined): this {
    if (!value || value < 0 || !Number.isInteger(value)) return this;
    this.tag(field, WIRE_VARINT);
    this.varint(value);
    return this;
  }

  double(field: number, value: number | undefined): this {
    if (value === undefined || value === 0 || !Number.isFinite(value)) return this;
    this.tag(field, WIRE_FIXED64);
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setFloat64(0, value, true);
    this.raw(bytes);
    return this;
  }

  /** A nested message, written by `write` into its own writer; always emitted (presence matters). */
  message(field: number, write: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    write(inner);
    const bytes = inner.finish();
    this.tag(field, WIRE_LEN);
    this.varint(bytes.length);
    this.raw(bytes);
    return this;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}
