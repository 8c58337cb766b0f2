// Unary KV calls (etcdserverpb.KV Range, Txn, Compact) as plain gRPC over node:http2, with the
// messages encoded by hand (etcd-proto.ts). Two other ways were slower: etcd3's own gRPC client
// (grpc-js) costs 120–150 µs of client CPU per call under Bun, this one about 40; and etcd's JSON
// gateway (`POST /v3/kv/...` with fetch, the transport before this one) is cheap for the client
// but not for etcd, which decodes the JSON and forwards each call to its own gRPC server over a
// loopback connection (kcp creates/s on etcd: +33% with this client; large lists 4x faster).
// Watches stay on the etcd3 client (etcd-watch.ts, keyspace-feed.ts).
//
// One HTTP/2 connection per member, opened on first use and again after it is lost. Calls go to
// one member and move to the next after a failure of the transport or a deadline (as etcd3
// does). Answers and failures keep etcd3's shapes and error classes (IRangeResponse,
// ITxnResponse: keys and values as Buffers, int64 as decimal strings): etcd's refusals (a gRPC
// status) go through etcd3's castGrpcError; a call that fails in transit is GRPCUnavailableError,
// a deadline GRPCDeadlineExceededError, a call cut by close() ClientClosedError. For a write, all
// three mean "may have applied" to the storage. TLS uses the same CA, client certificate and
// host check as the watch client (etcd-client-options.ts).

import http2 from "node:http2";
import { isIP } from "node:net";
import type { PeerCertificate } from "node:tls";
import {
  castGrpcError,
  ClientClosedError,
  GRPCDeadlineExceededError,
  GRPCInternalError,
  GRPCUnavailableError,
  type ICompactionRequest,
  type ICompactionResponse,
  type IRangeRequest,
  type IRangeResponse,
  type ITxnRequest,
  type ITxnResponse,
} from "etcd3";
import { errorMessage } from "./etcd-errors.ts";
import {
  decodeCompactionResponse,
  decodeRangeResponse,
  decodeTxnResponse,
  encodeCompactionRequest,
  encodeRangeRequest,
  encodeTxnRequest,
} from "./etcd-proto.ts";

/** The unary calls the storage makes; etcd3's `client.kv` has the same shape. */
export interface KvCalls {
  range(req: IRangeRequest, opts?: { deadline?: number | Date }): Promise<IRangeResponse>;
  txn(req: ITxnRequest, opts?: { deadline?: number | Date }): Promise<ITxnResponse>;
  compact(req: ICompactionRequest, opts?: { deadline?: number | Date }): Promise<ICompactionResponse>;
}

export interface GrpcTls {
  ca: Buffer | null;
  cert: Buffer | null;
  key: Buffer | null;
  /** The server name sent in the handshake to members named by an IP address (Bun refuses one there). */
  servername: string;
  /** Checks a member's certificate against its host (IP SANs included). */
  checkServerIdentity: (host: string, cert: PeerCertificate) => Error | undefined;
}

/** Ask a member whose call timed out for a ping at most this often (etcd counts frequent pings as abuse). */
const PING_INTERVAL_MS = 5000;

interface Member {
  session: http2.ClientHttp2Session;
  lastPing: number;
}

interface Pending {
  stream: http2.ClientHttp2Stream | null;
  fail: (err: Error) => void;
}

export class GrpcKv implements KvCalls {
  private next: number;
  private closed = false;
  private readonly members = new Map<string, Member>();
  private readonly pending = new Set<Pending>();

  constructor(
    private readonly endpoints: string[],
    private readonly timeoutMs: number,
    private readonly tls?: GrpcTls,
  ) {
    if (endpoints.length === 0) throw new Error("etcd: no endpoints given");
    this.next = Math.floor(Math.random() * endpoints.length);
  }

  range(req: IRangeRequest, opts?: { deadline?: number | Date }): Promise<IRangeResponse> {
    return this.call("/etcdserverpb.KV/Range", encodeRangeRequest(req), decodeRangeResponse, opts?.deadline);
  }

  txn(req: ITxnRequest, opts?: { deadline?: number | Date }): Promise<ITxnResponse> {
    return this.call("/etcdserverpb.KV/Txn", encodeTxnRequest(req), decodeTxnResponse, opts?.deadline);
  }

  compact(req: ICompactionRequest, opts?: { deadline?: number | Date }): Promise<ICompactionResponse> {
    return this.call(
      "/etcdserverpb.KV/Compact",
      encodeCompactionRequest(req),
      decodeCompactionResponse,
      opts?.deadline,
    );
  }

  /** Ends calls in flight with ClientClosedError, refuses new ones, closes the connections. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of [...this.pending]) p.fail(new ClientClosedError("etcd"));
    for (const m of this.members.values()) m.session.destroy();
    this.members.clear();
  }

  private call<T>(path: string, frame: Buffer, decode: (body: Buffer) => T, deadline?: number | Date): Promise<T> {
    if (this.closed) return Promise.reject(new ClientClosedError("etcd"));
    const endpoint = this.endpoints[this.next] as string;
    const ms = Math.max(1, (deadline === undefined ? Date.now() + this.timeoutMs : Number(deadline)) - Date.now());
    return new Promise<T>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let status: string | undefined;
      let message: string | undefined;
      let httpStatus = 0;
      let failure: Error | undefined;
      let settled = false;
      const pending: Pending = {
        stream: null,
        fail: (err) => {
          if (settled) return;
          settle();
          pending.stream?.close(http2.constants.NGHTTP2_CANCEL);
          reject(err);
        },
      };
      const timer = setTimeout(() => {
        if (settled) return;
        pending.fail(new GRPCDeadlineExceededError(`etcd: deadline exceeded (${path})`));
        // The next call tries another member; this one's connection is checked (it may be dead
        // without having noticed: nothing comes back from a vanished host).
        this.failover(endpoint);
        this.checkMember(endpoint, member);
      }, ms);
      const settle = () => {
        settled = true;
        clearTimeout(timer);
        this.pending.delete(pending);
      };
      this.pending.add(pending);

      let member: Member | undefined;
      let stream: http2.ClientHttp2Stream;
      try {
        member = this.member(endpoint);
        stream = member.session.request(
          {
            ":method": "POST",
            ":path": path,
            "content-type": "application/grpc",
            te: "trailers",
            "grpc-timeout": `${Math.min(ms, 99_999_999)}m`,
          },
          { endStream: false },
        );
      } catch (err) {
        this.failover(endpoint);
        pending.fail(new GRPCUnavailableError(`etcd: ${endpoint} unreachable: ${errorMessage(err)}`));
        return;
      }
      pending.stream = stream;
      stream.on("response", (headers) => {
        httpStatus = Number(headers[":status"] ?? 0);
        // A "trailers-only" answer (a refusal) carries the status in its headers.
        if (headers["grpc-status"] !== undefined) {
          status = String(headers["grpc-status"]);
          message = headerText(headers["grpc-message"]);
        }
      });
      stream.on("data", (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
      });
      stream.on("trailers", (trailers) => {
        // Trailers without a status leave the one the headers may have carried.
        if (trailers["grpc-status"] === undefined) return;
        status = String(trailers["grpc-status"]);
        message = headerText(trailers["grpc-message"]);
      });
      stream.on("error", (err) => {
        failure ??= err;
      });
      stream.on("close", () => {
        if (settled) return;
        settle();
        if (this.closed) {
          reject(new ClientClosedError("etcd"));
          return;
        }
        if (status === "0") {
          try {
            resolve(decode(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size)));
          } catch (err) {
            reject(new GRPCInternalError(`etcd: unreadable answer to ${path}: ${errorMessage(err)}`));
          }
          return;
        }
        if (status === undefined || status === "") {
          this.failover(endpoint);
          const why = failure
            ? errorMessage(failure)
            : httpStatus
              ? `HTTP ${httpStatus} without a gRPC status`
              : `stream closed (code ${stream.rstCode ?? "?"})`;
          reject(new GRPCUnavailableError(`etcd: ${endpoint} unreachable: ${why}`));
          return;
        }
        const code = Number(status);
        if (code === 14) this.failover(endpoint);
        reject(castGrpcError(Object.assign(new Error(message || `gRPC status ${code}`), { code })));
      });
      stream.end(frame);
    });
  }

  private failover(endpoint: string): void {
    if (this.endpoints[this.next] === endpoint) this.next = (this.next + 1) % this.endpoints.length;
  }

  /** The member's connection, opened if there is none (or it is closing). */
  private member(endpoint: string): Member {
    const known = this.members.get(endpoint);
    if (known && !known.session.closed && !known.session.destroyed) return known;
    // HTTP/2's default flow-control windows: under Bun 1.4, setLocalWindowSize() on a client
    // session stops the stream windows from being replenished (answers past one window stall).
    const session = http2.connect(endpoint, {
      settings: { enablePush: false },
      ...(this.tls ? this.tlsOptions(endpoint, this.tls) : {}),
    });
    const m: Member = { session, lastPing: 0 };
    const forget = () => {
      if (this.members.get(endpoint) === m) this.members.delete(endpoint);
    };
    // Errors reach the streams of the session; a session that ends is replaced at the next call.
    session.on("error", forget);
    session.on("close", forget);
    // The member is going away: new calls open a new connection, calls in flight finish.
    session.on("goaway", forget);
    session.unref();
    this.members.set(endpoint, m);
    return m;
  }

  /** After a deadline: drop the connection unless it answers a ping in time. */
  private checkMember(endpoint: string, m: Member | undefined): void {
    if (!m || m.session.destroyed || this.members.get(endpoint) !== m) return;
    const now = Date.now();
    if (now - m.lastPing < PING_INTERVAL_MS) return;
    m.lastPing = now;
    const dead = setTimeout(
      () => {
        if (this.members.get(endpoint) === m) this.members.delete(endpoint);
        m.session.destroy();
      },
      Math.max(1000, this.timeoutMs),
    );
    dead.unref?.();
    try {
      const sent = m.session.ping((err) => {
        if (!err) clearTimeout(dead);
      });
      if (!sent) clearTimeout(dead);
    } catch {
      clearTimeout(dead);
    }
  }

  private tlsOptions(endpoint: string, tls: GrpcTls): http2.SecureClientSessionOptions {
    const host = new URL(endpoint).hostname.replace(/^\[|\]$/g, "");
    return {
      ...(tls.ca ? { ca: tls.ca } : {}),
      ...(tls.cert ? { cert: tls.cert } : {}),
      ...(tls.key ? { key: tls.key } : {}),
      // A member named by a DNS name is asked for by that name (SNI), as proxies that route on it
      // need; an IP address cannot be sent there, so such a member gets the placeholder.
      servername: isIP(host) ? tls.servername : host,
      ALPNProtocols: ["h2"],
      checkServerIdentity: (_name: string, cert: PeerCertificate) => tls.checkServerIdentity(host, cert),
    };
  }
}

function headerText(v: string | string[] | undefined): string | undefined {
  const s = Array.isArray(v) ? v.join(", ") : v;
  if (s === undefined) return undefined;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
