// A controller's work queue, as client-go's rate-limited queue behaves: an item queued several
// times before it is processed is processed once; an item is never processed by two workers at
// once (added again while in process, it runs again afterwards); items are taken in the order they
// were queued, by `workers` workers (default 1: one at a time, in order); an item whose processing
// fails (throws or returns false) is retried with per-item exponential backoff (base doubling to a
// cap), and its failure count resets once it succeeds or is forgotten.

import { log } from "../log.ts";

export interface WorkQueueOptions {
  /** Distinct items processed in parallel (default 1). */
  workers?: number;
  /** The first retry's delay (default 50 ms); each further failure doubles it… */
  baseDelayMs?: number;
  /** …up to this (default 5 s). */
  maxDelayMs?: number;
}

export class WorkQueue<T = string> {
  private readonly queue = new Set<T>();
  /** Items being processed now, and those of them added again meanwhile (run again after). */
  private readonly processing = new Set<T>();
  private readonly again = new Set<T>();
  private readonly failures = new Map<T, number>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private active = 0;
  private stopped = false;
  /** stop()'s callers waiting for the workers in process to finish. */
  private idleWaiters: (() => void)[] = [];
  private readonly workers: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(
    /** Names the controller in logs. */
    private readonly name: string,
    /** Process one item; false (or a throw) means "try again later" (with backoff). */
    private readonly process: (item: T) => Promise<boolean>,
    opts: WorkQueueOptions = {},
  ) {
    this.workers = Math.max(1, Math.floor(opts.workers ?? 1));
    this.baseDelayMs = opts.baseDelayMs ?? 50;
    this.maxDelayMs = opts.maxDelayMs ?? 5000;
  }

  add(item: T): void {
    if (this.stopped) return;
    if (this.processing.has(item)) {
      this.again.add(item);
      return;
    }
    this.queue.add(item);
    this.pump();
  }

  /** Process `item` after `delayMs`; without a delay, after the item's next backoff step (addRateLimited). */
  addLater(item: T, delayMs?: number): void {
    if (delayMs === undefined) {
      this.addRateLimited(item);
      return;
    }
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.add(item);
    }, delayMs);
    this.timers.add(t);
  }

  /** Process `item` again after its next backoff step: base · 2^(failures so far), capped. */
  addRateLimited(item: T): void {
    const n = this.failures.get(item) ?? 0;
    this.failures.set(item, n + 1);
    this.addLater(item, this.backoff(n));
  }

  /** The delay addRateLimited would wait now for `item`. */
  backoff(failuresSoFar: number): number {
    return Math.min(this.baseDelayMs * 2 ** Math.min(failuresSoFar, 30), this.maxDelayMs);
  }

  /** Forget `item`'s failures: its next retry starts from the base delay again. */
  forget(item: T): void {
    this.failures.delete(item);
  }

  /** How many times in a row `item` has failed (client-go's NumRequeues). */
  retries(item: T): number {
    return this.failures.get(item) ?? 0;
  }

  /** Items waiting (not counting those in process or delayed). */
  get length(): number {
    return this.queue.size;
  }

  /**
   * No item is taken after this; resolves once the items in process have finished (their writes
   * are done), so a caller that awaits it knows the controller no longer acts.
   */
  stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.queue.clear();
    this.again.clear();
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Starts workers while there are items and free workers. */
  private pump(): void {
    while (this.active < this.workers && this.queue.size > 0 && !this.stopped) {
      const item = this.queue.values().next().value as T;
      this.queue.delete(item);
      this.active++;
      void this.run(item);
    }
  }

  private async run(first: T): Promise<void> {
    let item: T | undefined = first;
    // A worker goes on with the next item itself (no new promise chain per item).
    while (item !== undefined) {
      this.processing.add(item);
      let done = false;
      try {
        done = await this.process(item);
      } catch (e) {
        log.warn(`${this.name}: ${String(item)}: ${(e as Error).message}`);
      }
      this.processing.delete(item);
      if (this.again.delete(item) && !this.stopped) {
        this.queue.add(item);
        this.pump(); // an idle worker may take it (or another item) at once
      }
      if (!this.stopped) {
        if (done) this.forget(item);
        else this.addRateLimited(item);
      }
      item = undefined;
      if (this.queue.size > 0 && !this.stopped) {
        item = this.queue.values().next().value as T;
        this.queue.delete(item);
      }
    }
    this.active--;
    this.pump();
    if (this.active === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}
