// The storage interface: an etcd-like, revisioned key-value store.
//
// Values are opaque strings (our JSON serialisation of an object, without its resourceVersion).
// Every write gets the next revision of one global, strictly increasing counter; that revision
// becomes the object's resourceVersion. Both the SQLite and the etcd backend implement this; the
// storage test suite (test/storage/suite.ts) is written against this file alone.

export interface KeyValue {
  key: string;
  value: string;
  /** Revision of the write that produced this value (etcd mod_revision). */
  modRevision: number;
  /** Revision at which the key was created (etcd create_revision). */
  createRevision: number;
}

export interface ListOptions {
  /** Keys that start with this prefix. */
  prefix: string;
  /** Read the state as of this revision (0 or absent: the latest). Older than the compacted revision → CompactedError. */
  revision?: number;
  /** Only keys strictly greater than this one (for pagination). */
  after?: string;
  /** At most this many items (0 or absent: all). */
  limit?: number;
  /** The caller does not need `remaining` (a count of the rest of the range): backends may leave it out. */
  skipRemaining?: boolean;
}

export interface ListResult {
  items: KeyValue[];
  /** The revision the list was read at (the collection's resourceVersion). */
  revision: number;
  /** True when more items follow the last one returned. */
  more: boolean;
  /** How many items follow, when known. */
  remaining?: number;
}

export type WatchEventType = "PUT" | "DELETE";

export interface WatchEvent {
  type: WatchEventType;
  key: string;
  /** The new value (for DELETE: the value before the delete). */
  value: string;
  /** The value before this write, if any. */
  prevValue?: string;
  /** The revision of this event. */
  revision: number;
  /** The key's create revision (for a PUT that created the key, equal to `revision`). */
  createRevision: number;
  /** Revision of the previous value (0 when created). */
  prevRevision: number;
}

export interface WatchOptions {
  prefix: string;
  /** Deliver every event with a revision strictly greater than this. */
  afterRevision: number;
  /**
   * Called for each event, in revision order, exactly once. Return a promise to apply backpressure:
   * the next event waits for it; meanwhile events queue up to the backend's limit (then onError(WatchOverflowError)).
   */
  onEvent: (ev: WatchEvent) => void | Promise<void>;
  /**
   * Called once when the watch cannot continue (compaction, a slow consumer, the store closing).
   * After it no more events are delivered.
   */
  onError: (err: Error) => void;
  /** Called when the store knows that no event up to `revision` remains undelivered (for bookmarks). */
  onProgress?: (revision: number) => void;
}

export interface Watch {
  stop(): void;
}

export interface Storage {
  /** The largest value a write may store, in bytes (`--max-object-size`): larger ones throw ValueTooLargeError. */
  readonly maxValueBytes: number;
  /** The current revision (the revision of the last write, or of the store's creation). */
  currentRevision(): Promise<number>;
  /** The oldest revision that can still be listed or watched from (everything <= it was compacted). */
  compactedRevision(): Promise<number>;

  get(key: string): Promise<KeyValue | null>;
  list(opts: ListOptions): Promise<ListResult>;
  /** Count of live keys under a prefix. */
  count(prefix: string): Promise<number>;

  /** Create the key if absent. Throws KeyExistsError if it exists. Returns the new revision. */
  create(key: string, value: string): Promise<number>;
  /**
   * Replace the key's value if its current modRevision equals `expectedRevision`.
   * Throws RevisionMismatchError (with the current value) or KeyNotFoundError. Returns the new revision.
   */
  update(key: string, value: string, expectedRevision: number): Promise<number>;
  /**
   * Delete the key. With `expectedRevision`, only if its current modRevision equals it
   * (RevisionMismatchError otherwise). Throws KeyNotFoundError. Returns the deleted value and the delete's revision.
   */
  delete(key: string, expectedRevision?: number): Promise<{ revision: number; prev: KeyValue }>;

  /** Watch keys under a prefix from a revision. Throws CompactedError synchronously-or-async if too old. */
  watch(opts: WatchOptions): Watch;

  /** Forget history at or below `revision` (superseded and deleted values). Listing/watching below it then fails. */
  compact(revision: number): Promise<void>;

  /** True while the backend can serve requests (for /readyz). */
  healthy(): Promise<boolean>;

  /** Flush pending writes and release resources. */
  close(): Promise<void>;
}

export class KeyExistsError extends Error {
  constructor(readonly key: string) {
    super(`key exists: ${key}`);
  }
}

export class KeyNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`key not found: ${key}`);
  }
}

export class RevisionMismatchError extends Error {
  constructor(
    readonly key: string,
    readonly current: KeyValue,
  ) {
    super(`revision mismatch for ${key}: current is ${current.modRevision}`);
  }
}

export class CompactedError extends Error {
  constructor(
    readonly requested: number,
    readonly compacted: number,
  ) {
    super(`required revision ${requested} has been compacted (compacted revision ${compacted})`);
  }
}

/** A watcher could not keep up and was dropped; the client must re-watch from its last revision. */
export class WatchOverflowError extends Error {
  constructor() {
    super("watcher fell too far behind and was closed");
  }
}

/** The store is closed or unreachable. */
export class StorageUnavailableError extends Error {}

/**
 * The store did not answer a write in time and whether it applied cannot be established: it may
 * have. (The HTTP layer answers 504 Timeout, as kube-apiserver does for a write past its deadline.)
 */
export class WriteOutcomeUnknownError extends StorageUnavailableError {}

/** The store refused a write as too large (etcd's request size limit). It was not applied. */
export class ValueTooLargeError extends Error {}

/** The smallest string greater than every string with the given prefix (for range scans). */
export function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}
