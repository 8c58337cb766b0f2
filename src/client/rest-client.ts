// The REST client every other piece of src/client/ goes through: one server (one ClientConfig),
// JSON requests, watch streams, credentials (token, token file, basic, client certificate, exec
// plugin), TLS as the kubeconfig says, a per-request timeout and client-side rate limit, and the
// server's Status rebuilt as a StatusError so callers branch on code/reason as they would in the
// server. With `config.fetch` (the loopback) requests go to that function instead of a socket.

import { stat, readFile } from "node:fs/promises";
import type { KObject } from "../machinery/object.ts";
import { type Status, StatusError } from "../machinery/status.ts";
import { KCP_VERSION } from "../version.ts";
import {
  type ClientConfig,
  DEFAULT_BURST,
  DEFAULT_QPS,
  DEFAULT_TIMEOUT_MS,
  serverForCluster,
} from "./client-config.ts";
import { ExecCredentialProvider } from "./exec-credential.ts";
import { TokenBucket } from "./rate-limiter.ts";

export interface WatchEvent {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: KObject;
}

export interface RequestOptions {
  method: string;
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  /** Refuse an answer larger than this (default: the config's maxResponseBytes, else MAX_RESPONSE_BYTES). */
  maxResponseBytes?: number;
}

/** A response body larger than this is refused (a list of 100,000 small objects is ~200 MiB). */
export const MAX_RESPONSE_BYTES = 512 * 1024 * 1024;
/** Of an error answer, this much is read (a Status is small; a proxy's error page need not be read whole). */
const MAX_ERROR_BYTES = 1024 * 1024;

/** One watch event may not exceed this (kcp takes request bodies up to 16 MiB; etcd objects 1.5 MiB). */
export const MAX_WATCH_LINE_BYTES = 16 * 1024 * 1024;
/** Retries of a request the server asked to retry later (429, or 503 with Retry-After). */
const MAX_RETRIES = 3;
const MAX_RETRY_AFTER_MS = 10_000;
const WATCH_TYPES = new Set(["ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"]);

/** What the clients of one server share: the rate limit and cached credentials (forCluster keeps them). */
interface Shared {
  limiter: TokenBucket;
  exec?: ExecCredentialProvider;
  tokenFile?: { mtimeMs: number; size: number; token: string };
}

export class RestClient {
  readonly config: ClientConfig;
  private readonly base: string;
  private readonly shared: Shared;

  constructor(config: ClientConfig, shared?: Shared) {
    this.config = config;
    this.base = config.server.replace(/\/+$/, "");
    this.shared = shared ?? {
      limiter: new TokenBucket(config.qps ?? DEFAULT_QPS, config.burst ?? DEFAULT_BURST),
      exec: config.exec ? new ExecCredentialProvider(config.exec, config) : undefined,
    };
  }

  /** A client for logical cluster `name` of the same server: server URL gets /clusters/<name> (replacing one already there). */
  forCluster(name: string): RestClient {
    return new RestClient({ ...this.config, server: serverForCluster(this.config.server, name) }, this.shared);
  }

  /**
   * A JSON request; resolves the parsed body (undefined when empty). A non-2xx answer throws a
   * StatusError rebuilt from the server's Status; network and TLS failures throw an Error that
   * names the server and the cause.
   */
  async request<T = unknown>(opts: RequestOptions): Promise<T> {
    const timeoutMs = this.config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    for (let attempt = 0; ; attempt++) {
      const res = await this.send(opts, opts.signal, timeoutMs);
      if (res.ok) {
        const limit = opts.maxResponseBytes ?? this.config.maxResponseBytes ?? MAX_RESPONSE_BYTES;
        const text = await readBody(res, limit, `${opts.method} ${opts.path}`);
        if (text === "") return undefined as T;
        // Non-resource paths (/healthz, /readyz) answer plain text: that text is the answer.
        if (!(res.headers.get("Content-Type") ?? "").includes("json")) {
          try {
            return JSON.parse(text) as T;
          } catch {
            return text as T;
          }
        }
        return JSON.parse(text) as T;
      }
      const retryAfter = res.headers.get("Retry-After");
      if ((res.status === 429 || (res.status === 503 && retryAfter)) && attempt < MAX_RETRIES) {
        await res.body?.cancel();
        const seconds = Number(retryAfter);
        await Bun.sleep(Math.min(Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 1000, MAX_RETRY_AFTER_MS));
        continue;
      }
      throw await statusErrorOf(res);
    }
  }

  /**
   * A watch stream of decoded events, until the server closes it (or `signal` aborts, or the
   * consumer stops iterating). ERROR events carry a Status (410 Expired: relist). A non-2xx answer
   * to the watch request itself throws a StatusError.
   */
  async *watch(
    path: string,
    query: Record<string, string | undefined>,
    signal?: AbortSignal,
  ): AsyncIterable<WatchEvent> {
    const abort = new AbortController();
    const onAbort = () => abort.abort(signal?.reason);
    if (signal?.aborted) return;
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      let res: Response;
      try {
        res = await this.send({ method: "GET", path, query: { ...query, watch: "true" } }, abort.signal, 0);
      } catch (e) {
        if (abort.signal.aborted) return;
        throw e;
      }
      if (!res.ok) throw await statusErrorOf(res);
      if (!res.body) return;
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      // The line being received, in pieces: only each new chunk is searched for the newline, and
      // the pieces are joined once, so an event arriving in many chunks costs linear time.
      let partial: string[] = [];
      let partialLength = 0;
      try {
        for (;;) {
          let chunk: Awaited<ReturnType<typeof reader.read>>;
          try {
            chunk = await reader.read();
          } catch (e) {
            if (abort.signal.aborted) return;
            throw new Error(`watch ${path} on ${this.base}: ${(e as Error).message}`);
          }
          if (chunk.done) break;
          const text = decoder.decode(chunk.value, { stream: true });
          let start = 0;
          for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", start)) {
            partial.push(text.slice(start, nl));
            const line = partial.length === 1 ? (partial[0] as string) : partial.join("");
            partial = [];
            partialLength = 0;
            start = nl + 1;
            if (line.trim() !== "") yield decodeWatchLine(line);
          }
          if (start < text.length) {
            partial.push(text.slice(start));
            partialLength += text.length - start;
          }
          if (partialLength > MAX_WATCH_LINE_BYTES) {
            throw new Error(`watch ${path} on ${this.base}: an event is larger than ${MAX_WATCH_LINE_BYTES} bytes`);
          }
        }
        partial.push(decoder.decode());
        const rest = partial.join("");
        if (rest.trim() !== "") yield decodeWatchLine(rest);
      } finally {
        abort.abort();
        reader.releaseLock();
      }
    } finally {
      signal?.removeEventListener("abort", onAbort);
      abort.abort();
    }
  }

  /**
   * One HTTP exchange: rate limit, credentials, TLS; a 401 with an exec plugin re-runs it once.
   * The timeout (0: none) starts once the rate limiter lets the request go: a busy client's queue
   * is not the server being slow. The returned response's body is still under it.
   */
  private async send(opts: RequestOptions, caller: AbortSignal | undefined, timeoutMs: number): Promise<Response> {
    const url = this.url(opts.path, opts.query);
    for (let attempt = 0; ; attempt++) {
      await this.shared.limiter.acquire(caller);
      const signal =
        timeoutMs > 0
          ? AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(caller ? [caller] : [])])
          : (caller ?? new AbortController().signal);
      const headers = new Headers({ Accept: "application/json" });
      headers.set("User-Agent", this.config.userAgent ?? `kcp/${KCP_VERSION}`);
      let body: string | undefined;
      if (opts.body !== undefined) {
        body = typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body);
        headers.set("Content-Type", opts.contentType ?? "application/json");
      }
      const creds = await this.credentials();
      if (creds.token) headers.set("Authorization", `Bearer ${creds.token}`);
      else if (this.config.username !== undefined && this.config.password !== undefined) {
        headers.set("Authorization", `Basic ${btoa(`${this.config.username}:${this.config.password}`)}`);
      }
      const init: RequestInit = { method: opts.method, headers, body, signal, redirect: "manual" };
      let res: Response;
      try {
        if (this.config.fetch) {
          res = await this.config.fetch(new Request(url, init));
        } else {
          const tls: Record<string, unknown> = {};
          if (this.config.insecureSkipTlsVerify) tls.rejectUnauthorized = false;
          else if (this.config.caData) tls.ca = this.config.caData;
          if (this.config.tlsServerName) tls.serverName = this.config.tlsServerName;
          if (creds.cert && creds.key) {
            tls.cert = creds.cert;
            tls.key = creds.key;
          }
          res = await fetch(url, { ...init, tls } as RequestInit);
        }
      } catch (e) {
        if (signal.aborted && !caller?.aborted && timeoutMs > 0 && (signal.reason as Error)?.name === "TimeoutError") {
          throw new Error(`${opts.method} ${url}: no answer within ${timeoutMs} ms`);
        }
        if (signal.aborted) throw signal.reason ?? e;
        throw new Error(`${opts.method} ${url}: ${(e as Error).message}`);
      }
      if (res.status === 401 && this.shared.exec && attempt === 0) {
        await res.body?.cancel();
        this.shared.exec.invalidate();
        continue;
      }
      return res;
    }
  }

  private url(path: string, query?: Record<string, string | undefined>): string {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) params.set(k, v);
    const qs = params.toString();
    return `${this.base}${path.startsWith("/") ? path : `/${path}`}${qs ? `?${qs}` : ""}`;
  }

  /** The bearer token or client certificate to present: static, from the token file, or from the exec plugin. */
  private async credentials(): Promise<{ token?: string; cert?: string; key?: string }> {
    const c = this.config;
    if (this.shared.exec) {
      const r = await this.shared.exec.get();
      return {
        token: r.token,
        cert: r.clientCertificateData ?? c.clientCertData,
        key: r.clientKeyData ?? c.clientKeyData,
      };
    }
    const out = { token: c.token, cert: c.clientCertData, key: c.clientKeyData };
    if (!c.token && c.tokenFile) out.token = await this.tokenFromFile(c.tokenFile);
    return out;
  }

  /** The token file's content, re-read when its modification time or size changes. */
  private async tokenFromFile(path: string): Promise<string> {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(path);
    } catch (e) {
      throw new Error(`cannot read tokenFile ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const cached = this.shared.tokenFile;
    if (cached && cached.mtimeMs === info.mtimeMs && cached.size === info.size) return cached.token;
    const token = (await readFile(path, "utf8")).trim();
    this.shared.tokenFile = { mtimeMs: info.mtimeMs, size: info.size, token };
    return token;
  }
}

function decodeWatchLine(line: string): WatchEvent {
  let ev: unknown;
  try {
    ev = JSON.parse(line);
  } catch {
    throw new Error(`watch: an event is not JSON: ${line.slice(0, 100)}`);
  }
  const e = ev as { type?: unknown; object?: unknown };
  if (!e || typeof e !== "object" || typeof e.type !== "string" || !WATCH_TYPES.has(e.type)) {
    throw new Error(`watch: not a watch event: ${line.slice(0, 100)}`);
  }
  if (!e.object || typeof e.object !== "object") throw new Error(`watch: a ${e.type} event has no object`);
  return ev as WatchEvent;
}

const REASONS: Record<number, string> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  406: "NotAcceptable",
  409: "Conflict",
  410: "Expired",
  413: "RequestEntityTooLarge",
  415: "UnsupportedMediaType",
  422: "Invalid",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServiceUnavailable",
  504: "Timeout",
};

/** The StatusError a non-2xx answer stands for: the server's own Status when it sent one. */
export async function statusErrorOf(res: Response): Promise<StatusError> {
  const text = await readBody(res, MAX_ERROR_BYTES, "").catch(() => "");
  try {
    const s = JSON.parse(text) as Partial<Status>;
    if (s && s.kind === "Status") {
      return new StatusError(
        typeof s.code === "number" && s.code > 0 ? s.code : res.status,
        s.reason || REASONS[res.status] || "Unknown",
        s.message || `the server answered ${res.status}`,
        s.details,
      );
    }
  } catch {
    // Not JSON: a proxy's page or plain text.
  }
  const snippet = text.trim().slice(0, 300);
  return new StatusError(
    res.status,
    REASONS[res.status] ?? "Unknown",
    `the server answered ${res.status}${snippet ? `: ${snippet}` : ""}`,
  );
}

/** A Status carried by an ERROR watch event, as a StatusError. */
export function statusErrorOfEvent(ev: WatchEvent): StatusError {
  const s = ev.object as unknown as Partial<Status>;
  return new StatusError(s.code ?? 500, s.reason ?? "InternalError", s.message ?? "watch error", s.details);
}

/**
 * A response body as text, refusing one over `limit` bytes (the server may be anyone's: a
 * Cluster's kubeconfig names it). For an error answer (`what` empty) the first `limit` bytes do.
 */
async function readBody(res: Response, limit: number, what: string): Promise<string> {
  if (!res.body) return "";
  const declared = Number(res.headers.get("Content-Length") ?? Number.NaN);
  if (what && declared > limit) {
    await res.body.cancel();
    throw new Error(`${what}: the answer is ${declared} bytes, more than ${limit}`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += chunk.byteLength;
    if (size > limit) {
      if (!what) {
        chunks.push(chunk.subarray(0, chunk.byteLength - (size - limit)));
        break;
      }
      throw new Error(`${what}: the answer is more than ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}
