// The exposition writer and the request metrics without a server: label values are escaped, a
// histogram's buckets are cumulative, and request labels stay bounded however many made-up
// resources are asked for.
import { describe, expect, test } from "bun:test";
import { MAX_SERIES, RequestMetrics, reportedVerb } from "../../src/server/metrics/request-metrics.ts";
import type { ResourceRequestInfo } from "../../src/server/request-info.ts";
import { ExpositionWriter, Histogram, labelSet } from "../../src/util/prometheus.ts";

function info(resource: string, verb = "get", subresource?: string, cluster = "admin"): ResourceRequestInfo {
  return {
    kind: "resource",
    cluster,
    wildcard: false,
    verb,
    apiPrefix: "api",
    group: "",
    version: "v1",
    resource,
    ...(subresource ? { subresource } : {}),
    path: `/api/v1/${resource}`,
  };
}

describe("Prometheus text format", () => {
  test("label values escape backslash, quote and newline", () => {
    expect(labelSet([["a", 'x\\y"z\nw']])).toBe('{a="x\\\\y\\"z\\nw"}');
  });

  test("a histogram's buckets are cumulative and end in +Inf = count", () => {
    const h = new Histogram([0.1, 1]);
    for (const v of [0.05, 0.5, 0.7, 5]) h.observe(v);
    const w = new ExpositionWriter();
    w.family("t", "histogram", "test");
    w.histogram("t", [["op", "get"]], h);
    expect(w.text()).toBe(
      [
        "# HELP t test",
        "# TYPE t histogram",
        't_bucket{op="get",le="0.1"} 1',
        't_bucket{op="get",le="1"} 3',
        't_bucket{op="get",le="+Inf"} 4',
        't_sum{op="get"} 6.25',
        't_count{op="get"} 4',
        "",
      ].join("\n"),
    );
  });
});

describe("RequestMetrics", () => {
  test("verbs as kube reports them", () => {
    expect(reportedVerb("GET", null, info("pods", "list"))).toBe("LIST");
    expect(reportedVerb("PATCH", "application/apply-patch+yaml", info("pods", "patch"))).toBe("APPLY");
    expect(reportedVerb("DELETE", null, info("pods", "deletecollection"))).toBe("DELETE");
    expect(reportedVerb("BREW", null, undefined)).toBe("other");
  });

  test("without a registry every resource is a label, but never more than MAX_SERIES of them", () => {
    const m = new RequestMetrics();
    for (let i = 0; i < MAX_SERIES + 50; i++) m.record("GET", null, info(`r${i}`), 404, 0.001);
    const w = new ExpositionWriter();
    m.write(w);
    const lines = w
      .text()
      .split("\n")
      .filter((l) => l.startsWith("apiserver_request_total{"));
    // MAX_SERIES series with a resource, and one more: the fold for GET's.
    expect(lines.length).toBe(MAX_SERIES + 1);
    // The rest are counted, under the empty resource.
    expect(lines.find((l) => l.includes(',resource="",'))).toEndWith(" 50");
  });

  test("no logical_cluster label by default; --metrics-cluster-label keeps tenants apart, within the cap", () => {
    const requests = (m: RequestMetrics) => {
      for (const cluster of ["admin", "team-a", "team-a", "team-b"])
        m.record("GET", null, info("configmaps", "list", undefined, cluster), 200, 0.001);
      const w = new ExpositionWriter();
      m.write(w);
      return w
        .text()
        .split("\n")
        .filter((l) => l.startsWith("apiserver_request_total{"));
    };
    const plain = requests(new RequestMetrics());
    expect(plain).toHaveLength(1);
    expect(plain[0]).not.toContain("logical_cluster");
    expect(plain[0]).toEndWith(" 4");

    const labelled = requests(new RequestMetrics(undefined, { clusterLabel: true }));
    expect(labelled).toHaveLength(3);
    expect(labelled.find((l) => l.includes('logical_cluster="team-a"'))).toEndWith(" 2");
    expect(labelled.find((l) => l.includes('logical_cluster="team-b"'))).toEndWith(" 1");

    // Many tenants: past MAX_SERIES they fold into the unlabelled, resource-less series.
    const m = new RequestMetrics(undefined, { clusterLabel: true });
    for (let i = 0; i < MAX_SERIES + 30; i++)
      m.record("GET", null, info("pods", "get", undefined, `t${i}`), 200, 0.001);
    const w = new ExpositionWriter();
    m.write(w);
    const lines = w
      .text()
      .split("\n")
      .filter((l) => l.startsWith("apiserver_request_total{"));
    expect(lines.length).toBe(MAX_SERIES + 1);
    expect(lines.find((l) => l.includes('logical_cluster=""'))).toEndWith(" 30");
  });
});
