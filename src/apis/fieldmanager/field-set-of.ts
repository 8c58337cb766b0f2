// The set of fields a value sets (structured-merge-diff's ToFieldSet): every leaf, every item of a
// granular list, every map key that is not a declared struct field, and fields set to null or {}.
// A field a struct does not declare (and does not accept) is an error, as for kube's typed
// conversion of an apply configuration.

import type { SchemaNode } from "../schema-node.ts";
import { FieldSet } from "./field-set.ts";
import { listItemElement, TypedValueError } from "./list-item-element.ts";
import { displayPath, type PathElement } from "./path-element.ts";
import { isGranularList, isGranularMap } from "./typed-shape.ts";
import { isObject } from "../../machinery/object.ts";

export function fieldSetOf(value: unknown, node: SchemaNode): FieldSet {
  const out = new FieldSet();
  walk(value, node, [], out, true);
  return out;
}

function walk(value: unknown, node: SchemaNode, path: PathElement[], out: FieldSet, root: boolean): void {
  if (isGranularList(value, node)) {
    const items = node.items();
    value.forEach((item, i) => {
      let pe: PathElement;
      try {
        pe = listItemElement(node, item, i);
      } catch (e) {
        if (e instanceof TypedValueError) throw new TypedValueError(`${displayPath(path)}: element ${i}: ${e.message}`);
        throw e;
      }
      const p = [...path, pe];
      walk(item, items, p, out, false);
      out.insert(p);
    });
    return;
  }
  if (isGranularMap(value, node)) {
    for (const [k, v] of Object.entries(value)) {
      const p: PathElement[] = [...path, { field: k }];
      const sub = node.field(k);
      if (!sub) throw new TypedValueError(`${displayPath(p)}: field not declared in schema`);
      walk(v, sub, p, out, false);
      if (v === null || (isObject(v) && Object.keys(v).length === 0) || !node.declares(k)) out.insert(p);
    }
    return;
  }
  // A leaf: a scalar, an atomic list or map, or a value that does not fit its schema. Nulls are
  // inserted by their parent map.
  if (!root && value !== null) out.insert(path);
}
