// The one etcd watch of a backend: every change in its key space, with previous values, fed in
// revision order into the in-memory window (EventRing) and the fan-out (WatchHub).
//
// When the stream breaks (a member dies, a connection drops, the stream stalls) it is opened
// again from the revision after the last one published, so no event is skipped or repeated. If
// etcd compacted that revision meanwhile, the history in between is gone: every watcher is ended
// with CompactedError (its client relists) and the feed restarts from etcd's current revision.
//
// Progress (for bookmarks) is the revision of the last published event, or a revision from
// etcd's periodic `progress_notify`, which etcd sends in order with the events. Replies to
// `progress_request` are only used as a sign of life: etcd before 3.4.25 / 3.5.8 may send them
// ahead of events they cover (etcd-io/etcd#15220), which would make a watcher skip those events.

import type { Etcd3, IEvent } from "etcd3";
import { log } from "../../log.ts";
import { CompactedError, type WatchEvent } from "../interface.ts";
import { WatchHub } from "../watch-hub.ts";
import type { EtcdKeyCodec } from "./etcd-codec.ts";
import { errorMessage } from "./etcd-errors.ts";
import { EventRing } from "./event-ring.ts";
import { RawWatch, WatchCompactedError } from "./raw-watch.ts";

export interface KeyspaceFeedOptions {
  client: Etcd3;
  codec: EtcdKeyCodec;
  /** Events after this revision are published. */
  start: number;
  ringEvents: number;
  maxWatcherQueue: number;
  /** How often idle watchers get progress and the stream is checked (ms). */
  progressIntervalMs: number;
  /** etcd's current revision, for a restart after lost history. */
  currentRevision: () => Promise<number>;
  /** etcd told us it compacted up to this revision. */
  onCompacted: (revision: number) => void;
}

const MAX_BACKOFF_MS = 2000;

export class KeyspaceFeed {
  readonly hub: WatchHub;
  readonly ring: EventRing;
  /** Every key-space event up to this revision has been published. */
  private published: number;
  private raw: RawWatch | null = null;
  private closed = false;
  private failures = 0;
  private reconnectTimer: Timer | null = null;
  private readonly ticker: Timer;
  /** A stream is being opened or the feed is restarting (no second one may start). */
  private opening = false;
  /** Streams opened so far (for tests and metrics). */
  streamsOpened = 0;
  private markReady: () => void = () => {};
  /** Resolves once etcd has created the first watcher. */
  readonly ready = new Promise<void>((resolve) => {
    this.markReady = resolve;
  });

  constructor(private readonly opts: KeyspaceFeedOptions) {
    this.hub = new WatchHub({ maxQueue: opts.maxWatcherQueue });
    this.ring = new EventRing(opts.ringEvents, opts.start);
    this.published = opts.start;
    this.ticker = setInterval(() => this.tick(), opts.progressIntervalMs);
    // A storage nobody closes must not keep the process alive.
    this.ticker.unref();
  }

  /** The last revision whose key-space events have all been published. */
  get revision(): number {
    return this.published;
  }

  /** True while a stream is open (it may still be catching up). */
  get connected(): boolean {
    return this.raw !== null && !this.raw.closed;
  }

  start(): void {
    void this.open();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.ticker);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.raw?.close();
    this.raw = null;
  }

  private async open(): Promise<void> {
    if (this.closed || this.opening || this.raw) return;
    this.opening = true;
    const range = this.opts.codec.keyspace();
    let raw: RawWatch;
    try {
      raw = await RawWatch.open(this.opts.client, {
        key: range.key,
        rangeEnd: range.end,
        startRevision: this.published + 1,
        prevKv: true,
        progressNotify: true,
        onCreated: () => this.markReady(),
        onEvents: (evs) => this.onEvents(evs),
        onProgress: (rev, requested) => this.onProgress(rev, requested),
        onEnd: (err) => this.onEnd(raw, err),
      });
    } catch (err) {
      this.opening = false;
      this.scheduleReconnect(err);
      return;
    }
    this.opening = false;
    if (this.closed) {
      raw.close();
      return;
    }
    this.raw = raw;
    this.streamsOpened++;
  }

  private onEvents(ievs: IEvent[]): void {
    const evs: WatchEvent[] = [];
    for (const iev of ievs) {
      const ev = this.opts.codec.event(iev);
      // A resumed stream starts after `published`; this only guards against a server repeating.
      if (ev.revision > this.published) evs.push(ev);
    }
    if (evs.length === 0) return;
    this.failures = 0;
    this.published = (evs[evs.length - 1] as WatchEvent).revision;
    this.ring.push(evs);
    this.hub.publish(evs);
  }

  private onProgress(revision: number, requested: boolean): void {
    this.failures = 0;
    if (requested || revision <= this.published) return;
    this.published = revision;
    this.ring.advance(revision);
    this.hub.progress(revision);
  }

  private tick(): void {
    if (this.closed) return;
    this.hub.progress(this.published);
    const raw = this.raw;
    if (!raw) return;
    // A stream that answers nothing, not even progress requests, is on a dead or stuck member.
    const stallMs = Math.max(3 * this.opts.progressIntervalMs, 3000);
    if (Date.now() - raw.lastHeard > stallMs) {
      log.warn(`etcd watch: no answer for ${stallMs} ms, reconnecting`);
      raw.close();
      this.raw = null;
      void this.open();
      return;
    }
    raw.requestProgress();
  }

  private onEnd(raw: RawWatch, err: Error): void {
    if (this.raw === raw) this.raw = null;
    if (this.closed) return;
    if (err instanceof WatchCompactedError) {
      void this.restartAfterLostHistory(err.compactRevision);
      return;
    }
    this.scheduleReconnect(err);
  }

  private scheduleReconnect(err: unknown): void {
    if (this.closed || this.reconnectTimer) return;
    const delay = Math.min(100 * 2 ** this.failures, MAX_BACKOFF_MS);
    this.failures++;
    if (this.failures === 3) log.warn(`etcd watch: stream failing (${errorMessage(err)}), retrying`);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.open();
    }, delay);
  }

  /** The stream could not resume: etcd compacted events we had not received. */
  private async restartAfterLostHistory(compactRevision: number): Promise<void> {
    this.opening = true;
    this.opts.onCompacted(compactRevision);
    let current: number;
    for (;;) {
      if (this.closed) return;
      try {
        current = await this.opts.currentRevision();
        break;
      } catch {
        await Bun.sleep(Math.min(100 * 2 ** this.failures++, MAX_BACKOFF_MS));
      }
    }
    if (this.closed) return;
    log.warn(
      `etcd watch: history up to ${compactRevision} was compacted before it was received; watchers restart from ${current}`,
    );
    // One synchronous step: no watcher can join between the reset and the restart.
    this.hub.closeAll(new CompactedError(this.published, compactRevision));
    this.ring.reset(current);
    this.published = current;
    this.opening = false;
    void this.open();
  }
}
