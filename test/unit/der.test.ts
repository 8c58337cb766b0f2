// The DER encoder the server's certificates are written with (src/pki/der.ts), checked against
// known encodings; whole certificates are checked by openssl, Go and Bun in pki.test.ts.
import { describe, expect, test } from "bun:test";
import { children, oid, oidText, read, seq, time, tlv, uint } from "../../src/pki/der.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("DER", () => {
  test("object identifiers, including arcs above 127", () => {
    expect(hex(oid("1.2.840.10045.4.3.2"))).toBe("06082a8648ce3d040302");
    expect(hex(oid("2.5.29.17"))).toBe("0603551d11");
    expect(oidText(read(oid("1.3.6.1.5.5.7.3.1")).content)).toBe("1.3.6.1.5.5.7.3.1");
  });

  test("integers are minimal and never negative", () => {
    expect(hex(uint(Uint8Array.of(2)))).toBe("020102");
    expect(hex(uint(Uint8Array.of(0, 0, 0x7f)))).toBe("02017f");
    expect(hex(uint(Uint8Array.of(0x80)))).toBe("02020080");
    expect(hex(uint(Uint8Array.of(0)))).toBe("020100");
  });

  test("UTCTime through 2049, GeneralizedTime from 2050, whole seconds", () => {
    expect(
      Buffer.from(read(time(new Date("2049-12-31T23:59:59.900Z"))).raw)
        .subarray(2)
        .toString(),
    ).toBe("491231235959Z");
    expect(read(time(new Date("2049-12-31T23:59:59Z"))).tag).toBe(0x17);
    const late = read(time(new Date("2050-01-01T00:00:00Z")));
    expect(late.tag).toBe(0x18);
    expect(Buffer.from(late.content).toString()).toBe("20500101000000Z");
  });

  test("long lengths, and reading back what was written", () => {
    const big = tlv(0x04, new Uint8Array(300));
    expect(hex(big.subarray(0, 4))).toBe("0482012c");
    const parsed = children(read(seq(big, uint(Uint8Array.of(5)))));
    expect(parsed.map((e) => [e.tag, e.content.length])).toEqual([
      [0x04, 300],
      [0x02, 1],
    ]);
  });
});
