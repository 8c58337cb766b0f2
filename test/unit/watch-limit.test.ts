import { expect, test } from "bun:test";
import { isStatusError } from "../../src/machinery/status.ts";
import { WatchesPerUser } from "../../src/server/rest/watch-limit.ts";

test("each user holds at most max watches; a release frees one place, once", () => {
  const limit = new WatchesPerUser(2);
  const a1 = limit.acquire("alice");
  limit.acquire("alice");
  let refused: unknown;
  try {
    limit.acquire("alice");
  } catch (e) {
    refused = e;
  }
  expect(isStatusError(refused) && refused.code === 429 && refused.headers?.["Retry-After"]).toBe("1");
  // Another user is counted apart, names from Object.prototype included.
  expect(() => limit.acquire("constructor")).not.toThrow();
  expect(() => limit.acquire("__proto__")).not.toThrow();
  a1();
  a1();
  expect(limit.held("alice")).toBe(1);
  expect(() => limit.acquire("alice")).not.toThrow();
  expect(() => limit.acquire("alice")).toThrow();
});

test("exempt users are not counted", () => {
  const limit = new WatchesPerUser(1, new Set(["system:apiserver"]));
  for (let i = 0; i < 10; i++) limit.acquire("system:apiserver");
  expect(limit.held("system:apiserver")).toBe(0);
});

test("0 is no cap", () => {
  const limit = new WatchesPerUser(0);
  for (let i = 0; i < 5000; i++) limit.acquire("alice");
  expect(limit.held("alice")).toBe(0);
});
