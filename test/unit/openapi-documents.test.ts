import { describe, expect, test } from "bun:test";
import { builtinResources } from "../../src/apis/builtin/index.ts";
import { ResourceRegistry } from "../../src/apis/registry.ts";
import { ALL_VERBS, type ResourceDef } from "../../src/apis/types.ts";
import { OpenAPIDocuments } from "../../src/server/openapi/openapi-documents.ts";
import { openAPIResponse } from "../../src/server/openapi/openapi-handlers.ts";

function widget(description: string, version = "v1"): ResourceDef {
  return {
    group: "example.com",
    version,
    plural: "widgets",
    singular: "widget",
    kind: "Widget",
    listKind: "WidgetList",
    namespaced: true,
    verbs: ALL_VERBS,
    subresources: [
      { name: "status", verbs: ["get", "patch", "update"] },
      { name: "scale", kind: "Scale", group: "autoscaling", version: "v1", verbs: ["get", "patch", "update"] },
    ],
    mode: "stored",
    strategy: { hasStatus: true, tracksGeneration: true },
    source: "crd",
    openAPISchema: {
      type: "object",
      description: "A Widget.",
      properties: {
        spec: {
          type: "object",
          description,
          properties: { size: { type: "integer", description: "How big." } },
          "x-kubernetes-preserve-unknown-fields": true,
        },
      },
    },
  };
}

function setup() {
  const registry = new ResourceRegistry(builtinResources({} as never));
  return { registry, docs: new OpenAPIDocuments(registry) };
}

const get = (path: string, headers: Record<string, string> = {}) => new Request(`https://h${path}`, { headers });

describe("OpenAPI documents per logical cluster", () => {
  test("the index lists every served group-version; CRD group-versions appear when served", () => {
    const { registry, docs } = setup();
    expect(docs.groupVersions("team-a")).toContain("api/v1");
    expect(docs.groupVersions("team-a")).toContain("apis/coordination.k8s.io/v1");
    expect(docs.groupVersions("team-a")).not.toContain("apis/example.com/v1");
    registry.setClusterResources("team-a", [widget("Spec.")]);
    expect(docs.groupVersions("team-a")).toContain("apis/example.com/v1");
    expect(docs.groupVersions("team-b")).not.toContain("apis/example.com/v1");
  });

  test("documents are cached until the cluster's resources change; built-in group-versions are shared", () => {
    const { registry, docs } = setup();
    const a = docs.document("team-a", "api/v1");
    expect(docs.document("team-a", "api/v1")).toBe(a);
    expect(docs.document("team-b", "api/v1")).toBe(a);
    registry.setClusterResources("team-a", [widget("Spec.")]);
    // A new CRD leaves the built-in documents (and their hashes) untouched.
    expect(docs.document("team-a", "api/v1")).toBe(a);
    expect(docs.document("team-a", "apis/nope/v1")).toBeUndefined();
  });

  test("a hash changes exactly when its document changes", () => {
    const { registry, docs } = setup();
    registry.setClusterResources("team-a", [widget("Spec.")]);
    const before = docs.hashes("team-a");
    expect(before["apis/example.com/v1"]).toMatch(/^[0-9A-F]{128}$/);
    registry.setClusterResources("team-a", [widget("Spec, described anew.")]);
    const after = docs.hashes("team-a");
    expect(after["apis/example.com/v1"]).not.toBe(before["apis/example.com/v1"]);
    expect(after["api/v1"]).toBe(before["api/v1"]);
    // The same schema again: the same hash.
    registry.setClusterResources("team-a", [widget("Spec.")]);
    expect(docs.hashes("team-a")["apis/example.com/v1"]).toBe(before["apis/example.com/v1"]);
  });

  test("a CRD's document: its schema with apiVersion, kind and ObjectMeta, no strategic merge patch, Scale for /scale", () => {
    const { registry, docs } = setup();
    registry.setClusterResources("team-a", [widget("Spec.")]);
    const doc = docs.document("team-a", "apis/example.com/v1")?.document as NonNullable<
      ReturnType<OpenAPIDocuments["document"]>
    >["document"];
    const schema = doc.components.schemas["com.example.v1.Widget"] as Record<string, any>;
    expect(schema["x-kubernetes-group-version-kind"]).toEqual([
      { group: "example.com", kind: "Widget", version: "v1" },
    ]);
    expect(Object.keys(schema.properties)).toEqual(["apiVersion", "kind", "metadata", "spec"]);
    expect(schema.properties.spec["x-kubernetes-preserve-unknown-fields"]).toBe(true);
    expect(schema.properties.metadata.allOf[0].$ref).toBe(
      "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
    );
    expect(doc.components.schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]).toBeDefined();
    const patch = doc.paths["/apis/example.com/v1/namespaces/{namespace}/widgets/{name}"].patch as Record<string, any>;
    expect(Object.keys(patch.requestBody.content)).not.toContain("application/strategic-merge-patch+json");
    expect(patch.parameters.some((p: { name: string }) => p.name === "fieldValidation")).toBe(true);
    const scale = doc.paths["/apis/example.com/v1/namespaces/{namespace}/widgets/{name}/scale"].get as Record<
      string,
      any
    >;
    expect(scale["x-kubernetes-group-version-kind"]).toEqual({ group: "autoscaling", version: "v1", kind: "Scale" });
    expect(doc.components.schemas["io.k8s.api.autoscaling.v1.Scale"]).toBeDefined();
  });
});

describe("OpenAPI endpoints", () => {
  test("/openapi/v3: serverRelativeURLs carry the cluster prefix and the hash; revalidated by ETag", () => {
    const { docs } = setup();
    const res = openAPIResponse(
      docs,
      "team-a",
      "/clusters/team-a",
      "/openapi/v3",
      get("/clusters/team-a/openapi/v3"),
      new URLSearchParams(),
    ) as Response;
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-cache, private");
    const etag = res.headers.get("etag") as string;
    expect(etag).toMatch(/^".+"$/);
    const hash = docs.hashes("team-a")["api/v1"];
    return res.json().then((body: any) => {
      expect(body.paths["api/v1"].serverRelativeURL).toBe(`/clusters/team-a/openapi/v3/api/v1?hash=${hash}`);
      const again = openAPIResponse(
        docs,
        "team-a",
        "/clusters/team-a",
        "/openapi/v3",
        get("/openapi/v3", { "If-None-Match": etag }),
        new URLSearchParams(),
      ) as Response;
      expect(again.status).toBe(304);
    });
  });

  test("a document by its current hash is immutable; an outdated hash redirects (301) to the current one", () => {
    const { docs } = setup();
    const hash = docs.hashes("admin")["api/v1"];
    const ok = openAPIResponse(
      docs,
      "admin",
      "",
      "/openapi/v3/api/v1",
      get(`/openapi/v3/api/v1?hash=${hash}`),
      new URLSearchParams({ hash }),
    ) as Response;
    expect(ok.status).toBe(200);
    expect(ok.headers.get("cache-control")).toBe("public, immutable");
    expect(Date.parse(ok.headers.get("expires") as string)).toBeGreaterThan(Date.now() + 300 * 24 * 3600 * 1000);
    expect(ok.headers.get("etag")).toBe(`"${hash}"`);
    const old = openAPIResponse(
      docs,
      "team-a",
      "/clusters/team-a",
      "/openapi/v3/api/v1",
      get("/clusters/team-a/openapi/v3/api/v1?hash=0AB"),
      new URLSearchParams({ hash: "0AB" }),
    ) as Response;
    expect(old.status).toBe(301);
    expect(old.headers.get("location")).toBe(`/clusters/team-a/openapi/v3/api/v1?hash=${hash}`);
    const missing = openAPIResponse(
      docs,
      "admin",
      "",
      "/openapi/v3/apis/nope/v1",
      get("/openapi/v3/apis/nope/v1"),
      new URLSearchParams(),
    ) as Response;
    expect(missing.status).toBe(404);
    const proto = openAPIResponse(
      docs,
      "admin",
      "",
      "/openapi/v3/api/v1",
      get("/openapi/v3/api/v1", { Accept: "application/com.github.proto-openapi.spec.v3@v1.0+protobuf" }),
      new URLSearchParams(),
    ) as Response;
    expect(proto.status).toBe(406);
  });

  test("/openapi/v2 in JSON or gnostic protobuf by Accept", () => {
    const { docs } = setup();
    const json = openAPIResponse(
      docs,
      "admin",
      "",
      "/openapi/v2",
      get("/openapi/v2", { Accept: "application/json" }),
      new URLSearchParams(),
    ) as Response;
    expect(json.headers.get("content-type")).toBe("application/json");
    const pb = openAPIResponse(
      docs,
      "admin",
      "",
      "/openapi/v2",
      get("/openapi/v2", { Accept: "application/com.github.proto-openapi.spec.v2@v1.0+protobuf" }),
      new URLSearchParams(),
    ) as Response;
    expect(pb.status).toBe(200);
    expect(pb.headers.get("content-type")).toBe("application/com.github.proto-openapi.spec.v2.v1.0+protobuf");
    expect(openAPIResponse(docs, "admin", "", "/version", get("/version"), new URLSearchParams())).toBeNull();
  });
});
