// Patches, apply and field validation with the real kubectl (the default one and 1.28): client-side
// `kubectl apply` (strategic merge patch for built-in kinds, merge patch for custom resources),
// `kubectl patch`, server-side apply with managedFields, conflicts and --force-conflicts, the
// client-side → server-side migration, `kubectl diff`, server dry runs, and fieldValidation.
import { beforeAll, describe, expect, test } from "bun:test";
import { stringify as stringifyYaml } from "yaml";
import { api, type KcpProcess, kubectl, type KubectlOptions, useKcp } from "../helpers/kcp-process.ts";

let kcp: KcpProcess;

type Obj = Record<string, any>;

const CRD = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "gadgets.example.com" },
  spec: {
    group: "example.com",
    scope: "Namespaced",
    names: { plural: "gadgets", singular: "gadget", kind: "Gadget" },
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: {
              spec: {
                type: "object",
                properties: {
                  size: { type: "integer" },
                  color: { type: "string" },
                  tags: { type: "array", items: { type: "string" }, "x-kubernetes-list-type": "set" },
                  ports: {
                    type: "array",
                    "x-kubernetes-list-type": "map",
                    "x-kubernetes-list-map-keys": ["name"],
                    items: {
                      type: "object",
                      required: ["name"],
                      properties: { name: { type: "string" }, port: { type: "integer" } },
                    },
                  },
                },
              },
            },
          },
        },
      },
    ],
  },
};

useKcp((k) => (kcp = k), {
  setup: async () => {
    const r = await kubectl(kcp, ["create", "-f", "-", "--validate=false"], { stdin: stringifyYaml(CRD) });
    expect(r.stderr).toBe("");
    const w = await kubectl(kcp, ["wait", "--for=condition=established", "crd/gadgets.example.com", "--timeout=10s"]);
    expect(w.stdout).toContain("condition met");
  },
});

const cmObject = (ns: string, name: string, data: Record<string, string>, labels?: Record<string, string>) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace: ns, ...(labels ? { labels } : {}) },
  data,
});
const cm = (ns: string, name: string, data: Record<string, string>, labels?: Record<string, string>) =>
  stringifyYaml(cmObject(ns, name, data, labels));
const gadget = (ns: string, name: string, spec: Obj) =>
  stringifyYaml({ apiVersion: "example.com/v1", kind: "Gadget", metadata: { name, namespace: ns }, spec });

async function getJSON(args: string[], opts: KubectlOptions = {}): Promise<Obj> {
  const r = await kubectl(kcp, ["get", ...args, "-o", "json", "--show-managed-fields"], opts);
  expect(r.stderr).toBe("");
  return JSON.parse(r.stdout) as Obj;
}

const managers = (obj: Obj) => (obj.metadata.managedFields ?? []).map((e: Obj) => `${e.manager}/${e.operation}`);

for (const version of [undefined, "1.28"]) {
  const label = version ? `kubectl ${version}` : "kubectl (default)";
  const ns = version ? `apply-${version.replace(".", "-")}` : "apply-default";
  const run = (args: string[], stdin?: string) => kubectl(kcp, ["-n", ns, ...args], { version, stdin });

  describe(label, () => {
    beforeAll(async () => {
      const r = await api(kcp, "/api/v1/namespaces", {
        method: "POST",
        body: JSON.stringify({ metadata: { name: ns } }),
        headers: { "Content-Type": "application/json" },
      });
      expect(r.status).toBe(201);
    });

    test("client-side apply of a ConfigMap: create, then a strategic merge patch that drops a removed key", async () => {
      const first = await run(["apply", "-f", "-"], cm(ns, "csa", { a: "1", b: "2" }));
      expect(first.stderr).toBe("");
      expect(first.stdout.trim()).toBe("configmap/csa created");
      const second = await run(["apply", "-f", "-"], cm(ns, "csa", { a: "1", c: "3" }));
      expect(second.stdout.trim()).toBe("configmap/csa configured");
      const obj = await getJSON(["-n", ns, "cm", "csa"]);
      expect(obj.data).toEqual({ a: "1", c: "3" });
      expect(JSON.parse(obj.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]).data).toEqual({
        a: "1",
        c: "3",
      });
      expect(obj.metadata.managedFields).toEqual([
        {
          manager: "kubectl-client-side-apply",
          operation: "Update",
          apiVersion: "v1",
          time: expect.any(String),
          fieldsType: "FieldsV1",
          fieldsV1: {
            "f:data": { ".": {}, "f:a": {}, "f:c": {} },
            "f:metadata": { "f:annotations": { ".": {}, "f:kubectl.kubernetes.io/last-applied-configuration": {} } },
          },
        },
      ]);
      const unchanged = await run(["apply", "-f", "-"], cm(ns, "csa", { a: "1", c: "3" }));
      expect(unchanged.stdout.trim()).toBe("configmap/csa unchanged");
    }, 30_000);

    test("client-side apply of a custom resource: a merge patch that drops a removed key", async () => {
      const first = await run(["apply", "-f", "-"], gadget(ns, "g1", { size: 3, color: "red" }));
      expect(first.stderr).toBe("");
      expect(first.stdout.trim()).toBe("gadget.example.com/g1 created");
      const second = await run(["apply", "-f", "-"], gadget(ns, "g1", { size: 5 }));
      expect(second.stdout.trim()).toBe("gadget.example.com/g1 configured");
      expect((await getJSON(["-n", ns, "gadget", "g1"])).spec).toEqual({ size: 5 });
    }, 30_000);

    test("kubectl patch: strategic by default on a ConfigMap, kubectl's 415 text on a custom resource", async () => {
      await run(["apply", "-f", "-"], cm(ns, "patched", { a: "1" }));
      const p = await run(["patch", "cm", "patched", "-p", '{"data":{"b":"2"},"metadata":{"finalizers":["x/y"]}}']);
      expect(p.stdout.trim()).toBe("configmap/patched patched");
      const again = await run([
        "patch",
        "cm",
        "patched",
        "-p",
        '{"metadata":{"$deleteFromPrimitiveList/finalizers":["x/y"]}}',
      ]);
      expect(again.stdout.trim()).toBe("configmap/patched patched");
      const obj = await getJSON(["-n", ns, "cm", "patched"]);
      expect(obj.data).toEqual({ a: "1", b: "2" });
      expect(obj.metadata.finalizers).toBeUndefined();
      expect(managers(obj)).toContain("kubectl-patch/Update");
      await run(["apply", "-f", "-"], gadget(ns, "g-patch", { size: 1 }));
      const cr = await run(["patch", "gadget", "g-patch", "-p", '{"spec":{"size":2}}']);
      expect(cr.code).toBe(1);
      expect(cr.stderr.trim()).toBe(
        "error: application/strategic-merge-patch+json is not supported by example.com/v1, Kind=Gadget: the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
      );
    }, 30_000);

    test("server-side apply: create, update, conflict, --force-conflicts; managedFields shown with --show-managed-fields", async () => {
      const created = await run(["apply", "--server-side", "-f", "-"], cm(ns, "ssa", { a: "1", b: "2" }, { app: "x" }));
      expect(created.stderr).toBe("");
      expect(created.stdout.trim()).toBe("configmap/ssa serverside-applied");
      const updated = await run(["apply", "--server-side", "-f", "-"], cm(ns, "ssa", { a: "1" }, { app: "x" }));
      expect(updated.stdout.trim()).toBe("configmap/ssa serverside-applied");
      const yaml = await run(["get", "cm", "ssa", "-o", "yaml", "--show-managed-fields"]);
      expect(yaml.stdout).toContain("manager: kubectl\n    operation: Apply\n");
      expect(yaml.stdout).toContain(
        "fieldsV1:\n      f:data:\n        f:a: {}\n      f:metadata:\n        f:labels:\n          f:app: {}\n",
      );
      const plain = await run(["get", "cm", "ssa", "-o", "yaml"]);
      expect(plain.stdout).not.toContain("managedFields");
      expect((await getJSON(["-n", ns, "cm", "ssa"])).data).toEqual({ a: "1" });

      await run(["patch", "cm", "ssa", "--type=merge", "-p", '{"data":{"a":"changed"}}']);
      const conflict = await run(["apply", "--server-side", "-f", "-"], cm(ns, "ssa", { a: "1" }, { app: "x" }));
      expect(conflict.code).toBe(1);
      expect(conflict.stderr).toContain(
        'error: Apply failed with 1 conflict: conflict with "kubectl-patch" using v1: .data.a',
      );
      expect(conflict.stderr).toContain("--force-conflicts");
      const forced = await run(
        ["apply", "--server-side", "--force-conflicts", "-f", "-"],
        cm(ns, "ssa", { a: "1" }, { app: "x" }),
      );
      expect(forced.stdout.trim()).toBe("configmap/ssa serverside-applied");
      const obj = await getJSON(["-n", ns, "cm", "ssa"]);
      expect(obj.data).toEqual({ a: "1" });
      expect(managers(obj)).toEqual(["kubectl/Apply"]);
    }, 30_000);

    test("server-side apply of a custom resource: sets and map lists merge across managers", async () => {
      const a = await run(
        ["apply", "--server-side", "-f", "-"],
        gadget(ns, "g-ssa", { tags: ["a"], ports: [{ name: "http", port: 80 }] }),
      );
      expect(a.stdout.trim()).toBe("gadget.example.com/g-ssa serverside-applied");
      const b = await run(
        ["apply", "--server-side", "--field-manager=other", "-f", "-"],
        gadget(ns, "g-ssa", { tags: ["b"], ports: [{ name: "https", port: 443 }] }),
      );
      expect(b.stderr).toBe("");
      const obj = await getJSON(["-n", ns, "gadget", "g-ssa"]);
      expect(obj.spec).toEqual({
        tags: ["a", "b"],
        ports: [
          { name: "http", port: 80 },
          { name: "https", port: 443 },
        ],
      });
      const mine = obj.metadata.managedFields.find((e: Obj) => e.manager === "kubectl");
      expect(mine.fieldsV1).toEqual({
        "f:spec": {
          "f:ports": { 'k:{"name":"http"}': { ".": {}, "f:name": {}, "f:port": {} } },
          "f:tags": { 'v:"a"': {} },
        },
      });
    }, 30_000);

    test("client-side to server-side apply: kubectl migrates the managed fields, later applies remove dropped keys", async () => {
      await run(["apply", "-f", "-"], cm(ns, "migrate", { a: "1", b: "2" }));
      const ssa = await run(["apply", "--server-side", "-f", "-"], cm(ns, "migrate", { a: "10", b: "2" }));
      expect(ssa.stderr).toBe("");
      expect(ssa.stdout.trim()).toBe("configmap/migrate serverside-applied");
      const obj = await getJSON(["-n", ns, "cm", "migrate"]);
      expect(obj.data).toEqual({ a: "10", b: "2" });
      expect(managers(obj).sort()).toEqual(["kubectl-last-applied/Apply", "kubectl/Apply"]);
      const dropped = await run(["apply", "--server-side", "-f", "-"], cm(ns, "migrate", { a: "10" }));
      expect(dropped.stderr).toBe("");
      expect((await getJSON(["-n", ns, "cm", "migrate"])).data).toEqual({ a: "10" });
    }, 30_000);

    test("kubectl diff: exit 0 without differences, 1 with a diff; client-side and --server-side", async () => {
      await run(["apply", "-f", "-"], cm(ns, "diffed", { a: "1" }));
      const same = await run(["diff", "-f", "-"], cm(ns, "diffed", { a: "1" }));
      expect(same.code).toBe(0);
      expect(same.stdout).toBe("");
      const changed = await run(["diff", "-f", "-"], cm(ns, "diffed", { a: "2" }));
      expect(changed.code).toBe(1);
      expect(changed.stdout).toContain('-  a: "1"\n+  a: "2"');
      await run(["apply", "--server-side", "-f", "-"], cm(ns, "diffed-ssa", { a: "1" }));
      expect((await run(["diff", "--server-side", "-f", "-"], cm(ns, "diffed-ssa", { a: "1" }))).code).toBe(0);
      const ssaChanged = await run(["diff", "--server-side", "-f", "-"], cm(ns, "diffed-ssa", { a: "3" }));
      expect(ssaChanged.code).toBe(1);
      expect(ssaChanged.stdout).toContain('+  a: "3"');
      const newObject = await run(["diff", "-f", "-"], cm(ns, "not-there", { a: "1" }));
      expect(newObject.code).toBe(1);
      expect((await run(["get", "cm", "not-there"])).code).toBe(1);
      // Diffs are dry runs: nothing changed.
      expect((await getJSON(["-n", ns, "cm", "diffed"])).data).toEqual({ a: "1" });
      expect((await getJSON(["-n", ns, "cm", "diffed-ssa"])).data).toEqual({ a: "1" });
    }, 30_000);

    test("--dry-run=server persists nothing: create, client-side and server-side apply, patch", async () => {
      await run(["apply", "-f", "-"], cm(ns, "dry", { a: "1" }));
      const before = await getJSON(["-n", ns, "cm", "dry"]);
      const csa = await run(["apply", "--dry-run=server", "-f", "-"], cm(ns, "dry", { a: "2" }));
      expect(csa.stdout.trim()).toBe("configmap/dry configured (server dry run)");
      const ssa = await run(
        ["apply", "--server-side", "--force-conflicts", "--dry-run=server", "-f", "-"],
        cm(ns, "dry", { a: "3" }),
      );
      expect(ssa.stdout.trim()).toBe("configmap/dry serverside-applied (server dry run)");
      const patch = await run(["patch", "cm", "dry", "--dry-run=server", "-p", '{"data":{"a":"4"}}']);
      expect(patch.stdout.trim()).toBe("configmap/dry patched");
      const after = await getJSON(["-n", ns, "cm", "dry"]);
      expect(after.data).toEqual({ a: "1" });
      expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
      const created = await run(
        ["apply", "--server-side", "--dry-run=server", "-f", "-"],
        cm(ns, "dry-new", { a: "1" }),
      );
      expect(created.stdout.trim()).toBe("configmap/dry-new serverside-applied (server dry run)");
      expect((await run(["get", "cm", "dry-new"])).code).toBe(1);
    }, 30_000);

    test("kubectl create -f with an unknown field: an error by default (Strict), a warning with --validate=warn", async () => {
      const doc = stringifyYaml({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "unknown", namespace: ns },
        data: { a: "1" },
        spec: { foo: 1 },
      });
      const strict = await run(["create", "-f", "-"], doc);
      expect(strict.code).toBe(1);
      expect(strict.stderr).toContain(
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "spec"',
      );
      const warn = await run(["create", "--validate=warn", "-f", "-"], doc);
      expect(warn.stdout.trim()).toBe("configmap/unknown created");
      expect(warn.stderr).toContain('Warning: unknown field "spec"');
      const obj = await getJSON(["-n", ns, "cm", "unknown"]);
      expect(obj.spec).toBeUndefined();
      expect(obj.data).toEqual({ a: "1" });
      // A client-side apply that adds an unknown field: the strategic merge patch fails as kube's does.
      await run(["apply", "-f", "-"], cm(ns, "unknown-patch", { a: "1" }));
      const patched = await run(
        ["apply", "-f", "-"],
        stringifyYaml({ ...cmObject(ns, "unknown-patch", { a: "1" }), spec: { foo: 1 } }),
      );
      expect(patched.code).toBe(1);
      expect(patched.stderr).toContain(
        'The request is invalid: patch: Invalid value: "map[metadata:map[annotations:map[',
      );
      expect(patched.stderr).toContain('strict decoding error: unknown field "spec"');
      const warned = await run(["patch", "cm", "unknown-patch", "--type=merge", "-p", '{"spec":{"x":1}}']);
      expect(warned.stderr).toContain('Warning: unknown field "spec"');
    }, 30_000);
  });
}

describe("the wire", () => {
  const path = "/api/v1/namespaces/default/configmaps";
  const applyPatch = (name: string, body: unknown, query = "?fieldManager=test") =>
    api(kcp, `${path}/${name}${query}`, {
      method: "PATCH",
      body: JSON.stringify(body),
      headers: { "Content-Type": "application/apply-patch+yaml" },
    });

  test("apply creates with 201, then answers 200; it needs a fieldManager and a body of the URL's kind", async () => {
    const body = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "wire" }, data: { a: "1" } };
    const created = await applyPatch("wire", body);
    expect(created.status).toBe(201);
    const obj = (await created.json()) as Obj;
    expect(obj.metadata.managedFields[0]).toMatchObject({
      manager: "test",
      operation: "Apply",
      apiVersion: "v1",
      fieldsType: "FieldsV1",
      fieldsV1: { "f:data": { "f:a": {} } },
    });
    expect((await applyPatch("wire", body)).status).toBe(200);
    const noManager = await applyPatch("wire", body, "");
    expect(noManager.status).toBe(422);
    expect(((await noManager.json()) as Obj).message).toBe(
      'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
    );
    const wrongKind = await applyPatch("wire", { ...body, kind: "Secret" });
    expect(wrongKind.status).toBe(400);
    expect(((await wrongKind.json()) as Obj).message).toBe("invalid object type: /v1, Kind=Secret");
    const withManaged = await applyPatch("wire", {
      ...body,
      metadata: { name: "wire", managedFields: [{ manager: "x" }] },
    });
    expect(withManaged.status).toBe(400);
    expect(((await withManaged.json()) as Obj).message).toBe("metadata.managedFields must be nil");
    const stale = await applyPatch("wire", { ...body, metadata: { name: "wire", resourceVersion: "1" } });
    expect(stale.status).toBe(409);
  });

  test("unknown fields in a patch's result: 422 on the field patch under Strict, a warning by default, dropped", async () => {
    await applyPatch("unknown", {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "unknown" },
      data: { a: "1" },
    });
    const merge = (query: string) =>
      api(kcp, `${path}/unknown${query}`, {
        method: "PATCH",
        body: '{"spec":{"x":1}}',
        headers: { "Content-Type": "application/merge-patch+json" },
      });
    const strict = await merge("?fieldValidation=Strict");
    expect(strict.status).toBe(422);
    const status = (await strict.json()) as Obj;
    expect(status.message).toStartWith(' "" is invalid: patch: Invalid value: "{');
    expect(status.message).toEndWith('": strict decoding error: unknown field "spec"');
    expect(status.details.causes[0]).toMatchObject({ reason: "FieldValueInvalid", field: "patch" });
    const warn = await merge("");
    expect(warn.status).toBe(200);
    expect(warn.headers.get("warning")).toBe('299 - "unknown field \\"spec\\""');
    expect(((await warn.json()) as Obj).spec).toBeUndefined();
  });

  test("a resourceVersion in a strategic merge patch is a precondition; force is only for apply", async () => {
    await applyPatch("smp", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "smp" }, data: { a: "1" } });
    const smp = (body: unknown, query = "") =>
      api(kcp, `${path}/smp${query}`, {
        method: "PATCH",
        body: JSON.stringify(body),
        headers: { "Content-Type": "application/strategic-merge-patch+json" },
      });
    expect((await smp({ metadata: { resourceVersion: "1" }, data: { b: "2" } })).status).toBe(409);
    const ok = await smp({ data: { b: "2" } });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as Obj).data).toEqual({ a: "1", b: "2" });
    const forced = await smp({ data: { c: "3" } }, "?force=true");
    expect(forced.status).toBe(422);
    expect(((await forced.json()) as Obj).message).toBe(
      'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch',
    );
    const unknownType = await api(kcp, `${path}/smp`, {
      method: "PATCH",
      body: "{}",
      headers: { "Content-Type": "application/x-unknown" },
    });
    expect(unknownType.status).toBe(415);
    expect(((await unknownType.json()) as Obj).message).toBe(
      "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml",
    );
  });

  test("creates and updates record their manager: the fieldManager parameter, else the User-Agent's product", async () => {
    const post = await api(kcp, path, {
      method: "POST",
      body: JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "ua" }, data: { a: "1" } }),
      headers: { "Content-Type": "application/json", "User-Agent": "my-controller/v0.1 (linux)" },
    });
    expect(((await post.json()) as Obj).metadata.managedFields.map((e: Obj) => e.manager)).toEqual(["my-controller"]);
    const dup = await api(kcp, `${path}?fieldValidation=Strict`, {
      method: "POST",
      body: '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup"},"data":{"a":"1","a":"2"}}',
      headers: { "Content-Type": "application/json" },
    });
    expect(dup.status).toBe(400);
    expect(((await dup.json()) as Obj).message).toBe(
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: duplicate field "data.a"',
    );
    const warned = await api(kcp, path, {
      method: "POST",
      body: '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup"},"data":{"a":"1","a":"2"}}',
      headers: { "Content-Type": "application/json" },
    });
    expect(warned.status).toBe(201);
    expect(warned.headers.get("warning")).toBe('299 - "duplicate field \\"data.a\\""');
    expect(((await warned.json()) as Obj).data).toEqual({ a: "2" });
  });
});
