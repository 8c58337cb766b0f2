import { describe, expect, test } from "bun:test";
import { parseBool, queryBool } from "../../src/machinery/parse-bool.ts";
import { StatusError } from "../../src/machinery/status.ts";

describe("parseBool", () => {
  test("Go's true and false spellings", () => {
    for (const s of ["1", "t", "T", "TRUE", "true", "True"]) expect(parseBool(s)).toBe(true);
    for (const s of ["0", "f", "F", "FALSE", "false", "False"]) expect(parseBool(s)).toBe(false);
  });
  test("missing is undefined", () => {
    expect(parseBool(undefined)).toBeUndefined();
    expect(parseBool(null)).toBeUndefined();
    expect(parseBool("")).toBeUndefined();
  });
  test("anything else is a 400", () => {
    for (const s of ["yes", "tRUE", " true", "2"]) {
      let err: unknown;
      try {
        parseBool(s);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(StatusError);
      expect((err as StatusError).code).toBe(400);
      expect((err as StatusError).message).toBe(`strconv.ParseBool: parsing ${JSON.stringify(s)}: invalid syntax`);
    }
  });
});

describe("queryBool", () => {
  test("kube-apiserver's query parameter rule", () => {
    expect(queryBool(null)).toBe(false);
    expect(queryBool(undefined)).toBe(false);
    for (const s of ["0", "false", "False", "FALSE", "fAlSe"]) expect(queryBool(s)).toBe(false);
    for (const s of ["1", "true", "True", "", "f", "no", "anything"]) expect(queryBool(s)).toBe(true);
  });
});
