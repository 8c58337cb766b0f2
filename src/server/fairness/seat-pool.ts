// A pool of seats shared fairly among flows, in the spirit of kube-apiserver's API Priority and
// Fairness: a request holds a seat while it is served; a flow (here: a logical cluster and a user)
// may hold at most its share of the seats; a request over the share waits in its flow's bounded
// queue; when a seat frees, the waiting flow holding the fewest seats goes first (the one served
// longest ago on a tie), so a flow with many requests cannot starve one with few. A full queue, a
// wait over the limit or a caller that gave up is a rejection, which the HTTP filter answers 429.
//
// Why a share per flow and not only a total: the server is one event loop, so every admitted
// request shares its CPU and storage's commit queue. With only kube's totals (hundreds of seats), a
// tenant with 200 requests in flight has all of them in flight, and another tenant's one request
// waits behind them all. A share of a few seats keeps the noisy tenant's work in flight small;
// the rest waits here, where it costs a queue entry, and the quiet tenant's request starts at once.
//
// With a FlowUsage (flow-usage.ts), shared by the server's two pools, a flow that yields to a
// much lighter one is also paced: one request in progress at a time, and a rest of REST_FACTOR
// times the last one's seat time before the next. Seats bound a flow's requests in progress; this
// bounds its share of the event loop while someone lighter is being served.

import type { FlowUsage } from "./flow-usage.ts";

/** Why a request got no seat. */
export type RejectReason = "queue-full" | "time-out" | "cancelled";

export class SeatRejection extends Error {
  constructor(readonly reason: RejectReason) {
    super(`no seat: ${reason}`);
  }
}

/** Gives back a seat; calling it twice gives back one. */
export type Release = () => void;

export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const REAL_TIMERS: Timers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface SeatPoolOptions {
  /** Seats in all; 0: no total. */
  seats: number;
  /** Seats one flow may hold; 0: no share (only the total bounds a flow). */
  perFlow: number;
  /** Requests one flow may have waiting; more are rejected ("queue-full"). */
  queueLength: number;
  /** Requests all flows may have waiting together ("queue-full" beyond it). */
  maxWaiting: number;
  /** How long a request may wait for a seat ("time-out" beyond it). */
  waitLimitMs: number;
  /** Tests pass fake timers; the real ones otherwise. */
  timers?: Timers;
  /** The usage ledger shared with the other pool; without it no flow yields to another. */
  usage?: FlowUsage;
}

interface Waiter {
  flow: Flow;
  resolve: (release: Release) => void;
  reject: (err: SeatRejection) => void;
  timer: unknown;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

interface Flow {
  key: string;
  inFlight: number;
  waiting: Waiter[];
  /** When the flow was last given a seat (a counter, not a clock): the tie-break of dispatch. */
  lastServed: number;
}

export class SeatPool {
  // Flow keys come from requests (cluster and user names): a Map, never a plain object.
  private readonly flows = new Map<string, Flow>();
  /** Flows with a request waiting, in no particular order (dispatch scans them; at most maxWaiting). */
  private readonly waitingFlows = new Set<Flow>();
  private readonly timers: Timers;
  private served = 0;
  private held = 0;
  private queued = 0;
  private readonly usage: FlowUsage | undefined;
  /** The timer that dispatches again when a paced flow's rest is over, and when it fires. */
  private restTimer: unknown;
  private restTimerAt = Number.POSITIVE_INFINITY;
  private paced = 0;

  constructor(readonly opts: SeatPoolOptions) {
    this.timers = opts.timers ?? REAL_TIMERS;
    this.usage = opts.usage;
    // A request ending in either pool may let a paced flow of this one go on.
    this.usage?.onEnd(() => this.dispatch());
  }

  /** Seats held now. */
  get inFlight(): number {
    return this.held;
  }

  /** Requests waiting now. */
  get waiting(): number {
    return this.queued;
  }

  /** Requests started so far by flows that yielded (paced). */
  get pacedTotal(): number {
    return this.paced;
  }

  /** Seats `key`'s flow holds now. */
  inFlightOf(key: string): number {
    return this.flows.get(key)?.inFlight ?? 0;
  }

  /**
   * A seat for a request of flow `key`: at once (a Release) when the flow is within its share and
   * a seat is free and nobody of the flow waits before it; else a promise of one, rejected with a
   * SeatRejection when the queue is full, the wait is over the limit or `signal` aborts.
   */
  acquire(key: string, signal?: AbortSignal): Release | Promise<Release> {
    let flow = this.flows.get(key);
    if (!flow) {
      flow = { key, inFlight: 0, waiting: [], lastServed: 0 };
      this.flows.set(key, flow);
    }
    // Nobody of another flow can be waiting while a seat is free and that flow is within its share
    // and not paced (dispatch would have served it), so taking a free seat here jumps no one. A
    // yielding flow queues, and dispatch paces it.
    if (flow.waiting.length === 0 && this.eligible(flow) && this.seatFree() && !this.usage?.yields(key))
      return this.grant(flow);
    if (flow.waiting.length >= this.opts.queueLength || this.queued >= this.opts.maxWaiting) {
      this.forgetIfIdle(flow);
      throw new SeatRejection("queue-full");
    }
    if (signal?.aborted) {
      this.forgetIfIdle(flow);
      throw new SeatRejection("cancelled");
    }
    const f = flow;
    return new Promise<Release>((resolve, reject) => {
      const waiter: Waiter = { flow: f, resolve, reject, timer: undefined, signal, onAbort: undefined };
      waiter.timer = this.timers.set(() => this.drop(waiter, "time-out"), this.opts.waitLimitMs);
      if (signal) {
        waiter.onAbort = () => this.drop(waiter, "cancelled");
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      f.waiting.push(waiter);
      this.queued++;
      this.waitingFlows.add(f);
      // A yielding flow with a seat free: dispatch serves it now or when its rest is over.
      if (this.usage && this.seatFree()) this.dispatch();
    });
  }

  private seatFree(): boolean {
    return this.opts.seats <= 0 || this.held < this.opts.seats;
  }

  private eligible(flow: Flow): boolean {
    return this.opts.perFlow <= 0 || flow.inFlight < this.opts.perFlow;
  }

  private grant(flow: Flow): Release {
    flow.inFlight++;
    flow.lastServed = ++this.served;
    this.held++;
    const endUsage = this.usage?.begin(flow.key);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      flow.inFlight--;
      this.held--;
      // Ending the usage dispatches every pool sharing the ledger, this one included.
      if (endUsage) endUsage();
      else this.dispatch();
      this.forgetIfIdle(flow);
    };
  }

  /**
   * Hand free seats to waiting flows: the fewest seats held first, then the longest unserved. A
   * flow that yields to a lighter one is passed over while it has a request in progress or rests;
   * a timer dispatches again when the first rest is over.
   */
  private dispatch(): void {
    let resumeAt = Number.POSITIVE_INFINITY;
    const usage = this.usage;
    while (this.waitingFlows.size > 0 && this.seatFree()) {
      const yields = usage?.yieldTest();
      const t = usage?.now ?? 0;
      let best: Flow | undefined;
      let bestPaced = false;
      for (const f of this.waitingFlows) {
        if (!this.eligible(f)) continue;
        const paced = usage !== undefined && yields?.(f.key) === true;
        if (paced) {
          const from = (usage as FlowUsage).restUntil(f.key);
          if (t < from) {
            resumeAt = Math.min(resumeAt, from);
            continue;
          }
        }
        if (!best || f.inFlight < best.inFlight || (f.inFlight === best.inFlight && f.lastServed < best.lastServed)) {
          best = f;
          bestPaced = paced;
        }
      }
      if (!best) break;
      if (bestPaced) this.paced++;
      const waiter = this.dequeue(best);
      waiter.resolve(this.grant(best));
    }
    // A rest of Infinity ends with a request, whose end dispatches: no timer for that.
    if (usage && resumeAt < this.restTimerAt && resumeAt !== Number.POSITIVE_INFINITY) {
      if (this.restTimer !== undefined) this.timers.clear(this.restTimer);
      this.restTimerAt = resumeAt;
      this.restTimer = this.timers.set(
        () => {
          this.restTimer = undefined;
          this.restTimerAt = Number.POSITIVE_INFINITY;
          this.dispatch();
        },
        Math.max(0, resumeAt - usage.now),
      );
    }
  }

  private dequeue(flow: Flow): Waiter {
    const waiter = flow.waiting.shift() as Waiter;
    this.unhook(waiter);
    this.queued--;
    if (flow.waiting.length === 0) this.waitingFlows.delete(flow);
    return waiter;
  }

  private unhook(waiter: Waiter): void {
    this.timers.clear(waiter.timer);
    if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener("abort", waiter.onAbort);
  }

  private drop(waiter: Waiter, reason: RejectReason): void {
    const flow = waiter.flow;
    const at = flow.waiting.indexOf(waiter);
    if (at < 0) return; // already served
    flow.waiting.splice(at, 1);
    this.unhook(waiter);
    this.queued--;
    if (flow.waiting.length === 0) this.waitingFlows.delete(flow);
    this.forgetIfIdle(flow);
    waiter.reject(new SeatRejection(reason));
  }

  private forgetIfIdle(flow: Flow): void {
    if (flow.inFlight === 0 && flow.waiting.length === 0) this.flows.delete(flow.key);
  }
}
