// Summarise a V8-format heap snapshot (bench --heap-snapshot <dir> writes them, through
// kcp-profiled.ts): total size, and the largest groups of objects by constructor/type name.
//
// Usage: bun scripts/bench/heap-summary.ts <file.heapsnapshot> [--top N]

import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: (string | string[])[] } };
  nodes: number[];
  strings: string[];
}

export function summarizeHeap(s: Snapshot, top: number): string {
  const fields = s.snapshot.meta.node_fields;
  const width = fields.length;
  const typeAt = fields.indexOf("type");
  const nameAt = fields.indexOf("name");
  const sizeAt = fields.indexOf("self_size");
  const types = s.snapshot.meta.node_types[typeAt] as string[];
  const groups = new Map<string, { count: number; bytes: number }>();
  let total = 0;
  let count = 0;
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + typeAt] as number] ?? "?";
    const name = s.strings[s.nodes[i + nameAt] as number] ?? "?";
    const size = s.nodes[i + sizeAt] as number;
    const key =
      type === "string" || type === "concatenated string" || type === "sliced string"
        ? `(${type})`
        : `${name} (${type})`;
    const g = groups.get(key) ?? { count: 0, bytes: 0 };
    g.count++;
    g.bytes += size;
    groups.set(key, g);
    total += size;
    count++;
  }
  const mib = (b: number) => (b / 1048576).toFixed(2);
  return [
    `heap: ${mib(total)} MiB in ${count} objects`,
    "",
    "| objects | MiB | count |",
    "|---|---:|---:|",
    ...[...groups.entries()]
      .sort((a, b) => b[1].bytes - a[1].bytes)
      .slice(0, top)
      .map(([k, g]) => `| ${k.replace(/\|/g, "\\|").slice(0, 80)} | ${mib(g.bytes)} | ${g.count} |`),
  ].join("\n");
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: { top: { type: "string", default: "25" } },
  });
  if (!positionals[0]) {
    console.error("usage: bun scripts/bench/heap-summary.ts <file.heapsnapshot> [--top N]");
    process.exit(2);
  }
  console.log(summarizeHeap(JSON.parse(readFileSync(positionals[0], "utf8")) as Snapshot, Number(values.top)));
}
