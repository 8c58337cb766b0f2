import { describe, expect, test } from "bun:test";
import {
  applyJsonPatch,
  decodeJsonPatch,
  JsonPatchApplyError,
  JsonPatchCopyLimitError,
  jsonEqual,
  MAX_JSON_PATCH_COPY_BYTES,
  parsePointer,
} from "../../src/machinery/patch/json-patch.ts";
import { StatusError } from "../../src/machinery/status.ts";

function errorOf(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (e) {
    if (e instanceof StatusError) return e;
    throw e;
  }
  throw new Error("expected a StatusError");
}

describe("RFC 6902 appendix A", () => {
  const ok: [string, unknown, unknown[], unknown][] = [
    [
      "A.1 add an object member",
      { foo: "bar" },
      [{ op: "add", path: "/baz", value: "qux" }],
      { baz: "qux", foo: "bar" },
    ],
    [
      "A.2 add an array element",
      { foo: ["bar", "baz"] },
      [{ op: "add", path: "/foo/1", value: "qux" }],
      { foo: ["bar", "qux", "baz"] },
    ],
    ["A.3 remove an object member", { baz: "qux", foo: "bar" }, [{ op: "remove", path: "/baz" }], { foo: "bar" }],
    [
      "A.4 remove an array element",
      { foo: ["bar", "qux", "baz"] },
      [{ op: "remove", path: "/foo/1" }],
      { foo: ["bar", "baz"] },
    ],
    [
      "A.5 replace a value",
      { baz: "qux", foo: "bar" },
      [{ op: "replace", path: "/baz", value: "boo" }],
      { baz: "boo", foo: "bar" },
    ],
    [
      "A.6 move a value",
      { foo: { bar: "baz", waldo: "fred" }, qux: { corge: "grault" } },
      [{ op: "move", from: "/foo/waldo", path: "/qux/thud" }],
      { foo: { bar: "baz" }, qux: { corge: "grault", thud: "fred" } },
    ],
    [
      "A.7 move an array element",
      { foo: ["all", "grass", "cows", "eat"] },
      [{ op: "move", from: "/foo/1", path: "/foo/3" }],
      { foo: ["all", "cows", "eat", "grass"] },
    ],
    [
      "A.8 test a value: success",
      { baz: "qux", foo: ["a", 2, "c"] },
      [
        { op: "test", path: "/baz", value: "qux" },
        { op: "test", path: "/foo/1", value: 2 },
      ],
      { baz: "qux", foo: ["a", 2, "c"] },
    ],
    [
      "A.10 add a nested member object",
      { foo: "bar" },
      [{ op: "add", path: "/child", value: { grandchild: {} } }],
      { foo: "bar", child: { grandchild: {} } },
    ],
    [
      "A.11 ignore unrecognized elements",
      { foo: "bar" },
      [{ op: "add", path: "/baz", value: "qux", xyz: 123 }],
      { foo: "bar", baz: "qux" },
    ],
    ["A.14 ~ escape ordering", { "/": 9, "~1": 10 }, [{ op: "test", path: "/~01", value: 10 }], { "/": 9, "~1": 10 }],
    [
      "A.16 add an array value",
      { foo: ["bar"] },
      [{ op: "add", path: "/foo/-", value: ["abc", "def"] }],
      { foo: ["bar", ["abc", "def"]] },
    ],
  ];
  for (const [name, doc, patch, want] of ok) {
    test(name, () => {
      expect(applyJsonPatch(doc, patch)).toEqual(want);
    });
  }

  const failing: [string, unknown, unknown[]][] = [
    ["A.9 test a value: error", { baz: "qux" }, [{ op: "test", path: "/baz", value: "bar" }]],
    ["A.12 add to a nonexistent target", { foo: "bar" }, [{ op: "add", path: "/baz/bat", value: "qux" }]],
    ["A.15 compare strings and numbers", { "/": 9, "~1": 10 }, [{ op: "test", path: "/~01", value: "10" }]],
  ];
  for (const [name, doc, patch] of failing) {
    test(name, () => {
      expect(() => applyJsonPatch(doc, patch)).toThrow(JsonPatchApplyError);
    });
  }
});

describe("applyJsonPatch", () => {
  test("does not modify its input, nor alias patch values", () => {
    const doc = { a: { b: [1, 2] }, c: "x" };
    const before = structuredClone(doc);
    const value = { deep: true };
    const out = applyJsonPatch(doc, [
      { op: "add", path: "/a/b/-", value: 3 },
      { op: "replace", path: "/c", value },
      { op: "copy", from: "/a", path: "/d" },
    ]) as Record<string, unknown>;
    expect(doc).toEqual(before);
    expect(out).toEqual({ a: { b: [1, 2, 3] }, c: { deep: true }, d: { b: [1, 2, 3] } });
    value.deep = false;
    expect((out.c as { deep: boolean }).deep).toBe(true);
    (out.a as { b: number[] }).b.push(9);
    expect((out.d as { b: number[] }).b).toEqual([1, 2, 3]);
  });

  test("a failed operation changes nothing and is kube's generic 422", () => {
    const doc = { a: 1 };
    const e = errorOf(() =>
      applyJsonPatch(doc, [
        { op: "replace", path: "/a", value: 2 },
        { op: "remove", path: "/missing" },
      ]),
    );
    expect(doc).toEqual({ a: 1 });
    expect(e.code).toBe(422);
    expect(e.toStatus()).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: "the server rejected our request due to an error in our request",
      reason: "Invalid",
      details: {},
      code: 422,
    });
    expect((e as JsonPatchApplyError).detail).toBe("Unable to remove nonexistent key: missing: missing value");
  });

  test("the CSA-to-SSA migration patch kubectl sends", () => {
    const obj = {
      metadata: { name: "x", resourceVersion: "100", managedFields: [{ manager: "kubectl-client-side-apply" }] },
    };
    const out = applyJsonPatch(obj, [
      { op: "replace", path: "/metadata/managedFields", value: [{ manager: "kubectl", operation: "Apply" }] },
      { op: "replace", path: "/metadata/resourceVersion", value: "107" },
    ]);
    expect(out).toEqual({
      metadata: { name: "x", resourceVersion: "107", managedFields: [{ manager: "kubectl", operation: "Apply" }] },
    });
  });

  test("replace and remove need an existing target", () => {
    expect(() => applyJsonPatch({}, [{ op: "replace", path: "/a", value: 1 }])).toThrow(JsonPatchApplyError);
    expect(() => applyJsonPatch({ a: [1] }, [{ op: "remove", path: "/a/1" }])).toThrow(JsonPatchApplyError);
    expect(() => applyJsonPatch({ a: [1] }, [{ op: "replace", path: "/a/-", value: 1 }])).toThrow(JsonPatchApplyError);
  });

  test("array indices: bounds, '-', no leading zeros or negatives", () => {
    expect(applyJsonPatch([1, 2], [{ op: "add", path: "/2", value: 3 }])).toEqual([1, 2, 3]);
    expect(() => applyJsonPatch([1, 2], [{ op: "add", path: "/3", value: 3 }])).toThrow(JsonPatchApplyError);
    expect(() => applyJsonPatch([1, 2], [{ op: "remove", path: "/01" }])).toThrow(JsonPatchApplyError);
    expect(() => applyJsonPatch([1, 2], [{ op: "remove", path: "/-1" }])).toThrow(JsonPatchApplyError);
    expect(applyJsonPatch({ "0": "a" }, [{ op: "replace", path: "/0", value: "b" }])).toEqual({ "0": "b" });
  });

  test("the whole document", () => {
    expect(applyJsonPatch({ a: 1 }, [{ op: "replace", path: "", value: [1] }])).toEqual([1]);
    expect(applyJsonPatch({ a: 1 }, [{ op: "add", path: "", value: { b: 2 } }])).toEqual({ b: 2 });
    expect(applyJsonPatch({ a: 1 }, [{ op: "test", path: "", value: { a: 1 } }])).toEqual({ a: 1 });
    expect(() => applyJsonPatch({ a: 1 }, [{ op: "remove", path: "" }])).toThrow(JsonPatchApplyError);
  });

  test("move rules", () => {
    expect(() => applyJsonPatch({ a: { b: 1 } }, [{ op: "move", from: "/a", path: "/a/c" }])).toThrow(
      JsonPatchApplyError,
    );
    expect(applyJsonPatch({ a: 1 }, [{ op: "move", from: "/a", path: "/a" }])).toEqual({ a: 1 });
    expect(() => applyJsonPatch({}, [{ op: "move", from: "/x", path: "/y" }])).toThrow(JsonPatchApplyError);
  });

  test("malformed operations are 422s", () => {
    for (const op of [
      { op: "frob", path: "/a" },
      { path: "/a" },
      { op: "add", value: 1 },
      { op: "add", path: "/a" },
      { op: "add", path: "a", value: 1 },
      null,
    ]) {
      expect(errorOf(() => applyJsonPatch({}, [op])).code).toBe(422);
    }
    expect(() => applyJsonPatch({ "a~b": 1 }, [{ op: "remove", path: "/a~2b" }])).toThrow(JsonPatchApplyError);
  });

  test("test compares JSON values structurally", () => {
    expect(jsonEqual({ a: [1, { b: null }], c: "x" }, { c: "x", a: [1, { b: null }] })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
    expect(jsonEqual(null, {})).toBe(false);
  });

  test("copy limit, when set", () => {
    const doc = { a: "x".repeat(100) };
    expect(() => applyJsonPatch(doc, [{ op: "copy", from: "/a", path: "/b" }], { maxCopyBytes: 50 })).toThrow(
      JsonPatchApplyError,
    );
    expect(applyJsonPatch(doc, [{ op: "copy", from: "/a", path: "/b" }], { maxCopyBytes: 1000 })).toEqual({
      a: doc.a,
      b: doc.a,
    });
  });

  test("copying an array into itself 30 times is refused at the default limit, measured no further", () => {
    const doc = { a: Array.from({ length: 1000 }, (_, i) => `item-${i}`) };
    const ops = Array.from({ length: 30 }, () => ({ op: "copy", from: "/a", path: "/a/-" }));
    const err = errorOf(() => applyJsonPatch(doc, ops));
    expect(err).toBeInstanceOf(JsonPatchCopyLimitError);
    expect({ code: err.code, reason: err.reason }).toEqual({ code: 422, reason: "Invalid" });
    const words = err.details?.causes?.[0]?.message ?? "";
    const m = /accumulated size increase of copy is (\d+), exceeding the limit (\d+)$/.exec(words);
    expect(Number(m?.[2])).toBe(MAX_JSON_PATCH_COPY_BYTES);
    // The last copy was measured only until it crossed the limit (a whole one would be as big as
    // everything copied before it).
    expect(Number(m?.[1])).toBeLessThan(MAX_JSON_PATCH_COPY_BYTES + 100);
    // The document handed in is untouched.
    expect(doc.a).toHaveLength(1000);
  });

  test("many copies of a large map stop at the limit", () => {
    const big = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, i]));
    const ops = Array.from({ length: 1000 }, (_, i) => ({ op: "copy", from: "/big", path: `/c${i}` }));
    expect(() => applyJsonPatch({ big }, ops)).toThrow(JsonPatchCopyLimitError);
    // Within the limit, copies work as before.
    expect(Object.keys(applyJsonPatch({ big }, ops.slice(0, 5)) as object)).toHaveLength(6);
  });

  test("a test of a small value against a large document compares no more than the value", () => {
    const big = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, i]));
    expect(jsonEqual({ k0: 0 }, big)).toBe(false);
    expect(jsonEqual(big, { ...big })).toBe(true);
    expect(jsonEqual({}, [])).toBe(false);
  });

  test("pointer decoding", () => {
    expect(parsePointer("")).toEqual([]);
    expect(parsePointer("/a~1b/c~0d/")).toEqual(["a/b", "c~d", ""]);
  });
});

describe("decodeJsonPatch", () => {
  test("not a list is kube's 400", () => {
    const e = errorOf(() => decodeJsonPatch({ op: "add" }));
    expect(e.code).toBe(400);
    expect(e.message).toBe(
      "error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp",
    );
    expect(errorOf(() => decodeJsonPatch(["x"])).message).toBe(
      "error decoding patch: json: cannot unmarshal string into Go value of type handlers.jsonPatchOp",
    );
  });
  test("null is an empty patch", () => {
    expect(decodeJsonPatch(null)).toEqual([]);
    expect(applyJsonPatch({ a: 1 }, null)).toEqual({ a: 1 });
  });
  test("more than 10000 operations is a 413", () => {
    const ops = Array.from({ length: 10001 }, () => ({ op: "test", path: "", value: {} }));
    const e = errorOf(() => decodeJsonPatch(ops));
    expect(e.code).toBe(413);
    expect(e.reason).toBe("RequestEntityTooLarge");
    expect(e.message).toBe(
      "Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001",
    );
  });
});
