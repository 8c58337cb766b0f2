// The most recent events of the backend's key space, in memory, as the shared etcd watch
// delivered them. A watcher that starts a little in the past (the usual case: from the revision
// of a list just made) replays them synchronously through the WatchHub's backlog, which is what
// lets it go live without a gap or a duplicate; only a watcher older than the window reads etcd.

import type { WatchEvent } from "../interface.ts";
import type { BacklogPage } from "../watch-hub.ts";

/** The window no longer holds the events after `after`: the watcher must read them from etcd. */
export class RingMissError extends Error {
  constructor(readonly after: number) {
    super(`events after revision ${after} are no longer in the in-memory window`);
  }
}

export const DEFAULT_RING_EVENTS = 4096;

export class EventRing {
  /** Held events are events[head..], in revision order. */
  private events: WatchEvent[] = [];
  private head = 0;
  /** Every event with a revision in (coverageFrom, through] is held. */
  private from: number;
  private upTo: number;

  constructor(
    private readonly capacity: number,
    start: number,
  ) {
    this.from = start;
    this.upTo = start;
  }

  /** Events after this revision are all held. */
  get coverageFrom(): number {
    return this.from;
  }

  /** Events up to this revision have all been received. */
  get through(): number {
    return this.upTo;
  }

  get size(): number {
    return this.events.length - this.head;
  }

  /** Append events received in revision order; the oldest whole revisions fall out. */
  push(evs: readonly WatchEvent[]): void {
    for (const ev of evs) {
      this.events.push(ev);
      if (ev.revision > this.upTo) this.upTo = ev.revision;
    }
    while (this.size > this.capacity) {
      // Drop a whole revision at a time so that coverage stays "every event after `from`".
      const rev = (this.events[this.head] as WatchEvent).revision;
      while (this.head < this.events.length && (this.events[this.head] as WatchEvent).revision === rev) this.head++;
      this.from = rev;
    }
    if (this.head > 1024 && this.head * 2 > this.events.length) {
      this.events = this.events.slice(this.head);
      this.head = 0;
    }
  }

  /** Nothing happened in the key space up to `revision` besides what was pushed. */
  advance(revision: number): void {
    if (revision > this.upTo) this.upTo = revision;
  }

  /** Forget everything: coverage restarts at `revision`. */
  reset(revision: number): void {
    this.events = [];
    this.head = 0;
    this.from = revision;
    this.upTo = revision;
  }

  /** A WatchHub backlog page: up to `limit` held events scanned after `after`, filtered by prefix. */
  read(prefix: string, after: number, limit: number): BacklogPage {
    if (after < this.from) throw new RingMissError(after);
    let i = this.firstAfter(after);
    const end = Math.min(this.events.length, i + Math.max(1, limit));
    const out: WatchEvent[] = [];
    let last = after;
    for (; i < end; i++) {
      const ev = this.events[i] as WatchEvent;
      last = ev.revision;
      if (ev.key.startsWith(prefix)) out.push(ev);
    }
    // Never stop inside a revision: the hub resumes strictly after `through`.
    while (i < this.events.length && (this.events[i] as WatchEvent).revision === last) {
      const ev = this.events[i] as WatchEvent;
      if (ev.key.startsWith(prefix)) out.push(ev);
      i++;
    }
    if (i < this.events.length) return { events: out, through: last, complete: false };
    return { events: out, through: Math.max(after, this.upTo), complete: true };
  }

  /** Index of the first held event with a revision greater than `after` (binary search). */
  private firstAfter(after: number): number {
    let lo = this.head;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.events[mid] as WatchEvent).revision <= after) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
