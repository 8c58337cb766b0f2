// One etcd watcher on its own gRPC watch stream, through etcd3's raw `watchClient` rather than
// its high-level Watcher: the high-level one reconnects on its own and hides why etcd canceled a
// watch, while the storage needs to see a compacted start revision (`compact_revision`) and to
// decide itself where a broken watch resumes.

import type { Etcd3, IEvent, IWatchRequest, IWatchResponse } from "etcd3";
import { errorMessage } from "./etcd-errors.ts";

/** etcd canceled the watch because its start revision was compacted. */
export class WatchCompactedError extends Error {
  constructor(readonly compactRevision: number) {
    super(`etcd watch start revision was compacted (compact revision ${compactRevision})`);
  }
}

export interface RawWatchOptions {
  key: Buffer;
  /** Exclusive end of the watched range; absent: the single key. */
  rangeEnd?: Buffer;
  /** First revision to deliver (inclusive). */
  startRevision: number;
  /** Ask etcd for the previous value of every event. */
  prevKv?: boolean;
  /** Ask etcd for its periodic progress notifications. */
  progressNotify?: boolean;
  /** etcd created the watcher: events from the start revision on will follow. */
  onCreated?: () => void;
  /** Events of one response, in revision order. */
  onEvents: (events: IEvent[]) => void;
  /**
   * An empty response: no event up to `revision` remains for this watch. `requested` tells a
   * reply to requestProgress() (watch id -1) from etcd's own periodic notification.
   */
  onProgress?: (revision: number, requested: boolean) => void;
  /** Called once when the watch ends for any reason other than close(). */
  onEnd: (err: Error) => void;
}

interface DuplexWatchStream {
  write(req: IWatchRequest): void;
  end(): void;
  cancel(): void;
  pause(): void;
  resume(): void;
  on(event: "data", fn: (res: IWatchResponse) => void): unknown;
  on(event: "error", fn: (err: Error) => void): unknown;
  on(event: "end", fn: () => void): unknown;
}

export class RawWatch {
  private ended = false;
  private watchId: string | null = null;
  /** When the stream last said anything (for a liveness check). */
  lastHeard = Date.now();

  private constructor(
    private readonly stream: DuplexWatchStream,
    private readonly opts: RawWatchOptions,
  ) {}

  /** Open a stream and create the watcher. Errors after this arrive through onEnd. */
  static async open(client: Etcd3, opts: RawWatchOptions): Promise<RawWatch> {
    const stream = (await client.watchClient.watch()) as unknown as DuplexWatchStream;
    const w = new RawWatch(stream, opts);
    stream.on("data", (res) => w.onResponse(res));
    stream.on("error", (err) => w.finish(err));
    stream.on("end", () => w.finish(new Error("etcd watch stream ended")));
    stream.write({
      create_request: {
        key: opts.key,
        ...(opts.rangeEnd ? { range_end: opts.rangeEnd } : {}),
        start_revision: opts.startRevision,
        prev_kv: opts.prevKv ?? false,
        progress_notify: opts.progressNotify ?? false,
      },
    });
    return w;
  }

  /** Ask etcd for a progress notification (answered with watch id -1). */
  requestProgress(): void {
    if (!this.ended) this.stream.write({ progress_request: {} });
  }

  /** Stop reading (gRPC flow control then holds etcd back) until resume(). */
  pause(): void {
    if (!this.ended) this.stream.pause();
  }

  resume(): void {
    if (!this.ended) this.stream.resume();
  }

  /** End the watch without calling onEnd. */
  close(): void {
    if (this.ended) return;
    this.ended = true;
    try {
      this.stream.end();
      this.stream.cancel();
    } catch {
      // Already torn down by a broken connection.
    }
  }

  get closed(): boolean {
    return this.ended;
  }

  private onResponse(res: IWatchResponse): void {
    if (this.ended) return;
    this.lastHeard = Date.now();
    if (res.canceled) {
      const compact = Number(res.compact_revision);
      this.finish(
        compact > 0
          ? new WatchCompactedError(compact)
          : new Error(`etcd canceled the watch: ${res.cancel_reason || "no reason given"}`),
      );
      return;
    }
    if (res.created) {
      this.watchId = res.watch_id;
      this.opts.onCreated?.();
      return;
    }
    if (res.events.length > 0) {
      this.opts.onEvents(res.events);
      return;
    }
    this.opts.onProgress?.(Number(res.header.revision), res.watch_id !== this.watchId);
  }

  private finish(err: Error): void {
    if (this.ended) return;
    this.close();
    this.opts.onEnd(err instanceof Error ? err : new Error(errorMessage(err)));
  }
}
