import { describe, expect, test } from "bun:test";
import { builtinResources } from "../../src/apis/builtin/index.ts";
import { BUILTIN_SCHEMAS, builtinSchemaName } from "../../src/apis/builtin/schemas/index.ts";
import { buildGroupVersionDocument } from "../../src/server/openapi/group-version-document.ts";
import { SCHEMA_REF_PREFIX, type Schema } from "../../src/apis/schema-builders.ts";

const defs = builtinResources({} as never);
const META = "io.k8s.apimachinery.pkg.apis.meta.v1.";

function refsIn(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) for (const x of v) refsIn(x, out);
  else if (v && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) {
      if (k === "$ref" && typeof x === "string") out.push(x);
      else refsIn(x, out);
    }
  }
  return out;
}

function prop(schemaName: string, ...path: string[]): Schema {
  let s = BUILTIN_SCHEMAS[schemaName];
  for (const p of path) s = (s.properties as Record<string, Schema>)[p];
  return s;
}

describe("built-in schemas", () => {
  test("every reference resolves within the catalog", () => {
    for (const r of refsIn(BUILTIN_SCHEMAS)) {
      expect(r.startsWith(SCHEMA_REF_PREFIX)).toBe(true);
      expect(BUILTIN_SCHEMAS[r.slice(SCHEMA_REF_PREFIX.length)]).toBeDefined();
    }
  });

  test("every built-in kind, its list and its subresource kinds have a schema", () => {
    for (const d of defs) {
      expect(builtinSchemaName(d.group, d.version, d.kind)).toBeDefined();
      if (d.mode === "stored") expect(builtinSchemaName(d.group, d.version, d.listKind)).toBeDefined();
      for (const s of d.subresources)
        if (s.kind) expect(builtinSchemaName(s.group ?? d.group, s.version ?? d.version, s.kind)).toBeDefined();
    }
    for (const name of ["Status", "DeleteOptions", "WatchEvent", "ObjectMeta", "ListMeta"])
      expect(BUILTIN_SCHEMAS[`${META}${name}`]).toBeDefined();
    expect(BUILTIN_SCHEMAS["io.k8s.api.autoscaling.v1.Scale"]).toBeDefined();
  });

  test("descriptions are the API reference's", () => {
    expect(prop("io.k8s.api.core.v1.ConfigMap", "data").description).toBe(
      "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data must not overlap with the keys in the BinaryData field, this is enforced during validation process.",
    );
    expect(BUILTIN_SCHEMAS["io.k8s.api.core.v1.ConfigMap"].description).toBe(
      "ConfigMap holds configuration data for pods to consume.",
    );
    expect(prop("io.k8s.api.core.v1.ConfigMap", "data")).toMatchObject({
      type: "object",
      additionalProperties: { type: "string", default: "" },
    });
    expect(prop("io.k8s.api.core.v1.ConfigMap", "metadata")).toMatchObject({
      allOf: [{ $ref: `${SCHEMA_REF_PREFIX}${META}ObjectMeta` }],
      default: {},
    });
  });

  test("the patch and list extensions strategic merge patch and apply read", () => {
    expect(prop(`${META}ObjectMeta`, "ownerReferences")).toMatchObject({
      "x-kubernetes-patch-merge-key": "uid",
      "x-kubernetes-patch-strategy": "merge",
      "x-kubernetes-list-type": "map",
      "x-kubernetes-list-map-keys": ["uid"],
    });
    expect(prop(`${META}ObjectMeta`, "finalizers")).toMatchObject({
      "x-kubernetes-patch-strategy": "merge",
      "x-kubernetes-list-type": "set",
    });
    expect(prop("io.k8s.api.core.v1.ServiceAccount", "secrets")).toMatchObject({
      "x-kubernetes-patch-merge-key": "name",
      "x-kubernetes-patch-strategy": "merge",
    });
    expect(prop("io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIServiceStatus", "conditions")).toMatchObject({
      "x-kubernetes-patch-merge-key": "type",
    });
    expect(prop("io.k8s.api.rbac.v1.Role", "rules")["x-kubernetes-list-type"]).toBe("atomic");
    expect(prop("io.k8s.api.core.v1.LimitRangeSpec", "limits")["x-kubernetes-list-type"]).toBe("atomic");
    expect(
      prop("io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinitionSpec", "versions")[
        "x-kubernetes-list-type"
      ],
    ).toBe("atomic");
    expect(BUILTIN_SCHEMAS["io.k8s.api.rbac.v1.RoleRef"]["x-kubernetes-map-type"]).toBe("atomic");
  });
});

describe("group-version documents", () => {
  const core = buildGroupVersionDocument(
    "",
    "v1",
    defs.filter((d) => d.group === ""),
  );
  const patchOf = (doc: ReturnType<typeof buildGroupVersionDocument>, path: string) =>
    doc.paths[path].patch as Record<string, any>;

  test("a PATCH per kind with its group-version-kind (an object) and an inline fieldValidation parameter", () => {
    const op = patchOf(core, "/api/v1/namespaces/{namespace}/configmaps/{name}");
    expect(op["x-kubernetes-group-version-kind"]).toEqual({ group: "", version: "v1", kind: "ConfigMap" });
    expect(op["x-kubernetes-action"]).toBe("patch");
    expect(op.operationId).toBe("patchCoreV1NamespacedConfigMap");
    expect(op.parameters.find((p: { name: string }) => p.name === "fieldValidation")).toMatchObject({
      in: "query",
      schema: { type: "string" },
    });
    expect(Object.keys(op.requestBody.content).sort()).toEqual([
      "application/apply-patch+yaml",
      "application/json-patch+json",
      "application/merge-patch+json",
      "application/strategic-merge-patch+json",
    ]);
    expect(patchOf(core, "/api/v1/namespaces/{name}")["x-kubernetes-group-version-kind"]).toEqual({
      group: "",
      version: "v1",
      kind: "Namespace",
    });
  });

  test("every verb and path of a kind", () => {
    const ops = (p: string) =>
      Object.keys(core.paths[p] ?? {})
        .filter((k) => k !== "parameters")
        .sort();
    expect(ops("/api/v1/namespaces/{namespace}/configmaps")).toEqual(["delete", "get", "post"]);
    expect(ops("/api/v1/namespaces/{namespace}/configmaps/{name}")).toEqual(["delete", "get", "patch", "put"]);
    expect(ops("/api/v1/configmaps")).toEqual(["get"]);
    expect(ops("/api/v1/watch/namespaces/{namespace}/configmaps")).toEqual(["get"]);
    expect(ops("/api/v1/watch/namespaces/{namespace}/configmaps/{name}")).toEqual(["get"]);
    expect(ops("/api/v1/namespaces")).toEqual(["get", "post"]);
    expect(ops("/api/v1/namespaces/{name}/status")).toEqual(["get", "patch", "put"]);
    expect(ops("/api/v1/namespaces/{name}/finalize")).toEqual(["put"]);
    const token = core.paths["/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token"].post as Record<string, any>;
    expect(token["x-kubernetes-group-version-kind"]).toEqual({
      group: "authentication.k8s.io",
      version: "v1",
      kind: "TokenRequest",
    });
    for (const m of ["post", "put", "patch"]) {
      const op =
        core.paths["/api/v1/namespaces/{namespace}/configmaps/{name}"][m] ??
        core.paths["/api/v1/namespaces/{namespace}/configmaps"][m];
      expect((op as Record<string, any>).parameters.map((p: { name: string }) => p.name)).toContain("fieldValidation");
    }
  });

  test("the review kinds are create-only", () => {
    const authz = buildGroupVersionDocument(
      "authorization.k8s.io",
      "v1",
      defs.filter((d) => d.group === "authorization.k8s.io"),
    );
    expect(Object.keys(authz.paths).sort()).toEqual([
      "/apis/authorization.k8s.io/v1/namespaces/{namespace}/localsubjectaccessreviews",
      "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
      "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
      "/apis/authorization.k8s.io/v1/subjectaccessreviews",
    ]);
    expect(
      (authz.paths["/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"].post as Record<string, unknown>)
        .operationId,
    ).toBe("createAuthorizationV1SelfSubjectAccessReview");
  });

  test("components.schemas: the kinds with a group-version-kind array, and everything they reference", () => {
    const cm = core.components.schemas["io.k8s.api.core.v1.ConfigMap"];
    expect(cm["x-kubernetes-group-version-kind"]).toEqual([{ group: "", kind: "ConfigMap", version: "v1" }]);
    expect(core.components.schemas["io.k8s.api.core.v1.ConfigMapList"]["x-kubernetes-group-version-kind"]).toEqual([
      { group: "", kind: "ConfigMapList", version: "v1" },
    ]);
    for (const r of refsIn(core)) expect(core.components.schemas[r.slice(SCHEMA_REF_PREFIX.length)]).toBeDefined();
    // Only what this group-version reaches: no RBAC or CRD types in api/v1.
    expect(core.components.schemas["io.k8s.api.rbac.v1.Role"]).toBeUndefined();
    expect(core.components.schemas[`${META}ObjectMeta`]).toBeDefined();
  });
});
