// The unary etcd client's TLS and status handling, against a small HTTP/2 server of our own that
// answers every call with a gRPC refusal: what server name the handshake carries, and which
// status a caller sees.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import http2 from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkServerIdentity, type TLSSocket } from "node:tls";
import { GRPCNotFoundError, GRPCNotImplementedError } from "etcd3";
import { ensureServingCerts, type ServingCerts } from "../../src/pki/certs.ts";
import { GrpcKv } from "../../src/storage/etcd/grpc-kv.ts";

let dir: string;
let certs: ServingCerts;
let server: http2.Http2SecureServer;
let port: number;
/** The server name of each TLS handshake, in order. */
const names: string[] = [];
/** How the server answers the next calls. */
let answer: "trailers-only" | "status in headers, trailers without" = "trailers-only";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kcp-grpc-tls-"));
  certs = await ensureServingCerts(dir);
  server = http2.createSecureServer({ cert: certs.certPem, key: certs.keyPem });
  server.on("secureConnection", (s: TLSSocket) =>
    names.push(String((s as TLSSocket & { servername?: string }).servername)),
  );
  server.on("stream", (stream: http2.ServerHttp2Stream) => {
    if (answer === "trailers-only") {
      stream.respond(
        { ":status": 200, "content-type": "application/grpc", "grpc-status": "12", "grpc-message": "not here" },
        { endStream: true },
      );
      return;
    }
    stream.respond(
      { ":status": 200, "content-type": "application/grpc", "grpc-status": "5", "grpc-message": "no such key" },
      { waitForTrailers: true },
    );
    stream.on("wantTrailers", () => stream.sendTrailers({ "x-note": "no status here" }));
    stream.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as { port: number }).port;
});

afterAll(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

function client(host: string): GrpcKv {
  return new GrpcKv([`https://${host}:${port}`], 2000, {
    ca: Buffer.from(certs.caCertPem),
    cert: null,
    key: null,
    servername: "etcd",
    checkServerIdentity: (h, cert) => checkServerIdentity(h, cert),
  });
}

describe("GrpcKv over TLS", () => {
  test("a member named by a DNS name is asked for by that name; one named by an IP address gets the placeholder", async () => {
    names.length = 0;
    for (const host of ["localhost", "127.0.0.1"]) {
      const kv = client(host);
      try {
        expect(await kv.range({ key: Buffer.from("a") }).catch((e) => e)).toBeInstanceOf(GRPCNotImplementedError);
      } finally {
        kv.close();
      }
    }
    expect(names).toEqual(["localhost", "etcd"]);
  });

  test("a status sent in the headers stands when the trailers carry none", async () => {
    answer = "status in headers, trailers without";
    const kv = client("localhost");
    try {
      const err = await kv.range({ key: Buffer.from("a") }).catch((e) => e);
      expect(err).toBeInstanceOf(GRPCNotFoundError);
      expect((err as Error).message).toContain("no such key");
    } finally {
      kv.close();
      answer = "trailers-only";
    }
  });
});
