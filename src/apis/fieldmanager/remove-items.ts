// Remove the paths of a field set from a value (structured-merge-diff's RemoveItems): a path in
// the set goes with everything below it; a path with only descendants in the set is entered.

import { setOwn } from "../../machinery/object.ts";
import { SchemaNode } from "../schema-node.ts";
import type { FieldSet } from "./field-set.ts";
import { listItemElement } from "./list-item-element.ts";
import { isGranularList, isGranularMap } from "./typed-shape.ts";

export function removeItems(value: unknown, set: FieldSet, node: SchemaNode): unknown {
  if (set.isEmpty()) return value;
  if (isGranularMap(value, node)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const pe = { field: k };
      if (set.hasMember(pe)) continue;
      const sub = set.withPrefix(pe);
      setOwn(out, k, sub.isEmpty() ? v : removeItems(v, sub, node.field(k) ?? SchemaNode.untyped()));
    }
    return out;
  }
  if (isGranularList(value, node)) {
    const items = node.items();
    const out: unknown[] = [];
    value.forEach((item, i) => {
      const pe = listItemElement(node, item, i);
      if (set.hasMember(pe)) return;
      const sub = set.withPrefix(pe);
      out.push(sub.isEmpty() ? item : removeItems(item, sub, items));
    });
    return out;
  }
  return value;
}
