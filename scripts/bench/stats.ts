// Percentiles and summaries of latency samples (milliseconds), and number formatting for the table.

export interface Summary {
  count: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** The p-th percentile (0–100) by the nearest-rank method; NaN for no samples. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

export function summarize(samples: readonly number[]): Summary {
  const s = Float64Array.from(samples).sort();
  const arr = Array.from(s);
  let total = 0;
  for (const v of arr) total += v;
  return {
    count: arr.length,
    min: arr.length ? (arr[0] as number) : Number.NaN,
    p50: percentile(arr, 50),
    p90: percentile(arr, 90),
    p99: percentile(arr, 99),
    max: arr.length ? (arr[arr.length - 1] as number) : Number.NaN,
    mean: arr.length ? total / arr.length : Number.NaN,
  };
}

export function median(samples: readonly number[]): number {
  return summarize(samples).p50;
}

/** 1234.5 → "1,235"; small values keep 2 significant decimals. */
export function fmt(v: number | undefined | null, digits?: number): string {
  if (v === undefined || v === null || Number.isNaN(v)) return "—";
  if (!Number.isFinite(v)) return String(v);
  const d = digits ?? (Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2);
  return v.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });
}

export function mib(bytes: number): number {
  return bytes / (1024 * 1024);
}

export function kib(bytes: number): number {
  return bytes / 1024;
}

/** Milliseconds since an arbitrary origin, sub-millisecond resolution. */
export function now(): number {
  return performance.now();
}
