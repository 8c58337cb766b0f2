// Property test of the schema LCD: for random pairs of structural schemas (the second often a
// mutation of the first, so that many pairs are compatible after narrowing) and random documents,
// whenever lowestCommonDenominator(existing, incoming, true) succeeds, every document the LCD
// accepts is accepted by BOTH inputs, and neither drops a field the LCD kept. "Accepts" is kcp's
// own pipeline for custom resources: drop disallowed nulls, prune unknown fields, apply defaults,
// then the ajv validator and the list-type checks (src/apis/crd/). The PRNG is seeded: a failure
// prints the seed and the case; LCD_SEED=<n> replays it, LCD_SEED=random tries a new one.

import { expect, test } from "bun:test";
import { validateCRD } from "../../src/apis/crd/crd-validation.ts";
import { applyDefaults, pruneNonNullableNulls } from "../../src/apis/crd/defaulting.ts";
import { validateListTypes } from "../../src/apis/crd/list-types.ts";
import { prune } from "../../src/apis/crd/pruning.ts";
import type { JSONSchemaProps } from "../../src/apis/crd/schema-types.ts";
import { compileSchemaValidator } from "../../src/apis/crd/schema-validator.ts";
import { lowestCommonDenominator } from "../../src/apis/negotiation/schema-lcd.ts";
import type { KObject } from "../../src/apis/types.ts";
import { fieldErrorText } from "../../src/machinery/status.ts";

type S = Record<string, unknown>;

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Gen {
  constructor(readonly r: () => number) {}
  chance(p: number): boolean {
    return this.r() < p;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.r() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.r() * xs.length)] as T;
  }
  subset<T>(xs: readonly T[], p = 0.5): T[] {
    return xs.filter(() => this.chance(p));
  }
  /** A non-empty subset (an empty enum is not a schema kube or kcp can use). */
  some<T>(xs: readonly T[]): T[] {
    const out = this.subset(xs);
    return out.length > 0 ? out : [this.pick(xs)];
  }
}

const NAMES = ["a", "b", "c", "d", "e"];
const WORDS = ["a", "ab", "abc", "b", "bbbb", "c", "", "2020-01-31", "9d3bd5a6-4a7e-4a0c-9a5e-6e0e6a7b1c2d", "x y"];
const PATTERNS = ["^a", "^[a-c]+$", "b", "^.{0,3}$"];
const FORMATS = ["date", "uuid", "int32", "made-up"];

// ---- schemas ----

function genSchema(g: Gen, depth: number): S {
  const kinds = ["string", "integer", "number", "boolean", "int-or-string"];
  if (depth > 0) kinds.push("object", "object", "map", "array", "preserve");
  const kind = g.pick(kinds);
  let s: S;
  switch (kind) {
    case "string":
      s = { type: "string" };
      if (g.chance(0.3)) s.enum = g.some(WORDS.slice(0, 6));
      if (g.chance(0.2)) s.pattern = g.pick(PATTERNS);
      if (g.chance(0.2)) s.format = g.pick(FORMATS);
      if (g.chance(0.3)) s.maxLength = g.int(1, 6);
      if (g.chance(0.2)) s.minLength = g.int(0, 3);
      break;
    case "integer":
    case "number":
      s = { type: kind };
      if (g.chance(0.3)) s.maximum = g.int(-2, 10);
      if (g.chance(0.2)) s.exclusiveMaximum = true;
      if (g.chance(0.3)) s.minimum = g.int(-5, 5);
      if (g.chance(0.2)) s.exclusiveMinimum = true;
      if (g.chance(0.2)) s.multipleOf = g.pick([1, 2, 3, 4]);
      if (g.chance(0.2)) s.enum = g.some([0, 1, 2, 3, 4, 6, 8]);
      break;
    case "boolean":
      s = { type: "boolean" };
      if (g.chance(0.2)) s.enum = g.some([true, false]);
      break;
    case "int-or-string":
      s = { "x-kubernetes-int-or-string": true };
      if (g.chance(0.3)) s.maxLength = g.int(1, 4);
      if (g.chance(0.3)) s.maximum = g.int(0, 8);
      break;
    case "map":
      s = { type: "object", additionalProperties: g.chance(0.2) ? true : genSchema(g, depth - 1) };
      if (g.chance(0.2)) s.maxProperties = g.int(1, 3);
      break;
    case "array": {
      const items = genSchema(g, depth - 1);
      s = { type: "array", items };
      if (g.chance(0.2)) s.maxItems = g.int(1, 4);
      if (g.chance(0.2)) s.minItems = g.int(0, 2);
      if (g.chance(0.15)) s.uniqueItems = true;
      const scalar = typeof items.type === "string" && items.type !== "object" && items.type !== "array";
      if (scalar && g.chance(0.3)) s["x-kubernetes-list-type"] = "set";
      else if (items.type === "object" && isProps(items.properties) && Object.keys(items.properties).length > 0) {
        if (g.chance(0.3)) {
          const key = Object.keys(items.properties)[0] as string;
          s["x-kubernetes-list-type"] = "map";
          s["x-kubernetes-list-map-keys"] = [key];
          items.required = [...new Set([...((items.required as string[]) ?? []), key])];
        }
      }
      break;
    }
    default: {
      const props: S = {};
      for (const k of g.subset(NAMES, 0.5)) props[k] = genSchema(g, depth - 1);
      s = { type: "object", properties: props };
      const req = g.subset(Object.keys(props), 0.25);
      if (req.length > 0) s.required = req;
      if (kind === "preserve" || g.chance(0.1)) s["x-kubernetes-preserve-unknown-fields"] = true;
      if (g.chance(0.1)) s.minProperties = g.int(0, 2);
    }
  }
  if (g.chance(0.2)) s.nullable = true;
  return s;
}

function isProps(v: unknown): v is Record<string, S> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A copy of `s` with a few random changes, so the pair is related (often compatible). */
function mutate(g: Gen, s: S, depth: number): S {
  const c: S = structuredClone(s);
  const n = g.int(0, 3);
  for (let i = 0; i < n; i++) mutateOnce(g, c, depth);
  // and recurse into some children
  if (isProps(c.properties))
    for (const k of Object.keys(c.properties))
      if (g.chance(0.5)) c.properties[k] = mutate(g, c.properties[k] as S, depth - 1);
  if (isProps(c.items) && g.chance(0.5)) c.items = mutate(g, c.items as S, depth - 1);
  if (isProps(c.additionalProperties) && g.chance(0.5))
    c.additionalProperties = mutate(g, c.additionalProperties as S, depth - 1);
  return c;
}

function mutateOnce(g: Gen, s: S, depth: number): void {
  const op = g.int(0, 13);
  switch (op) {
    case 0:
      if (isProps(s.properties)) delete s.properties[g.pick(NAMES)];
      break;
    case 1:
      if (isProps(s.properties)) s.properties[g.pick(NAMES)] = genSchema(g, Math.max(0, depth - 1));
      break;
    case 2:
      if (isProps(s.properties) && Object.keys(s.properties).length > 0)
        s.required = [...new Set([...((s.required as string[]) ?? []), g.pick(Object.keys(s.properties))])];
      else delete s.required;
      break;
    case 3:
      if (s.nullable) delete s.nullable;
      else s.nullable = true;
      break;
    case 4:
      if (s.type === "number") s.type = "integer";
      else if (s.type === "integer") s.type = "number";
      else if (s["x-kubernetes-int-or-string"]) {
        delete s["x-kubernetes-int-or-string"];
        s.type = g.pick(["integer", "string"]);
      }
      break;
    case 5:
      if (Array.isArray(s.enum)) {
        if (g.chance(0.5) && s.enum.length > 1) s.enum = s.enum.slice(0, -1);
        else delete s.enum;
      } else if (s.type === "string") s.enum = g.some(WORDS.slice(0, 6));
      else if (s.type === "integer") s.enum = g.some([0, 1, 2, 3]);
      break;
    case 6:
      for (const k of ["maximum", "minimum", "maxLength", "minLength", "maxItems", "minItems", "maxProperties"])
        if (typeof s[k] === "number") s[k] = Math.max(0, (s[k] as number) + g.int(-2, 2));
      break;
    case 7:
      if (s.type === "string" || s["x-kubernetes-int-or-string"]) s.maxLength = g.int(0, 5);
      else if (s.type === "integer" || s.type === "number") s.maximum = g.int(-1, 9);
      else if (s.type === "array") s.maxItems = g.int(0, 3);
      break;
    case 8:
      if (s.type === "string") {
        if (g.chance(0.5)) s.pattern = g.pick(PATTERNS);
        else s.format = g.pick(FORMATS);
      } else if (s.type === "integer") s.multipleOf = g.pick([1, 2, 3]);
      break;
    case 9:
      if (s["x-kubernetes-preserve-unknown-fields"]) delete s["x-kubernetes-preserve-unknown-fields"];
      else if (s.type === "object") s["x-kubernetes-preserve-unknown-fields"] = true;
      break;
    case 10:
      if (s.type === "array") {
        if (s["x-kubernetes-list-type"]) {
          delete s["x-kubernetes-list-type"];
          delete s["x-kubernetes-list-map-keys"];
        } else if (isProps(s.items) && (s.items as S).type !== "object" && (s.items as S).type !== "array")
          s["x-kubernetes-list-type"] = "set";
      }
      break;
    case 11:
      if (s.type === "array") s.uniqueItems = !s.uniqueItems;
      break;
    case 12:
      if (s.type === "object" && s.additionalProperties !== undefined)
        s.additionalProperties = g.chance(0.3) ? true : genSchema(g, Math.max(0, depth - 1));
      break;
    default:
      if (s.exclusiveMaximum) delete s.exclusiveMaximum;
      else if (typeof s.maximum === "number") s.exclusiveMaximum = true;
  }
}

/** Sometimes a default: a value the schema itself accepts (kube rejects CRDs with invalid defaults). */
function addDefaults(g: Gen, s: S, depth: number): void {
  if (isProps(s.properties)) for (const k of Object.keys(s.properties)) addDefaults(g, s.properties[k] as S, depth + 1);
  if (isProps(s.items)) addDefaults(g, s.items as S, depth + 1);
  if (isProps(s.additionalProperties)) addDefaults(g, s.additionalProperties as S, depth + 1);
  if (depth > 0 && g.chance(0.15)) {
    const v = genDoc(g, s, 2);
    // kube also rejects a default that pruning or defaulting would change
    const a = v === null || v === undefined ? undefined : accepts(s, v);
    if (a?.ok && a.pruned.length === 0 && JSON.stringify(a.doc) === JSON.stringify(v)) s.default = v;
  }
}

// ---- documents ----

function boundary(g: Gen, s: S, integer: boolean): number {
  const near = [s.maximum, s.minimum].filter((x): x is number => typeof x === "number");
  const base = near.length > 0 ? g.pick(near) : 0;
  return base + g.pick(integer ? [-1, 0, 1] : [-0.5, 0, 0.5]);
}

function junk(g: Gen): unknown {
  return g.pick([null, 0, 1.5, -3, "a", "zzzzzzz", true, [], ["a", "a"], {}, { a: 1 }, { e: "x", zz: 2 }]);
}

function genDoc(g: Gen, s: unknown, depth: number): unknown {
  if (!isProps(s) || g.chance(0.08) || depth < 0) return junk(g);
  if (s.nullable && g.chance(0.25)) return null;
  if (Array.isArray(s.enum) && s.enum.length > 0 && g.chance(0.7)) return g.pick(s.enum);
  const t = s["x-kubernetes-int-or-string"] ? g.pick(["integer", "string"]) : s.type;
  switch (t) {
    case "string":
      return g.pick(WORDS);
    case "integer":
      // values at the bounds find off-by-one (exclusive) mistakes
      if (g.chance(0.3)) return boundary(g, s, true);
      return g.int(-6, 12);
    case "number":
      if (g.chance(0.3)) return boundary(g, s, false);
      return g.chance(0.5) ? g.int(-6, 12) : g.int(-12, 24) / 2;
    case "boolean":
      return g.chance(0.5);
    case "array": {
      const out: unknown[] = [];
      const len = g.int(0, 4);
      for (let i = 0; i < len; i++) out.push(genDoc(g, s.items, depth - 1));
      if (out.length > 0 && g.chance(0.2)) out.push(structuredClone(out[0]));
      return out;
    }
    case "object": {
      const out: S = {};
      const props = isProps(s.properties) ? s.properties : {};
      for (const k of Object.keys(props)) if (g.chance(0.75)) out[k] = genDoc(g, props[k], depth - 1);
      if (s.additionalProperties !== undefined || g.chance(0.3))
        for (const k of g.subset(NAMES, 0.3))
          if (!(k in out))
            out[k] = genDoc(g, isProps(s.additionalProperties) ? s.additionalProperties : undefined, depth - 1);
      if (g.chance(0.2)) out.zz = junk(g);
      return out;
    }
    default:
      return junk(g);
  }
}

/** kcp's CRD validation of a CRD serving `schema`: the LCD is published as one. */
function crdErrors(schema: S): string[] {
  const crd: KObject = {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "widgets.example.com" },
    spec: {
      group: "example.com",
      scope: "Namespaced",
      names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList" },
      versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: schema } }],
    },
  };
  return validateCRD(crd).map(fieldErrorText);
}

// ---- kcp's acceptance pipeline ----

/** Compiling is the slow part: equal schemas (an LCD equal to existing, say) share a validator. */
const validators = new Map<string, ReturnType<typeof compileSchemaValidator>>();

function accepts(schema: S, doc: unknown): { ok: boolean; doc: unknown; pruned: string[]; errors: string[] } {
  const s = schema as JSONSchemaProps;
  const x = { v: structuredClone(doc) };
  const wrapped: JSONSchemaProps = { type: "object", properties: { v: s } };
  const before = JSON.stringify(x);
  pruneNonNullableNulls(x, wrapped);
  // a null the schema drops is data lost too, like a pruned field
  const pruned = JSON.stringify(x) === before ? [] : ["<null dropped>"];
  pruned.push(...prune(x, wrapped, false));
  applyDefaults(x, wrapped);
  const cacheKey = JSON.stringify(schema);
  let v = validators.get(cacheKey);
  if (!v) {
    v = compileSchemaValidator(s);
    validators.set(cacheKey, v);
  }
  // A root the pipeline removed (a null nobody allows) is not a document.
  if (!("v" in x)) return { ok: false, doc: undefined, pruned, errors: ["<removed>"] };
  const errs = [...v.validate(x.v), ...validateListTypes(x.v, s, "")];
  return {
    ok: errs.length === 0,
    doc: x.v,
    pruned,
    errors: errs.map((e) => `${e.field}: ${e.type} ${e.detail ?? ""}`),
  };
}

test("property: whatever the LCD accepts, both schemas accept, and neither drops what the LCD kept", () => {
  // A fixed seed keeps the suite deterministic; LCD_SEED=random explores (the seed is printed).
  const env = process.env.LCD_SEED;
  const seed = env === "random" ? Math.floor(Math.random() * 1e9) : Number(env ?? 20261207);
  const g = new Gen(prng(seed));
  const pairs = Number(process.env.LCD_PAIRS ?? 400);
  let compatible = 0;
  let narrowed = 0;
  let docsAccepted = 0;
  let publishable = 0;
  for (let i = 0; i < pairs; i++) {
    const root = (x: S): S => ({ type: "object", properties: { root: x } });
    const existing = root(genSchema(g, 3));
    const incoming = g.chance(0.8) ? mutate(g, existing, 3) : root(genSchema(g, 3));
    addDefaults(g, existing, 0);
    const r = lowestCommonDenominator("X", existing, incoming, true);
    if (!r.ok) continue;
    compatible++;
    // Publishable: when both inputs are valid CRD schemas, so is the LCD.
    const inputsValid = crdErrors(existing).length === 0 && crdErrors(incoming).length === 0;
    if (inputsValid) publishable++;
    if (inputsValid && crdErrors(r.lcd).length > 0) {
      console.error(
        `LCD not a valid CRD schema (LCD_SEED=${seed}, pair ${i}):\n${JSON.stringify({ existing, incoming, lcd: r.lcd }, null, 1)}`,
      );
      expect(crdErrors(r.lcd)).toEqual([]);
    }
    // The LCD is a fixpoint: compatible with incoming as it is, and narrowing it again changes nothing.
    const again = lowestCommonDenominator("X", r.lcd, incoming, false);
    if (!again.ok || JSON.stringify(again.lcd) !== JSON.stringify(r.lcd)) {
      console.error(
        `LCD not a fixpoint (LCD_SEED=${seed}, pair ${i}):\n${JSON.stringify({ existing, incoming, lcd: r.lcd, again }, null, 1)}`,
      );
      expect(again).toEqual({ ok: true, lcd: r.lcd });
    }
    if (JSON.stringify(r.lcd) !== JSON.stringify(existing)) narrowed++;
    for (let j = 0; j < 20; j++) {
      const from = g.pick([existing, incoming, r.lcd]);
      const doc = genDoc(g, from, 4);
      const l = accepts(r.lcd, doc);
      if (!l.ok) continue;
      docsAccepted++;
      for (const [name, s] of [
        ["existing", existing],
        ["incoming", incoming],
      ] as const) {
        const x = accepts(s, l.doc);
        if (!x.ok || x.pruned.length > 0) {
          const report = {
            seed,
            i,
            name,
            existing,
            incoming,
            lcd: r.lcd,
            doc: l.doc,
            errors: x.errors,
            pruned: x.pruned,
          };
          console.error(`LCD property failed (replay with LCD_SEED=${seed}):\n${JSON.stringify(report, null, 1)}`);
          expect(x.errors).toEqual([]);
          expect(x.pruned).toEqual([]);
        }
      }
    }
  }
  console.log(
    `LCD property: seed ${seed}, ${pairs} pairs, ${compatible} compatible (${narrowed} narrowed, ${publishable} of valid CRD schemas), ${docsAccepted} documents the LCD accepts`,
  );
  // The generator must exercise the property, not only produce incompatible pairs.
  expect(compatible).toBeGreaterThan(pairs / 5);
  expect(narrowed).toBeGreaterThan(pairs / 20);
  expect(publishable).toBeGreaterThan(pairs / 5);
  expect(docsAccepted).toBeGreaterThan(pairs);
}, 60_000);
