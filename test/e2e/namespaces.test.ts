// Namespace lifecycle with kubectl: deleting a namespace makes it Terminating, its contents are
// deleted after a quiet period (so `kubectl delete -f` of a namespace with its contents succeeds),
// with kube's status conditions, then it disappears; creating in a missing or terminating
// namespace is refused; the initial namespaces cannot be deleted.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify as stringifyYaml } from "yaml";
import { api, type KcpProcess, kubectl, useKcp } from "../helpers/kcp-process.ts";

let kcp: KcpProcess;

useKcp((k) => (kcp = k));

type Obj = Record<string, any>;

function doc(apiVersion: string, kind: string, metadata: Obj, rest: Obj = {}): string {
  return stringifyYaml({ apiVersion, kind, metadata, ...rest });
}

async function create(manifests: string[]): Promise<void> {
  const r = await kubectl(kcp, ["create", "--validate=false", "-f", "-"], { stdin: manifests.join("---\n") });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
}

/** Names of every object of a namespaced resource in one namespace, read through the all-namespaces list. */
async function namesIn(path: string, namespace: string): Promise<string[]> {
  const res = await api(kcp, `${path}?fieldSelector=metadata.namespace%3D${namespace}`);
  expect(res.status).toBe(200);
  const list = (await res.json()) as { items: Obj[] };
  return list.items.map((i) => i.metadata.name).sort();
}

async function until<T>(what: string, read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(v)}`);
    await Bun.sleep(25);
  }
}

describe("namespaces", () => {
  test("create with -f - and with kubectl 1.31 create namespace", async () => {
    const a = await kubectl(kcp, ["create", "--validate=false", "-f", "-"], {
      stdin: doc("v1", "Namespace", { name: "ns-from-file" }),
    });
    expect(a.stdout).toBe("namespace/ns-from-file created\n");
    const b = await kubectl(kcp, ["create", "namespace", "ns-imperative"], { version: "1.31" });
    expect(b.stderr).toBe("");
    expect(b.stdout).toBe("namespace/ns-imperative created\n");
    const got = await kubectl(kcp, ["get", "ns", "ns-imperative", "-o", "json"]);
    const ns = JSON.parse(got.stdout);
    expect(ns.status.phase).toBe("Active");
    expect(ns.spec.finalizers).toEqual(["kubernetes"]);
    expect(ns.metadata.labels).toEqual({ "kubernetes.io/metadata.name": "ns-imperative" });
  });

  test("kubectl delete ns waits until the namespace and its contents are gone", async () => {
    await create([
      doc("v1", "Namespace", { name: "doomed" }),
      doc("v1", "ConfigMap", { name: "cm1", namespace: "doomed" }, { data: { a: "b" } }),
      doc("v1", "Secret", { name: "s1", namespace: "doomed" }, { stringData: { a: "b" } }),
      doc("v1", "ServiceAccount", { name: "sa1", namespace: "doomed" }),
      doc("coordination.k8s.io/v1", "Lease", { name: "l1", namespace: "doomed" }),
      doc("v1", "ConfigMap", { name: "survivor", namespace: "default" }),
    ]);
    expect(await namesIn("/api/v1/configmaps", "doomed")).toEqual(["cm1"]);

    const del = await kubectl(kcp, ["delete", "ns", "doomed", "--timeout=20s"]);
    expect(del.stderr).toBe("");
    expect(del.code).toBe(0);
    expect(del.stdout).toBe('namespace "doomed" deleted\n');

    // kubectl returned only once the namespace was gone.
    const get = await kubectl(kcp, ["get", "ns", "doomed"]);
    expect(get.code).toBe(1);
    expect(get.stderr).toContain('Error from server (NotFound): namespaces "doomed" not found');
    expect(await namesIn("/api/v1/configmaps", "doomed")).toEqual([]);
    expect(await namesIn("/api/v1/secrets", "doomed")).toEqual([]);
    expect(await namesIn("/api/v1/serviceaccounts", "doomed")).toEqual([]);
    expect(await namesIn("/apis/coordination.k8s.io/v1/leases", "doomed")).toEqual([]);
    expect(await namesIn("/api/v1/configmaps", "default")).toContain("survivor");
  });

  for (const version of ["1.27", "1.33"]) {
    test(`kubectl ${version} delete -f of a namespace and its contents exits 0, as with kube-apiserver`, async () => {
      const name = `manifest-${version.replace(".", "-")}`;
      const manifest = [
        doc("v1", "Namespace", { name }),
        doc("v1", "ConfigMap", { name: "cfg", namespace: name }, { data: { a: "b" } }),
        doc("v1", "Secret", { name: "s", namespace: name }, { stringData: { a: "b" } }),
        doc("v1", "ServiceAccount", { name: "sa", namespace: name }),
      ].join("---\n");
      const applied = await kubectl(kcp, ["apply", "-f", "-"], { stdin: manifest, version });
      expect(applied.code).toBe(0);
      // kubectl deletes the namespace first, then each object, which must still be there.
      const del = await kubectl(kcp, ["delete", "-f", "-", "--timeout=20s"], { stdin: manifest, version });
      expect(del.stderr).toBe("");
      expect(del.stdout).toBe(
        `namespace "${name}" deleted\nconfigmap "cfg" deleted\nsecret "s" deleted\nserviceaccount "sa" deleted\n`,
      );
      expect(del.code).toBe(0);
      expect((await api(kcp, `/api/v1/namespaces/${name}`)).status).toBe(404);
    });
  }

  test("kubectl delete -k of a kustomization with a namespace and its contents exits 0", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kcp-kustomize-"));
    try {
      writeFileSync(
        join(dir, "resources.yaml"),
        [
          doc("v1", "Namespace", { name: "kustomized" }),
          doc("v1", "ConfigMap", { name: "cfg", namespace: "kustomized" }, { data: { a: "b" } }),
          doc("v1", "Secret", { name: "s", namespace: "kustomized" }, { stringData: { a: "b" } }),
        ].join("---\n"),
      );
      writeFileSync(join(dir, "kustomization.yaml"), "resources:\n- resources.yaml\n");
      const applied = await kubectl(kcp, ["apply", "-k", dir]);
      expect(applied.code).toBe(0);
      const del = await kubectl(kcp, ["delete", "-k", dir, "--timeout=20s"]);
      expect(del.stderr).toBe("");
      expect(del.stdout).toBe('namespace "kustomized" deleted\nconfigmap "cfg" deleted\nsecret "s" deleted\n');
      expect(del.code).toBe(0);
      expect((await api(kcp, "/api/v1/namespaces/kustomized")).status).toBe(404);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a terminating namespace refuses new content, and goes once the last finalizer is removed", async () => {
    await create([
      doc("v1", "Namespace", { name: "closing" }),
      doc("v1", "ConfigMap", { name: "plain", namespace: "closing" }),
      doc("v1", "Secret", { name: "secret", namespace: "closing" }),
      // A finalizer nobody removes keeps this object, and so the namespace, in deletion.
      doc("v1", "ConfigMap", { name: "held", namespace: "closing", finalizers: ["example.com/hold"] }),
    ]);
    const del = await kubectl(kcp, ["delete", "ns", "closing", "--wait=false"]);
    expect(del.stdout).toBe('namespace "closing" deleted\n');

    const ns = JSON.parse((await kubectl(kcp, ["get", "ns", "closing", "-o", "json"])).stdout);
    expect(ns.status.phase).toBe("Terminating");
    expect(ns.metadata.deletionTimestamp).toMatch(/Z$/);
    expect(ns.metadata.deletionGracePeriodSeconds).toBeUndefined();

    // The namespace controller deletes what it can; the held object stays with a deletionTimestamp.
    await until(
      "the namespace's contents to be deleted",
      () => namesIn("/api/v1/configmaps", "closing"),
      (n) => n.join() === "held",
    );
    expect(await namesIn("/api/v1/secrets", "closing")).toEqual([]);
    const held = JSON.parse((await kubectl(kcp, ["get", "cm", "held", "-n", "closing", "-o", "json"])).stdout);
    expect(held.metadata.deletionTimestamp).toMatch(/Z$/);
    expect(held.metadata.deletionGracePeriodSeconds).toBe(0);

    // kube's conditions say what is left and which finalizer holds it.
    const conditions = await until(
      "the namespace's deletion conditions",
      async () => JSON.parse((await kubectl(kcp, ["get", "ns", "closing", "-o", "json"])).stdout).status.conditions,
      (c) => Array.isArray(c) && c.length === 5,
    );
    expect(conditions.map((c: Obj) => [c.type, c.status, c.reason, c.message])).toEqual([
      ["NamespaceDeletionDiscoveryFailure", "False", "ResourcesDiscovered", "All resources successfully discovered"],
      [
        "NamespaceDeletionGroupVersionParsingFailure",
        "False",
        "ParsedGroupVersions",
        "All legacy kube types successfully parsed",
      ],
      [
        "NamespaceDeletionContentFailure",
        "False",
        "ContentDeleted",
        "All content successfully deleted, may be waiting on finalization",
      ],
      [
        "NamespaceContentRemaining",
        "True",
        "SomeResourcesRemain",
        "Some resources are remaining: configmaps. has 1 resource instances",
      ],
      [
        "NamespaceFinalizersRemaining",
        "True",
        "SomeFinalizersRemain",
        "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances",
      ],
    ]);
    const described = await kubectl(kcp, ["describe", "ns", "closing"]);
    expect(described.stdout).toContain("Status:       Terminating");
    expect(described.stdout).toMatch(/NamespaceFinalizersRemaining\s+True/);

    const refused = await kubectl(kcp, ["create", "--validate=false", "-f", "-"], {
      stdin: doc("v1", "ConfigMap", { name: "late", namespace: "closing" }),
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'Error from server (Forbidden): error when creating "STDIN": configmaps "late" is forbidden: unable to create new content in namespace closing because it is being terminated',
    );
    const raw = await api(kcp, "/api/v1/namespaces/closing/configmaps", {
      method: "POST",
      body: JSON.stringify({ metadata: { name: "late" } }),
    });
    expect(raw.status).toBe(403);
    const status = (await raw.json()) as Obj;
    expect(status.reason).toBe("Forbidden");
    expect(status.details.causes).toEqual([
      { reason: "NamespaceTerminating", message: "namespace closing is being terminated", field: "metadata.namespace" },
    ]);

    // Still there while the finalizer is.
    expect((await kubectl(kcp, ["get", "ns", "closing", "-o", "name"])).stdout).toBe("namespace/closing\n");

    const unhold = await kubectl(kcp, [
      "patch",
      "cm",
      "held",
      "-n",
      "closing",
      "--type",
      "json",
      "-p",
      '[{"op":"remove","path":"/metadata/finalizers"}]',
    ]);
    expect(unhold.code).toBe(0);
    const wait = await kubectl(kcp, ["wait", "--for=delete", "ns/closing", "--timeout=20s"]);
    expect(wait.code).toBe(0);
    expect((await api(kcp, "/api/v1/namespaces/closing")).status).toBe(404);
    expect(await namesIn("/api/v1/configmaps", "closing")).toEqual([]);
  });

  test('creating in a namespace that does not exist: namespaces "x" not found', async () => {
    const fromFile = await kubectl(kcp, ["create", "--validate=false", "-f", "-"], {
      stdin: doc("v1", "ConfigMap", { name: "c", namespace: "nowhere" }),
    });
    expect(fromFile.code).toBe(1);
    expect(fromFile.stderr).toContain(
      'Error from server (NotFound): error when creating "STDIN": namespaces "nowhere" not found',
    );
    const imperative = await kubectl(kcp, ["create", "configmap", "c", "-n", "nowhere", "--from-literal=a=b"], {
      version: "1.31",
    });
    expect(imperative.code).toBe(1);
    expect(imperative.stderr).toContain('namespaces "nowhere" not found');
  });

  test("kube-node-lease is seeded but, as in kube, may be deleted", async () => {
    expect((await kubectl(kcp, ["get", "ns", "kube-node-lease", "-o", "jsonpath={.status.phase}"])).stdout).toBe(
      "Active",
    );
    const r = await kubectl(kcp, ["delete", "ns", "kube-node-lease", "--wait=false"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  test("the initial namespaces cannot be deleted", async () => {
    for (const name of ["default", "kube-system", "kube-public"]) {
      const r = await kubectl(kcp, ["delete", "ns", name]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        `Error from server (Forbidden): namespaces "${name}" is forbidden: this namespace may not be deleted`,
      );
    }
    expect((await kubectl(kcp, ["get", "ns", "default", "-o", "jsonpath={.status.phase}"])).stdout).toBe("Active");
  });
});
