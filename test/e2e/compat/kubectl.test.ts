// The same kubectl scenario against one server with every kubectl on the machine, 1.27 to 1.33,
// each version in its own namespace with its own discovery cache: discovery, create, client-side
// and server-side apply, tables (wide, sort-by, label columns), yaml/json, watch, the four patch
// types, label/annotate, scale on a custom resource, wait (CRD established, a CR condition set
// through /status), diff, explain (OpenAPI v3 and v2), delete with each cascade policy, auth
// whoami/can-i, api-resources and api-versions. Where a version behaves differently, the test
// asserts what that version really does, and says why. docs/compatibility.md summarises it.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { type KcpProcess, kubectl, type KubectlResult, spawnKubectl, useKcp } from "../../helpers/kcp-process.ts";
import { parseTable } from "../../helpers/kubectl-table.ts";

type Obj = Record<string, any>;

const VERSIONS = ["1.27", "1.28", "1.29", "1.30", "1.31", "1.32", "1.33"];
const minor = (version: string) => Number(version.split(".")[1]);

/** The custom resource every version works with: status and scale subresources, printer columns (one wide-only). */
const WIDGETS_CRD = {
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
        additionalPrinterColumns: [
          { name: "Replicas", type: "integer", jsonPath: ".spec.replicas" },
          { name: "Color", type: "string", jsonPath: ".spec.color", priority: 1 },
        ],
        schema: {
          openAPIV3Schema: {
            type: "object",
            description: "A widget for the compatibility suite.",
            properties: {
              spec: {
                type: "object",
                description: "What the widget should be.",
                properties: {
                  replicas: { type: "integer", description: "How many." },
                  color: { type: "string", description: "Its colour." },
                },
              },
              status: {
                type: "object",
                properties: {
                  replicas: { type: "integer" },
                  conditions: {
                    type: "array",
                    items: {
                      type: "object",
                      properties: {
                        type: { type: "string" },
                        status: { type: "string" },
                        reason: { type: "string" },
                        lastTransitionTime: { type: "string", format: "date-time" },
                      },
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

/** A CRD of each version's own, so that `wait --for=condition=established` sees the controller establish it. */
const thingsCrd = (group: string) => ({
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: `things.${group}` },
  spec: {
    group,
    scope: "Namespaced",
    names: { plural: "things", singular: "thing", kind: "Thing" },
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
      },
    ],
  },
});

const configMap = (name: string, data: Record<string, string>, labels?: Record<string, string>, extra: Obj = {}) =>
  stringifyYaml({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, ...(labels ? { labels } : {}), ...extra },
    data,
  });
const widget = (name: string, spec: Obj) =>
  stringifyYaml({ apiVersion: "compat.example.com/v1", kind: "Widget", metadata: { name }, spec });

let kcp: KcpProcess;

useKcp((k) => (kcp = k), {
  setup: async () => {
    const r = await kubectl(kcp, ["apply", "-f", "-"], { version: "1.33", stdin: stringifyYaml(WIDGETS_CRD) });
    expect(r.stderr).toBe("");
    const w = await kubectl(
      kcp,
      ["wait", "--for=condition=established", "crd/widgets.compat.example.com", "--timeout=20s"],
      { version: "1.33" },
    );
    expect(w.stdout).toContain("condition met");
  },
});

/** The paths of the GET requests in a `-v=6` log (1.33 logs in a structured format: match the URL only). */
function requestedPaths(log: string): string[] {
  return [...log.matchAll(/GET"? (?:url=")?https:\/\/127\.0\.0\.1:\d+(\/[^\s"?]*)/g)].map((m) => m[1] as string);
}

/** stdout of a command that must succeed without a word on stderr. */
function ok(r: KubectlResult): string {
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
  return r.stdout;
}

/** The command must fail; its stderr. */
function fails(r: KubectlResult): string {
  expect(r.code).not.toBe(0);
  return r.stderr;
}

for (const version of VERSIONS) {
  describe(`kubectl ${version}`, () => {
    const ns = `kubectl-${version.replace(".", "-")}`;
    const cacheDir = () => join(kcp.rootDir, `cache-${version}`);
    const k = (args: string[], stdin?: string) =>
      kubectl(kcp, args, { version, cacheDir: cacheDir(), ...(stdin !== undefined ? { stdin } : {}) });
    const kn = (args: string[], stdin?: string) => k(["-n", ns, ...args], stdin);
    const getJson = async (args: string[]): Promise<Obj> =>
      JSON.parse(ok(await kn(["get", ...args, "-o", "json"]))) as Obj;

    test("version and discovery: aggregated from a cold cache, api-resources, api-versions", async () => {
      const v = await k(["version", "-o", "json"]);
      expect(v.code).toBe(0);
      const info = JSON.parse(v.stdout) as Obj;
      expect(info.clientVersion.minor).toBe(String(minor(version)));
      expect(info.serverVersion.gitVersion).toStartWith("v1.32.");
      // kcp reports API level 1.32: kubectl warns when the minor versions are more than one apart.
      if (Math.abs(minor(version) - 32) > 1)
        expect(v.stderr).toContain(`version difference between client (${version}) and server (1.32) exceeds`);
      else expect(v.stderr).toBe("");
      // kubectl 1.27 still prints the whole version.Info struct by default (--short became the default in 1.28).
      const plain = (await k(["version"])).stdout;
      if (version === "1.27")
        expect(plain).toContain(
          `Server Version: version.Info{Major:"1", Minor:"32", GitVersion:"${info.serverVersion.gitVersion}"`,
        );
      else expect(plain).toContain(`Server Version: ${info.serverVersion.gitVersion}\n`);

      // A cold cache: kubectl ≤ 1.29 asks for aggregated discovery v2beta1, ≥ 1.30 for v2 first. Either
      // way kcp answers in the asked form, so two requests (/api and /apis) are all of discovery, with
      // no per-group-version fallback.
      const cold = await kubectl(kcp, ["api-resources", "-v=6"], {
        version,
        cacheDir: join(kcp.rootDir, `cold-${version}`),
      });
      expect(cold.code).toBe(0);
      expect(requestedPaths(cold.stderr)).toEqual(["/api", "/apis"]);
      const rows = parseTable(cold.stdout);
      expect(rows.find((r) => r.NAME === "configmaps")).toEqual({
        NAME: "configmaps",
        SHORTNAMES: "cm",
        APIVERSION: "v1",
        NAMESPACED: "true",
        KIND: "ConfigMap",
      });
      expect(rows.find((r) => r.NAME === "widgets")).toEqual({
        NAME: "widgets",
        SHORTNAMES: "wd",
        APIVERSION: "compat.example.com/v1",
        NAMESPACED: "true",
        KIND: "Widget",
      });
      expect(rows.find((r) => r.NAME === "customresourcedefinitions")?.SHORTNAMES).toBe("crd,crds");
      expect(rows.some((r) => r.NAME === "pods")).toBe(false);

      const wide = parseTable(ok(await k(["api-resources", "-o", "wide", "--api-group=compat.example.com"])));
      expect(wide.map((r) => [r.NAME, r.VERBS.split(",").sort().join(",")])).toEqual([
        ["widgets", "create,delete,deletecollection,get,list,patch,update,watch"],
      ]);

      const versions = ok(await k(["api-versions"]))
        .trim()
        .split("\n");
      for (const gv of [
        "v1",
        "apiextensions.k8s.io/v1",
        "authorization.k8s.io/v1",
        "compat.example.com/v1",
        "rbac.authorization.k8s.io/v1",
      ])
        expect(versions).toContain(gv);
      expect(versions).toEqual([...versions].sort());
    });

    test("apply -f a CRD, then wait --for=condition=established", async () => {
      const group = `${ns}.compat.example.com`;
      expect(ok(await k(["create", "namespace", ns]))).toBe(`namespace/${ns} created\n`);
      expect(ok(await k(["apply", "-f", "-"], stringifyYaml(thingsCrd(group))))).toBe(
        `customresourcedefinition.apiextensions.k8s.io/things.${group} created\n`,
      );
      const w = await k(["wait", "--for=condition=established", `crd/things.${group}`, "--timeout=20s"]);
      expect(ok(w)).toBe(`customresourcedefinition.apiextensions.k8s.io/things.${group} condition met\n`);
      // The shared CRD was established long ago: wait answers at once.
      expect(
        ok(await k(["wait", "--for=condition=Established", "crd/widgets.compat.example.com", "--timeout=5s"])),
      ).toContain("condition met");
    });

    test("create: imperative and -f, with server-side strict validation", async () => {
      // kubectl ≥ 1.32 sends this typed-client create as protobuf (kubernetes PR #125314); older
      // versions as JSON. kcp decodes both and answers JSON, which kubectl also accepts. (-v=8 logs headers.)
      const imp = await kn(["create", "configmap", "imp", "--from-literal=a=1", "--from-literal=b=2", "-v=8"]);
      expect({ code: imp.code, stdout: imp.stdout }).toEqual({ code: 0, stdout: "configmap/imp created\n" });
      const protobufBody = "Content-Type: application/vnd.kubernetes.protobuf";
      if (minor(version) >= 32) expect(imp.stderr).toContain(protobufBody);
      else expect(imp.stderr).not.toContain(protobufBody);
      expect((await getJson(["cm", "imp"])).data).toEqual({ a: "1", b: "2" });

      // With a cold cache, -v=6 shows where the fieldValidation support check looks: kubectl ≤ 1.28 reads
      // OpenAPI v2 (protobuf) as well as v3; ≥ 1.29 reads v3 alone.
      const file = await kubectl(kcp, ["-n", ns, "create", "-f", "-", "-v=6"], {
        version,
        cacheDir: join(kcp.rootDir, `cold-create-${version}`),
        stdin: configMap("file", { x: "1" }, { tier: "web" }),
      });
      expect({ code: file.code, stdout: file.stdout }).toEqual({ code: 0, stdout: "configmap/file created\n" });
      const openapi = [...new Set(requestedPaths(file.stderr).filter((p) => p.startsWith("/openapi/")))].sort();
      expect(openapi).toEqual([...(minor(version) <= 28 ? ["/openapi/v2"] : []), "/openapi/v3", "/openapi/v3/api/v1"]);
      expect(fails(await kn(["create", "-f", "-"], configMap("file", { x: "1" })))).toBe(
        'Error from server (AlreadyExists): error when creating "STDIN": configmaps "file" already exists\n',
      );
      expect(ok(await kn(["create", "-f", "-"], widget("w-a", { replicas: 5, color: "red" })))).toBe(
        "widget.compat.example.com/w-a created\n",
      );

      // Every version concluded from that check that kcp validates fields and sent fieldValidation=Strict:
      // the server rejects the unknown field.
      expect(fails(await kn(["create", "-f", "-"], widget("bad", { replicas: 1, bogus: 1 })))).toBe(
        'Error from server (BadRequest): error when creating "STDIN": Widget in version "v1" cannot be handled as a Widget: strict decoding error: unknown field "spec.bogus"\n',
      );
    });

    test("apply: client-side (create, configure, unchanged) and server-side with a conflict", async () => {
      expect(ok(await kn(["apply", "-f", "-"], configMap("csa", { a: "1", b: "2" }, { tier: "db" })))).toBe(
        "configmap/csa created\n",
      );
      // The last-applied annotation lets kubectl remove `b`, which the new manifest no longer has.
      expect(ok(await kn(["apply", "-f", "-"], configMap("csa", { a: "1", c: "3" }, { tier: "db" })))).toBe(
        "configmap/csa configured\n",
      );
      expect(ok(await kn(["apply", "-f", "-"], configMap("csa", { a: "1", c: "3" }, { tier: "db" })))).toBe(
        "configmap/csa unchanged\n",
      );
      expect((await getJson(["cm", "csa"])).data).toEqual({ a: "1", c: "3" });
      // On a custom resource client-side apply uses a JSON merge patch.
      expect(ok(await kn(["apply", "-f", "-"], widget("w-b", { replicas: 2, color: "blue" })))).toBe(
        "widget.compat.example.com/w-b created\n",
      );
      expect(ok(await kn(["apply", "-f", "-"], widget("w-b", { replicas: 2, color: "blue" })))).toBe(
        "widget.compat.example.com/w-b unchanged\n",
      );

      // Server-side apply: application/apply-patch+yaml with a field manager.
      expect(
        ok(await kn(["apply", "--server-side", "--field-manager=compat-a", "-f", "-"], configMap("ssa", { s: "1" }))),
      ).toBe("configmap/ssa serverside-applied\n");
      const applied = JSON.parse(ok(await kn(["get", "cm", "ssa", "-o", "json", "--show-managed-fields"]))) as Obj;
      expect(applied.metadata.managedFields.map((m: Obj) => `${m.manager}/${m.operation}`)).toEqual(["compat-a/Apply"]);
      const conflict = fails(
        await kn(["apply", "--server-side", "--field-manager=compat-b", "-f", "-"], configMap("ssa", { s: "2" })),
      );
      expect(conflict).toContain('Apply failed with 1 conflict: conflict with "compat-a": .data.s');
      expect(
        ok(
          await kn(
            ["apply", "--server-side", "--field-manager=compat-b", "--force-conflicts", "-f", "-"],
            configMap("ssa", { s: "2" }),
          ),
        ),
      ).toBe("configmap/ssa serverside-applied\n");
      expect((await getJson(["cm", "ssa"])).data).toEqual({ s: "2" });
      // And on a custom resource.
      expect(
        ok(
          await kn(["apply", "--server-side", "--field-manager=compat-a", "-f", "-"], widget("w-a", { color: "red" })),
        ),
      ).toBe("widget.compat.example.com/w-a serverside-applied\n");
    });

    test("get: tables with -o wide, --sort-by and -L; -o yaml and -o json", async () => {
      const cms = parseTable(ok(await kn(["get", "configmaps"])));
      expect(cms.map((r) => [r.NAME, r.DATA])).toEqual([
        ["csa", "2"],
        ["file", "1"],
        ["imp", "2"],
        ["ssa", "1"],
      ]);
      expect(cms.every((r) => /^\d+s$/.test(r.AGE))).toBe(true);

      // CRD printer columns; the priority-1 column only with -o wide.
      expect(parseTable(ok(await kn(["get", "widgets"])))).toEqual([
        { NAME: "w-a", REPLICAS: "5" },
        { NAME: "w-b", REPLICAS: "2" },
      ]);
      expect(parseTable(ok(await kn(["get", "wd", "-o", "wide"])))).toEqual([
        { NAME: "w-a", REPLICAS: "5", COLOR: "red" },
        { NAME: "w-b", REPLICAS: "2", COLOR: "blue" },
      ]);
      // --sort-by asks for the whole object in each row (includeObject=Object).
      expect(parseTable(ok(await kn(["get", "widgets", "--sort-by=.spec.replicas"]))).map((r) => r.NAME)).toEqual([
        "w-b",
        "w-a",
      ]);
      const labelled = parseTable(ok(await kn(["get", "cm", "--sort-by=.metadata.name", "-L", "tier"])));
      expect(labelled.map((r) => [r.NAME, r.TIER])).toEqual([
        ["csa", "db"],
        ["file", "web"],
        ["imp", ""],
        ["ssa", ""],
      ]);
      expect(ok(await kn(["get", "cm", "-l", "tier=web", "-o", "name"]))).toBe("configmap/file\n");

      const yaml = parseYaml(ok(await kn(["get", "cm", "file", "-o", "yaml"]))) as Obj;
      expect(yaml.apiVersion).toBe("v1");
      expect(yaml.kind).toBe("ConfigMap");
      expect(yaml.metadata.namespace).toBe(ns);
      expect(yaml.metadata.labels).toEqual({ tier: "web" });
      expect(yaml.data).toEqual({ x: "1" });
      const list = await getJson(["widgets"]);
      expect(list.kind).toBe("List");
      expect(list.items.map((i: Obj) => [i.apiVersion, i.kind, i.metadata.name, i.spec.replicas])).toEqual([
        ["compat.example.com/v1", "Widget", "w-a", 5],
        ["compat.example.com/v1", "Widget", "w-b", 2],
      ]);
    });

    test("get -w prints the list, then a row per change", async () => {
      const w = spawnKubectl(kcp, ["-n", ns, "get", "configmaps", "-w"], { version, cacheDir: cacheDir() });
      try {
        await w.waitFor((out) => /\nssa\s+1\s+\S+/.test(out));
        ok(await kn(["create", "configmap", "watched", "--from-literal=k=v"]));
        await w.waitFor((out) => /\nwatched\s+1\s+\S+/.test(out));
        ok(await kn(["delete", "configmap", "watched"]));
        // The deletion is one more row for the same object.
        await w.waitFor((out) => out.split("\n").filter((l) => l.startsWith("watched ")).length === 2);
        expect(w.stdout().split("\n")[0]).toMatch(/^NAME\s+DATA\s+AGE$/);
      } finally {
        await w.stop();
      }
    });

    test("patch: strategic, merge and json (apply is `apply --server-side` above)", async () => {
      expect(ok(await kn(["patch", "cm", "csa", "-p", '{"data":{"s":"1"}}']))).toBe("configmap/csa patched\n");
      expect(ok(await kn(["patch", "cm", "csa", "--type", "merge", "-p", '{"data":{"m":"1","a":null}}']))).toBe(
        "configmap/csa patched\n",
      );
      expect(
        ok(await kn(["patch", "cm", "csa", "--type", "json", "-p", '[{"op":"add","path":"/data/j","value":"1"}]'])),
      ).toBe("configmap/csa patched\n");
      expect((await getJson(["cm", "csa"])).data).toEqual({ c: "3", s: "1", m: "1", j: "1" });
      expect(ok(await kn(["patch", "cm", "csa", "--type", "merge", "-p", '{"data":{"m":"1"}}']))).toBe(
        "configmap/csa patched (no change)\n",
      );
      // A failed JSON-patch test op is the server's 422.
      expect(
        fails(await kn(["patch", "cm", "csa", "--type", "json", "-p", '[{"op":"test","path":"/data/m","value":"2"}]'])),
      ).toContain("The request is invalid");

      expect(ok(await kn(["patch", "widget", "w-b", "--type", "merge", "-p", '{"spec":{"color":"green"}}']))).toBe(
        "widget.compat.example.com/w-b patched\n",
      );
      expect(
        ok(
          await kn([
            "patch",
            "widget",
            "w-b",
            "--type",
            "json",
            "-p",
            '[{"op":"replace","path":"/spec/color","value":"blue"}]',
          ]),
        ),
      ).toBe("widget.compat.example.com/w-b patched\n");
      // Strategic merge patch is not defined for custom resources: the server's 415, reported by kubectl.
      expect(fails(await kn(["patch", "widget", "w-b", "-p", '{"spec":{"color":"x"}}']))).toBe(
        "error: application/strategic-merge-patch+json is not supported by compat.example.com/v1, Kind=Widget: the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml\n",
      );
    });

    test("label and annotate", async () => {
      expect(ok(await kn(["label", "cm", "csa", "env=prod"]))).toBe("configmap/csa labeled\n");
      // kubectl 1.27 prints "annotate" instead of "annotated" (a client-side message, fixed in 1.28).
      expect(ok(await kn(["annotate", "cm", "csa", "note=hi"]))).toBe(
        version === "1.27" ? "configmap/csa annotate\n" : "configmap/csa annotated\n",
      );
      expect(fails(await kn(["label", "cm", "csa", "env=dev"]))).toBe(
        "error: 'env' already has a value (prod), and --overwrite is false\n",
      );
      expect(ok(await kn(["label", "widget", "w-a", "env=prod"]))).toBe("widget.compat.example.com/w-a labeled\n");
      expect(ok(await kn(["get", "cm,widgets", "-l", "env=prod", "-o", "name"]))).toBe(
        "configmap/csa\nwidget.compat.example.com/w-a\n",
      );
      const meta = (await getJson(["cm", "csa"])).metadata;
      expect(meta.labels).toEqual({ tier: "db", env: "prod" });
      expect(meta.annotations.note).toBe("hi");
    });

    test("scale a custom resource through its scale subresource", async () => {
      expect(ok(await kn(["scale", "widget", "w-b", "--replicas=4"]))).toBe("widget.compat.example.com/w-b scaled\n");
      expect((await getJson(["widget", "w-b"])).spec.replicas).toBe(4);
      // --current-replicas is checked against the scale subresource's spec.replicas.
      expect(fails(await kn(["scale", "widget", "w-b", "--current-replicas=3", "--replicas=5"]))).toBe(
        "error: Expected replicas to be 3, was 4\n",
      );
      expect(ok(await kn(["scale", "widget", "w-b", "--current-replicas=4", "--replicas=1"]))).toBe(
        "widget.compat.example.com/w-b scaled\n",
      );
      expect((await getJson(["widget", "w-b"])).spec.replicas).toBe(1);
    });

    test("wait --for=condition on a custom resource, the condition set through /status", async () => {
      const waiter = spawnKubectl(kcp, ["-n", ns, "wait", "--for=condition=Ready", "widget/w-a", "--timeout=30s"], {
        version,
        cacheDir: cacheDir(),
      });
      const status = {
        status: {
          replicas: 5,
          conditions: [{ type: "Ready", status: "True", reason: "Done", lastTransitionTime: "2024-01-01T00:00:00Z" }],
        },
      };
      expect(
        ok(
          await kn(["patch", "widget", "w-a", "--subresource=status", "--type", "merge", "-p", JSON.stringify(status)]),
        ),
      ).toBe("widget.compat.example.com/w-a patched\n");
      expect(await waiter.exited).toBe(0);
      expect(waiter.stdout()).toBe("widget.compat.example.com/w-a condition met\n");
      // /status ignored the rest; the main resource keeps its spec.
      const w = await getJson(["widget", "w-a"]);
      expect(w.status.conditions[0].type).toBe("Ready");
      expect(w.spec).toEqual({ replicas: 5, color: "red" });
    });

    test("diff: client-side and server-side dry runs, nothing persisted", async () => {
      const before = await getJson(["widget", "w-b"]);
      const changed = widget("w-b", { replicas: 2, color: "purple" });
      const d = await kn(["diff", "-f", "-"], changed);
      // Exit code 1: differences found.
      expect(d.code).toBe(1);
      expect(d.stderr).toBe("");
      expect(d.stdout).toContain("-  color: blue\n");
      expect(d.stdout).toContain("+  color: purple\n");
      // Server-side, the dry-run apply conflicts with the managers of spec.color (kubectl patch) and of
      // spec.replicas (kubectl scale sends no fieldManager: the server names it after the user agent).
      const conflict = await kn(["diff", "--server-side", "--field-manager=compat-diff", "-f", "-"], changed);
      expect(conflict.code).toBe(2);
      expect(conflict.stderr).toContain(
        'Apply failed with 2 conflicts: conflicts with "kubectl-patch" using compat.example.com/v1:\n- .spec.color\n',
      );
      expect(conflict.stderr).toContain(
        `conflicts with "kubectl.${version}" with subresource "scale" using compat.example.com/v1:\n- .spec.replicas\n`,
      );
      const ds = await kn(
        ["diff", "--server-side", "--force-conflicts", "--field-manager=compat-diff", "-f", "-"],
        changed,
      );
      expect(ds.code).toBe(1);
      expect(ds.stdout).toContain("+  color: purple\n");
      const same = await kn(["diff", "-f", "-"], configMap("file", { x: "1" }, { tier: "web" }));
      expect({ code: same.code, stdout: same.stdout }).toEqual({ code: 0, stdout: "" });
      const after = await getJson(["widget", "w-b"]);
      expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
      expect(after.spec.color).toBe("blue");
    });

    test("explain from OpenAPI v3 and v2", async () => {
      // Every version prints the OpenAPI v3 template by default; 1.27 and 1.28 fetch v2 as well (cold cache, -v=6).
      const cold = await kubectl(kcp, ["explain", "widgets.spec", "-v=6"], {
        version,
        cacheDir: join(kcp.rootDir, `cold-explain-${version}`),
      });
      expect(cold.code).toBe(0);
      const openapi = [...new Set(requestedPaths(cold.stderr).filter((p) => p.startsWith("/openapi/")))].sort();
      expect(openapi).toEqual([
        ...(minor(version) <= 28 ? ["/openapi/v2"] : []),
        "/openapi/v3",
        "/openapi/v3/apis/compat.example.com/v1",
      ]);
      const spec = cold.stdout;
      expect(spec).toContain("GROUP:      compat.example.com\nKIND:       Widget\nVERSION:    v1\n");
      expect(spec).toContain("What the widget should be.");
      expect(spec).toMatch(/replicas\t<integer>\n\s+How many\./);
      expect(ok(await k(["explain", "configmap.data"]))).toContain("FIELD: data <map[string]string>");
      // The pre-1.27 format, from OpenAPI v2 (protobuf), is still there with this flag in every version.
      const v2 = ok(await k(["explain", "widgets.spec", "--output=plaintext-openapiv2"]));
      expect(v2).toContain("RESOURCE: spec <Object>");
      expect(v2).toContain("VERSION:  compat.example.com/v1");
    });

    test("delete with --cascade=background|foreground|orphan", async () => {
      // kubectl sends the policy as DeleteOptions.propagationPolicy and waits until the object is gone.
      const withDependent = async (name: string, blockOwnerDeletion = false) => {
        const owner = JSON.parse(ok(await kn(["create", "configmap", name, "-o", "json"]))) as Obj;
        const ownerReferences = [
          { apiVersion: "v1", kind: "ConfigMap", name, uid: owner.metadata.uid, blockOwnerDeletion },
        ];
        ok(await kn(["create", "-f", "-"], configMap(`${name}-dependent`, {}, undefined, { ownerReferences })));
      };
      await withDependent("orphaning");
      await withDependent("cascading");
      await withDependent("foreground", true);
      expect(ok(await kn(["delete", "cm", "orphaning", "--cascade=orphan"]))).toBe('configmap "orphaning" deleted\n');
      expect(ok(await kn(["delete", "cm", "cascading", "--cascade=background"]))).toBe(
        'configmap "cascading" deleted\n',
      );
      // Foreground: the owner is gone only once its blocking dependent is, and kubectl waited for it.
      expect(ok(await kn(["delete", "cm", "foreground", "--cascade=foreground"]))).toBe(
        'configmap "foreground" deleted\n',
      );
      expect(fails(await kn(["get", "cm", "foreground-dependent"]))).toBe(
        'Error from server (NotFound): configmaps "foreground-dependent" not found\n',
      );
      expect(ok(await kn(["delete", "cm", "imp", "--cascade=foreground"]))).toBe('configmap "imp" deleted\n');
      expect(ok(await kn(["delete", "widget", "w-b", "--cascade=background"]))).toBe(
        'widget.compat.example.com "w-b" deleted\n',
      );
      expect(fails(await kn(["get", "cm", "imp"]))).toBe('Error from server (NotFound): configmaps "imp" not found\n');
      expect(ok(await kn(["get", "widgets", "-o", "name"]))).toBe("widget.compat.example.com/w-a\n");
      // As kube-controller-manager's garbage collector: the background dependent is deleted after its
      // owner, the orphan keeps living without the reference.
      const names = async () =>
        (await getJson(["cm"])).items.map((i: Obj) => i.metadata.name).filter((n: string) => n.endsWith("-dependent"));
      for (let i = 0; i < 200 && (await names()).length > 1; i++) await Bun.sleep(50);
      expect(await names()).toEqual(["orphaning-dependent"]);
      expect((await getJson(["cm", "orphaning-dependent"])).metadata.ownerReferences).toBeUndefined();
    });

    test("auth whoami and auth can-i", async () => {
      const who = await k(["auth", "whoami"]);
      if (version === "1.27") {
        // kubectl 1.27 knows SelfSubjectReview only as v1alpha1/v1beta1; kcp (like kube-apiserver 1.32
        // with default feature gates) serves authentication.k8s.io/v1 alone.
        expect(who.code).toBe(1);
        expect(who.stderr).toContain("the selfsubjectreviews API is not enabled in the cluster");
      } else {
        const rows = ok(who);
        expect(rows).toMatch(/^ATTRIBUTE\s+VALUE\nUsername\s+kcp-admin\n/);
        expect(rows).toMatch(/\nGroups\s+\[system:masters system:authenticated\]\n/);
      }
      expect(ok(await kn(["auth", "can-i", "create", "configmaps"]))).toBe("yes\n");
      expect(ok(await kn(["auth", "can-i", "delete", "widgets.compat.example.com"]))).toBe("yes\n");
      // An unknown resource: a warning, and the review is still asked.
      const pods = await kn(["auth", "can-i", "get", "pods"]);
      expect(pods.stdout).toBe("yes\n");
      expect(pods.stderr).toContain("Warning: the server doesn't have a resource type 'pods'");
      // --list asks a SelfSubjectRulesReview: the allow-all authorizer grants everything.
      const list = ok(await kn(["auth", "can-i", "--list"])).split("\n");
      expect(list[0]).toMatch(/^Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs$/);
      expect(list[1]).toMatch(/^\*\.\*\s+\[\]\s+\[\]\s+\[\*\]$/);
    });
  });
}
