// A list answer written in pieces: JSON.stringify of a page of 1,000 objects of 10 KiB is 10 MiB
// built in one go (20-30 ms of the event loop, and as much again to encode it). Here the items are
// stringified about LIST_CHUNK_BYTES at a time, each chunk sent before the next is made, with a
// turn of the event loop between chunks: the bytes are those JSON.stringify of the whole list gives.
// A list that fits in one chunk is answered as one string, as before. A client that goes away
// cancels the stream: no further chunk is made.

import { yieldToEventLoop } from "../../apis/offload/offload.ts";

/** JSON text of items per chunk, about. */
export const LIST_CHUNK_BYTES = 1024 * 1024;

/** JSON.stringify of the members of `value` (an object) whose values JSON writes, in order. */
function membersJson(value: Record<string, unknown>, keys: string[]): string {
  const part: Record<string, unknown> = {};
  for (const k of keys) part[k] = value[k];
  // "{}" or "{...}": the members without the braces.
  return JSON.stringify(part).slice(1, -1);
}

/**
 * The answer for `body`, whose member `arrayKey` (items, or a Table's rows) is the large array:
 * its text is JSON.stringify(body) exactly, sent in chunks when it is larger than one.
 */
export function jsonListResponse(body: Record<string, unknown>, arrayKey: string): Response {
  const headers = { "Content-Type": "application/json" };
  const array = body[arrayKey];
  if (!Array.isArray(array)) return new Response(JSON.stringify(body), { headers });
  const keys = Object.keys(body);
  const at = keys.indexOf(arrayKey);
  const before = membersJson(body, keys.slice(0, at));
  const after = membersJson(body, keys.slice(at + 1));
  const head = `{${before}${before ? "," : ""}${JSON.stringify(arrayKey)}:[`;
  const tail = `]${after ? "," : ""}${after}}`;
  let next = 0;
  /** The next items' JSON, about LIST_CHUNK_BYTES of it (at least one item). */
  const chunk = (): string => {
    const parts: string[] = [];
    let size = 0;
    while (next < array.length && (size < LIST_CHUNK_BYTES || parts.length === 0)) {
      // An item JSON cannot write (undefined) is null in an array, as JSON.stringify writes it.
      const json = JSON.stringify(array[next]) ?? "null";
      parts.push(next === 0 ? json : `,${json}`);
      size += json.length;
      next++;
    }
    return parts.join("");
  };
  const first = head + chunk();
  if (next >= array.length) return new Response(first + tail, { headers });
  const encoder = new TextEncoder();
  let sent = false;
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!sent) {
        sent = true;
        controller.enqueue(encoder.encode(first));
        return;
      }
      // Others are served between two chunks.
      await yieldToEventLoop();
      if (cancelled) return;
      if (next >= array.length) {
        controller.enqueue(encoder.encode(tail));
        controller.close();
        return;
      }
      controller.enqueue(encoder.encode(chunk()));
    },
    cancel() {
      // The client went away: make no more chunks.
      cancelled = true;
    },
  });
  return new Response(stream, { headers });
}
