// A controller's work queue, as client-go's rate-limited queue behaves: an item queued several
// times before it is processed is processed once; items are processed one at a time, in order;
// an item whose processing fails (throws or returns false) is retried with exponential backoff
// (50 ms doubling to 5 s), and its retry count resets once it succeeds.

import { log } from "../log.ts";

const MAX_BACKOFF_MS = 5000;

export class WorkQueue {
  private readonly queue = new Set<string>();
  private readonly retries = new Map<string, number>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private running = false;
  private stopped = false;

  constructor(
    /** Names the controller in logs. */
    private readonly name: string,
    /** Process one item; false (or a throw) means "try again later". */
    private readonly process: (item: string) => Promise<boolean>,
  ) {}

  add(item: string): void {
    if (this.stopped) return;
    this.queue.add(item);
    if (!this.running) void this.drain();
  }

  /** Process `item` again after a delay: the given one, or the item's next backoff step. */
  addLater(item: string, delayMs?: number): void {
    if (this.stopped) return;
    const n = (this.retries.get(item) ?? 0) + 1;
    this.retries.set(item, n);
    const delay = delayMs ?? Math.min(50 * 2 ** Math.min(n, 7), MAX_BACKOFF_MS);
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.add(item);
    }, delay);
    this.timers.add(t);
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.size > 0 && !this.stopped) {
        const item = this.queue.values().next().value as string;
        this.queue.delete(item);
        let done = false;
        try {
          done = await this.process(item);
        } catch (e) {
          log.warn(`${this.name}: ${item}: ${(e as Error).message}`);
        }
        if (done) this.retries.delete(item);
        else this.addLater(item);
      }
    } finally {
      this.running = false;
    }
  }
}
