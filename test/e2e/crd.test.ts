// CustomResourceDefinitions end to end with the real kubectl: a CRD becomes Established and its
// resources are served (discovery, CRUD, watch, patch, validation, pruning, defaulting, status and
// scale subresources, categories and short names, versions), deleting it deletes its objects and
// the API, and logical clusters keep CRDs apart except for admin's, which every cluster inherits.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { stringify as stringifyYaml } from "yaml";
import {
  api,
  type KcpProcess,
  kubeconfigWithPath,
  kubectl,
  type KubectlOptions,
  startKcp,
  useKcp,
} from "../helpers/kcp-process.ts";
import { WatchStream } from "../helpers/watch-stream.ts";

let kcp: KcpProcess;
let teamA: KubectlOptions;
let teamB: KubectlOptions;

type Obj = Record<string, any>;

useKcp((k) => (kcp = k), {
  setup: async () => {
    teamA = { kubeconfig: await kubeconfigWithPath(kcp, "/clusters/team-a") };
    teamB = { kubeconfig: await kubeconfigWithPath(kcp, "/clusters/team-b") };
  },
});

/** Poll `fn` until it returns something other than undefined, or fail after `ms`. */
async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}

async function json(path: string, init: RequestInit = {}): Promise<{ status: number; body: Obj; headers: Headers }> {
  const r = await api(kcp, path, init);
  return { status: r.status, body: (await r.json()) as Obj, headers: r.headers };
}

function widgetCRD(over: { shortNames?: string[]; scope?: string } = {}): Obj {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "widgets.example.com" },
    spec: {
      group: "example.com",
      scope: over.scope ?? "Namespaced",
      names: {
        plural: "widgets",
        singular: "widget",
        kind: "Widget",
        shortNames: over.shortNames ?? ["wd"],
        categories: ["gadgets"],
      },
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          subresources: {
            status: {},
            scale: {
              specReplicasPath: ".spec.replicas",
              statusReplicasPath: ".status.replicas",
              labelSelectorPath: ".status.selector",
            },
          },
          additionalPrinterColumns: [{ name: "Replicas", type: "integer", jsonPath: ".spec.replicas" }],
          schema: {
            openAPIV3Schema: {
              type: "object",
              properties: {
                spec: {
                  type: "object",
                  "x-kubernetes-validations": [
                    { rule: "!has(self.replicas) || self.replicas <= 10", message: "at most 10 replicas" },
                  ],
                  properties: {
                    replicas: { type: "integer", minimum: 0 },
                    color: { type: "string", enum: ["blue", "red"], default: "blue" },
                    tags: { type: "array", "x-kubernetes-list-type": "set", items: { type: "string" } },
                  },
                },
                status: { type: "object", properties: { replicas: { type: "integer" }, selector: { type: "string" } } },
              },
            },
          },
        },
      ],
    },
  };
}

const widget = (name: string, spec: Obj, extra: Obj = {}) =>
  stringifyYaml({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name }, spec, ...extra });

async function createCRD(crd: Obj, opts: KubectlOptions = {}): Promise<void> {
  const r = await kubectl(kcp, ["create", "-f", "-", "--validate=false"], { ...opts, stdin: stringifyYaml(crd) });
  expect(r.stderr).toBe("");
  const w = await kubectl(
    kcp,
    ["wait", "--for=condition=established", `crd/${crd.metadata.name}`, "--timeout=10s"],
    opts,
  );
  expect(w.stdout).toContain("condition met");
}

describe("serving a CRD", () => {
  test("kubectl creates it; it is Established with its names accepted", async () => {
    await createCRD(widgetCRD());
    const { body } = await json("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com");
    expect(body.status.acceptedNames).toEqual({
      plural: "widgets",
      singular: "widget",
      shortNames: ["wd"],
      kind: "Widget",
      listKind: "WidgetList",
      categories: ["gadgets"],
    });
    expect(body.status.conditions.map((c: Obj) => [c.type, c.status, c.reason])).toEqual([
      ["NamesAccepted", "True", "NoConflicts"],
      ["Established", "True", "InitialNamesAccepted"],
    ]);
    expect(body.status.storedVersions).toEqual(["v1"]);
  }, 30_000);

  test("both discovery forms show the resource", async () => {
    const legacy = await json("/apis/example.com/v1");
    expect(legacy.status).toBe(200);
    const names = legacy.body.resources.map((r: Obj) => r.name);
    expect(names).toEqual(["widgets", "widgets/scale", "widgets/status"]);
    expect(legacy.body.resources[0]).toMatchObject({
      kind: "Widget",
      namespaced: true,
      shortNames: ["wd"],
      categories: ["gadgets"],
    });
    const agg = await json("/apis", {
      headers: { Accept: "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList" },
    });
    const group = agg.body.items.find((g: Obj) => g.metadata.name === "example.com");
    expect(group.versions[0].resources[0]).toMatchObject({
      resource: "widgets",
      scope: "Namespaced",
      singularResource: "widget",
      shortNames: ["wd"],
      categories: ["gadgets"],
    });
    const r = await kubectl(kcp, ["api-resources", "--api-group=example.com", "-o", "name"]);
    expect(r.stdout.trim()).toBe("widgets.example.com");
  }, 30_000);

  test("create, get, list, patch, delete with kubectl; unknown fields pruned, defaults applied", async () => {
    const c = await kubectl(kcp, ["create", "-f", "-", "--validate=false"], {
      stdin: widget("w1", { replicas: 2, bogus: true, tags: ["a"] }),
    });
    expect(c.stdout.trim()).toBe("widget.example.com/w1 created");
    const g = await kubectl(kcp, ["get", "widget", "w1", "-o", "json"]);
    const obj = JSON.parse(g.stdout) as Obj;
    expect(obj.spec).toEqual({ replicas: 2, color: "blue", tags: ["a"] });
    expect(obj.metadata.generation).toBe(1);
    const l = await kubectl(kcp, ["get", "widgets"]);
    // With printer columns, kube shows exactly Name and those columns (no Age).
    expect(l.stdout).toMatch(/^NAME\s+REPLICAS\nw1\s+2\n/);
    const p = await kubectl(kcp, ["patch", "widget", "w1", "--type=merge", "-p", '{"spec":{"color":"red"}}']);
    expect(p.stdout.trim()).toBe("widget.example.com/w1 patched");
    const after = JSON.parse((await kubectl(kcp, ["get", "wd", "w1", "-o", "json"])).stdout) as Obj;
    expect(after.spec.color).toBe("red");
    expect(after.metadata.generation).toBe(2);
    const list = await json("/apis/example.com/v1/namespaces/default/widgets");
    expect(list.body.kind).toBe("WidgetList");
    expect(list.body.items[0]).toMatchObject({ apiVersion: "example.com/v1", kind: "Widget" });
    await kubectl(kcp, ["create", "-f", "-", "--validate=false"], { stdin: widget("w-gone", {}) });
    const d = await kubectl(kcp, ["delete", "widget", "w-gone"]);
    expect(d.stdout.trim()).toBe('widget.example.com "w-gone" deleted');
  }, 30_000);

  test("an invalid object is 422 with kube's messages", async () => {
    const r = await kubectl(kcp, ["create", "-f", "-", "--validate=false"], {
      stdin: widget("bad", { replicas: -1, color: "green", tags: ["a", "a"] }),
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('The Widget "bad" is invalid: ');
    expect(r.stderr).toContain(
      "* spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or equal to 0",
    );
    expect(r.stderr).toContain('* spec.color: Unsupported value: "green": supported values: "blue", "red"');
    expect(r.stderr).toContain('* spec.tags[1]: Duplicate value: "a"');
    const post = await json("/apis/example.com/v1/namespaces/default/widgets", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        apiVersion: "example.com/v1",
        kind: "Widget",
        metadata: { name: "bad" },
        spec: { replicas: 11 },
      }),
    });
    expect(post.status).toBe(422);
    expect(post.body.message).toBe(
      'Widget.example.com "bad" is invalid: spec: Invalid value: "object": at most 10 replicas',
    );
    expect(post.body.details.causes).toEqual([
      { reason: "FieldValueInvalid", message: 'Invalid value: "object": at most 10 replicas', field: "spec" },
    ]);
  }, 30_000);

  test("fieldValidation: Strict fails, Warn warns, for unknown and duplicate fields", async () => {
    const body =
      '{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"fv"},"spec":{"replicas":1,"replicas":2,"foo":1}}';
    const strict = await json("/apis/example.com/v1/namespaces/default/widgets?fieldValidation=Strict", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body,
    });
    expect(strict.status).toBe(400);
    expect(strict.body.message).toBe(
      'Widget in version "v1" cannot be handled as a Widget: strict decoding error: duplicate field "spec.replicas", unknown field "spec.foo"',
    );
    const warn = await json("/apis/example.com/v1/namespaces/default/widgets", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body,
    });
    expect(warn.status).toBe(201);
    expect(warn.headers.get("warning")).toBe(
      '299 - "duplicate field \\"spec.replicas\\"", 299 - "unknown field \\"spec.foo\\""',
    );
    expect(warn.body.spec).toEqual({ replicas: 2, color: "blue" });
  }, 30_000);

  test("watch delivers custom resources with defaults", async () => {
    const res = await api(
      kcp,
      "/apis/example.com/v1/namespaces/default/widgets?watch=true&resourceVersion=1&fieldSelector=metadata.name%3Dwatched",
    );
    const stream = new WatchStream(res);
    await kubectl(kcp, ["create", "-f", "-", "--validate=false"], { stdin: widget("watched", { replicas: 1 }) });
    const ev = await stream.next();
    expect(ev.type).toBe("ADDED");
    expect(ev.object).toMatchObject({
      apiVersion: "example.com/v1",
      kind: "Widget",
      metadata: { name: "watched" },
      spec: { replicas: 1, color: "blue" },
    });
    await kubectl(kcp, ["delete", "widget", "watched"]);
    expect((await stream.next()).type).toBe("DELETED");
    await stream.close();
  }, 30_000);

  test("status subresource: each side ignores the other, generation follows spec", async () => {
    const base = "/apis/example.com/v1/namespaces/default/widgets/st";
    await kubectl(kcp, ["create", "-f", "-", "--validate=false"], {
      stdin: widget("st", { replicas: 1 }, { status: { replicas: 7 } }),
    });
    const created = await json(base);
    expect(created.body.status).toBeUndefined();
    const mainPatch = await json(base, {
      method: "PATCH",
      headers: { "Content-Type": "application/merge-patch+json" },
      body: '{"status":{"replicas":3}}',
    });
    expect(mainPatch.body.status).toBeUndefined();
    expect(mainPatch.body.metadata.generation).toBe(1);
    const statusPatch = await json(`${base}/status`, {
      method: "PATCH",
      headers: { "Content-Type": "application/merge-patch+json" },
      body: '{"status":{"replicas":3},"spec":{"replicas":5}}',
    });
    expect(statusPatch.body.status).toEqual({ replicas: 3 });
    expect(statusPatch.body.spec.replicas).toBe(1);
    expect(statusPatch.body.metadata.generation).toBe(1);
    const specPatch = await json(base, {
      method: "PATCH",
      headers: { "Content-Type": "application/merge-patch+json" },
      body: '{"spec":{"replicas":4}}',
    });
    expect(specPatch.body.metadata.generation).toBe(2);
    expect(specPatch.body.status).toEqual({ replicas: 3 });
  }, 30_000);

  test("kubectl scale and the Scale subresource", async () => {
    const r = await kubectl(kcp, ["scale", "widget", "st", "--replicas=6"]);
    expect(r.stdout.trim()).toBe("widget.example.com/st scaled");
    const scale = await json("/apis/example.com/v1/namespaces/default/widgets/st/scale");
    expect(scale.body).toMatchObject({
      kind: "Scale",
      apiVersion: "autoscaling/v1",
      metadata: { name: "st", namespace: "default" },
      spec: { replicas: 6 },
      status: { replicas: 3 },
    });
    const put = await json("/apis/example.com/v1/namespaces/default/widgets/st/scale", {
      method: "PUT",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        apiVersion: "autoscaling/v1",
        kind: "Scale",
        metadata: { name: "st", namespace: "default" },
        spec: { replicas: 2 },
      }),
    });
    expect(put.status).toBe(200);
    expect(put.body.spec).toEqual({ replicas: 2 });
    const tooMany = await kubectl(kcp, ["scale", "widget", "st", "--replicas=11"]);
    expect(tooMany.stderr).toContain('spec: Invalid value: "object": at most 10 replicas');
  }, 30_000);

  test("categories and short names work with kubectl get", async () => {
    const byCategory = await kubectl(kcp, ["get", "gadgets", "-o", "name"]);
    expect(byCategory.stdout).toContain("widget.example.com/w1");
    const byShortName = await kubectl(kcp, ["get", "wd", "-o", "name"]);
    expect(byShortName.stdout).toContain("widget.example.com/w1");
  }, 30_000);
});

describe("CRD lifecycle", () => {
  test("deleting a namespace deletes the custom resources in it", async () => {
    await kubectl(kcp, ["create", "namespace", "doomed"], { version: "1.31" });
    const c = await kubectl(kcp, ["-n", "doomed", "create", "-f", "-", "--validate=false"], {
      stdin: widget("in-ns", {}),
    });
    expect(c.stdout.trim()).toBe("widget.example.com/in-ns created");
    const d = await kubectl(kcp, ["delete", "namespace", "doomed"]);
    expect(d.stdout.trim()).toBe('namespace "doomed" deleted');
    expect((await api(kcp, "/api/v1/namespaces/doomed")).status).toBe(404);
    const all = await json("/apis/example.com/v1/widgets");
    expect(all.body.items.map((i: Obj) => i.metadata.namespace)).not.toContain("doomed");
  }, 30_000);

  test("established CRDs are served again as soon as kcp restarts", async () => {
    await kcp.stop();
    kcp = await startKcp({ rootDir: kcp.rootDir });
    // The new process listens on another port: point the logical-cluster kubeconfigs at it.
    teamA = { kubeconfig: await kubeconfigWithPath(kcp, "/clusters/team-a") };
    teamB = { kubeconfig: await kubeconfigWithPath(kcp, "/clusters/team-b") };
    const r = await json("/apis/example.com/v1/namespaces/default/widgets/w1");
    expect(r.status).toBe(200);
    expect(r.body.spec.color).toBe("red");
  }, 60_000);

  test("a name conflict is reported on the CRD's status", async () => {
    const clash = widgetCRD();
    clash.metadata.name = "sprockets.example.com";
    clash.spec.names = { plural: "sprockets", kind: "Widget" };
    const r = await kubectl(kcp, ["create", "-f", "-", "--validate=false"], { stdin: stringifyYaml(clash) });
    expect(r.stderr).toBe("");
    const cond = await until("NamesAccepted=False", async () => {
      const { body } = await json("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/sprockets.example.com");
      return body.status?.conditions?.find((c: Obj) => c.type === "NamesAccepted" && c.status === "False");
    });
    // kind and listKind both conflict; as in kube, the last check (listKind) names the reason.
    expect(cond).toMatchObject({ reason: "ListKindConflict", message: '"WidgetList" is already in use' });
    expect((await api(kcp, "/apis/example.com/v1/sprockets")).status).toBe(404);
    await kubectl(kcp, ["delete", "crd", "sprockets.example.com"]);
  }, 30_000);

  test("a non-structural schema is refused with kube's message", async () => {
    const bad = widgetCRD();
    bad.metadata.name = "bolts.example.com";
    bad.spec.names = { plural: "bolts", kind: "Bolt" };
    bad.spec.versions[0].schema.openAPIV3Schema = {
      type: "object",
      properties: { spec: { properties: { a: { type: "string" } } } },
    };
    delete bad.spec.versions[0].subresources;
    const r = await kubectl(kcp, ["create", "-f", "-", "--validate=false"], { stdin: stringifyYaml(bad) });
    expect(r.stderr).toBe(
      'The CustomResourceDefinition "bolts.example.com" is invalid: spec.validation.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields\n',
    );
  }, 30_000);

  test("versions: served:false hides one, a deprecated one warns, apiVersion follows the URL", async () => {
    const crd = {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: "gizmos.example.org" },
      spec: {
        group: "example.org",
        scope: "Cluster",
        names: { plural: "gizmos", kind: "Gizmo" },
        versions: [
          {
            name: "v1beta1",
            served: true,
            storage: false,
            deprecated: true,
            schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
          },
          {
            name: "v1",
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: "object",
                properties: { spec: { type: "object", properties: { size: { type: "integer", default: 3 } } } },
              },
            },
          },
          { name: "v1alpha1", served: false, storage: false, schema: { openAPIV3Schema: { type: "object" } } },
        ],
      },
    };
    await createCRD(crd);
    const created = await kubectl(kcp, ["create", "-f", "-", "--validate=false"], {
      stdin: stringifyYaml({ apiVersion: "example.org/v1beta1", kind: "Gizmo", metadata: { name: "g1" }, spec: {} }),
    });
    expect(created.stderr).toContain("Warning: example.org/v1beta1 Gizmo is deprecated; use example.org/v1 Gizmo");
    const v1 = await json("/apis/example.org/v1/gizmos/g1");
    expect(v1.body).toMatchObject({ apiVersion: "example.org/v1", kind: "Gizmo", spec: { size: 3 } });
    const beta = await json("/apis/example.org/v1beta1/gizmos/g1");
    expect(beta.body.apiVersion).toBe("example.org/v1beta1");
    expect(beta.headers.get("warning")).toBe(
      '299 - "example.org/v1beta1 Gizmo is deprecated; use example.org/v1 Gizmo"',
    );
    expect((await api(kcp, "/apis/example.org/v1alpha1/gizmos")).status).toBe(404);
    const group = await json("/apis/example.org");
    expect(group.body.versions.map((v: Obj) => v.version)).toEqual(["v1", "v1beta1"]);
  }, 30_000);

  test("updating a CRD takes effect without a restart", async () => {
    const patch = [
      {
        op: "add",
        path: "/spec/versions/1/additionalPrinterColumns",
        value: [{ name: "Size", type: "integer", jsonPath: ".spec.size" }],
      },
    ];
    const r = await kubectl(kcp, ["patch", "crd", "gizmos.example.org", "--type=json", "-p", JSON.stringify(patch)]);
    expect(r.stderr).toBe("");
    const table = await until("the new column", async () => {
      const t = await kubectl(kcp, ["get", "gizmos.v1.example.org"]);
      return t.stdout.includes("SIZE") ? t.stdout : undefined;
    });
    expect(table).toMatch(/^NAME\s+SIZE\ng1\s+3\n/);
  }, 30_000);

  test("deleting a CRD deletes its objects, then the CRD, then the API", async () => {
    const r = await kubectl(kcp, ["delete", "crd", "gizmos.example.org"]);
    expect(r.stdout.trim()).toBe('customresourcedefinition.apiextensions.k8s.io "gizmos.example.org" deleted');
    await until("the API to go", async () =>
      (await api(kcp, "/apis/example.org/v1")).status === 404 ? true : undefined,
    );
    expect((await api(kcp, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gizmos.example.org")).status).toBe(
      404,
    );
    const kinds = await json("/apis");
    expect(kinds.body.groups.map((g: Obj) => g.name)).not.toContain("example.org");
    const get = await kubectl(kcp, ["get", "gizmos"], { cacheDir: join(kcp.rootDir, "fresh-cache") });
    expect(get.stderr).toContain('the server doesn\'t have a resource type "gizmos"');
    // Recreated, the CRD starts without the old objects.
    const crd = {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: "gizmos.example.org" },
      spec: {
        group: "example.org",
        scope: "Cluster",
        names: { plural: "gizmos", kind: "Gizmo" },
        versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object" } } }],
      },
    };
    await createCRD(crd);
    const list = await json("/apis/example.org/v1/gizmos");
    expect(list.body.items).toEqual([]);
  }, 30_000);
});

describe("CRD deletion with a finalizer pending", () => {
  test("the CRD waits for its objects; new objects are refused meanwhile", async () => {
    const crd = {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: "locks.example.io" },
      spec: {
        group: "example.io",
        scope: "Namespaced",
        names: { plural: "locks", kind: "Lock" },
        versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object" } } }],
      },
    };
    await createCRD(crd);
    const lock = (name: string, finalizers: string[] = []) =>
      stringifyYaml({ apiVersion: "example.io/v1", kind: "Lock", metadata: { name, finalizers } });
    await kubectl(kcp, ["create", "-f", "-", "--validate=false"], { stdin: lock("held", ["example.io/hold"]) });
    const del = await kubectl(kcp, ["delete", "crd", "locks.example.io", "--wait=false"]);
    expect(del.stdout.trim()).toBe('customresourcedefinition.apiextensions.k8s.io "locks.example.io" deleted');
    const crdPath = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/locks.example.io";
    const terminating = await until("InstanceDeletionInProgress", async () => {
      const { body } = await json(crdPath);
      return body.status?.conditions?.find(
        (c: Obj) => c.type === "Terminating" && c.reason === "InstanceDeletionInProgress",
      );
    });
    expect(terminating).toMatchObject({ status: "True", message: "CustomResource deletion is in progress" });
    expect((await json(crdPath)).body.metadata.finalizers).toEqual(["customresourcecleanup.apiextensions.k8s.io"]);
    const refused = await json("/apis/example.io/v1/namespaces/default/locks", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ apiVersion: "example.io/v1", kind: "Lock", metadata: { name: "new" } }),
    });
    expect(refused.status).toBe(405);
    expect(refused.body.message).toBe("create not allowed while custom resource definition is terminating");
    const held = await json("/apis/example.io/v1/namespaces/default/locks/held");
    expect(held.body.metadata.deletionTimestamp).toBeDefined();
    await kubectl(kcp, ["patch", "lock", "held", "--type=merge", "-p", '{"metadata":{"finalizers":null}}']);
    await until("the CRD to go", async () => ((await api(kcp, crdPath)).status === 404 ? true : undefined));
    expect((await api(kcp, "/apis/example.io/v1")).status).toBe(404);
  }, 30_000);
});

describe("logical clusters", () => {
  test("a CRD created in a logical cluster is served there only", async () => {
    const own = widgetCRD({ shortNames: ["tw"] });
    own.metadata.name = "tools.example.net";
    own.spec.group = "example.net";
    own.spec.names = { plural: "tools", kind: "Tool" };
    await createCRD(own, teamA);
    expect((await api(kcp, "/clusters/team-a/apis/example.net/v1/namespaces/default/tools")).status).toBe(200);
    expect((await api(kcp, "/clusters/team-b/apis/example.net/v1/namespaces/default/tools")).status).toBe(404);
    expect((await api(kcp, "/apis/example.net/v1/namespaces/default/tools")).status).toBe(404);
    const crds = await kubectl(kcp, ["get", "crds", "-o", "name"], teamB);
    expect(crds.stdout).toBe("");
  }, 30_000);

  test("admin's CRDs are inherited; a cluster's own CRD for the same resource wins there", async () => {
    // team-b inherits admin's widgets (short name wd); its objects stay in team-b.
    const c = await kubectl(kcp, ["create", "-f", "-", "--validate=false"], {
      ...teamB,
      stdin: widget("b1", { replicas: 1 }),
    });
    expect(c.stdout.trim()).toBe("widget.example.com/b1 created");
    const inB = await kubectl(kcp, ["get", "wd", "-o", "name"], teamB);
    expect(inB.stdout.trim()).toBe("widget.example.com/b1");
    const inAdmin = await json("/apis/example.com/v1/namespaces/default/widgets/b1");
    expect(inAdmin.status).toBe(404);
    // team-a defines widgets itself, with another short name: that definition is served in team-a.
    await createCRD(widgetCRD({ shortNames: ["aw"] }), teamA);
    const disc = await json("/clusters/team-a/apis/example.com/v1");
    expect(disc.body.resources.find((r: Obj) => r.name === "widgets").shortNames).toEqual(["aw"]);
    const adminDisc = await json("/apis/example.com/v1");
    expect(adminDisc.body.resources.find((r: Obj) => r.name === "widgets").shortNames).toEqual(["wd"]);
    const inA = await json("/clusters/team-a/apis/example.com/v1/namespaces/default/widgets");
    expect(inA.body.items).toEqual([]);
  }, 30_000);

  test("/clusters/* lists custom resources of every logical cluster", async () => {
    const all = await json("/clusters/*/apis/example.com/v1/widgets");
    expect(all.status).toBe(200);
    const names = all.body.items
      .map((i: Obj) => `${i.metadata.annotations["kcp.io/cluster"]}/${i.metadata.name}`)
      .sort();
    expect(names).toContain("admin/w1");
    expect(names).toContain("team-b/b1");
  }, 30_000);

  test("deleting admin's CRD deletes the objects it served in inheriting clusters", async () => {
    await kubectl(kcp, ["create", "-f", "-", "--validate=false"], { ...teamA, stdin: widget("a1", {}) });
    await kubectl(kcp, ["delete", "crd", "widgets.example.com"]);
    await until("admin's widgets to go", async () =>
      (await api(kcp, "/apis/example.com/v1/namespaces/default/widgets")).status === 404 ? true : undefined,
    );
    expect((await api(kcp, "/clusters/team-b/apis/example.com/v1/namespaces/default/widgets")).status).toBe(404);
    // team-a's own CRD and its object are untouched.
    const a = await json("/clusters/team-a/apis/example.com/v1/namespaces/default/widgets/a1");
    expect(a.status).toBe(200);
    const all = await json("/clusters/*/apis/example.com/v1/widgets");
    expect(all.body.items.map((i: Obj) => `${i.metadata.annotations["kcp.io/cluster"]}/${i.metadata.name}`)).toEqual([
      "team-a/a1",
    ]);
  }, 30_000);
});
