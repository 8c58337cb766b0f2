import { expect, test } from "bun:test";
import { versionInfo } from "../../src/server/version-info.ts";
import { buildInfo, KCP_VERSION, readCheckout } from "../../src/version.ts";

// k8s.io/apimachinery/pkg/util/version's ParseSemantic, which kubectl's version-skew check uses.
const KUBE_SEMVER =
  /^v?([0-9]+)\.([0-9]+)\.([0-9]+)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;

test("reports the served Kubernetes level, with kcp's version as build metadata", () => {
  const v = versionInfo();
  expect(v.major).toBe("1");
  expect(v.minor).toBe("32");
  expect(v.gitVersion).toBe(`v1.32.0+kcp-${KCP_VERSION}`);
  const m = KUBE_SEMVER.exec(v.gitVersion);
  expect(m?.slice(1, 4)).toEqual(["1", "32", "0"]);
  expect(m?.[5]).toBe(`kcp-${KCP_VERSION}`);
});

test("describes the runtime in Go's terms", () => {
  const v = versionInfo();
  expect(v.compiler).toBe("bun");
  expect(v.goVersion).toBe(`bun-${Bun.version}`);
  expect(v.platform).toMatch(/^[a-z0-9]+\/[a-z0-9]+$/);
  if (process.arch === "x64") expect(v.platform.endsWith("/amd64")).toBe(true);
  expect(Number.isNaN(Date.parse(v.buildDate))).toBe(false);
  expect(Object.keys(v)).toEqual([
    "major",
    "minor",
    "gitVersion",
    "gitCommit",
    "gitTreeState",
    "buildDate",
    "goVersion",
    "compiler",
    "platform",
  ]);
});

test("from source, the commit is the checkout's HEAD; outside a checkout it is unknown", () => {
  const head = Bun.spawnSync(["git", "rev-parse", "HEAD"], { cwd: import.meta.dir })
    .stdout.toString()
    .trim();
  expect(versionInfo().gitCommit).toBe(head);
  expect(buildInfo().gitCommit).toBe(head);
  const outside = readCheckout("/");
  expect(outside).toEqual({ gitCommit: "unknown", gitTreeState: "", buildDate: "1970-01-01T00:00:00Z" });
});
