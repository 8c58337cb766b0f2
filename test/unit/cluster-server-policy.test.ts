// `kcp start --cluster-deny-private`: a tenant's Cluster may not point kcp at addresses of kcp's own
// network, and Ready messages quote foreign text (errors, the syncer's status) as one short line.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { clusterControllerFromFlags } from "../../src/cli/cluster-controller-flags.ts";
import { type ElectedClusterController, startClusterController } from "../../src/app/cluster-controller-wiring.ts";
import { loopbackClientConfig } from "../../src/app/loopback-client.ts";
import { brief } from "../../src/controllers/cluster/ready-condition.ts";
import { checkPublicServer, isNonPublicAddress } from "../../src/controllers/cluster/server-policy.ts";
import { type InMemoryApp, inMemoryApp, TEST_TOKEN } from "../helpers/in-memory-app.ts";

describe("addresses", () => {
  test("loopback, private, link-local, CGNAT, multicast and unique-local are not public", () => {
    for (const ip of [
      "127.0.0.1",
      "10.1.2.3",
      "172.16.0.1",
      "172.31.255.255",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "224.0.0.1",
      "::1",
      "::",
      "fd00::1",
      "fe80::1",
      "::ffff:127.0.0.1",
      "::ffff:10.0.0.1",
    ])
      expect({ ip, private: isNonPublicAddress(ip) }).toEqual({ ip, private: true });
    for (const ip of ["8.8.8.8", "172.32.0.1", "1.1.1.1", "2001:4860:4860::8888", "::ffff:8.8.8.8"])
      expect({ ip, private: isNonPublicAddress(ip) }).toEqual({ ip, private: false });
  });
  test("servers: http, private IPs and names that resolve to them are refused", async () => {
    await expect(checkPublicServer("http://8.8.8.8")).rejects.toThrow("only https://");
    await expect(checkPublicServer("https://169.254.169.254")).rejects.toThrow("non-public address");
    await expect(checkPublicServer("https://[::1]:6443")).rejects.toThrow("non-public address");
    await expect(checkPublicServer("https://localhost:6443")).rejects.toThrow("non-public address");
    await checkPublicServer("https://8.8.8.8:443");
  });
  test("the flag", () => {
    expect(clusterControllerFromFlags({ "cluster-deny-private": true })).toMatchObject({ denyPrivateServers: true });
    expect(clusterControllerFromFlags({})).not.toHaveProperty("denyPrivateServers");
  });
});

test("brief: one line, capped", () => {
  expect(brief("a\nb\r\n\tc")).toBe("a b c");
  const long = brief(`<html>${"x".repeat(1000)}</html>`);
  expect(long.length).toBe(301);
  expect(long.endsWith("…")).toBe(true);
});

describe("a Cluster pointing at kcp's own network under --cluster-deny-private", () => {
  let mem: InMemoryApp;
  let ctl: ElectedClusterController;
  beforeAll(async () => {
    mem = await inMemoryApp();
    ctl = await startClusterController(
      {
        denyPrivateServers: true,
        leaderElection: { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 100 },
      },
      {
        store: mem.deps.store,
        registry: mem.deps.registry,
        loopback: loopbackClientConfig(mem.app, TEST_TOKEN),
        url: "https://127.0.0.1:6443",
        caCertPem: "",
      },
    );
  });
  afterAll(async () => {
    await ctl.stop();
    await mem.close();
  });
  test("is InvalidKubeConfig, naming the flag", async () => {
    const kubeconfig = [
      "apiVersion: v1",
      "kind: Config",
      "clusters: [{name: c, cluster: {server: 'https://169.254.169.254'}}]",
      "users: [{name: u, user: {token: t}}]",
      "contexts: [{name: x, context: {cluster: c, user: u}}]",
      "current-context: x",
    ].join("\n");
    const res = await mem.app.request("/apis/cluster.example.dev/v1alpha1/clusters", {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({
        apiVersion: "cluster.example.dev/v1alpha1",
        kind: "Cluster",
        metadata: { name: "metadata" },
        spec: { kubeconfig },
      }),
    });
    expect(res.status).toBe(201);
    const deadline = Date.now() + 10_000;
    let ready: { reason?: string; message?: string } | undefined;
    while (Date.now() < deadline) {
      const obj = (await (
        await mem.app.request("/apis/cluster.example.dev/v1alpha1/clusters/metadata", {
          headers: { authorization: `Bearer ${TEST_TOKEN}` },
        })
      ).json()) as { status?: { conditions?: { type: string; reason: string; message: string }[] } };
      ready = obj.status?.conditions?.find((c) => c.type === "Ready");
      if (ready) break;
      await Bun.sleep(50);
    }
    expect(ready).toMatchObject({ reason: "InvalidKubeConfig" });
    expect(ready?.message).toContain("169.254.169.254, a non-public address, refused by --cluster-deny-private");
  });
});
