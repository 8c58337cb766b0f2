// The cluster controller's pure parts: the Ready condition and its transition time, readiness from
// the heartbeat, pull mode's names, and the `kcp start` flags.
import { describe, expect, test } from "bun:test";
import { clusterControllerFromFlags } from "../../src/cli/cluster-controller-flags.ts";
import { installRetryDelayMs } from "../../src/controllers/cluster/cluster-controller.ts";
import { parseGroupResource, pullManifests, syncerInstallName } from "../../src/controllers/cluster/pull-manifests.ts";
import { readinessFromHeartbeat, setCondition } from "../../src/controllers/cluster/ready-condition.ts";

describe("setCondition", () => {
  const t0 = new Date("2026-01-01T00:00:00Z");
  const t1 = new Date("2026-01-01T00:05:00Z");
  test("the transition time moves only when the status does (the seed kept the first one forever)", () => {
    const a = setCondition([], { type: "Ready", status: "False", reason: "SyncerNotReady", message: "x" }, t0);
    expect(a[0]?.lastTransitionTime).toBe("2026-01-01T00:00:00Z");
    const b = setCondition(a, { type: "Ready", status: "False", reason: "InvalidKubeConfig", message: "y" }, t1);
    expect(b[0]).toMatchObject({ reason: "InvalidKubeConfig", lastTransitionTime: "2026-01-01T00:00:00Z" });
    const c = setCondition(b, { type: "Ready", status: "True", reason: "SyncerReady" }, t1);
    expect(c).toHaveLength(1);
    expect(c[0]).toMatchObject({ status: "True", lastTransitionTime: "2026-01-01T00:05:00Z" });
  });
});

describe("readinessFromHeartbeat", () => {
  const now = 1_000_000;
  test("fresh and ok: Ready, rechecked when it would go stale", () => {
    const r = readinessFromHeartbeat({ renewedAt: now - 1000, status: "ok" }, 30_000, now);
    expect(r.condition).toMatchObject({ status: "True", reason: "SyncerReady" });
    expect(r.recheckInMs).toBe(29_050);
  });
  test("fresh with a complaint: not Ready, with the syncer's message", () => {
    const r = readinessFromHeartbeat({ renewedAt: now, status: "cannot reach the physical cluster" }, 30_000, now);
    expect(r.condition).toMatchObject({
      status: "False",
      reason: "SyncerNotReady",
      message: "cannot reach the physical cluster",
    });
  });
  test("stale or absent: not Ready, saying for how long", () => {
    expect(readinessFromHeartbeat({ renewedAt: now - 42_000, status: "ok" }, 30_000, now).condition.message).toBe(
      "no heartbeat from the syncer for 42s",
    );
    expect(readinessFromHeartbeat(undefined, 30_000, now).condition).toMatchObject({
      status: "False",
      reason: "SyncerNotReady",
      message: "waiting for the syncer's first heartbeat",
    });
  });
});

describe("pull manifests", () => {
  test("names are DNS labels, unique per logical cluster and Cluster", () => {
    const a = syncerInstallName("team-a", "east");
    expect(a).toMatch(/^kcp-syncer-east-[0-9a-f]{10}$/);
    expect(syncerInstallName("team-b", "east")).not.toBe(a);
    const long = syncerInstallName("x", "a".repeat(63));
    expect(long.length).toBeLessThanOrEqual(63);
  });
  test("group resources", () => {
    expect(parseGroupResource("deployments.apps")).toEqual({ group: "apps", resource: "deployments" });
    expect(parseGroupResource("configmaps")).toEqual({ group: "", resource: "configmaps" });
    expect(parseGroupResource("pods.core")).toEqual({ group: "", resource: "pods" });
    expect(parseGroupResource("ingresses.networking.k8s.io")).toEqual({
      group: "networking.k8s.io",
      resource: "ingresses",
    });
  });
  test("RBAC covers exactly the synced resources, grouped", () => {
    const m = pullManifests({
      logicalCluster: "lc",
      clusterName: "c",
      resources: ["deployments.apps", "configmaps", "statefulsets.apps"],
      image: "img",
      kcpKubeconfig: "k",
    });
    const role = m.find((x) => x.kind === "ClusterRole") as unknown as { rules: unknown[] };
    expect(role.rules).toEqual([
      { apiGroups: [""], resources: ["namespaces"], verbs: ["create", "get"] },
      { apiGroups: [""], resources: ["configmaps"], verbs: ["create", "delete", "get", "list", "update", "watch"] },
      {
        apiGroups: ["apps"],
        resources: ["deployments", "statefulsets"],
        verbs: ["create", "delete", "get", "list", "update", "watch"],
      },
    ]);
    expect(m.find((x) => x.kind === "Secret")).toMatchObject({ type: "Opaque", data: { kubeconfig: "aw==" } });
  });
});

describe("kcp start flags", () => {
  test("defaults, off, and bad values", () => {
    expect(clusterControllerFromFlags({})).toEqual({
      defaultMode: "push",
      defaultResources: ["deployments.apps"],
      heartbeatTimeoutMs: 30_000,
      syncerImage: "kcp:0.1.0",
      importIntervalMs: 60_000,
    });
    expect(clusterControllerFromFlags({ "cluster-controller": false })).toBe(false);
    expect(clusterControllerFromFlags({ "cluster-import-interval": "2s" })).toMatchObject({ importIntervalMs: 2000 });
    expect(() => clusterControllerFromFlags({ "cluster-import-interval": "0s" })).toThrow(
      "--cluster-import-interval: must be greater than 0",
    );
    expect(
      clusterControllerFromFlags({
        "cluster-resources": "configmaps, deployments.apps",
        "cluster-heartbeat-timeout": "2s",
      }),
    ).toMatchObject({ defaultResources: ["configmaps", "deployments.apps"], heartbeatTimeoutMs: 2000 });
    expect(() => clusterControllerFromFlags({ "cluster-syncer-mode": "sideways" })).toThrow("--cluster-syncer-mode");
    expect(() => clusterControllerFromFlags({ "cluster-heartbeat-timeout": "0" })).toThrow("greater than 0");
    expect(() => clusterControllerFromFlags({ "cluster-kcp-url": "http://x" })).toThrow("https://");
    expect(() => clusterControllerFromFlags({ "cluster-resources": "configmaps,deployments" })).toThrow(
      "--cluster-resources: deployments: a resource outside the core group needs its group",
    );
  });
});

describe("pull install retries", () => {
  test("back off from 1 s, doubling, up to the re-check interval (not the work queue's 5 s)", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 100].map((n) => installRetryDelayMs(n, 60_000))).toEqual([
      1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000,
    ]);
  });
});

describe("pull-mode heartbeat interval", () => {
  const input = { logicalCluster: "lc", clusterName: "east", resources: ["configmaps"], image: "i", kcpKubeconfig: "" };
  const args = (m: ReturnType<typeof pullManifests>) => (m[5] as any).spec.template.spec.containers[0].args as string[];
  test("the Deployment passes the interval to kcp sync when one is given", () => {
    expect(args(pullManifests({ ...input, heartbeatIntervalMs: 666 }))).toEqual([
      "sync",
      "--from-kubeconfig",
      "/kcp/kubeconfig",
      "--cluster",
      "east",
      "--heartbeat-interval",
      "666ms",
      "configmaps",
    ]);
    expect(args(pullManifests(input))).not.toContain("--heartbeat-interval");
  });
});
