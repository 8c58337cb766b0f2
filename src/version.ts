// Versions the binary reports. The JSON import is inlined by the bundler, so the compiled binary
// needs no package.json at run time.
import { dirname } from "node:path";
import pkg from "../package.json" with { type: "json" };

export const KCP_VERSION: string = pkg.version;

/** The Kubernetes API level we serve; kubectl picks its own version from /version. */
export const KUBE_MAJOR = "1";
export const KUBE_MINOR = "32";
export const KUBE_GIT_VERSION = `v${KUBE_MAJOR}.${KUBE_MINOR}.0`;

/** Where a build came from: what `kcp version` and `/version` report. */
export interface BuildInfo {
  /** The full commit hash, or "unknown" when neither a build stamp nor git can say. */
  gitCommit: string;
  /** "clean" or "dirty" (uncommitted changes to tracked files), "" when unknown. */
  gitTreeState: "clean" | "dirty" | "";
  /** RFC 3339; the epoch when run from source, as an unstamped kube build reports. */
  buildDate: string;
}

/**
 * Stamped into compiled binaries by scripts/build.ts (Bun.build's `define` replaces the name with
 * a literal), so a binary knows its commit without git or a checkout. Undeclared at run time.
 */
declare const KCP_BUILD_STAMP: BuildInfo | undefined;

let fromCheckout: BuildInfo | undefined;

/**
 * The build stamp of a compiled binary; from source, the checkout's HEAD (asked of git once, on
 * first use, so commands that never report a version never spawn it).
 */
export function buildInfo(): BuildInfo {
  if (typeof KCP_BUILD_STAMP !== "undefined") return KCP_BUILD_STAMP;
  fromCheckout ??= readCheckout(dirname(import.meta.dir));
  return fromCheckout;
}

/** HEAD and tree state of the git checkout at `dir`; "unknown" without git or outside a checkout. */
export function readCheckout(dir: string): BuildInfo {
  const git = (...args: string[]): string | null => {
    try {
      const r = Bun.spawnSync(["git", "-C", dir, ...args], { stdout: "pipe", stderr: "ignore" });
      return r.exitCode === 0 ? r.stdout.toString().trim() : null;
    } catch {
      return null; // no git on PATH
    }
  };
  const commit = git("rev-parse", "--verify", "HEAD");
  if (commit === null || !/^[0-9a-f]{40,64}$/.test(commit)) {
    return { gitCommit: "unknown", gitTreeState: "", buildDate: "1970-01-01T00:00:00Z" };
  }
  const changes = git("status", "--porcelain", "--untracked-files=no");
  const gitTreeState = changes === null ? "" : changes === "" ? "clean" : "dirty";
  return { gitCommit: commit, gitTreeState, buildDate: "1970-01-01T00:00:00Z" };
}
