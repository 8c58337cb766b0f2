// A kind's OpenAPI v3 schema seen as the typed tree that strategic merge patch and server-side
// apply walk: structs with declared fields, maps, lists (atomic, set, or map keyed by fields),
// scalars, and "untyped" values whose shape follows the data. `$ref`s (plain or wrapped in
// `allOf`) resolve against the built-in schema catalog, so a custom resource's `metadata` is the
// real ObjectMeta.

import { BUILTIN_SCHEMAS, schemaNameOfKind } from "./builtin/schemas/index.ts";
import type { ResourceDef } from "./types.ts";
import { isObject } from "../machinery/object.ts";

type Schema = Record<string, unknown>;

const REF_PREFIX = "#/components/schemas/";

export type NodeKind = "struct" | "map" | "list" | "scalar" | "untyped";
export type ListType = "atomic" | "set" | "map";

function refName(s: Schema): string | undefined {
  if (typeof s.$ref === "string") return s.$ref;
  const allOf = s.allOf;
  if (Array.isArray(allOf) && allOf.length === 1 && isObject(allOf[0]) && typeof allOf[0].$ref === "string")
    return allOf[0].$ref;
  return undefined;
}

/** Follow references: the referenced schema's keys, overridden by those written beside the reference. */
function resolve(site: Schema, lookup: (name: string) => Schema | undefined, depth = 0): Schema {
  const ref = refName(site);
  if (ref === undefined || depth > 16) return site;
  const target = ref.startsWith(REF_PREFIX) ? lookup(ref.slice(REF_PREFIX.length)) : undefined;
  const { $ref: _r, allOf: _a, ...own } = site;
  if (!target) return own;
  return { ...resolve(target, lookup, depth + 1), ...own };
}

function kindOf(s: Schema): NodeKind {
  if (s["x-kubernetes-int-or-string"] === true) return "scalar";
  const t = s.type;
  if (t === "string" || t === "integer" || t === "number" || t === "boolean") return "scalar";
  if (t === "array" || s.items !== undefined) return "list";
  if (isObject(s.properties)) return "struct";
  if (isObject(s.additionalProperties) || s.additionalProperties === true) return "map";
  return "untyped";
}

export class SchemaNode {
  readonly kind: NodeKind;
  private readonly s: Schema;
  // Child nodes, made on first use: a schema is immutable, and the same kind's tree is walked by
  // every write (field manager, strategic merge patch).
  private declaredCache?: Map<string, SchemaNode>;
  private restCache?: SchemaNode | null;
  private itemsCache?: SchemaNode;

  private constructor(
    site: Schema,
    private readonly lookup: (name: string) => Schema | undefined,
  ) {
    this.s = resolve(site, lookup);
    this.kind = kindOf(this.s);
  }

  static of(
    schema: Schema | undefined,
    lookup: (name: string) => Schema | undefined = (n) => BUILTIN_SCHEMAS[n],
  ): SchemaNode {
    return new SchemaNode(schema ?? {}, lookup);
  }

  /** The node of a value nothing is known about: its shape comes from the data. */
  static untyped(): SchemaNode {
    return UNTYPED;
  }

  /** Whether `name` is a declared property of a struct (a "named field", as opposed to a map key). */
  declares(name: string): boolean {
    return this.kind === "struct" && Object.hasOwn(this.s.properties as object, name);
  }

  /**
   * The schema of a member of a struct or map; undefined when a struct neither declares the field
   * nor accepts others (an unknown field).
   */
  field(name: string): SchemaNode | undefined {
    if (this.kind === "untyped") return UNTYPED;
    if (this.kind === "struct") {
      const props = this.s.properties as Record<string, unknown>;
      if (Object.hasOwn(props, name) && isObject(props[name])) {
        this.declaredCache ??= new Map();
        let node = this.declaredCache.get(name);
        if (!node) {
          node = new SchemaNode(props[name] as Schema, this.lookup);
          this.declaredCache.set(name, node);
        }
        return node;
      }
      return this.rest();
    }
    if (this.kind === "map") return this.rest();
    return undefined;
  }

  /** The schema of members a struct does not declare, or of a map's values. */
  private rest(): SchemaNode | undefined {
    if (this.restCache !== undefined) return this.restCache ?? undefined;
    const ap = this.s.additionalProperties;
    let node: SchemaNode | null = null;
    if (isObject(ap)) node = new SchemaNode(ap, this.lookup);
    else if (ap === true || this.s["x-kubernetes-preserve-unknown-fields"] === true) node = UNTYPED;
    this.restCache = node;
    return node ?? undefined;
  }

  /** The schema of a list's items. */
  items(): SchemaNode {
    if (this.kind === "list" && isObject(this.s.items)) {
      this.itemsCache ??= new SchemaNode(this.s.items as Schema, this.lookup);
      return this.itemsCache;
    }
    return UNTYPED;
  }

  /** `x-kubernetes-patch-strategy`, split on commas (e.g. ["merge", "retainKeys"]). */
  get patchStrategies(): string[] {
    const v = this.s["x-kubernetes-patch-strategy"];
    return typeof v === "string" && v !== "" ? v.split(",") : [];
  }

  get patchMergeKey(): string | undefined {
    const v = this.s["x-kubernetes-patch-merge-key"];
    return typeof v === "string" && v !== "" ? v : undefined;
  }

  /**
   * How server-side apply treats a list: `x-kubernetes-list-type` when given; otherwise, as kube's
   * schema conversion does, a `merge` patch strategy makes a map keyed by the merge key (a set
   * without one), and everything else is atomic.
   */
  get listType(): ListType {
    if (this.kind !== "list") return "atomic";
    const t = this.s["x-kubernetes-list-type"];
    if (t === "atomic" || t === "set" || t === "map") return t;
    if (this.patchStrategies.includes("merge")) return this.patchMergeKey ? "map" : "set";
    return "atomic";
  }

  /** The key fields of a map list. */
  get listMapKeys(): string[] {
    const keys = this.s["x-kubernetes-list-map-keys"];
    if (Array.isArray(keys) && this.s["x-kubernetes-list-type"] === "map")
      return keys.filter((k): k is string => typeof k === "string");
    const mk = this.patchMergeKey;
    return mk ? [mk] : [];
  }

  /** Structs and maps marked `x-kubernetes-map-type: atomic` are owned and replaced as a whole. */
  get atomicMap(): boolean {
    return this.s["x-kubernetes-map-type"] === "atomic";
  }

  /** The declared default of a struct's field (for map-list keys an item may omit). */
  defaultOf(name: string): unknown {
    const f = this.field(name);
    return f ? f.s.default : undefined;
  }
}

const UNTYPED = SchemaNode.of({});

/** The schema tree of a kind: its published OpenAPI schema, or the built-in catalog's entry. */
export function schemaNodeOf(def: ResourceDef): SchemaNode {
  if (def.openAPISchema) {
    // Resolved once per kind (per schema object: a CRD's new schema comes in a new definition).
    const cached = customNodes.get(def.openAPISchema);
    if (cached) return cached;
    const node = SchemaNode.of(def.openAPISchema);
    customNodes.set(def.openAPISchema, node);
    return node;
  }
  const name = schemaNameOfKind(def);
  if (!name) return SchemaNode.untyped();
  let node = builtinNodes.get(name);
  if (!node) {
    node = SchemaNode.of(BUILTIN_SCHEMAS[name]);
    builtinNodes.set(name, node);
  }
  return node;
}

const customNodes = new WeakMap<object, SchemaNode>();
const builtinNodes = new Map<string, SchemaNode>();
