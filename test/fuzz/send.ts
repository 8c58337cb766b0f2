// Sending a fuzz request: through fetch (kept-alive connections, the common case) or as raw bytes
// over TLS when fetch would rewrite the target (dot segments, escapes, raw UTF-8, absolute form).
// A watch's answer is read for a moment only: its status and first bytes are what the oracle needs.

import { connect } from "node:tls";
import type { FuzzRequest } from "./requests.ts";

export interface Server {
  /** https://127.0.0.1:<port> */
  url: string;
  port: number;
  ca: string;
}

export interface Answer {
  status: number;
  contentType: string;
  /** Response headers, names in lower case. */
  headers: Record<string, string>;
  body: Uint8Array;
  /** Why there is no answer (connection refused, reset, timed out). */
  error?: string;
}

const WATCH_READ_MS = 300;

export async function send(server: Server, req: FuzzRequest, timeoutMs: number): Promise<Answer> {
  return req.raw ? sendRaw(server, req, timeoutMs) : sendFetch(server, req, timeoutMs);
}

async function readSome(
  body: ReadableStream<Uint8Array> | null,
  watch: boolean,
  signal: AbortSignal,
): Promise<Uint8Array> {
  if (!body) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let stop = false;
  const timer = watch ? setTimeout(() => (stop = true), WATCH_READ_MS) : undefined;
  try {
    while (!stop && !signal.aborted) {
      const next = watch
        ? await Promise.race([reader.read(), Bun.sleep(WATCH_READ_MS).then(() => ({ done: true, value: undefined }))])
        : await reader.read();
      if (next.done) break;
      if (next.value) chunks.push(next.value);
    }
  } finally {
    clearTimeout(timer);
    await reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks);
}

async function sendFetch(server: Server, req: FuzzRequest, timeoutMs: number): Promise<Answer> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const headers = new Headers();
    for (const [k, v] of req.headers) headers.append(k, v);
    const res = await fetch(`${server.url}${req.target}`, {
      method: req.method,
      headers,
      body: req.body,
      signal: abort.signal,
      redirect: "manual",
      decompress: true,
      tls: { ca: server.ca },
    } as RequestInit);
    const body = await readSome(res.body, req.watch && res.status === 200, abort.signal);
    if (abort.signal.aborted)
      return { status: 0, contentType: "", headers: {}, body, error: `no answer within ${timeoutMs} ms` };
    return {
      status: res.status,
      contentType: res.headers.get("content-type") ?? "",
      headers: Object.fromEntries(res.headers),
      body,
    };
  } catch (e) {
    return {
      status: 0,
      contentType: "",
      headers: {},
      body: new Uint8Array(0),
      error: abort.signal.aborted ? `no answer within ${timeoutMs} ms` : String(e),
    };
  } finally {
    clearTimeout(timer);
  }
}

/** HTTP/1.1 with `Connection: close`: the answer is everything until the server closes. */
async function sendRaw(server: Server, req: FuzzRequest, timeoutMs: number): Promise<Answer> {
  const head = [`${req.method} ${req.target} HTTP/1.1`, "Host: 127.0.0.1", "Connection: close"];
  for (const [k, v] of req.headers) head.push(`${k}: ${v}`);
  if (req.body) head.push(`Content-Length: ${req.body.length}`);
  const bytes = Buffer.concat([Buffer.from(`${head.join("\r\n")}\r\n\r\n`, "utf8"), req.body ?? new Uint8Array(0)]);
  const text = await new Promise<Buffer | string>((resolve) => {
    const chunks: Buffer[] = [];
    const sock = connect({ host: "127.0.0.1", port: server.port, ca: server.ca, servername: "localhost" }, () => {
      sock.write(bytes);
    });
    const done = (v: Buffer | string) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(v);
    };
    const finish = () => done(chunks.length ? Buffer.concat(chunks) : `no answer within ${timeoutMs} ms`);
    let timer = setTimeout(finish, timeoutMs);
    sock.on("data", (d: Buffer) => {
      // A watch streams until its timeout: once it has begun, a moment more of it is enough.
      if (req.watch && chunks.length === 0) {
        clearTimeout(timer);
        timer = setTimeout(finish, WATCH_READ_MS);
      }
      chunks.push(d);
    });
    sock.on("end", () => done(Buffer.concat(chunks)));
    sock.on("error", (e) => done(chunks.length ? Buffer.concat(chunks) : String(e)));
  });
  if (typeof text === "string")
    return { status: 0, contentType: "", headers: {}, body: new Uint8Array(0), error: text };
  const end = text.indexOf("\r\n\r\n");
  const headText = text.subarray(0, end < 0 ? text.length : end).toString("latin1");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(headText)?.[1] ?? 0);
  if (!status)
    return {
      status: 0,
      contentType: "",
      headers: {},
      body: new Uint8Array(0),
      error: `not an HTTP answer: ${JSON.stringify(headText.slice(0, 200))}`,
    };
  const headers: Record<string, string> = {};
  for (const line of headText.split("\r\n").slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const contentType = headers["content-type"] ?? "";
  let body: Uint8Array = end < 0 ? new Uint8Array(0) : text.subarray(end + 4);
  if (/chunked/i.test(headers["transfer-encoding"] ?? "")) body = dechunk(body);
  return { status, contentType, headers, body };
}

function dechunk(data: Uint8Array): Uint8Array {
  const buf = Buffer.from(data);
  const parts: Buffer[] = [];
  let at = 0;
  while (at < buf.length) {
    const eol = buf.indexOf("\r\n", at);
    if (eol < 0) break;
    const size = Number.parseInt(buf.subarray(at, eol).toString("latin1"), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(buf.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
