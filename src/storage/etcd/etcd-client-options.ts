// The etcd clients as the etcd backend needs them: unary KV calls through a lean gRPC client
// (grpc-kv.ts: a third of etcd3's client CPU under Bun), watch streams through the etcd3 gRPC
// client; a deadline on every unary call, no retries or circuit breakers of their own
// (the storage retries, because only it knows when a retried write became ambiguous), fast
// reconnects, and TLS that works under Bun with endpoints given as IP addresses.

import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { checkServerIdentity, type PeerCertificate } from "node:tls";
import * as grpc from "@grpc/grpc-js";
import { Etcd3, type IOptions } from "etcd3";
import { GrpcKv } from "./grpc-kv.ts";

export interface EtcdClientOptions {
  /** Client URLs, `http://host:port` or `https://host:port`. */
  endpoints: string[];
  /** CA bundle that signed the members' serving certificates (PEM). */
  caFile?: string;
  /** Client certificate and key (PEM), when the members require client certificates. */
  certFile?: string;
  keyFile?: string;
  /** Deadline of each unary call, in milliseconds (default 5,000). */
  callTimeoutMs?: number;
}

export const DEFAULT_CALL_TIMEOUT_MS = 5000;

type Policy = NonNullable<NonNullable<IOptions["faultHandling"]>["global"]>;

/**
 * A fault-handling policy that runs each call once. etcd3's defaults retry three times and open a
 * circuit breaker per member; both hide from the caller whether a write was sent more than once.
 */
const runOnce = {
  execute: <T>(fn: (ctx: { signal: AbortSignal; attempt: number }) => T | Promise<T>) =>
    Promise.resolve().then(() => fn({ signal: new AbortController().signal, attempt: 1 })),
} as unknown as Policy;

/**
 * Two clients over separate connections: one for unary calls (grpc-kv.ts), one for watch
 * streams (etcd3). etcd3 closes every channel of a member when a call on it fails
 * with a recoverable error (one deadline is enough); kept apart, a timed-out read or write does
 * not break the watches, and a broken watch does not cancel calls in flight.
 */
export interface EtcdClients {
  unary: GrpcKv;
  streams: Etcd3;
}

export function createEtcdClients(opts: EtcdClientOptions): EtcdClients {
  if (opts.endpoints.length === 0) throw new Error("etcd: no endpoints given");
  const secure = isSecure(opts);
  const tls = secure ? readTls(opts) : undefined;
  const streams = createEtcdClient(opts);
  const endpoints = opts.endpoints.map((e) => withScheme(e, secure));
  const timeout = opts.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  const unary = new GrpcKv(
    endpoints,
    timeout,
    tls
      ? { ...tls, servername: SNI_NAME, checkServerIdentity: (host, cert) => checkServerIdentity(host, cert) }
      : undefined,
  );
  return { unary, streams };
}

function isSecure(opts: EtcdClientOptions): boolean {
  return opts.endpoints.some((e) => e.startsWith("https://")) || opts.caFile !== undefined;
}

/** etcd3 accepts endpoints without a scheme (`host:port`); node:http2 needs one. */
function withScheme(endpoint: string, secure: boolean): string {
  const e = endpoint.replace(/\/+$/, "");
  return /^https?:\/\//.test(e) ? e : `${secure ? "https" : "http"}://${e}`;
}

export function createEtcdClient(opts: EtcdClientOptions): Etcd3 {
  if (opts.endpoints.length === 0) throw new Error("etcd: no endpoints given");
  const timeout = opts.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  const secure = isSecure(opts);
  const tls = secure ? readTls(opts) : undefined;
  const client = new Etcd3({
    hosts: opts.endpoints,
    // Replaced per member below; given here so that etcd3 treats every member as TLS.
    ...(tls?.ca ? { credentials: { rootCertificate: tls.ca } } : {}),
    // Streams (watches) live as long as they are useful; every other call gets a deadline.
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeout }),
    faultHandling: { global: runOnce, host: () => runOnce },
    grpcOptions: {
      // Lists are paged by the storage, but one page of large objects can pass gRPC's 4 MiB default.
      "grpc.max_receive_message_length": -1,
      // A member that restarts is back in about a second: do not back off for minutes.
      "grpc.initial_reconnect_backoff_ms": 100,
      "grpc.max_reconnect_backoff_ms": 1000,
      // Notice a dead connection under an idle watch (etcd allows pings every 5 s or slower).
      "grpc.keepalive_time_ms": 10_000,
      "grpc.keepalive_timeout_ms": 5000,
      // A connection of this client's own, not shared with other clients to the same member.
      "grpc.use_local_subchannel_pool": 1,
      // Only when a member is named by an IP address (the option is the client's, not a member's).
      ...(tls && opts.endpoints.some((e) => isIP(hostOf(stripScheme(e))))
        ? { "grpc.ssl_target_name_override": SNI_NAME }
        : {}),
    },
  });
  if (tls) useVerifiedTls(client, tls);
  return client;
}

/**
 * The server name sent in the TLS handshake to members named by an IP address, which cannot be
 * sent there (etcd serves one certificate and ignores it). Members named by a DNS name are asked
 * for by that name.
 */
const SNI_NAME = "etcd";

interface TlsFiles {
  ca: Buffer | null;
  cert: Buffer | null;
  key: Buffer | null;
}

function readTls(opts: EtcdClientOptions): TlsFiles {
  if ((opts.certFile === undefined) !== (opts.keyFile === undefined)) {
    throw new Error("etcd: a client certificate needs both certFile and keyFile");
  }
  return {
    ca: opts.caFile ? readFileSync(opts.caFile) : null,
    cert: opts.certFile ? readFileSync(opts.certFile) : null,
    key: opts.keyFile ? readFileSync(opts.keyFile) : null,
  };
}

interface PoolHost {
  host: string;
  channelCredentials: grpc.ChannelCredentials;
}

/**
 * grpc-js sends the endpoint's host as the TLS server name, and Bun's TLS refuses an IP address
 * there (Node only warns), so `https://127.0.0.1:2379` cannot connect. Each member gets its own
 * credentials instead: a fixed server name (SNI_NAME) in the handshake, and the certificate
 * checked against the member's real host, IP SANs included. etcd3 offers no hook for this, so
 * it is set on its per-member hosts before the first call creates a channel.
 */
function useVerifiedTls(client: Etcd3, tls: TlsFiles): void {
  const hosts = (client as unknown as { pool: { hosts: PoolHost[] } }).pool.hosts;
  for (const h of hosts) {
    const name = hostOf(h.host);
    h.channelCredentials = grpc.credentials.createSsl(tls.ca, tls.key, tls.cert, {
      checkServerIdentity: (_sni: string, cert: PeerCertificate) => checkServerIdentity(name, cert),
    });
  }
}

/** `https://host:port/` → `host:port`. */
function stripScheme(endpoint: string): string {
  return endpoint.replace(/^[a-z]+:\/\//, "").replace(/\/+$/, "");
}

/** `host:port` or `[v6]:port` → host. */
function hostOf(hostPort: string): string {
  const v6 = /^\[([^\]]+)\](:\d+)?$/.exec(hostPort);
  if (v6) return v6[1] as string;
  const i = hostPort.lastIndexOf(":");
  return i < 0 ? hostPort : hostPort.slice(0, i);
}
