// The largest value a write may store: etcd refuses requests over 1.5 MiB by default
// (--max-request-bytes), and SQLite, which has no such limit of its own, keeps the same one so an
// object that is stored on one backend is stored on the other. kcp checks it before the write on
// both (`kcp start --max-object-size`); the HTTP layer answers 413 (src/server/storage-errors.ts).

import { DEFAULT_MAX_OBJECT_BYTES } from "../machinery/request-limits.ts";
import { ValueTooLargeError } from "./interface.ts";

/** etcd's default request size limit. */
export const DEFAULT_MAX_VALUE_BYTES = DEFAULT_MAX_OBJECT_BYTES;

/** Throws ValueTooLargeError when `value` (as UTF-8) is over `max` bytes. */
export function checkValueSize(value: string | Uint8Array, max: number): void {
  // A string of n UTF-16 units is at most 3n bytes: most values need no count.
  if (typeof value === "string" && value.length * 3 <= max) return;
  const bytes = typeof value === "string" ? Buffer.byteLength(value, "utf8") : value.byteLength;
  if (bytes > max) throw new ValueTooLargeError(`the object is ${bytes} bytes, over the limit of ${max} bytes`);
}
