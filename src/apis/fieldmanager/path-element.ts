// One step of a field path, as structured-merge-diff names them: a struct field or map key
// (`f:name`), a map-list item by its key fields (`k:{"name":"a"}`), a set item by its value
// (`v:"a"`), or a list position (`i:0`). The serialized form is what metadata.managedFields'
// fieldsV1 uses as keys; `toDisplay` is how conflict messages print paths (`.data.a`,
// `[name="a"]`, `[="a"]`, `[0]`).

import { isObject } from "../../machinery/object.ts";

export type PathElement =
  | { readonly field: string }
  | { readonly key: readonly (readonly [string, unknown])[] }
  | { readonly value: unknown }
  | { readonly index: number };

export type Path = readonly PathElement[];

/** Go's encoding/json text of a string (HTML-safe, as the structured-merge-diff serializer writes it). */
function goString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (c < 0x20 || ch === "<" || ch === ">" || ch === "&" || c === 0x2028 || c === 0x2029)
      out += `\\u${c.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}

/** Go's JSON text of a decoded JSON value; object keys sorted, as Go marshals maps. */
export function goJSON(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "string") return goString(v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return `[${v.map(goJSON).join(",")}]`;
  if (isObject(v)) {
    return `{${Object.keys(v)
      .sort(compareStrings)
      .map((k) => `${goString(k)}:${goJSON(v[k])}`)
      .join(",")}}`;
  }
  return "null";
}

/** Go's strings.Compare: byte order of the UTF-8 encodings, which is code point order. */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  // UTF-16 unit order is code point order up to the first differing unit unless both units are
  // at or above the surrogates (0xD800), where a surrogate pair sorts after U+E000–U+FFFF.
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i === n) return a.length < b.length ? -1 : 1;
  const ca = a.charCodeAt(i);
  const cb = b.charCodeAt(i);
  if (ca < 0xd800 || cb < 0xd800) return ca < cb ? -1 : 1;
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done) return y.done ? 0 : -1;
    if (y.done) return 1;
    const cx = x.value.codePointAt(0) as number;
    const cy = y.value.codePointAt(0) as number;
    if (cx !== cy) return cx < cy ? -1 : 1;
  }
}

/** The total order of structured-merge-diff's value.Compare: numbers, strings, bools, lists, maps, null. */
export function compareValues(a: unknown, b: unknown): number {
  const rank = (v: unknown) =>
    typeof v === "number"
      ? Number.isInteger(v)
        ? 1
        : 0
      : typeof v === "string"
        ? 2
        : typeof v === "boolean"
          ? 3
          : Array.isArray(v)
            ? 4
            : isObject(v)
              ? 5
              : 6;
  const ra = rank(a);
  const rb = rank(b);
  if (typeof a === "number" && typeof b === "number") return a < b ? -1 : a > b ? 1 : 0;
  if (ra !== rb) return ra < rb ? -1 : 1;
  if (typeof a === "string") return compareStrings(a, b as string);
  if (typeof a === "boolean") return a === b ? 0 : a ? 1 : -1;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    for (let i = 0; i < Math.min(a.length, bb.length); i++) {
      const c = compareValues(a[i], bb[i]);
      if (c !== 0) return c;
    }
    return a.length - bb.length < 0 ? -1 : a.length === bb.length ? 0 : 1;
  }
  if (isObject(a)) {
    const bo = b as Record<string, unknown>;
    const ak = Object.keys(a).sort(compareStrings);
    const bk = Object.keys(bo).sort(compareStrings);
    for (let i = 0; i < Math.min(ak.length, bk.length); i++) {
      const c =
        compareStrings(ak[i] as string, bk[i] as string) || compareValues(a[ak[i] as string], bo[bk[i] as string]);
      if (c !== 0) return c;
    }
    return ak.length < bk.length ? -1 : ak.length === bk.length ? 0 : 1;
  }
  return 0;
}

/** Order of path elements: fields, then keys, then values, then indexes. */
export function comparePathElements(a: PathElement, b: PathElement): number {
  const rank = (p: PathElement) => ("field" in p ? 0 : "key" in p ? 1 : "value" in p ? 2 : 3);
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  if ("field" in a) return compareStrings(a.field, (b as { field: string }).field);
  if ("key" in a) {
    const bk = (b as { key: readonly (readonly [string, unknown])[] }).key;
    for (let i = 0; ; i++) {
      if (i >= a.key.length && i >= bk.length) return 0;
      if (i >= a.key.length) return -1;
      if (i >= bk.length) return 1;
      const [an, av] = a.key[i] as readonly [string, unknown];
      const [bn, bv] = bk[i] as readonly [string, unknown];
      const c = compareStrings(an, bn) || compareValues(av, bv);
      if (c !== 0) return c;
    }
  }
  if ("value" in a) return compareValues(a.value, (b as { value: unknown }).value);
  const bi = (b as { index: number }).index;
  return a.index < bi ? -1 : a.index > bi ? 1 : 0;
}

/** A key element with its fields in name order, as structured-merge-diff keeps them. */
export function keyElement(fields: [string, unknown][]): PathElement {
  return { key: [...fields].sort((x, y) => compareStrings(x[0], y[0])) };
}

/** The fieldsV1 form: `f:name`, `k:{"name":"a"}`, `v:"a"`, `i:0`. */
export function serializePathElement(pe: PathElement): string {
  if ("field" in pe) return `f:${pe.field}`;
  if ("key" in pe) return `k:{${pe.key.map(([n, v]) => `${goString(n)}:${goJSON(v)}`).join(",")}}`;
  if ("value" in pe) return `v:${goJSON(pe.value)}`;
  return `i:${pe.index}`;
}

/** Parse a fieldsV1 key back into a path element; throws on anything else. */
export function parsePathElement(s: string): PathElement {
  const kind = s.slice(0, 2);
  const rest = s.slice(2);
  switch (kind) {
    case "f:":
      return { field: rest };
    case "k:": {
      const m: unknown = JSON.parse(rest);
      if (!isObject(m)) throw new Error(`expected key value pairs but got ${rest}`);
      return keyElement(Object.entries(m));
    }
    case "v:":
      return { value: JSON.parse(rest) };
    case "i:": {
      if (!/^-?[0-9]+$/.test(rest)) throw new Error(`invalid index: ${rest}`);
      return { index: Number(rest) };
    }
    default:
      throw new Error(`unknown path element type: ${JSON.stringify(s)}`);
  }
}

/** Go's %v of a value in a path: strings quoted, the rest as written. */
function displayValue(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (v === null || v === undefined) return "null";
  if (typeof v === "object") return goJSON(v);
  return String(v);
}

/** How conflict messages print a path element. */
export function displayPathElement(pe: PathElement): string {
  if ("field" in pe) return `.${pe.field}`;
  if ("key" in pe) return `[${pe.key.map(([n, v]) => `${n}=${displayValue(v)}`).join(",")}]`;
  if ("value" in pe) return `[=${displayValue(pe.value)}]`;
  return `[${pe.index}]`;
}

export function displayPath(path: Path): string {
  return path.map(displayPathElement).join("");
}
