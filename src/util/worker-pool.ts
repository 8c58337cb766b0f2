// A small pool of Bun Workers for pure CPU work that must not hold up the event loop: a fixed
// number of workers (made on first use), each running one task at a time, and a bounded queue in
// front of them. The caller learns why a task did not run (queue full, worker died, pool stopped)
// from a PoolError, and what a task threw from a TaskError carrying the worker's own payload.
//
// Protocol: the pool posts { id, task, input }; the worker answers { id, ok: true, value } or
// { id, ok: false, error } (see offload-worker.ts for the one worker kcp has).

export type PoolFailure = "busy" | "failed" | "stopped";

export class PoolError extends Error {
  constructor(
    readonly failure: PoolFailure,
    message: string,
  ) {
    super(message);
  }
}

/** What the worker reported for a task that threw. */
export class TaskError extends Error {
  constructor(readonly payload: unknown) {
    super("offloaded task failed");
  }
}

interface Job {
  id: number;
  task: string;
  input: unknown;
  resolve(value: unknown): void;
  reject(e: Error): void;
}

interface Slot {
  worker: Worker;
  job?: Job;
}

interface Reply {
  id: number;
  ok: boolean;
  value?: unknown;
  error?: unknown;
}

export interface WorkerPoolOptions {
  /** The worker's module (a path or URL Bun's Worker accepts). */
  url: string;
  /** Workers at most. */
  size: number;
  /** Tasks waiting for a worker at most; one more is refused ("busy"). */
  maxQueue: number;
}

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private stopped = false;

  constructor(private readonly opts: WorkerPoolOptions) {}

  /** Tasks running and waiting now. */
  get load(): { running: number; queued: number } {
    return { running: this.slots.filter((s) => s.job).length, queued: this.queue.length };
  }

  run<T>(task: string, input: unknown): Promise<T> {
    if (this.stopped) return Promise.reject(new PoolError("stopped", "the server is shutting down"));
    return new Promise<T>((resolve, reject) => {
      const job: Job = { id: this.nextId++, task, input, resolve: resolve as (v: unknown) => void, reject };
      const slot = this.idleSlot();
      if (slot) this.start(slot, job);
      else if (this.queue.length >= this.opts.maxQueue)
        reject(new PoolError("busy", "too many large requests are being worked on"));
      else this.queue.push(job);
    });
  }

  /** Ends every worker; running and queued tasks fail with "stopped". */
  stop(): void {
    this.stopped = true;
    for (const job of this.queue.splice(0)) job.reject(new PoolError("stopped", "the server is shutting down"));
    for (const slot of this.slots.splice(0)) {
      slot.job?.reject(new PoolError("stopped", "the server is shutting down"));
      slot.job = undefined;
      slot.worker.terminate();
    }
  }

  private idleSlot(): Slot | undefined {
    const idle = this.slots.find((s) => !s.job);
    if (idle) return idle;
    if (this.slots.length >= this.opts.size) return undefined;
    const slot = this.spawn();
    this.slots.push(slot);
    return slot;
  }

  private spawn(): Slot {
    const worker = new Worker(this.opts.url);
    // An idle pool must not keep a stopping process alive.
    worker.unref();
    const slot: Slot = { worker };
    worker.onmessage = (ev: MessageEvent<Reply>) => {
      const job = slot.job;
      if (!job || ev.data.id !== job.id) return;
      slot.job = undefined;
      if (ev.data.ok) job.resolve(ev.data.value);
      else job.reject(new TaskError(ev.data.error));
      this.next(slot);
    };
    worker.onerror = (ev: ErrorEvent) => {
      // The worker is gone (a crash, or out of memory): its task fails, a new worker takes the queue.
      ev.preventDefault?.();
      this.replace(slot, ev.message || "the worker failed");
    };
    worker.addEventListener("close", () => {
      if (this.slots.includes(slot)) this.replace(slot, "the worker exited");
    });
    return slot;
  }

  private replace(slot: Slot, why: string): void {
    const job = slot.job;
    slot.job = undefined;
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    slot.worker.terminate();
    job?.reject(new PoolError("failed", why));
    const waiting = this.queue.shift();
    if (waiting && !this.stopped) {
      const fresh = this.spawn();
      this.slots.push(fresh);
      this.start(fresh, waiting);
    } else if (waiting) waiting.reject(new PoolError("stopped", "the server is shutting down"));
  }

  private next(slot: Slot): void {
    const job = this.queue.shift();
    if (job) this.start(slot, job);
  }

  private start(slot: Slot, job: Job): void {
    slot.job = job;
    try {
      slot.worker.postMessage({ id: job.id, task: job.task, input: job.input });
    } catch (e) {
      // Not cloneable (a function in the input): the caller's bug, reported as the task's failure.
      slot.job = undefined;
      job.reject(e as Error);
      this.next(slot);
    }
  }
}
