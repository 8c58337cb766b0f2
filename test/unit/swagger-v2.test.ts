import { describe, expect, test } from "bun:test";
import { builtinResources } from "../../src/apis/builtin/index.ts";
import { buildGroupVersionDocument } from "../../src/server/openapi/group-version-document.ts";
import { buildSwaggerDocument, toV2Schema } from "../../src/server/openapi/swagger-v2.ts";
import { encodeSwaggerProtobuf } from "../../src/server/openapi/swagger-v2-protobuf.ts";

/** A tiny protobuf reader: field number → the values of that field (varints, bytes, doubles). */
type Fields = Map<number, (number | Uint8Array)[]>;

function decode(buf: Uint8Array): Fields {
  const out: Fields = new Map();
  let pos = 0;
  const varint = () => {
    let result = 0;
    let mul = 1;
    for (;;) {
      const b = buf[pos++];
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
  };
  while (pos < buf.length) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    let value: number | Uint8Array;
    if (wire === 0) value = varint();
    else if (wire === 1) {
      value = new DataView(buf.buffer, buf.byteOffset + pos, 8).getFloat64(0, true);
      pos += 8;
    } else if (wire === 2) {
      const len = varint();
      value = buf.subarray(pos, pos + len);
      pos += len;
    } else throw new Error(`unexpected wire type ${wire}`);
    const list = out.get(field) ?? [];
    list.push(value);
    out.set(field, list);
  }
  return out;
}

const text = (v: number | Uint8Array | undefined) => new TextDecoder().decode(v as Uint8Array);
const msg = (f: Fields, n: number, i = 0) => decode((f.get(n) ?? [])[i] as Uint8Array);
const all = (f: Fields, n: number) => (f.get(n) ?? []).map((v) => decode(v as Uint8Array));
/** A `repeated Named*` field as a map from name (field 1) to value message (field 2). */
const named = (f: Fields, n: number) => new Map(all(f, n).map((e) => [text(e.get(1)?.[0]), msg(e, 2)]));

const defs = builtinResources({} as never);
const core = buildGroupVersionDocument(
  "",
  "v1",
  defs.filter((d) => d.group === ""),
);
const rbac = buildGroupVersionDocument(
  "rbac.authorization.k8s.io",
  "v1",
  defs.filter((d) => d.group === "rbac.authorization.k8s.io"),
);
const swagger = buildSwaggerDocument([core, rbac]);

describe("v3 schemas in v2 form", () => {
  test("allOf wrappers become references with their description; v3-only keywords go", () => {
    expect(toV2Schema({ description: "d", default: {}, allOf: [{ $ref: "#/components/schemas/X" }] })).toEqual({
      $ref: "#/definitions/X",
      description: "d",
    });
    expect(toV2Schema({ type: "string", oneOf: [{}], anyOf: [{}], not: {} })).toEqual({ type: "string" });
    // As kube's ToStructuralOpenAPIV2: nullable values are untyped, without fields or items, and never required.
    expect(toV2Schema({ type: "string", nullable: true })).toEqual({});
    expect(
      toV2Schema({
        type: "object",
        required: ["a", "b"],
        properties: { a: { type: "object", nullable: true, properties: { x: {} } }, b: { type: "string" } },
      }),
    ).toEqual({
      type: "object",
      required: ["b"],
      properties: { a: {}, b: { type: "string" } },
    });
  });

  test("values preserving unknown fields, objects whose value schema is `true`, and arrays without items become untyped", () => {
    expect(toV2Schema({ type: "object", "x-kubernetes-preserve-unknown-fields": true })).toEqual({
      "x-kubernetes-preserve-unknown-fields": true,
    });
    expect(
      toV2Schema({
        type: "object",
        "x-kubernetes-preserve-unknown-fields": true,
        properties: { a: { type: "string" } },
      }),
    ).toEqual({ "x-kubernetes-preserve-unknown-fields": true });
    // An object without properties keeps its type, as in kube's v2 (FieldsV1, RawExtension, CR fields).
    expect(toV2Schema({ description: "d", type: "object" })).toEqual({ description: "d", type: "object" });
    expect(toV2Schema({ type: "object", additionalProperties: true })).toEqual({});
    expect(toV2Schema({ type: "array" })).toEqual({});
    expect(toV2Schema({ type: "object", additionalProperties: { type: "string" } })).toEqual({
      type: "object",
      additionalProperties: { type: "string" },
    });
  });

  test("the merged document has every path and definition once", () => {
    expect(swagger.swagger).toBe("2.0");
    expect(swagger.paths["/api/v1/namespaces/{namespace}/configmaps/{name}"]).toBeDefined();
    expect(swagger.paths["/apis/rbac.authorization.k8s.io/v1/clusterroles"]).toBeDefined();
    const patch = swagger.paths["/api/v1/namespaces/{namespace}/configmaps/{name}"].patch as Record<string, any>;
    expect(patch.consumes).toContain("application/strategic-merge-patch+json");
    expect(patch.parameters[0]).toMatchObject({
      name: "body",
      in: "body",
      required: true,
      schema: { $ref: "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch" },
    });
    expect(patch.parameters.find((p: { name: string }) => p.name === "fieldValidation")).toMatchObject({
      in: "query",
      type: "string",
    });
    // DeleteOptions is published in both group-versions: its group-version-kinds are merged.
    const gvks = swagger.definitions["io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions"][
      "x-kubernetes-group-version-kind"
    ] as unknown[];
    expect(gvks).toHaveLength(2);
  });
});

describe("gnostic openapi_v2.Document protobuf", () => {
  const doc = decode(encodeSwaggerProtobuf(swagger));

  test("document and info", () => {
    expect(text(doc.get(1)?.[0])).toBe("2.0");
    const info = msg(doc, 2);
    expect(text(info.get(1)?.[0])).toBe("Kubernetes");
    expect(text(info.get(2)?.[0])).toMatch(/^v1\.\d+\.\d+$/);
  });

  test("a PATCH operation carries its group-version-kind as YAML and the fieldValidation query parameter", () => {
    const paths = named(msg(doc, 8), 2);
    const item = paths.get("/api/v1/namespaces/{namespace}/configmaps/{name}") as Fields;
    const patch = msg(item, 8);
    expect(text(patch.get(5)?.[0])).toBe("patchCoreV1NamespacedConfigMap");
    const ext = named(patch, 13);
    expect(JSON.parse(text(ext.get("x-kubernetes-group-version-kind")?.get(2)?.[0]))).toEqual({
      group: "",
      version: "v1",
      kind: "ConfigMap",
    });
    const params = all(patch, 8).map((p) => msg(p, 1));
    const body = msg(params[0], 1);
    expect(text(body.get(2)?.[0])).toBe("body");
    expect(text(msg(body, 5).get(1)?.[0])).toBe("#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch");
    const queries = params.slice(1).map((p) => msg(msg(p, 2), 3));
    const fv = queries.find((q) => text(q.get(4)?.[0]) === "fieldValidation") as Fields;
    expect(text(fv.get(2)?.[0])).toBe("query");
    expect(text(fv.get(6)?.[0])).toBe("string");
    // Path parameters sit on the path item (field 9) as path sub-schemas.
    const pathParams = all(item, 9)
      .map((p) => msg(msg(p, 1), 2))
      .filter((nb) => nb.has(4))
      .map((nb) => msg(nb, 4));
    expect(pathParams.map((p) => [text(p.get(4)?.[0]), text(p.get(2)?.[0]), p.get(1)?.[0]])).toEqual([
      ["name", "path", 1],
      ["namespace", "path", 1],
    ]);
  });

  test("definitions: types, descriptions, map values, references and vendor extensions", () => {
    const defs = named(msg(doc, 9), 1);
    const cm = defs.get("io.k8s.api.core.v1.ConfigMap") as Fields;
    expect(text(cm.get(4)?.[0])).toBe("ConfigMap holds configuration data for pods to consume.");
    expect(text(msg(cm, 22).get(1)?.[0])).toBe("object");
    const gvk = named(cm, 31).get("x-kubernetes-group-version-kind") as Fields;
    expect(JSON.parse(text(gvk.get(2)?.[0]))).toEqual([{ group: "", kind: "ConfigMap", version: "v1" }]);
    const props = named(msg(cm, 25), 1);
    const data = props.get("data") as Fields;
    expect(text(data.get(4)?.[0])).toStartWith("Data contains the configuration data.");
    expect(text(msg(msg(msg(data, 21), 1), 22).get(1)?.[0])).toBe("string");
    const metadata = props.get("metadata") as Fields;
    expect(text(metadata.get(1)?.[0])).toBe("#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
    const owners = named(msg(defs.get("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta") as Fields, 25), 1).get(
      "ownerReferences",
    ) as Fields;
    expect(JSON.parse(text(named(owners, 31).get("x-kubernetes-patch-merge-key")?.get(2)?.[0]))).toBe("uid");
    expect(text(msg(msg(owners, 23), 1).get(1)?.[0])).toBe(
      "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference",
    );
  });
});
