// Decode one protobuf message into the JSON value Go's encoding/json would write for the same
// struct, driven by a MessageDesc. Unknown fields are skipped (as gogo's unmarshalers do); a
// singular message field seen more than once is merged (its encodings concatenated), repeated
// fields append, and map entries with the same key keep the last value.

import { isMessageType, type FieldDesc, type MessageDesc, type ScalarType, type ValueType } from "./schema.ts";
import { ProtoError, WIRE_BYTES, WIRE_END_GROUP, WIRE_FIXED64, WIRE_VARINT, WireReader } from "./wire-reader.ts";

/** Deeper nesting than this is rejected (a JSONSchemaProps can nest; a body cannot exhaust the stack). */
export const MAX_DEPTH = 200;

const EMPTY = new Uint8Array(0);
const utf8 = new TextDecoder("utf-8");

type Scalar = string | Uint8Array | boolean | number;

/** What was read for one field: scalars, chunks of a singular message, elements, or map entries. */
type Slot =
  | { kind: "scalar"; value: Scalar }
  | { kind: "chunks"; chunks: Uint8Array[] }
  | { kind: "list"; items: unknown[] }
  | { kind: "map"; entries: Map<string, unknown> };

function goFieldName(f: FieldDesc): string {
  return f.name.charAt(0).toUpperCase() + f.name.slice(1);
}

function wireTypeOf(t: ValueType): number {
  if (isMessageType(t)) return WIRE_BYTES;
  switch (t) {
    case "string":
    case "bytes":
      return WIRE_BYTES;
    case "double":
      return WIRE_FIXED64;
    default:
      return WIRE_VARINT;
  }
}

function readScalar(r: WireReader, t: ScalarType): Scalar {
  switch (t) {
    case "string":
      return utf8.decode(r.bytes());
    case "bytes":
      return r.bytes();
    case "bool":
      return r.bool();
    case "int32":
      return r.int32();
    case "int64":
      return Number(r.int64());
    case "double":
      return r.double();
  }
}

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Read one value of a field whose wire type was checked; messages are decoded at once. */
function readValue(r: WireReader, t: ValueType, depth: number): unknown {
  if (isMessageType(t)) return decodeMessage(t(), r.bytes(), depth + 1);
  return readScalar(r, t);
}

/** A map entry is a message { key = 1; value = 2 }. */
function readMapEntry(f: FieldDesc, bytes: Uint8Array, depth: number): [string, unknown] {
  const r = new WireReader(bytes);
  let key = "";
  let value: unknown;
  let valueChunks: Uint8Array[] | undefined;
  const valueType = f.type;
  while (!r.done) {
    const { field, wireType } = r.tag();
    if (field <= 0) throw new ProtoError(`proto: illegal tag ${field} (wire type ${wireType})`);
    if (field === 1) {
      if (wireType !== WIRE_BYTES)
        throw new ProtoError(`proto: wrong wireType = ${wireType} for field ${goFieldName(f)}`);
      key = utf8.decode(r.bytes());
    } else if (field === 2) {
      if (wireType !== wireTypeOf(valueType))
        throw new ProtoError(`proto: wrong wireType = ${wireType} for field ${goFieldName(f)}`);
      if (isMessageType(valueType)) (valueChunks ??= []).push(r.bytes());
      else value = readScalar(r, valueType);
    } else r.skip(wireType);
  }
  if (isMessageType(valueType))
    return [key, decodeMessage(valueType(), valueChunks ? concat(valueChunks) : EMPTY, depth + 1)];
  if (value === undefined) value = zeroScalar(valueType, true);
  return [key, scalarJSON(value as Scalar)];
}

/** Go's zero value of a scalar; a nil []byte is null unless it sits in a map. */
function zeroScalar(t: ScalarType, inMap = false): Scalar | null {
  switch (t) {
    case "string":
      return "";
    case "bytes":
      return inMap ? EMPTY : null;
    case "bool":
      return false;
    default:
      return 0;
  }
}

function isZeroScalar(v: Scalar): boolean {
  if (v instanceof Uint8Array) return v.length === 0;
  return v === "" || v === 0 || v === false;
}

function scalarJSON(v: Scalar): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64");
  if (typeof v === "number" && !Number.isFinite(v)) throw new ProtoError(`json: unsupported value: ${v}`);
  return v;
}

function readFields(desc: MessageDesc, bytes: Uint8Array, depth: number): Map<FieldDesc, Slot> {
  const r = new WireReader(bytes);
  const slots = new Map<FieldDesc, Slot>();
  while (!r.done) {
    const { field, wireType } = r.tag();
    if (wireType === WIRE_END_GROUP) throw new ProtoError(`proto: ${desc.name}: wiretype end group for non-group`);
    if (field <= 0) throw new ProtoError(`proto: ${desc.name}: illegal tag ${field} (wire type ${wireType})`);
    const f = desc.byNumber.get(field);
    if (!f) {
      r.skip(wireType);
      continue;
    }
    const expected = f.cardinality === "map" ? WIRE_BYTES : wireTypeOf(f.type);
    // Repeated numbers may also come packed (one length-delimited run).
    const packed = f.cardinality === "repeated" && expected !== WIRE_BYTES && wireType === WIRE_BYTES;
    if (wireType !== expected && !packed)
      throw new ProtoError(`proto: wrong wireType = ${wireType} for field ${goFieldName(f)}`);
    if (f.cardinality === "map") {
      const slot = slots.get(f) ?? { kind: "map", entries: new Map<string, unknown>() };
      slots.set(f, slot);
      const [k, v] = readMapEntry(f, r.bytes(), depth);
      (slot as { entries: Map<string, unknown> }).entries.set(k, v);
    } else if (f.cardinality === "repeated") {
      const slot = slots.get(f) ?? { kind: "list", items: [] };
      slots.set(f, slot);
      const items = (slot as { items: unknown[] }).items;
      if (packed) {
        const run = new WireReader(r.bytes());
        while (!run.done) items.push(scalarJSON(readScalar(run, f.type as ScalarType)));
      } else {
        const v = readValue(r, f.type, depth);
        items.push(isMessageType(f.type) ? v : scalarJSON(v as Scalar));
      }
    } else if (isMessageType(f.type)) {
      const slot = slots.get(f) ?? { kind: "chunks", chunks: [] };
      slots.set(f, slot);
      (slot as { chunks: Uint8Array[] }).chunks.push(r.bytes());
    } else {
      slots.set(f, { kind: "scalar", value: readScalar(r, f.type) });
    }
  }
  return slots;
}

/** The JSON value of a field that was present, before presence rules. */
function slotValue(f: FieldDesc, slot: Slot, depth: number): unknown {
  switch (slot.kind) {
    case "scalar":
      return slot.value;
    case "chunks":
      return decodeMessage((f.type as () => MessageDesc)(), concat(slot.chunks), depth + 1);
    case "list":
      return slot.items;
    case "map": {
      // Go writes map keys sorted.
      const out: Record<string, unknown> = {};
      // Keys come from the request: define them as own properties ("__proto__" included, as
      // JSON.parse does) rather than assigning, which would reach Object.prototype.
      for (const k of [...slot.entries.keys()].sort()) {
        Object.defineProperty(out, k, {
          value: slot.entries.get(k),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
  }
}

function writeField(out: Record<string, unknown>, f: FieldDesc, slot: Slot | undefined, depth: number): void {
  if (f.cardinality !== "single") {
    const empty =
      !slot || (slot.kind === "list" ? slot.items.length === 0 : slot.kind === "map" ? slot.entries.size === 0 : false);
    if (empty) {
      if (f.presence === "always" || f.presence === "nullable") out[f.name] = null;
      return;
    }
    out[f.name] = slotValue(f, slot as Slot, depth);
    return;
  }
  if (isMessageType(f.type)) {
    if (f.inline) {
      // An embedded struct: its decoded fields (descriptor names, never request keys) join `out`.
      const v = slot ? slotValue(f, slot, depth) : decodeMessage(f.type(), EMPTY, depth + 1);
      Object.assign(out, v as Record<string, unknown>);
      return;
    }
    if (slot) out[f.name] = slotValue(f, slot, depth);
    else if (f.presence === "always") out[f.name] = decodeMessage(f.type(), EMPTY, depth + 1);
    else if (f.presence === "nullable") out[f.name] = null;
    return;
  }
  if (!slot) {
    if (f.presence === "always") out[f.name] = scalarOrNull(zeroScalar(f.type));
    else if (f.presence === "nullable") out[f.name] = null;
    return;
  }
  const v = (slot as { value: Scalar }).value;
  if (f.presence === "omitempty" && isZeroScalar(v)) return;
  out[f.name] = scalarJSON(v);
}

function scalarOrNull(v: Scalar | null): unknown {
  return v === null ? null : scalarJSON(v);
}

/** Decode `bytes` as a message of `desc` into its JSON value. */
export function decodeMessage(desc: MessageDesc, bytes: Uint8Array, depth = 0): unknown {
  if (depth > MAX_DEPTH) throw new ProtoError(`proto: ${desc.name}: exceeded maximum nesting depth of ${MAX_DEPTH}`);
  const slots = readFields(desc, bytes, depth);
  if (desc.json) {
    const present: Record<string, unknown> = {};
    for (const [f, slot] of slots) present[f.name] = slotValue(f, slot, depth);
    return desc.json(present, bytes.length);
  }
  const out: Record<string, unknown> = {};
  for (const f of desc.fields) writeField(out, f, slots.get(f), depth);
  return out;
}
