// The REST client's handling of what a server sends, against a real HTTP server (Bun.serve) that
// misbehaves on purpose: retries on 429, error bodies that are not a Status, watch events split
// across writes, an event larger than the bound, a server that never answers.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { RestClient } from "../../src/client/rest-client.ts";
import { isStatusError, StatusError } from "../../src/machinery/status.ts";

let server: ReturnType<typeof Bun.serve>;
let url = "";
let busyCalls = 0;

function stream(parts: (string | number)[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    async start(controller) {
      for (const p of parts) {
        if (typeof p === "number") await Bun.sleep(p);
        else controller.enqueue(enc.encode(p));
      }
      controller.close();
    },
  });
}

beforeAll(() => {
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 30,
    fetch: async (req) => {
      const path = new URL(req.url).pathname;
      if (path === "/busy") {
        busyCalls++;
        if (busyCalls === 1) return new Response("slow down", { status: 429, headers: { "Retry-After": "1" } });
        return Response.json({ ok: true });
      }
      if (path === "/proxy-error") return new Response("<html>bad gateway</html>", { status: 502 });
      if (path === "/status") {
        return Response.json(
          { kind: "Status", apiVersion: "v1", status: "Failure", reason: "Forbidden", message: "no", code: 403 },
          { status: 403 },
        );
      }
      if (path === "/split-watch") {
        const a = JSON.stringify({ type: "ADDED", object: { metadata: { name: "a", resourceVersion: "1" } } });
        const b = JSON.stringify({
          type: "ERROR",
          object: { kind: "Status", apiVersion: "v1", code: 410, reason: "Expired", message: "too old" },
        });
        return new Response(stream([a.slice(0, 10), 20, `${a.slice(10)}\n${b.slice(0, 5)}`, 20, `${b.slice(5)}\n`]));
      }
      if (path === "/huge-watch") {
        const chunk = "x".repeat(1024 * 1024);
        return new Response(stream(['{"type":"ADDED","object":{"x":"', ...Array(17).fill(chunk)]));
      }
      if (path === "/chunked-watch") {
        // A 15 MiB event in 16 KiB chunks, then two small events in one chunk split before a newline.
        const big = JSON.stringify({
          type: "ADDED",
          object: { metadata: { name: "big" }, data: { x: "y".repeat(15 << 20) } },
        });
        const small = (n: string) => JSON.stringify({ type: "MODIFIED", object: { metadata: { name: n } } });
        const text = `${big}\n${small("b")}\n${small("c")}`;
        const parts: string[] = [];
        for (let i = 0; i < text.length; i += 16384) parts.push(text.slice(i, i + 16384));
        return new Response(stream([...parts, "\n"]));
      }
      if (path === "/fast") return Response.json({ ok: true });
      if (path === "/never") {
        await Bun.sleep(5000);
        return new Response("late");
      }
      return new Response("not found", { status: 404 });
    },
  });
  url = `http://127.0.0.1:${server.port}`;
});
afterAll(() => server?.stop(true));

/** The error a request fails with (the test fails if it succeeds). */
function failure(p: Promise<unknown>): Promise<StatusError> {
  return p.then(
    () => {
      throw new Error("expected the request to fail");
    },
    (e: StatusError) => e,
  );
}

test("a 429 with Retry-After is retried", async () => {
  const client = new RestClient({ server: url });
  expect(await client.request({ method: "GET", path: "/busy" })).toEqual({ ok: true });
  expect(busyCalls).toBe(2);
});

test("errors: the server's Status as a StatusError, or one made from the HTTP code", async () => {
  const client = new RestClient({ server: url });
  const forbidden = await failure(client.request({ method: "GET", path: "/status" }));
  expect(forbidden).toBeInstanceOf(StatusError);
  expect([forbidden.code, forbidden.reason, forbidden.message]).toEqual([403, "Forbidden", "no"]);
  const proxy = await failure(client.request({ method: "GET", path: "/proxy-error" }));
  expect(isStatusError(proxy) && proxy.code).toBe(502);
  expect(proxy.message).toContain("bad gateway");
  const missing = await failure(client.request({ method: "GET", path: "/nothing" }));
  expect([missing.code, missing.reason]).toEqual([404, "NotFound"]);
});

test("watch events split across writes are decoded; an ERROR event carries its Status", async () => {
  const client = new RestClient({ server: url });
  const events = [];
  for await (const ev of client.watch("/split-watch", {})) events.push(ev);
  expect(events.map((e) => e.type)).toEqual(["ADDED", "ERROR"]);
  expect(events[0]?.object.metadata.name).toBe("a");
  expect((events[1]?.object as unknown as { code: number } | undefined)?.code).toBe(410);
});

test("a watch event over the size bound ends the watch with an error", async () => {
  const client = new RestClient({ server: url });
  const reading = (async () => {
    for await (const _ of client.watch("/huge-watch", {})) {
      // nothing arrives
    }
  })();
  await expect(reading).rejects.toThrow(/larger than 16777216 bytes/);
});

test("a server that does not answer in time is an error naming the request", async () => {
  const client = new RestClient({ server: url, timeoutMs: 100 });
  await expect(client.request({ method: "GET", path: "/never" })).rejects.toThrow(
    `GET ${url}/never: no answer within 100 ms`,
  );
});

test("an event arriving in many chunks is decoded whole, and the events after it", async () => {
  const rest = new RestClient({ server: url, qps: 0 });
  const got: string[] = [];
  for await (const ev of rest.watch("/chunked-watch", {})) {
    const x = (ev.object as { data?: { x?: string } }).data?.x;
    got.push(`${ev.type} ${ev.object.metadata.name}${x ? ` ${x.length}` : ""}`);
  }
  expect(got).toEqual([`ADDED big ${15 << 20}`, "MODIFIED b", "MODIFIED c"]);
});

test("the request timeout starts after the rate limiter lets the request go", async () => {
  // One request a second, 300 ms each: the second waits about a second for its turn, then answers at once.
  const rest = new RestClient({ server: url, qps: 1, burst: 1, timeoutMs: 300 });
  const answers = await Promise.all([
    rest.request({ method: "GET", path: "/fast" }),
    rest.request({ method: "GET", path: "/fast" }),
  ]);
  expect(answers).toEqual([{ ok: true }, { ok: true }]);
});
