// Value types of k8s.io/apimachinery with a JSON form of their own: resource.Quantity (a string),
// intstr.IntOrString (a number or a string) and runtime.RawExtension (embedded JSON).

import { bytes, int32, int64, message, string } from "../schema.ts";
import { ProtoError } from "../wire-reader.ts";

const utf8 = new TextDecoder("utf-8");

/** Raw JSON bytes as a value: null when empty, as Go's RawExtension, FieldsV1 and JSON marshal them. */
export function rawJSON(raw: unknown, what: string): unknown {
  if (!(raw instanceof Uint8Array) || raw.length === 0) return null;
  const text = utf8.decode(raw);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ProtoError(`json: error calling MarshalJSON for type ${what}: ${(e as Error).message}`);
  }
}

/** message Quantity { optional string string = 1; } — absent is the zero quantity "0". */
export const Quantity = message("Quantity", [string(1, "string")], (p) =>
  typeof p.string === "string" ? p.string : "0",
);

/** message IntOrString { optional int64 type = 1; optional int32 intVal = 2; optional string strVal = 3; } */
export const IntOrString = message("IntOrString", [int64(1, "type"), int32(2, "intVal"), string(3, "strVal")], (p) =>
  p.type === 1 ? ((p.strVal as string | undefined) ?? "") : ((p.intVal as number | undefined) ?? 0),
);

/** message RawExtension { optional bytes raw = 1; } — the embedded object's JSON. */
export const RawExtension = message("RawExtension", [bytes(1, "raw")], (p) => rawJSON(p.raw, "*runtime.RawExtension"));
