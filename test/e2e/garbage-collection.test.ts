// The garbage collector with the real kubectl: background (the default), orphan and foreground
// cascading deletion on configmaps and on a custom resource, owners looked up in the dependent's
// own logical cluster only, deletecollection with a policy, and a kill -9 in the middle of a
// cascade: after the restart the graph is rebuilt, the orphans are deleted and nothing else.
import { afterAll, describe, expect, test } from "bun:test";
import { stringify as stringifyYaml } from "yaml";
import {
  api,
  type KcpProcess,
  kubeconfigWithPath,
  kubectl,
  removeDir,
  startKcp,
  tempDir,
  useKcp,
} from "../helpers/kcp-process.ts";

type Obj = Record<string, any>;

let kcp: KcpProcess;

const GIZMOS_CRD = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "gizmos.gc.example.com" },
  spec: {
    group: "gc.example.com",
    scope: "Namespaced",
    names: { plural: "gizmos", singular: "gizmo", kind: "Gizmo" },
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
      },
    ],
  },
};

async function k(args: string[], stdin?: string, kubeconfig?: string, on: KcpProcess = kcp): Promise<string> {
  const r = await kubectl(on, args, { stdin, kubeconfig });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

async function create(obj: Obj, kubeconfig?: string, on: KcpProcess = kcp): Promise<Obj> {
  return JSON.parse(await k(["create", "-o", "json", "-f", "-"], JSON.stringify(obj), kubeconfig, on)) as Obj;
}

function cm(name: string, namespace: string, owners: Obj[] = [], block = false, extra: Obj = {}): Obj {
  const ownerReferences = owners.map((o) => ({
    apiVersion: o.apiVersion,
    kind: o.kind,
    name: o.metadata.name,
    uid: o.metadata.uid,
    ...(block ? { blockOwnerDeletion: true } : {}),
  }));
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace, ...(owners.length ? { ownerReferences } : {}), ...extra },
  };
}

/** The names of the objects of a resource in a namespace. */
async function names(resource: string, namespace: string, kubeconfig?: string, on: KcpProcess = kcp) {
  const out = await k(
    ["get", resource, "-n", namespace, "-o", "jsonpath={.items[*].metadata.name}"],
    undefined,
    kubeconfig,
    on,
  );
  return out.split(" ").filter(Boolean).sort();
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}

async function untilNames(resource: string, namespace: string, want: string[], kubeconfig?: string, on = kcp) {
  let last: string[] = [];
  try {
    await until(`${resource} in ${namespace} to be ${want.join(",")}`, async () => {
      last = await names(resource, namespace, kubeconfig, on);
      return JSON.stringify(last) === JSON.stringify([...want].sort()) ? true : undefined;
    });
  } catch {
    expect(last).toEqual([...want].sort());
  }
}

useKcp((p) => (kcp = p), {
  setup: async (p) => {
    await k(["create", "-f", "-"], JSON.stringify(GIZMOS_CRD), undefined, p);
    await k(["wait", "--for=condition=Established", "crd/gizmos.gc.example.com"], undefined, undefined, p);
    for (const ns of ["bg", "orphan", "fg", "cr", "coll"])
      await k(["create", "namespace", ns], undefined, undefined, p);
  },
});

describe("garbage collection", () => {
  test("background: dependents whose every owner is gone are deleted; others lose the dangling reference", async () => {
    const owner = await create(cm("owner", "bg"));
    const other = await create(cm("other", "bg"));
    const child = await create(cm("child", "bg", [owner]));
    await create(cm("grandchild", "bg", [child]));
    await create(cm("shared", "bg", [owner, other]));
    await create(cm("unrelated", "bg"));
    expect(await k(["delete", "cm", "owner", "-n", "bg"])).toBe('configmap "owner" deleted\n');
    await untilNames("cm", "bg", ["other", "shared", "unrelated"]);
    const shared = JSON.parse(await k(["get", "cm", "shared", "-n", "bg", "-o", "json"])) as Obj;
    expect(shared.metadata.ownerReferences.map((r: Obj) => r.name)).toEqual(["other"]);
  }, 30_000);

  test("background: a reference whose uid is not the live owner's is dangling", async () => {
    const owner = await create(cm("recreated", "bg"));
    await create(cm("stale-child", "bg", [{ ...owner, metadata: { ...owner.metadata, uid: "0000-not-it" } }]));
    await create(cm("live-child", "bg", [owner]));
    await untilNames("cm", "bg", ["live-child", "other", "recreated", "shared", "unrelated"]);
  }, 30_000);

  test("orphan: the owner goes, its dependents stay without the reference", async () => {
    const owner = await create(cm("owner", "orphan"));
    const keep = await create(cm("keeper", "orphan"));
    await create(cm("a", "orphan", [owner]));
    await create(cm("b", "orphan", [owner, keep]));
    expect(await k(["delete", "cm", "owner", "-n", "orphan", "--cascade=orphan"])).toBe('configmap "owner" deleted\n');
    await untilNames("cm", "orphan", ["a", "b", "keeper"]);
    const got = JSON.parse(await k(["get", "cm", "a", "b", "-n", "orphan", "-o", "json"])) as Obj;
    expect(got.items.map((i: Obj) => (i.metadata.ownerReferences ?? []).map((r: Obj) => r.name))).toEqual([
      [],
      ["keeper"],
    ]);
    // The deprecated orphanDependents=true through the API does the same.
    const owner2 = await create(cm("owner2", "orphan"));
    await create(cm("c", "orphan", [owner2]));
    const res = await api(kcp, "/api/v1/namespaces/orphan/configmaps/owner2?orphanDependents=true", {
      method: "DELETE",
    });
    expect(res.status).toBe(200);
    const marked = (await res.json()) as Obj;
    expect(marked.metadata.finalizers).toEqual(["orphan"]);
    expect(marked.metadata.deletionTimestamp).toBeString();
    await untilNames("cm", "orphan", ["a", "b", "c", "keeper"]);
  }, 30_000);

  test("foreground: the owner waits with its finalizer until blocking dependents are gone, down a chain", async () => {
    const owner = await create(cm("owner", "fg"));
    const child = await create(cm("child", "fg", [owner], true));
    // The grandchild holds the chain with a finalizer of its own.
    await create(cm("grandchild", "fg", [child], true, { finalizers: ["example.com/hold"] }));
    await create(cm("loose", "fg", [owner], false));
    await create(cm("bystander", "fg"));
    await k(["delete", "cm", "owner", "-n", "fg", "--cascade=foreground", "--wait=false"]);
    const held = await until("the grandchild to be deleting", async () => {
      const o = JSON.parse(await k(["get", "cm", "grandchild", "-n", "fg", "-o", "json"])) as Obj;
      return o.metadata.deletionTimestamp ? o : undefined;
    });
    expect(held.metadata.finalizers).toEqual(["example.com/hold"]);
    const o = JSON.parse(await k(["get", "cm", "owner", "child", "-n", "fg", "-o", "json"])) as Obj;
    for (const item of o.items) {
      expect(item.metadata.deletionTimestamp).toBeString();
      expect(item.metadata.finalizers).toEqual(["foregroundDeletion"]);
    }
    await untilNames("cm", "fg", ["bystander", "child", "grandchild", "owner"]);
    await k(["patch", "cm", "grandchild", "-n", "fg", "--type=merge", "-p", '{"metadata":{"finalizers":null}}']);
    await k(["wait", "--for=delete", "cm/owner", "-n", "fg", "--timeout=15s"]);
    await untilNames("cm", "fg", ["bystander"]);
  }, 30_000);

  test("namespaces (whose cache is shared and trimmed) honour orphan and foreground deletion too", async () => {
    for (const [name, cascade] of [
      ["ns-orphan", "orphan"],
      ["ns-fg", "foreground"],
    ]) {
      await create({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
      await create(cm("inside", name));
      // kubectl waits for the namespace to be gone: a finalizer the collector never saw would hang here.
      await k(["delete", "namespace", name, `--cascade=${cascade}`, "--timeout=20s"]);
      const r = await kubectl(kcp, ["get", "namespace", name]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain("NotFound");
    }
  }, 60_000);

  test("custom resources: background, orphan and foreground, with configmaps as dependents", async () => {
    const gizmo = (name: string, owners: Obj[] = []) => ({
      ...cm(name, "cr", owners, true),
      apiVersion: "gc.example.com/v1",
      kind: "Gizmo",
    });
    const bg = await create(gizmo("bg"));
    await create(gizmo("bg-child", [bg]));
    await create(cm("bg-cm", "cr", [bg]));
    const orphan = await create(gizmo("orphan"));
    await create(gizmo("orphan-child", [orphan]));
    const fg = await create(gizmo("fg"));
    const fgChild = await create(gizmo("fg-child", [fg]));
    await create(cm("fg-cm", "cr", [fgChild], true));
    await k(["delete", "gizmo", "bg", "-n", "cr", "--cascade=background"]);
    await k(["delete", "gizmo", "orphan", "-n", "cr", "--cascade=orphan"]);
    await k(["delete", "gizmo", "fg", "-n", "cr", "--cascade=foreground"]);
    // kubectl waited for the foreground owner: its chain is gone before it.
    expect(await names("gizmos", "cr")).not.toContain("fg-child");
    await untilNames("gizmos", "cr", ["orphan-child"]);
    await untilNames("cm", "cr", []);
    const left = JSON.parse(await k(["get", "gizmo", "orphan-child", "-n", "cr", "-o", "json"])) as Obj;
    expect(left.metadata.ownerReferences).toBeUndefined();
  }, 30_000);

  test("an owner is looked up in the dependent's own logical cluster only", async () => {
    const a = await kubeconfigWithPath(kcp, "/clusters/gc-a");
    const b = await kubeconfigWithPath(kcp, "/clusters/gc-b");
    const ownerA = await create(cm("owner", "default", [], false), a);
    // In gc-b a configmap of the same name exists with another uid: the reference to gc-a's uid is not it.
    await create(cm("owner", "default"), b);
    await create(cm("dep", "default", [ownerA]), b);
    await create(cm("dep", "default", [ownerA]), a);
    await untilNames("cm", "default", ["owner"], b);
    expect(await names("cm", "default", a)).toEqual(["dep", "owner"]);
    await k(["delete", "cm", "owner", "-n", "default"], undefined, a);
    await untilNames("cm", "default", [], a);
    expect(await names("cm", "default", b)).toEqual(["owner"]);
  }, 30_000);

  test("deletecollection honours the propagation policy; both policies at once are refused", async () => {
    const o1 = await create(cm("o1", "coll", [], false, { labels: { owner: "yes" } }));
    const o2 = await create(cm("o2", "coll", [], false, { labels: { owner: "yes" } }));
    await create(cm("d1", "coll", [o1]));
    await create(cm("d2", "coll", [o2]));
    const both = await api(kcp, "/api/v1/namespaces/coll/configmaps?propagationPolicy=Orphan&orphanDependents=true", {
      method: "DELETE",
    });
    expect(both.status).toBe(422);
    expect(((await both.json()) as Obj).message).toContain(
      "OrphanDependents and DeletionPropagation cannot be both set",
    );
    const res = await api(
      kcp,
      "/api/v1/namespaces/coll/configmaps?labelSelector=owner%3Dyes&propagationPolicy=Orphan",
      {
        method: "DELETE",
      },
    );
    expect(res.status).toBe(200);
    const list = (await res.json()) as Obj;
    expect(list.items.map((i: Obj) => i.metadata.finalizers)).toEqual([["orphan"], ["orphan"]]);
    await untilNames("cm", "coll", ["d1", "d2"]);
    const got = JSON.parse(await k(["get", "cm", "-n", "coll", "-o", "json"])) as Obj;
    expect(got.items.map((i: Obj) => i.metadata.ownerReferences)).toEqual([undefined, undefined]);
  }, 30_000);
});

describe("garbage collection across a restart", () => {
  const rootDir = tempDir("kcp-gc-restart-");
  let current: KcpProcess | undefined;
  afterAll(async () => {
    await current?.stop();
    removeDir(rootDir);
  });

  test("kill -9 in the middle of a cascade: the rest is collected after the restart, nothing more", async () => {
    current = await startKcp({ rootDir });
    const p = current;
    await k(["create", "-f", "-"], JSON.stringify(GIZMOS_CRD), undefined, p);
    await k(["wait", "--for=condition=Established", "crd/gizmos.gc.example.com"], undefined, undefined, p);
    await k(["create", "namespace", "r"], undefined, undefined, p);
    const owner = await create(cm("owner", "r"), undefined, p);
    // A custom resource owns configmaps: its informer may list after the configmaps' after the restart.
    const gizmo = await create(
      { apiVersion: "gc.example.com/v1", kind: "Gizmo", metadata: { name: "keeper", namespace: "r" } },
      undefined,
      p,
    );
    const N = 150;
    const items = [];
    for (let i = 0; i < N; i++) items.push(cm(`dep-${i}`, "r", [owner]));
    for (let i = 0; i < 20; i++) items.push(cm(`kept-${i}`, "r", [gizmo]));
    await k(["create", "-f", "-"], items.map((o) => stringifyYaml(o)).join("---\n"), undefined, p);
    await k(["delete", "cm", "owner", "-n", "r", "--wait=false"], undefined, undefined, p);
    await p.kill9();
    current = await startKcp({ rootDir });
    // Whatever the first process managed, the second one finishes.
    await untilNames(
      "cm",
      "r",
      Array.from({ length: 20 }, (_, i) => `kept-${i}`),
      undefined,
      current,
    );
    expect(await names("gizmos", "r", undefined, current)).toEqual(["keeper"]);
  }, 60_000);

  test("kill -9 while a foreground deletion waits: the restarted collector finishes it", async () => {
    const p = current as KcpProcess;
    await k(["create", "namespace", "f"], undefined, undefined, p);
    const owner = await create(cm("owner", "f"), undefined, p);
    const items = [];
    for (let i = 0; i < 30; i++) items.push(cm(`held-${i}`, "f", [owner], true, { finalizers: ["example.com/hold"] }));
    await k(["create", "-f", "-"], items.map((o) => stringifyYaml(o)).join("---\n"), undefined, p);
    await k(["delete", "cm", "owner", "-n", "f", "--cascade=foreground", "--wait=false"], undefined, undefined, p);
    await until("every dependent to be deleting", async () => {
      const list = JSON.parse(await k(["get", "cm", "-n", "f", "-o", "json"], undefined, undefined, p)) as Obj;
      const deleting = list.items.filter((i: Obj) => i.metadata.deletionTimestamp).length;
      return deleting === 31 ? true : undefined;
    });
    await p.kill9();
    current = await startKcp({ rootDir });
    const q = current;
    const owner2 = JSON.parse(await k(["get", "cm", "owner", "-n", "f", "-o", "json"], undefined, undefined, q)) as Obj;
    expect(owner2.metadata.finalizers).toEqual(["foregroundDeletion"]);
    for (let i = 0; i < 30; i++) {
      await k(
        ["patch", "cm", `held-${i}`, "-n", "f", "--type=merge", "-p", '{"metadata":{"finalizers":null}}'],
        undefined,
        undefined,
        q,
      );
    }
    await k(["wait", "--for=delete", "cm/owner", "-n", "f", "--timeout=15s"], undefined, undefined, q);
    await untilNames("cm", "f", [], undefined, q);
    // The first test's survivors are still there.
    expect((await names("cm", "r", undefined, q)).length).toBe(20);
  }, 60_000);
});
