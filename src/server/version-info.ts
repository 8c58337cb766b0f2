// `GET /version`. kubectl reads major/minor for its version-skew warning (and the kubectl dispatcher
// picks a client from them), so they report the Kubernetes API level we serve; kcp's own version
// rides along as semver build metadata (`v1.32.0+kcp-0.1.0`), which kube's version parser accepts.

import { buildInfo, KCP_VERSION, KUBE_GIT_VERSION, KUBE_MAJOR, KUBE_MINOR } from "../version.ts";

export interface VersionInfo {
  major: string;
  minor: string;
  gitVersion: string;
  gitCommit: string;
  gitTreeState: string;
  buildDate: string;
  goVersion: string;
  compiler: string;
  platform: string;
}

// Go's GOOS/GOARCH spellings, which clients print and some parse.
const GO_OS: Record<string, string> = { win32: "windows" };
const GO_ARCH: Record<string, string> = { x64: "amd64", ia32: "386", arm: "arm", arm64: "arm64" };

/** The build's commit, tree state and date come from src/version.ts (stamped, or git from source). */
export function versionInfo(): VersionInfo {
  const build = buildInfo();
  return {
    major: KUBE_MAJOR,
    minor: KUBE_MINOR,
    gitVersion: `${KUBE_GIT_VERSION}+kcp-${KCP_VERSION}`,
    gitCommit: build.gitCommit,
    gitTreeState: build.gitTreeState,
    buildDate: build.buildDate,
    goVersion: `bun-${Bun.version}`,
    compiler: "bun",
    platform: `${GO_OS[process.platform] ?? process.platform}/${GO_ARCH[process.arch] ?? process.arch}`,
  };
}
