// The watchers of the watch workload, in a process of their own (so that fetch may hold more
// than Bun's default 256 requests, and so their CPU shows apart from the writer's).
//
// Usage: bun watch-client.ts <config.json>; config: { url, ca, token, path, watchers, expect,
// timeoutMs, out }. Opens `watchers` watch streams on `path` (which names the starting
// resourceVersion), prints "READY <n>" once every stream answered 200, records every event's
// resourceVersion and arrival time (ms since the epoch, sub-ms), and once each watcher has
// `expect` events (plus a grace period, to catch duplicates) or at the timeout, writes
// { watchers: [{ rvs, at, types, error? }], cpuMs, wallMs } to `out` and prints "DONE".

import { readFileSync, writeFileSync } from "node:fs";

interface Config {
  url: string;
  ca: string;
  token: string;
  path: string;
  watchers: number;
  expect: number;
  timeoutMs: number;
  out: string;
}

interface WatcherResult {
  rvs: string[];
  at: number[];
  types: Record<string, number>;
  error?: string;
}

const cfg = JSON.parse(readFileSync(process.argv[2] as string, "utf8")) as Config;
const session = new Bun.FetchSession({ tls: { ca: cfg.ca }, keepAlive: false });
const epochNow = () => performance.timeOrigin + performance.now();
const results: WatcherResult[] = Array.from({ length: cfg.watchers }, () => ({ rvs: [], at: [], types: {} }));
const aborts = Array.from({ length: cfg.watchers }, () => new AbortController());
let complete = 0;
let allComplete: () => void = () => {};
const completed = new Promise<void>((r) => {
  allComplete = r;
});

function onLine(w: number, line: string, at: number): void {
  const r = results[w] as WatcherResult;
  const typeEnd = line.indexOf('"', 9);
  const type = line.slice(9, typeEnd);
  r.types[type] = (r.types[type] ?? 0) + 1;
  if (type === "BOOKMARK") return;
  const m = /"resourceVersion":"(\d+)"/.exec(line);
  r.rvs.push(m ? (m[1] as string) : "?");
  r.at.push(at);
  if (r.rvs.length === cfg.expect) {
    complete++;
    if (complete === cfg.watchers) allComplete();
  }
}

async function openWatch(w: number): Promise<ReadableStream<Uint8Array>> {
  const res = await session.fetch(cfg.url + cfg.path, {
    headers: { Authorization: `Bearer ${cfg.token}`, Accept: "application/json" },
    signal: (aborts[w] as AbortController).signal,
  });
  if (res.status !== 200) throw new Error(`watch ${w}: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
  return res.body as ReadableStream<Uint8Array>;
}

async function pump(w: number, body: ReadableStream<Uint8Array>): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        (results[w] as WatcherResult).error ??= "stream ended";
        return;
      }
      const at = epochNow();
      buf += decoder.decode(value, { stream: true });
      let start = 0;
      let nl = buf.indexOf("\n");
      while (nl >= 0) {
        if (nl > start) onLine(w, buf.slice(start, nl), at);
        start = nl + 1;
        nl = buf.indexOf("\n", start);
      }
      buf = buf.slice(start);
    }
  } catch (e) {
    if (!(aborts[w] as AbortController).signal.aborted) (results[w] as WatcherResult).error = (e as Error).message;
  }
}

const bodies: ReadableStream<Uint8Array>[] = new Array(cfg.watchers);
const BATCH = 100;
for (let i = 0; i < cfg.watchers; i += BATCH) {
  const ids = Array.from({ length: Math.min(BATCH, cfg.watchers - i) }, (_, k) => i + k);
  await Promise.all(
    ids.map(async (w) => {
      const timer = setTimeout(() => console.error(`watch ${w}: no response after 30 s`), 30_000);
      bodies[w] = await openWatch(w);
      clearTimeout(timer);
    }),
  );
  console.error(`opened ${i + ids.length}`);
}
const pumps = bodies.map((b, w) => pump(w, b));
console.log(`READY ${cfg.watchers}`);
const cpu0 = process.cpuUsage();
const wall0 = performance.now();

if (cfg.expect === 0) allComplete();
await Promise.race([completed.then(() => Bun.sleep(500)), Bun.sleep(cfg.timeoutMs)]);
for (const a of aborts) a.abort();
await Promise.race([Promise.all(pumps), Bun.sleep(2000)]);
const cpu = process.cpuUsage(cpu0);
writeFileSync(
  cfg.out,
  JSON.stringify({ watchers: results, cpuMs: (cpu.user + cpu.system) / 1000, wallMs: performance.now() - wall0 }),
);
console.log("DONE");
session.close();
process.exit(0);
