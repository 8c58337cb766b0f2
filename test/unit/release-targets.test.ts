import { expect, test } from "bun:test";
import { isReleaseFile, RELEASE_TARGETS, releaseFileName, selectTargets } from "../../scripts/release.ts";

test("the standard set is the seven platforms, each with its own file name", () => {
  const names = selectTargets(undefined).map((t) => releaseFileName(t, "1.2.3"));
  expect(names).toEqual([
    "kcp-1.2.3-linux-x64",
    "kcp-1.2.3-linux-arm64",
    "kcp-1.2.3-linux-x64-musl",
    "kcp-1.2.3-linux-arm64-musl",
    "kcp-1.2.3-darwin-x64",
    "kcp-1.2.3-darwin-arm64",
    "kcp-1.2.3-windows-x64.exe",
  ]);
  expect(new Set(RELEASE_TARGETS.map((t) => t.name)).size).toBe(RELEASE_TARGETS.length);
});

test("--target picks a subset in the given order, once each, and names unknown targets", () => {
  expect(selectTargets("linux-arm64, linux-x64-baseline,linux-arm64").map((t) => t.bunTarget)).toEqual([
    "bun-linux-arm64",
    "bun-linux-x64-baseline",
  ]);
  expect(() => selectTargets("linux-sparc")).toThrow('unknown target "linux-sparc" (one of linux-x64, ');
  expect(() => selectTargets(",")).toThrow("--target names no target");
});

test("only earlier release binaries are cleared from the output directory, not other kcp-* files", () => {
  for (const t of RELEASE_TARGETS) expect(isReleaseFile(releaseFileName(t, "0.9.0-rc.1"))).toBe(true);
  expect(isReleaseFile("SHA256SUMS")).toBe(true);
  for (const other of ["kcp-notes.txt", "kcp-config.yaml", "kcp-", "kcp-linux-x64", "mykcp-1.0.0-linux-x64"])
    expect(isReleaseFile(other)).toBe(false);
});
