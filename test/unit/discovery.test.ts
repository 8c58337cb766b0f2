import { describe, expect, test } from "bun:test";
import type { ResourceDef, Verb } from "../../src/apis/types.ts";
import {
  type APIGroup,
  type APIGroupDiscoveryList,
  type APIGroupList,
  type APIResourceList,
  type APIVersions,
  aggregatedDiscovery,
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
  storageVersionHash,
} from "../../src/server/discovery.ts";
import {
  AGGREGATED_V2,
  AGGREGATED_V2BETA1,
  discoveryResponse,
  negotiateDiscovery,
  renderDiscovery,
} from "../../src/server/discovery-handlers.ts";
import type { Status } from "../../src/machinery/status.ts";
import { compareKubeAwareVersions } from "../../src/machinery/kube-aware-version.ts";

const CRUD: Verb[] = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"];

function def(p: Partial<ResourceDef> & Pick<ResourceDef, "group" | "version" | "plural" | "kind">): ResourceDef {
  return {
    singular: p.kind.toLowerCase(),
    listKind: `${p.kind}List`,
    namespaced: true,
    verbs: CRUD,
    subresources: [],
    mode: "stored",
    strategy: { hasStatus: false, tracksGeneration: false },
    source: "builtin",
    ...p,
  };
}

/** A response body, typed as the document the test expects it to be. */
async function json<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

const STATUS = { name: "status", verbs: ["get", "patch", "update"] as Verb[] };

// Deliberately out of alphabetical order, to see discovery sort what kube sorts and keep what it keeps.
const DEFS: ResourceDef[] = [
  def({
    group: "",
    version: "v1",
    plural: "namespaces",
    kind: "Namespace",
    shortNames: ["ns"],
    namespaced: false,
    verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
    subresources: [STATUS, { name: "finalize", verbs: ["update"] }],
  }),
  def({ group: "", version: "v1", plural: "configmaps", kind: "ConfigMap", shortNames: ["cm"] }),
  def({
    group: "",
    version: "v1",
    plural: "serviceaccounts",
    kind: "ServiceAccount",
    shortNames: ["sa"],
    subresources: [
      { name: "token", kind: "TokenRequest", group: "authentication.k8s.io", version: "v1", verbs: ["create"] },
    ],
  }),
  def({ group: "rbac.authorization.k8s.io", version: "v1", plural: "roles", kind: "Role" }),
  def({
    group: "apiextensions.k8s.io",
    version: "v1",
    plural: "customresourcedefinitions",
    kind: "CustomResourceDefinition",
    singular: "customresourcedefinition",
    namespaced: false,
    shortNames: ["crd", "crds"],
    categories: ["api-extensions"],
    subresources: [STATUS],
  }),
  def({
    group: "authentication.k8s.io",
    version: "v1",
    plural: "tokenreviews",
    kind: "TokenReview",
    namespaced: false,
    verbs: ["create"],
    mode: "virtual",
  }),
  // A CRD served at two versions, listed beta first: kube's version priority must still put v1 first.
  def({
    group: "example.com",
    version: "v1beta1",
    plural: "widgets",
    kind: "Widget",
    source: "crd",
    shortNames: ["wd"],
    subresources: [
      STATUS,
      { name: "scale", kind: "Scale", group: "autoscaling", version: "v1", verbs: ["get", "patch", "update"] },
    ],
  }),
  def({
    group: "example.com",
    version: "v1",
    plural: "widgets",
    kind: "Widget",
    source: "crd",
    shortNames: ["wd"],
    subresources: [
      STATUS,
      { name: "scale", kind: "Scale", group: "autoscaling", version: "v1", verbs: ["get", "patch", "update"] },
    ],
  }),
  // A CRD group that sorts before example.com, and one whose author marked a beta version preferred.
  def({ group: "a.example.org", version: "v1alpha1", plural: "gadgets", kind: "Gadget", source: "crd" }),
  def({ group: "b.example.org", version: "v1", plural: "things", kind: "Thing", source: "crd" }),
  def({ group: "b.example.org", version: "v2beta1", plural: "things", kind: "Thing", source: "crd", preferred: true }),
];

const ADDR = "10.0.0.1:6443";
const KUBECTL_132_ACCEPT = `${AGGREGATED_V2},${AGGREGATED_V2BETA1},application/json`;
const KUBECTL_127_ACCEPT = `${AGGREGATED_V2BETA1},application/json`;

describe("legacy discovery documents", () => {
  test("/api lists only v1 with the server address", () => {
    expect(apiVersions(ADDR)).toEqual({
      kind: "APIVersions",
      versions: ["v1"],
      serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: ADDR }],
    });
  });

  test("/apis: built-in groups in registry order, then CRD groups alphabetically; preferred version first", () => {
    const list = apiGroupList(DEFS);
    expect(list.kind).toBe("APIGroupList");
    expect(list.apiVersion).toBe("v1");
    expect(list.groups.map((g) => g.name)).toEqual([
      "rbac.authorization.k8s.io",
      "apiextensions.k8s.io",
      "authentication.k8s.io",
      "a.example.org",
      "b.example.org",
      "example.com",
    ]);
    const example = list.groups.find((g) => g.name === "example.com");
    expect(example?.versions).toEqual([
      { groupVersion: "example.com/v1", version: "v1" },
      { groupVersion: "example.com/v1beta1", version: "v1beta1" },
    ]);
    expect(example?.preferredVersion).toEqual({ groupVersion: "example.com/v1", version: "v1" });
    // An explicit preference beats version priority.
    const b = list.groups.find((g) => g.name === "b.example.org");
    expect(b?.versions.map((v) => v.version)).toEqual(["v2beta1", "v1"]);
    expect(b?.preferredVersion.version).toBe("v2beta1");
  });

  test("/apis/<group> or null", () => {
    expect(apiGroup(DEFS, "rbac.authorization.k8s.io")).toEqual({
      kind: "APIGroup",
      apiVersion: "v1",
      name: "rbac.authorization.k8s.io",
      versions: [{ groupVersion: "rbac.authorization.k8s.io/v1", version: "v1" }],
      preferredVersion: { groupVersion: "rbac.authorization.k8s.io/v1", version: "v1" },
    });
    expect(apiGroup(DEFS, "apps")).toBeNull();
    expect(apiGroup(DEFS, "")).toBeNull();
  });

  test("/api/v1: no apiVersion, sorted names, subresource entries, storage hashes", () => {
    const list = apiResourceList(DEFS, "", "v1");
    expect(list).not.toBeNull();
    expect(Object.keys(list ?? {})).toEqual(["kind", "groupVersion", "resources"]);
    expect(list?.groupVersion).toBe("v1");
    expect(list?.resources.map((r) => r.name)).toEqual([
      "configmaps",
      "namespaces",
      "namespaces/finalize",
      "namespaces/status",
      "serviceaccounts",
      "serviceaccounts/token",
    ]);
    const byName = new Map(list?.resources.map((r) => [r.name, r]));
    // The exact entry (and hash) of a real kube-apiserver.
    expect(byName.get("configmaps")).toEqual({
      name: "configmaps",
      singularName: "configmap",
      namespaced: true,
      kind: "ConfigMap",
      verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
      shortNames: ["cm"],
      storageVersionHash: "qFsyl6wFWjQ=",
    });
    expect(byName.get("namespaces/status")).toEqual({
      name: "namespaces/status",
      singularName: "",
      namespaced: false,
      kind: "Namespace",
      verbs: ["get", "patch", "update"],
    });
    expect(byName.get("serviceaccounts/token")).toEqual({
      name: "serviceaccounts/token",
      singularName: "",
      namespaced: true,
      group: "authentication.k8s.io",
      version: "v1",
      kind: "TokenRequest",
      verbs: ["create"],
    });
  });

  test("/apis/<g>/<v>: apiVersion and groupVersion; virtual kinds carry no storage hash", () => {
    const list = apiResourceList(DEFS, "authentication.k8s.io", "v1");
    expect(list).toEqual({
      kind: "APIResourceList",
      apiVersion: "v1",
      groupVersion: "authentication.k8s.io/v1",
      resources: [
        {
          name: "tokenreviews",
          singularName: "tokenreview",
          namespaced: false,
          kind: "TokenReview",
          verbs: ["create"],
        },
      ],
    });
    const crd = apiResourceList(DEFS, "apiextensions.k8s.io", "v1")?.resources[0];
    expect(crd?.categories).toEqual(["api-extensions"]);
    expect(crd?.shortNames).toEqual(["crd", "crds"]);
  });

  test("subresources served as another kind name their group-version only when it differs", () => {
    const widgets = apiResourceList(DEFS, "example.com", "v1")?.resources ?? [];
    expect(widgets.map((r) => r.name)).toEqual(["widgets", "widgets/scale", "widgets/status"]);
    expect(widgets[1]).toMatchObject({ group: "autoscaling", version: "v1", kind: "Scale" });
    expect(widgets[2]).not.toHaveProperty("group");
    expect(widgets[2]).not.toHaveProperty("version");
  });

  test("every served version of a resource reports the hash of one storage version", () => {
    const v1 = apiResourceList(DEFS, "example.com", "v1")?.resources[0];
    const beta = apiResourceList(DEFS, "example.com", "v1beta1")?.resources[0];
    expect(v1?.storageVersionHash).toBe(storageVersionHash("example.com", "v1", "Widget"));
    expect(beta?.storageVersionHash).toBe(v1?.storageVersionHash);
  });

  test("unknown group-versions are null; the core v1 list exists even when empty", () => {
    expect(apiResourceList(DEFS, "example.com", "v2")).toBeNull();
    expect(apiResourceList(DEFS, "nope.io", "v1")).toBeNull();
    expect(apiResourceList(DEFS, "", "v2")).toBeNull();
    expect(apiResourceList([], "", "v1")?.resources).toEqual([]);
  });

  test("kube-aware version priority", () => {
    const sorted = [
      "v1alpha1",
      "foo",
      "v2beta1",
      "v1",
      "v1beta2",
      "v11alpha2",
      "v2",
      "v1beta1",
      "bar",
      "v12alpha1",
    ].sort(compareKubeAwareVersions);
    expect(sorted).toEqual([
      "v2",
      "v1",
      "v2beta1",
      "v1beta2",
      "v1beta1",
      "v12alpha1",
      "v11alpha2",
      "v1alpha1",
      "bar",
      "foo",
    ]);
  });
});

describe("aggregated discovery documents", () => {
  test("/api: one nameless item for the core group", () => {
    const doc = aggregatedDiscovery(DEFS, "api", "v2");
    expect(doc.kind).toBe("APIGroupDiscoveryList");
    expect(doc.apiVersion).toBe("apidiscovery.k8s.io/v2");
    expect(doc.metadata).toEqual({});
    expect(doc.items).toHaveLength(1);
    expect(doc.items[0]?.metadata).toEqual({});
    const v1 = doc.items[0]?.versions[0];
    expect(v1?.version).toBe("v1");
    expect(v1?.freshness).toBe("Current");
    expect(v1?.resources.map((r) => r.resource)).toEqual(["configmaps", "namespaces", "serviceaccounts"]);
    const ns = v1?.resources[1];
    expect(ns).toEqual({
      resource: "namespaces",
      responseKind: { group: "", version: "v1", kind: "Namespace" },
      scope: "Cluster",
      singularResource: "namespace",
      verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
      shortNames: ["ns"],
      subresources: [
        { subresource: "finalize", responseKind: { group: "", version: "v1", kind: "Namespace" }, verbs: ["update"] },
        {
          subresource: "status",
          responseKind: { group: "", version: "v1", kind: "Namespace" },
          verbs: ["get", "patch", "update"],
        },
      ],
    });
    expect(v1?.resources[2]?.subresources?.[0]).toEqual({
      subresource: "token",
      responseKind: { group: "authentication.k8s.io", version: "v1", kind: "TokenRequest" },
      verbs: ["create"],
    });
  });

  test("/apis: one item per group, versions in preference order, responseKind filled in", () => {
    const doc = aggregatedDiscovery(DEFS, "apis", "v2beta1");
    expect(doc.apiVersion).toBe("apidiscovery.k8s.io/v2beta1");
    expect(doc.items.map((i) => i.metadata.name)).toEqual(apiGroupList(DEFS).groups.map((g) => g.name));
    const example = doc.items.find((i) => i.metadata.name === "example.com");
    expect(example?.versions.map((v) => v.version)).toEqual(["v1", "v1beta1"]);
    const widget = example?.versions[1]?.resources[0];
    expect(widget).toMatchObject({
      resource: "widgets",
      responseKind: { group: "example.com", version: "v1beta1", kind: "Widget" },
      scope: "Namespaced",
      singularResource: "widget",
      shortNames: ["wd"],
    });
    expect(widget?.subresources?.map((s) => s.subresource)).toEqual(["scale", "status"]);
    expect(widget?.subresources?.[0]?.responseKind).toEqual({ group: "autoscaling", version: "v1", kind: "Scale" });
    const roles = doc.items[0]?.versions[0]?.resources[0];
    expect(roles).not.toHaveProperty("shortNames");
    expect(roles).not.toHaveProperty("categories");
    expect(roles).not.toHaveProperty("subresources");
  });
});

describe("negotiation", () => {
  test("kubectl 1.30+ gets v2, 1.27-1.29 get v2beta1, everyone else legacy JSON", () => {
    expect(negotiateDiscovery(KUBECTL_132_ACCEPT, true)).toBe("v2");
    expect(negotiateDiscovery(KUBECTL_127_ACCEPT, true)).toBe("v2beta1");
    expect(negotiateDiscovery("application/json, */*", true)).toBe("json");
    expect(negotiateDiscovery("application/json, */*;q=0.8", true)).toBe("json");
    expect(negotiateDiscovery(null, true)).toBe("json");
    expect(negotiateDiscovery("", true)).toBe("json");
  });

  test("the client's preference decides, q-values first", () => {
    expect(negotiateDiscovery(`application/json,${AGGREGATED_V2}`, true)).toBe("json");
    expect(negotiateDiscovery(`application/json;q=0.5,${AGGREGATED_V2BETA1}`, true)).toBe("v2beta1");
    // Parameter order and spacing do not matter.
    expect(negotiateDiscovery("application/json; as=APIGroupDiscoveryList; v=v2; g=apidiscovery.k8s.io", true)).toBe(
      "v2",
    );
  });

  test("conversions the endpoint cannot do are skipped, and nothing servable is null", () => {
    expect(negotiateDiscovery(KUBECTL_132_ACCEPT, false)).toBe("json");
    expect(negotiateDiscovery(AGGREGATED_V2, false)).toBeNull();
    expect(negotiateDiscovery("application/json;as=Table;v=v1;g=meta.k8s.io,application/json", true)).toBe("json");
    expect(negotiateDiscovery("application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList", true)).toBeNull();
    expect(negotiateDiscovery("application/vnd.kubernetes.protobuf,application/json", true)).toBe("json");
    expect(negotiateDiscovery("application/yaml", true)).toBeNull();
  });
});

describe("discoveryResponse", () => {
  test("aggregated answers echo the parameterised Content-Type and vary on Accept", async () => {
    for (const [accept, ctype, apiVersion] of [
      [KUBECTL_132_ACCEPT, AGGREGATED_V2, "apidiscovery.k8s.io/v2"],
      [KUBECTL_127_ACCEPT, AGGREGATED_V2BETA1, "apidiscovery.k8s.io/v2beta1"],
    ] as const) {
      for (const path of ["/api", "/apis"]) {
        const res = discoveryResponse(path, accept, DEFS, ADDR);
        expect(res.status).toBe(200);
        expect(res.headers.get("Content-Type")).toBe(ctype);
        expect(res.headers.get("Vary")).toBe("Accept");
        const body = await json<APIGroupDiscoveryList>(res);
        expect(body.kind).toBe("APIGroupDiscoveryList");
        expect(body.apiVersion).toBe(apiVersion);
      }
    }
  });

  test("legacy answers are plain JSON; group-version paths ignore the aggregated Accept", async () => {
    const api = discoveryResponse("/api", "application/json, */*", DEFS, ADDR);
    expect(api.headers.get("Content-Type")).toBe("application/json");
    expect(await api.json()).toEqual(apiVersions(ADDR));
    const apis = discoveryResponse("/apis", "application/json", DEFS, ADDR);
    expect((await json<APIGroupList>(apis)).kind).toBe("APIGroupList");
    const v1 = discoveryResponse("/api/v1", KUBECTL_132_ACCEPT, DEFS, ADDR);
    expect(v1.headers.get("Content-Type")).toBe("application/json");
    expect((await json<APIResourceList>(v1)).kind).toBe("APIResourceList");
    const group = discoveryResponse("/apis/example.com/", null, DEFS, ADDR);
    expect((await json<APIGroup>(group)).preferredVersion.version).toBe("v1");
    const gv = discoveryResponse("/apis/example.com/v1beta1", null, DEFS, ADDR);
    expect((await json<APIResourceList>(gv)).groupVersion).toBe("example.com/v1beta1");
  });

  test("unknown groups, versions and paths are 404 Status", async () => {
    for (const path of [
      "/apis/nope.io",
      "/apis/example.com/v9",
      "/apis/nope.io/v1",
      "/api/v2",
      "/apis/a/b/c",
      "/apis//v1",
    ]) {
      const res = discoveryResponse(path, KUBECTL_132_ACCEPT, DEFS, ADDR);
      expect(res.status).toBe(404);
      expect(res.headers.get("Content-Type")).toBe("application/json");
      expect(await res.json()).toEqual({
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message: "the server could not find the requested resource",
        reason: "NotFound",
        details: {},
        code: 404,
      });
    }
  });

  test("an Accept the endpoint cannot satisfy is 406", async () => {
    const res = discoveryResponse("/api/v1", AGGREGATED_V2, DEFS, ADDR);
    expect(res.status).toBe(406);
    expect((await json<Status>(res)).reason).toBe("NotAcceptable");
  });

  test("ETag per representation, and If-None-Match gives 304", () => {
    const first = discoveryResponse("/apis", KUBECTL_132_ACCEPT, DEFS, ADDR);
    const etag = first.headers.get("ETag");
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    const legacy = discoveryResponse("/apis", "application/json", DEFS, ADDR);
    expect(legacy.headers.get("ETag")).not.toBe(etag);
    const again = discoveryResponse("/apis", KUBECTL_132_ACCEPT, DEFS, ADDR, `"other", W/${etag}`);
    expect(again.status).toBe(304);
    expect(again.headers.get("ETag")).toBe(etag);
    expect(discoveryResponse("/apis", KUBECTL_132_ACCEPT, DEFS, ADDR, '"stale"').status).toBe(200);
  });

  test("renders once per defs array, and again when the defs change", () => {
    const a = renderDiscovery("/apis", "v2", DEFS, ADDR);
    const b = renderDiscovery("/apis/", "v2", DEFS, ADDR);
    expect(a).not.toBeNull();
    expect(b).toBe(a as NonNullable<typeof a>);
    expect(renderDiscovery("/apis", "v2beta1", DEFS, ADDR)).not.toBe(a as NonNullable<typeof a>);

    const withCrd = [...DEFS, def({ group: "z.example.io", version: "v1", plural: "zs", kind: "Z", source: "crd" })];
    const c = renderDiscovery("/apis", "v2", withCrd, ADDR);
    expect(c?.body).toContain('"z.example.io"');
    expect(a?.body).not.toContain('"z.example.io"');
    expect(c?.etag).not.toBe(a?.etag as string);
  });

  test("legacy /api reflects the address it is given", async () => {
    const res = discoveryResponse("/api", null, DEFS, "192.168.1.5:443");
    expect((await json<APIVersions>(res)).serverAddressByClientCIDRs[0]?.serverAddress).toBe("192.168.1.5:443");
  });
});
