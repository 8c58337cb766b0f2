import { describe, expect, test } from "bun:test";
import { normalizeGoTime, parseGoTime } from "../../src/apis/builtin/timestamps.ts";
import { base64ErrorOffset, WireDecoder } from "../../src/apis/builtin/wire-decode.ts";
import { StatusError } from "../../src/machinery/status.ts";

describe("base64 as Go's StdEncoding decodes it", () => {
  test("valid input, line breaks allowed", () => {
    for (const s of ["", "YQ==", "YWI=", "YWJj", "YW\nJj", "YWJj\r\nZGVm"]) expect(base64ErrorOffset(s)).toBe(-1);
  });

  test("error offsets", () => {
    expect(base64ErrorOffset("YWJ")).toBe(0);
    expect(base64ErrorOffset("YWJj!")).toBe(4);
    expect(base64ErrorOffset("Y===")).toBe(1);
    expect(base64ErrorOffset("YQ=")).toBe(3);
    expect(base64ErrorOffset("YQ==YQ==")).toBe(4);
    expect(base64ErrorOffset("YQ=a")).toBe(2);
  });
});

describe("metav1.Time and MicroTime", () => {
  test("normalised to UTC", () => {
    expect(normalizeGoTime("2024-02-29T23:30:00.987-01:00", "time")).toBe("2024-03-01T00:30:00Z");
    expect(normalizeGoTime("2024-02-29T23:30:00.000123+00:30", "micro")).toBe("2024-02-29T23:00:00.000123Z");
  });

  test("Go's parse errors", () => {
    const msg = (v: string, l: "time" | "micro") => {
      try {
        parseGoTime(v, l);
      } catch (e) {
        return (e as Error).message;
      }
      return "";
    };
    expect(msg("2024-13-01T00:00:00Z", "time")).toBe('parsing time "2024-13-01T00:00:00Z": month out of range');
    expect(msg("2023-02-29T00:00:00Z", "time")).toBe('parsing time "2023-02-29T00:00:00Z": day out of range');
    expect(msg("2024-01-01 00:00:00Z", "time")).toBe(
      'parsing time "2024-01-01 00:00:00Z" as "2006-01-02T15:04:05Z07:00": cannot parse " 00:00:00Z" as "T"',
    );
    expect(msg("2024-01-01T00:00:00.123Z", "micro")).toBe(
      'parsing time "2024-01-01T00:00:00.123Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse ".123Z" as ".000000"',
    );
    expect(msg("2024-01-01T00:00:00Zjunk", "time")).toBe('parsing time "2024-01-01T00:00:00Zjunk": extra text: "junk"');
  });
});

describe("WireDecoder", () => {
  const wire = new WireDecoder("Widget", "v1");
  const fail = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      if (e instanceof StatusError) return `${e.code} ${e.message}`;
      throw e;
    }
    return "";
  };

  test("Go's type-mismatch wording", () => {
    expect(fail(() => wire.string(3, { struct: "Widget", path: "name" }))).toBe(
      '400 Widget in version "v1" cannot be handled as a Widget: json: cannot unmarshal number into Go struct field Widget.name of type string',
    );
    expect(fail(() => wire.strings(["a", {}], { struct: "Spec", path: "spec.tags" }))).toBe(
      '400 Widget in version "v1" cannot be handled as a Widget: json: cannot unmarshal object into Go struct field Spec.spec.tags of type string',
    );
    expect(fail(() => wire.object([], { struct: "Widget", path: "spec" }, "v1.WidgetSpec"))).toBe(
      '400 Widget in version "v1" cannot be handled as a Widget: json: cannot unmarshal array into Go struct field Widget.spec of type v1.WidgetSpec',
    );
    expect(fail(() => wire.int(2 ** 31, { struct: "Widget", path: "n" }, 32))).toContain(
      "cannot unmarshal number 2147483648 into Go struct field Widget.n of type int32",
    );
  });

  test("null and absent decode as unset", () => {
    expect(wire.string(null, { struct: "W", path: "a" })).toBeUndefined();
    expect(wire.quantity(undefined)).toBeUndefined();
    expect(wire.time(null, "micro")).toBeUndefined();
  });

  test("quantities and times come back canonical", () => {
    expect(wire.quantity(2)).toBe("2");
    expect(wire.quantityMap({ cpu: "500m", memory: "1024Mi" }, { struct: "W", path: "r" })).toEqual({
      cpu: "500m",
      memory: "1Gi",
    });
    expect(wire.time("2024-01-01T01:00:00+01:00", "time")).toBe("2024-01-01T00:00:00Z");
  });
});
