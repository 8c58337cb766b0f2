// The controllers' work queue: duplicates collapse, failures are retried with backoff until they
// succeed, and nothing runs after stop.
import { expect, test } from "bun:test";
import { WorkQueue } from "../../src/controllers/work-queue.ts";

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
