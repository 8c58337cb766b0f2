// OpenAPI and Tables with the real kubectl: create -f / apply -f with default (strict) validation
// for built-ins and custom resources, strict validation rejecting unknown fields, explain, the
// OpenAPI v2 protobuf path of kubectl 1.27 and 1.28, and `kubectl get` tables (per-kind columns,
// -w, --sort-by, -o wide, -L, --show-labels, custom resource printer columns), in the default
// logical cluster and under /clusters/<name>.
import { beforeAll, describe, expect, test } from "bun:test";
import { stringify as stringifyYaml } from "yaml";
import { parseTable } from "../helpers/kubectl-table.ts";
import { api, type KcpProcess, kubeconfigWithPath, kubectl, spawnKubectl, useKcp } from "../helpers/kcp-process.ts";

let kcp: KcpProcess;

useKcp((k) => (kcp = k));

type Obj = Record<string, any>;
const JSON_HEADERS = { "Content-Type": "application/json" };

async function createNamespace(name: string, path = ""): Promise<void> {
  const res = await api(kcp, `${path}/api/v1/namespaces`, {
    method: "POST",
    body: JSON.stringify({ metadata: { name } }),
    headers: JSON_HEADERS,
  });
  expect(res.status).toBe(201);
}

function configMap(name: string, ns: string, extra: Obj = {}): string {
  return stringifyYaml({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace: ns },
    data: { a: "1" },
    ...extra,
  });
}

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
        subresources: { status: {} },
        additionalPrinterColumns: [
          { name: "Size", type: "integer", jsonPath: ".spec.size" },
          { name: "Ready", type: "string", jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
          { name: "Color", type: "string", jsonPath: ".spec.color", priority: 1 },
        ],
        schema: {
          openAPIV3Schema: {
            type: "object",
            description: "A Gadget is a small device.",
            properties: {
              spec: {
                type: "object",
                description: "What the gadget should be.",
                properties: {
                  size: { type: "integer", description: "Size is how many units the gadget spans." },
                  color: { type: "string", description: "Color of the casing." },
                },
              },
              status: {
                type: "object",
                properties: {
                  conditions: {
                    type: "array",
                    items: { type: "object", properties: { type: { type: "string" }, status: { type: "string" } } },
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

function gadget(name: string, ns: string, spec: Obj): string {
  return stringifyYaml({ apiVersion: "example.com/v1", kind: "Gadget", metadata: { name, namespace: ns }, spec });
}

async function installCrd(): Promise<void> {
  const r = await kubectl(kcp, ["apply", "-f", "-"], { stdin: stringifyYaml(CRD) });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  const w = await kubectl(kcp, ["wait", "--for=condition=established", "crd/gadgets.example.com", "--timeout=20s"]);
  expect(w.code).toBe(0);
}

describe("create -f and apply -f with default validation (OpenAPI v3 fieldValidation check)", () => {
  beforeAll(() => createNamespace("oa-create"));

  test("built-in kinds: create -f, then apply -f of a new object", async () => {
    const created = await kubectl(kcp, ["create", "-f", "-"], { stdin: configMap("made", "oa-create") });
    expect(created.stderr).toBe("");
    expect(created.stdout.trim()).toBe("configmap/made created");
    const applied = await kubectl(kcp, ["apply", "-f", "-"], { stdin: configMap("applied", "oa-create") });
    expect(applied.stderr).toBe("");
    expect(applied.stdout.trim()).toBe("configmap/applied created");
    const got = (await (await api(kcp, "/api/v1/namespaces/oa-create/configmaps/applied")).json()) as Obj;
    expect(got.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]).toContain('"applied"');
  });

  test("--validate=strict (the default) rejects an unknown field; --validate=warn warns and drops it", async () => {
    const bad = configMap("typo", "oa-create", { dta: { a: "1" } });
    const strict = await kubectl(kcp, ["create", "--validate=strict", "-f", "-"], { stdin: bad });
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain('strict decoding error: unknown field "dta"');
    const dflt = await kubectl(kcp, ["apply", "-f", "-"], { stdin: bad });
    expect(dflt.code).toBe(1);
    expect(dflt.stderr).toContain('unknown field "dta"');
    const warn = await kubectl(kcp, ["create", "--validate=warn", "-f", "-"], { stdin: bad });
    expect(warn.code).toBe(0);
    expect(warn.stderr).toContain('Warning: unknown field "dta"');
    const got = (await (await api(kcp, "/api/v1/namespaces/oa-create/configmaps/typo")).json()) as Obj;
    expect(got.dta).toBeUndefined();
  });

  test("custom resources: create -f and apply -f, and strict validation of their schema", async () => {
    await installCrd();
    const created = await kubectl(kcp, ["create", "-f", "-"], {
      stdin: gadget("g1", "oa-create", { size: 2, color: "red" }),
    });
    expect(created.stderr).toBe("");
    expect(created.stdout.trim()).toBe("gadget.example.com/g1 created");
    const applied = await kubectl(kcp, ["apply", "-f", "-"], { stdin: gadget("g2", "oa-create", { size: 3 }) });
    expect(applied.stderr).toBe("");
    expect(applied.stdout.trim()).toBe("gadget.example.com/g2 created");
    const strict = await kubectl(kcp, ["create", "-f", "-"], {
      stdin: gadget("g3", "oa-create", { size: 1, colour: "blue" }),
    });
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain('unknown field "spec.colour"');
  }, 30_000);
});

describe("kubectl explain", () => {
  test("explain configmap.data prints the API reference's description", async () => {
    const r = await kubectl(kcp, ["explain", "configmap.data"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("KIND:       ConfigMap");
    expect(r.stdout).toContain("FIELD: data <map[string]string>");
    expect(r.stdout.replace(/\s+/g, " ")).toContain(
      "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field.",
    );
  });

  test("explain of a built-in kind lists its fields with their types", async () => {
    const r = await kubectl(kcp, ["explain", "rolebinding"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("roleRef\t<RoleRef> -required-");
    expect(r.stdout).toContain("subjects\t<[]Subject>");
  });

  test("explain <crd kind>.spec.<field> prints the CRD schema's description", async () => {
    const r = await kubectl(kcp, ["explain", "gadget.spec.size"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("GROUP:      example.com");
    expect(r.stdout).toContain("FIELD: size <integer>");
    expect(r.stdout).toContain("Size is how many units the gadget spans.");
  });
});

describe("kubectl 1.27 and 1.28: OpenAPI v2 in protobuf", () => {
  beforeAll(() => createNamespace("oa-old"));

  for (const version of ["1.27", "1.28"]) {
    test(`kubectl ${version}: create -f, apply -f and explain configmap`, async () => {
      const name = `from-${version.replace(".", "-")}`;
      const created = await kubectl(kcp, ["create", "-f", "-"], { version, stdin: configMap(name, "oa-old") });
      expect(created.stderr).toBe("");
      expect(created.stdout.trim()).toBe(`configmap/${name} created`);
      const applied = await kubectl(kcp, ["apply", "-f", "-"], {
        version,
        stdin: configMap(`${name}-applied`, "oa-old"),
      });
      expect(applied.stderr).toBe("");
      expect(applied.stdout.trim()).toBe(`configmap/${name}-applied created`);
      const bad = await kubectl(kcp, ["create", "-f", "-"], {
        version,
        stdin: configMap(`${name}-bad`, "oa-old", { dta: {} }),
      });
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('unknown field "dta"');
      const explained = await kubectl(kcp, ["explain", "configmap"], { version });
      expect(explained.stderr).toBe("");
      expect(explained.stdout).toContain("KIND:       ConfigMap");
      expect(explained.stdout).toContain("ConfigMap holds configuration data for pods to consume.");
      expect(explained.stdout).toContain("data\t<map[string]string>");
      const field = await kubectl(kcp, ["explain", "gadget.spec.size"], { version });
      expect(field.stdout).toContain("Size is how many units the gadget spans.");
    }, 30_000);
  }
});

describe("kubectl get tables", () => {
  beforeAll(async () => {
    await createNamespace("tbl");
    const docs = [
      configMap("zeta", "tbl"),
      stringifyYaml({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "alpha", namespace: "tbl", labels: { tier: "web", app: "shop" } },
        data: { a: "1", b: "2" },
      }),
      stringifyYaml({
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "s", namespace: "tbl" },
        type: "Opaque",
        stringData: { k: "v" },
      }),
      stringifyYaml({
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: { name: "l", namespace: "tbl" },
        spec: { holderIdentity: "node-1" },
      }),
      stringifyYaml({
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: { name: "rb", namespace: "tbl" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
        subjects: [
          { kind: "User", name: "alice", apiGroup: "rbac.authorization.k8s.io" },
          { kind: "ServiceAccount", name: "robot", namespace: "tbl" },
        ],
      }),
    ];
    const r = await kubectl(kcp, ["create", "-f", "-"], { stdin: docs.join("---\n") });
    expect(r.code).toBe(0);
  });

  test("configmaps: NAME DATA AGE", async () => {
    const r = await kubectl(kcp, ["get", "cm", "-n", "tbl"]);
    expect(r.stdout.split("\n")[0].split(/\s+/)).toEqual(["NAME", "DATA", "AGE"]);
    const rows = parseTable(r.stdout);
    expect(rows.find((x) => x.NAME === "alpha")?.DATA).toBe("2");
    expect(rows.find((x) => x.NAME === "zeta")?.AGE).toMatch(/^\d+s$|^\d+m/);
  });

  test("namespaces: NAME STATUS AGE", async () => {
    const r = await kubectl(kcp, ["get", "ns"]);
    expect(r.stdout.split("\n")[0].split(/\s+/)).toEqual(["NAME", "STATUS", "AGE"]);
    expect(parseTable(r.stdout).find((x) => x.NAME === "tbl")?.STATUS).toBe("Active");
  });

  test("secrets, leases and rolebindings (-o wide) have their kube columns", async () => {
    const s = parseTable((await kubectl(kcp, ["get", "secrets", "-n", "tbl"])).stdout);
    expect(s).toEqual([{ NAME: "s", TYPE: "Opaque", DATA: "1", AGE: expect.any(String) }]);
    const l = parseTable((await kubectl(kcp, ["get", "leases", "-n", "tbl"])).stdout);
    expect(l).toEqual([{ NAME: "l", HOLDER: "node-1", AGE: expect.any(String) }]);
    const rb = await kubectl(kcp, ["get", "rolebindings", "-n", "tbl", "-o", "wide"]);
    expect(rb.stdout.split("\n")[0].split(/\s+/)).toEqual([
      "NAME",
      "ROLE",
      "AGE",
      "USERS",
      "GROUPS",
      "SERVICEACCOUNTS",
    ]);
    expect(rb.stdout).toContain("ClusterRole/view");
    expect(rb.stdout).toContain("alice");
    expect(rb.stdout).toContain("tbl/robot");
    const roles = await kubectl(kcp, ["get", "roles", "-n", "tbl"]);
    expect(roles.stderr).toBe("No resources found in tbl namespace.\n");
  });

  test("--sort-by (includeObject=Object), -L and --show-labels", async () => {
    const sorted = await kubectl(kcp, ["get", "cm", "-n", "tbl", "--sort-by=.metadata.name"]);
    expect(parseTable(sorted.stdout).map((r) => r.NAME)).toEqual(["alpha", "zeta"]);
    // Sorting by a field outside metadata needs the whole object in each row.
    const byData = await kubectl(kcp, ["get", "cm", "-n", "tbl", "--sort-by=.data.a"]);
    expect(byData.stderr).toBe("");
    expect(parseTable(byData.stdout).map((r) => r.NAME)).toEqual(["alpha", "zeta"]);
    const labelled = await kubectl(kcp, ["get", "cm", "-n", "tbl", "-L", "tier,app"]);
    expect(labelled.stdout.split("\n")[0].split(/\s+/)).toEqual(["NAME", "DATA", "AGE", "TIER", "APP"]);
    expect(parseTable(labelled.stdout).find((r) => r.NAME === "alpha")).toMatchObject({ TIER: "web", APP: "shop" });
    const shown = await kubectl(kcp, ["get", "cm", "alpha", "-n", "tbl", "--show-labels"]);
    expect(parseTable(shown.stdout)[0].LABELS).toBe("app=shop,tier=web");
    const all = await kubectl(kcp, ["get", "cm", "-A", "--sort-by=.metadata.name"]);
    expect(all.stdout.split("\n")[0].split(/\s+/)).toEqual(["NAMESPACE", "NAME", "DATA", "AGE"]);
    expect(parseTable(all.stdout).some((r) => r.NAMESPACE === "tbl" && r.NAME === "alpha")).toBe(true);
  }, 30_000);

  test("get cm -w prints a table row per event", async () => {
    await createNamespace("tbl-watch");
    const before = await api(kcp, "/api/v1/namespaces/tbl-watch/configmaps", {
      method: "POST",
      body: JSON.stringify({ metadata: { name: "before" } }),
      headers: JSON_HEADERS,
    });
    expect(before.status).toBe(201);
    const w = spawnKubectl(kcp, ["get", "cm", "-n", "tbl-watch", "-w"]);
    try {
      // The list first (header and a row), then a row per watch event.
      await w.waitFor((out) => /\nbefore\s+0\s+\S+/.test(out));
      const res = await api(kcp, "/api/v1/namespaces/tbl-watch/configmaps", {
        method: "POST",
        body: JSON.stringify({ metadata: { name: "live" }, data: { x: "1", y: "2", z: "3" } }),
        headers: JSON_HEADERS,
      });
      expect(res.status).toBe(201);
      const out = await w.waitFor((o) => /\nlive\s+3\s+\S+/.test(o));
      expect(out.split("\n")[0].split(/\s+/)).toEqual(["NAME", "DATA", "AGE"]);
    } finally {
      await w.stop();
    }
  }, 30_000);

  test("custom resources: Name, the printer columns (priority 1 with -o wide), Age", async () => {
    await createNamespace("tbl-cr");
    const r = await kubectl(kcp, ["apply", "-f", "-"], {
      stdin: gadget("gizmo", "tbl-cr", { size: 7, color: "teal" }),
    });
    expect(r.code).toBe(0);
    const status = await api(kcp, "/apis/example.com/v1/namespaces/tbl-cr/gadgets/gizmo/status", {
      method: "PATCH",
      body: JSON.stringify({ status: { conditions: [{ type: "Ready", status: "True" }] } }),
      headers: { "Content-Type": "application/merge-patch+json" },
    });
    expect(status.status).toBe(200);
    const narrow = await kubectl(kcp, ["get", "gadgets", "-n", "tbl-cr"]);
    expect(narrow.stdout.split("\n")[0].split(/\s+/)).toEqual(["NAME", "SIZE", "READY"]);
    expect(parseTable(narrow.stdout)[0]).toEqual({ NAME: "gizmo", SIZE: "7", READY: "True" });
    const wide = await kubectl(kcp, ["get", "gadgets", "-n", "tbl-cr", "-o", "wide"]);
    expect(parseTable(wide.stdout)[0]).toEqual({ NAME: "gizmo", SIZE: "7", READY: "True", COLOR: "teal" });
  });

  test("a Table of something that has none is 406; so is a Table of a bad version", async () => {
    const res = await api(kcp, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", {
      method: "POST",
      body: JSON.stringify({ spec: { resourceAttributes: { verb: "get", resource: "pods" } } }),
      headers: { ...JSON_HEADERS, Accept: "application/json;as=Table;v=v1;g=meta.k8s.io" },
    });
    expect(res.status).toBe(406);
    expect(((await res.json()) as Obj).reason).toBe("NotAcceptable");
    const v1beta1 = await api(kcp, "/api/v1/namespaces/tbl/configmaps", {
      headers: { Accept: "application/json;as=Table;v=v1beta1;g=meta.k8s.io" },
    });
    expect(((await v1beta1.json()) as Obj).apiVersion).toBe("meta.k8s.io/v1beta1");
    const metadata = await api(kcp, "/api/v1/namespaces/tbl/configmaps", {
      headers: { Accept: "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io" },
    });
    const list = (await metadata.json()) as Obj;
    expect(list.kind).toBe("PartialObjectMetadataList");
    expect(list.items.every((i: Obj) => i.kind === "PartialObjectMetadata" && i.data === undefined)).toBe(true);
  });
});

describe("logical clusters", () => {
  test("under /clusters/<name>: serverRelativeURLs keep the prefix, and create -f, explain and get work", async () => {
    const index = (await (await api(kcp, "/clusters/oa-team/openapi/v3")).json()) as Obj;
    expect(index.paths["api/v1"].serverRelativeURL).toMatch(
      /^\/clusters\/oa-team\/openapi\/v3\/api\/v1\?hash=[0-9A-F]{128}$/,
    );
    const stale = await api(kcp, "/clusters/oa-team/openapi/v3/api/v1?hash=0", { redirect: "manual" });
    expect(stale.status).toBe(301);
    expect(stale.headers.get("location")).toBe(index.paths["api/v1"].serverRelativeURL);
    const kubeconfig = await kubeconfigWithPath(kcp, "/clusters/oa-team");
    await createNamespace("team-ns", "/clusters/oa-team");
    const created = await kubectl(kcp, ["create", "-f", "-"], { kubeconfig, stdin: configMap("in-team", "team-ns") });
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    const explained = await kubectl(kcp, ["explain", "configmap.data"], { kubeconfig });
    expect(explained.stdout).toContain("Data contains the configuration data.");
    const got = await kubectl(kcp, ["get", "cm", "-n", "team-ns"], { kubeconfig });
    expect(parseTable(got.stdout).map((r) => r.NAME)).toContain("in-team");
  }, 30_000);
});
