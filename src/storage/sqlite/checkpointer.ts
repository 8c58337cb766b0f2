// WAL checkpoints off the event loop.
//
// Why: SQLite copies the WAL into the database file (a checkpoint) on its own every 1,000 pages,
// in the connection that commits: the server's, on its event loop. A checkpoint copies those pages
// and fsyncs the database file. Measured with a 1 ms timer in kcp during the fairness bench
// (600-800 creates/s): the loop stopped for 33-56 ms every 0.3-0.4 s, and every request waited.
//
// So the server's connection checkpoints only as a safety net (SAFETY_AUTOCHECKPOINT_PAGES), and a
// worker thread with its own connection (checkpoint-worker.ts) runs a PASSIVE checkpoint every
// CHECKPOINT_INTERVAL_MS: it waits for no one. SQLite starts the WAL over only at a commit that
// follows a *complete* checkpoint, and under a stream of commits the worker is always a few frames
// behind (in-process, 60,000 creates grew the WAL to 84-87 MiB, where SQLite's own checkpoints keep
// 4 MiB). So once the WAL holds CATCH_UP_FRAMES, the store holds its commits back (they queue; the
// loop and reads go on) while the worker copies the last frames and syncs, and the next commit
// starts the WAL over. A hold took 14 ms (median; 92 ms at most) beside 800 creates/s, and every
// create waits through it, so catch-ups are rare: every 64 MiB of WAL, not SQLite's 4 MiB (at
// 1,000 frames the holds were 2.4% of the time, the quiet tenant's p99 in the fairness bench). Durability is unchanged (a commit still writes the WAL; a
// checkpoint moves it). If the worker cannot start or dies, the server's connection checkpoints
// as SQLite's default again.

import type { Database } from "bun:sqlite";

/** How often the worker checkpoints. */
export const CHECKPOINT_INTERVAL_MS = 100;
/** The server connection's own automatic checkpoint while the worker runs: pages (about 96 MiB). */
export const SAFETY_AUTOCHECKPOINT_PAGES = 24_000;
/** SQLite's default, restored when the worker is gone. */
const DEFAULT_AUTOCHECKPOINT_PAGES = 1000;
/** How long stop() waits for the worker to close its connection. */
const STOP_WAIT_MS = 2000;
/** WAL frames (pages) past which the commits are held for a catch-up: about 64 MiB. */
export const CATCH_UP_FRAMES = 16_000;
/** The longest hold of the commits for a catch-up the worker does not answer. */
const CATCH_UP_WAIT_MS = 1000;

/** How the store holds its commits back for a catch-up (GroupCommitter's hold and release). */
export interface CommitHold {
  hold(): void;
  release(): void;
}

/** The worker's module: beside this file when run from source, under the binary's root when compiled. */
function workerUrl(): string {
  // `bun build --compile` puts every entry point under /$bunfs/root/, by its path below src/.
  if (import.meta.url.includes("$bunfs")) return "/$bunfs/root/storage/sqlite/checkpoint-worker.ts";
  return new URL("./checkpoint-worker.ts", import.meta.url).href;
}

export class WalCheckpointer {
  /** Checkpoints that found frames in the WAL. */
  completed = 0;
  /** Catch-ups done (commits held while the worker finished a checkpoint). */
  catchUps = 0;
  /** Why the worker stopped checkpointing, once it has. */
  failure: string | undefined;
  private readonly worker: Worker;
  private stopped = false;
  private readonly waiters: (() => void)[] = [];
  /** The timer that ends a catch-up the worker did not answer; set while one runs. */
  private catchUpTimer: ReturnType<typeof setTimeout> | undefined;

  private constructor(
    private readonly db: Database,
    path: string,
    intervalMs: number,
    private readonly commits: CommitHold | undefined,
    private readonly catchUpFrames: number,
  ) {
    this.worker = new Worker(workerUrl());
    this.worker.onmessage = (event: MessageEvent) => this.onMessage(event.data);
    this.worker.onerror = (event) => this.fail(`checkpoint worker failed: ${event.message}`);
    db.run(`PRAGMA wal_autocheckpoint = ${SAFETY_AUTOCHECKPOINT_PAGES}`);
    this.worker.postMessage({ path, intervalMs });
  }

  /** Checkpoints of the store `db` (opened from `path`) in a worker from now on. */
  static start(
    db: Database,
    path: string,
    commits?: CommitHold,
    opts: { intervalMs?: number; catchUpFrames?: number } = {},
  ): WalCheckpointer {
    return new WalCheckpointer(
      db,
      path,
      opts.intervalMs ?? CHECKPOINT_INTERVAL_MS,
      commits,
      opts.catchUpFrames ?? CATCH_UP_FRAMES,
    );
  }

  /** Resolves after the next checkpoint that found frames (tests). */
  nextCheckpoint(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private onMessage(msg: unknown): void {
    if (msg === "started" || msg === "stopped") return;
    const m = msg as { checkpointed?: boolean; caughtUp?: boolean; log?: number; error?: string };
    if (m.caughtUp) {
      this.endCatchUp();
      this.catchUps++;
    } else if (m.checkpointed) {
      this.completed++;
      for (const w of this.waiters.splice(0)) w();
      if ((m.log ?? 0) >= this.catchUpFrames) this.catchUp();
    } else if (m.error) this.fail(`checkpoint worker: ${m.error}`);
  }

  /** Holds the commits while the worker finishes a checkpoint, so that the next commit restarts the WAL. */
  private catchUp(): void {
    if (!this.commits || this.catchUpTimer !== undefined || this.stopped || this.failure) return;
    this.commits.hold();
    this.catchUpTimer = setTimeout(() => this.endCatchUp(), CATCH_UP_WAIT_MS);
    this.worker.postMessage("catch-up");
  }

  private endCatchUp(): void {
    if (this.catchUpTimer === undefined) return;
    clearTimeout(this.catchUpTimer);
    this.catchUpTimer = undefined;
    this.commits?.release();
  }

  /** The worker is of no use: the server's connection checkpoints by itself again. */
  private fail(why: string): void {
    if (this.stopped || this.failure) return;
    this.failure = why;
    console.error(`storage: ${why}; checkpointing on the main thread again`);
    this.endCatchUp();
    try {
      this.db.run(`PRAGMA wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT_PAGES}`);
    } catch {
      // The store is closed already.
    }
    this.worker.terminate();
  }

  /** Closes the worker's connection (so the last one to close, the server's, can remove the WAL). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.endCatchUp();
    if (this.failure) return;
    const done = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, STOP_WAIT_MS);
      this.worker.onmessage = (event: MessageEvent) => {
        if (event.data === "stopped") {
          clearTimeout(timer);
          resolve();
        }
      };
    });
    this.worker.postMessage("stop");
    await done;
    this.worker.terminate();
  }
}
