// WAL checkpoints on their own thread.
//
// In WAL mode every COMMIT appends its pages to the -wal file; a checkpoint copies them back into
// the database file and fsyncs it. By default SQLite runs one inside the COMMIT that takes the WAL
// past 1,000 pages, on the committing thread: for our single writer that is the main thread, which
// then serves nothing during the copy and its fsyncs (on a fast SSD a few ms every few thousand
// creates; on an SD card far longer). Under load the writer's commit took 15.5 µs per create with
// them and 10.5 µs without (docs/performance.md). So once a store has taken a few MiB of writes, a
// worker thread with its own connection to the file runs the checkpoints instead, and the writer's
// automatic ones are switched off. A store that sees little writing never starts the thread (it
// costs about 5 MiB of memory). Durability is unchanged: a COMMIT still returns once its pages are
// in the WAL, and the checkpoints keep synchronous=NORMAL's fsyncs.
//
// SQLite starts the WAL over from its beginning (instead of growing it) only when a write
// transaction begins with every frame copied. A checkpoint beside a busy writer copies the frames
// there were when it began, while new ones arrive. So each round is up to two checkpoints: the
// first copies the bulk while writes flow; if writes came in meanwhile, a second one copies those
// few frames while the group committer holds new commits back (the main thread keeps serving;
// write requests wait that long, about 5 ms a round here). The next write then starts the WAL
// over, which bounds it. Should the thread fail or stop answering, the writer's automatic
// checkpoints come back.

import type { Database } from "bun:sqlite";
import { log } from "../../log.ts";

/** What the checkpointer needs from the writer: a way to hold commits back for a moment. */
export interface CommitGate {
  hold(): void;
  release(): void;
}

export interface WalCheckpointerOptions {
  /** Bytes written (estimated) before the thread starts, and between two rounds (default 4 MiB). */
  everyBytes?: number;
  /** How long commits may be held for a catch-up checkpoint before the thread is given up (default 5 s). */
  holdTimeoutMs?: number;
}

export interface WalCheckpointerStats {
  /** Checkpoints the thread finished. */
  checkpoints: number;
  /** Rounds that ended with every frame copied (the next write starts the WAL over). */
  complete: number;
  /** Second checkpoints run with commits held. */
  catchUps: number;
  /** Whether the thread is running. */
  threaded: boolean;
}

// The worker's source, inline so that the compiled binary needs no separate file.
const WORKER_SOURCE = `
import { Database } from "bun:sqlite";
let db = null;
self.onmessage = (e) => {
  const m = e.data;
  try {
    if (m.type === "open") {
      db = new Database(m.path, { readwrite: true });
      db.run("PRAGMA busy_timeout = 5000");
      db.run("PRAGMA synchronous = NORMAL");
      postMessage({ type: "opened" });
    } else if (m.type === "checkpoint") {
      const r = db.query("PRAGMA wal_checkpoint(PASSIVE)").get();
      postMessage({ type: "checkpointed", complete: r.busy === 0 && r.log === r.checkpointed });
    } else if (m.type === "close") {
      if (db) db.close();
      db = null;
      postMessage({ type: "closed" });
    }
  } catch (err) {
    postMessage({ type: "error", message: String(err && err.message ? err.message : err) });
  }
};
`;

/** SQLite's default wal_autocheckpoint, given back to the writer when the thread is gone. */
const DEFAULT_AUTOCHECKPOINT_PAGES = 1000;
/** How long close() waits for the thread's running checkpoint, then for its connection to close. */
const STOP_TIMEOUT_MS = 5_000;

type Reply = { type: "opened" } | { type: "checkpointed"; complete: boolean } | { type: "closed" } | { type: "error"; message: string };

export class WalCheckpointer {
  private worker: Worker | null = null;
  private sourceUrl: string | null = null;
  /** Where the current round is: none running, copying beside writes, or catching up with commits held. */
  private phase: "idle" | "copy" | "catch-up" = "idle";
  /** Whether a commit happened since the round's first checkpoint was asked for. */
  private wroteDuringCopy = false;
  private written = 0;
  private failed = false;
  private closing: Promise<void> | null = null;
  private holdTimer: Timer | null = null;
  /** Settles when the running checkpoint answers (close waits for it). */
  private answered: (() => void) | null = null;
  private readonly everyBytes: number;
  private readonly holdTimeoutMs: number;
  readonly stats: WalCheckpointerStats = { checkpoints: 0, complete: 0, catchUps: 0, threaded: false };

  constructor(
    private readonly db: Database,
    private readonly path: string,
    private readonly gate: CommitGate,
    opts: WalCheckpointerOptions = {},
  ) {
    this.everyBytes = opts.everyBytes ?? 4 * 1024 * 1024;
    this.holdTimeoutMs = opts.holdTimeoutMs ?? 5_000;
  }

  /** Called after each commit with about how many bytes it added to the WAL. */
  noteCommit(bytes: number): void {
    this.written += bytes;
    if (this.phase === "copy") this.wroteDuringCopy = true;
    if (this.phase !== "idle" || this.written < this.everyBytes || this.failed || this.closing) return;
    if (!this.worker) {
      this.start();
      if (!this.worker) return;
    }
    this.written = 0;
    this.phase = "copy";
    this.wroteDuringCopy = false;
    this.worker.postMessage({ type: "checkpoint" });
  }

  /** Stop the thread (after its running checkpoint), before the writer's connection closes. */
  close(): Promise<void> {
    this.closing ??= this.stop();
    return this.closing;
  }

  private start(): void {
    // A store SQLite alone knows (":memory:") has no WAL to checkpoint.
    if (this.path === ":memory:" || this.path === "") {
      this.failed = true;
      return;
    }
    const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "application/javascript" }));
    const worker = new Worker(url);
    // The thread loads its source asynchronously: the URL must live until it answers.
    this.sourceUrl = url;
    worker.unref();
    worker.onmessage = (e: MessageEvent) => this.onReply(e.data as Reply);
    worker.onerror = (e) => this.fail(e.message);
    worker.postMessage({ type: "open", path: this.path });
    this.worker = worker;
    this.stats.threaded = true;
    this.db.run("PRAGMA wal_autocheckpoint = 0");
    log.debug("storage: WAL checkpoints moved to their own thread");
  }

  private onReply(m: Reply): void {
    if (m.type === "opened") this.revokeSource();
    else if (m.type === "error") this.fail(m.message);
    else if (m.type === "checkpointed") {
      this.stats.checkpoints++;
      const answered = this.answered;
      this.answered = null;
      if (this.phase === "copy" && (this.wroteDuringCopy || !m.complete) && !this.closing && this.worker) {
        // Copy what arrived meanwhile, with commits held, so that the WAL ends fully copied.
        this.phase = "catch-up";
        this.stats.catchUps++;
        this.gate.hold();
        this.holdTimer = setTimeout(() => this.fail(`no checkpoint answer in ${this.holdTimeoutMs} ms`), this.holdTimeoutMs);
        this.holdTimer.unref();
        this.worker.postMessage({ type: "checkpoint" });
      } else {
        if (m.complete && this.stats.complete++ === 0) log.debug("storage: the checkpoint thread copied the whole WAL; the next write starts it over");
        this.endRound();
      }
      answered?.();
    }
  }

  /** Back to idle, letting held commits go. */
  private endRound(): void {
    const held = this.phase === "catch-up";
    this.phase = "idle";
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = null;
    if (held) this.gate.release();
  }

  /** Back to checkpoints inside the writer's commits. */
  private fail(message: string): void {
    if (this.failed) return;
    this.failed = true;
    log.warn(`storage: the WAL checkpoint thread failed (${message}); checkpointing on the main thread again`);
    this.worker?.terminate();
    this.worker = null;
    this.revokeSource();
    this.stats.threaded = false;
    this.endRound();
    this.answered?.();
    this.answered = null;
    if (!this.closing) this.db.run(`PRAGMA wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT_PAGES}`);
  }

  private revokeSource(): void {
    if (this.sourceUrl) URL.revokeObjectURL(this.sourceUrl);
    this.sourceUrl = null;
  }

  private async stop(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    // Let a running checkpoint answer (a catch-up then releases the held commits), within reason.
    if (this.phase !== "idle") {
      let timer: Timer | undefined;
      await new Promise<void>((resolve) => {
        this.answered = resolve;
        timer = setTimeout(resolve, STOP_TIMEOUT_MS);
      });
      clearTimeout(timer);
      this.answered = null;
    }
    this.endRound();
    if (!this.worker) return;
    this.worker = null;
    this.stats.threaded = false;
    // The thread closes its connection first, so that the writer's close is the last one (which
    // checkpoints everything and removes the WAL).
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, STOP_TIMEOUT_MS);
      worker.onmessage = (e: MessageEvent) => {
        const type = (e.data as Reply).type;
        if (type === "closed" || type === "error") {
          clearTimeout(timer);
          resolve();
        }
      };
      worker.onerror = () => {
        clearTimeout(timer);
        resolve();
      };
      worker.postMessage({ type: "close" });
    });
    worker.terminate();
    this.revokeSource();
  }
}
