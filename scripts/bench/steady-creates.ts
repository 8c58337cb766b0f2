// Closed-loop creates at steady state, measured as the raw parts are (a warm-up, then the best of
// three trials). A server runs for days, but over its first tens of thousands of requests JSC is
// still compiling its request path: its JITWorker thread took a third of a core during the first
// 15,000 creates, and the rate per 5,000 creates rose from 11k/s to 16-17k/s over some 50,000
// (with the optimizing FTL tier switched off the rate was flat from the start). Stopping the
// warm-up at the first round that was not 5 % faster than the one before was fooled by the
// rounds' noise, which often hid a climb still under way. So warm-up rounds of a third of `count`
// run until the server's compiler threads use less than JIT_QUIET of a core during a round and
// the round is no more than 5 % faster than the one before (at most WARMUP_ROUNDS); where the
// threads cannot be read (not Linux), the rate alone decides. Then three trials of a third of
// `count` each; the best trial counts, and every rate, the warm-up rounds' included, is in the notes.

import { configMap, type KcpClient, runPool } from "./client.ts";
import { measured, type Usage } from "./harness.ts";
import { jitCpuTimeOf } from "./proc.ts";

/** Warm-up rounds at most, however the rate and the compiler move. */
const WARMUP_ROUNDS = 15;
/** Share of a core the server's JIT compiler threads may use in a round that ends the warm-up. */
const JIT_QUIET = 0.03;

export interface SteadyCreates {
  /** The best trial's creates/s, and its CPU use. */
  rate: number;
  usage: Usage;
  /** Creates/s of each warm-up round and of each trial. */
  warmRates: number[];
  /** Share of a core the server's JIT compiler threads used in each warm-up round (empty where unknown). */
  warmJit: number[];
  trialRates: number[];
  perTrial: number;
  /** Requests sent in all (warm-up included), and how many answered 201. */
  sent: number;
  created: number;
  statuses: Map<number, number>;
  /** The first answer that was not a 201. */
  errorSample: string;
  /** Latency of every trial request, ms. */
  latenciesMs: number[];
}

export async function steadyCreates(
  pid: number,
  client: KcpClient,
  path: string,
  namespace: string,
  count: number,
  clients: number,
): Promise<SteadyCreates> {
  const perTrial = Math.max(1, Math.ceil(count / 3));
  const statuses = new Map<number, number>();
  let errorSample = "";
  const latenciesMs: number[] = [];
  const run = (prefix: string, lat: boolean) =>
    measured(pid, () =>
      runPool(perTrial, clients, async (i) => {
        const r = await client.post(path, configMap(`${prefix}-${i}`, namespace));
        if (lat) latenciesMs.push(r.ms);
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        if (r.status !== 201 && !errorSample) errorSample = `HTTP ${r.status} ${r.body.slice(0, 300)}`;
      }),
    );
  const warmRates: number[] = [];
  const warmJit: number[] = [];
  for (let w = 0; w < WARMUP_ROUNDS; w++) {
    const jit0 = jitCpuTimeOf(pid);
    const { usage } = await run(`warm-${w}`, false);
    const jit1 = jitCpuTimeOf(pid);
    warmRates.push((perTrial * 1000) / usage.wallMs);
    const jitQuiet = jit0 === null || jit1 === null ? true : (jit1 - jit0) / usage.wallMs < JIT_QUIET;
    if (jit0 !== null && jit1 !== null) warmJit.push((jit1 - jit0) / usage.wallMs);
    const [prev, last] = warmRates.slice(-2) as [number, number];
    if (warmRates.length >= 2 && last <= prev * 1.05 && jitQuiet) break;
  }
  const trials: { rate: number; usage: Usage }[] = [];
  for (let t = 0; t < 3; t++) {
    const { usage } = await run(`obj-${t}`, true);
    trials.push({ rate: (perTrial * 1000) / usage.wallMs, usage });
  }
  const best = trials.reduce((a, b) => (b.rate > a.rate ? b : a));
  return {
    rate: best.rate,
    usage: best.usage,
    warmRates,
    warmJit,
    trialRates: trials.map((t) => t.rate),
    perTrial,
    sent: perTrial * (warmRates.length + 3),
    created: statuses.get(201) ?? 0,
    statuses,
    errorSample,
    latenciesMs,
  };
}

/** "best of 3 trials of N creates (a/s, b/s, c/s) after k × N to warm up (w1/s, w2/s, …; JIT threads j1, j2, … cores)". */
export function steadyNote(s: SteadyCreates): string {
  const r = (x: number) => `${Math.round(x).toLocaleString("en-US")}/s`;
  const jit = s.warmJit.length > 0 ? `; JIT threads ${s.warmJit.map((j) => j.toFixed(2)).join(", ")} cores` : "";
  return `best of 3 trials of ${s.perTrial} creates (${s.trialRates.map(r).join(", ")}) after ${s.warmRates.length} × ${s.perTrial} to warm up (${s.warmRates.map(r).join(", ")}${jit})`;
}
