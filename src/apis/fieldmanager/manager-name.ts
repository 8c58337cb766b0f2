// The name a write is recorded under in managedFields: the `fieldManager` parameter, else what
// the User-Agent names before its first "/" (kubectl/v1.32.0 … → "kubectl"), as kube defaults it.
// Names are at most 128 bytes of printable characters.

import { field, type FieldError } from "../../machinery/status.ts";
import { BoundedMemo } from "../../util/bounded-memo.ts";

export const FIELD_MANAGER_MAX_LENGTH = 128;

/** Go's unicode.IsPrint, close enough: letters, marks, numbers, punctuation, symbols and the ASCII space. */
function isPrint(ch: string): boolean {
  if (ch === " ") return true;
  return /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(ch);
}

export function prefixFromUserAgent(userAgent: string | null | undefined): string {
  return prefixes.get(userAgent ?? "");
}

/** Clients send the same User-Agent on every request: each is worked out once. */
const prefixes = new BoundedMemo(computePrefix, 256, 512);

function computePrefix(userAgent: string): string {
  const head = userAgent.split("/")[0] as string;
  let out = "";
  let bytes = 0;
  for (const ch of head) {
    if (!isPrint(ch)) continue;
    const n = Buffer.byteLength(ch, "utf8");
    if (bytes + n > FIELD_MANAGER_MAX_LENGTH) break;
    out += ch;
    bytes += n;
  }
  return out;
}

/** Go's %#U of a rune: U+0007, or U+00E9 'é' for a printable one. */
function goRune(ch: string): string {
  const hex = (ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0");
  return isPrint(ch) ? `U+${hex} '${ch}'` : `U+${hex}`;
}

/** kube's ValidateFieldManager. */
export function validateFieldManager(name: string, path = "fieldManager"): FieldError[] {
  const errs: FieldError[] = [];
  if (Buffer.byteLength(name, "utf8") > FIELD_MANAGER_MAX_LENGTH)
    errs.push(field.tooLong(path, "", FIELD_MANAGER_MAX_LENGTH));
  let pos = 0;
  for (const ch of name) {
    if (!isPrint(ch)) errs.push(field.invalid(path, name, `invalid character ${goRune(ch)} (at position ${pos})`));
    pos += Buffer.byteLength(ch, "utf8");
  }
  return errs;
}
