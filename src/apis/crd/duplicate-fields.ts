// Duplicate keys in a JSON body, which JSON.parse silently collapses (the last one wins, as in Go).
// kube's strict decoding reports them as `duplicate field "spec.a"`. The request body reader
// records them for the parsed object; the custom resource strategy reports them per fieldValidation.

const recorded = new WeakMap<object, string[]>();

/** Paths of duplicated keys in well-formed JSON text, in order of appearance. */
export function findDuplicateFields(text: string): string[] {
  const dups: string[] = [];
  // One frame per open container: its path, and for objects the keys seen and the pending key.
  const stack: { path: string; keys?: Set<string>; key?: string; index?: number }[] = [];
  const pathOf = (frame: { path: string }, k: string) => (frame.path ? `${frame.path}.${k}` : k);
  const childPath = (): string => {
    const top = stack[stack.length - 1];
    if (!top) return "";
    if (top.keys) return pathOf(top, top.key ?? "");
    return `${top.path}[${top.index ?? 0}]`;
  };
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "{") {
      stack.push({ path: childPath(), keys: new Set() });
      expectKey = true;
    } else if (c === "[") {
      stack.push({ path: childPath(), index: 0 });
      expectKey = false;
    } else if (c === "}" || c === "]") {
      stack.pop();
      expectKey = false;
    } else if (c === ",") {
      const top = stack[stack.length - 1];
      if (top?.keys) expectKey = true;
      else if (top) top.index = (top.index ?? 0) + 1;
    } else if (c === '"') {
      let j = i + 1;
      let s = "";
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === "\\") {
          s += text.slice(j, j + 2);
          j++;
        } else s += text[j];
      }
      if (expectKey) {
        const top = stack[stack.length - 1];
        let k: string;
        try {
          k = JSON.parse(`"${s}"`);
        } catch {
          k = s;
        }
        if (top?.keys) {
          if (top.keys.has(k)) dups.push(pathOf(top, k));
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

/** Remember the duplicates of the text `doc` was parsed from (one pass over the text). */
export function recordDuplicateFields(doc: unknown, text: string): void {
  if (typeof doc !== "object" || doc === null) return;
  const dups = findDuplicateFields(text);
  if (dups.length > 0) recorded.set(doc, dups);
}

export function duplicateFieldsOf(obj: object): string[] {
  return recorded.get(obj) ?? [];
}
