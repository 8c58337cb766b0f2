// Summarise a .cpuprofile (Chrome format, as `bun --cpu-prof` writes; bench --cpu-prof <dir>
// gives one per server): where the samples fall — by function (self and inclusive time) and by
// source file — so a report can say what costs the time.
//
// Usage: bun scripts/bench/profile-summary.ts <file.cpuprofile> [--top N] [--from-ms A] [--to-ms B] [--focus <function>]

import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { parseArgs } from "node:util";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const ROOT = new URL("../..", import.meta.url).pathname;

function place(f: CallFrame): string {
  if (!f.url) return "(native)";
  const u = f.url.replace(/^file:\/\//, "");
  const rel = u.startsWith(ROOT) ? relative(ROOT, u) : u;
  return rel.replace(/^node_modules\//, "npm:");
}

function label(f: CallFrame): string {
  const name = f.functionName || "(anonymous)";
  return f.url ? `${name} ${place(f)}:${f.lineNumber + 1}` : name;
}

export function summarizeProfile(
  p: Profile,
  opts: { top: number; fromMs?: number; toMs?: number; focus?: string },
): string {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  let t = p.startTime;
  let total = 0;
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0;
    t += dt;
    const ms = (t - p.startTime) / 1000;
    if (opts.fromMs !== undefined && ms < opts.fromMs) return;
    if (opts.toMs !== undefined && ms > opts.toMs) return;
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
    total += dt;
  });
  const self = new Map<string, number>();
  const incl = new Map<string, number>();
  const files = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id) as ProfileNode;
    const l = label(node.callFrame);
    self.set(l, (self.get(l) ?? 0) + us);
    files.set(place(node.callFrame), (files.get(place(node.callFrame)) ?? 0) + us);
    // Inclusive: every distinct function on the stack gets the sample once.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const fl = label((byId.get(cur) as ProfileNode).callFrame);
      if (seen.has(fl)) continue;
      seen.add(fl);
      incl.set(fl, (incl.get(fl) ?? 0) + us);
    }
  }
  // Under --focus <name>: the time of each function called (at any depth) below the outermost
  // frame whose function name is <name>, as a share of that frame's inclusive time.
  const below = new Map<string, number>();
  let focusTotal = 0;
  if (opts.focus) {
    for (const [id, us] of selfUs) {
      const chain: string[] = [];
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur))
        chain.push(label((byId.get(cur) as ProfileNode).callFrame));
      const at = chain.findLastIndex((l) => l.split(" ")[0] === opts.focus);
      if (at < 0) continue;
      focusTotal += us;
      const seen = new Set<string>();
      for (const l of chain.slice(0, at)) {
        if (seen.has(l)) continue;
        seen.add(l);
        below.set(l, (below.get(l) ?? 0) + us);
      }
      below.set("(self)", (below.get("(self)") ?? 0) + (at === 0 ? us : 0));
    }
  }
  const pct = (us: number) =>
    `${((100 * us) / total).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(6)} ms`;
  const top = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => `  ${pct(v)}  ${k}`);
  return [
    `profile: ${(total / 1000).toFixed(0)} ms of samples${opts.fromMs !== undefined || opts.toMs !== undefined ? ` between ${opts.fromMs ?? 0} and ${opts.toMs ?? "end"} ms` : ""}`,
    "",
    "self time by function:",
    ...top(self, opts.top),
    "",
    "inclusive time by function:",
    ...top(incl, opts.top),
    "",
    "self time by file:",
    ...top(files, opts.top),
    ...(opts.focus
      ? [
          "",
          `below ${opts.focus} (${(focusTotal / 1000).toFixed(0)} ms inclusive), time of each callee at any depth, % of all samples:`,
          ...top(below, opts.top * 2),
        ]
      : []),
  ].join("\n");
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: {
      top: { type: "string", default: "25" },
      "from-ms": { type: "string" },
      "to-ms": { type: "string" },
      focus: { type: "string" },
    },
  });
  const file = positionals[0];
  if (!file) {
    console.error(
      "usage: bun scripts/bench/profile-summary.ts <file.cpuprofile> [--top N] [--from-ms A] [--to-ms B] [--focus <function>]",
    );
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
  console.log(
    summarizeProfile(profile, {
      top: Number(values.top),
      ...(values["from-ms"] ? { fromMs: Number(values["from-ms"]) } : {}),
      ...(values["to-ms"] ? { toMs: Number(values["to-ms"]) } : {}),
      ...(values.focus ? { focus: values.focus } : {}),
    }),
  );
}
