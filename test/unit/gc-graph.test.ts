// The garbage collector's owner graph: edges follow ownerReferences within one logical cluster,
// chains, several owners, virtual owners, uid changes; and the trim of what the graph keeps.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { KObject } from "../../src/apis/types.ts";
import { type GraphNode, OwnerGraph } from "../../src/controllers/gc/graph.ts";

function obj(name: string, uid: string, owners: string[] = [], block = false): KObject {
  const ownerReferences = owners.map((u) => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    name: `owner-of-${name}`,
    uid: u,
    ...(block ? { blockOwnerDeletion: true } : {}),
  }));
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace: "ns", uid, ...(owners.length ? { ownerReferences } : {}) },
  } as KObject;
}

const names = (nodes: Iterable<GraphNode>) => [...nodes].map((n) => n.name ?? `virtual:${n.uid}`).sort();

describe("owner graph", () => {
  test("a chain A owns B owns C: edges both ways, removal leaves the dependents to examine", () => {
    const g = new OwnerGraph();
    g.observe("c1", obj("a", "ua"), "/configmaps");
    g.observe("c1", obj("b", "ub", ["ua"]), "/configmaps");
    g.observe("c1", obj("c", "uc", ["ub"], true), "/configmaps");
    expect(names(g.node("c1", "ua")?.dependents() ?? [])).toEqual(["b"]);
    expect(names(g.node("c1", "ub")?.dependents() ?? [])).toEqual(["c"]);
    expect(names(g.node("c1", "ub")?.blockingDependents() ?? [])).toEqual(["c"]);
    expect(g.node("c1", "ua")?.blockingDependents()).toEqual([]);
    expect(g.edgeCount()).toBe(2);
    const gone = g.remove("c1", "ub");
    // a was observed before anything named it: it took no node then, and is virtual until observed
    // again (the collector fills such owners from its informers' caches).
    expect(names(gone?.owners ?? [])).toEqual(["virtual:ua"]);
    expect(names(gone?.node.dependents() ?? [])).toEqual(["c"]);
    // b is virtual now (c still names it); a lost its dependent.
    expect(g.node("c1", "ub")?.virtual).toBe(true);
    expect(g.node("c1", "ua")).toBeUndefined();
    g.remove("c1", "uc");
    expect(g.node("c1", "ub")).toBeUndefined();
    expect(g.edgeCount()).toBe(0);
  });

  test("an object that neither owns nor is owned takes no node", () => {
    const g = new OwnerGraph();
    expect(g.observe("c1", obj("lone", "u1"), "/configmaps")).toBeUndefined();
    expect(g.size).toBe(0);
    expect(g.remove("c1", "u1")).toBeUndefined();
  });

  test("several owners; dropping a reference updates both sides and prunes a virtual owner", () => {
    const g = new OwnerGraph();
    g.observe("c1", obj("o1", "u1"), "/configmaps");
    const change = g.observe("c1", obj("d", "ud", ["u1", "u2"]), "/configmaps");
    expect(names(change?.addedOwners ?? [])).toEqual(["virtual:u1", "virtual:u2"]);
    expect(g.node("c1", "u2")?.virtual).toBe(true);
    // o1 was never referenced before d: its node is virtual too until observed again.
    g.observe("c1", obj("o1", "u1"), "/configmaps");
    expect(g.node("c1", "u1")?.virtual).toBe(false);
    const next = g.observe("c1", obj("d", "ud", ["u1"]), "/configmaps");
    expect(names(next?.removedOwners ?? [])).toEqual(["virtual:u2"]);
    expect(g.node("c1", "u2")).toBeUndefined();
    expect(names(g.node("c1", "u1")?.dependents() ?? [])).toEqual(["d"]);
    // No references left: d leaves the graph; o1 stays while observed.
    g.observe("c1", obj("d", "ud"), "/configmaps");
    expect(g.node("c1", "ud")).toBeUndefined();
    expect(g.node("c1", "u1")?.dependentCount).toBe(0);
  });

  test("an owner uid in another logical cluster never matches", () => {
    const g = new OwnerGraph();
    g.observe("a", obj("owner", "u-owner"), "/configmaps");
    g.observe("a", obj("dep-a", "u-da", ["u-owner"]), "/configmaps");
    g.observe("b", obj("dep-b", "u-db", ["u-owner"]), "/configmaps");
    expect(names(g.node("a", "u-owner")?.dependents() ?? [])).toEqual(["dep-a"]);
    expect(g.node("b", "u-owner")?.virtual).toBe(true);
    expect(names(g.node("b", "u-owner")?.dependents() ?? [])).toEqual(["dep-b"]);
    // Removing the owner in `a` tells a's dependents only.
    const gone = g.remove("a", "u-owner");
    expect(names(gone?.node.dependents() ?? [])).toEqual(["dep-a"]);
  });

  test("a uid that does not match the observed owner's is another node", () => {
    const g = new OwnerGraph();
    g.observe("c1", obj("owner", "u-new"), "/configmaps");
    g.observe("c1", obj("dep", "ud", ["u-old"]), "/configmaps");
    expect(g.node("c1", "u-new")?.dependentCount ?? 0).toBe(0);
    expect(g.node("c1", "u-old")?.virtual).toBe(true);
  });

  test("a virtual owner that is removed still hands over its dependents", () => {
    const g = new OwnerGraph();
    g.observe("c1", obj("dep", "ud", ["u1"]), "/configmaps");
    const gone = g.remove("c1", "u1");
    expect(names(gone?.node.dependents() ?? [])).toEqual(["dep"]);
  });

  test("an owner's dependents: one, a few, many (a set), and back as they go", () => {
    const g = new OwnerGraph();
    g.observe("c1", obj("o", "uo"), "/configmaps", true);
    const owner = g.node("c1", "uo");
    const uids = Array.from({ length: 300 }, (_, i) => `u${i}`);
    uids.forEach((u, i) => {
      g.observe("c1", obj(`d${i}`, u, ["uo"]), "/configmaps");
      expect(owner?.dependentCount).toBe(i + 1);
    });
    // Observed again: no second edge.
    g.observe("c1", obj("d7", "u7", ["uo"]), "/configmaps");
    expect(owner?.dependentCount).toBe(300);
    expect(names(owner?.dependents() ?? []).length).toBe(300);
    // Removed in an order that is not the order of adding: every step leaves exactly the others.
    const order = [...uids.filter((_, i) => i % 2 === 1), ...uids.filter((_, i) => i % 2 === 0).reverse()];
    const left = new Set(uids);
    for (const u of order) {
      g.remove("c1", u);
      left.delete(u);
      expect(owner?.dependentCount).toBe(left.size);
      if (left.size % 37 === 0) {
        expect(new Set(owner?.dependents().map((d) => d.uid))).toEqual(left);
        for (const l of left) expect(owner?.hasDependent(g.node("c1", l) as GraphNode)).toBe(true);
      }
    }
    expect(g.edgeCount()).toBe(0);
    expect(g.size).toBe(1);
  });

  test("a node keeps identity, owners and deletion state; dependents naming an owner alike share one array", () => {
    const full = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: "n",
        namespace: "ns",
        uid: "u",
        labels: { a: "b" },
        annotations: { big: "x".repeat(1000) },
        managedFields: [{}],
        finalizers: ["orphan"],
        deletionTimestamp: "2026-01-01T00:00:00Z",
        ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "o", uid: "uo", controller: true }],
      },
      data: { k: "v" },
    } as unknown as KObject;
    const g = new OwnerGraph();
    const node = g.observe("c1", full, "/configmaps")?.node;
    expect(node).toMatchObject({
      name: "n",
      uid: "u",
      deleting: ["orphan"],
      refs: [{ apiVersion: "v1", kind: "ConfigMap", name: "o", uid: "uo" }],
    });
    expect([node?.cluster, node?.resource, node?.namespace]).toEqual(["c1", "/configmaps", "ns"]);
    expect(Object.keys(node ?? {}).sort()).toEqual(["deleting", "deps", "name", "place", "refs", "uid"]);
    // A second dependent naming the owner alike shares the array; one naming it otherwise does not.
    const twin = g.observe("c1", obj("t", "ut"), "/configmaps");
    expect(twin).toBeUndefined();
    const like = structuredClone(full);
    like.metadata.uid = "u2";
    like.metadata.name = "n2";
    const other = structuredClone(like);
    other.metadata.uid = "u3";
    (other.metadata.ownerReferences as { blockOwnerDeletion?: boolean }[])[0].blockOwnerDeletion = true;
    expect(g.observe("c1", like, "/configmaps")?.node.refs).toBe(node?.refs as never);
    const blocking = g.observe("c1", other, "/configmaps")?.node;
    expect(blocking?.refs).not.toBe(node?.refs as never);
    expect(blocking?.refs[0]?.blockOwnerDeletion).toBe(true);
    expect(g.node("c1", "uo")?.dependentCount).toBe(3);
    // Not being deleted any more: no finalizers kept.
    const revived = structuredClone(full);
    delete revived.metadata.deletionTimestamp;
    expect(g.observe("c1", revived, "/configmaps")?.node.deleting).toBeUndefined();
  });
});

describe("owner graph memory", () => {
  // Measured in a process of its own (test/helpers/gc-graph-heap.ts): in this one, work left over
  // by other test files (stopped servers, timers) allocates and frees during the measurement.
  async function measure(mode: "edge" | "object"): Promise<number> {
    const proc = Bun.spawn([process.execPath, join(import.meta.dir, "../helpers/gc-graph-heap.ts"), mode], {
      stdout: "pipe",
      stderr: "inherit",
    });
    const out = await new Response(proc.stdout).text();
    expect(await proc.exited).toBe(0);
    return (JSON.parse(out) as Record<string, number>)[mode] as number;
  }

  test("an edge costs at most 250 bytes of heap besides the object's uid and name (docs/performance.md)", async () => {
    // The decoded objects stay alive: what is measured is the node, its entry in the graph's map
    // and in its owner's dependents (as this test measured before the graph kept the fields).
    const edge = await measure("edge");
    // Measured about 145 bytes; the bound leaves room for the allocator's noise.
    expect(edge).toBeLessThan(250);
    expect(edge).toBeGreaterThan(0);
  }, 60_000);

  test("all the collector keeps of an owned object: at most 350 bytes of heap (docs/performance.md)", async () => {
    // The decoded objects are dropped once observed, as the collector's watch drops them: the
    // uid and name strings the nodes keep of them count, and nothing else of them may stay.
    const object = await measure("object");
    // Measured about 260 bytes (before the graph kept the fields itself: the graph's 190 bytes,
    // the informer's trimmed copy, ~230, and its cache entry).
    expect(object).toBeLessThan(350);
    expect(object).toBeGreaterThan(0);
  }, 60_000);
});
