// The HTTPS listener that accepts TLS client certificates. Bun.serve can request and verify a
// client certificate (`tls.requestCert`) but hands the fetch handler neither the certificate nor
// whether it verified (Bun 1.4: no socket or peer-certificate accessor on the server or the
// request; node:https under Bun has `authorized` but no getPeerCertificate). Bun's TCP sockets
// (Bun.listen with TLS) have both, so this listener terminates TLS in front of Bun.serve and
// passes each connection's bytes through to it over a loopback connection of its own; what the
// handshake verified is kept by the local port of that loopback connection, which is what
// Bun.serve's requestIP() reports as the client's port.
//
// Certificates are requested, never required: a client without one (a bearer token) connects as
// before. A certificate is verified against kcp's CA during the handshake; only a verified one is
// recorded (an unverified one counts as none, as kube-apiserver ignores it).
// The cost is a second pass of every byte through the event loop (docs/performance.md: about
// 0–10 % of req/s on a GET of an object; a node:tls listener cost 10–20 %, so Bun's sockets are used).

import type { X509Certificate } from "node:crypto";
import type { Socket, TCPSocketListener } from "bun";

export interface ClientCertListenerOptions {
  host: string;
  port: number;
  certPem: string;
  keyPem: string;
  /** The CA client certificates must verify against. */
  clientCaPem: string;
  /** The plain-HTTP loopback port Bun.serve listens on. */
  backendPort: number;
}

export interface ClientCertListener {
  port: number;
  /**
   * The verified client certificate of the connection Bun.serve saw coming from the loopback
   * address and port `peer` gives (asked only while some connection has a certificate).
   */
  peerCertificate(peer: () => { address: string; port: number } | null): X509Certificate | undefined;
  /** Stops accepting; open connections end when either side closes them. */
  close(): void;
}
const LOOPBACK = new Set(["127.0.0.1", "::ffff:127.0.0.1"]);
/** Bun.serve's idle timeout, which the listener stood in for before the handshake. */
const HANDSHAKE_TIMEOUT_S = 120;

interface Pipe {
  client: Socket<Pipe>;
  upstream?: Socket<Pipe>;
  cert?: X509Certificate;
  localPort?: number;
  /** Bytes a side could not take yet, by destination; the sending side is paused meanwhile. */
  toUpstream: Uint8Array[];
  toClient: Uint8Array[];
  done: boolean;
}

/** Forward a chunk, queueing what `to` cannot take now (or all of it before `to` is connected). */
function send(to: Socket<Pipe> | undefined, queue: Uint8Array[], chunk: Uint8Array, from: Socket<Pipe>): void {
  if (!to || queue.length) {
    queue.push(new Uint8Array(chunk));
    from.pause();
    return;
  }
  const n = to.write(chunk);
  if (n < chunk.length) {
    queue.push(new Uint8Array(chunk.subarray(Math.max(n, 0))));
    from.pause();
  }
}

/** Write what is queued for `to`; once it is all out, let `from` send again. */
function flush(to: Socket<Pipe>, queue: Uint8Array[], from: Socket<Pipe> | undefined): void {
  while (queue.length) {
    const chunk = queue[0] as Uint8Array;
    const n = to.write(chunk);
    if (n < chunk.length) {
      queue[0] = chunk.subarray(Math.max(n, 0));
      return;
    }
    queue.shift();
  }
  from?.resume();
}

export async function startClientCertListener(opts: ClientCertListenerOptions): Promise<ClientCertListener> {
  const byLocalPort = new Map<number, X509Certificate>();
  // A connection ends as a pair. The port is forgotten while the loopback socket still holds it,
  // so no other connection can have been given that port meanwhile.
  const finish = (p: Pipe) => {
    if (p.done) return;
    p.done = true;
    if (p.localPort !== undefined && byLocalPort.get(p.localPort) === p.cert) byLocalPort.delete(p.localPort);
    p.upstream?.end();
    p.client.end();
  };
  const upstreamHandlers = {
    open(up: Socket<Pipe>) {
      const p = up.data;
      if (p.done) {
        up.end();
        return;
      }
      p.upstream = up;
      p.localPort = up.localPort;
      if (p.cert) byLocalPort.set(p.localPort, p.cert);
      flush(up, p.toUpstream, p.client);
    },
    data(up: Socket<Pipe>, chunk: Uint8Array) {
      send(up.data.client, up.data.toClient, chunk, up);
    },
    drain(up: Socket<Pipe>) {
      flush(up, up.data.toUpstream, up.data.client);
    },
    close(up: Socket<Pipe>) {
      finish(up.data);
    },
    error(up: Socket<Pipe>) {
      finish(up.data);
    },
    connectError(up: Socket<Pipe>) {
      finish(up.data);
    },
  };
  const server: TCPSocketListener<Pipe> = Bun.listen<Pipe>({
    hostname: opts.host,
    port: opts.port,
    tls: { cert: opts.certPem, key: opts.keyPem, ca: opts.clientCaPem, requestCert: true, rejectUnauthorized: false },
    socket: {
      open(client) {
        client.data = { client, toUpstream: [], toClient: [], done: false };
        // A client that never finishes its handshake must not hold a socket for ever; after the
        // handshake, idle connections are Bun.serve's to close (watches switch that off).
        client.timeout(HANDSHAKE_TIMEOUT_S);
      },
      timeout(client) {
        finish(client.data);
      },
      // The backend connection is made once the handshake has settled who the client is.
      handshake(client, success) {
        const p = client.data;
        client.timeout(0);
        if (!success) {
          finish(p);
          return;
        }
        if (client.authorized) p.cert = client.getPeerX509Certificate();
        void Bun.connect<Pipe>({
          hostname: "127.0.0.1",
          port: opts.backendPort,
          data: p,
          socket: upstreamHandlers,
        }).catch(() => finish(p));
      },
      data(client, chunk) {
        send(client.data.upstream, client.data.toUpstream, chunk, client);
      },
      drain(client) {
        const p = client.data;
        if (p.upstream) flush(client, p.toClient, p.upstream);
      },
      close(client) {
        finish(client.data);
      },
      error(client) {
        finish(client.data);
      },
    },
  });
  return {
    port: server.port,
    peerCertificate(peer) {
      if (byLocalPort.size === 0) return undefined;
      const from = peer();
      return from && LOOPBACK.has(from.address) ? byLocalPort.get(from.port) : undefined;
    },
    close() {
      server.stop(false);
    },
  };
}
