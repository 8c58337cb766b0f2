// Field selectors (`fieldSelector=metadata.name=x,type!=y`), parsed as k8s.io/apimachinery/pkg/fields
// does: comma-separated terms, operators `!=`, `==`, `=`, and `\,` `\=` `\\` escapes in values.

import { errors } from "../status.ts";

export interface FieldRequirement {
  field: string;
  op: "=" | "!=";
  value: string;
}

export interface FieldSelector {
  /** Sorted as kube sorts the terms; empty selects everything. */
  readonly requirements: readonly FieldRequirement[];
  /** `get` returns a field's value ("" or undefined when absent: both compare as ""). */
  matches(get: (field: string) => string | undefined): boolean;
}

const TERM_OPERATORS = ["!=", "==", "="] as const;

/** Split on commas that are not escaped; escapes stay in the terms. */
function splitTerms(s: string): string[] {
  if (s.length === 0) return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inSlash) inSlash = false;
    else if (c === "\\") inSlash = true;
    else if (c === ",") {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

/** The first operator wins; the field part has no escapes. */
function splitTerm(term: string): { lhs: string; op: string; rhs: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of TERM_OPERATORS) {
      if (term.startsWith(op, i)) return { lhs: term.slice(0, i), op, rhs: term.slice(i + op.length) };
    }
  }
  return undefined;
}

export function unescapeValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = "";
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c !== "\\" && c !== "," && c !== "=")
        throw errors.badRequest(`invalid field selector: invalid escape sequence: \\${c}`);
      out += c;
      inSlash = false;
    } else if (c === "\\") {
      inSlash = true;
    } else if (c === "," || c === "=") {
      // Go prints the rune with %v: its code point.
      throw errors.badRequest(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    } else {
      out += c;
    }
  }
  if (inSlash) throw errors.badRequest("invalid field selector: invalid escape sequence: \\");
  return out;
}

export function escapeValue(s: string): string {
  return s.replace(/[\\,=]/g, (c) => `\\${c}`);
}

export function makeFieldSelector(requirements: FieldRequirement[]): FieldSelector {
  return {
    requirements,
    matches: (get) =>
      requirements.every((r) => {
        const v = get(r.field) ?? "";
        return r.op === "=" ? v === r.value : v !== r.value;
      }),
  };
}

/** Parse a `fieldSelector` query value; a malformed one is a 400 with kube's message. */
export function parseFieldSelector(s: string): FieldSelector {
  // Go sorts the raw terms (byte order), so requirements come out in that order.
  const parts = splitTerms(s).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const reqs: FieldRequirement[] = [];
  for (const part of parts) {
    if (part === "") continue;
    const t = splitTerm(part);
    if (!t) throw errors.badRequest(`invalid selector: '${s}'; can't understand '${part}'`);
    const value = unescapeValue(t.rhs);
    reqs.push({ field: t.lhs, op: t.op === "!=" ? "!=" : "=", value });
  }
  return makeFieldSelector(reqs);
}

/**
 * Reject fields the resource cannot be selected by, as kube-apiserver's field label conversion does
 * (400). Kinds with their own conversion say `field label not supported: <field>`; kinds that only
 * know metadata.name and metadata.namespace use the scheme default, which `wording: "default"` selects.
 * `resource` is for call sites only: kube's message does not name it.
 */
export function checkSupported(
  sel: FieldSelector,
  supported: Set<string>,
  resource: string,
  wording: "custom" | "default" = "custom",
): void {
  void resource;
  for (const r of sel.requirements) {
    if (supported.has(r.field)) continue;
    if (wording === "default") {
      throw errors.badRequest(
        `${JSON.stringify(r.field)} is not a known field selector: only "metadata.name", "metadata.namespace"`,
      );
    }
    throw errors.badRequest(`field label not supported: ${r.field}`);
  }
}
