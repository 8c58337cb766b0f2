// One fuzz run against a running kcp: set up a logical cluster per worker (the fuzzer's CRD, a
// namespace, a service account and its token) and a victim cluster no case may write to, then
// send the cases (case i from worker i % workers, each worker in its own cluster) and judge every
// answer; at the end check the server is alive, its RSS came back within bounds, and no object
// outside the workers' clusters changed.

import { changesOutside, snapshot } from "./cluster-snapshot.ts";
import { discoverResources } from "./discovery.ts";
import { widgetCrd } from "./fixtures.ts";
import { judge, preview } from "./oracle.ts";
import { type CaseContext, type FuzzRequest, generateCase } from "./requests.ts";
import { send, type Server } from "./send.ts";

export interface FuzzTarget extends Server {
  /** The admin token (system:masters). */
  token: string;
}

export interface FuzzOptions {
  seed: number;
  /** Cases 0 … cases-1, unless `only` names some. */
  cases: number;
  only?: number[];
  workers: number;
  /** Per request: no answer in this time is a failure. */
  timeoutMs?: number;
  /** How far RSS may stay above its value before the run, once the run is over. */
  rssGrowthMiB?: number;
  /** Stop sending after this many failures. */
  maxFailures?: number;
  progress?: (done: number, total: number) => void;
}

export interface Failure {
  request: FuzzRequest;
  reason: string;
}

export interface FuzzReport {
  seed: number;
  workers: number;
  sent: number;
  failures: Failure[];
  /** Answers by status code. */
  statuses: Record<string, number>;
  /** Objects changed outside the workers' clusters. */
  outside: string[];
  rss: { startMiB: number; endMiB: number; boundMiB: number };
  alive: boolean;
  elapsedMs: number;
}

export const VICTIM_CLUSTER = "fuzz-victim";
export const workerCluster = (i: number) => `fuzz-w${i}`;

async function call(
  t: FuzzTarget,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown; text: string }> {
  const res = await fetch(`${t.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${t.token}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    tls: { ca: t.ca },
  } as RequestInit);
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

async function must(t: FuzzTarget, method: string, path: string, body?: unknown, ok = [200, 201, 409]) {
  const r = await call(t, method, path, body);
  if (!ok.includes(r.status)) throw new Error(`fuzz setup: ${method} ${path}: ${r.status} ${r.text.slice(0, 300)}`);
  return r;
}

async function waitServed(t: FuzzTarget, path: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while ((await call(t, "GET", path)).status !== 200) {
    if (Date.now() > deadline) throw new Error(`fuzz setup: ${path} not served after 30 s`);
    await Bun.sleep(100);
  }
}

/** A cluster with the fuzzer's CRD (served), namespace `fz` and service account `fuzz-sa`; its token. */
export async function prepareCluster(t: FuzzTarget, cluster: string): Promise<string> {
  const c = `/clusters/${cluster}`;
  await must(t, "POST", `${c}/apis/apiextensions.k8s.io/v1/customresourcedefinitions`, widgetCrd());
  await must(t, "POST", `${c}/api/v1/namespaces`, { metadata: { name: "fz" } });
  await must(t, "POST", `${c}/api/v1/namespaces/default/serviceaccounts`, { metadata: { name: "fuzz-sa" } });
  const token = await must(
    t,
    "POST",
    `${c}/api/v1/namespaces/default/serviceaccounts/fuzz-sa/token`,
    { spec: {} },
    [201],
  );
  await waitServed(t, `${c}/apis/fuzz.example.com/v1/widgets`);
  return (token.json as { status: { token: string } }).status.token;
}

export async function rssMiB(t: FuzzTarget): Promise<number> {
  const text = (await call(t, "GET", "/metrics")).text;
  const m = /^process_resident_memory_bytes (\S+)$/m.exec(text);
  if (!m) throw new Error("no process_resident_memory_bytes in /metrics");
  return Number(m[1]) / 2 ** 20;
}

export async function isReady(t: FuzzTarget): Promise<boolean> {
  try {
    return (await call(t, "GET", "/readyz")).status === 200;
  } catch {
    return false;
  }
}

export async function runFuzz(t: FuzzTarget, opts: FuzzOptions): Promise<FuzzReport> {
  const started = Date.now();
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const maxFailures = opts.maxFailures ?? 20;
  const contexts: CaseContext[] = [];
  await prepareCluster(t, VICTIM_CLUSTER);
  await must(t, "POST", `/clusters/${VICTIM_CLUSTER}/api/v1/namespaces/default/configmaps`, {
    metadata: { name: "a" },
    data: { keep: "me" },
  });
  await must(t, "POST", `/clusters/${VICTIM_CLUSTER}/apis/fuzz.example.com/v1/namespaces/default/widgets`, {
    apiVersion: "fuzz.example.com/v1",
    kind: "Widget",
    metadata: { name: "a" },
    spec: { replicas: 1 },
  });
  const get = async (path: string) => (await must(t, "GET", path, undefined, [200])).json;
  let resources: CaseContext["resources"] = [];
  for (let i = 0; i < opts.workers; i++) {
    const serviceAccount = await prepareCluster(t, workerCluster(i));
    if (i === 0) resources = await discoverResources(get, `/clusters/${workerCluster(0)}`);
    contexts.push({
      resources,
      cluster: workerCluster(i),
      victim: VICTIM_CLUSTER,
      tokens: { admin: t.token, serviceAccount },
    });
  }
  const listAll = async (path: string) => {
    const r = await call(t, "GET", path);
    return { status: r.status, json: r.json };
  };
  const before = await snapshot(listAll, resources);
  const startMiB = await rssMiB(t);

  const indices = opts.only ?? Array.from({ length: opts.cases }, (_, i) => i);
  const statuses: Record<string, number> = {};
  const failures: Failure[] = [];
  let sent = 0;
  let dead = false;
  const worker = async (w: number) => {
    for (const index of indices) {
      if (index % opts.workers !== w) continue;
      if (dead || failures.length >= maxFailures) return;
      const req = generateCase(opts.seed, index, contexts[w] as CaseContext);
      const ans = await send(t, req, timeoutMs);
      sent++;
      const key = ans.error ? "none" : String(ans.status);
      statuses[key] = (statuses[key] ?? 0) + 1;
      const reason = judge(req, ans);
      if (reason) {
        failures.push({ request: req, reason });
        if (!(await isReady(t))) {
          dead = true;
          failures.push({ request: req, reason: "the server no longer answers /readyz after this case" });
        }
      }
      opts.progress?.(sent, indices.length);
    }
  };
  await Promise.all(Array.from({ length: opts.workers }, (_, w) => worker(w)));

  const alive = await isReady(t);
  let outside: string[] = [];
  const boundMiB = startMiB + (opts.rssGrowthMiB ?? 256);
  let endMiB = Number.NaN;
  if (alive) {
    const workers = new Set(contexts.map((c) => c.cluster));
    // kcp's own controllers keep their leader-election leases in admin's kube-system (the cluster
    // controller starts when a case creates a Cluster): the server's writes, not a case's.
    outside = changesOutside(before, await snapshot(listAll, resources), (c) => workers.has(c)).filter(
      (o) => !/^(added|changed) admin\/coordination\.k8s\.io\/leases\/kube-system\//.test(o),
    );
    // Memory the run took is given back once it is over: poll while the server settles.
    const deadline = Date.now() + 15_000;
    do {
      endMiB = await rssMiB(t);
      if (endMiB <= boundMiB) break;
      await Bun.sleep(500);
    } while (Date.now() < deadline);
  }
  return {
    seed: opts.seed,
    workers: opts.workers,
    sent,
    failures,
    statuses,
    outside,
    rss: { startMiB, endMiB, boundMiB },
    alive,
    elapsedMs: Date.now() - started,
  };
}

/** A failing case as a reader replays it: the command, then the exact request. */
export function describeFailure(f: Failure, workers: number): string {
  const r = f.request;
  const body = r.body ? Buffer.from(r.body) : undefined;
  const printable =
    body && !body.some((b) => b < 0x09 || (b > 0x0d && b < 0x20)) && Buffer.from(body.toString("utf8")).equals(body);
  return [
    `case ${r.index}: ${f.reason}`,
    `  replay: npm run fuzz -- --seed ${r.seed} --workers ${workers} --case ${r.index}`,
    `  ${r.method} ${r.target}${r.raw ? "   (sent raw)" : ""}`,
    ...r.headers.map(([k, v]) => `  ${k}: ${k === "Authorization" ? v.replace(/(Bearer )(.{6}).*/, "$1$2…") : v}`),
    body
      ? `  body (${body.length} bytes${printable ? "" : ", base64"}): ${printable ? preview(body, 2000) : body.toString("base64").slice(0, 2000)}`
      : "  no body",
    `  what: ${r.notes.join("; ")}`,
  ].join("\n");
}

export function summary(rep: FuzzReport): string {
  const codes = Object.entries(rep.statuses)
    .sort()
    .map(([k, v]) => `${k}:${v}`)
    .join(" ");
  return `seed ${rep.seed}: ${rep.sent} cases by ${rep.workers} workers in ${(rep.elapsedMs / 1000).toFixed(1)} s; answers ${codes}; RSS ${rep.rss.startMiB.toFixed(0)} → ${rep.rss.endMiB.toFixed(0)} MiB (bound ${rep.rss.boundMiB.toFixed(0)}); ${rep.failures.length} failures; ${rep.outside.length} objects changed outside the workers' clusters`;
}
