// A set of field paths kept as a trie, with structured-merge-diff's set algebra and the fieldsV1
// encoding managedFields uses: a JSON object whose keys are serialized path elements; `{}` marks
// a path in the set, a non-empty object its children, and `".": {}` among the children says the
// path itself is in the set too. Keys are written in structured-merge-diff's order.

import { SchemaNode } from "../schema-node.ts";
import {
  comparePathElements,
  type Path,
  type PathElement,
  parsePathElement,
  serializePathElement,
} from "./path-element.ts";

export class FieldSet {
  /** Paths of one element that are in the set, by serialized element. */
  private readonly members = new Map<string, PathElement>();
  /** Longer paths, by their first element. */
  private readonly children = new Map<string, { pe: PathElement; set: FieldSet }>();

  static of(...paths: Path[]): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  insert(path: Path): void {
    if (path.length === 0) return;
    const [first, ...rest] = path as [PathElement, ...PathElement[]];
    const k = serializePathElement(first);
    if (rest.length === 0) {
      this.members.set(k, first);
      return;
    }
    let child = this.children.get(k);
    if (!child) {
      child = { pe: first, set: new FieldSet() };
      this.children.set(k, child);
    }
    child.set.insert(rest);
  }

  has(path: Path): boolean {
    if (path.length === 0) return false;
    const [first, ...rest] = path as [PathElement, ...PathElement[]];
    const k = serializePathElement(first);
    if (rest.length === 0) return this.members.has(k);
    return this.children.get(k)?.set.has(rest) ?? false;
  }

  /** Whether the one-element path of serialized element `key` is in the set. */
  hasMemberKey(key: string): boolean {
    return this.members.has(key);
  }

  /** The paths under the element serialized as `key`, or undefined when there are none. */
  childKey(key: string): FieldSet | undefined {
    return this.children.get(key)?.set;
  }

  hasMember(pe: PathElement): boolean {
    return this.members.has(serializePathElement(pe));
  }

  /** The paths under `pe`, without it (an empty set when there are none). */
  withPrefix(pe: PathElement): FieldSet {
    return this.children.get(serializePathElement(pe))?.set ?? EMPTY;
  }

  isEmpty(): boolean {
    if (this.members.size > 0) return false;
    for (const c of this.children.values()) if (!c.set.isEmpty()) return false;
    return true;
  }

  clone(): FieldSet {
    return this.union(EMPTY);
  }

  union(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [k, pe] of this.members) out.members.set(k, pe);
    for (const [k, pe] of other.members) out.members.set(k, pe);
    for (const [k, c] of this.children)
      out.children.set(k, { pe: c.pe, set: c.set.union(other.children.get(k)?.set ?? EMPTY) });
    for (const [k, c] of other.children)
      if (!out.children.has(k)) out.children.set(k, { pe: c.pe, set: c.set.union(EMPTY) });
    return out.pruned();
  }

  intersection(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [k, pe] of this.members) if (other.members.has(k)) out.members.set(k, pe);
    for (const [k, c] of this.children) {
      const o = other.children.get(k);
      if (o) out.children.set(k, { pe: c.pe, set: c.set.intersection(o.set) });
    }
    return out.pruned();
  }

  /** Paths of this set that `other` lacks; children are compared path by path. */
  difference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [k, pe] of this.members) if (!other.members.has(k)) out.members.set(k, pe);
    for (const [k, c] of this.children)
      out.children.set(k, { pe: c.pe, set: c.set.difference(other.children.get(k)?.set ?? EMPTY) });
    return out.pruned();
  }

  /** Like difference, but a path of `other` also removes everything below it. */
  recursiveDifference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [k, pe] of this.members) if (!other.members.has(k)) out.members.set(k, pe);
    for (const [k, c] of this.children) {
      if (other.members.has(k)) continue;
      out.children.set(k, { pe: c.pe, set: c.set.recursiveDifference(other.children.get(k)?.set ?? EMPTY) });
    }
    return out.pruned();
  }

  /**
   * This set plus every named struct field that has paths below it, so that removing the set's
   * paths from an object also removes fields they leave empty (structured-merge-diff's
   * EnsureNamedFieldsAreMembers).
   */
  withNamedFields(schema: SchemaNode): FieldSet {
    const out = new FieldSet();
    for (const [k, pe] of this.members) out.members.set(k, pe);
    for (const [k, c] of this.children) {
      const sub = "field" in c.pe ? (schema.field(c.pe.field) ?? SchemaNode.untyped()) : schema.items();
      const set = c.set.withNamedFields(sub);
      out.children.set(k, { pe: c.pe, set });
      if ("field" in c.pe && schema.declares(c.pe.field) && !set.isEmpty()) out.members.set(k, c.pe);
    }
    return out.pruned();
  }

  /** Every path in the set: at each level the members first, then the children's, in order. */
  paths(prefix: PathElement[] = []): PathElement[][] {
    const out: PathElement[][] = [];
    for (const pe of sortedElements(this.members)) out.push([...prefix, pe]);
    for (const c of sortedChildren(this.children)) out.push(...c.set.paths([...prefix, c.pe]));
    return out;
  }

  /** The fieldsV1 JSON of the set. */
  toFieldsV1(): Record<string, unknown> {
    return this.emit(false);
  }

  private emit(includeSelf: boolean): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (includeSelf) out["."] = {};
    const entries: { pe: PathElement; member: boolean; child?: FieldSet }[] = [];
    for (const [k, pe] of this.members) entries.push({ pe, member: true, child: this.children.get(k)?.set });
    for (const [k, c] of this.children)
      if (!this.members.has(k)) entries.push({ pe: c.pe, member: false, child: c.set });
    entries.sort((a, b) => comparePathElements(a.pe, b.pe));
    for (const e of entries) {
      const child = e.child && !e.child.isEmpty() ? e.child : undefined;
      out[serializePathElement(e.pe)] = child ? child.emit(e.member) : {};
    }
    return out;
  }

  /** Parse fieldsV1 JSON; throws Error on malformed input. */
  static fromFieldsV1(v: unknown): FieldSet {
    const out = new FieldSet();
    if (v === undefined || v === null) return out;
    if (typeof v !== "object" || Array.isArray(v)) throw new Error("expected an object");
    for (const [k, sub] of Object.entries(v as Record<string, unknown>)) {
      if (k === ".") continue;
      const pe = parsePathElement(k);
      const ks = serializePathElement(pe);
      if (sub === null || typeof sub !== "object" || Array.isArray(sub)) throw new Error(`expected an object for ${k}`);
      const entries = Object.keys(sub as object);
      if (entries.length === 0) {
        out.members.set(ks, pe);
        continue;
      }
      if (entries.includes(".")) out.members.set(ks, pe);
      const child = FieldSet.fromFieldsV1(sub);
      if (!child.isEmpty()) out.children.set(ks, { pe, set: child });
    }
    return out;
  }

  /** Drop children whose sets came out empty. */
  private pruned(): FieldSet {
    for (const [k, c] of this.children) if (c.set.isEmpty()) this.children.delete(k);
    return this;
  }
}

const EMPTY = new FieldSet();

function sortedElements(m: Map<string, PathElement>): PathElement[] {
  return [...m.values()].sort(comparePathElements);
}

function sortedChildren(m: Map<string, { pe: PathElement; set: FieldSet }>): { pe: PathElement; set: FieldSet }[] {
  return [...m.values()].sort((a, b) => comparePathElements(a.pe, b.pe));
}
