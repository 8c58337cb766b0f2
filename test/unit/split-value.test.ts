// A value crossing from the offload worker in pieces is assembled into what JSON.parse of its text
// gives (keys in order, `__proto__` as data), each piece within its bound; and the worker's
// JSON and protobuf tasks give what parsing and decoding inline give, errors included.
import { afterAll, describe, expect, test } from "bun:test";
import { parseJsonBody, parseStoredJson, runTask, stopOffload } from "../../src/apis/offload/offload.ts";
import { assembleValue, SPLIT_MEMBERS, splitValue } from "../../src/apis/offload/split-value.ts";
import { decodeProtobufObject } from "../../src/apis/protobuf/decode-object.ts";
import { memberCount } from "../../src/machinery/document-limits.ts";
import { StatusError } from "../../src/machinery/status.ts";

afterAll(() => stopOffload());

const noWait = () => Promise.resolve();

function map(n: number, prefix: string, value: (i: number) => unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) out[`${prefix}${i}`] = value(i);
  return out;
}

/** What JSON text of `value` says, as JSON.parse reads it (the reference). */
const reparse = (value: unknown) => JSON.parse(JSON.stringify(value));

describe("splitValue and assembleValue", () => {
  test("a small value is one skeleton, no pieces", async () => {
    const v = { a: [1, 2, { b: null }], c: "d" };
    const split = splitValue(v);
    expect(split.pieces).toEqual([]);
    expect(await assembleValue(split, noWait)).toEqual(v);
    expect(await assembleValue(splitValue(undefined), noWait)).toBeUndefined();
    expect(await assembleValue(splitValue("text"), noWait)).toBe("text");
  });

  test("large maps and lists, nested in each other, come back equal and in order, each piece bounded", async () => {
    const value = {
      apiVersion: "v1",
      metadata: {
        name: "x",
        managedFields: [{ manager: "m", fieldsV1: { "f:data": map(7_000, "f:k", () => ({})) } }],
        finalizers: Array.from({ length: 5_000 }, (_, i) => `x/f${i}`),
      },
      data: map(9_000, "k", (i) => `v${i}`),
      lists: Array.from({ length: 3 }, (_, i) => map(2_500, `l${i}-`, (j) => [j, { j }])),
      deep: { a: { b: { c: map(4_100, "d", (i) => ({ e: i })) } } },
      tail: 1,
    };
    const split = splitValue(value);
    expect(split.pieces.length).toBeGreaterThan(10);
    for (const piece of split.pieces) expect(memberCount(JSON.parse(piece.json))).toBeLessThanOrEqual(SPLIT_MEMBERS);
    expect(memberCount(JSON.parse(split.skeleton))).toBeLessThanOrEqual(SPLIT_MEMBERS);
    let turns = 0;
    const got = await assembleValue(split, async () => void turns++);
    expect(turns).toBe(split.pieces.length);
    expect(got).toEqual(reparse(value));
    // Key order is kept (JSON text is what clients see).
    expect(JSON.stringify(got)).toBe(JSON.stringify(value));
  });

  test("keys named after Object.prototype's members stay own data in every piece", async () => {
    const data = map(5_000, "k", (i) => `v${i}`);
    const text = `{"data":${JSON.stringify(data).slice(0, -1)},"__proto__":{"polluted":true},"constructor":"c","toString":"t"}}`;
    const parsed = JSON.parse(text);
    const got = (await assembleValue(splitValue(parsed), noWait)) as { data: Record<string, unknown> };
    expect(Object.getPrototypeOf(got.data)).toBe(Object.prototype);
    expect(Object.hasOwn(got.data, "__proto__")).toBe(true);
    expect(got.data.toString as unknown).toBe("t");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.stringify(got)).toBe(JSON.stringify(parsed));
  });

  test("a piece whose path leads nowhere is an Error, not a write elsewhere", async () => {
    const split = splitValue({ a: map(3_000, "k", () => 1) });
    split.pieces[0] = { path: ["missing"], json: "{}" };
    await expect(assembleValue(split, noWait)).rejects.toThrow("no member missing");
  });
});

describe("the worker's parsing tasks", () => {
  const big = JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", data: map(30_000, "key-", (i) => `v${i}`) });

  test("JSON: the value JSON.parse gives, duplicates found, syntax and depth errors as the same 400", async () => {
    const dup = `${big.slice(0, -2)},"key-1":"again"}}`;
    const { value, duplicates } = await parseJsonBody(dup, "prefix");
    expect(value).toEqual(JSON.parse(dup));
    expect(duplicates).toEqual(["data.key-1"]);
    const broken = `${big.slice(0, -3)}`;
    let inline = "";
    try {
      JSON.parse(broken);
    } catch (e) {
      inline = (e as Error).message;
    }
    const err = await parseJsonBody(broken, "prefix").catch((e) => e);
    expect(err).toBeInstanceOf(StatusError);
    expect([err.code, err.message]).toEqual([400, `prefix: ${inline}`]);
    const deep = `${"[".repeat(20_000)}${"]".repeat(20_000)}`;
    const deepErr = await parseJsonBody(deep, "prefix").catch((e) => e);
    expect(deepErr.code).toBe(400);
    expect(deepErr.message).toContain("exceeded max depth");
  });

  test("stored JSON: independent copies, each equal to JSON.parse", async () => {
    const [a, b] = (await parseStoredJson(big, 2)) as [
      { data: Record<string, string> },
      { data: Record<string, string> },
    ];
    expect(a).toEqual(JSON.parse(big));
    expect(b).toEqual(a);
    a.data["key-0"] = "changed";
    expect(b.data["key-0"]).toBe("v0");
  });

  test("protobuf: the object decodeProtobufObject gives, and its errors as the same Status", async () => {
    const enc = new TextEncoder();
    const varint = (n: number) => {
      const out: number[] = [];
      while (n > 0x7f) {
        out.push((n & 0x7f) | 0x80);
        n >>>= 7;
      }
      out.push(n);
      return out;
    };
    const field = (no: number, bytes: number[]) => [(no << 3) | 2, ...varint(bytes.length), ...bytes];
    const s = (t: string) => Array.from(enc.encode(t));
    const entries: number[] = [];
    for (let i = 0; i < 5_000; i++) entries.push(...field(2, [...field(1, s(`k${i}`)), ...field(2, s(`v${i}`))]));
    const raw = [...field(1, field(1, s("cm"))), ...entries];
    const body = new Uint8Array([0x6b, 0x38, 0x73, 0x00, ...field(2, raw)]);
    const expected = { group: "", version: "v1", kind: "ConfigMap" };
    expect(await runTask("decodeProtobuf", { body, expected }, true)).toEqual(decodeProtobufObject(body, expected));
    const wrong = { group: "", version: "v1", kind: "Secret" };
    const inline = (() => {
      try {
        decodeProtobufObject(body.subarray(0, body.length - 3), wrong);
      } catch (e) {
        return e as StatusError;
      }
    })();
    const err = await runTask(
      "decodeProtobuf",
      { body: body.subarray(0, body.length - 3), expected: wrong },
      true,
    ).catch((e) => e);
    expect(err).toBeInstanceOf(StatusError);
    expect(err.toStatus()).toEqual(inline?.toStatus());
  });
});
