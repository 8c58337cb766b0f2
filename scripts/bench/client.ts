// The benchmark's HTTPS client. Every request goes over a kept-alive connection that is reused:
//  - up to 64 concurrent requests, fetch through one Bun.FetchSession per server (kcp's CA
//    trusted). Bun keeps at most 64 idle connections per process, so beyond that fetch would
//    close and reopen connections (TLS handshakes, TIME_WAIT) between requests;
//  - above 64, a node:https Agent with keepAlive and one socket per concurrent request, which
//    keeps every connection (at about three times fetch's client CPU per request).
// Also: a closed-loop worker pool, an open-loop (fixed-rate) scheduler, and the 1 KiB ConfigMaps
// every workload writes.

import https from "node:https";
import { now } from "./stats.ts";

/** Bun's fetch keeps at most this many idle keep-alive connections (per process). */
export const FETCH_POOL_LIMIT = 64;

export interface Target {
  url: string;
  token: string;
  ca: string;
}

export interface Reply {
  status: number;
  /** The body as text (always read completely, so the connection goes back to the pool). */
  body: string;
  /** Milliseconds from sending to having read the whole body. */
  ms: number;
}

export interface ClientOptions {
  /** Concurrent requests this client will have in flight at most (picks the transport). */
  concurrency?: number;
}

export class KcpClient {
  readonly session: Bun.FetchSession;
  private readonly agent: https.Agent | undefined;
  private readonly auth: string;
  /** "fetch" or "node:https agent". */
  readonly transport: string;

  constructor(
    readonly target: Target,
    opts: ClientOptions = {},
  ) {
    this.session = new Bun.FetchSession({ tls: { ca: target.ca }, keepAlive: { idleTimeout: 300 } });
    const concurrency = opts.concurrency ?? 1;
    if (concurrency > FETCH_POOL_LIMIT) {
      this.agent = new https.Agent({
        keepAlive: true,
        maxSockets: concurrency,
        maxFreeSockets: concurrency,
        ca: target.ca,
      });
    }
    this.transport = this.agent ? "node:https agent" : "fetch";
    this.auth = `Bearer ${target.token}`;
  }

  async request(method: string, path: string, body?: string, contentType = "application/json"): Promise<Reply> {
    const headers: Record<string, string> = { Authorization: this.auth, Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = contentType;
    const t0 = now();
    if (this.agent) {
      const agent = this.agent;
      const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = https.request(this.target.url + path, { method, headers, agent }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
          res.on("error", reject);
        });
        req.on("error", reject);
        req.end(body);
      });
      return { status, body: text, ms: now() - t0 };
    }
    const res = await this.session.fetch(this.target.url + path, {
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text, ms: now() - t0 };
  }

  /** A GET whose body the caller reads (streams). */
  open(path: string, signal?: AbortSignal): Promise<Response> {
    return this.session.fetch(this.target.url + path, {
      headers: { Authorization: this.auth, Accept: "application/json" },
      ...(signal ? { signal } : {}),
    });
  }

  get(path: string): Promise<Reply> {
    return this.request("GET", path);
  }

  post(path: string, obj: unknown): Promise<Reply> {
    return this.request("POST", path, JSON.stringify(obj));
  }

  put(path: string, obj: unknown): Promise<Reply> {
    return this.request("PUT", path, JSON.stringify(obj));
  }

  close(): void {
    this.session.close();
    this.agent?.destroy();
  }
}

/** The payload that makes a ConfigMap about 1 KiB of JSON as stored. */
const PAYLOAD_BYTES = 760;

function payload(seed: string): string {
  let s = "";
  while (s.length < PAYLOAD_BYTES) s += `${seed}-abcdefghijklmnopqrstuvwxyz0123456789-`;
  return s.slice(0, PAYLOAD_BYTES);
}

/** A ConfigMap of ~1 KiB (stored JSON, with the metadata the server adds). */
export function configMap(name: string, namespace: string, gen = 0): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace, labels: { app: "bench", shard: String(name.length % 7) } },
    data: { payload: payload(`${name}-${gen}`), generation: String(gen) },
  };
}

export function configMapsPath(namespace: string, cluster?: string): string {
  return `${cluster ? `/clusters/${cluster}` : ""}/api/v1/namespaces/${namespace}/configmaps`;
}

export function namespacesPath(cluster?: string): string {
  return `${cluster ? `/clusters/${cluster}` : ""}/api/v1/namespaces`;
}

/** Create a namespace (201, or 409 if it exists). */
export async function ensureNamespace(client: KcpClient, name: string, cluster?: string): Promise<void> {
  const r = await client.post(namespacesPath(cluster), { apiVersion: "v1", kind: "Namespace", metadata: { name } });
  if (r.status !== 201 && r.status !== 409)
    throw new Error(`creating namespace ${name}: HTTP ${r.status} ${r.body.slice(0, 300)}`);
}

/**
 * Run `count` tasks with `concurrency` workers, each running its tasks one after another (a
 * closed loop). `task(i, worker)` gets the task index and the worker index.
 */
export async function runPool(
  count: number,
  concurrency: number,
  task: (i: number, worker: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, count) }, async (_, w) => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      await task(i, w);
    }
  });
  await Promise.all(workers);
}

/**
 * Start `count` tasks at a fixed rate (an open loop): task i is due at i/rate seconds, whether or
 * not earlier ones finished. `task` gets the time it was due, so latency can be measured from it
 * and a stalled server cannot hide its backlog (no coordinated omission).
 */
export async function runAtRate(
  count: number,
  perSecond: number,
  task: (i: number, dueAt: number) => Promise<void>,
): Promise<void> {
  const start = now() + 5;
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const due = start + (i * 1000) / perSecond;
    const wait = due - now();
    if (wait > 1) await Bun.sleep(wait);
    // Timers may fire a little early: then the request's clock starts when it is sent.
    inflight.push(task(i, Math.max(due, now())));
  }
  await Promise.all(inflight);
}

/** Parse a JSON reply's metadata.resourceVersion. */
export function resourceVersionOf(body: string): string {
  const m = /"resourceVersion":"(\d+)"/.exec(body);
  if (!m) throw new Error(`no resourceVersion in ${body.slice(0, 200)}`);
  return m[1] as string;
}

/** True when a reply or log text mentions SQLite's lock error. */
export function mentionsLocked(text: string): boolean {
  return /database is locked|SQLITE_BUSY/i.test(text);
}
