// stall: how long the worst bounded requests keep the server from answering anyone else
// (issue 16, item 2). Each case sends one heavy request that is within every limit of item 1
// (3 MiB bodies, 1.5 MiB objects, 50,000 apply fields, 10,000 JSON Patch operations, 1.5 MiB of
// copies, 100,000-item merged lists) while a second connection polls /readyz back to back; the
// row is the longest /readyz answer seen while the heavy request was in flight: the event loop's
// stall as a client sees it (an idle /readyz answers in about a millisecond). The heavy request's
// status is checked, and its own duration is in the notes.

import { KcpClient, configMapsPath, ensureNamespace, runPool } from "./client.ts";
import { withKcp } from "./harness.ts";
import { loadAverage } from "./proc.ts";
import { now, summarize } from "./stats.ts";
import type { Context, Row, Workload } from "./types.ts";
import { envelope, msg, str, stringMap } from "../../test/helpers/protobuf-encoder.ts";

const W = "stall";
const NS = "stall";
const CRD_GROUP = "stall.example.dev";
const BLOBS = `/apis/${CRD_GROUP}/v1/namespaces/${NS}/blobs`;
const CM = configMapsPath(NS);

interface Heavy {
  method: string;
  path: string;
  body?: string | Uint8Array;
  contentType?: string;
  /** The expected status: 413 where the result is over the object size limit, found after the work. */
  want: number;
}

interface Case {
  name: string;
  what: string;
  /** Writes what the heavy request needs (not measured). */
  setup?: (c: KcpClient) => Promise<void>;
  heavy: () => Heavy;
}

function keys(n: number, prefix = "k"): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < n; i++) out[`${prefix}${String(i).padStart(5, "0")}`] = `v${i}`;
  return out;
}

function finalizers(n: number, from = 0): string[] {
  return Array.from({ length: n }, (_, i) => `x/f${String(from + i).padStart(6, "0")}`);
}

async function must(r: Promise<{ status: number; body: string }>, want: number[], what: string): Promise<void> {
  const got = await r;
  if (!want.includes(got.status)) throw new Error(`${what}: HTTP ${got.status} ${got.body.slice(0, 300)}`);
}

function configMapWith(name: string, extra: Record<string, unknown>): string {
  return JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: NS }, ...extra });
}

/** A protobuf ConfigMap in NS (test/helpers/protobuf-encoder.ts). */
function protobufConfigMap(name: string, data: Record<string, string>): Uint8Array {
  return envelope("v1", "ConfigMap", [...msg(1, str(1, name), str(3, NS)), ...stringMap(2, data)]);
}

const blobsCrd = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: `blobs.${CRD_GROUP}` },
  spec: {
    group: CRD_GROUP,
    scope: "Namespaced",
    names: { plural: "blobs", singular: "blob", kind: "Blob" },
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: { spec: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
          },
        },
      },
    ],
  },
};

/** 1 for the sizes the notes name; the smoke test's tiny size scales every count down (and the 413s become 2xx). */
let scale = 1;
const n = (count: number) => Math.max(50, Math.round(count * scale));

const CASES: Case[] = [
  {
    name: "apply-49k-force",
    what: "server-side apply, 49,000 data keys, forced over another manager's (413 after the merge: with its managed fields the object is over 1.5 MiB)",
    setup: async (c) => {
      const body = configMapWith("ssa", { data: keys(n(49_000)) });
      await must(
        c.request("PATCH", `${CM}/ssa?fieldManager=a`, body, "application/apply-patch+yaml"),
        [201],
        "first apply",
      );
    },
    heavy: () => {
      const data = keys(n(49_000));
      for (const k of Object.keys(data)) data[k] = `w${k}`;
      return {
        method: "PATCH",
        path: `${CM}/ssa?fieldManager=b&force=true`,
        body: configMapWith("ssa", { data }),
        contentType: "application/apply-patch+yaml",
        want: 413,
      };
    },
  },
  {
    name: "json-patch-10k-removes",
    what: "JSON Patch, 10,000 removes at the head of a 40,000-item list (the longest a stored object holds with its managed fields)",
    setup: async (c) => {
      await must(
        c.request("POST", CM, configMapWith("jp", { metadata: { name: "jp", finalizers: finalizers(n(40_000)) } })),
        [201],
        "create",
      );
    },
    heavy: () => ({
      method: "PATCH",
      path: `${CM}/jp`,
      body: JSON.stringify(Array.from({ length: n(10_000) }, () => ({ op: "remove", path: "/metadata/finalizers/0" }))),
      contentType: "application/json-patch+json",
      want: 200,
    }),
  },
  {
    name: "json-patch-copies",
    what: "JSON Patch, 7 copies of a 5,000-key map (1.3 MiB of copies) in a custom resource (413 after the patch)",
    setup: async (c) => {
      await must(
        c.post(`${BLOBS}`, {
          apiVersion: `${CRD_GROUP}/v1`,
          kind: "Blob",
          metadata: { name: "copies" },
          spec: { src: keys(n(5_000), "copy-source-key-") },
        }),
        [201],
        "create",
      );
    },
    heavy: () => ({
      method: "PATCH",
      path: `${BLOBS}/copies`,
      body: JSON.stringify(
        Array.from({ length: 7 }, (_, i) => ({ op: "copy", from: "/spec/src", path: `/spec/c${i}` })),
      ),
      contentType: "application/json-patch+json",
      want: 413,
    }),
  },
  {
    name: "strategic-100k-list",
    // 100,000 finalizers make an object over the size limit: the answer is a 413, after the work.
    what: "strategic merge patch, 50,000 finalizers merged into 20,000 (70,000 items, 413 after the merge)",
    setup: async (c) => {
      await must(
        c.request("POST", CM, configMapWith("smp", { metadata: { name: "smp", finalizers: finalizers(n(20_000)) } })),
        [201],
        "create",
      );
    },
    heavy: () => ({
      method: "PATCH",
      path: `${CM}/smp`,
      body: JSON.stringify({ metadata: { finalizers: finalizers(n(50_000), n(50_000)) } }),
      contentType: "application/strategic-merge-patch+json",
      want: 413,
    }),
  },
  {
    name: "merge-patch-40k-map",
    what: "merge patch replacing every value of a 40,000-key map",
    setup: async (c) => {
      await must(c.request("POST", CM, configMapWith("mp", { data: keys(n(40_000)) })), [201], "create");
    },
    heavy: () => {
      const data = keys(n(40_000));
      for (const k of Object.keys(data)) data[k] = `m${k}`;
      return {
        method: "PATCH",
        path: `${CM}/mp`,
        body: JSON.stringify({ data }),
        contentType: "application/merge-patch+json",
        want: 200,
      };
    },
  },
  {
    name: "yaml-create-1.4mib",
    what: "create from a 1.4 MiB YAML body (45,000 data keys; 413 after decoding and tracking)",
    heavy: () => {
      const lines = ["apiVersion: v1", "kind: ConfigMap", "metadata:", "  name: yaml", "data:"];
      for (let i = 0; i < n(45_000); i++) lines.push(`  key-${String(i).padStart(6, "0")}: value-${i}-abcdef`);
      return { method: "POST", path: CM, body: lines.join("\n"), contentType: "application/yaml", want: 413 };
    },
  },
  {
    name: "protobuf-create-1.4mib",
    what: "create from a 1.4 MiB protobuf body (45,000 data keys; 413 after decoding and tracking)",
    heavy: () => {
      const data: Record<string, string> = {};
      for (let i = 0; i < n(45_000); i++) data[`key-${String(i).padStart(6, "0")}`] = `value-${i}-abcdef`;
      return {
        method: "POST",
        path: CM,
        body: protobufConfigMap("proto", data),
        contentType: "application/vnd.kubernetes.protobuf",
        want: 413,
      };
    },
  },
  {
    name: "list-2000x10kib",
    what: "list of 2,000 ConfigMaps of 10 KiB (20 MiB)",
    setup: async (c) => {
      await ensureNamespace(c, "stall-list");
      const value = "x".repeat(n(10_000));
      await runPool(n(2000), 8, async (i) => {
        await must(
          c.post(configMapsPath("stall-list"), {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: `l${i}` },
            data: { value },
          }),
          [201],
          "create",
        );
      });
    },
    heavy: () => ({ method: "GET", path: configMapsPath("stall-list"), want: 200 }),
  },
];

/** Poll /readyz back to back until `done` settles; returns each answer's latency (ms). */
async function pollReadyz(poller: KcpClient, done: Promise<unknown>): Promise<number[]> {
  let finished = false;
  done.then(
    () => (finished = true),
    () => (finished = true),
  );
  const samples: number[] = [];
  while (!finished) {
    const r = await poller.get("/readyz");
    if (r.status !== 200) throw new Error(`/readyz: HTTP ${r.status}`);
    samples.push(r.ms);
  }
  return samples;
}

async function runCase(c: Case, client: KcpClient, heavyClient: KcpClient, poller: KcpClient): Promise<Row> {
  await c.setup?.(client);
  const h = c.heavy();
  // The heavy request's client work (building its body) is done; let the server settle.
  await Bun.sleep(200);
  const t0 = now();
  const heavy = heavyClient.request(
    h.method,
    h.path,
    h.body as string | undefined,
    h.contentType ?? "application/json",
  );
  const samples = await pollReadyz(poller, heavy);
  const reply = await heavy;
  const heavyMs = now() - t0;
  const s = summarize(samples);
  const ok = reply.status === h.want || (scale < 1 && reply.status >= 200 && reply.status < 300);
  return {
    workload: W,
    metric: `stall: ${c.name}`,
    value: s.max,
    unit: "ms max /readyz",
    notes: `${c.what}; the request took ${heavyMs.toFixed(0)} ms, HTTP ${reply.status}${ok ? "" : ` (want ${h.want}: ${reply.body.slice(0, 160)})`}; ${s.count} /readyz answers, p50 ${s.p50.toFixed(1)} ms`,
    details: { heavyMs, status: reply.status, readyz: s },
    ...(ok ? {} : { error: `HTTP ${reply.status}, want ${h.want}: ${reply.body.slice(0, 300)}` }),
  };
}

export const stallWorkload: Workload = {
  name: W,
  description:
    "the longest /readyz answer while one worst bounded request (apply, patches, big bodies, a big list) runs",
  async run(ctx: Context): Promise<Row[]> {
    scale = ctx.sizeName === "tiny" ? 0.05 : 1;
    return withKcp(ctx, W, async (s) => {
      const heavyClient = new KcpClient(s.kcp);
      const poller = new KcpClient(s.kcp);
      try {
        await ensureNamespace(s.client, NS);
        await must(s.client.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", blobsCrd), [201], "CRD");
        const deadline = now() + 15_000;
        while ((await s.client.get(BLOBS)).status !== 200) {
          if (now() > deadline) throw new Error("the Blob CRD was not served within 15 s");
          await Bun.sleep(100);
        }
        const idle: number[] = [];
        for (let i = 0; i < 200; i++) idle.push((await poller.get("/readyz")).ms);
        const rows: Row[] = [
          {
            workload: W,
            metric: "stall: idle",
            value: summarize(idle).max,
            unit: "ms max /readyz",
            notes: `200 /readyz with nothing else running, p50 ${summarize(idle).p50.toFixed(1)} ms; load average ${loadAverage().join(" ")}`,
          },
        ];
        const only = process.env.KCP_STALL_CASES?.split(",");
        for (const c of CASES) {
          if (only && !only.includes(c.name)) continue;
          ctx.log(`  ${c.name}`);
          try {
            rows.push(await runCase(c, s.client, heavyClient, poller));
          } catch (e) {
            rows.push({
              workload: W,
              metric: `stall: ${c.name}`,
              value: null,
              unit: "ms max /readyz",
              error: (e as Error).message.slice(0, 300),
            });
          }
        }
        return rows;
      } finally {
        heavyClient.close();
        poller.close();
      }
    });
  },
};
