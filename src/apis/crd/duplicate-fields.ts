// Duplicate keys in a JSON body, which JSON.parse silently collapses (the last one wins, as in Go).
// kube's strict decoding reports them as `duplicate field "spec.a"`. The request body reader
// records them for the parsed object; the custom resource strategy reports them per fieldValidation.

const recorded = new WeakMap<object, string[]>();

/** An open container while scanning: where it sits in its parent, and for objects the keys seen. */
interface Frame {
  parent: Frame | undefined;
  /** The key (parent an object) or index (parent an array) this container has in its parent. */
  at: string | number | undefined;
  keys?: Set<string>;
  key?: string;
  index: number;
}

/** The dotted path of a container, built only when a duplicate is reported. */
function framePath(frame: Frame | undefined): string {
  if (!frame?.parent) return "";
  const parent = framePath(frame.parent);
  if (typeof frame.at === "number") return `${parent}[${frame.at}]`;
  const k = frame.at ?? "";
  return parent ? `${parent}.${k}` : k;
}

const QUOTE = 34;
const BACKSLASH = 92;

/** The quote closing the string opened at `open`: the next one not escaped (an odd run of backslashes before it); -1 if none. */
function closingQuote(text: string, open: number): number {
  let j = text.indexOf('"', open + 1);
  while (j !== -1) {
    let b = 0;
    while (text.charCodeAt(j - 1 - b) === BACKSLASH) b++;
    if (b % 2 === 0) return j;
    j = text.indexOf('"', j + 1);
  }
  return -1;
}

/** Paths of duplicated keys in well-formed JSON text, in order of appearance. */
export function findDuplicateFields(text: string): string[] {
  const dups: string[] = [];
  let top: Frame | undefined;
  let expectKey = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 123 /* { */ || c === 91 /* [ */) {
      const at = top === undefined ? undefined : top.keys ? (top.key ?? "") : top.index;
      top = { parent: top, at, index: 0, keys: c === 123 ? new Set() : undefined };
      expectKey = c === 123;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      top = top?.parent;
      expectKey = false;
    } else if (c === 44 /* , */) {
      if (top?.keys) expectKey = true;
      else if (top) top.index++;
    } else if (c === QUOTE) {
      let j = closingQuote(text, i);
      if (j === -1) j = n;
      if (expectKey) {
        const raw = text.slice(i + 1, j);
        let k = raw;
        if (raw.includes("\\")) {
          try {
            k = JSON.parse(`"${raw}"`);
          } catch {
            k = raw;
          }
        }
        if (top?.keys) {
          if (top.keys.has(k)) {
            const path = framePath(top);
            dups.push(path ? `${path}.${k}` : k);
          }
          top.keys.add(k);
          top.key = k;
        }
        expectKey = false;
      }
      i = j;
    }
  }
  return dups;
}

/** How many object keys well-formed JSON text holds, duplicates included (no allocation). */
function countKeys(text: string): number {
  let keys = 0;
  const n = text.length;
  for (let i = text.indexOf('"'); i !== -1 && i < n; i = text.indexOf('"', i + 1)) {
    const j = closingQuote(text, i);
    if (j === -1) break;
    let k = j + 1;
    let c = text.charCodeAt(k);
    while (c === 32 || c === 9 || c === 10 || c === 13) c = text.charCodeAt(++k);
    if (c === 58 /* : */) keys++;
    i = j;
  }
  return keys;
}

/** How many keys the objects of a parsed value hold (JSON.parse keeps one per distinct name). */
function countParsedKeys(v: unknown): number {
  if (typeof v !== "object" || v === null) return 0;
  let keys = 0;
  if (Array.isArray(v)) {
    for (const item of v) keys += countParsedKeys(item);
    return keys;
  }
  for (const k in v) {
    keys++;
    keys += countParsedKeys((v as Record<string, unknown>)[k]);
  }
  return keys;
}

/**
 * The duplicated keys of the text `doc` was parsed from. Counting the keys on both sides shows
 * whether there are any without building anything; only then is the text scanned for them.
 */
export function duplicateFieldsIn(doc: unknown, text: string): string[] {
  if (typeof doc !== "object" || doc === null) return [];
  let parsedKeys: number;
  try {
    parsedKeys = countParsedKeys(doc);
  } catch {
    parsedKeys = -1; // nested too deep to count by recursion: scan for the paths
  }
  if (countKeys(text) === parsedKeys) return [];
  return findDuplicateFields(text);
}

/** Remember the duplicates of the text `doc` was parsed from (duplicateFieldsIn). */
export function recordDuplicateFields(doc: unknown, text: string): void {
  rememberDuplicateFields(doc, duplicateFieldsIn(doc, text));
}

/** Remember duplicates found elsewhere (the offload worker parsed the text). */
export function rememberDuplicateFields(doc: unknown, dups: string[]): void {
  if (typeof doc === "object" && doc !== null && dups.length > 0) recorded.set(doc, dups);
}

export function duplicateFieldsOf(obj: object): string[] {
  return recorded.get(obj) ?? [];
}
