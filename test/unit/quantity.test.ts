import { describe, expect, test } from "bun:test";
import {
  compareQuantities,
  ERR_FORMAT_WRONG,
  ERR_SUFFIX,
  formatQuantity,
  milliValue,
  parseQuantity,
} from "../../src/machinery/quantity.ts";

const canonical = (s: string) => formatQuantity(parseQuantity(s));

describe("resource.Quantity", () => {
  test("canonical forms kube writes back", () => {
    const cases: [string, string][] = [
      ["1000m", "1"],
      ["1.5", "1500m"],
      ["1.0", "1"],
      ["100m", "100m"],
      ["1000000", "1M"],
      ["123456789", "123456789"],
      ["1.5Gi", "1536Mi"],
      ["0.5Gi", "512Mi"],
      ["2048Ki", "2Mi"],
      ["1.5Ki", "1536"],
      ["12e2", "1200"],
      ["0m", "0"],
      ["0.1n", "1n"],
      [".", "0"],
    ];
    for (const [input, want] of cases) expect([input, canonical(input)]).toEqual([input, want]);
  });

  test("input already in canonical form is kept verbatim, as kube does", () => {
    for (const s of ["1Ki", "500Mi", "10Gi", "1e3", "5e-3", "1E3", "+1", "-1", "1M", "1n"])
      expect(canonical(s)).toBe(s);
  });

  test("syntax errors", () => {
    for (const s of ["", "abc", "1x", "1Kib", "1.5.5"]) expect(() => parseQuantity(s)).toThrow(ERR_FORMAT_WRONG);
    for (const s of ["--1", "1e", "1m2"]) expect(() => parseQuantity(s)).toThrow(ERR_SUFFIX);
  });

  test("comparison and milli values", () => {
    expect(compareQuantities(parseQuantity("1Gi"), parseQuantity("1G"))).toBe(1);
    expect(compareQuantities(parseQuantity("1000m"), parseQuantity("1"))).toBe(0);
    expect(milliValue(parseQuantity("1.0001"))).toBe(1001n);
    expect(milliValue(parseQuantity("2"))).toBe(2000n);
  });
});
