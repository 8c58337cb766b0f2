// The path element that names an item of a list: its key fields in a map list (a key may be
// omitted when the schema gives it a default), its value in a set, its position otherwise.

import type { SchemaNode } from "../schema-node.ts";
import { keyElement, type PathElement } from "./path-element.ts";
import { isObject } from "../../machinery/object.ts";

/** A value that does not fit its schema (structured-merge-diff's validation errors). */
export class TypedValueError extends Error {}

export function listItemElement(list: SchemaNode, item: unknown, index: number): PathElement {
  const type = list.listType;
  if (type === "map") {
    const keys = list.listMapKeys;
    if (keys.length === 0) return { index };
    if (!isObject(item)) throw new TypedValueError("associative list with keys may not have non-map elements");
    const fields: [string, unknown][] = [];
    const items = list.items();
    for (const k of keys) {
      if (Object.hasOwn(item, k)) fields.push([k, item[k]]);
      else {
        const def = items.defaultOf(k);
        if (def === undefined)
          throw new TypedValueError(
            `associative list with keys has an element that omits key field ${JSON.stringify(k)} (and doesn't have default value)`,
          );
        fields.push([k, def]);
      }
    }
    return keyElement(fields);
  }
  if (type === "set") {
    if (isObject(item)) throw new TypedValueError("associative list without keys has an element that's a map type");
    if (Array.isArray(item))
      throw new TypedValueError("associative list without keys has an element that's a list type");
    return { value: item };
  }
  return { index };
}
