// Large requests' CPU work off the event loop: server-side apply, patches and the managed fields
// of writes of large objects, and large YAML bodies run in a worker (offload-worker.ts) so that
// /readyz, watches and other tenants keep being served meanwhile. Small inputs, nearly every
// request, stay inline: crossing to a worker (a structured clone each way) costs more than they do.
//
// One pool per process, made on first use: one worker, two on machines with 4 cores or more,
// and a bounded queue (a request over it is a 429). A worker that dies fails its request with a
// 503; stopOffload (server shutdown) ends the workers and fails what they were doing the same way.

import { availableParallelism } from "node:os";
import { memberCount } from "../../machinery/document-limits.ts";
import { errors, type Status, StatusError } from "../../machinery/status.ts";
import { PoolError, TaskError, WorkerPool } from "../../util/worker-pool.ts";
import { RAW_INPUT, TASKS, type TaskName, type Tasks } from "./offload-tasks.ts";
import { assembleValue, SPLIT_MEMBERS, type SplitValue } from "./split-value.ts";

/** Objects (and patches) with more map members and list items than this are worked on in the worker. */
export const OFFLOAD_MIN_FIELDS = 2_000;
/** YAML bodies longer than this are parsed in the worker; protobuf bodies are decoded there. */
export const OFFLOAD_MIN_YAML_BYTES = 64 * 1024;
/** Protobuf bodies longer than this are decoded in the worker. */
export const OFFLOAD_MIN_PROTOBUF_BYTES = OFFLOAD_MIN_YAML_BYTES;
/** Large requests waiting for the worker at most; more are answered 429. */
export const OFFLOAD_MAX_QUEUE = 16;

let pool: WorkerPool | undefined;
let inlineOnly = false;

/** The worker's module: beside this file when run from source, the binary's own entry point when compiled. */
function workerUrl(): string {
  // `bun build --compile` puts every entry point under /$bunfs/root/, by its path below src/.
  if (import.meta.url.includes("$bunfs")) return "/$bunfs/root/apis/offload/offload-worker.ts";
  return new URL("./offload-worker.ts", import.meta.url).href;
}

function thePool(): WorkerPool {
  pool ??= new WorkerPool({
    url: workerUrl(),
    size: availableParallelism() >= 4 ? 2 : 1,
    maxQueue: OFFLOAD_MAX_QUEUE,
  });
  return pool;
}

/** Whether `values` together hold more than OFFLOAD_MIN_FIELDS members (counted no further). */
export function isLarge(...values: unknown[]): boolean {
  let left = OFFLOAD_MIN_FIELDS;
  for (const v of values) {
    if (v === null || typeof v !== "object") continue;
    left -= memberCount(v, left);
    if (left < 0) return true;
  }
  return false;
}

/** The StatusError a worker reported, or a 500 for anything else it threw. */
function fromTaskError(payload: unknown): StatusError {
  const p = (payload ?? {}) as { status?: Status; headers?: Record<string, string>; message?: string };
  if (p.status) {
    const s = p.status;
    return new StatusError(s.code, s.reason ?? "", s.message ?? "", s.details, p.headers);
  }
  return errors.internal(p.message ?? "the offloaded task failed");
}

function fromPoolError(e: PoolError): StatusError {
  if (e.failure === "busy")
    return errors.tooManyRequests("Too many large requests are being processed, please try again later", 1);
  if (e.failure === "stopped") return errors.serviceUnavailable("The server is shutting down");
  return errors.serviceUnavailable(`The server could not finish this request: ${e.message}`);
}

/**
 * Run `task` in the worker when `large`, else inline. Either way the result is the task's; what
 * it throws is the same StatusError (the worker's crosses as its Status).
 */
export async function runTask<N extends TaskName>(
  task: N,
  input: Parameters<Tasks[N]>[0],
  large: boolean,
): Promise<ReturnType<Tasks[N]>> {
  const inline = TASKS[task] as (i: typeof input) => ReturnType<Tasks[N]>;
  if (!large || inlineOnly) return inline(input);
  try {
    // As JSON text: a string crosses to the worker as one copy, where the structured clone of an
    // object of 40,000 keys took 150 ms of the event loop; JSON.stringify takes ~10 ms. Text and
    // bytes cross as they are. The value comes back in pieces, parsed one per turn of the loop.
    const text = RAW_INPUT.has(task) ? input : await stringifyInSteps(input as Record<string, unknown>);
    const out = await thePool().run<SplitValue>(task, text);
    return (await assembleValue(out, yieldToEventLoop)) as ReturnType<Tasks[N]>;
  } catch (e) {
    if (e instanceof TaskError) throw fromTaskError(e.payload);
    if (e instanceof PoolError) throw fromPoolError(e);
    throw e;
  }
}

/**
 * Whether JSON text is long and holds more than SPLIT_MEMBERS members, judged by its `:` and `,`
 * (counted no further): JSON.parse of it would hold the loop for more than a few milliseconds.
 */
export function jsonIsLarge(text: string): boolean {
  if (text.length <= OFFLOAD_MIN_YAML_BYTES) return false;
  let n = 0;
  for (const sep of [":", ","]) {
    for (let i = text.indexOf(sep); i !== -1; i = text.indexOf(sep, i + 1)) if (++n > SPLIT_MEMBERS) return true;
  }
  return false;
}

/**
 * A JSON body (jsonIsLarge) parsed in the worker and assembled on the loop in steps, with its
 * duplicated keys; syntax and depth errors are the 400 JSON.parse's would be, after `errorPrefix`.
 */
export function parseJsonBody(text: string, errorPrefix: string): Promise<{ value: unknown; duplicates: string[] }> {
  return runTask("parseJson", { text, errorPrefix, duplicates: true }, true);
}

/**
 * `copies` independent values of large JSON text that is known to be valid (a stored object):
 * parsed once in the worker, each copy assembled on the loop in steps.
 */
export async function parseStoredJson(text: string, copies: number): Promise<unknown[]> {
  const input = { text, errorPrefix: "the stored object", duplicates: false };
  if (inlineOnly) return Array.from({ length: copies }, () => TASKS.parseJson(input).value);
  let split: SplitValue;
  try {
    split = await thePool().run<SplitValue>("parseJson", input);
  } catch (e) {
    if (e instanceof TaskError) throw fromTaskError(e.payload);
    if (e instanceof PoolError) throw fromPoolError(e);
    throw e;
  }
  const out: unknown[] = [];
  for (let i = 0; i < copies; i++) {
    if (i > 0) await yieldToEventLoop();
    out.push(((await assembleValue(split, yieldToEventLoop)) as { value: unknown }).value);
  }
  return out;
}

/**
 * JSON.stringify(input), one member at a time with a turn of the loop after each large one (a
 * patch's target and the patch, apply's live object and configuration: ~10 ms each at 1 MiB).
 */
async function stringifyInSteps(input: Record<string, unknown>): Promise<string> {
  const parts: string[] = [];
  for (const key of Object.keys(input)) {
    const json = JSON.stringify(input[key]);
    if (json === undefined) continue;
    parts.push(`${JSON.stringify(key)}:${json}`);
    if (json.length > STEPWISE_MIN_STORED_BYTES) await yieldToEventLoop();
  }
  return `{${parts.join(",")}}`;
}

/** Work everything inline (tests comparing both paths; embedders without workers). */
export function setOffloadInline(inline: boolean): void {
  inlineOnly = inline;
}

/** End the workers (server shutdown): requests they were working on fail with 503; a later large request starts a new one. */
export function stopOffload(): void {
  pool?.stop();
  pool = undefined;
}

/** Tasks running in and waiting for the worker now. */
export function offloadLoad(): { running: number; queued: number } {
  return pool?.load ?? { running: 0, queued: 0 };
}

/** Stored objects longer than this (JSON text) are written in steps, with the event loop served between them. */
export const STEPWISE_MIN_STORED_BYTES = 128 * 1024;

let onYield: ((where: string) => void) | undefined;

/**
 * Have `hook` called at every yieldToEventLoop, before and after the turn, with the caller's
 * place (scripts/bench/loop-hold.ts: which step holds the loop longest); undefined removes it.
 */
export function traceYields(hook: ((where: string) => void) | undefined): void {
  onYield = hook;
}

/** Let timers and I/O run (a macrotask turn): long main-thread work split into steps between these. */
export function yieldToEventLoop(): Promise<void> {
  if (onYield) {
    const hook = onYield;
    const where = (new Error().stack ?? "").split("\n")[2]?.trim().replace(/^at /, "") ?? "";
    hook(`yield in ${where}`);
    return new Promise((resolve) =>
      setImmediate(() => {
        hook(`turn after ${where}`);
        resolve();
      }),
    );
  }
  return new Promise((resolve) => setImmediate(resolve));
}
