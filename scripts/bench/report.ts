// The result table, for the terminal (aligned columns) and for Markdown (docs/performance.md).

import type { MachineInfo } from "./proc.ts";
import { fmt } from "./stats.ts";
import { type Row, type Target, verdict } from "./types.ts";

export interface Header {
  date: string;
  size: string;
  machine: MachineInfo;
  shared: string;
  loadAverage: { before: number[]; after: number[] };
  durationSeconds: number;
}

const OPS: Record<Target["op"], string> = { ">=": "≥", "<=": "≤", "==": "=" };

function value(r: Row): string {
  if (r.error !== undefined) return "error";
  if (r.skipped !== undefined) return "skipped";
  // Counts (errors, lost writes) print as integers.
  const digits = r.unit === "" && r.value !== null && Number.isInteger(r.value) ? 0 : undefined;
  return `${fmt(r.value, digits)}${r.unit ? ` ${r.unit}` : ""}`;
}

function target(r: Row): string {
  const parts: string[] = [];
  if (r.target)
    parts.push(
      `${OPS[r.target.op]} ${fmt(r.target.value, Number.isInteger(r.target.value) ? 0 : undefined)}${r.unit ? ` ${r.unit}` : ""}`,
    );
  if (r.ratioTarget) parts.push(`${OPS[r.ratioTarget.op]} ${r.ratioTarget.value}× raw`);
  return parts.join(" and ") || "—";
}

function raw(r: Row): string {
  return r.raw ? `${fmt(r.raw.value)} ${r.raw.unit} (${r.raw.name})` : "—";
}

function ratio(r: Row): string {
  return r.ratio === undefined || r.skipped !== undefined ? "—" : `${fmt(r.ratio, r.ratio >= 100 ? 0 : 2)}×`;
}

function result(r: Row): string {
  const v = verdict(r);
  if (v === "skipped") return `skipped: ${r.skipped}`;
  if (r.error !== undefined) return `FAIL: ${r.error}`;
  return v;
}

const COLUMNS = ["#", "workload", "metric", "value", "target", "raw part (same run)", "ratio", "result"];

function cells(rows: Row[]): string[][] {
  return rows.map((r, i) => [String(i + 1), r.workload, r.metric, value(r), target(r), raw(r), ratio(r), result(r)]);
}

function headerLines(h: Header): string[] {
  const m = h.machine;
  return [
    `kcp bench, ${h.date}, size ${h.size}, ${h.durationSeconds} s`,
    `machine: ${m.nproc} × ${m.model}, ${m.memoryGiB} GiB RAM, Linux ${m.kernel}, Bun ${m.bun}, open files ${m.openFilesLimit}`,
    `load average (1/5/15 min) before ${h.loadAverage.before.join(" ")}, after ${h.loadAverage.after.join(" ")}`,
    `${h.shared}; all traffic on 127.0.0.1 over HTTPS with keep-alive; ratio = value ÷ raw part (for latencies: times slower)`,
  ];
}

function notes(rows: Row[]): string[] {
  return rows.flatMap((r, i) => (r.notes ? [`${i + 1}. ${r.notes}`] : []));
}

export function renderTerminal(rows: Row[], h: Header): string {
  const table = [COLUMNS, ...cells(rows)];
  const widths = COLUMNS.map((_, c) =>
    Math.min(c === 7 ? 60 : 70, Math.max(...table.map((row) => (row[c] as string).length))),
  );
  const line = (row: string[]) =>
    row
      .map((cell, c) =>
        cell.length > (widths[c] as number)
          ? `${cell.slice(0, (widths[c] as number) - 1)}…`
          : cell.padEnd(widths[c] as number),
      )
      .join("  ");
  return [
    "",
    ...headerLines(h),
    "",
    line(COLUMNS),
    widths.map((w) => "─".repeat(w)).join("  "),
    ...table.slice(1).map(line),
    "",
    "notes:",
    ...notes(rows),
  ].join("\n");
}

export function renderMarkdown(rows: Row[], h: Header): string {
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  return [
    ...headerLines(h).map((l) => `${l}  `),
    "",
    `| ${COLUMNS.join(" | ")} |`,
    `|${COLUMNS.map((_, i) => (i === 0 || i === 3 || i === 6 ? "---:" : "---")).join("|")}|`,
    ...cells(rows).map((c) => `| ${c.map(esc).join(" | ")} |`),
    "",
    "Notes:",
    "",
    ...notes(rows).map(esc),
  ].join("\n");
}
