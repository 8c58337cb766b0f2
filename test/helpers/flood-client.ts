// A flood of concurrent creates as one user, in a process of its own (test/e2e/fairness.test.ts):
// Bun's fetch keeps at most 256 requests in flight per process unless BUN_CONFIG_MAX_HTTP_REQUESTS
// says more, and overflowing a flow's queue of 300 needs more than that at once.
//
// First it holds the flow's seat (share 1 on the server) with a create whose body stops halfway, so
// every other request waits in the queue or is refused; once the refusals are in (all but `queue`
// answered, or 30 s) it prints "FULL", waits for a line on stdin, finishes the held body, and
// prints one JSON line: every answer's status, Retry-After and body.
//
// Usage: BUN_CONFIG_MAX_HTTP_REQUESTS=1024 bun test/helpers/flood-client.ts <config.json>
//   config: { url, token, caFile, path, count, queue }

interface Config {
  url: string;
  token: string;
  caFile: string;
  path: string;
  count: number;
  /** The flow's queue length: that many stay waiting, the rest are refused. */
  queue: number;
}

const cfg = JSON.parse(await Bun.file(process.argv[2] as string).text()) as Config;
const ca = await Bun.file(cfg.caFile).text();
const headers = { Authorization: `Bearer ${cfg.token}`, "Content-Type": "application/json" };
const body = (name: string) => JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name } });
const tag = crypto.randomUUID().slice(0, 8);

let release: () => void = () => {};
const released = new Promise<void>((resolve) => {
  release = resolve;
});
const held = body(`held-${tag}`);
const half = Math.floor(held.length / 2);
const holder = fetch(`${cfg.url}${cfg.path}`, {
  method: "POST",
  headers,
  duplex: "half",
  tls: { ca },
  body: new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(new TextEncoder().encode(held.slice(0, half)));
      await released;
      controller.enqueue(new TextEncoder().encode(held.slice(half)));
      controller.close();
    },
  }),
} as RequestInit).then(async (r) => ({
  status: r.status,
  retryAfter: r.headers.get("retry-after"),
  body: await r.json(),
}));
// The holder's headers reach the server and take the seat before the flood starts.
await Bun.sleep(300);

let settled = 0;
const answers = Promise.all(
  Array.from({ length: cfg.count }, async (_, i) => {
    const r = await fetch(`${cfg.url}${cfg.path}`, {
      method: "POST",
      headers,
      body: body(`flood-${tag}-${i}`),
      tls: { ca },
    } as RequestInit);
    const answer = { status: r.status, retryAfter: r.headers.get("retry-after"), body: await r.json() };
    settled++;
    return answer;
  }),
);
const deadline = performance.now() + 30_000;
while (settled < cfg.count - cfg.queue && performance.now() < deadline) await Bun.sleep(20);
console.log("FULL");
for await (const _ of console) break;
release();
console.log(JSON.stringify([await holder, ...(await answers)]));

export {};
