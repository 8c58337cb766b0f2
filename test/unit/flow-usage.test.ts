import { expect, test } from "bun:test";
import { FlowControl } from "../../src/server/fairness/flow-control.ts";
import {
  ACTIVE_MS,
  REST_FACTOR,
  FlowUsage,
  MAX_REST_MS,
  MIN_YIELDING_MS,
  USAGE_HALF_LIFE_MS,
} from "../../src/server/fairness/flow-usage.ts";
import { type Release, SeatPool, type Timers } from "../../src/server/fairness/seat-pool.ts";

class FakeClock {
  t = 1000;
  now(): number {
    return this.t;
  }
}

/** Timers on the fake clock: `advance` fires those due. */
class ClockTimers implements Timers {
  private next = 0;
  private readonly pending = new Map<number, { fn: () => void; at: number }>();
  constructor(private readonly clock: FakeClock) {}
  set(fn: () => void, ms: number): unknown {
    const id = ++this.next;
    this.pending.set(id, { fn, at: this.clock.t + ms });
    return id;
  }
  clear(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  advance(ms: number): void {
    this.clock.t += ms;
    for (const [id, p] of [...this.pending]) {
      if (p.at > this.clock.t) continue;
      this.pending.delete(id);
      p.fn();
    }
  }
}

/** `ms` of seat time for `key`, ending now. */
function spend(u: FlowUsage, clock: FakeClock, key: string, ms: number): void {
  const end = u.begin(key);
  clock.t += ms;
  end();
}

test("usage is seat time, counts requests in progress and halves every half-life", () => {
  const clock = new FakeClock();
  const u = new FlowUsage({ clock });
  spend(u, clock, "a", 100);
  expect(u.usageOf("a")).toBeCloseTo(100, 6);
  clock.t += USAGE_HALF_LIFE_MS;
  expect(u.usageOf("a")).toBeCloseTo(50, 6);
  // Two requests in progress for 30 ms each: 60 more, before either ends.
  const e1 = u.begin("a");
  const e2 = u.begin("a");
  clock.t += 30;
  const decayed = 50 * 2 ** (-30 / USAGE_HALF_LIFE_MS);
  expect(u.usageOf("a")).toBeCloseTo(decayed + 60, 6);
  e1();
  e1(); // ending twice is once
  e2();
  expect(u.usageOf("a")).toBeCloseTo(decayed + 60, 6);
  expect(u.usageOf("never-seen")).toBe(0);
});

test("a flow yields only while one that used at most half as much is active, and never below the minimum", () => {
  const clock = new FakeClock();
  const u = new FlowUsage({ clock });
  spend(u, clock, "noisy", 1000);
  spend(u, clock, "busy", 800);
  clock.t += ACTIVE_MS + 1;
  // Nobody active: nobody yields.
  expect(u.yields("noisy")).toBe(false);
  spend(u, clock, "quiet", 5);
  // quiet was answered just now: it is active for ACTIVE_MS more.
  expect(u.yields("noisy")).toBe(true);
  expect(u.yields("busy")).toBe(true);
  expect(u.yields("quiet")).toBe(false);
  clock.t += ACTIVE_MS + 1;
  expect(u.yields("noisy")).toBe(false);
  // busy used more than half of noisy's: neither holds the other up, in progress or not.
  const busy = u.begin("busy");
  const noisy = u.begin("noisy");
  expect(u.yields("noisy")).toBe(false);
  expect(u.yields("busy")).toBe(false);
  busy();
  noisy();
  clock.t += ACTIVE_MS + 1;
  // A flow under the minimum never yields, even to a much lighter one.
  spend(u, clock, "light", MIN_YIELDING_MS - 10);
  const quiet = u.begin("quiet");
  expect(u.usageOf("light")).toBeGreaterThan(2 * u.usageOf("quiet"));
  expect(u.yields("light")).toBe(false);
  quiet();
});

test("a light request in progress long enough stops holding others up", () => {
  const clock = new FakeClock();
  const u = new FlowUsage({ clock });
  spend(u, clock, "noisy", 1000);
  const long = u.begin("quiet");
  expect(u.yields("noisy")).toBe(true);
  // Its running time counts: once it has used over half of noisy's (decayed) usage, noisy goes on.
  clock.t += 450;
  expect(u.yields("noisy")).toBe(false);
  long();
});

test("a yielding flow rests REST_FACTOR times as long as its last request held its seat, and not while one is in progress", () => {
  const clock = new FakeClock();
  const u = new FlowUsage({ clock });
  spend(u, clock, "noisy", 30);
  const ended = clock.t;
  expect(u.restUntil("noisy")).toBe(ended + 30 * REST_FACTOR);
  const r = u.begin("noisy");
  expect(u.restUntil("noisy")).toBe(Number.POSITIVE_INFINITY);
  expect(u.inFlightOf("noisy")).toBe(1);
  clock.t += 7;
  r();
  expect(u.restUntil("noisy")).toBe(clock.t + 7 * REST_FACTOR);
  expect(u.restUntil("never-seen")).toBe(0);
  // A request that held its seat long mostly waited: the rest is at most MAX_REST_MS.
  spend(u, clock, "noisy", 5000);
  expect(u.restUntil("noisy")).toBe(clock.t + MAX_REST_MS);
});

test("idle flows with no usage left are forgotten", () => {
  const clock = new FakeClock();
  const u = new FlowUsage({ clock });
  for (let i = 0; i < 100; i++) spend(u, clock, `tenant-${i}`, 1);
  expect(u.size).toBe(100);
  clock.t += 40 * USAGE_HALF_LIFE_MS;
  // The sweep runs every 1,024 finished requests.
  for (let i = 0; i < 1024; i++) spend(u, clock, "steady", 0.001);
  expect(u.size).toBe(1);
});

function pacedPool() {
  const clock = new FakeClock();
  const timers = new ClockTimers(clock);
  const usage = new FlowUsage({ clock });
  const p = new SeatPool({
    seats: 10,
    perFlow: 4,
    queueLength: 50,
    maxWaiting: 100,
    waitLimitMs: 15_000,
    timers,
    usage,
  });
  return { clock, timers, usage, p };
}

function seatNow(seat: Release | Promise<Release>): Release {
  if (typeof seat !== "function") throw new Error("expected a seat at once");
  return seat;
}

/** `flow` has used its seats for a while: `n` requests of `ms` each, one after another. */
function busyFor(p: SeatPool, clock: FakeClock, flow: string, n: number, ms: number): void {
  for (let i = 0; i < n; i++) {
    const r = seatNow(p.acquire(flow));
    clock.t += ms;
    r();
  }
}

test("alone, a heavy flow is never paced: it gets its whole share at once", () => {
  const { clock, p } = pacedPool();
  busyFor(p, clock, "noisy", 10, 100);
  for (let i = 0; i < 4; i++) seatNow(p.acquire("noisy"));
  expect(p.inFlightOf("noisy")).toBe(4);
});

test("beside an active light flow, a heavy flow has one request at a time and rests after each", async () => {
  const { clock, timers, p } = pacedPool();
  busyFor(p, clock, "noisy", 10, 100); // the last held its seat 100 ms: the rest is the cap, MAX_REST_MS
  const quiet = seatNow(p.acquire("quiet"));
  const granted: number[] = [];
  const releases: Release[] = [];
  for (let i = 0; i < 3; i++)
    void (p.acquire("noisy") as Promise<Release>).then((r) => {
      granted.push(i);
      releases.push(r);
    });
  timers.advance(MAX_REST_MS - 1);
  await Bun.sleep(0);
  expect(granted).toEqual([]);
  timers.advance(1);
  await Bun.sleep(0);
  expect(granted).toEqual([0]);
  // quiet is answered now, and stays active for ACTIVE_MS.
  quiet();
  // One in progress: the next waits for it, however long it takes.
  timers.advance(20);
  await Bun.sleep(0);
  expect(granted).toEqual([0]);
  // It held its seat 20 ms: the rest is REST_FACTOR times that.
  releases[0]?.();
  timers.advance(20 * REST_FACTOR - 1);
  await Bun.sleep(0);
  expect(granted).toEqual([0]);
  timers.advance(1);
  await Bun.sleep(0);
  expect(granted).toEqual([0, 1]);
  expect(p.inFlightOf("noisy")).toBe(1);
  // Once quiet has been idle for ACTIVE_MS, noisy is not paced any more: its next goes on at once.
  clock.t += ACTIVE_MS + 1;
  releases[1]?.();
  await Bun.sleep(0);
  expect(granted).toEqual([0, 1, 2]);
});

test("a light read in progress paces a heavy flow's writes: the pools share one ledger", async () => {
  const clock = new FakeClock();
  const timers = new ClockTimers(clock);
  const fc = new FlowControl({
    maxRequestsInflight: 10,
    maxMutatingRequestsInflight: 10,
    perFlow: 4,
    waitLimitMs: 15_000,
    timers,
    clock,
  });
  for (let i = 0; i < 10; i++) {
    const r = seatNow(fc.acquire("mutating", "noisy"));
    clock.t += 100;
    r();
  }
  const read = seatNow(fc.acquire("readOnly", "quiet"));
  const granted: string[] = [];
  void (fc.acquire("mutating", "noisy") as Promise<Release>).then(() => granted.push("write"));
  await Bun.sleep(0);
  expect(granted).toEqual([]);
  timers.advance(100);
  await Bun.sleep(0);
  expect(granted).toEqual(["write"]);
  read();
});

test("without a share per flow there is no ledger, and nothing yields", () => {
  const fc = new FlowControl({ maxRequestsInflight: 10, maxMutatingRequestsInflight: 10, perFlow: 0, waitLimitMs: 1 });
  expect(fc.usage).toBeUndefined();
});

test("flow keys that are Object.prototype names are ledger entries like any other", () => {
  const clock = new FakeClock();
  const u = new FlowUsage({ clock });
  for (const key of ["constructor", "toString", "hasOwnProperty", "__proto__"]) spend(u, clock, key, 1000);
  const q = u.begin("valueOf");
  expect(u.yields("__proto__")).toBe(true);
  expect(u.usageOf("constructor")).toBeGreaterThan(0);
  q();
});
