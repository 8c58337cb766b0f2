import { describe, expect, test } from "bun:test";
import { applyMergePatch, decodeMergePatch } from "../../src/machinery/patch/merge-patch.ts";
import { StatusError } from "../../src/machinery/status.ts";

describe("RFC 7386 appendix A", () => {
  const cases: [unknown, unknown, unknown][] = [
    [{ a: "b" }, { a: "c" }, { a: "c" }],
    [{ a: "b" }, { b: "c" }, { a: "b", b: "c" }],
    [{ a: "b" }, { a: null }, {}],
    [{ a: "b", b: "c" }, { a: null }, { b: "c" }],
    [{ a: ["b"] }, { a: "c" }, { a: "c" }],
    [{ a: "c" }, { a: ["b"] }, { a: ["b"] }],
    [{ a: { b: "c" } }, { a: { b: "d", c: null } }, { a: { b: "d" } }],
    [{ a: [{ b: "c" }] }, { a: [1] }, { a: [1] }],
    [
      ["a", "b"],
      ["c", "d"],
      ["c", "d"],
    ],
    [{ a: "b" }, ["c"], ["c"]],
    [{ a: "foo" }, null, null],
    [{ a: "foo" }, "bar", "bar"],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: "b", c: null }, { a: "b" }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  cases.forEach(([target, patch, want], i) => {
    test(`example ${i + 1}: ${JSON.stringify(patch)}`, () => {
      expect(applyMergePatch(target, patch)).toEqual(want);
    });
  });
});

describe("applyMergePatch", () => {
  test("neither argument is modified and the result shares nothing", () => {
    const target = { metadata: { labels: { a: "1" }, annotations: { x: "y" } }, data: { k: "v" } };
    const patch = { metadata: { labels: { b: "2", a: null } }, data: { n: { deep: 1 } } };
    const t0 = structuredClone(target);
    const p0 = structuredClone(patch);
    const out = applyMergePatch(target, patch) as {
      metadata: { annotations: Record<string, string> };
      data: { n: { deep: number } };
    };
    expect(target).toEqual(t0);
    expect(patch).toEqual(p0);
    expect(out as unknown).toEqual({
      metadata: { labels: { b: "2" }, annotations: { x: "y" } },
      data: { k: "v", n: { deep: 1 } },
    });
    out.metadata.annotations.x = "changed";
    out.data.n.deep = 2;
    expect(target.metadata.annotations.x).toBe("y");
    expect(patch.data.n.deep).toBe(1);
  });

  test("kubectl label's patch", () => {
    expect(applyMergePatch({ metadata: { name: "cm" } }, { metadata: { labels: { env: "prod" } } })).toEqual({
      metadata: { name: "cm", labels: { env: "prod" } },
    });
  });

  test("arrays keep their nulls", () => {
    expect(applyMergePatch({}, { a: [null, 1] })).toEqual({ a: [null, 1] });
  });
});

describe("decodeMergePatch", () => {
  test("objects pass, anything else is kube's 400", () => {
    expect(decodeMergePatch({ a: 1 })).toEqual({ a: 1 });
    const cases: [unknown, string][] = [
      [[1], "error decoding patch: json: cannot unmarshal array into Go value of type map[string]interface {}"],
      ["x", "error decoding patch: json: cannot unmarshal string into Go value of type map[string]interface {}"],
      [true, "error decoding patch: json: cannot unmarshal bool into Go value of type map[string]interface {}"],
      [null, "Invalid JSON Patch"],
    ];
    for (const [body, message] of cases) {
      let err: unknown;
      try {
        decodeMergePatch(body);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(StatusError);
      expect((err as StatusError).code).toBe(400);
      expect((err as StatusError).message).toBe(message);
    }
  });
});
