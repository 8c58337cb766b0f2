// The controllers' work queue (src/client/work-queue.ts): duplicates collapse, failures are retried with
// per-item exponential backoff until they succeed, workers run distinct items in parallel, and nothing
// runs after stop.
import { expect, test } from "bun:test";
import { WorkQueue } from "../../src/client/work-queue.ts";

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await Bun.sleep(5);
  }
}

test("an item added several times while the queue is busy is processed once, in order with the others", async () => {
  const seen: string[] = [];
  let release = () => {};
  const blocked = new Promise<void>((r) => (release = r));
  const q = new WorkQueue("test", async (item) => {
    seen.push(item);
    if (item === "first") await blocked;
    return true;
  });
  q.add("first");
  q.add("a");
  q.add("b");
  q.add("a");
  release();
  await until(() => seen.length >= 3);
  await Bun.sleep(20);
  expect(seen).toEqual(["first", "a", "b"]);
  q.stop();
});

test("an item added again while it is being processed is processed again afterwards", async () => {
  const seen: string[] = [];
  const q = new WorkQueue("test", async (item) => {
    seen.push(item);
    return true;
  });
  q.add("a");
  q.add("a");
  await until(() => seen.length >= 2);
  expect(seen).toEqual(["a", "a"]);
  q.stop();
});

test("an item that fails or throws is retried until it succeeds", async () => {
  let calls = 0;
  const q = new WorkQueue("test", async () => {
    calls++;
    if (calls === 1) throw new Error("boom");
    return calls >= 3;
  });
  q.add("x");
  await until(() => calls >= 3);
  await Bun.sleep(150);
  expect(calls).toBe(3);
  q.stop();
});

test("after stop, pending retries never run", async () => {
  let calls = 0;
  const q = new WorkQueue("test", async () => {
    calls++;
    return false;
  });
  q.add("x");
  await until(() => calls >= 1);
  q.stop();
  const after = calls;
  await Bun.sleep(300);
  expect(calls).toBe(after);
  q.add("y");
  await Bun.sleep(20);
  expect(calls).toBe(after);
});

test("backoff doubles per failure from the base up to the cap; forget starts it over", () => {
  const q = new WorkQueue("test", async () => true, { baseDelayMs: 10, maxDelayMs: 70 });
  expect([0, 1, 2, 3, 4, 10].map((n) => q.backoff(n))).toEqual([10, 20, 40, 70, 70, 70]);
  q.stop();
});

test("per-item backoff: an item that failed often waits longer than one that failed once", async () => {
  const attempts: string[] = [];
  let failOften = true;
  const q = new WorkQueue(
    "test",
    async (item) => {
      attempts.push(item);
      if (item === "often") return !failOften;
      return attempts.filter((a) => a === "once").length >= 2;
    },
    { baseDelayMs: 5, maxDelayMs: 400 },
  );
  q.add("often");
  // "often" fails until its next delay is the longest: 5·2^6 = 320 ms (under the 400 ms cap).
  await until(() => q.retries("often") >= 7);
  failOften = false;
  const before = attempts.length;
  q.add("once"); // fails once: retried after 5 ms
  await until(() => attempts.filter((a) => a === "once").length >= 2);
  expect(attempts.slice(before)).toEqual(["once", "once"]);
  expect(q.retries("once")).toBe(0); // success forgets
  await until(() => attempts.length > before + 2);
  expect(attempts.at(-1)).toBe("often");
  expect(q.retries("often")).toBe(0);
  q.stop();
});

test("forget resets an item's failure count", async () => {
  const q = new WorkQueue("test", async () => false, { baseDelayMs: 1000 });
  q.addRateLimited("x");
  q.addRateLimited("x");
  expect(q.retries("x")).toBe(2);
  q.forget("x");
  expect(q.retries("x")).toBe(0);
  q.stop();
});

test("workers process distinct items in parallel, never one item twice at once", async () => {
  const running = new Set<string>();
  let most = 0;
  let overlapSame = false;
  const releases: (() => void)[] = [];
  const q = new WorkQueue(
    "test",
    async (item) => {
      if (running.has(item)) overlapSame = true;
      running.add(item);
      most = Math.max(most, running.size);
      await new Promise<void>((r) => releases.push(r));
      running.delete(item);
      return true;
    },
    { workers: 2 },
  );
  q.add("a");
  q.add("b");
  q.add("c");
  q.add("a"); // a is in process: it runs again afterwards, not alongside
  await until(() => releases.length === 2);
  expect([...running].sort()).toEqual(["a", "b"]);
  while (releases.length > 0 || running.size > 0) {
    releases.shift()?.();
    await Bun.sleep(5);
  }
  expect(most).toBe(2);
  expect(overlapSame).toBe(false);
  q.stop();
});

test("stop() resolves once the items in process have finished", async () => {
  let release = () => {};
  let finished = false;
  const q = new WorkQueue("test", async () => {
    await new Promise<void>((r) => {
      release = r;
    });
    finished = true;
    return true;
  });
  q.add("x");
  await Bun.sleep(10);
  let stopped = false;
  const stopping = Promise.resolve(q.stop()).then(() => {
    stopped = true;
  });
  await Bun.sleep(50);
  expect(stopped).toBe(false);
  release();
  await stopping;
  expect(finished).toBe(true);
  // Idle: at once.
  await q.stop();
});
