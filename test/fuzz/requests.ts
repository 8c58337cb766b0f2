// The case generator: from a seed and a case number, one HTTP request against a kcp server — a
// resource request (any verb, subresource, query, content type, patch type), a non-resource one
// (discovery, OpenAPI, version, health, metrics) or one with a path spelling a proxy would
// misread — built from valid objects and then mutated. Pure: no I/O, so a case is replayed from
// (seed, case number, worker count) alone.

import { gzipSync } from "node:zlib";
import { protobufMessageFor } from "../../src/apis/protobuf/messages/index.ts";
import { fixtureFor, type JsonObject, subresourceFixture } from "./fixtures.ts";
import {
  clone,
  DEPTHS,
  deepText,
  defineOwn,
  mutateBytes,
  mutateValue,
  ODD_STRINGS,
  PROTOTYPE_NAMES,
  RawJson,
  randomValue,
  type Value,
  writeJson,
  writeYaml,
  yamlExtras,
} from "./mutate.ts";
import { protobufBody } from "./protobuf-encode.ts";
import { Rng } from "./random.ts";

/** A resource (or subresource) as discovery lists it. */
export interface ApiResource {
  group: string;
  version: string;
  /** Plural name; for a subresource, its parent's. */
  resource: string;
  subresource?: string;
  kind: string;
  namespaced: boolean;
  verbs: string[];
}

export interface Identities {
  /** The admin token (system:masters): the fuzzer's main identity, exempt from fairness limits. */
  admin: string;
  /** A service account token of the worker's own cluster (a tenant with no rights of note). */
  serviceAccount: string;
}

export interface CaseContext {
  resources: ApiResource[];
  /** The worker's logical cluster: the only one its cases may write to. */
  cluster: string;
  /** A cluster no case may write to (its objects must not change). */
  victim: string;
  tokens: Identities;
}

export interface FuzzRequest {
  seed: number;
  index: number;
  method: string;
  /** The request target exactly as sent (path and query). */
  target: string;
  headers: [string, string][];
  body?: Uint8Array;
  /** Sent as raw bytes over TLS: fetch would rewrite the path (dot segments, escapes, raw UTF-8). */
  raw: boolean;
  /** A watch: the answer streams, and the client reads its start only. */
  watch: boolean;
  /** What was done to the request, for the report. */
  notes: string[];
}

const PATCH_TYPES = {
  json: "application/json-patch+json",
  merge: "application/merge-patch+json",
  strategic: "application/strategic-merge-patch+json",
  apply: "application/apply-patch+yaml",
} as const;

const NAMES = ["a", "b", "c", "fuzz-1"];
const ODD_NAMES = [
  "UPPER",
  "with.dots",
  "-lead",
  "trail-",
  "x".repeat(253),
  "x".repeat(254),
  "x".repeat(2000),
  "ünï",
  "a%2Fb",
  "a%252Eb",
  "%2e",
  "a b",
  "a:b",
  "__proto__",
  "constructor",
  "toString",
  "*",
  "~",
];
const NAMESPACES = ["default", "fz"];
const ODD_NAMESPACES = ["kube-system", "no-such-ns", "UPPER", "__proto__", "x".repeat(64), "%2e%2e"];

const ACCEPTS = [
  "application/json",
  "application/yaml",
  "application/vnd.kubernetes.protobuf",
  "application/vnd.kubernetes.protobuf;stream=watch",
  "application/json;as=Table;v=v1;g=meta.k8s.io",
  "application/json;as=Table;v=v1beta1;g=meta.k8s.io, application/json",
  "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io",
  "application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io",
  "application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io",
  "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json",
  "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList",
  "*/*",
  "text/html",
  "application/cbor",
  "application/json;q=0",
  "garbage",
  ";;;",
  "application/json;as=__proto__;g=constructor;v=toString",
  "",
];

const BOGUS_CONTENT_TYPES = [
  "text/plain",
  "application/x-www-form-urlencoded",
  "application/json; charset=utf-16",
  "application/cbor",
  "application/json;;",
  "*/*",
  "application/apply-patch+cbor",
  "application/vnd.kubernetes.protobuf;stream=watch",
  "multipart/form-data; boundary=x",
  "application/__proto__",
];

type Query = [string, string][];

/** Query parameters and the values tried for each: valid ones and broken ones. */
const QUERY_VALUES: Record<string, readonly string[]> = {
  labelSelector: [
    "app=fuzz",
    "app in (fuzz,x)",
    "!app",
    "app!=x,tier",
    "a=(",
    "=",
    "x".repeat(100) + "=y",
    "__proto__=1",
    "app=fuzz,".repeat(200),
  ],
  fieldSelector: [
    "metadata.name=a",
    "metadata.namespace!=default",
    "spec.x=y",
    "metadata.name==a",
    "a",
    "metadata.name=a,metadata.name=b",
    "type=Opaque",
  ],
  limit: ["1", "2", "0", "-1", "500", "abc", "99999999999999999999", "1.5"],
  continue: ["", "abc", "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MSwic3RhcnQiOiJhIn0", "eyJ2IjoieCJ9", "%%%", "__proto__"],
  resourceVersion: ["0", "", "1", "abc", "99999999999", "-1", "18446744073709551616"],
  resourceVersionMatch: ["NotOlderThan", "Exact", "bogus"],
  watch: ["true", "1", "false", "0", "yes"],
  timeoutSeconds: ["1", "0", "-1", "abc", "99999999999"],
  allowWatchBookmarks: ["true", "x"],
  sendInitialEvents: ["true", "false", "x"],
  dryRun: ["All", "all", "bogus", ""],
  fieldManager: ["fuzzer", "", "x".repeat(129), "ünï", "__proto__", "kubectl-client-side-apply"],
  fieldValidation: ["Strict", "Warn", "Ignore", "strict", "bogus", ""],
  force: ["true", "false", "x"],
  propagationPolicy: ["Foreground", "Background", "Orphan", "bogus"],
  gracePeriodSeconds: ["0", "30", "-1", "abc"],
  orphanDependents: ["true", "false", "x"],
  pretty: ["true", "1", "x"],
  includeObject: ["Object", "Metadata", "None", "x"],
  exact: ["true"],
  export: ["true"],
  __proto__: ["x"],
  constructor: ["x"],
};

function queryFor(rng: Rng, names: readonly string[], extra: Query = []): Query {
  const q: Query = [...extra];
  for (
    let n = rng.weighted([
      [3, 0],
      [4, 1],
      [3, 2],
      [1, 4],
    ]);
    n > 0;
    n--
  ) {
    const name = rng.pick(names);
    q.push([name, rng.pick(QUERY_VALUES[name] ?? ["x"])]);
  }
  return q;
}

function writeQuery(q: Query): string {
  if (q.length === 0) return "";
  return `?${q.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&")}`;
}

const READ_PARAMS = [
  "labelSelector",
  "fieldSelector",
  "limit",
  "continue",
  "resourceVersion",
  "resourceVersionMatch",
  "pretty",
  "includeObject",
  "timeoutSeconds",
  "__proto__",
];
const WATCH_PARAMS = [
  "labelSelector",
  "fieldSelector",
  "resourceVersion",
  "allowWatchBookmarks",
  "sendInitialEvents",
  "resourceVersionMatch",
];
const WRITE_PARAMS = ["dryRun", "fieldManager", "fieldValidation", "pretty", "constructor"];
const DELETE_PARAMS = [
  "dryRun",
  "propagationPolicy",
  "gracePeriodSeconds",
  "orphanDependents",
  "labelSelector",
  "fieldSelector",
  "resourceVersion",
];

function apiPrefix(r: ApiResource): string {
  return r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
}

interface Built {
  method: string;
  path: string;
  query: Query;
  contentType?: string;
  body?: Uint8Array;
  watch?: boolean;
}

const enc = new TextEncoder();

/** A body in one of the content types, from a value (and its kind, for protobuf). */
function encodeBody(rng: Rng, value: Value, notes: string[]): { contentType: string; body: Uint8Array } {
  const format = rng.weighted([
    [10, "json"],
    [4, "yaml"],
    [3, "protobuf"],
    [1, "bogus"],
  ] as const);
  if (format === "protobuf") {
    const obj = value as JsonObject;
    const desc =
      typeof obj === "object" &&
      obj &&
      !Array.isArray(obj) &&
      typeof obj.apiVersion === "string" &&
      typeof obj.kind === "string"
        ? protobufMessageFor(obj.apiVersion, obj.kind)
        : undefined;
    if (desc) {
      notes.push("protobuf");
      const plain = JSON.parse(JSON.stringify(obj, (_k, v) => (v instanceof RawJson ? safeParse(v.text) : v)));
      return {
        contentType: "application/vnd.kubernetes.protobuf",
        body: protobufMutate(rng, protobufBody(desc, plain), notes),
      };
    }
  }
  if (format === "yaml") {
    notes.push("yaml");
    let text = writeYaml(value);
    if (rng.chance(0.3)) {
      text = yamlExtras(rng, text);
      notes.push("yaml extras");
    }
    return { contentType: rng.pick(["application/yaml", "application/yaml; charset=utf-8"]), body: enc.encode(text) };
  }
  if (format === "bogus") {
    const contentType = rng.pick(BOGUS_CONTENT_TYPES);
    notes.push(`content-type ${contentType}`);
    return { contentType, body: enc.encode(writeJson(value)) };
  }
  return {
    contentType: rng.pick(["application/json", "application/json; charset=utf-8", "application/json;charset=UTF-8"]),
    body: enc.encode(writeJson(value)),
  };
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Protobuf-specific damage: unknown fields, wrong wire types, huge lengths, deep nesting, overlong varints. */
function protobufMutate(rng: Rng, body: Uint8Array, notes: string[]): Uint8Array {
  if (!rng.chance(0.5)) return body;
  const what = rng.pick([
    "unknown field",
    "wrong wire type",
    "huge length",
    "deep nesting",
    "overlong varint",
    "bad prefix",
    "envelope kind",
  ]);
  notes.push(`protobuf ${what}`);
  const tail = (bytes: number[]) => {
    // Appended to the envelope's raw field would need its length redone: append to the envelope instead,
    // and sometimes inside the object by rewriting as a fresh envelope around extra bytes.
    const out = new Uint8Array(body.length + bytes.length);
    out.set(body, 0);
    out.set(bytes, body.length);
    return out;
  };
  switch (what) {
    case "unknown field":
      return tail([0xf8, 0xff, 0x03, 0x01]);
    case "wrong wire type":
      return tail([0x0d, 1, 2, 3, 4, 0x12, 0x05]);
    case "huge length":
      return tail([0x12, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]);
    case "deep nesting": {
      // Field 1 (metadata, a message) nested in itself: each level is a length-delimited field 1.
      // Lengths from the innermost level out, then the headers written outermost first.
      const depth = rng.pick([50, 199, 200, 201, 1000]);
      const lengths = [0];
      for (let i = 1; i <= depth; i++) {
        const prev = lengths[i - 1] as number;
        lengths.push(prev + 1 + varintBytes(prev).length);
      }
      const inner: number[] = [];
      for (let i = depth - 1; i >= 0; i--) inner.push(0x0a, ...varintBytes(lengths[i] as number));
      const raw = [0x12, ...varintBytes(inner.length), ...inner];
      return new Uint8Array([0x6b, 0x38, 0x73, 0x00, 0x0a, 0x06, 0x0a, 0x02, 0x76, 0x31, 0x12, 0x00, ...raw]);
    }
    case "overlong varint":
      return tail([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    case "bad prefix":
      return body.subarray(rng.int(5));
    default: {
      const out = body.slice();
      // The apiVersion's first byte, inside the envelope's type meta.
      if (out.length > 8) out[8] = 0x7a;
      return out;
    }
  }
}

function varintBytes(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

/** JSON Pointers into an object: where patches aim. */
function pointers(v: Value, prefix = "", out: string[] = [], depth = 0): string[] {
  if (depth > 6 || out.length > 200) return out;
  if (Array.isArray(v)) {
    v.forEach((x, i) => {
      out.push(`${prefix}/${i}`);
      pointers(x, `${prefix}/${i}`, out, depth + 1);
    });
    out.push(`${prefix}/-`);
  } else if (v && typeof v === "object" && !(v instanceof RawJson)) {
    for (const k of Object.keys(v)) {
      const p = `${prefix}/${k.replace(/~/g, "~0").replace(/\//g, "~1")}`;
      out.push(p);
      pointers((v as Record<string, Value>)[k] as Value, p, out, depth + 1);
    }
  }
  return out;
}

const ODD_POINTERS = [
  "",
  "/",
  "//",
  "/~2",
  "/~",
  "/metadata/__proto__/x",
  "/__proto__",
  "/constructor/prototype",
  "/data/toString",
  "/metadata/labels/~1~0",
  "/spec/ports/99",
  "/spec/ports/-1",
  "/spec/ports/01",
  "a/b",
  "/metadata/finalizers/-/x",
];

function jsonPatch(rng: Rng, base: Value, notes: string[]): Value {
  const ptrs = pointers(base);
  const ptr = () => (rng.chance(0.85) && ptrs.length ? rng.pick(ptrs) : rng.pick(ODD_POINTERS));
  if (rng.chance(0.03)) {
    notes.push("json patch self-copy");
    return Array.from({ length: rng.range(5, 40) }, () => ({
      op: "copy",
      from: "/metadata/labels",
      path: `/metadata/x${rng.int(3)}`,
    })).concat(
      Array.from({ length: rng.range(5, 30) }, () => ({
        op: "copy",
        from: "/metadata/finalizers",
        path: "/metadata/finalizers/-",
      })) as never,
    );
  }
  if (rng.chance(0.02)) {
    notes.push("json patch 10001 ops");
    return Array.from({ length: 10_001 }, () => ({ op: "test", path: "/kind", value: "x" }));
  }
  const ops: Value[] = [];
  for (let n = rng.range(1, 5); n > 0; n--) {
    const op = rng.weighted([
      [3, "add"],
      [2, "remove"],
      [3, "replace"],
      [1, "move"],
      [2, "copy"],
      [2, "test"],
      [1, "bogus"],
    ] as const);
    const o: Record<string, Value> = {
      op: op === "bogus" ? rng.pick(["ADD", "", "__proto__", "merge"]) : op,
      path: ptr(),
    };
    if (op === "move" || op === "copy") o.from = ptr();
    if (op === "add" || op === "replace" || op === "test")
      o.value = rng.chance(0.5) ? randomValue(rng) : rng.pick(["x", 1, { a: "b" }, ["f"]]);
    if (rng.chance(0.1)) delete o[rng.pick(["op", "path", "value", "from"])];
    ops.push(o);
  }
  return rng.chance(0.05) ? ({ op: "add", path: "/x", value: 1 } as Value) : ops;
}

/** A part of the object (a few top-level members, maybe nulls to delete), for merge and strategic patches. */
function partial(rng: Rng, base: Value): Record<string, Value> {
  const out: Record<string, Value> = {};
  if (!base || typeof base !== "object" || Array.isArray(base) || base instanceof RawJson) return out;
  for (const k of Object.keys(base)) {
    if (k === "apiVersion" || k === "kind") continue;
    if (rng.chance(0.5)) defineOwn(out, k, rng.chance(0.1) ? null : clone((base as Record<string, Value>)[k] as Value));
  }
  return out;
}

const SMP_DIRECTIVES: readonly ((rng: Rng, p: Record<string, Value>) => void)[] = [
  (_r, p) => defineOwn(p, "$patch", "replace"),
  (rng, p) => defineOwn(p, "metadata", { $patch: rng.pick(["delete", "replace", "merge", "bogus"]) } as Value),
  (rng, p) =>
    defineOwn(p, "metadata", {
      "$setElementOrder/finalizers": rng.pick([["fuzz.example.com/f"], [], "x", [{ a: 1 }]]),
    } as Value),
  (rng, p) =>
    defineOwn(p, "metadata", {
      "$deleteFromPrimitiveList/finalizers": rng.pick([["fuzz.example.com/f"], "x", [1]]),
    } as Value),
  (rng, p) => defineOwn(p, "$retainKeys", rng.pick([["metadata"], "x", [1], []])),
  (rng, p) =>
    defineOwn(p, "spec", {
      ports: [
        { name: "http", $patch: "delete" },
        { name: rng.pick(["new", "__proto__", 1]), port: 1 },
      ],
    } as Value),
  (rng, p) =>
    defineOwn(p, "metadata", {
      finalizers: Array.from({ length: rng.pick([3, 1000, 20000]) }, (_, i) => `example.com/f${i}`),
    } as Value),
  (_r, p) =>
    defineOwn(p, "metadata", {
      ownerReferences: [
        { uid: "u1", $patch: "delete" },
        { uid: "__proto__", name: "x", kind: "K", apiVersion: "v1" },
      ],
    } as Value),
  (rng, p) => defineOwn(p, "rules", [{ $patch: rng.pick(["delete", "replace"]) }] as Value),
];

function patchBody(rng: Rng, base: Value, notes: string[]): { contentType: string; body: Uint8Array; query: Query } {
  const type = rng.weighted([
    [5, "json"],
    [5, "merge"],
    [5, "strategic"],
    [4, "apply"],
    [1, "bogus"],
  ] as const);
  notes.push(`patch ${type}`);
  const query: Query = [];
  if (type === "json")
    return { contentType: PATCH_TYPES.json, body: enc.encode(writeJson(jsonPatch(rng, base, notes))), query };
  if (type === "bogus")
    return {
      contentType: rng.pick(["application/json", "application/yaml", "text/plain", ""]),
      body: enc.encode(writeJson(partial(rng, base))),
      query,
    };
  if (type === "apply") {
    const applied = clone(base);
    if (rng.chance(0.5)) notes.push(...mutateValue(rng, applied));
    if (rng.chance(0.9)) query.push(["fieldManager", rng.pick(["fuzzer", "other", "x".repeat(129), ""])]);
    if (rng.chance(0.3)) query.push(["force", rng.pick(["true", "false"])]);
    const asJson = rng.chance(0.4);
    notes.push(asJson ? "apply as json" : "apply as yaml");
    let text = asJson ? writeJson(applied) : writeYaml(applied);
    if (!asJson && rng.chance(0.2)) text = yamlExtras(rng, text);
    return { contentType: PATCH_TYPES.apply, body: enc.encode(text), query };
  }
  const p = partial(rng, base);
  if (type === "strategic" && rng.chance(0.5)) {
    rng.pick(SMP_DIRECTIVES)(rng, p);
    notes.push("smp directive");
  }
  if (rng.chance(0.5)) notes.push(...mutateValue(rng, p));
  return { contentType: PATCH_TYPES[type], body: enc.encode(writeJson(p)), query };
}

function deleteOptionsBody(rng: Rng, notes: string[]): { contentType: string; body: Uint8Array } | undefined {
  if (!rng.chance(0.3)) return undefined;
  const opts: Value = {
    apiVersion: "v1",
    kind: "DeleteOptions",
    propagationPolicy: rng.pick(["Foreground", "Background", "Orphan", "Bogus"]),
    gracePeriodSeconds: rng.pick([0, 30, -1]),
    ...(rng.chance(0.3) ? { preconditions: { uid: rng.pick(["x", ""]), resourceVersion: "1" } } : {}),
    ...(rng.chance(0.2) ? { dryRun: rng.pick([["All"], ["x"], "All"]) } : {}),
  };
  if (rng.chance(0.4)) notes.push(...mutateValue(rng, opts));
  notes.push("delete options");
  return encodeBody(rng, opts, notes);
}

/** A path segment: escaped, except that escapes already written (`a%2Fb`, `%2e`) are sent as they are. */
function segment(s: string): string {
  return s.includes("%") ? s : encodeURIComponent(s);
}

function resourceRequest(rng: Rng, ctx: CaseContext, notes: string[]): Built & { cluster: string } {
  const r = rng.pick(ctx.resources);
  const sub = r.subresource;
  const nsChoice = r.namespaced
    ? rng.weighted([
        [6, "own"],
        [1, "odd"],
        [2, "all"],
      ] as const)
    : "none";
  const namespace =
    nsChoice === "own" ? rng.pick(NAMESPACES) : nsChoice === "odd" ? rng.pick(ODD_NAMESPACES) : undefined;
  const name = rng.chance(0.85) ? rng.pick(NAMES) : rng.pick(ODD_NAMES);
  // Every request of a worker names its own cluster, except reads through the cross-cluster view
  // and, rarely, writes there (which must be refused).
  const where = rng.weighted([
    [20, "own"],
    [1, "wildcard"],
    [1, "wildcard-escaped"],
  ] as const);
  const cluster = where === "own" ? ctx.cluster : where === "wildcard" ? "*" : "%2A";
  const nsPart = namespace === undefined ? "" : `/namespaces/${segment(namespace)}`;
  const base = `/clusters/${cluster}${apiPrefix(r)}${nsPart}/${r.resource}`;
  const item = `${base}/${segment(name)}`;
  const fixture = fixtureFor(r.group, r.resource, r.version, r.kind, name, namespace);
  const object: Value = sub ? subresourceFixture(sub, fixture, name, namespace) : fixture;
  const verbs = sub
    ? ["get", "update", "patch", "create"]
    : [
        "list",
        "list",
        "watch",
        "get",
        "get",
        "create",
        "create",
        "create",
        "update",
        "patch",
        "patch",
        "patch",
        "delete",
        "deletecollection",
      ];
  const verb = rng.chance(0.9)
    ? (rng.pick(verbs.filter((v) => !r.verbs.length || r.verbs.includes(v) || rng.chance(0.05))) ?? rng.pick(verbs))
    : rng.pick(verbs);
  notes.push(`${verb} ${r.group || "core"}/${r.resource}${sub ? `/${sub}` : ""}`);
  const target = sub ? `${item}/${sub}` : item;
  switch (verb) {
    case "list":
      return {
        method: rng.chance(0.97) ? "GET" : rng.pick(["HEAD", "OPTIONS"]),
        path: base,
        query: queryFor(rng, READ_PARAMS),
        cluster,
      };
    case "watch": {
      const legacy = rng.chance(0.2);
      const path = legacy ? `/clusters/${cluster}${apiPrefix(r)}/watch${nsPart}/${r.resource}` : base;
      const query = queryFor(rng, WATCH_PARAMS, legacy ? [] : [["watch", rng.pick(["true", "1", "true", "x"])]]);
      query.push(["timeoutSeconds", rng.pick(["1", "1", "2", "0", "-5"])]);
      return { method: "GET", path, query, watch: true, cluster };
    }
    case "get":
      return { method: "GET", path: target, query: queryFor(rng, ["resourceVersion", "pretty", "__proto__"]), cluster };
    case "create":
    case "update": {
      const obj = clone(object);
      if (rng.chance(0.6)) notes.push(...mutateValue(rng, obj));
      const { contentType, body } = encodeBody(rng, obj, notes);
      const path = verb === "create" ? (sub ? target : base) : target;
      return {
        method: verb === "create" ? "POST" : "PUT",
        path,
        query: queryFor(rng, WRITE_PARAMS),
        contentType,
        body,
        cluster,
      };
    }
    case "patch": {
      const { contentType, body, query } = patchBody(rng, object, notes);
      return { method: "PATCH", path: target, query: queryFor(rng, WRITE_PARAMS, query), contentType, body, cluster };
    }
    case "delete":
    case "deletecollection": {
      const opts = deleteOptionsBody(rng, notes);
      return {
        method: "DELETE",
        path: verb === "delete" ? target : base,
        query: queryFor(rng, DELETE_PARAMS),
        ...opts,
        cluster,
      };
    }
    default:
      return { method: "GET", path: target, query: [], cluster };
  }
}

function nonResourceRequest(rng: Rng, ctx: CaseContext, notes: string[]): Built & { cluster: string } {
  const r = rng.pick(ctx.resources);
  const group = r.group ? `/apis/${r.group}` : "/api";
  const path = rng.pick([
    "/version",
    "/healthz",
    "/livez",
    "/readyz",
    "/readyz?verbose",
    "/livez/ping",
    "/healthz/log",
    "/readyz/no-such-check",
    "/metrics",
    "/openapi/v2",
    "/openapi/v3",
    `/openapi/v3${apiPrefix(r)}`,
    `/openapi/v3${apiPrefix(r)}?hash=abc`,
    "/openapi/v3/apis/no.such/v1",
    "/api",
    "/apis",
    group,
    apiPrefix(r),
    `${apiPrefix(r)}/no-such-resource`,
    "/apis/no.such.group",
    "/apis/no.such.group/v1",
    "/",
    "/no/such/path",
    "/openapi/v2?timeout=32s",
  ]);
  const prefix = rng.weighted([
    [4, `/clusters/${ctx.cluster}`],
    [2, ""],
    [1, "/clusters/*"],
  ] as const);
  notes.push(`non-resource ${path}`);
  const [p, q] = path.split("?");
  const query: Query = q ? [[q, ""]] : [];
  const method = rng.weighted([
    [20, "GET"],
    [1, "HEAD"],
    [1, "POST"],
    [1, "DELETE"],
    [1, "OPTIONS"],
  ] as const);
  const built: Built & { cluster: string } = {
    method,
    path: `${prefix}${p}`,
    query,
    cluster: prefix ? ctx.cluster : "admin",
  };
  if (method === "POST") built.body = enc.encode("{}");
  return built;
}

/** Spellings a path-prefix proxy would misread, and bytes no path should hold; sent raw. */
function pathMutation(rng: Rng, ctx: CaseContext, path: string, notes: string[]): string {
  const segs = path.split("/");
  const at = rng.range(1, segs.length);
  const what = rng.weighted([
    [3, "dot-dot to victim"],
    [2, "dot segment"],
    [2, "escaped slash"],
    [2, "malformed escape"],
    [1, "double slash"],
    [1, "backslash"],
    [2, "raw utf-8"],
    [1, "escaped cluster"],
    [1, "long segment"],
    [1, "absolute form"],
    [1, "fragment"],
  ] as const);
  notes.push(`path ${what}`);
  const insert = (s: string) => [...segs.slice(0, at), s, ...segs.slice(at)].join("/");
  switch (what) {
    case "dot-dot to victim":
      return `/clusters/${ctx.cluster}/${rng.pick(["..", "%2e%2e", "%2E%2e", ".%2e"])}/${ctx.victim}${path.slice(`/clusters/${ctx.cluster}`.length)}`;
    case "dot segment":
      return insert(rng.pick([".", "%2e", "..", "%2E%2E", "...", "x/.."]));
    case "escaped slash":
      return insert(rng.pick(["a%2Fb", "%2F", "a%2fb", "%5C"]));
    case "malformed escape":
      return insert(rng.pick(["%E0%A4%A", "%zz", "%", "%0", "%C0%AF", "%FF", "%00", "%ED%A0%80"]));
    case "double slash":
      return insert("");
    case "backslash":
      return insert(rng.pick(["a\\b", "\\..\\"]));
    case "raw utf-8":
      return insert(rng.pick(["ünï", "😀", "\u202e", "\u0085"]));
    case "escaped cluster":
      return path.replace(
        `/clusters/${ctx.cluster}`,
        `/clusters/${ctx.cluster.replace(/z/g, "%7a").replace(/-/g, "%2D")}`,
      );
    case "long segment":
      return insert("x".repeat(rng.pick([255, 256, 8000])));
    case "absolute form":
      return `https://127.0.0.1${path}`;
    default:
      return `${path}#frag`;
  }
}

function authHeaders(rng: Rng, ctx: CaseContext, notes: string[]): [string, string][] {
  const who = rng.weighted([
    [40, "admin"],
    [2, "service account"],
    [1, "none"],
    [1, "garbage"],
    [1, "basic"],
    [1, "malformed"],
  ] as const);
  if (who !== "admin") notes.push(`auth ${who}`);
  const h: [string, string][] = [];
  switch (who) {
    case "admin":
      h.push(["Authorization", `Bearer ${ctx.tokens.admin}`]);
      break;
    case "service account":
      h.push(["Authorization", `Bearer ${ctx.tokens.serviceAccount}`]);
      break;
    case "garbage":
      h.push([
        "Authorization",
        `Bearer ${rng.pick(["x", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.", "a".repeat(5000), `${ctx.tokens.admin}x`])}`,
      ]);
      break;
    case "basic":
      h.push(["Authorization", `Basic ${btoa("admin:admin")}`]);
      break;
    case "malformed":
      h.push([
        "Authorization",
        rng.pick([
          "Bearer",
          "Bearer  ",
          `bearer ${ctx.tokens.admin}`,
          `Bearer ${ctx.tokens.admin} extra`,
          "Negotiate x",
        ]),
      ]);
      break;
  }
  if (who === "admin" && rng.chance(0.05)) {
    const user = rng.pick(["alice", "system:admin", "", "system:serviceaccount:default:fuzz-sa", "__proto__", "ünï"]);
    h.push(["Impersonate-User", user]);
    if (rng.chance(0.5)) h.push(["Impersonate-Group", rng.pick(["system:masters", "system:authenticated", "g", ""])]);
    if (rng.chance(0.3))
      h.push([`Impersonate-Extra-${rng.pick(["scopes", "__proto__", "a%20b", "constructor"])}`, "v"]);
    if (rng.chance(0.2)) h.push(["Impersonate-Uid", "u-1"]);
    notes.push(`impersonate ${JSON.stringify(user)}`);
  }
  if (rng.chance(0.02)) h.push(["X-Remote-User", "admin"], ["X-Remote-Group", "system:masters"]);
  return h;
}

/** The request of case `index` under `seed`. */
export function generateCase(seed: number, index: number, ctx: CaseContext): FuzzRequest {
  const rng = new Rng(seed, index);
  const notes: string[] = [];
  const kind = rng.weighted([
    [85, "resource"],
    [10, "non-resource"],
  ] as const);
  const built = kind === "resource" ? resourceRequest(rng, ctx, notes) : nonResourceRequest(rng, ctx, notes);
  const headers = authHeaders(rng, ctx, notes);
  let body = built.body;
  if (body && rng.chance(0.15)) {
    const [mutated, name] = mutateBytes(rng, body);
    body = mutated;
    notes.push(`bytes ${name}`);
  }
  if (built.contentType !== undefined) headers.push(["Content-Type", built.contentType]);
  if (rng.chance(0.5)) headers.push(["Accept", rng.chance(0.6) ? "application/json" : rng.pick(ACCEPTS)]);
  if (body && rng.chance(0.04)) {
    const encoding = rng.pick(["gzip", "gzip-plain", "br", "deflate", "identity", "x-bogus"]);
    if (encoding === "gzip") body = new Uint8Array(gzipSync(body));
    headers.push(["Content-Encoding", encoding === "gzip-plain" ? "gzip" : encoding]);
    notes.push(`content-encoding ${encoding}`);
  }
  let path = built.path;
  let raw = false;
  if (rng.chance(0.07)) {
    path = pathMutation(rng, ctx, path, notes);
    raw = true;
  }
  const target = `${path}${writeQuery(built.query)}`;
  // fetch resolves dot segments and escapes non-ASCII: such targets go out raw.
  if (!raw && new URL(target, "https://h").pathname !== path) raw = true;
  return {
    seed,
    index,
    method: built.method,
    target,
    headers,
    body,
    raw,
    watch: built.watch === true,
    notes,
  };
}

/** Deep documents of every kind, for the depth limits (used by the regression list too). */
export function deepBody(depth: number, kind: "array" | "object"): string {
  return `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep"},"data":${deepText(depth, kind)}}`;
}

export { DEPTHS, ODD_STRINGS, PROTOTYPE_NAMES };
