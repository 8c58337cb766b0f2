import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inClusterConfig, logicalClusterOf } from "../../src/cli/sync.ts";

const dir = mkdtempSync(join(tmpdir(), "kcp-sa-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("kcp sync", () => {
  test("the logical cluster is the one the kcp server URL names", () => {
    expect(logicalClusterOf("https://127.0.0.1:6443/clusters/team-a")).toBe("team-a");
    expect(logicalClusterOf("https://127.0.0.1:6443/clusters/team-a/")).toBe("team-a");
    expect(logicalClusterOf("https://127.0.0.1:6443")).toBeUndefined();
    expect(logicalClusterOf("not a url")).toBeUndefined();
  });

  test("in a pod: the service account's token file and CA, the API server from the environment", () => {
    expect(inClusterConfig({ KUBERNETES_SERVICE_HOST: "10.0.0.1" }, dir)).toBeUndefined();
    writeFileSync(join(dir, "token"), "t0ken");
    writeFileSync(join(dir, "ca.crt"), "-----BEGIN CERTIFICATE-----\n");
    expect(inClusterConfig({}, dir)).toBeUndefined();
    expect(inClusterConfig({ KUBERNETES_SERVICE_HOST: "10.0.0.1", KUBERNETES_SERVICE_PORT: "6443" }, dir)).toEqual({
      server: "https://10.0.0.1:6443",
      tokenFile: join(dir, "token"),
      caData: "-----BEGIN CERTIFICATE-----\n",
      namespace: "default",
    });
    expect(inClusterConfig({ KUBERNETES_SERVICE_HOST: "fd00::1" }, dir)?.server).toBe("https://[fd00::1]:443");
  });
});
