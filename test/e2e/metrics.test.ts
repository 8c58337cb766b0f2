// /metrics with the real kubectl (`get --raw /metrics` as admin), read by Prometheus' own parser
// (Debian's python3-prometheus-client under /usr/bin/python3): every family parses with its type,
// the request counter, the latency histograms and the object gauge move after requests, made-up
// resources do not become labels, and a user without `get` on the /metrics URL gets 403 until
// bound to system:monitoring.
import { describe, expect, test } from "bun:test";
import { type KcpProcess, api, kubectl, spawnKubectl, startKcp, useKcp } from "../helpers/kcp-process.ts";

let kcp: KcpProcess;
useKcp((k) => (kcp = k));

const PYTHON = "/usr/bin/python3";
const PARSE = `
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = {"types": {}, "samples": []}
for f in text_string_to_metric_families(sys.stdin.read()):
    out["types"][f.name] = f.type
    for s in f.samples:
        out["samples"].append([s.name, s.labels, s.value])
print(json.dumps(out))
`;

interface Parsed {
  types: Record<string, string>;
  samples: [string, Record<string, string>, number][];
}

async function scrape(from: KcpProcess = kcp): Promise<Parsed> {
  const r = await kubectl(from, ["get", "--raw", "/metrics"]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  const py = Bun.spawn([PYTHON, "-c", PARSE], {
    stdin: new TextEncoder().encode(r.stdout),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([
    new Response(py.stdout).text(),
    new Response(py.stderr).text(),
    py.exited,
  ]);
  expect(err).toBe("");
  expect(code).toBe(0);
  return JSON.parse(out) as Parsed;
}

/** The one sample named `name` whose labels include `labels` (0 when there is none). */
function value(p: Parsed, name: string, labels: Record<string, string> = {}): number {
  const hits = p.samples.filter(([n, l]) => n === name && Object.entries(labels).every(([k, v]) => l[k] === v));
  expect(hits.length).toBeLessThanOrEqual(1);
  return hits[0]?.[2] ?? 0;
}

async function ok(args: string[]): Promise<string> {
  const r = await kubectl(kcp, args);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return r.stdout;
}

describe("/metrics", () => {
  test("every family parses with its type", async () => {
    const p = await scrape();
    // The parser names a counter's family without its _total suffix.
    expect(p.types).toMatchObject({
      apiserver_request: "counter",
      apiserver_request_duration_seconds: "histogram",
      kcp_storage_operation_duration_seconds: "histogram",
      apiserver_storage_objects: "gauge",
      kcp_open_watches: "gauge",
      kcp_logical_clusters: "gauge",
      process_cpu_seconds: "counter",
      process_resident_memory_bytes: "gauge",
    });
    expect(value(p, "process_resident_memory_bytes")).toBeGreaterThan(1024 * 1024);
    expect(value(p, "process_cpu_seconds_total")).toBeGreaterThan(0);
    expect(value(p, "kcp_logical_clusters")).toBeGreaterThanOrEqual(1);
    // No logical cluster label anywhere (bounded cardinality).
    expect(p.samples.some(([, l]) => "cluster" in l || "logical_cluster" in l)).toBe(false);
  });

  test("the counters, histograms and object gauge move after requests", async () => {
    const created = { verb: "POST", group: "", version: "v1", resource: "configmaps", code: "201" };
    const timed = { verb: "POST", group: "", version: "v1", resource: "configmaps", subresource: "" };
    const before = await scrape();
    for (const n of ["m1", "m2", "m3"]) await ok(["create", "configmap", n]);
    const after = await scrape();
    expect(value(after, "apiserver_request_total", created) - value(before, "apiserver_request_total", created)).toBe(
      3,
    );
    const count = "apiserver_request_duration_seconds_count";
    expect(value(after, count, timed) - value(before, count, timed)).toBe(3);
    // Every observation is at most +Inf, and the +Inf bucket is the count.
    expect(value(after, "apiserver_request_duration_seconds_bucket", { ...timed, le: "+Inf" })).toBe(
      value(after, count, timed),
    );
    const objects = { resource: "configmaps" };
    expect(
      value(after, "apiserver_storage_objects", objects) - value(before, "apiserver_storage_objects", objects),
    ).toBe(3);
    const creates = { operation: "create" };
    const storageCount = "kcp_storage_operation_duration_seconds_count";
    expect(value(after, storageCount, creates) - value(before, storageCount, creates)).toBeGreaterThanOrEqual(3);
    // A get of a missing object is a 404 under its resource.
    await kubectl(kcp, ["get", "configmap", "nope"]);
    const missing = await scrape();
    expect(value(missing, "apiserver_request_total", { verb: "GET", resource: "configmaps", code: "404" })).toBe(1);
  });

  test("a resource that is not served is no label", async () => {
    const r = await api(kcp, "/api/v1/namespaces/default/made-up-thing");
    expect(r.status).toBe(404);
    const p = await scrape();
    expect(p.samples.some(([, l]) => l.resource === "made-up-thing")).toBe(false);
    expect(value(p, "apiserver_request_total", { verb: "LIST", resource: "", code: "404" })).toBeGreaterThanOrEqual(1);
  });

  test("requests a filter refuses are counted too", async () => {
    const refused = { verb: "LIST", resource: "namespaces", code: "401" };
    const before = value(await scrape(), "apiserver_request_total", refused);
    expect((await api(kcp, "/api/v1/namespaces", { token: "not-a-token" })).status).toBe(401);
    expect(value(await scrape(), "apiserver_request_total", refused)).toBe(before + 1);
  });

  test("open watches are counted while they run", async () => {
    const w = spawnKubectl(kcp, ["get", "configmaps", "--watch"]);
    try {
      const deadline = Date.now() + 10_000;
      while (value(await scrape(), "kcp_open_watches") < 1) {
        if (Date.now() > deadline) throw new Error("the watch was never counted");
        await Bun.sleep(100);
      }
    } finally {
      await w.stop();
    }
  });

  test("403 without get on /metrics, allowed once bound to system:monitoring", async () => {
    await ok(["create", "serviceaccount", "scraper"]);
    const token = (await ok(["create", "token", "scraper"])).trim();
    const denied = await kubectl(kcp, ["--token", token, "get", "--raw", "/metrics"]);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toBe(
      'Error from server (Forbidden): forbidden: User "system:serviceaccount:default:scraper" cannot get path "/metrics"\n',
    );
    await ok([
      "create",
      "clusterrolebinding",
      "scraper-monitoring",
      "--clusterrole=system:monitoring",
      "--serviceaccount=default:scraper",
    ]);
    const deadline = Date.now() + 5000;
    for (;;) {
      const r = await kubectl(kcp, ["--token", token, "get", "--raw", "/metrics"]);
      if (r.code === 0) {
        expect(r.stdout).toContain("# TYPE apiserver_request_total counter\n");
        break;
      }
      if (Date.now() > deadline) throw new Error(`still refused: ${r.stderr}`);
      await Bun.sleep(50);
    }
  });

  test("served in the default logical cluster only", async () => {
    // The logical cluster exists once something is created in it.
    const cm = await api(kcp, "/clusters/other-tenant/api/v1/namespaces/default/configmaps", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" } }),
    });
    expect(cm.status).toBe(201);
    expect((await api(kcp, "/clusters/other-tenant/version")).status).toBe(200);
    const r = await api(kcp, "/clusters/other-tenant/metrics");
    expect(r.status).toBe(404);
  });
});

describe("/metrics --metrics-cluster-label", () => {
  test("request series carry logical_cluster, one per tenant", async () => {
    const labelled = await startKcp({ args: ["--metrics-cluster-label"] });
    try {
      for (const cluster of ["team-m", "team-m", "team-n"]) {
        const r = await api(labelled, `/clusters/${cluster}/api/v1/namespaces/default/configmaps`);
        expect(r.status).toBe(200);
      }
      const p = await scrape(labelled);
      const list = { verb: "LIST", resource: "configmaps", code: "200" };
      expect(value(p, "apiserver_request_total", { ...list, logical_cluster: "team-m" })).toBe(2);
      expect(value(p, "apiserver_request_total", { ...list, logical_cluster: "team-n" })).toBe(1);
    } finally {
      await labelled.stop();
    }
    // Without the flag (the shared server) no series has the label.
    const plain = await scrape();
    expect(plain.samples.some(([, l]) => "logical_cluster" in l)).toBe(false);
  });
});
