// Label selectors: the `labelSelector` query syntax and metav1.LabelSelector objects, parsed and
// matched as k8s.io/apimachinery/pkg/labels does, with its error messages.

import { isQualifiedName, isValidLabelValue } from "../validation/names.ts";
import { errors } from "../status.ts";

/** selection.Operator values. */
export type LabelOperator = "in" | "notin" | "=" | "==" | "!=" | "exists" | "!" | "gt" | "lt";

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  /** Sorted and de-duplicated when parsed from a query; as given when built from an object. */
  values: string[];
}

export interface LabelSelector {
  /** Sorted by key. */
  readonly requirements: readonly LabelRequirement[];
  /** True when the selector selects everything. */
  readonly empty: boolean;
  matches(labels: Record<string, string> | undefined): boolean;
  /** The canonical form (`a=b,c in (d,e),!f`), as labels.Selector.String() prints it. */
  toString(): string;
}

/** Thrown (as a 400) for any selector kube would refuse. */
function parseError(message: string): Error {
  return errors.badRequest(message);
}

// ---- requirements ----

const BINARY_OPERATORS: LabelOperator[] = ["in", "notin", "=", "==", "!=", "gt", "lt"];
const ALL_OPERATORS: LabelOperator[] = [...BINARY_OPERATORS, "exists", "!"];

/** Go's %#v of a []string, as field errors print a slice value. */
function goSlice(values: string[]): string {
  return values.length === 0 ? "[]string(nil)" : `[]string{${values.map((v) => JSON.stringify(v)).join(", ")}}`;
}

/** labels.NewRequirement: validates and returns the requirement, or a list of field errors as text. */
function newRequirement(key: string, operator: string, values: string[]): LabelRequirement {
  const errs: string[] = [];
  const keyErrs = isQualifiedName(key);
  if (keyErrs.length) errs.push(`key: Invalid value: ${JSON.stringify(key)}: ${keyErrs.join("; ")}`);
  switch (operator) {
    case "in":
    case "notin":
      if (values.length === 0)
        errs.push(`values: Invalid value: ${goSlice(values)}: for 'in', 'notin' operators, values set can't be empty`);
      break;
    case "=":
    case "==":
    case "!=":
      if (values.length !== 1)
        errs.push(`values: Invalid value: ${goSlice(values)}: exact-match compatibility requires one single value`);
      break;
    case "exists":
    case "!":
      if (values.length !== 0)
        errs.push(`values: Invalid value: ${goSlice(values)}: values set must be empty for exists and does not exist`);
      break;
    case "gt":
    case "lt":
      if (values.length !== 1)
        errs.push(`values: Invalid value: ${goSlice(values)}: for 'Gt', 'Lt' operators, exactly one value is required`);
      values.forEach((v, i) => {
        if (!isInt64(v))
          errs.push(
            `values[${i}]: Invalid value: ${JSON.stringify(v)}: for 'Gt', 'Lt' operators, the value must be an integer`,
          );
      });
      break;
    default:
      errs.push(
        `operator: Unsupported value: ${JSON.stringify(operator)}: supported values: ${ALL_OPERATORS.map((o) => JSON.stringify(o)).join(", ")}`,
      );
  }
  values.forEach((v, i) => {
    const valueErrs = isValidLabelValue(v);
    if (valueErrs.length)
      errs.push(`values[${i}][${key}]: Invalid value: ${JSON.stringify(v)}: ${valueErrs.join("; ")}`);
  });
  if (errs.length) throw parseError(aggregate(errs));
  return { key, operator: operator as LabelOperator, values };
}

/** utilerrors.Aggregate's text: one message alone, several in brackets, duplicates dropped. */
function aggregate(msgs: string[]): string {
  const unique = [...new Set(msgs)];
  return unique.length === 1 ? (unique[0] as string) : `[${unique.join(", ")}]`;
}

function isInt64(s: string): boolean {
  if (!/^[+-]?[0-9]+$/.test(s)) return false;
  const n = BigInt(s);
  return n >= -(2n ** 63n) && n < 2n ** 63n;
}

function requirementMatches(r: LabelRequirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const val = has ? labels[r.key] : undefined;
  switch (r.operator) {
    case "in":
    case "=":
    case "==":
      return has && r.values.includes(val as string);
    case "notin":
    case "!=":
      return !has || !r.values.includes(val as string);
    case "exists":
      return has;
    case "!":
      return !has;
    case "gt":
    case "lt": {
      if (!has || !isInt64(val as string) || r.values.length !== 1) return false;
      const lv = BigInt(val as string);
      const rv = BigInt(r.values[0] as string);
      return r.operator === "gt" ? lv > rv : lv < rv;
    }
  }
}

function requirementString(r: LabelRequirement): string {
  const values = [...r.values].sort();
  switch (r.operator) {
    case "exists":
      return r.key;
    case "!":
      return `!${r.key}`;
    case "in":
    case "notin":
      return `${r.key} ${r.operator} (${values.join(",")})`;
    case "gt":
      return `${r.key}>${values.join(",")}`;
    case "lt":
      return `${r.key}<${values.join(",")}`;
    default:
      return `${r.key}${r.operator}${values.join(",")}`;
  }
}

function makeSelector(reqs: LabelRequirement[]): LabelSelector {
  const requirements = [...reqs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return {
    requirements,
    empty: requirements.length === 0,
    matches: (labels) => requirements.every((r) => requirementMatches(r, labels ?? {})),
    toString: () => requirements.map(requirementString).join(","),
  };
}

/** Selects everything. */
export function everything(): LabelSelector {
  return makeSelector([]);
}

/** Selects nothing (a nil metav1.LabelSelector). */
export function nothing(): LabelSelector {
  return { requirements: [], empty: false, matches: () => false, toString: () => "" };
}

// ---- the query syntax ----

type Token = "error" | "end" | ")" | "," | "!" | "==" | "=" | ">" | "identifier" | "in" | "<" | "!=" | "notin" | "(";

interface Item {
  tok: Token;
  lit: string;
}

/** Literals that are tokens; anything else scanned is an identifier. */
const KEYWORDS: Record<string, Token> = {
  ")": ")",
  ",": ",",
  "!": "!",
  "==": "==",
  "=": "=",
  ">": ">",
  in: "in",
  "<": "<",
  "!=": "!=",
  notin: "notin",
  "(": "(",
};

const isWhitespace = (ch: string) => ch === " " || ch === "\t" || ch === "\r" || ch === "\n";
const isSpecial = (ch: string) => "=!(),><".includes(ch) && ch !== "";

/** The lexer of labels.Parse: a NUL character ends the input, as in Go. */
function lex(s: string): Item[] {
  let pos = 0;
  const read = (): string => (pos < s.length ? (s[pos++] as string) : "\0");
  const unread = () => {
    pos--;
  };
  const items: Item[] = [];
  for (;;) {
    let ch = read();
    while (isWhitespace(ch)) ch = read();
    if (ch === "\0") {
      items.push({ tok: "end", lit: "" });
      return items;
    }
    unread();
    if (isSpecial(ch)) {
      let buf = "";
      let last: Item | undefined;
      for (;;) {
        const c = read();
        if (c === "\0") break;
        if (!isSpecial(c)) {
          unread();
          break;
        }
        buf += c;
        const kw = KEYWORDS[buf];
        if (kw) last = { tok: kw, lit: buf };
        else if (last) {
          unread();
          break;
        }
      }
      items.push(last ?? { tok: "error", lit: `error expected: keyword found '${buf}'` });
    } else {
      let buf = "";
      for (;;) {
        const c = read();
        if (c === "\0") break;
        if (isSpecial(c) || isWhitespace(c)) {
          unread();
          break;
        }
        buf += c;
      }
      items.push({ tok: Object.hasOwn(KEYWORDS, buf) ? (KEYWORDS[buf] as Token) : "identifier", lit: buf });
    }
  }
}

class Parser {
  private position = 0;
  constructor(private readonly items: Item[]) {}

  /** In a values context, `in` and `notin` are plain identifiers (`x in (in)`). */
  private peek(values: boolean): Item {
    const it = this.items[this.position] as Item;
    return values && (it.tok === "in" || it.tok === "notin") ? { tok: "identifier", lit: it.lit } : it;
  }

  private next(values: boolean): Item {
    const it = this.peek(values);
    this.position++;
    return it;
  }

  parse(): LabelRequirement[] {
    const reqs: LabelRequirement[] = [];
    for (;;) {
      const { tok, lit } = this.peek(true);
      if (tok === "identifier" || tok === "!") {
        let r: LabelRequirement;
        try {
          r = this.requirement();
        } catch (e) {
          throw parseError(`unable to parse requirement: ${(e as Error).message}`);
        }
        reqs.push(r);
        const after = this.next(true);
        if (after.tok === "end") return reqs;
        if (after.tok === ",") {
          const t2 = this.peek(true);
          if (t2.tok !== "identifier" && t2.tok !== "!")
            throw parseError(`found '${t2.lit}', expected: identifier after ','`);
        } else {
          throw parseError(`found '${after.lit}', expected: ',' or 'end of string'`);
        }
      } else if (tok === "end") {
        return reqs;
      } else {
        throw parseError(`found '${lit}', expected: !, identifier, or 'end of string'`);
      }
    }
  }

  private requirement(): LabelRequirement {
    let { tok, lit } = this.next(true);
    let operator: LabelOperator | undefined;
    if (tok === "!") {
      operator = "!";
      ({ tok, lit } = this.next(true));
    }
    if (tok !== "identifier") throw new Error(`found '${lit}', expected: identifier`);
    const keyErrs = isQualifiedName(lit);
    // parseKeyAndInferOperator validates with a nil field path, which Go prints as "<nil>".
    if (keyErrs.length) throw new Error(`<nil>: Invalid value: ${JSON.stringify(lit)}: ${keyErrs.join("; ")}`);
    const key = lit;
    const la = this.peek(true).tok;
    if (la === "end" || la === ",") {
      if (operator !== "!") operator = "exists";
    }
    if (operator === "exists" || operator === "!") return newRequirement(key, operator, []);

    const op = this.next(false);
    switch (op.tok) {
      case "in":
      case "notin":
      case "=":
      case "==":
      case "!=":
        operator = op.tok;
        break;
      case ">":
        operator = "gt";
        break;
      case "<":
        operator = "lt";
        break;
      default:
        throw new Error(`found '${op.lit}', expected: ${BINARY_OPERATORS.join(", ")}`);
    }
    const values = operator === "in" || operator === "notin" ? this.valueSet() : this.exactValue();
    return newRequirement(key, operator, [...values].sort());
  }

  private valueSet(): Set<string> {
    const open = this.next(true);
    if (open.tok !== "(") throw new Error(`found '${open.lit}' expected: '('`);
    const { tok, lit } = this.peek(true);
    if (tok === "identifier" || tok === ",") {
      const s = this.identifierList();
      if (this.next(true).tok !== ")") throw new Error(`found '${lit}', expected: ')'`);
      return s;
    }
    if (tok === ")") {
      this.next(true);
      return new Set([""]);
    }
    throw new Error(`found '${lit}', expected: ',', ')' or identifier`);
  }

  /** A comma-separated list in which empty entries stand for the empty value. */
  private identifierList(): Set<string> {
    const s = new Set<string>();
    for (;;) {
      const { tok, lit } = this.next(true);
      if (tok === "identifier") {
        s.add(lit);
        const la = this.peek(true);
        if (la.tok === ",") continue;
        if (la.tok === ")") return s;
        throw new Error(`found '${la.lit}', expected: ',' or ')'`);
      }
      if (tok === ",") {
        if (s.size === 0) s.add("");
        const la = this.peek(true).tok;
        if (la === ")") {
          s.add("");
          return s;
        }
        if (la === ",") s.add("");
        continue;
      }
      throw new Error(`found '${lit}', expected: ',', or identifier`);
    }
  }

  private exactValue(): Set<string> {
    const la = this.peek(true).tok;
    if (la === "end" || la === ",") return new Set([""]);
    const { tok, lit } = this.next(true);
    if (tok === "identifier") return new Set([lit]);
    throw new Error(`found '${lit}', expected: identifier`);
  }
}

/**
 * Parse a `labelSelector` query value. Throws a 400 StatusError with kube's message when the
 * selector is malformed or names invalid keys or values.
 */
export function parseLabelSelector(s: string): LabelSelector {
  return makeSelector(new Parser(lex(s)).parse());
}

// ---- metav1.LabelSelector ----

export interface LabelSelectorRequirementObject {
  key: string;
  operator: string;
  values?: string[];
}

export interface LabelSelectorObject {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirementObject[];
}

const EXPRESSION_OPERATORS: Record<string, LabelOperator> = {
  In: "in",
  NotIn: "notin",
  Exists: "exists",
  DoesNotExist: "!",
};

/**
 * metav1.LabelSelectorAsSelector: a missing selector selects nothing, an empty one everything.
 * Throws a 400 StatusError for an invalid selector.
 */
export function labelSelectorFromObject(sel: LabelSelectorObject | null | undefined): LabelSelector {
  if (sel === null || sel === undefined) return nothing();
  const reqs: LabelRequirement[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) reqs.push(newRequirement(k, "=", [v]));
  for (const expr of sel.matchExpressions ?? []) {
    const op = EXPRESSION_OPERATORS[expr.operator];
    if (!op) throw parseError(`${JSON.stringify(expr.operator)} is not a valid label selector operator`);
    reqs.push(newRequirement(expr.key, op, [...(expr.values ?? [])]));
  }
  return makeSelector(reqs);
}
