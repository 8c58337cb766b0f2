// The waiting of `kcp cluster add` (until Ready), `cluster remove` and `workspace delete` (until
// gone): a probe every half
// second until it has an answer or the --timeout passes. A transient failure (kcp restarting,
// a 5xx, 429, a connection reset) is remembered and the next probe tried, not the end of the
// wait; each probe gets a signal that aborts when the deadline passes, so no request runs past
// --timeout.

import { isStatusError } from "../machinery/status.ts";

const POLL_MS = 500;

/** Errors worth another try: no answer, or an answer that says "not now". */
export function isTransient(e: unknown): boolean {
  if (isStatusError(e)) return e.code >= 500 || e.code === 429;
  return true;
}

export interface PollResult<T> {
  /** The probe's answer, undefined when the deadline passed first. */
  value: T | undefined;
  /** The last transient failure, for the message when the wait runs out. */
  lastError?: Error;
}

/** Runs `probe` until it returns a value or `timeoutMs` passes; non-transient errors are thrown. */
export async function pollUntil<T>(
  timeoutMs: number,
  probe: (signal: AbortSignal) => Promise<T | undefined>,
  pollMs = POLL_MS,
): Promise<PollResult<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: Error | undefined;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) return { value: undefined, ...(lastError ? { lastError } : {}) };
    try {
      const value = await probe(AbortSignal.timeout(left));
      if (value !== undefined) return { value };
    } catch (e) {
      if (!isTransient(e)) throw e;
      lastError = e as Error;
    }
    await Bun.sleep(Math.min(pollMs, Math.max(0, deadline - Date.now())));
  }
}

/**
 * Polls with `get` until it answers 404: the object is gone (its finalizers done). Each answer
 * before that is handed to `seen` (for progress).
 */
export function pollUntilGone<T>(
  timeoutMs: number,
  get: (signal: AbortSignal) => Promise<T>,
  seen?: (obj: T) => void,
): Promise<PollResult<true>> {
  return pollUntil(timeoutMs, async (signal) => {
    let obj: T;
    try {
      obj = await get(signal);
    } catch (e) {
      if (isStatusError(e) && e.code === 404) return true;
      throw e;
    }
    seen?.(obj);
    return undefined;
  });
}
