// The audit log's writer (`kcp start --audit-log-path`): one JSON line per event, appended to a file
// (or stdout for `-`). Requests only queue their line; the queue is written in one batch once the
// current turn of the event loop is over (setImmediate), so requests do not wait for the disk.
// Memory stays bounded: should a burst queue BATCH lines within one turn (in-process clients
// that never yield), the request that fills the batch writes it at once, as kube-apiserver's
// blocking audit mode does, rather than dropping events. `close` writes what is queued.

import { closeSync, openSync, writeSync } from "node:fs";
import { log } from "../../log.ts";

/** Lines queued before they are written without waiting for the end of the turn. */
export const BATCH = 1000;

export interface AuditBackend {
  log(event: object): void;
  /** Write everything queued, then release the file. */
  close(): Promise<void>;
}

export class AuditLog implements AuditBackend {
  private pending: string[] = [];
  private scheduled: ReturnType<typeof setImmediate> | undefined;
  private closed = false;
  private failed = false;

  private constructor(
    private readonly write: (text: string) => void,
    private readonly release: () => void,
    readonly description: string,
  ) {}

  /** Open `path` for appending (created 0600: the log names users), or stdout for `-`. */
  static open(path: string): AuditLog {
    if (path === "-")
      return new AuditLog(
        (text) => void process.stdout.write(text),
        () => {},
        "stdout",
      );
    const fd = openSync(path, "a", 0o600);
    return new AuditLog(
      (text) => {
        const bytes = Buffer.from(text);
        for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off);
      },
      () => closeSync(fd),
      path,
    );
  }

  log(event: object): void {
    if (this.closed) return;
    this.pending.push(`${JSON.stringify(event)}\n`);
    if (this.pending.length >= BATCH) this.flush();
    else this.scheduled ??= setImmediate(() => this.flush());
  }

  private flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (!this.pending.length) return;
    const text = this.pending.join("");
    this.pending = [];
    try {
      this.write(text);
      this.failed = false;
    } catch (e) {
      // Reported once per run of failures, not once per request.
      if (!this.failed) log.error(`audit log ${this.description}: ${(e as Error).message}`);
      this.failed = true;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.flush();
    this.release();
  }
}
