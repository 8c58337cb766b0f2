import { expect, test } from "bun:test";
import {
  type Release,
  SeatPool,
  type SeatPoolOptions,
  SeatRejection,
  type Timers,
} from "../../src/server/fairness/seat-pool.ts";

/** Timers that fire only when the test says so. */
class FakeTimers implements Timers {
  private next = 0;
  readonly pending = new Map<number, { fn: () => void; ms: number }>();
  set(fn: () => void, ms: number): unknown {
    const id = ++this.next;
    this.pending.set(id, { fn, ms });
    return id;
  }
  clear(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  fireAll(): void {
    const due = [...this.pending.values()];
    this.pending.clear();
    for (const t of due) t.fn();
  }
}

function pool(opts: Partial<SeatPoolOptions> = {}) {
  const timers = new FakeTimers();
  const p = new SeatPool({
    seats: 4,
    perFlow: 2,
    queueLength: 3,
    maxWaiting: 100,
    waitLimitMs: 15_000,
    timers,
    ...opts,
  });
  return { p, timers };
}

function now(seat: Release | Promise<Release>): Release {
  if (typeof seat !== "function") throw new Error("expected a seat at once, got a wait");
  return seat;
}

/** Records the order waiting requests get their seats in. */
function waiter(p: SeatPool, flow: string, order: string[], label = flow) {
  const seat = p.acquire(flow);
  if (typeof seat === "function") throw new Error(`${label} got a seat at once`);
  const got: { release?: Release; error?: unknown } = {};
  const done = seat.then(
    (r) => {
      order.push(label);
      got.release = r;
    },
    (e) => {
      got.error = e;
    },
  );
  return { got, done };
}

test("a flow gets seats at once up to its share, then waits; a release serves its next", async () => {
  const { p } = pool();
  const a1 = now(p.acquire("a"));
  now(p.acquire("a"));
  expect(p.inFlightOf("a")).toBe(2);
  const order: string[] = [];
  const w = waiter(p, "a", order);
  expect(p.waiting).toBe(1);
  a1();
  a1(); // twice is once
  await w.done;
  expect(order).toEqual(["a"]);
  expect(p.inFlightOf("a")).toBe(2);
  expect(p.inFlight).toBe(2);
  expect(p.waiting).toBe(0);
});

test("another flow is served at once while one flow waits over its share", () => {
  const { p } = pool();
  now(p.acquire("noisy"));
  now(p.acquire("noisy"));
  const order: string[] = [];
  waiter(p, "noisy", order);
  waiter(p, "noisy", order);
  // The quiet flow holds nothing: its request does not queue behind the noisy flow's.
  expect(typeof p.acquire("quiet")).toBe("function");
  expect(p.inFlightOf("quiet")).toBe(1);
});

test("when seats run out, the waiting flow holding the fewest goes first, then the longest unserved", async () => {
  const { p } = pool({ seats: 3, perFlow: 0 });
  const n1 = now(p.acquire("noisy"));
  const n2 = now(p.acquire("noisy"));
  const q1 = now(p.acquire("quiet"));
  const order: string[] = [];
  // noisy queued first, many times; then quiet once, then a new flow.
  const nw = [waiter(p, "noisy", order, "noisy-1"), waiter(p, "noisy", order, "noisy-2")];
  const qw = waiter(p, "quiet", order, "quiet-1");
  const fw = waiter(p, "fresh", order, "fresh-1");
  n1(); // fresh holds 0 seats: first
  await fw.done;
  n2(); // quiet holds 1, noisy 0 now: noisy (fewest held)
  await nw[0]?.done;
  q1(); // noisy 1, quiet 0, fresh 1 → quiet
  await qw.done;
  expect(order).toEqual(["fresh-1", "noisy-1", "quiet-1"]);
  // All three hold one seat now; noisy's next waits until someone releases.
  expect(p.inFlight).toBe(3);
  fw.got.release?.();
  await nw[1]?.done;
  expect(order.at(-1)).toBe("noisy-2");
});

test("a flow's queue is bounded: over it, the request is rejected as queue-full", () => {
  const { p } = pool({ perFlow: 1, queueLength: 2 });
  now(p.acquire("a"));
  const order: string[] = [];
  waiter(p, "a", order);
  waiter(p, "a", order);
  let err: unknown;
  try {
    p.acquire("a");
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(SeatRejection);
  expect((err as SeatRejection).reason).toBe("queue-full");
  // The bound is per flow: another flow still gets its seat.
  expect(typeof p.acquire("b")).toBe("function");
});

test("all queues together are bounded by maxWaiting", () => {
  const { p } = pool({ seats: 1, perFlow: 0, queueLength: 10, maxWaiting: 2 });
  now(p.acquire("a"));
  const order: string[] = [];
  waiter(p, "b", order);
  waiter(p, "c", order);
  expect(() => p.acquire("d")).toThrow(SeatRejection);
  expect(p.waiting).toBe(2);
});

test("a wait over the limit is rejected as time-out and leaves the queue", async () => {
  const { p, timers } = pool({ perFlow: 1 });
  const a = now(p.acquire("a"));
  const order: string[] = [];
  const w = waiter(p, "a", order);
  expect([...timers.pending.values()].map((t) => t.ms)).toEqual([15_000]);
  timers.fireAll();
  await w.done;
  expect((w.got.error as SeatRejection).reason).toBe("time-out");
  expect(p.waiting).toBe(0);
  a();
  expect(p.inFlight).toBe(0);
  expect(order).toEqual([]);
});

test("a caller that gives up leaves the queue as cancelled; an aborted signal is not queued", async () => {
  const { p, timers } = pool({ perFlow: 1 });
  now(p.acquire("a"));
  const ac = new AbortController();
  const seat = p.acquire("a", ac.signal) as Promise<Release>;
  const result = seat.then(
    () => "served",
    (e: SeatRejection) => e.reason,
  );
  ac.abort();
  expect(await result).toBe("cancelled");
  expect(p.waiting).toBe(0);
  expect(timers.pending.size).toBe(0);
  expect(() => p.acquire("a", ac.signal)).toThrow(SeatRejection);
});

test("seats 0 and perFlow 0: nothing waits", () => {
  const { p } = pool({ seats: 0, perFlow: 0 });
  for (let i = 0; i < 1000; i++) expect(typeof p.acquire("a")).toBe("function");
  expect(p.inFlight).toBe(1000);
});

test("flow keys that are Object.prototype names are flows like any other", () => {
  const { p } = pool({ perFlow: 1 });
  for (const k of ["__proto__", "constructor", "toString", "hasOwnProperty"]) {
    const r = now(p.acquire(k));
    expect(p.inFlightOf(k)).toBe(1);
    r();
    expect(p.inFlightOf(k)).toBe(0);
  }
});
