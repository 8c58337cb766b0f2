// The in-memory watch fan-out shared by the storage backends.
//
// A backend publishes every committed event here, synchronously and in revision order; each
// subscriber has its own queue, drained in a microtask, so one slow consumer never delays the
// others: when its queue grows past `maxQueue` it is dropped with WatchOverflowError and must
// re-watch from its last revision.
//
// A subscriber may start in the past: it then first pulls stored events through a BacklogReader,
// chunk by chunk, ignoring live events meanwhile (they are in the store too). The read that
// reaches the store's current revision switches it to live in the same synchronous step, so no
// event is missed or delivered twice across the switch.
//
// Matching: subscribers are grouped by prefix and the hub remembers the distinct prefix lengths;
// an event looks up `key.slice(0, len)` for each length. The cost per event is the number of
// distinct prefix lengths (bounded by key length), not the number of watchers.

import { asError, deliverEvent } from "./deliver-event.ts";
import { type Watch, type WatchEvent, WatchOverflowError } from "./interface.ts";

/** A page of stored events after a revision, for subscribers that start in the past. */
export interface BacklogPage {
  /** Events under the prefix with revision > afterRevision, in revision order. */
  events: WatchEvent[];
  /** Every event up to this revision has been returned. */
  through: number;
  /** True when `through` is the store's current revision: the subscriber can go live. */
  complete: boolean;
}

/** Reads stored events; throws (e.g. CompactedError) when they are no longer available. */
export type BacklogReader = (prefix: string, afterRevision: number, limit: number) => BacklogPage;

export interface SubscribeOptions {
  prefix: string;
  afterRevision: number;
  onEvent: (ev: WatchEvent) => void | Promise<void>;
  onError: (err: Error) => void;
  onProgress?: (revision: number) => void;
  /** Replay stored events after `afterRevision` first; without it the subscriber is live at once. */
  backlog?: BacklogReader;
}

export interface WatchHubOptions {
  /** Undelivered events a subscriber may accumulate before it is dropped (default 10,000). */
  maxQueue?: number;
  /** Events read per backlog step before yielding to the event loop (default 1,000). */
  backlogChunk?: number;
}

export const DEFAULT_MAX_WATCHER_QUEUE = 10_000;

export class WatchHub {
  readonly maxQueue: number;
  readonly backlogChunk: number;
  /** prefix → its subscribers. */
  private readonly groups = new Map<string, Set<Subscriber>>();
  /** distinct prefix length → number of prefixes of that length. */
  private readonly lengths = new Map<number, number>();
  private count = 0;

  constructor(opts: WatchHubOptions = {}) {
    this.maxQueue = opts.maxQueue ?? DEFAULT_MAX_WATCHER_QUEUE;
    this.backlogChunk = opts.backlogChunk ?? 1000;
  }

  /** Number of active subscribers. */
  get size(): number {
    return this.count;
  }

  subscribe(opts: SubscribeOptions): Watch {
    const sub = new Subscriber(this, opts);
    let group = this.groups.get(opts.prefix);
    if (!group) {
      group = new Set();
      this.groups.set(opts.prefix, group);
      this.lengths.set(opts.prefix.length, (this.lengths.get(opts.prefix.length) ?? 0) + 1);
    }
    group.add(sub);
    this.count++;
    sub.schedule();
    return { stop: () => sub.stop() };
  }

  /** Fan out committed events (in revision order). Delivery happens in a microtask. */
  publish(events: readonly WatchEvent[]): void {
    if (this.count === 0) return;
    for (const ev of events) {
      const key = ev.key;
      for (const len of this.lengths.keys()) {
        if (len > key.length) continue;
        const group = this.groups.get(len === key.length ? key : key.slice(0, len));
        if (group) for (const sub of group) sub.offer(ev);
      }
    }
  }

  /**
   * Tell idle subscribers that nothing up to `revision` is pending (for bookmarks). Only call it
   * with a revision whose events have all been published.
   */
  progress(revision: number): void {
    for (const group of this.groups.values()) for (const sub of group) sub.progress(revision);
  }

  /** Drop every subscriber with `err` (e.g. when the store closes). */
  closeAll(err: Error): void {
    for (const group of [...this.groups.values()]) for (const sub of [...group]) sub.fail(err);
  }

  /** @internal */
  remove(sub: Subscriber): void {
    const group = this.groups.get(sub.prefix);
    if (!group?.delete(sub)) return;
    this.count--;
    if (group.size > 0) return;
    this.groups.delete(sub.prefix);
    const n = (this.lengths.get(sub.prefix.length) ?? 1) - 1;
    if (n === 0) this.lengths.delete(sub.prefix.length);
    else this.lengths.set(sub.prefix.length, n);
  }
}

class Subscriber {
  readonly prefix: string;
  /** Pending events are queue[head..]; a head index keeps dequeuing O(1). */
  private queue: WatchEvent[] = [];
  private head = 0;
  /** Highest revision queued, read from the backlog, or acknowledged by progress. */
  private lastRevision: number;
  private live: boolean;
  /** Waiting for a promise returned by onEvent. */
  private busy = false;
  private scheduled = false;
  private done = false;
  private progressSent = 0;
  /** Send a progress notification once the backlog has been delivered. */
  private progressDue = false;

  constructor(
    private readonly hub: WatchHub,
    private readonly opts: SubscribeOptions,
  ) {
    this.prefix = opts.prefix;
    this.lastRevision = opts.afterRevision;
    this.live = opts.backlog === undefined;
  }

  private get pending(): number {
    return this.queue.length - this.head;
  }

  offer(ev: WatchEvent): void {
    // Not live: the backlog reader will find this event in the store. A revision we already
    // have: this subscriber joined (and read the store) after the event was committed.
    if (this.done || !this.live || ev.revision <= this.lastRevision) return;
    this.queue.push(ev);
    this.lastRevision = ev.revision;
    if (this.pending > this.hub.maxQueue) this.fail(new WatchOverflowError());
    else this.schedule();
  }

  progress(revision: number): void {
    if (this.done || !this.live || this.busy || this.pending > 0 || this.scheduled) return;
    if (revision <= this.progressSent || revision < this.lastRevision) return;
    this.lastRevision = revision;
    this.sendProgress(revision);
  }

  schedule(): void {
    if (this.scheduled || this.busy || this.done) return;
    this.scheduled = true;
    queueMicrotask(() => this.drain());
  }

  stop(): void {
    if (this.done) return;
    this.done = true;
    this.queue = [];
    this.head = 0;
    this.hub.remove(this);
  }

  fail(err: Error): void {
    if (this.done) return;
    this.stop();
    queueMicrotask(() => this.opts.onError(err));
  }

  private drain(): void {
    this.scheduled = false;
    let backlogReads = 0;
    while (!this.done && !this.busy) {
      if (this.pending > 0) {
        this.deliverOne();
        continue;
      }
      if (!this.live) {
        // Read one chunk per turn of the event loop so a long backlog does not block others.
        if (backlogReads++ > 0) {
          this.scheduled = true;
          setImmediate(() => this.drain());
          return;
        }
        this.readBacklog();
        continue;
      }
      if (this.progressDue) {
        this.progressDue = false;
        this.sendProgress(this.lastRevision);
      }
      return;
    }
  }

  private deliverOne(): void {
    const ev = this.queue[this.head++] as WatchEvent;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    }
    const resume = () => {
      this.busy = false;
      this.schedule();
    };
    if (deliverEvent(this.opts.onEvent, ev, resume, (err) => this.fail(err)) === "waiting") this.busy = true;
  }

  private readBacklog(): void {
    const read = this.opts.backlog as BacklogReader;
    let page: BacklogPage;
    try {
      page = read(this.prefix, this.lastRevision, this.hub.backlogChunk);
    } catch (err) {
      this.fail(asError(err));
      return;
    }
    for (const ev of page.events) if (ev.revision > this.lastRevision) this.queue.push(ev);
    this.lastRevision = Math.max(this.lastRevision, page.through);
    if (page.complete) {
      this.live = true;
      this.progressDue = true;
    }
  }

  private sendProgress(revision: number): void {
    if (!this.opts.onProgress || revision <= this.progressSent) return;
    this.progressSent = revision;
    try {
      this.opts.onProgress(revision);
    } catch (err) {
      this.fail(asError(err));
    }
  }
}
