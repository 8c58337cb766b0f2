// Handing one event to a watcher, shared by the in-memory hub (watch-hub.ts) and the etcd
// watches (etcd/etcd-watch.ts): a watcher's onEvent may answer at once or with a promise, and the
// next event must wait for that promise, so that events arrive one at a time and in order.

import type { WatchEvent } from "./interface.ts";

export function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * Give `ev` to `onEvent`. "done": it was taken at once, deliver the next. "waiting": it answered
 * with a promise; `resume` is called when that settles well, `fail` when it rejects. "failed":
 * it threw, and `fail` has been called.
 */
export function deliverEvent(
  onEvent: (ev: WatchEvent) => void | Promise<void>,
  ev: WatchEvent,
  resume: () => void,
  fail: (err: Error) => void,
): "done" | "waiting" | "failed" {
  let result: void | Promise<void>;
  try {
    result = onEvent(ev);
  } catch (err) {
    fail(asError(err));
    return "failed";
  }
  if (!result || typeof result.then !== "function") return "done";
  // Through a native promise, so that `resume` runs after the caller has noted that it waits, even
  // for a thenable that settles at once.
  Promise.resolve(result).then(resume, (err) => fail(asError(err)));
  return "waiting";
}
