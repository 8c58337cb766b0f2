// The offload worker's entry point (a Bun Worker; a separate entry point of the compiled binary,
// see scripts/build.ts): runs one task of offload-tasks.ts per message and answers with its
// value, or with the Status of what it threw.

import { isStatusError } from "../../machinery/status.ts";
import { TASKS, type TaskName } from "./offload-tasks.ts";

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
    // Input and value cross as JSON text (offload.ts says why); "" is undefined.
    const value = (TASKS[task] as (i: unknown) => unknown)(typeof input === "string" ? JSON.parse(input) : input);
    self.postMessage({ id, ok: true, value: value === undefined ? "" : JSON.stringify(value) });
  } catch (e) {
    const error = isStatusError(e)
      ? { status: e.toStatus(), headers: e.headers }
      : { message: e instanceof Error ? e.message : String(e) };
    self.postMessage({ id, ok: false, error });
  }
};
