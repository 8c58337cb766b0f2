import { describe, expect, test } from "bun:test";
import {
  hasDrifted,
  forCache,
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
        "kcp.dev/desired-hash": expect.any(String),
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
  });

  test("drift: items admission appends downstream are not drift; items someone else added are", () => {
    const desired = toDownstream(upstream, { logicalCluster: "team", hasStatus: true });
    const opts = { fieldManager: "kcp-syncer" };
    // Admission in our own create appended a volume and a toleration: owned by our manager.
    const admitted = structuredClone(desired);
    const podSpec = (admitted.spec as any).template.spec;
    podSpec.volumes = [{ name: "kube-api-access" }];
    podSpec.containers[0].volumeMounts = [{ name: "kube-api-access", mountPath: "/var/run" }];
    podSpec.tolerations = [{ key: "node.kubernetes.io/not-ready", operator: "Exists" }];
    admitted.metadata.managedFields = [
      { manager: "kcp-syncer", operation: "Update", fieldsV1: { "f:spec": { "f:template": {} } } },
    ];
    expect(hasDrifted(desired, admitted, opts)).toBe(false);
    // Someone added a container with kubectl edit: they own an item kcp does not have.
    const added = structuredClone(admitted);
    (added.spec as any).template.spec.containers.push({ name: "x", image: "y" });
    added.metadata.managedFields = [
      ...(admitted.metadata.managedFields as object[]),
      {
        manager: "kubectl-edit",
        operation: "Update",
        fieldsV1: { "f:spec": { "f:template": { "f:spec": { "f:containers": { 'k:{"name":"x"}': { ".": {} } } } } } },
      },
    ];
    expect(hasDrifted(desired, added, opts)).toBe(true);
    // A field kcp does not set, added downstream (a paused rollout), is drift too…
    const paused = structuredClone(admitted);
    (paused.spec as any).paused = true;
    paused.metadata.managedFields = [
      ...(admitted.metadata.managedFields as object[]),
      { manager: "kubectl-patch", operation: "Update", fieldsV1: { "f:spec": { "f:paused": {} } } },
    ];
    expect(hasDrifted(desired, paused, opts)).toBe(true);
    // …unless our last update left it with them (the server defaulted it back), and not when it
    // came through a subresource (the scheduler's binding, a scale).
    expect(hasDrifted(desired, paused, { ...opts, tolerated: new Set(["spec.paused"]) })).toBe(false);
    const bound = structuredClone(paused);
    (bound.metadata.managedFields as { subresource?: string }[])[1].subresource = "binding";
    expect(hasDrifted(desired, bound, opts)).toBe(false);
  });

  test("drift: kcp removing a list item or a field is drift (the desired hash changed)", () => {
    const two = structuredClone(upstream);
    (two.spec as any).template.spec.containers.push({ name: "sidecar", image: "s" });
    (two.spec as any).paused = false;
    const actual = structuredClone(toDownstream(two, { logicalCluster: "team", hasStatus: true }));
    const desired = toDownstream(upstream, { logicalCluster: "team", hasStatus: true });
    expect(hasDrifted(desired, actual)).toBe(true);
    const same = toDownstream(structuredClone(two), { logicalCluster: "team", hasStatus: true });
    expect(hasDrifted(same, actual)).toBe(false);
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

describe("what the caches keep", () => {
  test("no managedFields from kcp; downstream only other managers' writes through the object", () => {
    const managedFields = [
      { manager: "kcp-syncer", operation: "Update", fieldsV1: { "f:spec": {} } },
      { manager: "kubectl-edit", operation: "Update", fieldsV1: { "f:spec": { "f:paused": {} } } },
      { manager: "player", operation: "Update", subresource: "status", fieldsV1: { "f:status": {} } },
    ];
    const obj: KObject = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", managedFields }, data: {} };
    expect(forCache(obj).metadata).toEqual({ name: "c" });
    expect(forCache(obj, "kcp-syncer").metadata.managedFields).toEqual([managedFields[1]]);
    expect(obj.metadata.managedFields).toHaveLength(3); // the shared object is not changed
  });
});

describe("hostile keys", () => {
  test("a top-level __proto__ key stays a field of the copy, never its prototype", () => {
    const up = JSON.parse(
      '{"apiVersion":"v1","kind":"X","metadata":{"name":"p","namespace":"d","uid":"u"},"__proto__":{"polluted":1},"spec":{}}',
    ) as KObject;
    const copy = toDownstream(up, { logicalCluster: "team", hasStatus: false });
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect((copy as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.hasOwn(copy, "__proto__")).toBe(true);
    const update = updateFor(copy, { apiVersion: "v1", kind: "X", metadata: { name: "p", namespace: "d" } });
    expect(Object.getPrototypeOf(update)).toBe(Object.prototype);
    expect(JSON.stringify(update)).toContain('"__proto__":{"polluted":1}');
  });
});
