// `bun scripts/check-layers.ts`: the layering rules of src/, checked over every import (type-only
// imports and dynamic `import("…")` included). Fails (exit 1) on:
//  - an import of src/server/ from a lower folder (apis, admission, storage, controllers, client,
//    machinery, pki, config, util): the HTTP layer sits on top, nothing below may reach it;
//  - an import from the machinery floor into any folder of ours above util/;
//  - any import cycle between files of src/.
// Run by `npm test` before the tests (scripts/test.ts) and usable alone.

import { readdir, readFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";

/** Folders (under src/) that must never import src/server/. */
export const BELOW_SERVER = [
  "apis",
  "admission",
  "auth",
  "storage",
  "controllers",
  "client",
  "machinery",
  "pki",
  "config",
  "util",
];
/** What the machinery floor may import of ours. */
export const MACHINERY_MAY_IMPORT = ["machinery", "util"];

export interface Violation {
  file: string;
  imports: string;
  rule: string;
}

const IMPORT_RE =
  /(?:^|[;\s}])(?:import|export)\s+(?:type\s+)?(?:[^"'`;]*?\s+from\s+)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

/** The relative module specifiers a source file imports (comments and strings outside imports are ignored). */
export function importsOf(source: string): string[] {
  const text = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT_RE)) {
    const spec = m[1] ?? m[2];
    if (spec?.startsWith(".")) out.push(spec);
  }
  return out;
}

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sourceFiles(p)));
    else if (/\.tsx?$/.test(e.name) && !e.name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

function topFolder(srcRoot: string, file: string): string {
  const rel = relative(srcRoot, file);
  const i = rel.indexOf("/");
  return i < 0 ? "" : rel.slice(0, i);
}

/** Checks a tree of files given as path → source; paths are relative to the project root. */
export function checkGraph(
  files: Map<string, string>,
  srcRoot = "src",
): { violations: Violation[]; cycles: string[][] } {
  const graph = new Map<string, string[]>();
  const violations: Violation[] = [];
  for (const [file, source] of files) {
    const deps: string[] = [];
    const from = topFolder(srcRoot, file);
    for (const spec of importsOf(source)) {
      const target = relative(".", resolve(dirname(file), spec));
      if (files.has(target)) deps.push(target);
      const to = topFolder(srcRoot, target);
      if (!target.startsWith(`${srcRoot}/`)) continue;
      if (to === "server" && BELOW_SERVER.includes(from))
        violations.push({ file, imports: target, rule: `src/${from} may not import src/server` });
      if (from === "machinery" && to !== "" && !MACHINERY_MAY_IMPORT.includes(to)) {
        violations.push({ file, imports: target, rule: "src/machinery may import only src/machinery and src/util" });
      }
    }
    graph.set(file, deps);
  }
  return { violations, cycles: cyclesOf(graph) };
}

/** Strongly connected components with more than one file (or a file importing itself), by Tarjan's algorithm. */
export function cyclesOf(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  // Iterative, so a deep import chain cannot overflow the call stack.
  for (const start of graph.keys()) {
    if (idx.has(start)) continue;
    const work: { node: string; next: number }[] = [{ node: start, next: 0 }];
    idx.set(start, index);
    low.set(start, index++);
    stack.push(start);
    onStack.add(start);
    while (work.length) {
      const top = work[work.length - 1] as { node: string; next: number };
      const deps = graph.get(top.node) ?? [];
      if (top.next < deps.length) {
        const d = deps[top.next++] as string;
        if (!idx.has(d)) {
          idx.set(d, index);
          low.set(d, index++);
          stack.push(d);
          onStack.add(d);
          work.push({ node: d, next: 0 });
        } else if (onStack.has(d)) {
          low.set(top.node, Math.min(low.get(top.node) as number, idx.get(d) as number));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node) as number, low.get(top.node) as number));
      if (low.get(top.node) === idx.get(top.node)) {
        const scc: string[] = [];
        let n: string;
        do {
          n = stack.pop() as string;
          onStack.delete(n);
          scc.push(n);
        } while (n !== top.node);
        if (scc.length > 1 || (graph.get(top.node) ?? []).includes(top.node)) out.push(scc.sort());
      }
    }
  }
  return out;
}

async function main(): Promise<number> {
  const root = join(import.meta.dir, "..");
  process.chdir(root);
  const files = new Map<string, string>();
  for (const f of await sourceFiles("src")) files.set(f, await readFile(f, "utf8"));
  const { violations, cycles } = checkGraph(files);
  for (const v of violations) console.error(`layers: ${v.file} imports ${v.imports} (${v.rule})`);
  for (const c of cycles) console.error(`layers: import cycle: ${c.join(" ↔ ")}`);
  if (violations.length || cycles.length) {
    console.error(`layers: ${violations.length} forbidden import(s), ${cycles.length} cycle(s) in ${files.size} files`);
    return 1;
  }
  console.log(`layers: ${files.size} files, no forbidden import, no cycle`);
  return 0;
}

if (import.meta.main) process.exit(await main());
