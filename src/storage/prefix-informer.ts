// A storage informer: list every key under a prefix, then watch from the list's revision so that
// nothing in between is missed; when the watch ends (storage restart, compaction, overflow), list
// and watch again, retrying with backoff while storage is unavailable. The in-process controllers
// and the namespace admission view all follow state this way.

import { log } from "../log.ts";
import type { KeyValue, Storage, Watch, WatchEvent } from "./interface.ts";

export interface PrefixInformerHandlers {
  /** The whole state at `revision`: on start and after every relist. */
  onList(items: KeyValue[], revision: number): void | Promise<void>;
  /** Each change after the list, in revision order. */
  onEvent(ev: WatchEvent): void;
  /** The watch ended: events may be missing until the next onList. */
  onLost?(): void;
}

const MAX_BACKOFF_MS = 5000;

export class PrefixInformer {
  private watch?: Watch;
  private timer?: ReturnType<typeof setTimeout>;
  private stopped = false;

  constructor(
    private readonly storage: Storage,
    private readonly prefix: string,
    /** Names the informer in logs. */
    private readonly name: string,
    private readonly handlers: PrefixInformerHandlers,
  ) {}

  /** List and start watching. Rejects when the first list fails; later failures are retried. */
  async start(): Promise<void> {
    const list = await this.storage.list({ prefix: this.prefix });
    if (this.stopped) return;
    await this.handlers.onList(list.items, list.revision);
    if (this.stopped) return;
    this.watch = this.storage.watch({
      prefix: this.prefix,
      afterRevision: list.revision,
      onEvent: (ev) => this.handlers.onEvent(ev),
      onError: (err) => {
        this.watch = undefined;
        this.handlers.onLost?.();
        if (this.stopped) return;
        log.warn(`${this.name}: watch ended (${err.message}); restarting`);
        this.restart(0);
      },
    });
  }

  stop(): void {
    this.stopped = true;
    this.watch?.stop();
    this.watch = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private restart(attempt: number): void {
    if (this.stopped) return;
    this.start().catch((e) => {
      if (this.stopped) return;
      const delay = Math.min(100 * 2 ** attempt, MAX_BACKOFF_MS);
      log.warn(`${this.name}: restart failed (${(e as Error).message}); retrying in ${delay} ms`);
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.restart(attempt + 1);
      }, delay);
    });
  }
}
