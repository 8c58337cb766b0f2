// Connections under hostile clients (issue 16, item 5), over real TLS sockets to a real server:
// a body trickled a byte at a time gets its 504 and the connection ends; idle connections end; an
// answer before the body was read closes the connection, other errors keep it alive; each user's
// watches are capped (429 with Retry-After) and the cap frees up as watches end. The server runs
// with --request-timeout 2s so the deadlines come within seconds.

import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type TLSSocket } from "node:tls";
import { type KcpProcess, useKcp } from "../helpers/kcp-process.ts";

let kcp: KcpProcess;
const BOB = "bob-token-0123456789";

useKcp((k) => (kcp = k), {
  rootDir: (() => {
    const dir = mkdtempSync(join(tmpdir(), "kcp-conns-"));
    writeFileSync(join(dir, "tokens.csv"), `${BOB},bob,uid-bob,"system:masters"\n`);
    return dir;
  })(),
  args: ["--token-auth-file", "tokens.csv", "--request-timeout", "2s", "--max-watches-per-user", "3"],
});

/** One raw TLS connection: everything the server sent, and whether it closed. */
class Conn {
  text = "";
  closed = false;
  private constructor(readonly sock: TLSSocket) {
    sock.on("data", (d: Buffer) => {
      this.text += d.toString();
    });
    sock.on("close", () => {
      this.closed = true;
    });
    sock.on("error", () => {});
  }

  static async open(): Promise<Conn> {
    const ca = await Bun.file(join(kcp.rootDir, "data", "ca.crt")).text();
    return await new Promise<Conn>((resolve, reject) => {
      const sock = connect({ host: "127.0.0.1", port: kcp.port, ca, servername: "localhost" }, () =>
        resolve(new Conn(sock)),
      );
      sock.once("error", reject);
    });
  }

  write(s: string): void {
    if (!this.closed) this.sock.write(s);
  }

  /** Polls until `pred` holds (a deadline, not a timing assertion). */
  async until(pred: (c: Conn) => boolean, what: string, ms = 30_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred(this)) {
      if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms; got:\n${this.text.slice(0, 600)}`);
      await Bun.sleep(50);
    }
  }

  /** The status codes of the answers so far. */
  statuses(): number[] {
    return [...this.text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
  }

  end(): void {
    this.sock.destroy();
  }
}

const auth = (token = kcp.token) => `Authorization: Bearer ${token}\r\n`;
const CONFIGMAPS = "/api/v1/namespaces/default/configmaps";

/** The Status object in an answer (bodies may come chunked: the JSON between the first `{` and the last `}`). */
function statusOf(text: string) {
  const body = text.slice(text.indexOf("\r\n\r\n") + 4);
  return JSON.parse(body.slice(body.indexOf("{"), body.lastIndexOf("}") + 1));
}

describe("slow and idle connections", () => {
  test("a body trickled a byte at a time gets 504 Timeout and its connection ends", async () => {
    const c = await Conn.open();
    c.write(
      `POST ${CONFIGMAPS} HTTP/1.1\r\nHost: x\r\n${auth()}Content-Type: application/json\r\nContent-Length: 4000\r\n\r\n`,
    );
    const trickle = setInterval(() => c.write(" "), 200);
    try {
      await c.until((x) => x.closed, "connection closed");
    } finally {
      clearInterval(trickle);
    }
    expect(c.statuses()).toEqual([504]);
    const status = statusOf(c.text);
    expect({ kind: status.kind, code: status.code, reason: status.reason }).toEqual({
      kind: "Status",
      code: 504,
      reason: "Timeout",
    });
    expect(status.message).toContain("request did not complete within requested timeout");
  });

  test("an unauthenticated request with a body it did not finish gets 401 and the connection ends", async () => {
    const c = await Conn.open();
    c.write(
      `POST ${CONFIGMAPS} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`,
    );
    await c.until((x) => x.closed, "connection closed");
    expect(c.statuses()).toEqual([401]);
  });

  test("error answers to requests read in full keep the connection alive", async () => {
    const c = await Conn.open();
    try {
      // 404, then a 400 for a malformed body read to its end, then a 200, …: one connection.
      c.write(`GET ${CONFIGMAPS}/no-such HTTP/1.1\r\nHost: x\r\n${auth()}\r\n`);
      await c.until((x) => x.statuses().length === 1, "first answer");
      const body = "{not json";
      c.write(
        `POST ${CONFIGMAPS} HTTP/1.1\r\nHost: x\r\n${auth()}Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      );
      await c.until((x) => x.statuses().length === 2, "second answer");
      c.write(`GET /version HTTP/1.1\r\nHost: x\r\n${auth()}\r\n`);
      await c.until((x) => x.statuses().length === 3, "third answer");
      // A 401 answered before its (whole, promptly sent) body was read: the rest is dropped, the connection stays.
      const cm = JSON.stringify({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "x" },
        data: { a: "b".repeat(100_000) },
      });
      c.write(
        `POST ${CONFIGMAPS} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${cm.length}\r\n\r\n${cm}`,
      );
      await c.until((x) => x.statuses().length === 4, "fourth answer");
      c.write(`GET /version HTTP/1.1\r\nHost: x\r\n${auth()}\r\n`);
      await c.until((x) => x.statuses().length === 5, "fifth answer");
      expect(c.statuses()).toEqual([404, 400, 200, 401, 200]);
      expect(c.closed).toBe(false);
    } finally {
      c.end();
    }
  });

  test("silent connections and idle kept-alive ones are closed; a watch is not", async () => {
    const silent = await Conn.open();
    const partial = await Conn.open();
    partial.write("GET /version HTTP/1.1\r\nHost: x\r\n");
    const kept = await Conn.open();
    kept.write(`GET /version HTTP/1.1\r\nHost: x\r\n${auth()}\r\n`);
    const watch = await Conn.open();
    watch.write(`GET ${CONFIGMAPS}?watch=1 HTTP/1.1\r\nHost: x\r\n${auth()}\r\n`);
    try {
      await kept.until((x) => x.statuses().length === 1, "kept-alive answer");
      await watch.until((x) => x.statuses().length === 1, "watch answer");
      for (const [conn, what] of [
        [silent, "silent connection closed"],
        [partial, "connection with unfinished headers closed"],
        [kept, "idle kept-alive connection closed"],
      ] as const)
        await conn.until((x) => x.closed, what);
      expect(kept.statuses()).toEqual([200]);
      // The watch outlived every one of those and still delivers events.
      expect(watch.closed).toBe(false);
      const res = await fetch(`${kcp.url}${CONFIGMAPS}`, {
        method: "POST",
        headers: { Authorization: `Bearer ${kcp.token}`, "Content-Type": "application/json" },
        body: JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "after-idle" } }),
        tls: { ca: await Bun.file(join(kcp.rootDir, "data", "ca.crt")).text() },
      });
      expect(res.status).toBe(201);
      await watch.until((x) => x.text.includes('"after-idle"'), "watch event");
    } finally {
      watch.end();
    }
  }, 60_000);
});

describe("watches per user", () => {
  const openWatch = async (token: string) => {
    const c = await Conn.open();
    c.write(`GET ${CONFIGMAPS}?watch=1 HTTP/1.1\r\nHost: x\r\n${auth(token)}\r\n`);
    await c.until((x) => x.statuses().length === 1, "watch answer");
    return c;
  };

  test("over the cap a watch is 429 with Retry-After; another user is not held back; ending one frees a place", async () => {
    const held = [await openWatch(kcp.token), await openWatch(kcp.token), await openWatch(kcp.token)];
    const others: Conn[] = [];
    try {
      for (const w of held) expect(w.statuses()).toEqual([200]);
      const over = await openWatch(kcp.token);
      others.push(over);
      expect(over.statuses()).toEqual([429]);
      expect(over.text).toMatch(/\r\nRetry-After: 1\r\n/i);
      const status = statusOf(over.text);
      expect({ code: status.code, reason: status.reason, retry: status.details?.retryAfterSeconds }).toEqual({
        code: 429,
        reason: "TooManyRequests",
        retry: 1,
      });
      // The cap is per user: bob still watches.
      const bob = await openWatch(BOB);
      others.push(bob);
      expect(bob.statuses()).toEqual([200]);
      // Ending a watch frees its place (once the server has seen the connection go).
      held.pop()?.end();
      const deadline = Date.now() + 20_000;
      let again = await openWatch(kcp.token);
      while (again.statuses()[0] === 429 && Date.now() < deadline) {
        again.end();
        await Bun.sleep(100);
        again = await openWatch(kcp.token);
      }
      others.push(again);
      expect(again.statuses()).toEqual([200]);
    } finally {
      for (const c of [...held, ...others]) c.end();
    }
  }, 60_000);
});

describe("flags", () => {
  test.each([
    [["--request-timeout", "500ms"], "--request-timeout must be between 1s and 250s"],
    [["--request-timeout", "5m"], "--request-timeout must be between 1s and 250s"],
    [["--request-timeout", "soon"], "--request-timeout: invalid duration"],
    [["--max-watches-per-user", "-1"], "--max-watches-per-user"],
    [["--max-watches-per-user", "many"], "--max-watches-per-user"],
  ])("kcp start %p exits 1 naming the flag", async (args, message) => {
    const root = mkdtempSync(join(tmpdir(), "kcp-conns-flags-"));
    try {
      const proc = Bun.spawn(
        [process.execPath, join(import.meta.dir, "../../src/main.ts"), "start", "--root-dir", root, ...args],
        { stdout: "pipe", stderr: "pipe" },
      );
      const [out, err, code] = await Promise.all([
        new Response(proc.stdout).text(),
        new Response(proc.stderr).text(),
        proc.exited,
      ]);
      expect(code).toBe(1);
      expect(out + err).toContain(message);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
