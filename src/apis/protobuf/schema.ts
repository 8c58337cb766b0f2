// Declarative message descriptors: for each field of a Kubernetes protobuf message, its number,
// its JSON name, its type, and how Go's encoding/json writes it, so a decoded message becomes the
// very JSON object a JSON client would have sent for the same Go struct.
//
// Presence mirrors the Go field and its json tag:
//   omitempty  value field with `,omitempty`: left out when zero ("" / 0 / false / empty list or map)
//   always     value field without omitempty: always written (zero when absent; nil slices and maps as null)
//   pointer    pointer with `,omitempty`: written when present on the wire, even when zero
//   nullable   pointer without omitempty: written when present, null otherwise
// An embedded Go struct (`json:",inline"`) is its own field on the wire but spreads its fields into
// the enclosing JSON object: such a field is `inline`.
// Struct-valued fields are always written by Go whatever their tag, so message fields are
// `always` (decoded from an empty message when absent) unless they are pointers.

export type Presence = "omitempty" | "always" | "pointer" | "nullable";

export type ScalarType = "string" | "bytes" | "bool" | "int32" | "int64" | "double";

/** A message type, referenced lazily so that messages may refer to each other (and to themselves). */
export type MessageRef = () => MessageDesc;

export type ValueType = ScalarType | MessageRef;

export interface FieldDesc {
  number: number;
  /** The JSON name. */
  name: string;
  type: ValueType;
  cardinality: "single" | "repeated" | "map";
  presence: Presence;
  /** An embedded struct whose fields join the enclosing object (always a single message field). */
  inline?: boolean;
}

/**
 * The decoded fields of a message with a JSON form of its own (Time, Quantity, IntOrString, ...),
 * by JSON name: scalars as read (bytes as Uint8Array, int64 as number), messages in JSON form,
 * repeated fields as arrays. Only fields present on the wire appear.
 */
export type PresentFields = Readonly<Record<string, unknown>>;

export interface MessageDesc {
  name: string;
  fields: readonly FieldDesc[];
  byNumber: ReadonlyMap<number, FieldDesc>;
  /** For messages whose JSON is not an object of their fields: build it (size is the message's length). */
  json?: (present: PresentFields, size: number) => unknown;
}

export function message(name: string, fields: FieldDesc[], json?: MessageDesc["json"]): MessageDesc {
  const byNumber = new Map<number, FieldDesc>();
  for (const f of fields) {
    if (byNumber.has(f.number)) throw new Error(`protobuf schema ${name}: field ${f.number} declared twice`);
    byNumber.set(f.number, f);
  }
  return { name, fields, byNumber, json };
}

export function isMessageType(t: ValueType): t is MessageRef {
  return typeof t === "function";
}

function single(type: ScalarType) {
  return (no: number, name: string, presence: Presence = "omitempty"): FieldDesc => ({
    number: no,
    name,
    type,
    cardinality: "single",
    presence,
  });
}

export const string = single("string");
export const bytes = single("bytes");
export const bool = single("bool");
export const int32 = single("int32");
export const int64 = single("int64");
export const double = single("double");

/** A repeated string ([]string). */
export function strings(no: number, name: string, presence: "omitempty" | "always" = "omitempty"): FieldDesc {
  return { number: no, name, type: "string", cardinality: "repeated", presence };
}

/** A repeated number ([]int32, []int64), packed or not on the wire. */
export function ints(
  no: number,
  name: string,
  type: "int32" | "int64",
  presence: "omitempty" | "always" = "omitempty",
): FieldDesc {
  return { number: no, name, type, cardinality: "repeated", presence };
}

/** An embedded struct (`json:",inline"`): its fields are written into the enclosing object. */
export function inline(no: number, name: string, type: MessageRef): FieldDesc {
  return { number: no, name, type, cardinality: "single", presence: "always", inline: true };
}

/** A singular message field: a struct value (always written) or a pointer. */
export function msg(
  no: number,
  name: string,
  type: MessageRef,
  presence: "always" | "pointer" | "nullable" = "always",
): FieldDesc {
  return { number: no, name, type, cardinality: "single", presence };
}

/** A repeated message field ([]T). */
export function msgs(
  no: number,
  name: string,
  type: MessageRef,
  presence: "omitempty" | "always" = "omitempty",
): FieldDesc {
  return { number: no, name, type, cardinality: "repeated", presence };
}

/** A map with string keys (map<string, V>). */
export function map(
  no: number,
  name: string,
  value: ValueType,
  presence: "omitempty" | "always" = "omitempty",
): FieldDesc {
  return { number: no, name, type: value, cardinality: "map", presence };
}
