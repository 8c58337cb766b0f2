// The models of a cluster's OpenAPI documents, indexed for the CRD puller: every schema by its
// definition name, and the name of each top-level kind by group/version/kind (kube marks those with
// `x-kubernetes-group-version-kind`). OpenAPI v2 keeps them in `definitions` and refers to them as
// `#/definitions/<name>`; v3 (one document per group-version) in `components.schemas`, referred to
// as `#/components/schemas/<name>`. Both are read into the same index, so the converter
// (openapi-to-structural.ts) does not care which version it got.

import { isObject } from "../../machinery/object.ts";

type Json = Record<string, unknown>;

export interface OpenAPIModels {
  /** Definition name (`io.k8s.api.apps.v1.Deployment`) → its schema, as the document has it. */
  readonly schemas: ReadonlyMap<string, Json>;
  /** `group/version/Kind` (group "" for the core group) → definition name. */
  readonly byGVK: ReadonlyMap<string, string>;
}

export function gvkKey(group: string, version: string, kind: string): string {
  return `${group}/${version}/${kind}`;
}

/** The definition name a `$ref` points to (`#/definitions/X`, `#/components/schemas/X`), or undefined. */
export function refName(ref: unknown): string | undefined {
  if (typeof ref !== "string") return undefined;
  for (const prefix of ["#/definitions/", "#/components/schemas/"]) {
    if (ref.startsWith(prefix)) {
      // A JSON pointer segment: ~1 is "/", ~0 is "~".
      return ref.slice(prefix.length).replaceAll("~1", "/").replaceAll("~0", "~");
    }
  }
  return undefined;
}

/** Indexes an OpenAPI v2 document (`/openapi/v2`). */
export function modelsFromV2(doc: unknown): OpenAPIModels {
  return index([isObject(doc) && isObject(doc.definitions) ? doc.definitions : {}]);
}

/** Indexes OpenAPI v3 group-version documents (`/openapi/v3/apis/<group>/<version>`); the first to name a schema wins. */
export function modelsFromV3(docs: unknown[]): OpenAPIModels {
  return index(
    docs.map((d) =>
      isObject(d) && isObject(d.components) && isObject(d.components.schemas) ? d.components.schemas : {},
    ),
  );
}

function index(tables: Json[]): OpenAPIModels {
  const schemas = new Map<string, Json>();
  for (const table of tables) {
    for (const [name, schema] of Object.entries(table)) {
      if (isObject(schema) && !schemas.has(name)) schemas.set(name, schema);
    }
  }
  // Names in order, so that when two definitions claim one kind (kube 1.1x kept deprecated copies
  // under io.k8s.kubernetes.pkg.api.*) the same one wins on every read.
  const byGVK = new Map<string, string>();
  for (const name of [...schemas.keys()].sort()) {
    const gvks = (schemas.get(name) as Json)["x-kubernetes-group-version-kind"];
    if (!Array.isArray(gvks)) continue;
    for (const g of gvks) {
      if (!isObject(g) || typeof g.version !== "string" || typeof g.kind !== "string") continue;
      const key = gvkKey(typeof g.group === "string" ? g.group : "", g.version, g.kind);
      if (!byGVK.has(key)) byGVK.set(key, name);
    }
  }
  return { schemas, byGVK };
}
