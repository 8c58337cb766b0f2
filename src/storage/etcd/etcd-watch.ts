// One storage watcher on the etcd backend.
//
// A watcher whose start revision is inside the in-memory window (EventRing) subscribes to the
// WatchHub at once and replays the window as its backlog. An older one first reads etcd's
// history through a watch stream of its own, from its start revision, over the whole key space,
// delivering the events under its prefix; as soon as everything up to the window's start has
// been delivered it closes that stream and joins the hub at the revision it reached, in one
// synchronous step. If the window moves past it during the hub's backlog replay (RingMissError),
// it goes back to etcd from the last revision it delivered. Either way each event is delivered
// once, in order.

import type { Etcd3, IEvent } from "etcd3";
import { deliverEvent } from "../deliver-event.ts";
import { CompactedError, type Watch, type WatchEvent, type WatchOptions } from "../interface.ts";
import type { EtcdKeyCodec } from "./etcd-codec.ts";
import { RingMissError } from "./event-ring.ts";
import type { KeyspaceFeed } from "./keyspace-feed.ts";
import { RawWatch, WatchCompactedError } from "./raw-watch.ts";

export interface EtcdWatchDeps {
  client: Etcd3;
  codec: EtcdKeyCodec;
  feed: KeyspaceFeed;
  /** etcd told us it compacted up to this revision. */
  onCompacted: (revision: number) => void;
  /** The watcher ended (for the storage's registry). */
  onDone: (w: EtcdWatch) => void;
}

/** Stop reading etcd's history while this many events wait for the consumer (resume when none do). */
const PAUSE_AT = 1000;
const MAX_BACKOFF_MS = 2000;

export class EtcdWatch implements Watch {
  private done = false;
  private live: Watch | null = null;
  private raw: RawWatch | null = null;
  private paused = false;
  private queue: WatchEvent[] = [];
  private head = 0;
  /** Catching up: every key-space event up to this revision has been queued. */
  private scanned = 0;
  private busy = false;
  private failures = 0;
  private retryTimer: Timer | null = null;

  constructor(
    private readonly opts: WatchOptions,
    private readonly deps: EtcdWatchDeps,
  ) {}

  /** True while the watcher reads etcd's history rather than the shared feed. */
  get catchingUp(): boolean {
    return !this.done && this.live === null;
  }

  start(): void {
    const after = this.opts.afterRevision;
    if (after >= this.deps.feed.ring.coverageFrom) this.goLive(after);
    else this.catchUp(after);
  }

  stop(): void {
    if (this.done) return;
    this.done = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.raw?.close();
    this.raw = null;
    this.live?.stop();
    this.live = null;
    this.queue = [];
    this.head = 0;
    this.deps.onDone(this);
  }

  fail(err: Error): void {
    if (this.done) return;
    this.stop();
    queueMicrotask(() => this.opts.onError(err));
  }

  private goLive(after: number): void {
    const { feed } = this.deps;
    this.live = feed.hub.subscribe({
      prefix: this.opts.prefix,
      afterRevision: after,
      onEvent: this.opts.onEvent,
      ...(this.opts.onProgress ? { onProgress: this.opts.onProgress } : {}),
      onError: (err) => {
        this.live = null;
        if (this.done) return;
        // Everything up to err.after was delivered before the hub read past the window.
        if (err instanceof RingMissError) this.catchUp(err.after);
        else this.fail(err);
      },
      backlog: (prefix, afterRevision, limit) => feed.ring.read(prefix, afterRevision, limit),
    });
  }

  private catchUp(after: number): void {
    this.scanned = after;
    void this.openHistory();
  }

  private async openHistory(): Promise<void> {
    if (this.done) return;
    const range = this.deps.codec.keyspace();
    const floor = this.scanned;
    let raw: RawWatch;
    try {
      raw = await RawWatch.open(this.deps.client, {
        key: range.key,
        rangeEnd: range.end,
        startRevision: floor + 1,
        prevKv: true,
        onEvents: (evs) => this.onHistory(evs, floor),
        onEnd: (err) => this.onHistoryEnd(raw, err),
      });
    } catch (err) {
      this.retryHistory(err);
      return;
    }
    if (this.done) raw.close();
    else this.raw = raw;
  }

  private onHistory(ievs: IEvent[], floor: number): void {
    if (this.done) return;
    const { codec } = this.deps;
    for (const iev of ievs) {
      const ev = codec.event(iev);
      if (ev.revision <= floor) continue;
      this.scanned = ev.revision;
      if (ev.key.startsWith(this.opts.prefix)) this.queue.push(ev);
    }
    this.failures = 0;
    if (!this.paused && this.queue.length - this.head >= PAUSE_AT) {
      this.paused = true;
      this.raw?.pause();
    }
    this.drain();
  }

  private onHistoryEnd(raw: RawWatch, err: Error): void {
    if (this.raw === raw) this.raw = null;
    if (this.done) return;
    if (err instanceof WatchCompactedError) {
      this.deps.onCompacted(err.compactRevision);
      this.fail(new CompactedError(this.scanned, err.compactRevision));
      return;
    }
    this.retryHistory(err);
  }

  private retryHistory(_err: unknown): void {
    if (this.done || this.retryTimer) return;
    const delay = Math.min(100 * 2 ** this.failures++, MAX_BACKOFF_MS);
    this.paused = false;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      // Resume after what was queued: the queue itself is still delivered in order.
      void this.openHistory();
    }, delay);
  }

  /** Deliver queued history one event at a time; join the hub once caught up with the window. */
  private drain(): void {
    while (!this.done && !this.busy && this.head < this.queue.length) {
      const ev = this.queue[this.head++] as WatchEvent;
      const resume = () => {
        this.busy = false;
        this.drain();
      };
      const delivered = deliverEvent(this.opts.onEvent, ev, resume, (err) => this.fail(err));
      if (delivered === "failed") return;
      if (delivered === "waiting") this.busy = true;
    }
    if (this.done || this.busy) return;
    this.queue = [];
    this.head = 0;
    if (this.paused && this.raw) {
      this.paused = false;
      this.raw.resume();
    }
    if (this.live === null && this.scanned >= this.deps.feed.ring.coverageFrom) {
      // Caught up with the window: the hub replays it from here, with nothing in between.
      this.raw?.close();
      this.raw = null;
      if (this.retryTimer) clearTimeout(this.retryTimer);
      this.retryTimer = null;
      this.goLive(this.scanned);
    }
  }
}
