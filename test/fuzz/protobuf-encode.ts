// Encode a JSON object as the protobuf message kcp's decoder reads (src/apis/protobuf), driven by
// the same message descriptors: a valid protobuf body built from a fixture, for the byte mutations
// to start from. Values of the wrong type for their field are left out (the descriptor says what fits).

import { type FieldDesc, isMessageType, type MessageDesc, type ValueType } from "../../src/apis/protobuf/schema.ts";
import { type Bytes, double, entry, envelope, int, len, str } from "../helpers/protobuf-encoder.ts";

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

function timeFields(v: unknown): Bytes | undefined {
  if (typeof v !== "string") return undefined;
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) return undefined;
  const seconds = Math.floor(ms / 1000);
  const micros = /\.(\d{1,9})/.exec(v)?.[1];
  const nanos = micros ? Number(micros.padEnd(9, "0")) : 0;
  return [...int(1, seconds), ...(nanos ? int(2, nanos) : [])];
}

/** The fields of a message whose JSON is not an object of its fields (Time, Quantity, …). */
function specialMessage(desc: MessageDesc, v: unknown): Bytes | undefined {
  switch (desc.name) {
    case "Time":
    case "MicroTime":
      return timeFields(v);
    case "Quantity":
      return typeof v === "string" || typeof v === "number" ? str(1, String(v)) : undefined;
    case "IntOrString":
      if (typeof v === "number") return [...int(1, 0), ...int(2, v)];
      return typeof v === "string" ? [...int(1, 1), ...str(3, v)] : undefined;
    case "RawExtension":
    case "FieldsV1":
    case "JSON":
      return len(1, JSON.stringify(v) ?? "null");
    case "ExtraValue":
      return Array.isArray(v) ? v.filter((s) => typeof s === "string").flatMap((s) => str(1, s)) : undefined;
    case "JSONSchemaPropsOrArray":
    case "JSONSchemaPropsOrStringArray": {
      const schemaField = desc.byNumber.get(1) as FieldDesc;
      if (Array.isArray(v)) return encodeRepeated(desc.byNumber.get(2) as FieldDesc, v);
      return isObj(v) ? encodeValue(1, schemaField.type, v) : undefined;
    }
    case "JSONSchemaPropsOrBool":
      if (typeof v === "boolean") return int(1, v ? 1 : 0);
      return isObj(v) ? encodeValue(2, (desc.byNumber.get(2) as FieldDesc).type, v) : undefined;
    default:
      return undefined;
  }
}

function encodeValue(no: number, type: ValueType, v: unknown): Bytes | undefined {
  if (isMessageType(type)) {
    const desc = type();
    if (desc.json) {
      const inner = specialMessage(desc, v);
      return inner === undefined ? undefined : len(no, inner);
    }
    return isObj(v) ? len(no, encodeMessage(desc, v)) : undefined;
  }
  switch (type) {
    case "string":
      return typeof v === "string" ? str(no, v) : undefined;
    case "bytes":
      return typeof v === "string" ? len(no, Buffer.from(v, "base64")) : undefined;
    case "bool":
      return typeof v === "boolean" ? int(no, v ? 1 : 0) : undefined;
    case "int32":
    case "int64":
      return typeof v === "number" && Number.isInteger(v) ? int(no, v) : undefined;
    case "double":
      return typeof v === "number" ? double(no, v) : undefined;
  }
}

function encodeRepeated(f: FieldDesc, items: unknown[]): Bytes {
  return items.flatMap((item) => encodeValue(f.number, f.type, item) ?? []);
}

export function encodeMessage(desc: MessageDesc, obj: Obj): Bytes {
  const out: Bytes = [];
  for (const f of desc.fields) {
    if (f.inline && isMessageType(f.type)) {
      out.push(...len(f.number, encodeMessage(f.type(), obj)));
      continue;
    }
    if (!Object.hasOwn(obj, f.name)) continue;
    const v = obj[f.name];
    if (v === null || v === undefined) continue;
    if (f.cardinality === "map") {
      if (!isObj(v)) continue;
      for (const k of Object.keys(v)) {
        const value = encodeValue(2, f.type, v[k]);
        if (value) out.push(...entry(f.number, k, value));
      }
    } else if (f.cardinality === "repeated") {
      if (Array.isArray(v)) out.push(...encodeRepeated(f, v));
    } else {
      const value = encodeValue(f.number, f.type, v);
      if (value) out.push(...value);
    }
  }
  return out;
}

/** The whole body: "k8s\0" + runtime.Unknown{apiVersion, kind, raw = the message}. */
export function protobufBody(desc: MessageDesc, obj: Obj): Uint8Array {
  const apiVersion = typeof obj.apiVersion === "string" ? obj.apiVersion : "";
  const kind = typeof obj.kind === "string" ? obj.kind : "";
  return envelope(apiVersion, kind, encodeMessage(desc, obj));
}
