// The list data set, built once per run and shared by list-10k, list-100k, page-500 and
// start-100k: a kcp root directory holding `listSmall` ConfigMaps in namespace "small" and
// `listLarge` in namespace "large" (1 KiB each), loaded over HTTPS by concurrent clients. Then one
// kcp restarted on it (timed spawn → /readyz 200: the start-up with a full store) serves the
// list workloads.

import { configMap, configMapsPath, ensureNamespace, KcpClient, runPool } from "./client.ts";
import { type Kcp, launchKcp, removeDir, tempDir } from "./kcp-launcher.ts";
import { memoryOf } from "./proc.ts";
import { now } from "./stats.ts";
import type { Context, Dataset } from "./types.ts";

/** Workloads that need the large namespace. */
const NEEDS_LARGE = ["list-100k", "page-500", "start-100k"];

export function dataset(ctx: Context): Promise<Dataset> {
  return ctx.once("dataset", async () => {
    const large = NEEDS_LARGE.some((w) => ctx.selected.has(w)) ? ctx.sizes.listLarge : 0;
    const small = ctx.sizes.listSmall;
    const rootDir = tempDir("kcp-bench-dataset-");
    ctx.defer(() => removeDir(rootDir));
    ctx.log(`  data set: loading ${small} + ${large} ConfigMaps over HTTPS with ${ctx.sizes.loadClients} clients`);
    const kcp = await launchKcp({ rootDir, label: "dataset-load" });
    const client = new KcpClient(kcp, { concurrency: ctx.sizes.loadClients });
    const t0 = now();
    try {
      await ensureNamespace(client, "small");
      await ensureNamespace(client, "large");
      const jobs: [string, number][] = [
        ["small", small],
        ["large", large],
      ];
      for (const [ns, n] of jobs) {
        const path = configMapsPath(ns);
        let failed = 0;
        let sample = "";
        await runPool(n, ctx.sizes.loadClients, async (i) => {
          const r = await client.post(path, configMap(`obj-${String(i).padStart(7, "0")}`, ns));
          if (r.status !== 201) {
            failed++;
            sample ||= `HTTP ${r.status} ${r.body.slice(0, 200)}`;
          }
        });
        if (failed) throw new Error(`data set: ${failed} creates in ${ns} failed: ${sample}`);
      }
    } finally {
      client.close();
      await kcp.stop();
    }
    const loadSeconds = (now() - t0) / 1000;
    ctx.log(`  data set: ${small + large} objects in ${loadSeconds.toFixed(1)} s`);
    return { rootDir, small, large, objects: small + large, loadSeconds, loadPerSec: (small + large) / loadSeconds };
  });
}

export interface DatasetServer {
  kcp: Kcp;
  client: KcpClient;
  data: Dataset;
  /** Spawn → first 200 on /readyz of this (re)start on the full data set. */
  readyMs: number;
  /** RSS right after it became ready. */
  rssAfterStart: number;
}

/** kcp restarted on the data set (timed), shared by the list workloads; stopped at the end of the run. */
export function datasetServer(ctx: Context): Promise<DatasetServer> {
  return ctx.once("dataset-server", async () => {
    const data = await dataset(ctx);
    const kcp = await launchKcp({
      rootDir: data.rootDir,
      timeReady: true,
      label: "lists",
      ...(ctx.profiling ? { profiling: ctx.profiling } : {}),
    });
    const client = new KcpClient(kcp);
    ctx.defer(async () => {
      client.close();
      const snap = await kcp.heapSnapshot();
      if (snap) ctx.log(`  heap snapshot: ${snap}`);
      await kcp.stop();
    }, "dataset-server");
    return { kcp, client, data, readyMs: kcp.readyMs ?? Number.NaN, rssAfterStart: memoryOf(kcp.pid).rss };
  });
}

/** Read a response body to the end, counting bytes and objects (one "uid" per object). */
export async function drainCounting(res: Response): Promise<{ bytes: number; objects: number; firstByteMs: number }> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let bytes = 0;
  let objects = 0;
  let carry = "";
  const t0 = now();
  let firstByteMs = -1;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (firstByteMs < 0) firstByteMs = now() - t0;
    bytes += value.byteLength;
    const text = carry + decoder.decode(value, { stream: true });
    let at = text.indexOf('"uid":"');
    while (at >= 0) {
      objects++;
      at = text.indexOf('"uid":"', at + 7);
    }
    // Keep a tail shorter than the pattern, so a match split across chunks is found once.
    carry = text.slice(-6);
  }
  return { bytes, objects, firstByteMs };
}
