// GET /metrics: kcp's metrics in Prometheus' text exposition format. Requests are recorded as they
// happen (request-metrics.ts); the rest is read when scraped: storage latency from the timed store,
// objects per resource and logical clusters counted in storage, open watches, process RSS and CPU.
// Served in the default logical cluster only (the numbers are the server's, not a tenant's);
// who may read it is RBAC's (nonResourceURLs /metrics, verb get: the system:monitoring role).

import type { Histogram } from "../../util/prometheus.ts";
import { ExpositionWriter, labelSet, PROMETHEUS_TEXT_TYPE } from "../../util/prometheus.ts";
import type { RequestMetrics } from "./request-metrics.ts";

export interface ServerMetrics {
  requests: RequestMetrics;
  /** Storage call latency per operation (src/storage/timed-storage.ts). */
  storageDurations?: ReadonlyMap<string, Histogram>;
  /** Stored objects per resource label (object-counts.ts). */
  objectCounts?: () => Promise<[string, number][]>;
  logicalClusters?: () => Promise<number>;
  openWatches?: () => number;
  /** Seats in use, requests waiting and rejected by flow control (src/server/fairness/). */
  flowControl?: { write(w: ExpositionWriter): void };
}

export async function metricsResponse(m: ServerMetrics): Promise<Response> {
  const [objects, clusters] = await Promise.all([m.objectCounts?.(), m.logicalClusters?.()]);
  const w = new ExpositionWriter();
  m.requests.write(w);
  if (m.storageDurations) {
    w.family(
      "kcp_storage_operation_duration_seconds",
      "histogram",
      "Latency of storage calls in seconds by operation.",
    );
    for (const [op, h] of m.storageDurations)
      w.histogram("kcp_storage_operation_duration_seconds", [["operation", op]], h);
  }
  if (objects) {
    w.family("apiserver_storage_objects", "gauge", "Number of stored objects at the time of last check split by kind.");
    for (const [resource, n] of objects) w.sample("apiserver_storage_objects", labelSet([["resource", resource]]), n);
  }
  if (m.openWatches) {
    w.family("kcp_open_watches", "gauge", "Number of watch requests being served.");
    w.sample("kcp_open_watches", "", m.openWatches());
  }
  m.flowControl?.write(w);
  if (clusters !== undefined) {
    w.family("kcp_logical_clusters", "gauge", "Number of logical clusters that exist.");
    w.sample("kcp_logical_clusters", "", clusters);
  }
  const cpu = process.cpuUsage();
  w.family("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.");
  w.sample("process_cpu_seconds_total", "", (cpu.user + cpu.system) / 1e6);
  w.family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
  w.sample("process_resident_memory_bytes", "", process.memoryUsage.rss());
  w.family("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.");
  w.sample("process_start_time_seconds", "", Math.floor(performance.timeOrigin) / 1000);
  return new Response(w.text(), { status: 200, headers: { "Content-Type": PROMETHEUS_TEXT_TYPE } });
}
