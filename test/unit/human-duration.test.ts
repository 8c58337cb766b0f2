import { describe, expect, test } from "bun:test";
import { ageSince, humanDuration } from "../../src/machinery/human-duration.ts";

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe("humanDuration (apimachinery's duration.HumanDuration)", () => {
  test.each([
    [0, "0s"],
    [5 * S, "5s"],
    [5 * S + 999, "5s"],
    [119 * S, "119s"],
    [2 * M, "2m"],
    [3 * M + 2 * S, "3m2s"],
    [9 * M + 59 * S, "9m59s"],
    [10 * M + 30 * S, "10m"],
    [179 * M, "179m"],
    [3 * H, "3h"],
    [5 * H + 3 * M, "5h3m"],
    [8 * H + 59 * M, "8h"],
    [47 * H, "47h"],
    [3 * D, "3d"],
    [3 * D + 5 * H, "3d5h"],
    [8 * D + 5 * H, "8d"],
    [729 * D, "729d"],
    [2 * 365 * D, "2y"],
    [2 * 365 * D + 30 * D, "2y30d"],
    [9 * 365 * D, "9y"],
    [-1500, "0s"],
    [-2500, "<invalid>"],
  ])("%d ms → %s", (ms, want) => {
    expect(humanDuration(ms)).toBe(want);
  });
});

describe("ageSince", () => {
  const now = Date.parse("2026-01-10T00:00:00Z");
  test("the age of an RFC 3339 timestamp", () => {
    expect(ageSince("2026-01-09T23:59:55Z", now)).toBe("5s");
    expect(ageSince("2026-01-07T00:00:00Z", now)).toBe("3d");
  });
  test("an unset or unparseable timestamp is <unknown>", () => {
    expect(ageSince(undefined, now)).toBe("<unknown>");
    expect(ageSince(null, now)).toBe("<unknown>");
    expect(ageSince("", now)).toBe("<unknown>");
    expect(ageSince("yesterday", now)).toBe("<unknown>");
  });
});
