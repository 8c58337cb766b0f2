// The pieces of Prometheus' text exposition format (version 0.0.4) that kcp's /metrics needs: a
// histogram with fixed buckets that observes without allocating, and a writer for `# HELP`,
// `# TYPE` and sample lines with label values escaped. Hand-written: the format is a few rules
// (https://prometheus.io/docs/instrumenting/exposition_formats/), and a client library would add
// a dependency to the single binary for less than this file.

/** The Content-Type of the text format, as Prometheus' own clients send it. */
export const PROMETHEUS_TEXT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** kube-apiserver's buckets for apiserver_request_duration_seconds (seconds). */
export const KUBE_REQUEST_DURATION_BUCKETS: readonly number[] = [
  0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60,
];

/** A histogram's state: one count per upper bound (not cumulative; summed when written), the sum, the count. */
export class Histogram {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    this.sum += value;
    this.count++;
    // Linear from the small end: most observations land in the first few buckets.
    const b = this.bounds;
    for (let i = 0; i < b.length; i++) {
      if (value <= b[i]) {
        this.counts[i]++;
        return;
      }
    }
    // Above the last bound: only +Inf (count) holds it.
  }
}

/** A label value escaped for the text format: backslash, double quote and newline. */
export function escapeLabelValue(v: string): string {
  return v.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`));
}

/** A sample value as the format spells it (Go's strconv for floats; +Inf, -Inf, NaN). */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(v);
}

/** `{a="x",b="y"}` for label names and values given in pairs (names are trusted, values escaped). */
export function labelSet(labels: readonly (readonly [string, string])[]): string {
  if (labels.length === 0) return "";
  return `{${labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",")}}`;
}

/** Builds one exposition document: each metric family's HELP and TYPE once, then its samples. */
export class ExpositionWriter {
  private out: string[] = [];

  family(name: string, type: "counter" | "gauge" | "histogram", help: string): void {
    this.out.push(`# HELP ${name} ${help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`, `# TYPE ${name} ${type}`);
  }

  /** One sample; `labels` is a labelSet() string ("" for none). */
  sample(name: string, labels: string, value: number): void {
    this.out.push(`${name}${labels} ${formatValue(value)}`);
  }

  /** A histogram's `_bucket` (cumulative, ending in +Inf), `_sum` and `_count` samples. */
  histogram(name: string, labels: readonly (readonly [string, string])[], h: Histogram): void {
    let cumulative = 0;
    for (let i = 0; i < h.bounds.length; i++) {
      cumulative += h.counts[i];
      this.sample(`${name}_bucket`, labelSet([...labels, ["le", formatValue(h.bounds[i])]]), cumulative);
    }
    this.sample(`${name}_bucket`, labelSet([...labels, ["le", "+Inf"]]), h.count);
    const plain = labelSet(labels);
    this.sample(`${name}_sum`, plain, h.sum);
    this.sample(`${name}_count`, plain, h.count);
  }

  text(): string {
    return this.out.length ? `${this.out.join("\n")}\n` : "";
  }
}
