import { isObject } from "./object.ts";
// kubectl's JSONPath, the subset custom resource printer columns use: `.a.b`, `['a.b']`, array
// indexes and slices (negative too), `*`, recursive descent `..a`, unions `[0,2]`, and filters
// `[?(@.type=="Ready")]` comparing a relative path with a literal (or testing it exists).
// Evaluation yields every matching value; missing keys yield nothing, as with AllowMissingKeys.

type Step =
  | { kind: "field"; name: string }
  | { kind: "wildcard" }
  | { kind: "recursive" }
  | { kind: "index"; indexes: (number | string)[] }
  | { kind: "slice"; start?: number; end?: number; step?: number }
  | { kind: "filter"; left: Step[]; op?: string; right?: Step[] | { literal: unknown } };

export class JsonPathError extends Error {}

export interface JsonPath {
  source: string;
  steps: Step[];
}

class Parser {
  private pos = 0;

  constructor(private readonly text: string) {}

  private peek(n = 0): string {
    return this.text[this.pos + n] ?? "";
  }

  private fail(msg: string): never {
    throw new JsonPathError(`unrecognized JSONPath ${JSON.stringify(this.text)}: ${msg}`);
  }

  private skipSpaces(): void {
    while (this.peek() === " ") this.pos++;
  }

  /** Steps until the end of input, or until `stop` returns true at a step boundary. */
  steps(stop: () => boolean = () => false): Step[] {
    const out: Step[] = [];
    while (this.pos < this.text.length && !stop()) {
      const c = this.peek();
      if (c === ".") {
        if (this.peek(1) === ".") {
          this.pos += 2;
          out.push({ kind: "recursive" });
          if (this.peek() === "[") continue;
          out.push(this.field());
          continue;
        }
        this.pos++;
        if (this.pos >= this.text.length || stop()) break;
        if (this.peek() === "[") continue;
        out.push(this.field());
      } else if (c === "[") {
        out.push(this.bracket());
      } else if (c === "@" || c === "$") {
        this.pos++;
      } else {
        out.push(this.field());
      }
    }
    return out;
  }

  private field(): Step {
    let name = "";
    while (this.pos < this.text.length) {
      const c = this.peek();
      if (c === "\\" && this.pos + 1 < this.text.length) {
        name += this.peek(1);
        this.pos += 2;
        continue;
      }
      if (
        c === "." ||
        c === "[" ||
        c === "]" ||
        c === " " ||
        c === ")" ||
        c === "=" ||
        c === "!" ||
        c === "<" ||
        c === ">" ||
        c === ","
      )
        break;
      name += c;
      this.pos++;
    }
    if (name === "") this.fail(`missing field name at ${this.pos}`);
    return name === "*" ? { kind: "wildcard" } : { kind: "field", name };
  }

  private bracket(): Step {
    this.pos++; // [
    this.skipSpaces();
    if (this.peek() === "?") return this.filter();
    if (this.peek() === "*" && this.peek(1) === "]") {
      this.pos += 2;
      return { kind: "wildcard" };
    }
    const close = this.text.indexOf("]", this.pos);
    if (close < 0) this.fail("unclosed [");
    const body = this.text.slice(this.pos, close).trim();
    this.pos = close + 1;
    if (/^'.*'$|^".*"$/.test(body)) return { kind: "index", indexes: [body.slice(1, -1)] };
    if (body.includes(":")) {
      const parts = body.split(":").map((p) => p.trim());
      if (parts.length > 3) this.fail(`invalid slice ${body}`);
      const num = (p: string | undefined) => {
        if (p === undefined || p === "") return undefined;
        if (!/^-?\d+$/.test(p)) this.fail(`invalid array index ${p}`);
        return Number(p);
      };
      return { kind: "slice", start: num(parts[0]), end: num(parts[1]), step: num(parts[2]) };
    }
    const indexes = body.split(",").map((p) => {
      const t = p.trim();
      if (/^-?\d+$/.test(t)) return Number(t);
      if (/^'.*'$|^".*"$/.test(t)) return t.slice(1, -1);
      if (t === "") this.fail("empty index");
      return t;
    });
    return { kind: "index", indexes };
  }

  private filter(): Step {
    this.pos++; // ?
    if (this.peek() !== "(") this.fail("filter must start with ?(");
    this.pos++;
    this.skipSpaces();
    const operand = (): Step[] | { literal: unknown } => {
      this.skipSpaces();
      const c = this.peek();
      if (c === "'" || c === '"') {
        const end = this.text.indexOf(c, this.pos + 1);
        if (end < 0) this.fail("unclosed string literal");
        const lit = this.text.slice(this.pos + 1, end);
        this.pos = end + 1;
        return { literal: lit };
      }
      const num = /^-?\d+(\.\d+)?/.exec(this.text.slice(this.pos));
      if (num) {
        this.pos += num[0].length;
        return { literal: Number(num[0]) };
      }
      for (const word of ["true", "false", "nil"]) {
        if (this.text.startsWith(word, this.pos)) {
          this.pos += word.length;
          return { literal: word === "nil" ? null : word === "true" };
        }
      }
      if (c !== "@" && c !== "$") this.fail(`unexpected ${JSON.stringify(c)} in filter`);
      return this.steps(() => {
        const ch = this.peek();
        return ch === " " || ch === ")" || ch === "=" || ch === "!" || ch === "<" || ch === ">";
      });
    };
    const left = operand();
    if (!Array.isArray(left)) this.fail("filter must test a path");
    this.skipSpaces();
    let op: string | undefined;
    let right: Step[] | { literal: unknown } | undefined;
    const m = /^(==|!=|<=|>=|<|>)/.exec(this.text.slice(this.pos));
    if (m) {
      op = m[1];
      this.pos += op.length;
      right = operand();
    }
    this.skipSpaces();
    if (this.peek() !== ")" || this.peek(1) !== "]") this.fail("unclosed filter");
    this.pos += 2;
    return { kind: "filter", left, op, right };
  }
}

/**
 * Parse a JSONPath, with or without the template braces kubectl wraps it in
 * (`{.status.phase}` and `.status.phase` are the same path).
 */
export function parseJsonPath(expr: string): JsonPath {
  let text = expr.trim();
  if (text.startsWith("{") && text.endsWith("}")) text = text.slice(1, -1).trim();
  if (text.startsWith("$")) text = text.slice(1);
  return { source: expr, steps: new Parser(text).steps() };
}

function descendants(v: unknown, out: unknown[]): void {
  out.push(v);
  if (Array.isArray(v)) for (const x of v) descendants(x, out);
  else if (isObject(v)) for (const k of Object.keys(v).sort()) descendants(v[k], out);
}

function compare(a: unknown, op: string, b: unknown): boolean {
  if (op === "==") return a === b;
  if (op === "!=") return a !== b;
  if (typeof a === "number" && typeof b === "number") {
    if (op === "<") return a < b;
    if (op === ">") return a > b;
    if (op === "<=") return a <= b;
    if (op === ">=") return a >= b;
  }
  if (typeof a === "string" && typeof b === "string") {
    if (op === "<") return a < b;
    if (op === ">") return a > b;
    if (op === "<=") return a <= b;
    if (op === ">=") return a >= b;
  }
  return false;
}

function applyStep(values: unknown[], step: Step): unknown[] {
  const out: unknown[] = [];
  for (const v of values) {
    switch (step.kind) {
      case "field":
        if (isObject(v) && Object.hasOwn(v, step.name)) out.push(v[step.name]);
        break;
      case "wildcard":
        if (Array.isArray(v)) out.push(...v);
        else if (isObject(v)) for (const k of Object.keys(v).sort()) out.push(v[k]);
        break;
      case "recursive":
        descendants(v, out);
        break;
      case "index":
        for (const i of step.indexes) {
          if (typeof i === "number" && Array.isArray(v)) {
            const at = i < 0 ? v.length + i : i;
            if (at >= 0 && at < v.length) out.push(v[at]);
          } else if (isObject(v) && Object.hasOwn(v, String(i))) {
            out.push(v[String(i)]);
          }
        }
        break;
      case "slice": {
        if (!Array.isArray(v)) break;
        const len = v.length;
        const norm = (n: number | undefined, dflt: number) => {
          if (n === undefined) return dflt;
          const x = n < 0 ? len + n : n;
          return Math.min(Math.max(x, 0), len);
        };
        const stepBy = step.step ?? 1;
        if (stepBy <= 0) break;
        for (let i = norm(step.start, 0); i < norm(step.end, len); i += stepBy) out.push(v[i]);
        break;
      }
      case "filter": {
        if (!Array.isArray(v)) break;
        for (const item of v) {
          const lefts = evaluate(step.left, item);
          if (step.op === undefined) {
            if (lefts.length > 0) out.push(item);
            continue;
          }
          const right = step.right as Step[] | { literal: unknown };
          const rights = Array.isArray(right) ? evaluate(right, item) : [right.literal];
          if (lefts.some((l) => rights.some((r) => compare(l, step.op as string, r)))) out.push(item);
        }
        break;
      }
    }
  }
  return out;
}

function evaluate(steps: Step[], root: unknown): unknown[] {
  let values: unknown[] = [root];
  for (const step of steps) values = applyStep(values, step);
  return values;
}

/** Every value the path selects in `obj`, in document order. */
export function findResults(path: JsonPath, obj: unknown): unknown[] {
  return evaluate(path.steps, obj);
}

/**
 * A JSON number as Go prints it after decoding into an unstructured object: integers (int64 there)
 * in full, other numbers as float64's %v, which switches to an exponent outside [1e-4, 1e6).
 */
export function formatGoFloat(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 2 ** 63) return String(n);
  if (!Number.isFinite(n)) return Number.isNaN(n) ? "NaN" : n > 0 ? "+Inf" : "-Inf";
  const [mantissa, e] = n.toExponential().split("e");
  const exp = Number(e);
  if (exp < -4 || exp >= 6) return `${mantissa}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  return String(n);
}

/** JSON as Go's encoding/json writes it for a value: sorted map keys, HTML characters escaped. */
export function goJson(v: unknown): string {
  const sort = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(sort);
    if (isObject(x))
      return Object.fromEntries(
        Object.keys(x)
          .sort()
          .map((k) => [k, sort(x[k])]),
      );
    return x;
  };
  return JSON.stringify(sort(v)).replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}

/** A result as kubectl's JSONPath printer writes it: strings raw, maps and lists as JSON. */
export function printResult(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number") return formatGoFloat(v);
  if (typeof v === "boolean") return String(v);
  if (v === null || v === undefined) return "<nil>";
  return goJson(v);
}
