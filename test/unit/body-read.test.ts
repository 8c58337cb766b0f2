// Request bodies: read in one go when Content-Length is given, as a stream otherwise; the 3 MiB
// limit (413) either way.
import { expect, test } from "bun:test";
import { MAX_BODY_BYTES, readBodyBytes, readBodyText } from "../../src/server/rest/body.ts";
import { StatusError } from "../../src/machinery/status.ts";

function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      for (const x of chunks) c.enqueue(x);
      c.close();
    },
  });
}

async function codeOf(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 0;
  } catch (e) {
    if (e instanceof StatusError) return e.code;
    throw e;
  }
}

test("a body with Content-Length is read whole", async () => {
  const text = JSON.stringify({ metadata: { name: "é" } });
  const req = new Request("https://x/", {
    method: "POST",
    body: text,
    headers: { "content-length": String(Buffer.byteLength(text)) },
  });
  expect(await readBodyText(req)).toBe(text);
});

test("a chunked body is read as a stream", async () => {
  const enc = new TextEncoder();
  const req = new Request("https://x/", { method: "POST", body: streamOf([enc.encode('{"a":'), enc.encode('"b"}')]) });
  expect(req.headers.get("content-length")).toBeNull();
  expect(await readBodyText(req)).toBe('{"a":"b"}');
});

test("over 3 MiB is 413, with or without Content-Length", async () => {
  const big = new Uint8Array(MAX_BODY_BYTES + 1);
  const declared = new Request("https://x/", {
    method: "POST",
    body: big,
    headers: { "content-length": String(big.byteLength) },
  });
  expect(await codeOf(readBodyBytes(declared))).toBe(413);
  const half = new Uint8Array(MAX_BODY_BYTES / 2 + 1);
  const chunked = new Request("https://x/", { method: "POST", body: streamOf([half, half]) });
  expect(await codeOf(readBodyBytes(chunked))).toBe(413);
});

test("no body is empty", async () => {
  expect((await readBodyBytes(new Request("https://x/", { method: "POST" }))).byteLength).toBe(0);
});
