// The scale-out storage backend: etcd 3.4+, unary calls through a lean gRPC client of its own
// (grpc-kv.ts), watches through the etcd3 gRPC client.
//
// Key layout. A storage key (keys.ts: `/registry/<group>/<resource>/<cluster>/[<namespace>/]<name>`)
// is stored in etcd as `<prefix><key>`, the value as UTF-8 text. The prefix defaults to "" because
// keys already start with `/registry`, as kube-apiserver's do; give one (without a trailing "/",
// e.g. `/kcp-a`) to share one etcd between several servers or tests. The backend owns exactly
// the etcd keys that start with `<prefix>/`.
//
// Revisions are etcd's: an object's resourceVersion is its key's mod_revision, a list's is the
// revision it was read at, and etcd's single revision counter gives one order to every write.
//
// Writes are single transactions with a precondition, so that each either applies once or not at
// all: create is `if create_revision(key) == 0 then put`, update is `if mod_revision(key) == N then
// put`, delete is `if mod_revision(key) == N then delete` (a delete without a precondition reads
// the key first and then deletes that version). The failure branch reads the key, so a refused
// write returns the current value in the same round trip.
//
// Reads. get is a single-key range; list is a range over the prefix, at the requested revision
// (etcd fails it below the compaction, and past the current revision), starting after `after`,
// with `limit`; `more` is etcd's, `remaining` is etcd's count of the range minus what was
// returned. A list without a limit is read in chunks at the first chunk's revision, so it is
// still one snapshot. count is a count-only range. All reads are linearizable.
//
// Unary calls carry a deadline (callTimeoutMs, default 5 s) and are retried by the storage itself,
// not by etcd3, while the retry budget lasts (twice the deadline). A write whose attempt failed in
// transit is ambiguous: it may have applied. Its retry is safe (the precondition stops a second
// application), and if the retry is refused, the key's history says whether our first attempt is
// what changed it (ambiguous-write.ts); the write then succeeds with that revision. Nothing is
// reported as failed that did apply: when the outcome cannot be established the error is
// WriteOutcomeUnknownError, a StorageUnavailableError like every other unreachable state. Unary calls
// and watch streams use two clients on separate connections (etcd-client-options.ts).
//
// Watch. One etcd watch per backend covers the whole key space, with previous values; its events
// feed an in-memory window of recent events and the WatchHub fan-out (keyspace-feed.ts). connect()
// returns once etcd has created it. Watchers starting inside the window replay it and go live
// without touching etcd; older ones read etcd's history with a watch of their own until they
// reach the window (etcd-watch.ts). A broken feed resumes from the last revision it published.
// Idle watchers get progress (bookmarks) at the feed's last published revision.
//
// Compaction. etcd 3.4 cannot be asked for its compacted revision. The backend finds it when it
// connects (binary search with ranges at past revisions: a range below it fails with "required
// revision has been compacted"), raises it when it compacts, and learns it again from any such
// error and from watches that etcd cancels with `compact_revision`. A compaction done by someone
// else is therefore noticed at the first request that touches the compacted history.
//
// Limits: the hub delivers one event per revision (this backend writes one key per revision;
// another etcd client's multi-key transaction would show only its first event under a watch).
// A create whose answer was lost is settled from the key's history; a proposal that etcd applies
// only after that (a create delayed past a delete of the key by someone else) would go unnoticed.

import type { Etcd3, IKeyValue, IRangeRequest, IResponseHeader, ITxnRequest, ITxnResponse } from "etcd3";
import {
  CompactedError,
  KeyExistsError,
  KeyNotFoundError,
  type KeyValue,
  type ListOptions,
  type ListResult,
  RevisionMismatchError,
  type Storage,
  StorageUnavailableError,
  type Watch,
  ValueTooLargeError,
  type WatchOptions,
  WriteOutcomeUnknownError,
} from "../interface.ts";
import { checkValueSize, DEFAULT_MAX_VALUE_BYTES } from "../value-size.ts";
import { DEFAULT_MAX_WATCHER_QUEUE } from "../watch-hub.ts";
import { resolveCreate, resolveDelete, resolveUpdate } from "./ambiguous-write.ts";
import {
  createEtcdClients,
  DEFAULT_CALL_TIMEOUT_MS,
  type EtcdClientOptions,
  type EtcdClients,
} from "./etcd-client-options.ts";
import { EtcdKeyCodec, keyAfter } from "./etcd-codec.ts";
import {
  errorMessage,
  isClientClosedError,
  isCompactedError,
  isFutureRevisionError,
  isTooLargeError,
  isTransientError,
} from "./etcd-errors.ts";
import { EtcdWatch } from "./etcd-watch.ts";
import type { GrpcKv } from "./grpc-kv.ts";
import { DEFAULT_RING_EVENTS } from "./event-ring.ts";
import { KeyspaceFeed } from "./keyspace-feed.ts";

export interface EtcdStorageOptions extends EtcdClientOptions {
  /** Prepended to every key inside etcd (default ""; no trailing "/"). */
  prefix?: string;
  /** Undelivered events a watcher may accumulate before it is dropped (default 10,000). */
  maxWatcherQueue?: number;
  /**
   * The largest value a write may store (default etcd's own 1.5 MiB), checked before it is sent:
   * the same limit as on SQLite, whatever the members' --max-request-bytes.
   */
  maxValueBytes?: number;
  /** How often idle watchers get onProgress and the shared watch is checked (default 1,000 ms). */
  progressIntervalMs?: number;
  /** Recent events kept in memory for watchers that start in the past (default 4,096). */
  watchWindowEvents?: number;
  /** How long a call may keep retrying transient failures (default twice callTimeoutMs). */
  retryBudgetMs?: number;
}

export interface EtcdStorageStats {
  watchers: number;
  /** Watchers still reading etcd's history on a stream of their own. */
  catchingUp: number;
  /** Times the shared watch stream was opened (1 plus reconnections). */
  feedStreams: number;
  /** Writes whose outcome was read back after an ambiguous attempt. */
  resolvedWrites: number;
}

/** Keys per range call when a list has no limit (bounds each gRPC message). */
const LIST_CHUNK = 2000;
/** Compaction may take long on a big database. */
const COMPACT_TIMEOUT_MS = 60_000;

const noopWatch: Watch = { stop() {} };

type WriteOutcome<T> = { done: true; value: T } | { done: false };

export class EtcdStorage implements Storage {
  private readonly codec: EtcdKeyCodec;
  private readonly callTimeoutMs: number;
  private readonly retryBudgetMs: number;
  private feed!: KeyspaceFeed;
  private closed = false;
  private compacted = 0;
  /** The highest revision any response has shown: a lower bound for every later write. */
  private seenRevision = 0;
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly watchers = new Set<EtcdWatch>();
  private resolvedWrites = 0;
  readonly maxValueBytes: number;

  /** Unary calls (grpc-kv.ts). */
  private readonly client: GrpcKv;
  /** Watch streams (see EtcdClients). */
  private readonly streams: Etcd3;

  private constructor(
    clients: EtcdClients,
    private readonly opts: EtcdStorageOptions,
  ) {
    this.client = clients.unary;
    this.streams = clients.streams;
    this.codec = new EtcdKeyCodec(opts.prefix ?? "");
    this.maxValueBytes = opts.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES;
    this.callTimeoutMs = opts.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.retryBudgetMs = opts.retryBudgetMs ?? 2 * this.callTimeoutMs;
  }

  /**
   * Connect, read the current and compacted revisions and start the shared watch (resolves once
   * etcd has created it). Fails with StorageUnavailableError when no member answers within the
   * retry budget.
   */
  static async connect(opts: EtcdStorageOptions): Promise<EtcdStorage> {
    const clients = createEtcdClients(opts);
    const storage = new EtcdStorage(clients, opts);
    try {
      await storage.init();
    } catch (err) {
      storage.closed = true;
      clients.unary.close();
      clients.streams.close();
      throw err;
    }
    return storage;
  }

  private async init(): Promise<void> {
    const start = await this.readRevision();
    this.compacted = await this.findCompacted(1);
    this.feed = new KeyspaceFeed({
      client: this.streams,
      codec: this.codec,
      start,
      ringEvents: this.opts.watchWindowEvents ?? DEFAULT_RING_EVENTS,
      maxWatcherQueue: this.opts.maxWatcherQueue ?? DEFAULT_MAX_WATCHER_QUEUE,
      progressIntervalMs: this.opts.progressIntervalMs ?? 1000,
      currentRevision: () => this.readRevision(),
      onCompacted: (rev) => this.noteCompacted(rev),
    });
    this.feed.start();
    // Until etcd has created the watcher, a write (or a compaction) could slip past it.
    let timer: Timer | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), Math.max(this.callTimeoutMs, this.retryBudgetMs));
    });
    const late = await Promise.race([this.feed.ready.then(() => false), timedOut]);
    clearTimeout(timer);
    if (late) {
      this.feed.close();
      throw new StorageUnavailableError("etcd: the watch stream could not be opened");
    }
  }

  async currentRevision(): Promise<number> {
    this.ensureOpen();
    return this.readRevision();
  }

  /** Tracked: see "Compaction" at the top of this file. */
  async compactedRevision(): Promise<number> {
    this.ensureOpen();
    return this.compacted;
  }

  async get(key: string): Promise<KeyValue | null> {
    this.ensureOpen();
    return this.readKey(key);
  }

  async list(opts: ListOptions): Promise<ListResult> {
    this.ensureOpen();
    const requested = opts.revision && opts.revision > 0 ? opts.revision : 0;
    if (requested > 0 && requested < this.compacted) throw new CompactedError(requested, this.compacted);
    const range = this.codec.range(opts.prefix);
    let start = range.key;
    if (opts.after !== undefined) {
      const after = keyAfter(this.codec.encode(opts.after));
      if (Buffer.compare(after, start) > 0) start = after;
    }
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    try {
      if (limit > 0) {
        const res = await this.rangeAt(start, range.end, requested, limit);
        const items = res.kvs.map((kv) => this.codec.keyValue(kv));
        return {
          items,
          revision: requested || Number(res.header.revision),
          more: res.more,
          remaining: Math.max(0, Number(res.count) - items.length),
        };
      }
      // No limit: read in chunks, all at the revision of the first, so the result is one snapshot.
      const items: KeyValue[] = [];
      let revision = requested;
      for (;;) {
        const res = await this.rangeAt(start, range.end, revision, LIST_CHUNK);
        if (revision === 0) revision = Number(res.header.revision);
        for (const kv of res.kvs) items.push(this.codec.keyValue(kv));
        const last = res.kvs[res.kvs.length - 1];
        if (!res.more || !last) break;
        start = keyAfter(last.key);
      }
      return { items, revision, more: false };
    } catch (err) {
      throw await this.revisionError(err, requested);
    }
  }

  async count(prefix: string): Promise<number> {
    this.ensureOpen();
    const range = this.codec.range(prefix);
    const res = await this.call(() => this.client.range({ key: range.key, range_end: range.end, count_only: true }));
    return Number(res.count);
  }

  async create(key: string, value: string): Promise<number> {
    const k = this.codec.encodeForWrite(key);
    const v = Buffer.from(value, "utf8");
    checkValueSize(v, this.maxValueBytes);
    return this.write(async () => {
      const floor = Math.max(this.seenRevision, this.feed.revision);
      return this.guardedWrite<number>(
        {
          compare: [{ key: k, target: "Create", result: "Equal", create_revision: 0 }],
          success: [{ request_put: { key: k, value: v } }],
          failure: [{ request_range: { key: k } }],
        },
        async (res, ambiguous) => {
          if (res.succeeded) return { done: true, value: Number(res.header.revision) };
          const cur = currentOf(res);
          if (!cur) return { done: false }; // deleted in between: try again
          if (ambiguous) {
            const rev = await this.resolving(() =>
              resolveCreate(this.streams, k, v, floor, Number(cur.create_revision), this.retryBudgetMs),
            );
            if (rev !== null) return { done: true, value: rev };
          }
          throw new KeyExistsError(key);
        },
      );
    });
  }

  async update(key: string, value: string, expectedRevision: number): Promise<number> {
    const k = this.codec.encodeForWrite(key);
    const v = Buffer.from(value, "utf8");
    checkValueSize(v, this.maxValueBytes);
    return this.write(() =>
      this.guardedWrite<number>(
        {
          compare: [
            { key: k, target: "Create", result: "Greater", create_revision: 0 },
            { key: k, target: "Mod", result: "Equal", mod_revision: expectedRevision },
          ],
          success: [{ request_put: { key: k, value: v } }],
          failure: [{ request_range: { key: k } }],
        },
        async (res, ambiguous) => {
          if (res.succeeded) return { done: true, value: Number(res.header.revision) };
          if (ambiguous && (await this.existedAt(k, expectedRevision))) {
            const rev = await this.resolving(() =>
              resolveUpdate(this.streams, k, v, expectedRevision, this.retryBudgetMs),
            );
            if (rev !== null) return { done: true, value: rev };
          }
          const cur = currentOf(res);
          if (!cur) throw new KeyNotFoundError(key);
          throw new RevisionMismatchError(key, this.codec.keyValue(cur));
        },
      ),
    );
  }

  async delete(key: string, expectedRevision?: number): Promise<{ revision: number; prev: KeyValue }> {
    return this.write(async () => {
      if (expectedRevision !== undefined) return this.deleteAt(key, expectedRevision);
      // Without a precondition: delete the version just read, so that a retried delete stays
      // decidable; a concurrent change sends us round again.
      for (;;) {
        // Not get(): a delete under way when close() starts still completes.
        const cur = await this.readKey(key);
        if (!cur) throw new KeyNotFoundError(key);
        try {
          return await this.deleteAt(key, cur.modRevision);
        } catch (err) {
          if (!(err instanceof RevisionMismatchError)) throw err;
        }
      }
    });
  }

  private async deleteAt(key: string, expected: number): Promise<{ revision: number; prev: KeyValue }> {
    const k = this.codec.encodeForWrite(key);
    return this.guardedWrite<{ revision: number; prev: KeyValue }>(
      {
        compare: [
          { key: k, target: "Create", result: "Greater", create_revision: 0 },
          { key: k, target: "Mod", result: "Equal", mod_revision: expected },
        ],
        success: [{ request_delete_range: { key: k, prev_kv: true } }],
        failure: [{ request_range: { key: k } }],
      },
      async (res, ambiguous) => {
        if (res.succeeded) {
          const prev = res.responses[0]?.response_delete_range?.prev_kvs[0];
          if (!prev) throw new Error(`etcd: delete of ${key} returned no previous value`);
          return { done: true, value: { revision: Number(res.header.revision), prev: this.codec.keyValue(prev) } };
        }
        if (ambiguous && (await this.existedAt(k, expected))) {
          const ev = await this.resolving(() => resolveDelete(this.streams, k, expected, this.retryBudgetMs));
          if (ev?.prev_kv)
            return {
              done: true,
              value: { revision: Number(ev.kv.mod_revision), prev: this.codec.keyValue(ev.prev_kv) },
            };
        }
        const cur = currentOf(res);
        if (!cur) throw new KeyNotFoundError(key);
        throw new RevisionMismatchError(key, this.codec.keyValue(cur));
      },
    );
  }

  /**
   * Errors (a compacted `afterRevision`, a closed store) are reported through `onError` in a
   * microtask, never thrown. Events are delivered from a microtask on, never before this returns.
   */
  watch(opts: WatchOptions): Watch {
    let err: Error | null = null;
    if (this.closed) err = new StorageUnavailableError("storage is closed");
    else if (opts.afterRevision < this.compacted) err = new CompactedError(opts.afterRevision, this.compacted);
    if (err) {
      const e = err;
      queueMicrotask(() => opts.onError(e));
      return noopWatch;
    }
    const w = new EtcdWatch(opts, {
      client: this.streams,
      codec: this.codec,
      feed: this.feed,
      onCompacted: (rev) => this.noteCompacted(rev),
      onDone: (done) => this.watchers.delete(done),
    });
    this.watchers.add(w);
    w.start();
    return { stop: () => w.stop() };
  }

  /** Compact etcd's history at `revision` (physically, before returning); no-op at or below the compacted revision. */
  async compact(revision: number): Promise<void> {
    this.ensureOpen();
    if (revision <= this.compacted) return;
    try {
      await this.call(() =>
        this.client.compact({ revision, physical: true }, { deadline: Date.now() + COMPACT_TIMEOUT_MS }),
      );
    } catch (err) {
      if (isFutureRevisionError(err)) throw new RangeError(`cannot compact at future revision ${revision}`);
      // Someone (or our own timed-out attempt) compacted at least this far already.
      if (!isCompactedError(err)) throw err;
      this.noteCompacted(await this.findCompacted(revision));
    }
    this.noteCompacted(revision);
  }

  /** A linearizable read within a short deadline: false when etcd has no quorum or is unreachable. */
  async healthy(): Promise<boolean> {
    if (this.closed) return false;
    const giveUp = Date.now() + Math.min(this.callTimeoutMs, 2000);
    // Each attempt goes to a member picked at random: a dead one answers fast, so try again.
    while (Date.now() < giveUp) {
      try {
        await this.client.range({ key: this.codec.encode("/"), keys_only: true }, { deadline: giveUp });
        return true;
      } catch (err) {
        if (!isTransientError(err)) return false;
        await Bun.sleep(20);
      }
    }
    return false;
  }

  /** Waits for writes in progress, ends every watch with StorageUnavailableError, closes the client. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.inflight]);
    const err = new StorageUnavailableError("storage is closed");
    for (const w of [...this.watchers]) w.fail(err);
    this.feed.hub.closeAll(err);
    this.feed.close();
    this.client.close();
    this.streams.close();
  }

  /** Counters for tests and metrics. */
  stats(): EtcdStorageStats {
    let catchingUp = 0;
    for (const w of this.watchers) if (w.catchingUp) catchingUp++;
    return {
      watchers: this.watchers.size,
      catchingUp,
      feedStreams: this.feed.streamsOpened,
      resolvedWrites: this.resolvedWrites,
    };
  }

  // --- calls ---------------------------------------------------------------------------------

  private ensureOpen(): void {
    if (this.closed) throw new StorageUnavailableError("storage is closed");
  }

  private observe(header: IResponseHeader | undefined): void {
    const rev = Number(header?.revision ?? 0);
    if (rev > this.seenRevision) this.seenRevision = rev;
  }

  private async readKey(key: string): Promise<KeyValue | null> {
    const res = await this.call(() => this.client.range({ key: this.codec.encode(key) }));
    const kv = res.kvs[0];
    return kv ? this.codec.keyValue(kv) : null;
  }

  private async readRevision(): Promise<number> {
    const res = await this.call(() => this.client.range({ key: this.codec.encode("/"), keys_only: true }));
    return Number(res.header.revision);
  }

  private rangeAt(key: Buffer, end: Buffer, revision: number, limit: number) {
    const req: IRangeRequest = { key, range_end: end, limit, ...(revision > 0 ? { revision } : {}) };
    return this.call(() => this.client.range(req));
  }

  /** Run an idempotent call, retrying transient failures while the budget lasts. */
  private async call<T extends { header: IResponseHeader }>(fn: () => Promise<T>): Promise<T> {
    const giveUp = Date.now() + this.retryBudgetMs;
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await fn();
        this.observe(res.header);
        return res;
      } catch (err) {
        await this.beforeRetry(err, attempt, giveUp, false);
      }
    }
  }

  /**
   * Decide after a failed attempt: rethrow an answer, wait before retrying a transient failure,
   * or give up with StorageUnavailableError once the budget is spent.
   */
  private async beforeRetry(err: unknown, attempt: number, giveUp: number, ambiguous: boolean): Promise<void> {
    if (isClientClosedError(err))
      throw ambiguous
        ? new WriteOutcomeUnknownError("storage closed; the outcome of the write is unknown")
        : new StorageUnavailableError("storage is closed");
    if (!isTransientError(err)) {
      // A refusal after an attempt that may have applied says nothing of that attempt.
      if (ambiguous) throw new WriteOutcomeUnknownError(`the outcome of the write is unknown: ${errorMessage(err)}`);
      if (isTooLargeError(err)) throw new ValueTooLargeError(errorMessage(err));
      throw err;
    }
    const wait = Math.min(25 * 2 ** attempt, 500);
    if (Date.now() + wait >= giveUp) {
      if (ambiguous)
        throw new WriteOutcomeUnknownError(
          `etcd is unavailable; the outcome of the write is unknown: ${errorMessage(err)}`,
        );
      throw new StorageUnavailableError(`etcd is unavailable: ${errorMessage(err)}`);
    }
    await Bun.sleep(wait);
  }

  /**
   * One guarded transaction, retried after transient failures. `decide` gets each answered
   * attempt and whether an earlier attempt may have applied; it returns the result, asks for
   * another attempt, or throws the refusal.
   */
  private async guardedWrite<T>(
    txn: ITxnRequest,
    decide: (res: ITxnResponse, ambiguous: boolean) => Promise<WriteOutcome<T>>,
  ): Promise<T> {
    const giveUp = Date.now() + this.retryBudgetMs;
    let ambiguous = false;
    for (let attempt = 0; ; attempt++) {
      let res: ITxnResponse;
      try {
        res = await this.client.txn(txn);
      } catch (err) {
        // Sent but unanswered: it may have applied. Retrying is safe (the guard stops a repeat).
        if (isTransientError(err) || isClientClosedError(err)) ambiguous = true;
        await this.beforeRetry(err, attempt, giveUp, ambiguous);
        continue;
      }
      this.observe(res.header);
      const outcome = await decide(res, ambiguous);
      if (outcome.done) return outcome.value;
    }
  }

  /** Whether the key had a version with mod_revision `revision` (then a later event exists). */
  private async existedAt(key: Buffer, revision: number): Promise<boolean> {
    try {
      const res = await this.call(() => this.client.range({ key, revision }));
      return Number(res.kvs[0]?.mod_revision ?? 0) === revision;
    } catch (err) {
      if (isCompactedError(err))
        throw new WriteOutcomeUnknownError("etcd: the outcome of a write is unknown (its history was compacted)");
      if (isFutureRevisionError(err)) return false;
      // Only asked after an ambiguous attempt: not being able to ask leaves the outcome unknown.
      if (err instanceof StorageUnavailableError && !(err instanceof WriteOutcomeUnknownError)) {
        throw new WriteOutcomeUnknownError(`etcd: the outcome of a write is unknown: ${err.message}`);
      }
      throw err;
    }
  }

  /** Read back an ambiguous write; failures to read make the outcome unknown. */
  private async resolving<T>(fn: () => Promise<T>): Promise<T> {
    this.resolvedWrites++;
    try {
      return await fn();
    } catch (err) {
      if (err instanceof WriteOutcomeUnknownError) throw err;
      throw new WriteOutcomeUnknownError(`etcd: the outcome of a write is unknown: ${errorMessage(err)}`);
    }
  }

  /** Track a write so that close() waits for it. */
  private write<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new StorageUnavailableError("storage is closed"));
    const p = fn();
    this.inflight.add(p);
    const forget = () => this.inflight.delete(p);
    p.then(forget, forget);
    return p;
  }

  // --- compaction ----------------------------------------------------------------------------

  private noteCompacted(revision: number): void {
    if (revision > this.compacted) this.compacted = revision;
  }

  /** Map a compacted or future revision error of a read at `requested`. */
  private async revisionError(err: unknown, requested: number): Promise<unknown> {
    if (isFutureRevisionError(err)) return new RangeError(`revision ${requested} is in the future`);
    if (!isCompactedError(err)) return err;
    try {
      this.noteCompacted(await this.findCompacted(requested + 1));
    } catch {
      // The error stands on its own; the compacted revision stays as known.
    }
    return new CompactedError(requested, Math.max(this.compacted, requested + 1));
  }

  /**
   * etcd's compacted revision, known to be at least `atLeast`: the oldest revision a range can
   * still read (binary search; about log2(current revision) cheap single-key ranges). 0 when
   * nothing was compacted.
   */
  private async findCompacted(atLeast: number): Promise<number> {
    const probeKey = this.codec.encode("/");
    const readable = async (revision: number) => {
      try {
        await this.call(() => this.client.range({ key: probeKey, revision, keys_only: true }));
        return true;
      } catch (err) {
        if (isCompactedError(err)) return false;
        throw err;
      }
    };
    let lo = Math.max(atLeast, this.compacted, 1);
    let hi = await this.readRevision();
    if (lo > hi) return this.compacted;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (await readable(mid)) hi = mid;
      else lo = mid + 1;
    }
    return lo <= 1 ? 0 : lo;
  }
}

function currentOf(res: ITxnResponse): IKeyValue | undefined {
  return res.responses[0]?.response_range?.kvs[0];
}
