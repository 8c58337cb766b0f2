// The splitter's pure parts: which leaves a root should have (planLeaves) and the root's status
// from them (rootStatus) — above all, that applying a plan and planning again asks for nothing
// (the controller never loops), and that only owned leaves are touched.
import { describe, expect, test } from "bun:test";
import type { KObject } from "../../src/apis/types.ts";
import { type ClusterState, desiredLeaf, type LeafPlan, planLeaves } from "../../src/controllers/splitter/leaves.ts";
import { rootStatus, statusChanged } from "../../src/controllers/splitter/root-status.ts";

const NOW = "2026-12-07T06:00:00Z";
const LATER = "2026-12-07T07:00:00Z";

function root(
  replicas: number | undefined,
  extra: { annotations?: Record<string, string>; name?: string } = {},
): KObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: extra.name ?? "web",
      namespace: "demo",
      uid: "root-uid",
      generation: 3,
      resourceVersion: "10",
      labels: { app: "web" },
      ...(extra.annotations ? { annotations: extra.annotations } : {}),
    },
    spec: { ...(replicas === undefined ? {} : { replicas }), template: { spec: { containers: [{ name: "c" }] } } },
  } as KObject;
}

const ready = (...names: string[]): ClusterState[] => names.map((name) => ({ name, ready: true }));

/** The leaves as a server would hold them after the plan's writes (uids, generations). */
function apply(plan: LeafPlan, have: KObject[]): KObject[] {
  const byName = new Map(have.map((l) => [l.metadata.name as string, l]));
  for (const d of plan.deletes) byName.delete(d.metadata.name as string);
  for (const c of plan.creates) {
    byName.set(
      c.metadata.name as string,
      {
        ...c,
        metadata: { ...c.metadata, uid: `uid-${c.metadata.name}`, generation: 1 },
      } as KObject,
    );
  }
  for (const u of plan.updates) {
    byName.set(
      u.metadata.name as string,
      {
        ...u,
        metadata: { ...u.metadata, generation: ((u.metadata.generation as number) ?? 1) + 1 },
      } as KObject,
    );
  }
  return [...byName.values()];
}

function replicas(leaves: KObject[]): Record<string, number> {
  return Object.fromEntries(
    leaves.map((l) => [
      l.metadata.labels?.["kcp.dev/cluster"],
      (l as unknown as { spec: { replicas: number } }).spec.replicas,
    ]),
  );
}

function converge(r: KObject, clusters: ClusterState[], have: KObject[] = []): KObject[] {
  let leaves = have;
  for (let i = 0; i < 3; i++) {
    const plan = planLeaves(r, clusters, leaves, (n) => leaves.find((l) => l.metadata.name === n));
    if (i > 0) {
      // Once applied, planning again asks for nothing.
      expect(plan.creates.length + plan.updates.length + plan.deletes.length).toBe(0);
      return leaves;
    }
    leaves = apply(plan, leaves);
  }
  return leaves;
}

describe("planLeaves", () => {
  test("one leaf per Ready cluster, owned by the root; then no more writes", () => {
    const leaves = converge(root(10), ready("west", "east"));
    expect(replicas(leaves)).toEqual({ east: 5, west: 5 });
    const east = leaves.find((l) => l.metadata.name === "web--east") as KObject;
    expect(east.metadata.labels).toEqual({ app: "web", "kcp.dev/cluster": "east", "kcp.dev/owned-by": "web" });
    expect(east.metadata.ownerReferences).toEqual([
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        name: "web",
        uid: "root-uid",
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect((east as { status?: unknown }).status).toBeUndefined();
  });

  test("nil replicas is 1", () => {
    expect(replicas(converge(root(undefined), ready("b", "a")))).toEqual({ a: 1, b: 0 });
  });

  test("NotReady: kept at 0, not created; gone: deleted", () => {
    let leaves = converge(root(15), ready("east", "west", "north"));
    leaves = converge(root(15), [...ready("east", "north"), { name: "west", ready: false }], leaves);
    expect(replicas(leaves)).toEqual({ east: 8, north: 7, west: 0 });
    leaves = converge(root(15), [...ready("east"), { name: "south", ready: false }], leaves);
    expect(replicas(leaves)).toEqual({ east: 15 });
  });

  test("leaves not owned are never touched; a taken name is reported", () => {
    const squatter = { ...desiredLeaf(root(2), "east", 9) } as KObject;
    squatter.metadata = { ...squatter.metadata, ownerReferences: [{ uid: "someone-else" } as never], uid: "sq" };
    const plan = planLeaves(root(2), ready("east", "west"), [], (n) => (n === "web--east" ? squatter : undefined));
    expect(plan.creates.map((c) => c.metadata.name)).toEqual(["web--west"]);
    expect(plan.updates).toEqual([]);
    expect(plan.deletes).toEqual([]);
    expect(plan.problem).toEqual({
      reason: "LeafNameTaken",
      message: "Deployments not owned by this one hold the names web--east",
    });
  });

  test("an owned leaf with another name or a cluster that is gone is deleted", () => {
    const stray = { ...desiredLeaf(root(2), "east", 1) } as KObject;
    stray.metadata = { ...stray.metadata, name: "web-renamed", uid: "u1" };
    const plan = planLeaves(root(2), ready("east"), [stray], () => undefined);
    expect(plan.deletes.map((d) => d.metadata.name)).toEqual(["web-renamed"]);
    expect(plan.creates.map((c) => c.metadata.name)).toEqual(["web--east"]);
  });

  test("the template follows the root; labels removed from the root go from the leaves", () => {
    const leaves = converge(root(4), ready("a", "b"));
    const changed = root(4);
    (changed as unknown as { spec: { template: unknown } }).spec.template = { spec: { containers: [{ name: "d" }] } };
    changed.metadata.labels = {};
    const plan = planLeaves(changed, ready("a", "b"), leaves, () => undefined);
    expect(plan.updates.length).toBe(2);
    for (const u of plan.updates) {
      expect((u as unknown as { spec: { template: unknown } }).spec.template).toEqual({
        spec: { containers: [{ name: "d" }] },
      });
      expect(Object.keys(u.metadata.labels ?? {}).sort()).toEqual(["kcp.dev/cluster", "kcp.dev/owned-by"]);
      expect(u.metadata.resourceVersion).toBeUndefined();
    }
  });

  test.each([
    [{ "kcp.dev/split-weights": "east=x" }, 5, "InvalidSplitWeights"],
    [undefined, -1, "InvalidReplicas"],
  ])("invalid input (%j, %p) changes nothing and says %p", (annotations, r, reason) => {
    const leaves = converge(root(4), ready("east", "west"));
    const bad = root(r, annotations ? { annotations } : {});
    const plan = planLeaves(bad, ready("east", "west", "north"), leaves, () => undefined);
    expect(plan.creates.length + plan.updates.length + plan.deletes.length).toBe(0);
    expect(plan.problem?.reason).toBe(reason);
  });

  test("a root name over 63 characters cannot label its leaves: InvalidName", () => {
    const plan = planLeaves(root(1, { name: "x".repeat(64) }), ready("a"), [], () => undefined);
    expect(plan.problem?.reason).toBe("InvalidName");
    expect(plan.creates).toEqual([]);
  });
});

function withStatus(leaf: KObject, status: Record<string, unknown>): KObject {
  return { ...leaf, status: { observedGeneration: leaf.metadata.generation, ...status } } as KObject;
}

describe("rootStatus", () => {
  const settled = (n: number) => ({
    replicas: n,
    updatedReplicas: n,
    readyReplicas: n,
    availableReplicas: n,
    conditions: [
      { type: "Available", status: "True", reason: "MinimumReplicasAvailable" },
      { type: "Progressing", status: "True", reason: "NewReplicaSetAvailable" },
    ],
  });

  test("sums, observedGeneration once caught up, Available and Progressing; stable when recomputed", () => {
    const r = root(15);
    const leaves = converge(r, ready("east", "west")).map((l) =>
      withStatus(l, settled((l as unknown as { spec: { replicas: number } }).spec.replicas)),
    );
    const plan = planLeaves(r, ready("east", "west"), leaves, () => undefined);
    const s = rootStatus(r, plan, false, NOW);
    expect(s).toMatchObject({
      replicas: 15,
      readyReplicas: 15,
      availableReplicas: 15,
      updatedReplicas: 15,
      observedGeneration: 3,
    });
    const cond = (t: string) => s.conditions?.find((c) => c.type === t);
    expect(cond("Available")).toMatchObject({ status: "True", reason: "MinimumReplicasAvailable" });
    expect(cond("Progressing")).toMatchObject({ status: "True", reason: "NewReplicaSetAvailable" });
    expect(cond("Split")).toMatchObject({ status: "True", message: "15 replicas over 2 clusters: east=8, west=7" });
    // Stored, then computed again later from the same leaves: nothing to write (no loop).
    const stored = { ...r, status: s } as KObject;
    expect(statusChanged(stored, rootStatus(stored, plan, false, LATER))).toBe(false);
  });

  test("a leaf behind its generation holds observedGeneration back", () => {
    const r = { ...root(2), status: { observedGeneration: 2 } } as KObject;
    const leaves = converge(r, ready("a", "b")).map((l, i) =>
      withStatus(l, { ...settled(1), observedGeneration: i === 0 ? l.metadata.generation : 0 }),
    );
    const plan = planLeaves(r, ready("a", "b"), leaves, () => undefined);
    expect(rootStatus(r, plan, false, NOW).observedGeneration).toBe(2);
    // Leaves just written have not caught up either.
    const all = leaves.map((l) => withStatus(l, settled(1)));
    expect(
      rootStatus(
        r,
        planLeaves(r, ready("a", "b"), all, () => undefined),
        true,
        NOW,
      ).observedGeneration,
    ).toBe(2);
    expect(
      rootStatus(
        r,
        planLeaves(r, ready("a", "b"), all, () => undefined),
        false,
        NOW,
      ).observedGeneration,
    ).toBe(3);
  });

  test("a leaf with 0 replicas need not be available; a NotReady cluster's stale status is not summed", () => {
    const r = root(1);
    let leaves = converge(r, ready("a", "b", "c"));
    leaves = converge(r, [...ready("a", "b"), { name: "c", ready: false }], leaves);
    leaves = leaves.map((l) =>
      l.metadata.name === "web--a"
        ? withStatus(l, settled(1))
        : l.metadata.name === "web--c"
          ? withStatus(l, settled(7))
          : l,
    );
    const s = rootStatus(
      r,
      planLeaves(r, [...ready("a", "b"), { name: "c", ready: false }], leaves, () => undefined),
      false,
      NOW,
    );
    expect(s.readyReplicas).toBe(1);
    expect(s.conditions?.find((c) => c.type === "Available")?.status).toBe("True");
  });

  test("invalid weights: the counts and other conditions stay as they were", () => {
    const r = root(2);
    const leaves = converge(r, ready("a", "b")).map((l) => withStatus(l, settled(1)));
    const good = rootStatus(
      r,
      planLeaves(r, ready("a", "b"), leaves, () => undefined),
      false,
      NOW,
    );
    const bad = { ...root(2, { annotations: { "kcp.dev/split-weights": "a=?" } }), status: good } as KObject;
    const s = rootStatus(
      bad,
      planLeaves(bad, ready("a", "b"), leaves, () => undefined),
      false,
      LATER,
    );
    expect(s.readyReplicas).toBe(2);
    expect(s.conditions?.find((c) => c.type === "Available")).toEqual(
      good.conditions?.find((c) => c.type === "Available"),
    );
    expect(s.conditions?.find((c) => c.type === "Split")).toMatchObject({
      status: "False",
      reason: "InvalidSplitWeights",
    });
  });

  test("no Ready cluster: NoRegisteredClusters on Available, Progressing and Split", () => {
    const r = root(3);
    const s = rootStatus(
      r,
      planLeaves(r, [{ name: "x", ready: false }], [], () => undefined),
      false,
      NOW,
    );
    for (const t of ["Available", "Progressing", "Split"]) {
      expect(s.conditions?.find((c) => c.type === t)).toMatchObject({
        status: "False",
        reason: "NoRegisteredClusters",
        message: "kcp has no clusters registered to receive Deployments",
      });
    }
    expect(s.observedGeneration).toBe(3);
  });

  test("condition times move only with a change of status", () => {
    const r = root(2);
    const leaves = converge(r, ready("a", "b"));
    const plan = planLeaves(r, ready("a", "b"), leaves, () => undefined);
    const first = rootStatus(r, plan, false, NOW);
    const stored = { ...r, status: first } as KObject;
    const settledLeaves = leaves.map((l) => withStatus(l, settled(1)));
    const second = rootStatus(
      stored,
      planLeaves(r, ready("a", "b"), settledLeaves, () => undefined),
      false,
      LATER,
    );
    const avail = (s: typeof first) => s.conditions?.find((c) => c.type === "Available");
    expect(avail(first)).toMatchObject({ status: "False", lastTransitionTime: NOW });
    expect(avail(second)).toMatchObject({ status: "True", lastTransitionTime: LATER, lastUpdateTime: LATER });
    const split = (s: typeof first) => s.conditions?.find((c) => c.type === "Split");
    expect(split(second)).toMatchObject({ lastTransitionTime: NOW, lastUpdateTime: NOW });
  });
});
