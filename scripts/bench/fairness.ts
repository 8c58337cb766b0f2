// fairness: one tenant may not slow another down (issue 16, item 6).
//  - a noisy tenant (its own logical cluster and a token user bound to `edit` there) creates
//    ConfigMaps at full speed with 200 concurrent requests, in a child process (fairness-noisy.ts;
//    on 429 it waits the answer's Retry-After, as client-go does);
//  - a quiet tenant (another logical cluster and user) creates at 50 requests/s, open loop,
//    latency from when each request was due;
//  - the quiet tenant's p99 alone, then beside the noisy one: the ratio, target ≤ 2×, with flow
//    control on (the defaults) and off (`--max-requests-inflight 0 --max-mutating-requests-inflight 0
//    --max-requests-inflight-per-flow 0`), the noisy tenant's creates/s and 429s; and the same with
//    both tenants as system:masters (the admin token), which flow control exempts.
//  With KCP_BENCH_FLOW_SHARE=<n> in the environment: only flow control on, with that share per flow.

import { join } from "node:path";
import { configMap, configMapsPath, ensureNamespace, KcpClient, runAtRate } from "./client.ts";
import { Failures } from "./failures.ts";
import { type Session, withKcp } from "./harness.ts";
import { BUN } from "./kcp-launcher.ts";
import { loadAverage } from "./proc.ts";
import { now, summarize } from "./stats.ts";
import type { Context, Row, Workload } from "./types.ts";

const W = "fairness";
const QUIET_RATE = 50;
const NOISY_CONCURRENCY = 200;
const NS = "bench";
const OFF_FLAGS = [
  "--max-requests-inflight",
  "0",
  "--max-mutating-requests-inflight",
  "0",
  "--max-requests-inflight-per-flow",
  "0",
];

interface Tokens {
  file: string;
  noisy: string;
  quiet: string;
}

async function tokenFile(ctx: Context): Promise<Tokens> {
  const noisy = `noisy-${crypto.randomUUID()}`;
  const quiet = `quiet-${crypto.randomUUID()}`;
  const file = join(ctx.scratch, "fairness-tokens.csv");
  await Bun.write(file, `${noisy},noisy-user,noisy-uid\n${quiet},quiet-user,quiet-uid\n`);
  return { file, noisy, quiet };
}

/** The tenant's cluster and namespace; with a user, that user bound to `edit` there. Returns its client. */
async function tenant(s: Session, cluster: string, user: string | undefined, token: string): Promise<KcpClient> {
  await ensureNamespace(s.client, NS, cluster);
  if (user) {
    const rb = await s.client.post(
      `/clusters/${cluster}/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/rolebindings`,
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: { name: `${user}-edit` },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "edit" },
        subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: user }],
      },
    );
    if (rb.status !== 201 && rb.status !== 409) throw new Error(`binding ${user}: HTTP ${rb.status} ${rb.body}`);
  }
  const client = new KcpClient({ url: s.kcp.url, ca: s.kcp.ca, token }, { concurrency: 16 });
  // The binding reaches the RBAC index through the server's watch: wait until the user may create.
  const deadline = now() + 10_000;
  for (let i = 0; now() < deadline; i++) {
    const r = await client.post(configMapsPath(NS, cluster), configMap(`probe-${i}`, NS));
    if (r.status === 201) return client;
    await Bun.sleep(50);
  }
  throw new Error(`${user ?? "admin"} could not create in ${cluster} within 10 s`);
}

/** What the quiet tenant was refused: 429s (a measured outcome: it waited too long) apart from real errors. */
class QuietFailures extends Failures {
  tooMany = 0;
  override check(status: number, want: number, body: string): void {
    if (status === 429) this.tooMany++;
    else super.check(status, want, body);
  }
}

/** The quiet tenant at 50/s for `seconds`: latencies from due time, and its failures. */
async function quietRun(client: KcpClient, cluster: string, seconds: number, prefix: string, failures: Failures) {
  const lat: number[] = [];
  const path = configMapsPath(NS, cluster);
  await runAtRate(Math.round(QUIET_RATE * seconds), QUIET_RATE, async (i, due) => {
    const r = await client.post(path, configMap(`${prefix}-${i}`, NS));
    failures.check(r.status, 201, r.body);
    if (r.status === 201) lat.push(now() - due);
  });
  return summarize(lat);
}

interface NoisyResult {
  created: number;
  tooMany: number;
  tooManyWithRetryAfter: number;
  other: number;
  otherSample: string;
  connectionErrors: number;
  connectionErrorSample: string;
  wallMs: number;
}

/** Runs the noisy tenant in a child process while `during` runs (after two seconds of warm-up). */
async function withNoisy<T>(
  ctx: Context,
  s: Session,
  token: string,
  cluster: string,
  seconds: number,
  during: () => Promise<T>,
): Promise<{ result: T; noisy: NoisyResult }> {
  const out = join(ctx.scratch, `fairness-noisy-${crypto.randomUUID()}.json`);
  const cfgFile = `${out}.config.json`;
  await Bun.write(
    cfgFile,
    JSON.stringify({
      url: s.kcp.url,
      ca: s.kcp.ca,
      token,
      path: configMapsPath(NS, cluster),
      namespace: NS,
      concurrency: NOISY_CONCURRENCY,
      seconds: seconds + 2.5,
      out,
    }),
  );
  const child = Bun.spawn([BUN, join(import.meta.dir, "fairness-noisy.ts"), cfgFile], {
    stdout: "pipe",
    stderr: "pipe",
  });
  let childOut = "";
  const decoder = new TextDecoder();
  const reading = (async () => {
    for await (const c of child.stdout) childOut += decoder.decode(c, { stream: true });
  })();
  const errText = new Response(child.stderr).text();
  const until = now() + 30_000;
  while (!childOut.includes("STARTED")) {
    if (child.exitCode !== null || now() > until) throw new Error(`noisy client did not start: ${await errText}`);
    await Bun.sleep(10);
  }
  // Past the noisy client's 200 TLS handshakes and its first wave of 429s.
  await Bun.sleep(2000);
  const result = await during();
  const code = await child.exited;
  await reading;
  if (code !== 0 || !childOut.includes("DONE")) throw new Error(`noisy client exited ${code}: ${await errText}`);
  return { result, noisy: JSON.parse(await Bun.file(out).text()) as NoisyResult };
}

interface Scenario {
  label: string;
  unloaded: ReturnType<typeof summarize>;
  loaded: ReturnType<typeof summarize>;
  noisy: NoisyResult;
  failures: QuietFailures;
  load: [number, number, number];
}

async function scenario(
  ctx: Context,
  s: Session,
  label: string,
  users: { noisy?: string; quiet?: string },
  tokens: { noisy: string; quiet: string },
  seconds: number,
): Promise<Scenario> {
  const tag = label.replace(/[^a-z0-9]+/g, "-");
  const [noisyCluster, quietCluster] = [`noisy-${tag}`, `quiet-${tag}`];
  const failures = new QuietFailures();
  const quiet = await tenant(s, quietCluster, users.quiet, tokens.quiet);
  const noisySetup = await tenant(s, noisyCluster, users.noisy, tokens.noisy);
  noisySetup.close();
  try {
    await quietRun(quiet, quietCluster, 1, "warm", new Failures());
    const unloaded = await quietRun(quiet, quietCluster, seconds, "alone", failures);
    const { result: loaded, noisy } = await withNoisy(ctx, s, tokens.noisy, noisyCluster, seconds, () =>
      quietRun(quiet, quietCluster, seconds, "loaded", failures),
    );
    const load = loadAverage();
    ctx.log(
      `  ${label}: quiet p99 ${unloaded.p99.toFixed(1)} → ${loaded.p99.toFixed(1)} ms (${(loaded.p99 / unloaded.p99).toFixed(1)}×); noisy ${Math.round((noisy.created * 1000) / noisy.wallMs)}/s, ${noisy.tooMany} × 429; load ${load.map((x) => x.toFixed(1)).join(" ")}`,
    );
    return { label, unloaded, loaded, noisy, failures, load };
  } finally {
    quiet.close();
  }
}

function rows(sc: Scenario, target: boolean, what: string): Row[] {
  const ratio = sc.loaded.p99 / sc.unloaded.p99;
  const noisyRate = (sc.noisy.created * 1000) / sc.noisy.wallMs;
  const load = `load average ${sc.load.map((x) => x.toFixed(1)).join(" ")}`;
  return [
    {
      workload: W,
      metric: `${sc.label}: quiet tenant's create p99 beside a noisy one ÷ alone`,
      value: sc.loaded.p99,
      unit: "ms",
      raw: { name: "the quiet tenant's p99 alone", value: sc.unloaded.p99, unit: "ms" },
      ratio,
      ...(target ? { ratioTarget: { op: "<=" as const, value: 2 } } : {}),
      notes: `${what}; quiet: ${QUIET_RATE}/s open loop, p50 ${sc.unloaded.p50.toFixed(1)} → ${sc.loaded.p50.toFixed(1)} ms, max ${sc.unloaded.max.toFixed(0)} → ${sc.loaded.max.toFixed(0)} ms, ${sc.loaded.count} samples; ${sc.failures.tooMany} answered 429; ${sc.failures.note()}; ${load}`,
      details: { unloaded: sc.unloaded, loaded: sc.loaded, noisy: sc.noisy, load: sc.load },
    },
    {
      workload: W,
      metric: `${sc.label}: noisy tenant's creates/s (${NOISY_CONCURRENCY} concurrent)`,
      value: noisyRate,
      unit: "/s",
      notes: `${sc.noisy.tooMany} answered 429 (${sc.noisy.tooManyWithRetryAfter} with retryAfterSeconds; each waited it), ${sc.noisy.other} other errors${sc.noisy.otherSample ? ` (${sc.noisy.otherSample})` : ""}, ${sc.noisy.connectionErrors} connection errors${sc.noisy.connectionErrorSample ? ` (${sc.noisy.connectionErrorSample})` : ""}`,
    },
    {
      workload: W,
      metric: `${sc.label}: quiet tenant's errors (other than 429)`,
      value: sc.failures.count,
      unit: "",
      target: { op: "==", value: 0 },
      notes: sc.failures.note(),
    },
  ];
}

export const fairnessWorkload: Workload = {
  name: "fairness",
  description: "a quiet tenant's p99 beside a noisy one (200 concurrent creates), flow control on and off",
  async run(ctx: Context): Promise<Row[]> {
    // KCP_BENCH_FLOW_SHARE=<n>: only the "fairness on" scenario, with that share per flow (to compare shares).
    const share = process.env.KCP_BENCH_FLOW_SHARE;
    const seconds = ctx.sizeName === "tiny" ? 1 : ctx.sizeName === "small" ? 5 : 10;
    const tokens = await tokenFile(ctx);
    const users = { noisy: "noisy-user", quiet: "quiet-user" };
    const out: Row[] = [];
    const noisyTooMany = { on: 0, masters: 0 };
    await withKcp(
      ctx,
      "fairness-on",
      async (s) => {
        const on = await scenario(
          ctx,
          s,
          share ? `fairness on, share ${share}` : "fairness on",
          users,
          tokens,
          seconds,
        );
        out.push(
          ...rows(
            on,
            true,
            share ? `flow control on, --max-requests-inflight-per-flow ${share}` : "flow control on (kcp's defaults)",
          ),
        );
        noisyTooMany.on = on.noisy.tooMany;
        if (share) return;
        const masters = await scenario(
          ctx,
          s,
          "system:masters",
          {},
          { noisy: s.kcp.token, quiet: s.kcp.token },
          seconds,
        );
        out.push(
          ...rows(
            masters,
            false,
            "both tenants use the admin token (system:masters): exempt, as kube's `exempt` priority level",
          ),
        );
        noisyTooMany.masters = masters.noisy.tooMany;
      },
      {
        args: ["--token-auth-file", tokens.file, ...(share ? ["--max-requests-inflight-per-flow", share] : [])],
      },
    );
    if (!share)
      await withKcp(
        ctx,
        "fairness-off",
        async (s) => {
          const off = await scenario(ctx, s, "fairness off", users, tokens, seconds);
          out.push(...rows(off, false, `flow control off (${OFF_FLAGS.join(" ")})`));
        },
        { args: ["--token-auth-file", tokens.file, ...OFF_FLAGS] },
      );
    out.push({
      workload: W,
      metric: "fairness: 429s answered to system:masters",
      value: noisyTooMany.masters,
      unit: "",
      target: { op: "==", value: 0 },
    });
    out.push({
      workload: W,
      // Its 200 requests fit its share (4) and its flow's queue (300): it is queued and paced, not
      // refused (test/e2e/fairness.test.ts floods past the queue for the 429s).
      metric: "fairness: 429s answered to the noisy tenant with flow control on (its 200 fit the queue)",
      value: noisyTooMany.on,
      unit: "",
      target: { op: "==", value: 0 },
    });
    return out;
  },
};
