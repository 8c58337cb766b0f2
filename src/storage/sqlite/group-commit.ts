// Group commit: writes submitted while the event loop is busy are applied together in one
// transaction on the next turn (or as soon as `maxBatch` are waiting). One transaction per batch
// instead of per write is what makes SQLite fast here (each COMMIT costs a WAL write), and a single
// writer can never meet "database is locked".

/** What the batch function reports for one op: its result, or the error that op alone failed with. */
export type Outcome<R> = { ok: true; value: R } | { ok: false; error: Error };

/**
 * Applies ops in order inside one transaction and returns one outcome per op. It must be
 * synchronous and must throw only when the whole batch failed (nothing committed).
 */
export type BatchFn<Op, R> = (ops: readonly Op[]) => Outcome<R>[];

interface Pending<Op, R> {
  op: Op;
  resolve: (value: R) => void;
  reject: (err: Error) => void;
}

export interface GroupCommitStats {
  /** Batches committed (one transaction each). */
  commits: number;
  /** Ops that went through those batches. */
  ops: number;
}

export class GroupCommitter<Op, R> {
  private queue: Pending<Op, R>[] = [];
  private scheduled = false;
  private flushing = false;
  private held = false;
  readonly stats: GroupCommitStats = { commits: 0, ops: 0 };

  constructor(
    private readonly batch: BatchFn<Op, R>,
    private readonly maxBatch = 1000,
  ) {}

  /** Ops waiting for the next batch. */
  get pending(): number {
    return this.queue.length;
  }

  /** Queue an op; the promise settles after its batch committed (or failed). */
  submit(op: Op): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ op, resolve, reject });
      if (this.queue.length === this.maxBatch) queueMicrotask(() => this.flush());
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.flush();
        });
      }
    });
  }

  /**
   * Holds commits back: ops queue until release() (the WAL checkpointer's catch-up, which needs a
   * moment without writes to finish; checkpointer.ts). Nothing else waits: reads go on.
   */
  hold(): void {
    this.held = true;
  }

  /** Ends a hold and commits what queued meanwhile. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    this.flush();
  }

  /** Commit everything queued, now, in batches of at most `maxBatch` (not while held, unless `force`). */
  flush(force = false): void {
    // Re-entry (an op settled inside a batch submitting more) waits for the scheduled flush.
    if (this.flushing || (this.held && !force)) return;
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const items = this.queue.splice(0, this.maxBatch);
        let outcomes: Outcome<R>[];
        try {
          outcomes = this.batch(items.map((p) => p.op));
        } catch (err) {
          const error = err instanceof Error ? err : new Error(String(err));
          for (const p of items) p.reject(error);
          continue;
        }
        this.stats.commits++;
        this.stats.ops += items.length;
        items.forEach((p, i) => {
          const o = outcomes[i] as Outcome<R>;
          if (o.ok) p.resolve(o.value);
          else p.reject(o.error);
        });
      }
    } finally {
      this.flushing = false;
    }
  }
}
