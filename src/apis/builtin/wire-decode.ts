// What kube-apiserver rejects while decoding a body into its Go struct, before any validation runs:
// a JSON value of the wrong type, bad base64 in a []byte field, a malformed quantity or timestamp.
// kube answers those with 400 BadRequest, not 422, worded like
//   Lease in version "v1" cannot be handled as a Lease: json: cannot unmarshal string into Go struct field LeaseSpec.spec.leaseDurationSeconds of type int32
// Each check returns the decoded (and, for times and quantities, canonical) value; null and absent pass as undefined.

import { setOwn } from "../../machinery/object.ts";
import { errors, type StatusError } from "../../machinery/status.ts";
import { formatQuantity, QuantityError, quantityFromJSON } from "../../machinery/quantity.ts";
import { normalizeGoTime, TimeParseError, type TimeLayout } from "./timestamps.ts";

/** The JSON kind of a value as Go's decoder names it in errors. */
function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return "array";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number") return "number";
  if (typeof v === "string") return "string";
  return "object";
}

/** Where a field sits: Go names the innermost struct type and the dotted JSON path from the root. */
export interface FieldRef {
  struct: string;
  path: string;
}

export class WireDecoder {
  constructor(
    readonly kind: string,
    readonly version: string,
  ) {}

  fail(detail: string): StatusError {
    return errors.badRequest(
      `${this.kind} in version "${this.version}" cannot be handled as a ${this.kind}: ${detail}`,
    );
  }

  private mismatch(at: FieldRef, value: string, goType: string): StatusError {
    return this.fail(`json: cannot unmarshal ${value} into Go struct field ${at.struct}.${at.path} of type ${goType}`);
  }

  string(v: unknown, at: FieldRef): string | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "string") throw this.mismatch(at, jsonKind(v), "string");
    return v;
  }

  bool(v: unknown, at: FieldRef): boolean | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "boolean") throw this.mismatch(at, jsonKind(v), "bool");
    return v;
  }

  int(v: unknown, at: FieldRef, bits: 32 | 64): number | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "number") throw this.mismatch(at, jsonKind(v), `int${bits}`);
    const limit = bits === 32 ? 2 ** 31 : 2 ** 63;
    if (!Number.isInteger(v) || v < -limit || v >= limit) throw this.mismatch(at, `number ${v}`, `int${bits}`);
    return v;
  }

  object(v: unknown, at: FieldRef, goType: string): Record<string, unknown> | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "object" || Array.isArray(v)) throw this.mismatch(at, jsonKind(v), goType);
    return v as Record<string, unknown>;
  }

  array(v: unknown, at: FieldRef, goType: string): unknown[] | undefined {
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) throw this.mismatch(at, jsonKind(v), goType);
    return v;
  }

  /** A list of objects: each element must be an object (null elements decode as zero values). */
  objectList(v: unknown, at: FieldRef, elemType: string): Record<string, unknown>[] | undefined {
    const arr = this.array(v, at, `[]${elemType}`);
    if (!arr) return undefined;
    return arr.map((e) => this.object(e, at, elemType) ?? {});
  }

  /** A list of strings; `elemType` names Go's element type (e.g. v1.FinalizerName) in errors. */
  strings(v: unknown, at: FieldRef, elemType = "string"): string[] | undefined {
    const arr = this.array(v, at, `[]${elemType}`);
    if (!arr) return undefined;
    for (const e of arr) if (e !== null && typeof e !== "string") throw this.mismatch(at, jsonKind(e), elemType);
    return arr.map((e) => (typeof e === "string" ? e : ""));
  }

  stringMap(v: unknown, at: FieldRef, goType = "map[string]string"): Record<string, string> | undefined {
    const obj = this.object(v, at, goType);
    if (!obj) return undefined;
    for (const e of Object.values(obj))
      if (e !== null && typeof e !== "string") throw this.mismatch(at, jsonKind(e), "string");
    return obj as Record<string, string>;
  }

  /** A []byte field: a base64 string, checked as Go's StdEncoding decoder does. */
  bytes(v: unknown, at: FieldRef): Buffer | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "string") throw this.mismatch(at, jsonKind(v), "[]uint8");
    const bad = base64ErrorOffset(v);
    if (bad >= 0) throw this.fail(`illegal base64 data at input byte ${bad}`);
    return Buffer.from(v, "base64");
  }

  /** A map of []byte values (Secret.data, ConfigMap.binaryData). */
  bytesMap(v: unknown, at: FieldRef): Record<string, Buffer> | undefined {
    const obj = this.object(v, at, "map[string][]uint8");
    if (!obj) return undefined;
    // Keys come from the request: a null prototype keeps `__proto__` a key and `in` tests honest.
    const out: Record<string, Buffer> = Object.create(null);
    for (const [k, e] of Object.entries(obj)) out[k] = this.bytes(e, at) ?? Buffer.alloc(0);
    return out;
  }

  /** A resource.Quantity, returned in kube's canonical text. */
  quantity(v: unknown): string | undefined {
    if (v === undefined || v === null) return undefined;
    try {
      return formatQuantity(quantityFromJSON(v));
    } catch (e) {
      if (e instanceof QuantityError) throw this.fail(e.message);
      throw e;
    }
  }

  /** A map of quantities (ResourceList), with every value made canonical. */
  quantityMap(v: unknown, at: FieldRef): Record<string, string> | undefined {
    const obj = this.object(v, at, "v1.ResourceList");
    if (!obj) return undefined;
    const out: Record<string, string> = {};
    for (const [k, e] of Object.entries(obj)) setOwn(out, k, this.quantity(e) ?? "0");
    return out;
  }

  /** A metav1.Time ("time") or metav1.MicroTime ("micro"), returned as kube writes it back. */
  time(v: unknown, layout: TimeLayout): string | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "string") throw this.fail(`json: cannot unmarshal ${jsonKind(v)} into Go value of type string`);
    try {
      return normalizeGoTime(v, layout);
    } catch (e) {
      if (e instanceof TimeParseError) throw this.fail(e.message);
      throw e;
    }
  }
}

const B64 = /[A-Za-z0-9+/]/;

/**
 * Where Go's base64.StdEncoding.Decode reports an error in `s`, or -1 when it decodes.
 * Padding is required, line breaks are skipped, and nothing may follow the padding.
 */
export function base64ErrorOffset(s: string): number {
  const n = s.length;
  let si = 0;
  const skipNewlines = () => {
    while (si < n && (s[si] === "\n" || s[si] === "\r")) si++;
  };
  while (si < n) {
    // One quantum: up to four symbols.
    let j = 0;
    for (; j < 4; ) {
      if (si === n) {
        if (j === 0) return -1;
        return si - j;
      }
      const c = s[si] as string;
      si++;
      if (c === "\n" || c === "\r") continue;
      if (B64.test(c)) {
        j++;
        continue;
      }
      if (c !== "=") return si - 1;
      // Padding: "=" may appear only as the third or fourth symbol.
      if (j === 0 || j === 1) return si - 1;
      if (j === 2) {
        skipNewlines();
        if (si === n) return n;
        if (s[si] !== "=") return si - 1;
        si++;
      }
      skipNewlines();
      if (si < n) return si;
      return -1;
    }
  }
  return -1;
}
