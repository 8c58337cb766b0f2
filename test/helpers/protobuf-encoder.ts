// A tiny protobuf writer for tests: build message bodies field by field, the way gogo-protobuf
// (client-go) writes them, and wrap them in kube's "k8s\0" + runtime.Unknown envelope.

export type Bytes = number[];

export function varint(v: number | bigint): Bytes {
  let n = BigInt.asUintN(64, BigInt(v));
  const out: Bytes = [];
  do {
    let b = Number(n & 0x7fn);
    n >>= 7n;
    if (n > 0n) b |= 0x80;
    out.push(b);
  } while (n > 0n);
  return out;
}

export function tag(field: number, wireType: number): Bytes {
  return varint(field * 8 + wireType);
}

/** A length-delimited field (string, bytes, embedded message, map entry). */
export function len(field: number, payload: Bytes | Uint8Array | string): Bytes {
  const body = typeof payload === "string" ? [...new TextEncoder().encode(payload)] : [...payload];
  return [...tag(field, 2), ...varint(body.length), ...body];
}

export const str = len;
/** An embedded message from its fields (field encodings, or single bytes spread in). */
export const msg = (field: number, ...parts: (Bytes | number)[]): Bytes => len(field, parts.flat());
export const int = (field: number, v: number | bigint): Bytes => [...tag(field, 0), ...varint(v)];
export const bool = (field: number, v: boolean): Bytes => int(field, v ? 1 : 0);

export function double(field: number, v: number): Bytes {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, v, true);
  return [...tag(field, 1), ...b];
}

export function fixed32(field: number, v: number): Bytes {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, true);
  return [...tag(field, 5), ...b];
}

/** One map entry (map<string, V>): { key = 1; value = 2 }. */
export function entry(field: number, key: string, value: Bytes): Bytes {
  return len(field, [...len(1, key), ...value]);
}

/** A map<string, string> field from an object, one entry per key in the object's order. */
export function stringMap(field: number, m: Record<string, string>): Bytes {
  return Object.entries(m).flatMap(([k, v]) => entry(field, k, len(2, v)));
}

/** A metav1.Time / MicroTime field { seconds = 1; nanos = 2 }. */
export function time(field: number, seconds: number, nanos = 0): Bytes {
  return msg(field, int(1, seconds), ...(nanos ? [int(2, nanos)] : []));
}

/** ObjectMeta as kubectl's typed client writes it: empty strings and zero generation included. */
export function kubectlMeta(name: string, extra: Bytes[] = []): Bytes {
  return msg(1, str(1, name), str(2, ""), str(3, ""), str(5, ""), str(6, ""), int(7, 0), len(8, []), ...extra);
}

/** "k8s\0" + runtime.Unknown{typeMeta{apiVersion, kind}, raw}. */
export function envelope(apiVersion: string, kind: string, raw: Bytes): Uint8Array {
  const typeMeta = [...(apiVersion ? str(1, apiVersion) : []), ...(kind ? str(2, kind) : [])];
  return new Uint8Array([0x6b, 0x38, 0x73, 0x00, ...len(1, typeMeta), ...len(2, raw), ...str(3, ""), ...str(4, "")]);
}

/** A resource.Quantity field { string = 1 }. */
export function quantity(field: number, s: string): Bytes {
  return msg(field, str(1, s));
}

/** An intstr.IntOrString field as gogo writes it: { type = 1; intVal = 2; strVal = 3 }, all three set. */
export function intOrString(field: number, v: number | string): Bytes {
  return typeof v === "number"
    ? msg(field, int(1, 0), int(2, v), str(3, ""))
    : msg(field, int(1, 1), int(2, 0), str(3, v));
}

/** A map<string, Quantity> field (ResourceList). */
export function quantityMap(field: number, m: Record<string, string>): Bytes {
  return Object.entries(m).flatMap(([k, v]) => entry(field, k, quantity(2, v)));
}

/** A packed repeated varint field ([]int32, []int64). */
export function packed(field: number, values: number[]): Bytes {
  return len(
    field,
    values.flatMap((v) => varint(v)),
  );
}
