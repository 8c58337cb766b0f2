// `bun scripts/check-layers.ts`: the layering rules of src/, checked over every import (type-only
// imports and dynamic `import("…")` included, as TypeScript's pre-processor reads them). Fails
// (exit 1) on:
//  - an import that points up: each folder of src/ has a layer (LAYERS below); a file may import its
//    own folder and folders of lower layers only. So nothing below src/server/ (HTTP only) imports
//    it, and the machinery floor imports nothing of ours but util/;
//  - a folder of src/ that is not in LAYERS (a new room must be given its place);
//  - any import cycle between files of src/.
// test/unit/layers.test.ts runs it with the suite; it also runs alone.

import { readdir, readFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";

/**
 * The layer of each folder of src/ (top-level files by name), lowest first. Folders on one layer
 * may not import each other. docs/architecture.md says what each holds.
 */
export const LAYERS: Record<string, number> = {
  util: 0,
  "log.ts": 0,
  "version.ts": 0,
  machinery: 1,
  pki: 1,
  config: 1,
  storage: 2,
  auth: 3,
  apis: 4,
  client: 5,
  admission: 6,
  controllers: 6,
  server: 7,
  app: 8,
  cli: 9,
  "main.ts": 10,
};

export interface Violation {
  file: string;
  imports: string;
  rule: string;
}

/**
 * The relative module specifiers a source file imports: static, type-only, re-exports and dynamic
 * `import("…")`, as TypeScript's own pre-processor finds them (comments and strings are no imports).
 */
export function importsOf(source: string): string[] {
  return ts
    .preProcessFile(source, true, true)
    .importedFiles.map((f) => f.fileName)
    .filter((spec) => spec.startsWith("."));
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

/** The folder of src/ a file is in, or the file's own name for a file directly in src/. */
function topFolder(srcRoot: string, file: string): string {
  const rel = relative(srcRoot, file);
  const i = rel.indexOf("/");
  return i < 0 ? rel : rel.slice(0, i);
}

/** Checks a tree of files given as path → source; paths are relative to the project root. */
export function checkGraph(
  files: Map<string, string>,
  srcRoot = "src",
): { violations: Violation[]; cycles: string[][] } {
  const graph = new Map<string, string[]>();
  const violations: Violation[] = [];
  const unplaced = new Set<string>();
  for (const [file, source] of files) {
    const deps: string[] = [];
    const from = topFolder(srcRoot, file);
    const fromLayer = LAYERS[from];
    if (fromLayer === undefined && !unplaced.has(from)) {
      unplaced.add(from);
      violations.push({ file, imports: "", rule: `src/${from} has no layer in scripts/check-layers.ts` });
    }
    for (const spec of importsOf(source)) {
      const target = relative(".", resolve(dirname(file), spec));
      if (files.has(target)) deps.push(target);
      if (!target.startsWith(`${srcRoot}/`)) continue;
      const to = topFolder(srcRoot, target);
      const toLayer = LAYERS[to];
      if (to === from || fromLayer === undefined || toLayer === undefined) continue;
      if (toLayer >= fromLayer) {
        const what = toLayer === fromLayer ? "a folder of the same layer" : "a higher layer";
        violations.push({ file, imports: target, rule: `src/${from} may not import src/${to} (${what})` });
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
