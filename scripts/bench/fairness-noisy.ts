// The noisy tenant of the fairness workload, in a process of its own (so that its 200 concurrent
// requests' client CPU does not delay the quiet tenant's clock in the bench process).
//
// Usage: bun fairness-noisy.ts <config.json>; config: { url, ca, token, path, namespace,
// concurrency, seconds, out }. Prints "STARTED", then creates ConfigMaps at `path` with
// `concurrency` workers for `seconds`; a worker answered 429 waits the answer's Retry-After, as
// client-go does. Writes { created, tooMany, tooManyWithRetryAfter, other, otherSample,
// connectionErrors, connectionErrorSample, wallMs } to `out` and prints "DONE".

import { readFileSync, writeFileSync } from "node:fs";
import { configMap, KcpClient } from "./client.ts";
import { now } from "./stats.ts";

interface Config {
  url: string;
  ca: string;
  token: string;
  path: string;
  namespace: string;
  concurrency: number;
  seconds: number;
  out: string;
}

const cfg = JSON.parse(readFileSync(process.argv[2] as string, "utf8")) as Config;
const client = new KcpClient({ url: cfg.url, ca: cfg.ca, token: cfg.token }, { concurrency: cfg.concurrency });
const result = {
  created: 0,
  tooMany: 0,
  tooManyWithRetryAfter: 0,
  other: 0,
  otherSample: "",
  connectionErrors: 0,
  connectionErrorSample: "",
  wallMs: 0,
};
const t0 = now();
const end = t0 + cfg.seconds * 1000;
console.log("STARTED");
let seq = 0;
await Promise.all(
  Array.from({ length: cfg.concurrency }, async (_, w) => {
    while (now() < end) {
      const name = `noisy-${w}-${seq++}`;
      let r: Awaited<ReturnType<typeof client.post>>;
      try {
        r = await client.post(cfg.path, configMap(name, cfg.namespace));
      } catch (err) {
        // A connection the server (or the OS, under load) reset: counted, and the worker goes on.
        result.connectionErrors++;
        if (!result.connectionErrorSample) result.connectionErrorSample = String(err).slice(0, 200);
        await Bun.sleep(100);
        continue;
      }
      if (r.status === 201) result.created++;
      else if (r.status === 429) {
        result.tooMany++;
        // The bench client does not expose headers; kcp's 429 Status carries retryAfterSeconds.
        const m = /"retryAfterSeconds":(\d+)/.exec(r.body);
        if (m) result.tooManyWithRetryAfter++;
        await Bun.sleep(Math.min(end - now(), Number(m?.[1] ?? 1) * 1000));
      } else {
        result.other++;
        if (!result.otherSample) result.otherSample = `HTTP ${r.status} ${r.body.slice(0, 200)}`;
      }
    }
  }),
);
result.wallMs = now() - t0;
client.close();
writeFileSync(cfg.out, JSON.stringify(result));
console.log("DONE");
