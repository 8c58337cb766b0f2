// One stored resource followed for the owner graph: list it, watch it from the list's
// resourceVersion, and list again when the watch is lost (compaction, a slow consumer, the storage
// restarting), with the same backoff as client/informer.ts. Unlike an Informer it keeps no cache:
// the graph is the collector's only copy of what it observed, so an object that neither owns nor
// is owned costs nothing once its event is handled. A relist (not the first list) tells the
// consumer which objects it held, so that it can forget those that went away during the gap.

import type { KObject } from "../../apis/types.ts";
import type { InformerSource, SourceWatch } from "../../client/informer.ts";
import { log } from "../../log.ts";

export interface FeedHandlers {
  /** An object listed, added or changed. */
  onObject(obj: KObject, cluster: string): void;
  onDeleted(obj: KObject, cluster: string): void;
  /** A relist is complete: `listed(cluster, uid)` says whether an object was in it. */
  onRelisted(listed: (cluster: string, uid: string) => boolean): void;
}

const MAX_LIST_BACKOFF_MS = 5000;
/** Watches that fail at once back off up to this (as the Informer and client-go's reflector do). */
const MAX_ROUND_BACKOFF_MS = 30_000;
/** A watch that stayed up this long was healthy: the next round starts at once again. */
const HEALTHY_WATCH_MS = 10_000;

export class ResourceFeed {
  private watch?: SourceWatch;
  private timer?: ReturnType<typeof setTimeout>;
  private stopped = false;
  /** Counts list+watch rounds: callbacks of an earlier round are ignored. */
  private round = 0;
  private failedRounds = 0;
  private lastListError?: string;

  constructor(
    private readonly name: string,
    private readonly source: InformerSource,
    private readonly handlers: FeedHandlers,
  ) {}

  /** The first list, handed over page by page; rejects when it fails (start may be called again). */
  start(): Promise<void> {
    return this.listAndWatch(true);
  }

  stop(): void {
    this.stopped = true;
    this.watch?.stop();
    this.watch = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async listAndWatch(first: boolean): Promise<void> {
    // A relist remembers what it saw (for the duration of the list only) to tell what went away.
    const seen = first ? undefined : new Set<string>();
    const { resourceVersion } = await this.source.list(
      (items, pageCluster) => {
        if (this.stopped) return;
        for (const obj of items) {
          const cluster = this.source.clusterOf(obj, pageCluster);
          if (obj.metadata.uid) seen?.add(`${cluster}\n${obj.metadata.uid}`);
          this.call(() => this.handlers.onObject(obj, cluster));
        }
      },
      () => this.stopped,
    );
    if (this.stopped) return;
    this.lastListError = undefined;
    if (seen) this.call(() => this.handlers.onRelisted((cluster, uid) => seen.has(`${cluster}\n${uid}`)));
    const round = ++this.round;
    const watchedAt = Date.now();
    this.watch = this.source.watch(resourceVersion, {
      onEvent: (ev) => {
        if (round !== this.round || this.stopped) return;
        this.failedRounds = 0;
        if (ev.type !== "ADDED" && ev.type !== "MODIFIED" && ev.type !== "DELETED") return;
        const cluster = this.source.clusterOf(ev.object, ev.cluster);
        if (ev.type === "DELETED") this.call(() => this.handlers.onDeleted(ev.object, cluster));
        else this.call(() => this.handlers.onObject(ev.object, cluster));
      },
      onClose: (err) => {
        if (round !== this.round || this.stopped) return;
        this.watch = undefined;
        if (Date.now() - watchedAt >= HEALTHY_WATCH_MS) this.failedRounds = 0;
        const n = this.failedRounds++;
        const delay = n === 0 ? 0 : Math.min(100 * 2 ** (n - 1), MAX_ROUND_BACKOFF_MS);
        const message = `${this.name}: watch ended (${err.message}); relisting${delay ? ` in ${delay} ms` : ""}`;
        if (n <= 1) log.warn(message);
        else log.debug(message);
        this.later(delay, () => this.relist(0));
      },
    });
  }

  private relist(attempt: number): void {
    if (this.stopped) return;
    this.listAndWatch(false).catch((e) => {
      if (this.stopped) return;
      const delay = Math.min(100 * 2 ** attempt, MAX_LIST_BACKOFF_MS);
      const message = (e as Error).message;
      const line = `${this.name}: list failed (${message}); retrying in ${delay} ms`;
      if (message === this.lastListError) log.debug(line);
      else log.warn(line);
      this.lastListError = message;
      this.later(delay, () => this.relist(attempt + 1));
    });
  }

  private later(ms: number, run: () => void): void {
    if (ms === 0) {
      run();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      run();
    }, ms);
  }

  /** A handler that throws is a bug in it: logged, and the feed goes on (as the Informer does). */
  private call(run: () => void): void {
    try {
      run();
    } catch (e) {
      log.error(`${this.name}: a handler failed: ${(e as Error).stack ?? e}`);
    }
  }
}
