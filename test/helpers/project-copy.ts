// A throwaway copy of the project for building the compiled binary: src/, the build scripts,
// package.json, and the runtime dependencies (package.json "dependencies", with everything they
// depend on) as real files. A binary built from it remembers the copy's absolute module paths;
// once the copy is deleted, nothing the binary could fall back on remains on disk.

import { cpSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

export const REPO = resolve(import.meta.dir, "../..");

export function copyProject(dest: string): void {
  cpSync(join(REPO, "src"), join(dest, "src"), { recursive: true });
  for (const f of ["package.json", "scripts/build.ts", "scripts/etcd3-compile-plugin.ts"]) {
    mkdirSync(dirname(join(dest, f)), { recursive: true });
    cpSync(join(REPO, f), join(dest, f));
  }
  const pkg = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { dependencies: Record<string, string> };
  copyDependencies(Object.keys(pkg.dependencies), REPO, dest);
}

/** Copy packages and, transitively, their dependencies, resolved as Node resolves them. */
function copyDependencies(names: string[], fromRoot: string, toRoot: string): void {
  const copied = new Set<string>();
  const visit = (name: string, fromDir: string, optional: boolean) => {
    const dir = resolvePackage(name, fromDir, fromRoot);
    if (!dir) {
      if (optional) return;
      throw new Error(`package ${name} (needed from ${fromDir}) is not installed`);
    }
    if (copied.has(dir)) return;
    copied.add(dir);
    const dest = join(toRoot, relative(fromRoot, dir));
    mkdirSync(dest, { recursive: true });
    // A package's own node_modules are copied package by package, as they are reached.
    cpSync(dir, dest, {
      recursive: true,
      dereference: true,
      filter: (src) => src === dir || !relative(dir, src).startsWith("node_modules"),
    });
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
    };
    for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep, dir, false);
    for (const dep of Object.keys({ ...pkg.optionalDependencies, ...pkg.peerDependencies })) visit(dep, dir, true);
  };
  for (const name of names) visit(name, fromRoot, false);
}

/** The directory `name` resolves to from `fromDir`: its node_modules, then each parent's up to `root`. */
function resolvePackage(name: string, fromDir: string, root: string): string | null {
  let dir = fromDir;
  for (;;) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    if (dir === root || dir === dirname(dir)) return null;
    dir = dirname(dir);
  }
}
