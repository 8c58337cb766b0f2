import { describe, expect, test } from "bun:test";
import { BoundedMemo } from "../../src/util/bounded-memo.ts";

describe("BoundedMemo", () => {
  test("computes a key once, null answers included, up to its bounds; past them, computes every time", () => {
    const computed: string[] = [];
    const memo = new BoundedMemo<string | null>(
      (k) => {
        computed.push(k);
        return k === "none" ? null : k.toUpperCase();
      },
      2,
      4,
    );
    expect(memo.get("ab")).toBe("AB");
    expect(memo.get("ab")).toBe("AB");
    expect(memo.get("none")).toBeNull();
    expect(memo.get("none")).toBeNull();
    // Full (two keys): a third is answered but not kept.
    expect(memo.get("cd")).toBe("CD");
    expect(memo.get("cd")).toBe("CD");
    expect(computed).toEqual(["ab", "none", "cd", "cd"]);

    // A key longer than the bound is never kept, even with room.
    const calls: string[] = [];
    const counted = new BoundedMemo((k: string) => calls.push(k), 10, 3);
    counted.get("abcd");
    counted.get("abcd");
    counted.get("abc");
    counted.get("abc");
    expect(calls).toEqual(["abcd", "abcd", "abc"]);
  });
});
