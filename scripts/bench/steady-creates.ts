// Closed-loop creates at steady state, measured as the raw parts are (a warm-up, then the best of
// three trials): a server runs for days, and over its first ~10,000 requests JSC is still
// compiling its request path (the JITWorker thread took a third of a core during the first 15,000
// creates). One trial's worth of creates warms up first, then three trials of a third of `count`
// each; the best counts, and every rate, the warm-up's included, goes in the notes.

import { configMap, type KcpClient, runPool } from "./client.ts";
import { measured, type Usage } from "./harness.ts";

export interface SteadyCreates {
  /** The best trial's creates/s, and its CPU use. */
  rate: number;
  usage: Usage;
  /** Creates/s of the warm-up and of each trial. */
  warmRate: number;
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

export async function steadyCreates(pid: number, client: KcpClient, path: string, namespace: string, count: number, clients: number): Promise<SteadyCreates> {
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
  const warm = await run("warm", false);
  const trials: { rate: number; usage: Usage }[] = [];
  for (let t = 0; t < 3; t++) {
    const { usage } = await run(`obj-${t}`, true);
    trials.push({ rate: (perTrial * 1000) / usage.wallMs, usage });
  }
  const best = trials.reduce((a, b) => (b.rate > a.rate ? b : a));
  return {
    rate: best.rate,
    usage: best.usage,
    warmRate: (perTrial * 1000) / warm.usage.wallMs,
    trialRates: trials.map((t) => t.rate),
    perTrial,
    sent: perTrial * 4,
    created: statuses.get(201) ?? 0,
    statuses,
    errorSample,
    latenciesMs,
  };
}

/** "best of 3 trials of N creates (a/s, b/s, c/s) after N to warm up (w/s)". */
export function steadyNote(s: SteadyCreates): string {
  const r = (x: number) => `${Math.round(x).toLocaleString("en-US")}/s`;
  return `best of 3 trials of ${s.perTrial} creates (${s.trialRates.map(r).join(", ")}) after ${s.perTrial} to warm up (${r(s.warmRate)})`;
}
