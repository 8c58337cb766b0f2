// The official Python client (Debian's python3-kubernetes, 22.x, under Debian's /usr/bin/python3)
// against a real server: python_client.py does CoreV1Api CRUD on configmaps, a watch (which sends
// `watch=True` and `timeoutSeconds`), another logical cluster through the kubeconfig's `user`
// context, and the DynamicClient (legacy discovery, then create/get/patch/list of a custom
// resource). It prints one JSON document; this file asserts on it.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { stringify as stringifyYaml } from "yaml";
import { type KcpProcess, kubectl, useKcp } from "../../helpers/kcp-process.ts";

type Obj = Record<string, any>;

const PYTHON = "/usr/bin/python3";
const NS = "python";

const CRD = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "widgets.compat.example.com" },
  spec: {
    group: "compat.example.com",
    scope: "Namespaced",
    names: { plural: "widgets", singular: "widget", kind: "Widget", shortNames: ["wd"] },
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        subresources: {
          status: {},
          scale: { specReplicasPath: ".spec.replicas", statusReplicasPath: ".status.replicas" },
        },
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: {
              spec: { type: "object", properties: { replicas: { type: "integer" }, color: { type: "string" } } },
              status: { type: "object", properties: { replicas: { type: "integer" } } },
            },
          },
        },
      },
    ],
  },
};

let kcp: KcpProcess;
let result: Obj;

useKcp((k) => (kcp = k), {
  setup: async () => {
    expect((await kubectl(kcp, ["create", "namespace", NS])).code).toBe(0);
    expect((await kubectl(kcp, ["apply", "-f", "-"], { stdin: stringifyYaml(CRD) })).code).toBe(0);
    const w = await kubectl(kcp, [
      "wait",
      "--for=condition=established",
      "crd/widgets.compat.example.com",
      "--timeout=20s",
    ]);
    expect(w.stdout).toContain("condition met");

    const proc = Bun.spawn(
      [
        PYTHON,
        join(import.meta.dir, "python_client.py"),
        kcp.kubeconfig,
        NS,
        join(kcp.rootDir, "python-discovery.json"),
      ],
      {
        stdout: "pipe",
        stderr: "pipe",
        // Debian's interpreter and its dist-packages only: no user site or PYTHONPATH from a pyenv.
        env: { PATH: "/usr/bin:/bin", HOME: kcp.rootDir, PYTHONNOUSERSITE: "1" },
      },
    );
    const timer = setTimeout(() => proc.kill("SIGKILL"), 40_000);
    const [stdout, stderr, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    clearTimeout(timer);
    if (code !== 0) throw new Error(`python_client.py exited with ${code}:\n${stderr}\n${stdout}`);
    result = JSON.parse(stdout) as Obj;
  },
});

describe("python kubernetes client", () => {
  test("is Debian's 22.x", () => {
    expect(result.version).toMatch(/^22\./);
  });

  test("CoreV1Api: create, read, list by label, strategic and JSON patch, replace, delete", () => {
    expect(result.created).toEqual({ name: "py-cm", uid: true, data: { a: "1" } });
    expect(result.read).toEqual({ a: "1" });
    expect(result.listed).toEqual(["py-cm"]);
    // A dict body goes as a strategic merge patch, a list as a JSON patch.
    expect(result.strategic).toEqual({ a: "1", b: "2" });
    expect(result.jsonpatch).toEqual({ b: "2" });
    expect(result.replaced).toEqual({ b: "2", c: "3" });
    expect(result.delete_status).toBe("Success");
  });

  test("errors arrive as ApiException with the server's Status", () => {
    expect(result.stale_replace).toEqual({ status: 409, reason: "Conflict" });
    expect(result.duplicate_create).toEqual({ status: 409, reason: "AlreadyExists" });
    expect(result.read_after_delete).toEqual({ status: 404, reason: "NotFound" });
  });

  test("watch.Watch().stream: replayed and live events; timeout_seconds ends a quiet watch", () => {
    // watch=True is parsed like Go's ParseBool: a server that took only "true" would answer a List
    // and the stream would yield nothing.
    expect(result.watch).toEqual([
      { type: "ADDED", name: "py-cm", data: { a: "1" } },
      { type: "MODIFIED", name: "py-cm", data: { a: "1", b: "2" } },
      { type: "MODIFIED", name: "py-cm", data: { b: "2" } },
      { type: "MODIFIED", name: "py-cm", data: { b: "2", c: "3" } },
      { type: "DELETED", name: "py-cm", data: { b: "2", c: "3" } },
    ]);
    // The script got here only because the server closed the quiet watch at timeoutSeconds.
    expect(result.quiet_watch).toEqual([]);
  });

  test("the kubeconfig's user context reaches another logical cluster", () => {
    expect(result.user_namespaces).toEqual(["default", "kube-node-lease", "kube-public", "kube-system"]);
  });

  test("DynamicClient: discovery, then create, get, merge patch and list of a custom resource", () => {
    expect(result.server_version).toMatch(/^v1\.32\./);
    expect(result.configmap_resource).toEqual({ name: "configmaps", short_names: ["cm"] });
    expect(result.widget_resource).toEqual({ name: "widgets", namespaced: true, short_names: ["wd"] });
    expect(result.widget_subresources).toEqual(["scale", "status"]);
    expect(result.cr_created).toEqual({ name: "py-widget", spec: { replicas: 2, color: "red" }, generation: 1 });
    expect(result.cr_get).toEqual({
      kind: "Widget",
      apiVersion: "compat.example.com/v1",
      spec: { replicas: 2, color: "red" },
    });
    expect(result.cr_patched).toEqual({ spec: { replicas: 2, color: "blue" }, generation: 2 });
    expect(result.cr_list).toEqual(["py-widget"]);
    // The DynamicClient's default patch type, strategic merge, is not defined for custom resources.
    expect(result.cr_strategic).toEqual({ status: 415, reason: "UnsupportedMediaType" });
  });

  test("what Python wrote is what the server holds", async () => {
    const r = await kubectl(kcp, ["-n", NS, "get", "widget", "py-widget", "-o", "jsonpath={.spec.color}"]);
    expect(r.stdout).toBe("blue");
    const cm = await kubectl(kcp, ["-n", NS, "get", "cm", "py-cm"]);
    expect(cm.stderr).toBe('Error from server (NotFound): configmaps "py-cm" not found\n');
  });
});
