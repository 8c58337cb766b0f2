// A Storage that times each operation of the one it wraps into a histogram per operation, for
// /metrics (`kcp_storage_operation_duration_seconds{operation}`). Watches are not timed: they are
// streams, not calls. The histograms exist up front, so timing a call allocates nothing but the
// promise the backend returns anyway.

import { Histogram, KUBE_REQUEST_DURATION_BUCKETS } from "../util/prometheus.ts";
import type { KeyValue, ListOptions, ListResult, Storage, Watch, WatchOptions } from "./interface.ts";

export const TIMED_OPERATIONS = ["get", "list", "count", "create", "update", "delete", "compact"] as const;
export type TimedOperation = (typeof TIMED_OPERATIONS)[number];

/**
 * kube's etcd buckets start at 5 ms; SQLite answers most reads in well under that, so three finer
 * bounds come first to show where a fast store's time goes.
 */
export const STORAGE_DURATION_BUCKETS: readonly number[] = [0.0001, 0.0005, 0.001, ...KUBE_REQUEST_DURATION_BUCKETS];

export class TimedStorage implements Storage {
  readonly durations: ReadonlyMap<TimedOperation, Histogram>;

  constructor(private readonly inner: Storage) {
    this.durations = new Map(TIMED_OPERATIONS.map((op) => [op, new Histogram(STORAGE_DURATION_BUCKETS)]));
  }

  /** `start` is taken before the backend is called (the call's own synchronous work counts). */
  private async timed<T>(op: TimedOperation, start: number, call: Promise<T>): Promise<T> {
    try {
      return await call;
    } finally {
      this.durations.get(op)?.observe((performance.now() - start) / 1000);
    }
  }

  get maxValueBytes(): number {
    return this.inner.maxValueBytes;
  }
  currentRevision(): Promise<number> {
    return this.inner.currentRevision();
  }
  compactedRevision(): Promise<number> {
    return this.inner.compactedRevision();
  }
  get(key: string): Promise<KeyValue | null> {
    return this.timed("get", performance.now(), this.inner.get(key));
  }
  list(opts: ListOptions): Promise<ListResult> {
    return this.timed("list", performance.now(), this.inner.list(opts));
  }
  count(prefix: string): Promise<number> {
    return this.timed("count", performance.now(), this.inner.count(prefix));
  }
  create(key: string, value: string): Promise<number> {
    return this.timed("create", performance.now(), this.inner.create(key, value));
  }
  update(key: string, value: string, expectedRevision: number): Promise<number> {
    return this.timed("update", performance.now(), this.inner.update(key, value, expectedRevision));
  }
  delete(key: string, expectedRevision?: number): Promise<{ revision: number; prev: KeyValue }> {
    return this.timed("delete", performance.now(), this.inner.delete(key, expectedRevision));
  }
  watch(opts: WatchOptions): Watch {
    return this.inner.watch(opts);
  }
  compact(revision: number): Promise<void> {
    return this.timed("compact", performance.now(), this.inner.compact(revision));
  }
  healthy(): Promise<boolean> {
    return this.inner.healthy();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
