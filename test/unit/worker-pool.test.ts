// The bounded worker pool: tasks run in a worker and come back, a full queue is refused, a worker
// that dies fails its task and is replaced, and stop ends everything.
import { afterEach, expect, test } from "bun:test";
import { PoolError, TaskError, WorkerPool } from "../../src/util/worker-pool.ts";

const url = new URL("./fixtures/pool-test-worker.ts", import.meta.url).href;
let pool: WorkerPool | undefined;
afterEach(() => pool?.stop());

test("a task's value comes back; what it throws comes back as a TaskError", async () => {
  pool = new WorkerPool({ url, size: 1, maxQueue: 4 });
  expect(await pool.run("echo", { a: [1, 2], b: "x" })).toEqual({ a: [1, 2], b: "x" });
  const e = await pool.run("fail", null).catch((x) => x);
  expect(e).toBeInstanceOf(TaskError);
  expect((e as TaskError).payload).toEqual({ message: "failed as asked" });
});

test("past the queue bound a task is refused as busy; the others finish", async () => {
  pool = new WorkerPool({ url, size: 1, maxQueue: 2 });
  const running = pool.run("spin", 200);
  const queued = [pool.run("echo", 1), pool.run("echo", 2)];
  const refused = await pool.run("echo", 3).catch((x) => x);
  expect(refused).toBeInstanceOf(PoolError);
  expect((refused as PoolError).failure).toBe("busy");
  expect(await running).toBe(200);
  expect(await Promise.all(queued)).toEqual([1, 2]);
});

test("a worker that dies fails its task; the next task gets a new worker", async () => {
  pool = new WorkerPool({ url, size: 1, maxQueue: 2 });
  const crashed = await pool.run("crash", null).catch((x) => x);
  expect(crashed).toBeInstanceOf(PoolError);
  expect((crashed as PoolError).failure).toBe("failed");
  expect(await pool.run("echo", "again")).toBe("again");
});

test("stop fails the running and the queued tasks, and refuses new ones", async () => {
  pool = new WorkerPool({ url, size: 1, maxQueue: 2 });
  const running = pool.run("spin", 2_000).catch((x) => x);
  const queued = pool.run("echo", 1).catch((x) => x);
  pool.stop();
  for (const e of [await running, await queued, await pool.run("echo", 2).catch((x) => x)]) {
    expect(e).toBeInstanceOf(PoolError);
    expect((e as PoolError).failure).toBe("stopped");
  }
});
