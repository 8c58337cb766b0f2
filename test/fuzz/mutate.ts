// Mutations of valid objects and of their encoded bytes: the shapes hostile or broken clients send.
// Value mutations work on a JSON tree that may hold RawJson, text written as it is (numbers JSON.parse
// would round, duplicate keys, deep nesting built as text); byte mutations work on the encoded body.

import { stringify as stringifyYaml } from "yaml";
import type { Json, JsonObject } from "./fixtures.ts";
import type { Rng } from "./random.ts";

/** JSON text written verbatim where a value goes. */
export class RawJson {
  constructor(readonly text: string) {}
}

export type Value = Json | RawJson | Value[] | { [key: string]: Value };
type Obj = { [key: string]: Value };

/** The names JavaScript objects inherit, and a few that mean something to parsers. */
export const PROTOTYPE_NAMES = [
  ...Object.getOwnPropertyNames(Object.prototype),
  "prototype",
  "__defineGetter__",
  "length",
  "then",
];

export const HUGE_NUMBERS = [
  "1e400",
  "-1e400",
  "1e-400",
  "9007199254740993",
  "18446744073709551616",
  "-9223372036854775809",
  "9223372036854775807",
  "-0",
  "1.0",
  "0.5",
  "1E+2",
  "123456789012345678901234567890",
  "2147483648",
  "-2147483649",
];

export const ODD_STRINGS = [
  "NaN",
  "Infinity",
  "-Infinity",
  "0x1F",
  "1_000",
  "",
  " ",
  "\u0000",
  "true",
  "null",
  "~",
  "ünïcödé",
  "😀",
  "\u202e",
  "a\nb",
  "$" + "{x}",
  "{{x}}",
  "../..",
  "%00",
  "1Gi",
  "-1",
  "1e3",
];

/** Depths around the limits: SSA's 100, YAML flow's 1,000, JSON's 10,000. */
export const DEPTHS = [50, 99, 100, 101, 200, 999, 1000, 1001, 2000, 9999, 10000, 10001];

export function deepText(depth: number, kind: "array" | "object"): string {
  return kind === "array"
    ? `${"[".repeat(depth)}${"]".repeat(depth)}`
    : `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
}

function isObj(v: Value): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof RawJson);
}

/** A copy of the tree (RawJson shared: it is immutable). */
export function clone(v: Value): Value {
  if (Array.isArray(v)) return v.map(clone);
  if (isObj(v)) {
    const out: Obj = {};
    for (const k of Object.keys(v)) defineOwn(out, k, clone(v[k] as Value));
    return out;
  }
  return v;
}

/** obj[key] = value as an own property, also for `__proto__`. */
export function defineOwn(obj: Obj, key: string, value: Value): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Every container node of the tree with its path, for picking where to mutate. */
function containers(root: Value): Value[] {
  const out: Value[] = [];
  const walk = (v: Value, depth: number) => {
    if (depth > 30) return;
    if (Array.isArray(v)) {
      out.push(v);
      for (const x of v) walk(x, depth + 1);
    } else if (isObj(v)) {
      out.push(v);
      for (const k of Object.keys(v)) walk(v[k] as Value, depth + 1);
    }
  };
  walk(root, 0);
  return out;
}

/** A small random value of any type. */
export function randomValue(rng: Rng, depth = 0): Value {
  const t = rng.int(depth > 2 ? 6 : 8);
  switch (t) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.pick([0, 1, -1, 3, 2 ** 31, 2 ** 53, 0.5, 1e21]);
    case 3:
      return new RawJson(rng.pick(HUGE_NUMBERS));
    case 4:
      return rng.pick(ODD_STRINGS);
    case 5:
      return rng.pick(["a", "b", "fuzz", "s", "m", "app=fuzz", "kubernetes", "v1", "default"]);
    case 6:
      return Array.from({ length: rng.int(4) }, () => randomValue(rng, depth + 1));
    default: {
      const o: Obj = {};
      for (let i = rng.int(4); i > 0; i--)
        defineOwn(o, rng.pick(["a", "b", "name", "spec", ...PROTOTYPE_NAMES]), randomValue(rng, depth + 1));
      return o;
    }
  }
}

function otherType(rng: Rng, v: Value): Value {
  for (;;) {
    const n = randomValue(rng);
    if (typeof n !== typeof v || Array.isArray(n) !== Array.isArray(v)) return n;
  }
}

/** Replace, drop or add one member somewhere in the tree. Each returns false when it found no place. */
const VALUE_MUTATIONS: readonly (readonly [number, string, (rng: Rng, root: Value) => boolean])[] = [
  [5, "flip type", (rng, root) => replaceMember(rng, root, (v) => otherType(rng, v))],
  [
    3,
    "delete key",
    (rng, root) => {
      const o = pickObject(rng, root);
      const keys = o ? Object.keys(o) : [];
      if (!o || keys.length === 0) return false;
      delete o[rng.pick(keys)];
      return true;
    },
  ],
  [
    2,
    "duplicate key",
    (rng, root) => {
      const o = pickObject(rng, root);
      const keys = o ? Object.keys(o) : [];
      if (!o || keys.length === 0) return false;
      const k = rng.pick(keys);
      // Written as `"k": <first>, "k": <second>`: the member's value carries the second copy.
      o[k] = new RawJson(`${writeJson(o[k] as Value)}, ${JSON.stringify(k)}: ${writeJson(randomValue(rng))}`);
      return true;
    },
  ],
  [
    4,
    "prototype key",
    (rng, root) => {
      const o = pickObject(rng, root);
      if (!o) return false;
      defineOwn(o, rng.pick(PROTOTYPE_NAMES), rng.chance(0.5) ? randomValue(rng) : { polluted: "yes" });
      return true;
    },
  ],
  [
    2,
    "deep nesting",
    (rng, root) =>
      replaceMember(rng, root, () => new RawJson(deepText(rng.pick(DEPTHS), rng.chance(0.5) ? "array" : "object"))),
  ],
  [3, "huge number", (rng, root) => replaceMember(rng, root, () => new RawJson(rng.pick(HUGE_NUMBERS)))],
  [3, "odd string", (rng, root) => replaceMember(rng, root, () => rng.pick(ODD_STRINGS))],
  [
    1,
    "long string",
    (rng, root) => replaceMember(rng, root, () => "x".repeat(rng.pick([63, 64, 253, 254, 256, 4096, 65536, 300_000]))),
  ],
  [
    2,
    "lone surrogate",
    (rng, root) =>
      replaceMember(
        rng,
        root,
        () => new RawJson(rng.pick(['"\\ud800"', '"a\\udfffb"', '"\\u0000"', '"\\x41"', '"\\u12"'])),
      ),
  ],
  [
    1,
    "long list",
    (rng, root) =>
      replaceMember(rng, root, () => Array.from({ length: rng.pick([1000, 5000, 20000]) }, (_, i) => `v${i}`)),
  ],
  [
    1,
    "wide map",
    (rng, root) =>
      replaceMember(rng, root, () => {
        const o: Obj = {};
        for (let i = rng.pick([1000, 5000, 20000]); i > 0; i--) o[`k${i}`] = "v";
        return o;
      }),
  ],
];

function pickObject(rng: Rng, root: Value): Obj | undefined {
  const objs = containers(root).filter(isObj);
  return objs.length ? rng.pick(objs) : undefined;
}

function replaceMember(rng: Rng, root: Value, make: (old: Value) => Value): boolean {
  const all = containers(root);
  if (all.length === 0) return false;
  const c = rng.pick(all);
  if (Array.isArray(c)) {
    const list = c as Value[];
    if (list.length === 0) list.push(make(null));
    else {
      const i = rng.int(list.length);
      list[i] = make(list[i] as Value);
    }
    return true;
  }
  const o = c as Obj;
  const keys = Object.keys(o);
  const k = keys.length && rng.chance(0.8) ? rng.pick(keys) : rng.pick(["x", "spec", "data", "name", "metadata"]);
  defineOwn(o, k, make(Object.hasOwn(o, k) ? (o[k] as Value) : null));
  return true;
}

/** Apply 1 to 3 value mutations in place; their names, for the report. */
export function mutateValue(rng: Rng, root: Value): string[] {
  const applied: string[] = [];
  for (let n = rng.range(1, 3); n > 0; n--) {
    const [, name, fn] = rng.weighted(VALUE_MUTATIONS.map((m) => [m[0], m] as const));
    if (fn(rng, root)) applied.push(name);
  }
  return applied;
}

/** JSON text of the tree, RawJson written verbatim, `__proto__` written as the plain key it is. */
export function writeJson(v: Value): string {
  if (v instanceof RawJson) return v.text;
  if (Array.isArray(v)) return `[${v.map(writeJson).join(",")}]`;
  if (isObj(v))
    return `{${Object.keys(v)
      .map((k) => `${JSON.stringify(k)}:${writeJson(v[k] as Value)}`)
      .join(",")}}`;
  return JSON.stringify(v) ?? "null";
}

function hasRaw(v: Value): boolean {
  if (v instanceof RawJson) return true;
  if (Array.isArray(v)) return v.some(hasRaw);
  if (isObj(v)) return Object.keys(v).some((k) => hasRaw(v[k] as Value));
  return false;
}

/** YAML text: block style when the tree is plain, else JSON (a YAML flow document). */
export function writeYaml(v: Value): string {
  if (hasRaw(v)) return writeJson(v);
  return stringifyYaml(v as unknown, { aliasDuplicateObjects: false });
}

/** Extra YAML the JSON subset cannot say: aliases, tags, merge keys, several documents. */
export function yamlExtras(rng: Rng, doc: string): string {
  const block = !doc.trimStart().startsWith("{");
  const extra = rng.weighted<() => string>([
    [
      3,
      () => {
        // Laughs: each level aliases the one before `width` times, within the alias count or past it.
        const levels = rng.range(2, 12);
        const width = rng.range(2, 10);
        const lines = [`l0: &l0 ["${"lol".repeat(rng.pick([1, 100, 10000]))}"]`];
        for (let i = 1; i < levels; i++)
          lines.push(
            `l${i}: &l${i} [${Array(width)
              .fill(`*l${i - 1}`)
              .join(",")}]`,
          );
        return lines.join("\n");
      },
    ],
    [
      2,
      () =>
        `x: ${rng.pick(["!!binary AAEC", "!!binary '%%%'", "!!set {a, b}", "!!omap [{a: 1}]", "!!timestamp 2001-12-14", "!!float .nan", "!!float .inf", "!!int 0x10", "!custom x", "!!js/function 'f'", "!!python/object:os.system x"])}`,
    ],
    [2, () => `base: &b {app: fuzz}\nmerged: {<<: *b, x: 1}\nself: &s [*b]`],
    [1, () => "dup: 1\ndup: 2"],
    [1, () => `undefined: *nowhere`],
    [1, () => `---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: second}`],
    [1, () => `%YAML 1.1\n---\nx: y`],
    [1, () => `\tx: tab`],
    [1, () => `? [complex, key]\n: v`],
  ]);
  const text = extra();
  if (!block) return rng.chance(0.5) ? `${doc}\n${text}` : doc;
  return rng.chance(0.5) ? `${doc}${text}\n` : `${text}\n${doc}`;
}

const INVALID_UTF8: readonly number[][] = [
  [0xff],
  [0xc3, 0x28],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xc0, 0xaf],
  [0xe2, 0x82],
  [0x80],
];

/** One byte-level mutation of an encoded body, and its name. */
export function mutateBytes(rng: Rng, body: Uint8Array): [Uint8Array, string] {
  const at = (n = body.length) => rng.int(n + 1);
  const choice = rng.weighted<string>([
    [3, "truncate"],
    [3, "invalid utf-8"],
    [2, "flip byte"],
    [1, "trailing data"],
    [1, "empty"],
    [1, "bom"],
    [1, "nul bytes"],
  ]);
  const splice = (pos: number, insert: number[], drop = 0) => {
    const out = new Uint8Array(body.length + insert.length - drop);
    out.set(body.subarray(0, pos), 0);
    out.set(insert, pos);
    out.set(body.subarray(pos + drop), pos + insert.length);
    return out;
  };
  switch (choice) {
    case "truncate":
      return [body.subarray(0, at(Math.max(0, body.length - 1))), choice];
    case "invalid utf-8": {
      // Inside a string when there is one: after a quote, where a decoder must notice it.
      const quotes: number[] = [];
      for (let i = 0; i < body.length && quotes.length < 200; i++) if (body[i] === 0x22) quotes.push(i + 1);
      const pos = quotes.length && rng.chance(0.8) ? rng.pick(quotes) : at();
      return [splice(pos, rng.pick(INVALID_UTF8)), choice];
    }
    case "flip byte": {
      if (body.length === 0) return [body, choice];
      const out = body.slice();
      const i = rng.int(out.length);
      out[i] = (out[i] as number) ^ (1 << rng.int(8));
      return [out, choice];
    }
    case "trailing data":
      return [
        splice(body.length, [...new TextEncoder().encode(rng.pick(["{}", "]", "\n---\n{}", " x", "\0"]))]),
        choice,
      ];
    case "empty":
      return [new Uint8Array(0), choice];
    case "bom":
      return [splice(0, [0xef, 0xbb, 0xbf]), choice];
    default:
      return [splice(at(), [0, 0, 0]), choice];
  }
}

export type { Json, JsonObject };
