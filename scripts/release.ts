// `npm run release`: kcp compiled for every platform it ships on, into dist/release/, named
// kcp-<version>-<platform>[.exe], with a SHA256SUMS file that `sha256sum -c SHA256SUMS` checks.
// Each binary is scripts/build.ts's build (same plugins, same stamp: one commit, one build date)
// for another Bun target; Bun downloads a platform's runtime from the npm registry the first time
// it is needed and caches it (~/.bun/install/cache), so a first run needs the network.
//
// Usage: bun scripts/release.ts [--target <name>[,<name>…]] [--out-dir <dir>] [--list]
// Exit codes: 0 built, 1 a build failed, 2 bad usage.

import { createHash } from "node:crypto";
import { createReadStream, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { KCP_VERSION } from "../src/version.ts";
import { buildBinary, buildStamp } from "./build.ts";

export interface ReleaseTarget {
  /** The name in the file name and on the command line, e.g. "linux-arm64-musl". */
  name: string;
  bunTarget: Bun.Build.CompileTarget;
  /** Built when no --target is given. */
  standard: boolean;
}

/**
 * Bun's x64 builds without a suffix need AVX2 (Haswell, 2013, and later); the baseline ones run on
 * older and low-power x64 CPUs (many Atom and Celeron boards) and are built on request.
 */
export const RELEASE_TARGETS: ReleaseTarget[] = [
  { name: "linux-x64", bunTarget: "bun-linux-x64", standard: true },
  { name: "linux-arm64", bunTarget: "bun-linux-arm64", standard: true },
  { name: "linux-x64-musl", bunTarget: "bun-linux-x64-musl", standard: true },
  { name: "linux-arm64-musl", bunTarget: "bun-linux-arm64-musl", standard: true },
  { name: "darwin-x64", bunTarget: "bun-darwin-x64", standard: true },
  { name: "darwin-arm64", bunTarget: "bun-darwin-arm64", standard: true },
  { name: "windows-x64", bunTarget: "bun-windows-x64", standard: true },
  { name: "linux-x64-baseline", bunTarget: "bun-linux-x64-baseline", standard: false },
  { name: "linux-x64-baseline-musl", bunTarget: "bun-linux-x64-baseline-musl", standard: false },
  { name: "windows-x64-baseline", bunTarget: "bun-windows-x64-baseline", standard: false },
];

/** The release file name of `target` for `version`. */
export function releaseFileName(target: ReleaseTarget, version = KCP_VERSION): string {
  return `kcp-${version}-${target.name}${target.bunTarget.startsWith("bun-windows") ? ".exe" : ""}`;
}

/**
 * What a release run leaves in its output directory (a binary of any version for any target, and
 * the sums): what the next run clears, and nothing else, as --out-dir may name a shared directory.
 */
export function isReleaseFile(file: string): boolean {
  if (file === "SHA256SUMS") return true;
  return RELEASE_TARGETS.some((t) => {
    const suffix = releaseFileName(t, "").slice("kcp-".length);
    return file.startsWith("kcp-") && file.endsWith(suffix) && file.length > "kcp-".length + suffix.length;
  });
}

/** The targets a comma-separated --target value names (the standard set when empty). */
export function selectTargets(spec: string | undefined): ReleaseTarget[] {
  if (spec === undefined || spec.trim() === "") return RELEASE_TARGETS.filter((t) => t.standard);
  const chosen: ReleaseTarget[] = [];
  for (const name of spec.split(",").map((s) => s.trim())) {
    if (name === "") continue;
    const t = RELEASE_TARGETS.find((x) => x.name === name);
    if (!t) throw new UsageError(`unknown target "${name}" (one of ${RELEASE_TARGETS.map((x) => x.name).join(", ")})`);
    if (!chosen.includes(t)) chosen.push(t);
  }
  if (chosen.length === 0) throw new UsageError("--target names no target");
  return chosen;
}

class UsageError extends Error {
  override name = "UsageError";
}

async function sha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

export interface ReleaseResult {
  files: { target: string; path: string; bytes: number; sha256: string }[];
  sumsFile: string;
}

/**
 * Build `targets` into `outDir` and write its SHA256SUMS. Earlier kcp-* binaries there are
 * removed first, so the directory always holds one build of one commit that the sums describe.
 */
export async function release(
  targets: ReleaseTarget[],
  outDir: string,
  log: (line: string) => void = console.log,
): Promise<ReleaseResult> {
  const stamp = buildStamp();
  const commit = `${stamp.gitCommit}${stamp.gitTreeState === "dirty" ? "-dirty" : ""}`;
  log(`kcp ${KCP_VERSION}, commit ${commit}, built ${stamp.buildDate}: ${targets.length} target(s) → ${outDir}`);
  if (stamp.gitTreeState === "dirty") log("warning: uncommitted changes; the binaries report the commit as -dirty");
  mkdirSync(outDir, { recursive: true });
  for (const f of readdirSync(outDir)) if (isReleaseFile(f)) rmSync(join(outDir, f), { force: true });
  const files: ReleaseResult["files"] = [];
  for (const [i, target] of targets.entries()) {
    const file = releaseFileName(target);
    const path = join(outDir, file);
    const started = performance.now();
    // Bun.build says nothing while it downloads a runtime: say what may take a while.
    log(`[${i + 1}/${targets.length}] ${target.name} (${target.bunTarget}): building (downloads its runtime once)…`);
    const bytes = await buildBinary(path, target.bunTarget, stamp);
    const sum = await sha256(path);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    log(`[${i + 1}/${targets.length}] ${file}: ${(bytes / 1024 / 1024).toFixed(1)} MiB in ${seconds}s`);
    files.push({ target: target.name, path, bytes, sha256: sum });
  }
  // sha256sum's own format: "<hex>  <name>" (two spaces: read as text mode, the same bytes on Unix).
  const sumsFile = join(outDir, "SHA256SUMS");
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : 1));
  writeFileSync(sumsFile, sorted.map((f) => `${f.sha256}  ${relative(outDir, f.path)}\n`).join(""));
  log(`wrote ${sumsFile} (${files.length} file(s)); check with: cd ${outDir} && sha256sum -c SHA256SUMS`);
  return { files, sumsFile };
}

function usage(): string {
  return [
    "usage: npm run release -- [--target <name>[,<name>…]] [--out-dir <dir>] [--list]",
    "",
    "  --target   build only these (default: every standard target)",
    "  --out-dir  where the binaries and SHA256SUMS go (default: dist/release)",
    "  --list     print the target names and exit",
    "",
    "targets (* = standard):",
    ...RELEASE_TARGETS.map((t) => `  ${t.standard ? "*" : " "} ${t.name.padEnd(24)} ${t.bunTarget}`),
  ].join("\n");
}

async function main(argv: string[]): Promise<number> {
  let values: { target?: string; "out-dir"?: string; list?: boolean; help?: boolean };
  let targets: ReleaseTarget[];
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        target: { type: "string" },
        "out-dir": { type: "string" },
        list: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
    targets = selectTargets(values.target);
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${usage()}`);
    return 2;
  }
  if (values.help) {
    console.log(usage());
    return 0;
  }
  if (values.list) {
    for (const t of RELEASE_TARGETS) console.log(t.name);
    return 0;
  }
  const root = join(import.meta.dir, "..");
  const outDir = resolve(values["out-dir"] ?? join(root, "dist", "release"));
  try {
    await release(targets, outDir);
    return 0;
  } catch (err) {
    // Bun.build throws an AggregateError whose message is only "Bundle failed": show the causes.
    const details = err instanceof AggregateError ? err.errors.map(String) : [];
    console.error([`release failed: ${err instanceof Error ? err.message : String(err)}`, ...details].join("\n"));
    return 1;
  }
}

if (import.meta.main) {
  process.exit(await main(process.argv.slice(2)));
}
