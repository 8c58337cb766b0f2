// The garbage collector's Warning Events for owner references that can never name their owner
// (kube since 1.20, reason OwnerRefInvalidNamespace, involvedObject the dependent), with kubectl:
// a cluster-scoped dependent naming a namespaced kind is reported and never collected; a
// namespaced dependent naming an object of another namespace is reported and collected (the
// owner counts as absent), whether or not the collector's graph holds that owner.
import { describe, expect, test } from "bun:test";
import { type KcpProcess, kubectl, useKcp } from "../helpers/kcp-process.ts";

type Obj = Record<string, any>;

let kcp: KcpProcess;

async function k(args: string[], stdin?: string): Promise<string> {
  const r = await kubectl(kcp, args, { stdin });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

async function create(obj: Obj): Promise<Obj> {
  return JSON.parse(await k(["create", "-o", "json", "-f", "-"], JSON.stringify(obj))) as Obj;
}

function refTo(o: Obj): Obj {
  return { apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, uid: o.metadata.uid };
}

/** The OwnerRefInvalidNamespace Events of a namespace, once there is one about `name` (15 s at most). */
async function eventsAbout(namespace: string, name: string): Promise<Obj[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const list = JSON.parse(
      await k(["get", "events", "-n", namespace, "--field-selector=reason=OwnerRefInvalidNamespace", "-o", "json"]),
    ) as { items: Obj[] };
    const about = list.items.filter((e) => e.involvedObject?.name === name);
    if (about.length > 0 || Date.now() > deadline) return about;
    await Bun.sleep(100);
  }
}

useKcp((p) => (kcp = p), {
  setup: async (p) => {
    kcp = p;
    for (const ns of ["team-a", "team-b"]) await k(["create", "namespace", ns]);
  },
});

describe("garbage collector: invalid owner references", () => {
  test("a cluster-scoped dependent naming a namespaced kind: a Warning Event, and it stays", async () => {
    const owner = await create({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "cm-owner", namespace: "team-a" },
    });
    const dependent = await create({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "owned-by-a-configmap", ownerReferences: [refTo(owner)] },
    });
    const events = await eventsAbout("default", "owned-by-a-configmap");
    expect(events.length).toBe(1);
    const e = events[0] as Obj;
    expect(e.type).toBe("Warning");
    expect(e.involvedObject).toMatchObject({
      apiVersion: "v1",
      kind: "Namespace",
      name: "owned-by-a-configmap",
      uid: dependent.metadata.uid,
    });
    expect(e.message).toBe(
      `ownerRef [v1/ConfigMap, namespace: , name: cm-owner, uid: ${owner.metadata.uid}] does not exist in namespace ""`,
    );
    expect(e.source?.component).toBe("garbage-collector-controller");
    // Never collected: the reference cannot be resolved either way.
    await Bun.sleep(500);
    expect(await k(["get", "namespace", "owned-by-a-configmap", "-o", "name"])).toContain("owned-by-a-configmap");
  });

  test("a namespaced dependent naming an object of another namespace: a Warning Event, and it is collected", async () => {
    // The owner is itself owned (by its namespace), so the collector holds it in its graph.
    const ns = JSON.parse(await k(["get", "namespace", "team-a", "-o", "json"])) as Obj;
    const owner = await create({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "owner-in-a", namespace: "team-a", ownerReferences: [refTo(ns)] },
    });
    await create({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "crosses", namespace: "team-b", ownerReferences: [refTo(owner)] },
    });
    const events = await eventsAbout("team-b", "crosses");
    expect(events.length).toBe(1);
    expect((events[0] as Obj).message).toBe(
      `ownerRef [v1/ConfigMap, namespace: team-b, name: owner-in-a, uid: ${owner.metadata.uid}] does not exist in namespace "team-b"`,
    );
    const deadline = Date.now() + 15_000;
    let left = "crosses";
    while (left && Date.now() < deadline) {
      left = (await k(["get", "configmaps", "-n", "team-b", "-o", "jsonpath={.items[*].metadata.name}"])).trim();
      if (left) await Bun.sleep(100);
    }
    expect(left).toBe("");
    // The owner is untouched.
    expect(await k(["get", "configmap", "owner-in-a", "-n", "team-a", "-o", "name"])).toContain("owner-in-a");
  });

  test("the same with an owner the collector does not hold (it has no owner of its own)", async () => {
    const owner = await create({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "plain", namespace: "team-a" },
    });
    await create({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "crosses-plain", namespace: "team-b", ownerReferences: [refTo(owner)] },
    });
    const events = await eventsAbout("team-b", "crosses-plain");
    expect(events.length).toBe(1);
    expect((events[0] as Obj).message).toBe(
      `ownerRef [v1/ConfigMap, namespace: team-b, name: plain, uid: ${owner.metadata.uid}] does not exist in namespace "team-b"`,
    );
    const deadline = Date.now() + 15_000;
    let left = "crosses-plain";
    while (left && Date.now() < deadline) {
      left = (await k(["get", "configmaps", "-n", "team-b", "-o", "jsonpath={.items[*].metadata.name}"])).trim();
      if (left) await Bun.sleep(100);
    }
    expect(left).toBe("");
    expect(await k(["get", "configmap", "plain", "-n", "team-a", "-o", "name"])).toContain("plain");
  });
});
