// x-kubernetes-validations: CEL rules on schema nodes, compiled once per CRD version and evaluated
// against each custom resource with `self` (the node's value) and, for transition rules, `oldSelf`
// (the correlated old value on update). Failures are worded as kube-apiserver words them:
// `spec: Invalid value: "object": failed rule: self.min <= self.max` or the rule's message.

import { field, type FieldError, fieldErrorText } from "../../machinery/status.ts";
import { deepEqual } from "../object-codec.ts";
import { setOwn } from "../../machinery/object.ts";
import { celModule } from "../../util/lazy-modules.ts";
import { celEnvironment } from "./cel-environment.ts";
import { child, index, key } from "./field-path.ts";
import {
  fieldSchema,
  isIntOrString,
  isSchema,
  itemsOf,
  type JSONSchemaProps,
  someSchema,
  type ValidationRule,
  propertySchema,
} from "./schema-types.ts";

type Program = (ctx: Record<string, unknown>) => unknown;

interface CompiledRule {
  rule: ValidationRule;
  program?: Program;
  message?: Program;
  usesOldSelf: boolean;
  /** Why the rule does not compile (kube's "compilation failed: ..."). */
  error?: string;
  messageError?: string;
}

/** The rules of one schema node and of the nodes below it that have rules. */
export interface CelNode {
  schema: JSONSchemaProps;
  rules: CompiledRule[];
  properties: Map<string, CelNode>;
  additionalProperties?: CelNode;
  items?: CelNode;
}

function firstLine(e: unknown): string {
  return String((e as Error).message ?? e).split("\n")[0] as string;
}

/** Whether an expression mentions oldSelf outside string literals. */
function mentionsOldSelf(expr: string): boolean {
  return /\boldSelf\b/.test(expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""'));
}

function compileExpression(expr: string, want: "bool" | "string"): { program?: Program; error?: string } {
  try {
    const parsed = celEnvironment().parse(expr);
    const checked = parsed.check();
    if (!checked.valid) return { error: `ERROR: <input>: ${firstLine(checked.error)}` };
    if (checked.type !== want && checked.type !== "dyn") {
      return { error: want === "bool" ? "cel expression must evaluate to a bool" : "must evaluate to a string" };
    }
    return { program: parsed as unknown as Program };
  } catch (e) {
    return { error: `ERROR: <input>: ${firstLine(e)}` };
  }
}

function compileRule(rule: ValidationRule): CompiledRule {
  const expr = typeof rule.rule === "string" ? rule.rule : "";
  const out: CompiledRule = { rule, usesOldSelf: mentionsOldSelf(expr) };
  if (expr.trim() === "") return out;
  const r = compileExpression(expr, "bool");
  if (r.error) out.error = `compilation failed: ${r.error}`;
  else out.program = r.program;
  if (typeof rule.messageExpression === "string" && rule.messageExpression.trim() !== "") {
    const m = compileExpression(rule.messageExpression, "string");
    if (m.error)
      out.messageError =
        m.error === "must evaluate to a string"
          ? "must evaluate to a string"
          : `messageExpression compilation failed: ${m.error}`;
    else out.message = m.program;
  }
  return out;
}

/** Compile every rule under `schema`; undefined when there are none (nothing to evaluate). */
export function compileCelRules(schema: JSONSchemaProps | undefined): CelNode | undefined {
  if (!isSchema(schema) || !someSchema(schema, (n) => (n["x-kubernetes-validations"]?.length ?? 0) > 0))
    return undefined;
  const node: CelNode = {
    schema,
    rules: (schema["x-kubernetes-validations"] ?? []).map(compileRule),
    properties: new Map(),
  };
  for (const [k, v] of Object.entries(schema.properties ?? {})) {
    const c = compileCelRules(v);
    if (c) node.properties.set(k, c);
  }
  if (isSchema(schema.additionalProperties)) node.additionalProperties = compileCelRules(schema.additionalProperties);
  node.items = compileCelRules(itemsOf(schema));
  return node;
}

/** The kube rendering of a ValidationRule struct in messages about the rule itself. */
function goRule(r: ValidationRule): string {
  const reason =
    r.reason === undefined
      ? "(*apiextensions.FieldValueErrorReason)(nil)"
      : `(*apiextensions.FieldValueErrorReason)(${JSON.stringify(r.reason)})`;
  const optional = r.optionalOldSelf === undefined ? "(*bool)(nil)" : `(*bool)(${r.optionalOldSelf})`;
  return `apiextensions.ValidationRule{Rule:${JSON.stringify(r.rule ?? "")}, Message:${JSON.stringify(r.message ?? "")}, MessageExpression:${JSON.stringify(r.messageExpression ?? "")}, Reason:${reason}, FieldPath:${JSON.stringify(r.fieldPath ?? "")}, OptionalOldSelf:${optional}}`;
}

/**
 * Compile errors of the rules on one schema node, for CRD validation. `oldSelfForbiddenIn` is the
 * path of the uncorrelatable ancestor (an atomic or set list) when oldSelf cannot be used here.
 */
export function celRuleCompileErrors(
  rules: ValidationRule[],
  path: string,
  oldSelfForbiddenIn: string | undefined,
): FieldError[] {
  const errs: FieldError[] = [];
  rules.forEach((r, i) => {
    const at = index(child(path, "x-kubernetes-validations"), i);
    const c = compileRule(r);
    if (c.error) errs.push({ ...field.invalid(child(at, "rule"), r, c.error), goValue: goRule(r) });
    if (c.messageError)
      errs.push({ ...field.invalid(child(at, "messageExpression"), r, c.messageError), goValue: goRule(r) });
    if (c.usesOldSelf && oldSelfForbiddenIn !== undefined) {
      errs.push(
        field.invalid(
          child(at, "rule"),
          r.rule,
          `oldSelf cannot be used on the uncorrelatable portion of the schema within ${oldSelfForbiddenIn}`,
        ),
      );
    } else if (!c.usesOldSelf && r.optionalOldSelf !== undefined) {
      errs.push(
        field.invalid(child(at, "optionalOldSelf"), r.optionalOldSelf, "may not be set if oldSelf is not used in rule"),
      );
    }
  });
  return errs;
}

// ---- evaluation ----

/** A JSON value as CEL sees it under its schema: int64 as bigint, date-time as timestamp. */
function toCel(v: unknown, s: JSONSchemaProps | undefined): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === "number") {
    if (s?.type === "number") return v;
    return Number.isInteger(v) && (s?.type === "integer" || isIntOrString(s) || !s?.type) ? BigInt(v) : v;
  }
  if (typeof v === "string") {
    if (s?.type === "string" && (s.format === "date-time" || s.format === "date")) {
      const d = new Date(v);
      if (!Number.isNaN(d.getTime())) return d;
    }
    return v;
  }
  if (Array.isArray(v)) {
    const items = itemsOf(s);
    return v.map((x) => toCel(x, items));
  }
  if (typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) setOwn(out, k, toCel(x, fieldSchema(s, k)));
    return out;
  }
  return v;
}

export interface CelResult {
  errors: FieldError[];
  /** Failures on values that did not change (ratcheting): kube reports them as warnings. */
  warnings: string[];
}

/** kube's normalised rule fieldPath: `.spec.x` or `['a.b']` relative to the node. */
function normaliseFieldPath(fp: string): string {
  return fp.replace(/\['((?:[^'\\]|\\.)*)'\]/g, ".$1").replace(/^\./, "");
}

function evaluateRules(node: CelNode, value: unknown, old: unknown, path: string, out: CelResult): void {
  const hasOld = old !== undefined && old !== null;
  const ratchet = hasOld && deepEqual(value, old);
  const typeName = node.schema.type ?? (isIntOrString(node.schema) ? "integer,string" : "");
  let self: unknown;
  let oldSelf: unknown;
  for (const c of node.rules) {
    if (!c.program) {
      if (c.error) out.errors.push(field.invalid(path || "<nil>", typeName, `rule compile error: ${c.error}`));
      continue;
    }
    const optionalOld = c.rule.optionalOldSelf === true;
    if (c.usesOldSelf && !hasOld && !optionalOld) continue;
    self ??= toCel(value, node.schema);
    if (oldSelf === undefined && hasOld) oldSelf = toCel(old, node.schema);
    const activation = {
      self,
      oldSelf: optionalOld
        ? hasOld
          ? celModule().Optional.of(oldSelf)
          : celModule().Optional.none()
        : hasOld
          ? oldSelf
          : null,
    };
    let result: unknown;
    try {
      result = c.program(activation);
    } catch (e) {
      const msg = firstLine(e).replace(/^No such key/, "no such key");
      out.errors.push(field.invalid(path || "<nil>", typeName, `${msg} evaluating rule: ${c.rule.rule}`));
      continue;
    }
    if (result === true) continue;
    let detail: string | undefined;
    if (c.message) {
      try {
        const m = c.message(activation);
        if (typeof m === "string" && m.trim() !== "") detail = m.trim();
      } catch {
        // kube logs a failing messageExpression and falls back to the rule's message.
      }
    }
    detail ??= c.rule.message && c.rule.message.trim() !== "" ? c.rule.message.trim() : `failed rule: ${c.rule.rule}`;
    const fp =
      typeof c.rule.fieldPath === "string" && c.rule.fieldPath !== "" ? normaliseFieldPath(c.rule.fieldPath) : "";
    const at = fp ? child(path, fp) : path || "<nil>";
    let err: FieldError;
    switch (c.rule.reason) {
      case "FieldValueForbidden":
        err = field.forbidden(at, detail);
        break;
      case "FieldValueRequired":
        err = field.required(at, detail);
        break;
      case "FieldValueDuplicate":
        err = field.duplicate(at, typeName);
        break;
      default:
        // Kubernetes 1.32 shows the schema type ("object", "integer") where the value would go.
        err = field.invalid(at, typeName, detail);
    }
    if (ratchet && !c.usesOldSelf) out.warnings.push(fieldErrorText(err));
    else out.errors.push(err);
  }
}

function walk(node: CelNode, value: unknown, old: unknown, path: string, out: CelResult): void {
  if (value === null || value === undefined) return;
  evaluateRules(node, value, old, path, out);
  if (Array.isArray(value)) {
    if (!node.items) return;
    const items = node.items;
    const keys =
      node.schema["x-kubernetes-list-type"] === "map" ? (node.schema["x-kubernetes-list-map-keys"] ?? []) : undefined;
    const olds = Array.isArray(old) ? old : [];
    value.forEach((v, i) => {
      // Only list-type=map items are correlated with the old list (by their keys).
      const match = keys
        ? olds.find((o) =>
            keys.every((k) => deepEqual((o as Record<string, unknown>)?.[k], (v as Record<string, unknown>)?.[k])),
          )
        : undefined;
      walk(items, v, match, index(path, i), out);
    });
  } else if (typeof value === "object") {
    const obj = value as Record<string, unknown>;
    const oldObj = old && typeof old === "object" && !Array.isArray(old) ? (old as Record<string, unknown>) : undefined;
    for (const [k, v] of Object.entries(obj)) {
      const sub = node.properties.get(k);
      if (sub) walk(sub, v, oldObj?.[k], child(path, k), out);
      else if (node.additionalProperties && !propertySchema(node.schema, k))
        walk(node.additionalProperties, v, oldObj?.[k], key(path, k), out);
    }
  }
}

/** Evaluate every rule against `obj` (and `old` on update). */
export function evaluateCelRules(root: CelNode, obj: unknown, old?: unknown): CelResult {
  const out: CelResult = { errors: [], warnings: [] };
  walk(root, obj, old, "", out);
  return out;
}
