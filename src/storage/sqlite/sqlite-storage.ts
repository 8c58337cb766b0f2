// The embedded storage backend: a kine-style revision log in one SQLite file (see schema.ts),
// written by a single group-committing writer, watched through the in-memory WatchHub.
//
// bun:sqlite is synchronous, which this class relies on: a batch commits, advances the revision
// and publishes its events in one uninterrupted step, so a reader never sees a committed revision
// whose events were not published yet, and a watcher catching up from the log goes live without
// a gap (see watch-hub.ts).

import type { Database } from "bun:sqlite";
import {
  CompactedError,
  type KeyValue,
  type ListOptions,
  type ListResult,
  type Storage,
  StorageUnavailableError,
  type Watch,
  type WatchOptions,
} from "../interface.ts";
import { checkValueSize, DEFAULT_MAX_VALUE_BYTES } from "../value-size.ts";
import { type BacklogPage, DEFAULT_MAX_WATCHER_QUEUE, WatchHub } from "../watch-hub.ts";
import { Compactor } from "./compactor.ts";
import { type GroupCommitStats, GroupCommitter } from "./group-commit.ts";
import { keyRange, LogReader } from "./log-reader.ts";
import { type AppliedBatch, LogWriter, type WriteOp, type WriteResult } from "./log-writer.ts";
import { WalCheckpointer } from "./checkpointer.ts";
import { openDatabase } from "./schema.ts";

export interface SqliteStorageOptions {
  /** Revisions auto-compaction keeps when not told otherwise (default 1,000, like kine). */
  compactMinRetain?: number;
  /** Undelivered events a watcher may accumulate before it is dropped (default 10,000). */
  maxWatcherQueue?: number;
  /** Writes per transaction at most (default 1,000). */
  maxBatch?: number;
  /** How often idle watchers get onProgress (default 1,000 ms; 0 disables). */
  progressIntervalMs?: number;
  /** The largest value a write may store (default etcd's 1.5 MiB): ValueTooLargeError above it. */
  maxValueBytes?: number;
  /** Checkpoint the WAL in a worker thread, off the event loop (checkpointer.ts; the server's store). */
  checkpointInWorker?: boolean;
  /** WAL frames past which commits are held for the worker to catch up (default CATCH_UP_FRAMES; tests). */
  walCatchUpFrames?: number;
}

export interface SqliteStorageStats extends GroupCommitStats {
  /** Rows in the revision log, superseded and deleted ones included. */
  logRows: number;
  /** Active watchers. */
  watchers: number;
}

const noopWatch: Watch = { stop() {} };

export class SqliteStorage implements Storage {
  private readonly reader: LogReader;
  private readonly writer: LogWriter;
  private readonly committer: GroupCommitter<WriteOp, WriteResult>;
  private readonly compactor: Compactor;
  private readonly hub: WatchHub;
  private revision: number;
  private closed = false;
  private readonly timers: Timer[] = [];
  readonly maxValueBytes: number;
  /** Checkpoints the WAL off the event loop, when asked for. */
  readonly checkpointer: WalCheckpointer | undefined;

  private constructor(
    private readonly db: Database,
    private readonly opts: SqliteStorageOptions,
    path: string,
  ) {
    this.maxValueBytes = opts.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES;
    this.reader = new LogReader(db);
    this.writer = new LogWriter(db);
    this.compactor = new Compactor(db);
    this.hub = new WatchHub({ maxQueue: opts.maxWatcherQueue ?? DEFAULT_MAX_WATCHER_QUEUE });
    this.committer = new GroupCommitter((ops) => this.commit(ops), opts.maxBatch ?? 1000);
    this.checkpointer =
      opts.checkpointInWorker && path !== ":memory:"
        ? WalCheckpointer.start(
            db,
            path,
            this.committer,
            opts.walCatchUpFrames ? { catchUpFrames: opts.walCatchUpFrames } : {},
          )
        : undefined;
    // Deletes and compaction may have removed the newest rows; the compacted revision still
    // bounds what was ever written. A new store starts at 1, like etcd, so no list reports 0.
    this.revision = Math.max(this.reader.maxRevision(), this.compactor.revision, 1);
    const interval = opts.progressIntervalMs ?? 1000;
    if (interval > 0) this.addTimer(setInterval(() => this.hub.progress(this.revision), interval));
  }

  /** Open (or create) the store at `path`. */
  static open(path: string, opts: SqliteStorageOptions = {}): SqliteStorage {
    return new SqliteStorage(openDatabase(path), opts, path);
  }

  async currentRevision(): Promise<number> {
    this.ensureOpen();
    return this.revision;
  }

  async compactedRevision(): Promise<number> {
    this.ensureOpen();
    return this.compactor.revision;
  }

  async get(key: string): Promise<KeyValue | null> {
    this.ensureOpen();
    return this.reader.get(key);
  }

  async list(opts: ListOptions): Promise<ListResult> {
    this.ensureOpen();
    const requested = opts.revision ?? 0;
    if (requested > this.revision)
      throw new RangeError(`revision ${requested} is in the future (current ${this.revision})`);
    if (requested > 0 && requested < this.compactor.revision)
      throw new CompactedError(requested, this.compactor.revision);
    const revision = requested > 0 ? requested : this.revision;
    const latest = revision === this.revision;
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;

    const range = keyRange(opts.prefix, opts.after);
    if (!range) return { items: [], revision, more: false, ...(limit ? { remaining: 0 } : {}) };
    // One extra row tells whether more follow without counting them all.
    const fetch = limit ? limit + 1 : 0;
    const items = latest ? this.reader.listLatest(range, fetch) : this.reader.listAt(range, revision, fetch);
    if (!limit) return { items, revision, more: false };
    if (items.length <= limit) return { items, revision, more: false, remaining: 0 };
    items.length = limit;
    if (opts.skipRemaining) return { items, revision, more: true };
    const rest = { lo: (items[limit - 1] as KeyValue).key, loExclusive: true, hi: range.hi };
    const remaining = latest ? this.reader.countLatest(rest) : this.reader.countAt(rest, revision);
    return { items, revision, more: true, remaining };
  }

  async count(prefix: string): Promise<number> {
    this.ensureOpen();
    const range = keyRange(prefix);
    return range ? this.reader.countLatest(range) : 0;
  }

  async create(key: string, value: string): Promise<number> {
    checkValueSize(value, this.maxValueBytes);
    return (await this.submit({ kind: "create", key, value })).revision;
  }

  async update(key: string, value: string, expectedRevision: number): Promise<number> {
    checkValueSize(value, this.maxValueBytes);
    return (await this.submit({ kind: "update", key, value, expectedRevision })).revision;
  }

  async delete(key: string, expectedRevision?: number): Promise<{ revision: number; prev: KeyValue }> {
    const op: WriteOp =
      expectedRevision === undefined ? { kind: "delete", key } : { kind: "delete", key, expectedRevision };
    const { revision, prev } = await this.submit(op);
    return { revision, prev: prev as KeyValue };
  }

  /**
   * Errors (a compacted `afterRevision`, a closed store) are reported through `onError` in a
   * microtask, never thrown, so callers handle one path. Events, including the stored backlog,
   * are delivered from a microtask on, never before `watch` returns.
   */
  watch(opts: WatchOptions): Watch {
    let err: Error | null = null;
    if (this.closed) err = new StorageUnavailableError("storage is closed");
    else if (opts.afterRevision < this.compactor.revision)
      err = new CompactedError(opts.afterRevision, this.compactor.revision);
    if (err) {
      const e = err;
      queueMicrotask(() => opts.onError(e));
      return noopWatch;
    }
    return this.hub.subscribe({ ...opts, backlog: (prefix, after, limit) => this.readBacklog(prefix, after, limit) });
  }

  /** Compact history at or below `revision` (no-op if already compacted that far). */
  async compact(revision: number): Promise<void> {
    this.ensureOpen();
    if (revision > this.revision)
      throw new RangeError(`cannot compact at future revision ${revision} (current ${this.revision})`);
    await this.compactor.compact(revision, () => !this.closed);
  }

  /**
   * Compact every `intervalMs`, keeping the last `retainRevisions` revisions (kube-apiserver asks
   * etcd for this every 5 minutes). Returns a function that stops it; close() stops it too.
   */
  startAutoCompaction(intervalMs: number, retainRevisions = this.opts.compactMinRetain ?? 1000): () => void {
    const timer = setInterval(() => {
      const target = this.revision - retainRevisions;
      if (this.closed || target <= this.compactor.revision) return;
      this.compactor
        .compact(target, () => !this.closed)
        .catch((err) => console.error("storage: auto-compaction failed:", err));
    }, intervalMs);
    this.addTimer(timer);
    return () => clearInterval(timer);
  }

  async healthy(): Promise<boolean> {
    if (this.closed) return false;
    try {
      this.db.query("SELECT 1").get();
      return true;
    } catch {
      return false;
    }
  }

  /** Commits any queued writes, ends every watch with StorageUnavailableError, closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.committer.flush(true);
    this.hub.closeAll(new StorageUnavailableError("storage is closed"));
    await this.checkpointer?.stop();
    this.db.close();
  }

  /** Counters for tests and metrics. */
  stats(): SqliteStorageStats {
    this.ensureOpen();
    const logRows = this.db.query<{ n: number }, []>("SELECT count(*) AS n FROM log").get()?.n ?? 0;
    return { ...this.committer.stats, logRows, watchers: this.hub.size };
  }

  private submit(op: WriteOp): Promise<WriteResult> {
    if (this.closed) return Promise.reject(new StorageUnavailableError("storage is closed"));
    return this.committer.submit(op);
  }

  /** One group-commit batch: apply, then advance the revision and publish, all before returning. */
  private commit(ops: readonly WriteOp[]) {
    const applied: AppliedBatch = this.writer.apply(ops, this.revision);
    this.revision = applied.revision;
    this.hub.publish(applied.events);
    return applied.outcomes;
  }

  private readBacklog(prefix: string, afterRevision: number, limit: number): BacklogPage {
    if (this.closed) throw new StorageUnavailableError("storage is closed");
    if (afterRevision < this.compactor.revision) throw new CompactedError(afterRevision, this.compactor.revision);
    const events = this.reader.eventsAfter(prefix, afterRevision, limit);
    const last = events[events.length - 1];
    if (last && events.length >= limit) return { events, through: last.revision, complete: false };
    return { events, through: Math.max(afterRevision, this.revision), complete: true };
  }

  private addTimer(t: Timer): void {
    // Timers must not keep a process alive that has nothing else to do.
    t.unref();
    this.timers.push(t);
  }

  private ensureOpen(): void {
    if (this.closed) throw new StorageUnavailableError("storage is closed");
  }
}
