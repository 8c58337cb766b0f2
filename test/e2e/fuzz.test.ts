// The fuzz test (issue 16, item 7) against a real kcp: first the regression list (requests that
// once broke the server, replayed exactly), then a seeded run of generated and mutated requests
// over every endpoint (test/fuzz/). KCP_FUZZ_SEED picks the seed (else a random one, printed on
// failure with each failing request and the command that replays it); KCP_FUZZ_CASES the count.
// Longer runs: `npm run fuzz -- --seed N --cases 100000`.

import { beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { describeFailure, type FuzzTarget, prepareCluster, runFuzz, summary } from "../fuzz/fuzz-run.ts";
import { judge } from "../fuzz/oracle.ts";
import { parseSeed } from "../fuzz/random.ts";
import { REGRESSIONS, type Step } from "../fuzz/regressions.ts";
import type { FuzzRequest } from "../fuzz/requests.ts";
import { send } from "../fuzz/send.ts";
import { type KcpProcess, useKcp } from "../helpers/kcp-process.ts";

let kcp: KcpProcess;
let target: FuzzTarget;
const REGRESSION_CLUSTER = "fuzz-regressions";

useKcp((k) => (kcp = k));

beforeAll(async () => {
  const ca = await Bun.file(join(kcp.rootDir, "data", "ca.crt")).text();
  target = { url: kcp.url, port: kcp.port, ca, token: kcp.token };
  await prepareCluster(target, REGRESSION_CLUSTER);
});

async function replay(step: Step): Promise<string | undefined> {
  const body = typeof step.body === "string" ? new TextEncoder().encode(step.body) : step.body;
  const req: FuzzRequest = {
    seed: -1,
    index: -1,
    method: step.method,
    target: step.target.replaceAll("{c}", REGRESSION_CLUSTER),
    headers: [
      ...(step.anonymous ? [] : ([["Authorization", `Bearer ${kcp.token}`]] as [string, string][])),
      ...Object.entries(step.headers ?? {}),
    ],
    body,
    raw: step.raw === true,
    watch: false,
    notes: [],
  };
  const ans = await send(target, req, 30_000);
  const where = `${req.method} ${req.target.slice(0, 120)}`;
  if (ans.status !== step.expect)
    return `${where}: ${ans.status} (${ans.error ?? Buffer.from(ans.body.subarray(0, 300)).toString()}), want ${step.expect}`;
  const verdict = judge(req, ans);
  if (verdict) return `${where}: ${verdict}`;
  if (step.check) {
    const json = ans.body.length ? JSON.parse(Buffer.from(ans.body).toString()) : undefined;
    const wrong = step.check(json, ans.headers);
    if (wrong) return `${where}: ${wrong}`;
  }
  return undefined;
}

describe("regressions", () => {
  test.each(REGRESSIONS.map((r) => [r.name, r] as const))("%s", async (_name, r) => {
    const problems: string[] = [];
    for (const step of r.steps) {
      const p = await replay(step);
      if (p) problems.push(p);
    }
    expect(problems).toEqual([]);
    expect(kcp.output()).not.toContain("Internal error");
  });
});

test("generated requests get 2xx or 4xx with a Status, the server stays up, within memory and within each cluster", async () => {
  const seed = parseSeed(process.env.KCP_FUZZ_SEED);
  const cases = Number(process.env.KCP_FUZZ_CASES ?? 2000);
  const workers = 4;
  const rep = await runFuzz(target, { seed, cases, workers });
  const report = [
    summary(rep),
    ...rep.failures.map((f) => describeFailure(f, workers)),
    ...rep.outside.map((o) => `written outside the workers' clusters: ${o}`),
  ].join("\n");
  if (rep.failures.length || rep.outside.length || !rep.alive) console.log(`KCP_FUZZ_SEED=${seed}\n${report}`);
  expect({ seed, failures: rep.failures.map((f) => f.reason), outside: rep.outside, alive: rep.alive }).toEqual({
    seed,
    failures: [],
    outside: [],
    alive: true,
  });
  expect(rep.sent).toBe(cases);
  expect(rep.rss.endMiB).toBeLessThanOrEqual(rep.rss.boundMiB);
}, 180_000);
