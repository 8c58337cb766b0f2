import { describe, expect, test } from "bun:test";
import {
  hasDrifted,
  isFromLogicalCluster,
  ownershipOf,
  toDownstream,
  updateFor,
  upstreamStatus,
} from "../../src/controllers/syncer/downstream-object.ts";
import type { KObject } from "../../src/machinery/object.ts";

const upstream: KObject = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: {
    name: "web",
    namespace: "demo",
    uid: "u-1",
    resourceVersion: "42",
    generation: 3,
    creationTimestamp: "2026-01-01T00:00:00Z",
    deletionTimestamp: "2026-01-02T00:00:00Z",
    managedFields: [{ manager: "kubectl" }],
    ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "o", uid: "x" }],
    finalizers: ["example.com/wait"],
    labels: { "kcp.dev/cluster": "east", app: "web" },
    annotations: { "kcp.io/cluster": "team", note: "n", "kcp.dev/upstream-uid": "forged" },
  },
  spec: { replicas: 2, template: { spec: { containers: [{ name: "c", image: "nginx" }] } } },
  status: { readyReplicas: 2 },
};

describe("the downstream copy", () => {
  test("drops server-set and kcp-only metadata, adds ownership", () => {
    const d = toDownstream(upstream, { logicalCluster: "team", hasStatus: true });
    expect(d.metadata).toEqual({
      name: "web",
      namespace: "demo",
      labels: { "kcp.dev/cluster": "east", app: "web" },
      annotations: {
        note: "n",
        "kcp.dev/logical-cluster": "team",
        "kcp.dev/upstream-uid": "u-1",
        "kcp.dev/upstream-generation": "3",
      },
    });
    expect(d.spec).toEqual(upstream.spec as object);
    expect(d.status).toBeUndefined();
    expect(toDownstream(upstream, { logicalCluster: "team", hasStatus: false }).status).toEqual({ readyReplicas: 2 });
  });

  test("ownership: ours, stale (an earlier object of the name), foreign", () => {
    const d = toDownstream(upstream, { logicalCluster: "team", hasStatus: true });
    expect(ownershipOf(d, "team", "u-1")).toBe("ours");
    expect(ownershipOf(d, "team", "u-2")).toBe("stale");
    expect(ownershipOf(d, "other", "u-1")).toBe("foreign");
    expect(ownershipOf({ metadata: { name: "web" } }, "team", "u-1")).toBe("foreign");
  });

  test("drift: what kcp sets must hold; server defaults and others' annotations are not drift", () => {
    const desired = toDownstream(upstream, { logicalCluster: "team", hasStatus: true });
    const actual = structuredClone(desired);
    actual.metadata.uid = "d-1";
    actual.metadata.annotations = { ...actual.metadata.annotations, "deployment.kubernetes.io/revision": "1" };
    (actual.spec as any).strategy = { type: "RollingUpdate" };
    (actual.spec as any).template.spec.containers[0].imagePullPolicy = "Always";
    actual.status = { readyReplicas: 1 };
    expect(hasDrifted(desired, actual)).toBe(false);
    const edited = structuredClone(actual);
    (edited.spec as any).replicas = 5;
    expect(hasDrifted(desired, edited)).toBe(true);
    const relabelled = structuredClone(actual);
    delete relabelled.metadata.labels?.app;
    expect(hasDrifted(desired, relabelled)).toBe(true);
    const moreContainers = structuredClone(actual);
    (moreContainers.spec as any).template.spec.containers.push({ name: "x", image: "y" });
    expect(hasDrifted(desired, moreContainers)).toBe(true);
  });

  test("an update keeps the downstream resourceVersion and others' annotations", () => {
    const desired = toDownstream(upstream, { logicalCluster: "team", hasStatus: true });
    const actual: KObject = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: {
        name: "web",
        namespace: "demo",
        resourceVersion: "7",
        annotations: { other: "x" },
        labels: { a: "b" },
      },
      spec: { replicas: 9 },
      status: { readyReplicas: 9 },
    };
    const u = updateFor(desired, actual);
    expect(u.metadata.resourceVersion).toBe("7");
    expect(u.metadata.annotations?.other).toBe("x");
    expect(u.metadata.labels).toEqual({ "kcp.dev/cluster": "east", app: "web" });
    expect(u.spec).toEqual(upstream.spec as object);
    expect(u.status).toEqual({ readyReplicas: 9 });
  });

  test("status going up speaks of kcp's generation", () => {
    const down: KObject = {
      metadata: { generation: 5, annotations: { "kcp.dev/upstream-generation": "3" } },
      status: { observedGeneration: 5, conditions: [{ type: "A", observedGeneration: 4 }] },
    };
    expect(upstreamStatus(down)).toEqual({ observedGeneration: 3, conditions: [{ type: "A", observedGeneration: 2 }] });
    expect(upstreamStatus({ metadata: {}, status: { observedGeneration: 5 } })).toEqual({ observedGeneration: 5 });
    expect(upstreamStatus({ metadata: {} })).toBeUndefined();
  });
});

describe("ownership across kcp installations", () => {
  test("a copy from the same logical cluster name of another kcp is foreign", () => {
    const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", namespace: "d", uid: "u-1" } };
    const ours = toDownstream(cm, { logicalCluster: "admin", hasStatus: false, identity: "kcp-a" });
    expect(ownershipOf(ours, "admin", "u-1", "kcp-a")).toBe("ours");
    expect(ownershipOf(ours, "admin", "u-1", "kcp-b")).toBe("foreign");
    expect(isFromLogicalCluster(ours, "admin", "kcp-b")).toBe(false);
    // A copy without an identity (written by no kcp, or by hand) is nobody's to take.
    const bare = toDownstream(cm, { logicalCluster: "admin", hasStatus: false });
    expect(ownershipOf(bare, "admin", "u-1", "kcp-a")).toBe("foreign");
  });
});
