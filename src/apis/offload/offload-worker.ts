// The offload worker's entry point (a Bun Worker; a separate entry point of the compiled binary,
// see scripts/build.ts): runs one task of offload-tasks.ts per message and answers with its
// value, or with the Status of what it threw.

import { isStatusError } from "../../machinery/status.ts";
import { TASKS, type TaskName } from "./offload-tasks.ts";
import { splitValue } from "./split-value.ts";

declare const self: Worker;

interface Request {
  id: number;
  task: TaskName;
  input: unknown;
}

self.onmessage = (ev: MessageEvent<Request>) => {
  const { id, task, input } = ev.data;
  try {
    if (!Object.hasOwn(TASKS, task)) throw new Error(`unknown task ${String(task)}`);
    // Input crosses as JSON text or as it is (text and bytes); the value as JSON text in pieces
    // (offload.ts and split-value.ts say why).
    const value = (TASKS[task] as (i: unknown) => unknown)(typeof input === "string" ? JSON.parse(input) : input);
    self.postMessage({ id, ok: true, value: splitValue(value) });
  } catch (e) {
    const error = isStatusError(e)
      ? { status: e.toStatus(), headers: e.headers }
      : { message: e instanceof Error ? e.message : String(e) };
    self.postMessage({ id, ok: false, error });
  }
};
