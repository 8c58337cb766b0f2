// How much of the server each flow has used lately, across both seat pools, and which flows must
// make room for much lighter ones.
//
// Why: seats bound how many requests a flow has in progress, not how much of the one event loop
// they take. A noisy tenant within its share of 4 keeps the loop busy all the time, and a quiet
// tenant's request then shares every turn of the loop with the noisy one's, and the garbage
// collector's pauses for the noisy one's garbage. So on top of the seats: while a flow that used
// at most half as much is active (a request in progress, or one answered within ACTIVE_MS), a
// flow *yields*: the pools give it one request in progress at a time and, after each, a rest
// REST_FACTOR times as long as that request held its seat (up to MAX_REST_MS). It then has about a
// third of the loop, and the light flow finds it mostly free: with half, the light tenant's p99 in
// the fairness bench was 1.3-2.0x its p99 alone; with a third, 1.3x (the noisy tenant creating
// 1,030 against 740 a second). Alone, or beside flows as heavy as itself, a flow never yields.
//
// Usage is the time a flow's requests held their seats, decaying with a half-life of a second
// (requests in progress count as they go), so it follows what the flow does now. A flow that used
// under MIN_YIELDING_MS never yields: light tenants do not slow each other down.

/** How fast usage fades: its half-life. */
export const USAGE_HALF_LIFE_MS = 1000;
/** A flow with less usage than this never yields. */
export const MIN_YIELDING_MS = 250;
/** How long after its last answer a flow still counts as active (others may yield to it). */
export const ACTIVE_MS = 1000;
/**
 * The longest rest: a request that held its seat long mostly waited (for storage, a big list's
 * client), not held the loop, so its flow rests no longer than this.
 */
export const MAX_REST_MS = 100;
/** A yielding flow rests this many times as long as its last request held its seat. */
export const REST_FACTOR = 2;
/** How long a yieldTest's two lightest flows serve later tests when no request began or ended. */
const TEST_REUSE_MS = 1;

/** Usage smaller than this on an idle flow is forgotten. */
const FORGET_BELOW_MS = 0.01;
/** Forget idle flows once every so many finished requests (a sweep is linear in the flows). */
const SWEEP_EVERY = 1024;

export interface Clock {
  now(): number;
}

const REAL_CLOCK: Clock = { now: () => performance.now() };

interface Entry {
  key: string;
  /** Finished usage, as of `at` (the end of its last request). */
  usage: number;
  at: number;
  inFlight: number;
  /** The sum of the start times of the requests in progress (their running time is inFlight×now − this). */
  startedSum: number;
  /** How long its last finished request held its seat: the rest it takes when it yields. */
  lastHeld: number;
}

export class FlowUsage {
  // Keys come from requests (cluster and user names): a Map, never a plain object.
  private readonly entries = new Map<string, Entry>();
  /** Entries in progress or answered within ACTIVE_MS (stale ones leave when next scanned). */
  private readonly active = new Set<Entry>();
  private readonly listeners: (() => void)[] = [];
  private readonly clock: Clock;
  private readonly decayPerMs: number;
  private ended = 0;
  /** Bumped by every begin and end: a cached yieldTest is stale when it moved. */
  private version = 0;
  private cached: { version: number; at: number; test: (key: string) => boolean } | undefined;

  constructor(opts: { halfLifeMs?: number; clock?: Clock } = {}) {
    this.clock = opts.clock ?? REAL_CLOCK;
    this.decayPerMs = Math.LN2 / (opts.halfLifeMs ?? USAGE_HALF_LIFE_MS);
  }

  get now(): number {
    return this.clock.now();
  }

  /** Calls `fn` whenever a request ends: a flow that waited for it may go on. */
  onEnd(fn: () => void): void {
    this.listeners.push(fn);
  }

  /** A request of `key` starts; the returned function ends it (once). */
  begin(key: string): () => void {
    let e = this.entries.get(key);
    const t = this.clock.now();
    if (!e) {
      e = { key, usage: 0, at: t, inFlight: 0, startedSum: 0, lastHeld: 0 };
      this.entries.set(key, e);
    }
    e.inFlight++;
    e.startedSum += t;
    this.active.add(e);
    this.version++;
    const entry = e;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.end(entry, t);
    };
  }

  private end(e: Entry, started: number): void {
    const t = this.clock.now();
    e.usage = this.settled(e, t) + (t - started);
    e.at = t;
    e.lastHeld = t - started;
    e.inFlight--;
    e.startedSum -= started;
    if (e.inFlight === 0) e.startedSum = 0;
    this.version++;
    if (++this.ended % SWEEP_EVERY === 0) this.sweep(t);
    for (const fn of this.listeners) fn();
  }

  /** Finished usage of `e` decayed to `t`. */
  private settled(e: Entry, t: number): number {
    return e.usage * Math.exp(-this.decayPerMs * (t - e.at));
  }

  private usageAt(e: Entry, t: number): number {
    return this.settled(e, t) + (e.inFlight * t - e.startedSum);
  }

  /** `key`'s usage now, in milliseconds of seat time (decayed). */
  usageOf(key: string): number {
    const e = this.entries.get(key);
    return e ? this.usageAt(e, this.clock.now()) : 0;
  }

  /** Requests of `key` in progress, in both pools. */
  inFlightOf(key: string): number {
    return this.entries.get(key)?.inFlight ?? 0;
  }

  /** Whether `key` yields now: a flow that used at most half as much is active. */
  yields(key: string): boolean {
    return this.active.size > 0 && this.yieldTest()(key);
  }

  /**
   * A test of `yields` for many flows at one moment: the two lightest active flows are found once
   * (linear in them, dropping those no longer active), then each flow is one comparison. Every
   * request asks, so a test is reused for TEST_REUSE_MS while no request begins or ends.
   */
  yieldTest(): (key: string) => boolean {
    const t = this.clock.now();
    const c = this.cached;
    if (c && c.version === this.version && t - c.at < TEST_REUSE_MS) return c.test;
    let first: Entry | undefined;
    let firstUsage = Number.POSITIVE_INFINITY;
    let secondUsage = Number.POSITIVE_INFINITY;
    for (const e of this.active) {
      if (e.inFlight === 0 && t - e.at > ACTIVE_MS) {
        this.active.delete(e);
        continue;
      }
      const u = this.usageAt(e, t);
      if (u < firstUsage) {
        secondUsage = firstUsage;
        first = e;
        firstUsage = u;
      } else if (u < secondUsage) secondUsage = u;
    }
    const test = (key: string) => {
      const e = this.entries.get(key);
      if (!e || first === undefined) return false;
      const mine = this.usageAt(e, t);
      if (mine < MIN_YIELDING_MS) return false;
      // The lightest other active flow: the second lightest when this flow is the lightest.
      const lightest = e === first ? secondUsage : firstUsage;
      return lightest * 2 <= mine;
    };
    this.cached = { version: this.version, at: t, test };
    return test;
  }

  /**
   * When a yielding `key` may start its next request: after a rest REST_FACTOR times as long as its
   * last request held its seat (at most MAX_REST_MS); never while one is in progress (Infinity: its end
   * dispatches again).
   */
  restUntil(key: string): number {
    const e = this.entries.get(key);
    if (!e) return 0;
    return e.inFlight > 0 ? Number.POSITIVE_INFINITY : e.at + Math.min(e.lastHeld * REST_FACTOR, MAX_REST_MS);
  }

  /** Flows remembered now (in progress or with usage left). */
  get size(): number {
    return this.entries.size;
  }

  private sweep(t: number): void {
    for (const [key, e] of this.entries)
      if (e.inFlight === 0 && this.settled(e, t) < FORGET_BELOW_MS) {
        this.entries.delete(key);
        this.active.delete(e);
      }
  }
}
