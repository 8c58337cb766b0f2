// loop-hold: the longest the event loop is held by one bounded heavy request, as main-thread CPU
// (issue 16, item 2). In process (the app of `kcp start` on SQLite in memory, `app.request`, no
// TLS or sockets), a 1 ms timer reads the main thread's CPU time (/proc/self/task/<pid>/schedstat,
// nanoseconds) at every turn; the row is the largest CPU time spent between two turns while the
// request ran. Unlike `npm run bench -- stall` (wall clock seen by a /readyz client), this does
// not grow with the machine's load: what other processes take is not counted.
//
//   bun scripts/bench/loop-hold.ts [case ...]      (all cases when none is named)

import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { traceYields } from "../../src/apis/offload/offload.ts";
import { inMemoryApp, TEST_TOKEN } from "../../test/helpers/in-memory-app.ts";
import { envelope, msg, str, stringMap } from "../../test/helpers/protobuf-encoder.ts";

const MAIN_THREAD = `/proc/self/task/${process.pid}/schedstat`;

/** CPU time of the main thread so far, milliseconds. */
function mainThreadCpuMs(): number {
  return Number(readFileSync(MAIN_THREAD, "utf8").split(" ")[0]) / 1e6;
}

type App = Awaited<ReturnType<typeof inMemoryApp>>["app"];

interface Req {
  method: string;
  path: string;
  body?: string | Uint8Array;
  type?: string;
}

/** The request, its body read as a socket would send it (chunk by chunk, not decoded); the text when short. */
async function send(app: App, r: Req): Promise<{ status: number; length: number; text: string }> {
  const res = await app.request(r.path, {
    method: r.method,
    headers: {
      Authorization: `Bearer ${TEST_TOKEN}`,
      "Content-Type": r.type ?? "application/json",
      Accept: "application/json",
    },
    ...(r.body !== undefined ? { body: r.body } : {}),
  });
  let length = 0;
  const head: Uint8Array[] = [];
  if (res.body) {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      length += value.byteLength;
      if (length < 4096) head.push(value);
    }
  }
  return { status: res.status, length, text: length < 4096 ? Buffer.concat(head).toString() : "" };
}

const call = (app: App, method: string, path: string, body?: string | Uint8Array, type?: string) =>
  send(app, { method, path, ...(body !== undefined ? { body } : {}), ...(type ? { type } : {}) });

/** Run `f` while a 1 ms timer samples the main thread's CPU; the largest CPU between two turns. */
async function held(f: () => Promise<unknown>): Promise<{ maxMs: number; turns: number; result: unknown }> {
  let last = mainThreadCpuMs();
  let maxMs = 0;
  let turns = 0;
  // With TRACE set, every stretch over 15 ms between two yields or timer turns is printed with
  // where it began and ended (a yield ends a step, not the turn: the longest hold is the timer's).
  const trace = process.env.TRACE !== undefined;
  let traced = last;
  let lastSite = "the request";
  const mark = (site: string) => {
    const now = mainThreadCpuMs();
    if (now - traced > 15) console.log(`  ${(now - traced).toFixed(1)} ms from ${lastSite} to ${site}`);
    traced = now;
    lastSite = site;
  };
  traceYields(trace ? mark : undefined);
  const timer = setInterval(() => {
    const now = mainThreadCpuMs();
    maxMs = Math.max(maxMs, now - last);
    last = now;
    turns++;
    if (trace) mark("a timer turn");
  }, 1);
  try {
    const result = await f();
    const now = mainThreadCpuMs();
    maxMs = Math.max(maxMs, now - last);
    return { maxMs, turns, result };
  } finally {
    clearInterval(timer);
    traceYields(undefined);
  }
}

const CM = "/api/v1/namespaces/default/configmaps";
/** Each measured run writes different values, so none is a no-op. */
let round = 0;

function keys(n: number, value: (i: number) => string): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < n; i++) out[`key-${String(i).padStart(6, "0")}`] = value(i);
  return out;
}

const configMap = (name: string, extra: Record<string, unknown>) =>
  JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "default" }, ...extra });

/** A protobuf ConfigMap in namespace default (test/helpers/protobuf-encoder.ts). */
function protobufConfigMap(name: string, data: Record<string, string>): Uint8Array {
  return envelope("v1", "ConfigMap", [...msg(1, str(1, name), str(3, "default")), ...stringMap(2, data)]);
}

interface Case {
  name: string;
  setup?: (app: App) => Promise<void>;
  /** Before each measured run, not measured (a DELETE, say). */
  before?: (app: App) => Promise<void>;
  /** The request, built before the measurement starts. */
  request: () => Req;
}

const LIST_NS = "/api/v1/namespaces/lists/configmaps";

async function fillList(app: App): Promise<void> {
  await call(app, "POST", "/api/v1/namespaces", JSON.stringify({ metadata: { name: "lists" } }));
  const value = "x".repeat(10_000);
  for (let i = 0; i < 2000; i++) {
    const r = await call(app, "POST", LIST_NS, JSON.stringify({ metadata: { name: `l${i}` }, data: { value } }));
    if (r.status !== 201) throw new Error(`fill: HTTP ${r.status}`);
  }
}

const APPLY = "application/apply-patch+yaml";

const CASES: Case[] = [
  {
    // Over the size limit once its managed fields are added: a 413 after the work.
    name: "create-40k",
    request: () => ({ method: "POST", path: CM, body: configMap("create", { data: keys(40_000, (i) => `v${i}`) }) }),
  },
  {
    name: "protobuf-create-1.4mib",
    request: () => ({
      method: "POST",
      path: CM,
      body: protobufConfigMap(
        "proto",
        keys(45_000, (i) => `value-${i}-abcdef`),
      ),
      type: "application/vnd.kubernetes.protobuf",
    }),
  },
  {
    // 26,000 keys: with its managed fields about the largest such ConfigMap within 1.5 MiB.
    name: "create-26k",
    before: async (app) => void (await call(app, "DELETE", `${CM}/c26`)),
    request: () => ({ method: "POST", path: CM, body: configMap("c26", { data: keys(26_000, (i) => `v${i}`) }) }),
  },
  {
    name: "merge-patch-26k",
    setup: async (app) => void (await call(app, "POST", CM, configMap("mp", { data: keys(26_000, (i) => `v${i}`) }))),
    request: () => ({
      method: "PATCH",
      path: `${CM}/mp`,
      body: JSON.stringify({ data: keys(26_000, (i) => `m${round}-${i}`) }),
      type: "application/merge-patch+json",
    }),
  },
  {
    name: "apply-26k-force",
    setup: async (app) =>
      void (await call(
        app,
        "PATCH",
        `${CM}/ssa?fieldManager=a`,
        configMap("ssa", { data: keys(26_000, (i) => `v${i}`) }),
        APPLY,
      )),
    request: () => ({
      method: "PATCH",
      path: `${CM}/ssa?fieldManager=b&force=true`,
      body: configMap("ssa", { data: keys(26_000, (i) => `w${round}-${i}`) }),
      type: APPLY,
    }),
  },
  {
    name: "update-26k",
    setup: async (app) => void (await call(app, "POST", CM, configMap("up", { data: keys(26_000, (i) => `v${i}`) }))),
    request: () => ({
      method: "PUT",
      path: `${CM}/up`,
      body: configMap("up", { data: keys(26_000, (i) => `u${round}-${i}`) }),
    }),
  },
  {
    // The stall bench's worst cases (scripts/bench/stall.ts), each 413 after the work but the JSON Patch.
    name: "apply-49k-force",
    setup: async (app) =>
      void (await call(
        app,
        "PATCH",
        `${CM}/ssa49?fieldManager=a`,
        configMap("ssa49", { data: keys(49_000, (i) => `v${i}`) }),
        APPLY,
      )),
    request: () => ({
      method: "PATCH",
      path: `${CM}/ssa49?fieldManager=b&force=true`,
      body: configMap("ssa49", { data: keys(49_000, (i) => `w${round}-${i}`) }),
      type: APPLY,
    }),
  },
  {
    name: "json-patch-10k-removes",
    before: async (app) => {
      await call(app, "DELETE", `${CM}/jp`);
      const finalizers = Array.from({ length: 40_000 }, (_, i) => `x/f${String(i).padStart(6, "0")}`);
      await call(app, "POST", CM, configMap("jp", { metadata: { name: "jp", namespace: "default", finalizers } }));
    },
    request: () => ({
      method: "PATCH",
      path: `${CM}/jp`,
      body: JSON.stringify(Array.from({ length: 10_000 }, () => ({ op: "remove", path: "/metadata/finalizers/0" }))),
      type: "application/json-patch+json",
    }),
  },
  {
    name: "strategic-50k-into-20k",
    setup: async (app) => {
      const finalizers = Array.from({ length: 20_000 }, (_, i) => `x/f${String(i).padStart(6, "0")}`);
      await call(app, "POST", CM, configMap("smp", { metadata: { name: "smp", namespace: "default", finalizers } }));
    },
    request: () => ({
      method: "PATCH",
      path: `${CM}/smp`,
      body: JSON.stringify({
        metadata: { finalizers: Array.from({ length: 50_000 }, (_, i) => `x/f${String(50_000 + i).padStart(6, "0")}`) },
      }),
      type: "application/strategic-merge-patch+json",
    }),
  },
  {
    name: "yaml-create-1.4mib",
    request: () => {
      const lines = ["apiVersion: v1", "kind: ConfigMap", "metadata:", "  name: yaml", "data:"];
      for (let i = 0; i < 45_000; i++) lines.push(`  key-${String(i).padStart(6, "0")}: value-${i}-abcdef`);
      return { method: "POST", path: CM, body: lines.join("\n"), type: "application/yaml" };
    },
  },
  { name: "list-2000x10kib", setup: fillList, request: () => ({ method: "GET", path: LIST_NS }) },
  { name: "list-2000x10kib-limit-1000", request: () => ({ method: "GET", path: `${LIST_NS}?limit=1000` }) },
  { name: "list-2000x10kib-limit-500", request: () => ({ method: "GET", path: `${LIST_NS}?limit=500` }) },
];

const only = process.argv.slice(2);
const { app, close } = await inMemoryApp();
try {
  console.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  for (const c of CASES) {
    if (only.length && !only.includes(c.name) && !(c.name.startsWith("list") && only.includes("lists"))) continue;
    await c.setup?.(app);
    // Once to warm up (the first large request compiles the paths it takes), then measured.
    const runs: number[] = [];
    let last: { status: number; length: number } | undefined;
    for (let i = 0; i < 3; i++) {
      round++;
      await c.before?.(app);
      const req = c.request();
      Bun.gc(true);
      const { maxMs, result } = await held(() => send(app, req));
      last = result as { status: number; length: number };
      if (i > 0) runs.push(maxMs);
    }
    console.log(
      `${c.name.padEnd(28)} HTTP ${last?.status} ${String(last?.length).padStart(9)} B  longest hold ${runs.map((r) => `${r.toFixed(1)} ms`).join(", ")}`,
    );
  }
  console.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
} finally {
  await close();
}
