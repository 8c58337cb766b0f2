// The OpenAPI v3 document of one group-version (`/openapi/v3/apis/<g>/<v>`), generated from the
// resources a logical cluster serves there: an operation per verb and path, each PATCH carrying
// `x-kubernetes-group-version-kind` and an inline `fieldValidation` parameter (what kubectl checks
// before trusting the server to validate), and components.schemas holding every kind's schema and
// everything it references (what `kubectl explain` and strategic merge patch read).

import type { ResourceDef, SubresourceDef } from "../../apis/types.ts";
import { KUBE_GIT_VERSION } from "../../version.ts";
import { BUILTIN_SCHEMAS, builtinSchemaName } from "../../apis/builtin/schemas/index.ts";
import { customResourceSchemaName, customResourceSchemas } from "./custom-resource-schemas.ts";
import {
  DELETE_PARAMS,
  LIST_PARAMS,
  nameParam,
  type Parameter,
  PARAMS,
  PATCH_PARAMS,
  WRITE_PARAMS,
} from "./parameters.ts";
import { META, SCHEMA_REF_PREFIX, type Schema, schemaRef } from "../../apis/schema-builders.ts";
import { capabilitiesOf } from "../../apis/capabilities.ts";

export interface OpenAPIV3Document {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, Schema>; securitySchemes: Record<string, unknown> };
}

interface GVK {
  group: string;
  version: string;
  kind: string;
}

/** `apis/<g>/<v>` or `api/v1`: the index key and URL suffix of a group-version's document. */
export function groupVersionPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

function camel(group: string): string {
  if (!group) return "core";
  const parts = group
    .replace(/\.k8s\.io$/, "")
    .split(/[.-]/)
    .filter((p) => p !== "");
  return parts.map((p, i) => (i === 0 ? p : p[0].toUpperCase() + p.slice(1))).join("");
}

function upperFirst(s: string): string {
  return s ? s[0].toUpperCase() + s.slice(1) : s;
}

const JSON_YAML = ["application/json", "application/yaml"];
const LIST_TYPES = ["application/json", "application/yaml", "application/json;stream=watch"];

function content(types: string[], schema: Schema): Record<string, { schema: Schema }> {
  return Object.fromEntries(types.map((t) => [t, { schema }]));
}

function responses(codes: Record<string, string>, types: string[], schema: Schema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [code, description] of Object.entries(codes)) out[code] = { description, content: content(types, schema) };
  out["401"] = { description: "Unauthorized" };
  return out;
}

/** The schema names a kind is published under, and the schemas a CRD contributes. */
interface KindSchemas {
  kind: string | undefined;
  list: string | undefined;
  own: Record<string, Schema>;
}

function kindSchemas(def: ResourceDef): KindSchemas {
  if (capabilitiesOf(def).schema === "custom") {
    const name = customResourceSchemaName(def);
    return { kind: name, list: `${name}List`, own: customResourceSchemas(def) };
  }
  return {
    kind: builtinSchemaName(def.group, def.version, def.kind),
    list: builtinSchemaName(def.group, def.version, def.listKind),
    own: {},
  };
}

/** Adds the operations of one resource (and its subresources) to `paths`. */
class PathWriter {
  readonly paths: Record<string, Record<string, unknown>> = {};
  private readonly tag: string;
  private readonly idPrefix: string;

  constructor(
    private readonly group: string,
    private readonly version: string,
  ) {
    this.tag = `${camel(group)}_${version}`;
    this.idPrefix = `${upperFirst(camel(group))}${upperFirst(version)}`;
  }

  private base(): string {
    return `/${groupVersionPath(this.group, this.version)}`;
  }

  private put(path: string, method: string, op: Record<string, unknown>, pathParams: Parameter[]): void {
    const item = this.paths[path] ?? {};
    item[method] = op;
    item.parameters = [...pathParams, PARAMS.pretty];
    this.paths[path] = item;
  }

  private op(
    verb: string,
    id: string,
    description: string,
    action: string,
    gvk: GVK,
    rest: Record<string, unknown>,
  ): Record<string, unknown> {
    return {
      tags: [this.tag],
      description,
      operationId: `${verb}${this.idPrefix}${id}`,
      ...rest,
      "x-kubernetes-action": action,
      "x-kubernetes-group-version-kind": gvk,
    };
  }

  addResource(def: ResourceDef, schemas: KindSchemas, patchTypes: string[]): void {
    const kindRef = schemaRef(schemas.kind ?? `${META}Status`);
    const listRef = schemaRef(schemas.list ?? `${META}Status`);
    const statusRef = schemaRef(`${META}Status`);
    const gvk = { group: def.group, version: def.version, kind: def.kind };
    const ns = def.namespaced ? "Namespaced" : "";
    const nsPath = def.namespaced ? "/namespaces/{namespace}" : "";
    const nsParams = def.namespaced ? [PARAMS.namespace] : [];
    const collection = `${this.base()}${nsPath}/${def.plural}`;
    const item = `${collection}/{name}`;
    const itemParams = [nameParam(def.kind), ...nsParams];
    const verbs = new Set<string>(def.verbs);
    const K = def.kind;

    if (verbs.has("list")) {
      this.put(
        collection,
        "get",
        this.op("list", `${ns}${K}`, `list or watch objects of kind ${K}`, "list", gvk, {
          parameters: LIST_PARAMS,
          responses: responses({ "200": "OK" }, LIST_TYPES, listRef),
        }),
        nsParams,
      );
      if (def.namespaced) {
        this.put(
          `${this.base()}/${def.plural}`,
          "get",
          this.op("list", `${K}ForAllNamespaces`, `list or watch objects of kind ${K}`, "list", gvk, {
            responses: responses({ "200": "OK" }, LIST_TYPES, listRef),
          }),
          LIST_PARAMS,
        );
      }
    }
    if (verbs.has("create")) {
      this.put(
        collection,
        "post",
        this.op("create", `${ns}${K}`, `create ${article(K)} ${K}`, "post", gvk, {
          parameters: WRITE_PARAMS,
          requestBody: { content: { "*/*": { schema: kindRef } }, required: true },
          responses: responses({ "200": "OK", "201": "Created", "202": "Accepted" }, JSON_YAML, kindRef),
        }),
        nsParams,
      );
    }
    if (verbs.has("deletecollection")) {
      this.put(
        collection,
        "delete",
        this.op("delete", `Collection${ns}${K}`, `delete collection of ${K}`, "deletecollection", gvk, {
          parameters: [
            ...LIST_PARAMS.filter((p) => p.name !== "allowWatchBookmarks" && p.name !== "watch"),
            ...DELETE_PARAMS,
          ].sort(byName),
          requestBody: { content: { "*/*": { schema: schemaRef(`${META}DeleteOptions`) } } },
          responses: responses({ "200": "OK" }, JSON_YAML, statusRef),
        }),
        nsParams,
      );
    }
    if (verbs.has("get")) {
      this.put(
        item,
        "get",
        this.op("read", `${ns}${K}`, `read the specified ${K}`, "get", gvk, {
          responses: responses({ "200": "OK" }, JSON_YAML, kindRef),
        }),
        itemParams,
      );
    }
    if (verbs.has("update")) {
      this.put(
        item,
        "put",
        this.op("replace", `${ns}${K}`, `replace the specified ${K}`, "put", gvk, {
          parameters: WRITE_PARAMS,
          requestBody: { content: { "*/*": { schema: kindRef } }, required: true },
          responses: responses({ "200": "OK", "201": "Created" }, JSON_YAML, kindRef),
        }),
        itemParams,
      );
    }
    if (verbs.has("patch")) {
      this.put(
        item,
        "patch",
        this.op("patch", `${ns}${K}`, `partially update the specified ${K}`, "patch", gvk, {
          parameters: PATCH_PARAMS,
          requestBody: { content: content(patchTypes, schemaRef(`${META}Patch`)), required: true },
          responses: responses({ "200": "OK", "201": "Created" }, JSON_YAML, kindRef),
        }),
        itemParams,
      );
    }
    if (verbs.has("delete")) {
      this.put(
        item,
        "delete",
        this.op("delete", `${ns}${K}`, `delete ${article(K)} ${K}`, "delete", gvk, {
          parameters: DELETE_PARAMS,
          requestBody: { content: { "*/*": { schema: schemaRef(`${META}DeleteOptions`) } } },
          responses: responses({ "200": "OK", "202": "Accepted" }, JSON_YAML, statusRef),
        }),
        itemParams,
      );
    }
    if (verbs.has("watch")) {
      const watchRef = schemaRef(`${META}WatchEvent`);
      const watchResponses = responses({ "200": "OK" }, LIST_TYPES, watchRef);
      const deprecated = "deprecated: use the 'watch' parameter with a list operation instead";
      const watchBase = `${this.base()}/watch${nsPath}/${def.plural}`;
      this.put(
        watchBase,
        "get",
        this.op(
          "watch",
          `${ns}${K}List`,
          `watch individual changes to a list of ${K}. ${deprecated}.`,
          "watchlist",
          gvk,
          { responses: watchResponses },
        ),
        [...LIST_PARAMS, ...nsParams].sort(byName),
      );
      this.put(
        `${watchBase}/{name}`,
        "get",
        this.op(
          "watch",
          `${ns}${K}`,
          `watch changes to an object of kind ${K}. ${deprecated}, filtered to a single item with the 'fieldSelector' parameter.`,
          "watch",
          gvk,
          { responses: watchResponses },
        ),
        [...LIST_PARAMS, ...itemParams].sort(byName),
      );
      if (def.namespaced) {
        this.put(
          `${this.base()}/watch/${def.plural}`,
          "get",
          this.op(
            "watch",
            `${K}ListForAllNamespaces`,
            `watch individual changes to a list of ${K}. ${deprecated}.`,
            "watchlist",
            gvk,
            { responses: watchResponses },
          ),
          LIST_PARAMS,
        );
      }
    }
  }

  addSubresource(def: ResourceDef, sub: SubresourceDef, schemaName: string | undefined, patchTypes: string[]): void {
    const gvk = { group: sub.group ?? def.group, version: sub.version ?? def.version, kind: sub.kind ?? def.kind };
    const ref = schemaRef(schemaName ?? `${META}Status`);
    const ns = def.namespaced ? "Namespaced" : "";
    const nsPath = def.namespaced ? "/namespaces/{namespace}" : "";
    const path = `${this.base()}${nsPath}/${def.plural}/{name}/${sub.name}`;
    const params = [
      { ...nameParam(gvk.kind), description: `name of the ${gvk.kind}` },
      ...(def.namespaced ? [PARAMS.namespace] : []),
    ];
    const id = `${ns}${def.kind}${upperFirst(sub.name)}`;
    const what = `${sub.name} of the specified ${def.kind}`;
    for (const verb of sub.verbs) {
      if (verb === "get")
        this.put(
          path,
          "get",
          this.op("read", id, `read ${what}`, "get", gvk, { responses: responses({ "200": "OK" }, JSON_YAML, ref) }),
          params,
        );
      if (verb === "update") {
        this.put(
          path,
          "put",
          this.op("replace", id, `replace ${what}`, "put", gvk, {
            parameters: WRITE_PARAMS,
            requestBody: { content: { "*/*": { schema: ref } }, required: true },
            responses: responses({ "200": "OK", "201": "Created" }, JSON_YAML, ref),
          }),
          params,
        );
      }
      if (verb === "patch") {
        this.put(
          path,
          "patch",
          this.op("patch", id, `partially update ${what}`, "patch", gvk, {
            parameters: PATCH_PARAMS,
            requestBody: { content: content(patchTypes, schemaRef(`${META}Patch`)), required: true },
            responses: responses({ "200": "OK", "201": "Created" }, JSON_YAML, ref),
          }),
          params,
        );
      }
      if (verb === "create") {
        this.put(
          path,
          "post",
          this.op("create", id, `create ${sub.name} of ${article(def.kind)} ${def.kind}`, "post", gvk, {
            parameters: WRITE_PARAMS,
            requestBody: { content: { "*/*": { schema: ref } }, required: true },
            responses: responses({ "200": "OK", "201": "Created", "202": "Accepted" }, JSON_YAML, ref),
          }),
          params,
        );
      }
    }
  }
}

function article(word: string): string {
  return /^[AEIOU]/.test(word) ? "an" : "a";
}

function byName(a: Parameter, b: Parameter): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** JSON Patch, merge patch and apply for every kind; strategic merge patch only for built-ins. */
export function patchContentTypes(def: ResourceDef): string[] {
  const types = ["application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json"];
  if (capabilitiesOf(def).strategicMergePatch) types.push("application/strategic-merge-patch+json");
  return types;
}

/** Every schema name `roots` reach through `$ref`s, looked up in `lookup`. */
function closure(roots: Iterable<string>, lookup: (name: string) => Schema | undefined): Map<string, Schema> {
  const out = new Map<string, Schema>();
  const pending = [...roots];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) for (const x of v) visit(x);
    else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        if (k === "$ref" && typeof x === "string" && x.startsWith(SCHEMA_REF_PREFIX))
          pending.push(x.slice(SCHEMA_REF_PREFIX.length));
        else visit(x);
      }
    }
  };
  while (pending.length > 0) {
    const name = pending.pop() as string;
    if (out.has(name)) continue;
    const schema = lookup(name);
    if (!schema) continue;
    out.set(name, schema);
    visit(schema);
  }
  return out;
}

/** A built-in schema as published: kinds and lists get their group-version-kind. */
function tagged(name: string, schema: Schema, kinds: Map<string, GVK[]>): Schema {
  const gvks = kinds.get(name);
  if (!gvks) return schema;
  return {
    ...schema,
    "x-kubernetes-group-version-kind": gvks.map((g) => ({ group: g.group, kind: g.kind, version: g.version })),
  };
}

/** Build the document of `group`/`version` from the resources served there. */
export function buildGroupVersionDocument(
  group: string,
  version: string,
  defs: readonly ResourceDef[],
): OpenAPIV3Document {
  const writer = new PathWriter(group, version);
  const own: Record<string, Schema> = {};
  const kinds = new Map<string, GVK[]>();
  const tag = (name: string | undefined, gvk: GVK) => {
    if (!name) return;
    const list = kinds.get(name) ?? [];
    if (!list.some((g) => g.group === gvk.group && g.version === gvk.version && g.kind === gvk.kind)) list.push(gvk);
    kinds.set(name, list);
  };
  const roots = new Set<string>([`${META}Status`, `${META}DeleteOptions`, `${META}WatchEvent`, `${META}Patch`]);
  tag(`${META}Status`, { group: "", version: "v1", kind: "Status" });
  tag(`${META}DeleteOptions`, { group, version, kind: "DeleteOptions" });
  tag(`${META}WatchEvent`, { group, version, kind: "WatchEvent" });

  for (const def of defs) {
    const schemas = kindSchemas(def);
    Object.assign(own, schemas.own);
    if (capabilitiesOf(def).schema === "builtin") {
      tag(schemas.kind, { group: def.group, version: def.version, kind: def.kind });
      tag(schemas.list, { group: def.group, version: def.version, kind: def.listKind });
    }
    for (const n of [schemas.kind, schemas.list]) if (n) roots.add(n);
    const patchTypes = patchContentTypes(def);
    writer.addResource(def, schemas, patchTypes);
    for (const sub of def.subresources) {
      const subGroup = sub.group ?? def.group;
      const subVersion = sub.version ?? def.version;
      let name = schemas.kind;
      if (sub.kind && sub.kind !== def.kind) {
        name = builtinSchemaName(subGroup, subVersion, sub.kind);
        tag(name, { group: subGroup, version: subVersion, kind: sub.kind });
      }
      if (name) roots.add(name);
      writer.addSubresource(def, sub, name, patchTypes);
    }
  }

  const found = closure(roots, (n) => own[n] ?? BUILTIN_SCHEMAS[n]);
  const schemas: Record<string, Schema> = {};
  for (const name of [...found.keys()].sort())
    schemas[name] = own[name] ?? tagged(name, found.get(name) as Schema, kinds);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const p of Object.keys(writer.paths).sort()) paths[p] = writer.paths[p];
  return {
    openapi: "3.0.0",
    info: { title: "Kubernetes", version: KUBE_GIT_VERSION },
    paths,
    components: {
      schemas,
      securitySchemes: {
        BearerToken: {
          type: "apiKey",
          description: "Bearer Token authentication",
          name: "authorization",
          in: "header",
        },
      },
    },
  };
}
