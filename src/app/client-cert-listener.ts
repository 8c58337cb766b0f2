// The HTTPS listener that accepts TLS client certificates. Bun.serve can request and verify a
// client certificate (`tls.requestCert`) but hands the fetch handler neither the certificate nor
// whether it verified (Bun 1.4: no socket or peer-certificate accessor on the server or request;
// node:https under Bun has `authorized` but no getPeerCertificate). node:tls does both, so this
// listener terminates TLS in front of Bun.serve and passes each connection's bytes through to it
// over a loopback connection of its own; what the handshake verified is kept by the local port of
// that loopback connection, which is what Bun.serve's requestIP() reports as the client's port.
//
// Certificates are requested, never required: a client without one (a bearer token) connects as
// before. A certificate is verified against kcp's CA during the handshake; only a verified one is
// recorded (an unverified one counts as none, as kube-apiserver ignores it).
// The cost is a second pass of every byte through the event loop: see docs/performance.md.

import type { X509Certificate } from "node:crypto";
import { connect, type Socket } from "node:net";
import { createServer, type TLSSocket } from "node:tls";
import { log } from "../log.ts";

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
  /** The verified client certificate of the connection Bun.serve saw coming from this loopback port. */
  peerCertificate(address: string, port: number): X509Certificate | undefined;
  /** Stops accepting; open connections end when the backend closes them. */
  close(): void;
}

const LOOPBACK = new Set(["127.0.0.1", "::ffff:127.0.0.1"]);

export async function startClientCertListener(opts: ClientCertListenerOptions): Promise<ClientCertListener> {
  const byLocalPort = new Map<number, X509Certificate>();
  const server = createServer(
    {
      cert: opts.certPem,
      key: opts.keyPem,
      ca: opts.clientCaPem,
      requestCert: true,
      rejectUnauthorized: false,
      // Bun.serve behind speaks HTTP/1.1 only; say so rather than let a client offer h2 unanswered.
      ALPNProtocols: ["http/1.1"],
    },
    (client: TLSSocket) => passThrough(client, opts.backendPort, byLocalPort),
  );
  server.on("tlsClientError", (err) => log.debug(`TLS handshake failed: ${err.message}`));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : opts.port;
  return {
    port,
    peerCertificate(remoteAddress, remotePort) {
      if (byLocalPort.size === 0 || !LOOPBACK.has(remoteAddress)) return undefined;
      return byLocalPort.get(remotePort);
    },
    close() {
      server.close();
    },
  };
}

function passThrough(client: TLSSocket, backendPort: number, byLocalPort: Map<number, X509Certificate>): void {
  const cert = client.authorized ? client.getPeerX509Certificate() : undefined;
  const upstream: Socket = connect({ host: "127.0.0.1", port: backendPort, noDelay: true });
  client.setNoDelay(true);
  let localPort: number | undefined;
  // Forget the port while this socket still holds it: no other connection can have it meanwhile.
  const forget = () => {
    if (localPort !== undefined && byLocalPort.get(localPort) === cert) byLocalPort.delete(localPort);
    localPort = undefined;
  };
  upstream.once("connect", () => {
    localPort = upstream.localPort;
    if (cert && localPort !== undefined) byLocalPort.set(localPort, cert);
    // Bytes flow only once the port is recorded: the backend cannot see a request before it.
    client.pipe(upstream);
    upstream.pipe(client);
  });
  upstream.once("end", forget);
  upstream.once("close", () => {
    forget();
    client.destroy();
  });
  upstream.on("error", () => {
    forget();
    client.destroy();
  });
  client.on("error", () => upstream.destroy());
  client.once("close", () => {
    forget();
    upstream.destroy();
  });
}
