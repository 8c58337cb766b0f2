// JSON Patch (RFC 6902) on plain JSON values, with kube-apiserver's error answers:
// a body that is not a list of operation objects is a 400; an operation that cannot be applied
// (missing path, failed test, bad op) is the generic 422 kube answers, whose details are empty.

import { jsonSize } from "../document-limits.ts";
import { DEFAULT_MAX_OBJECT_BYTES } from "../request-limits.ts";
import { StatusError, errors } from "../status.ts";
import { isObject, setOwn } from "../object.ts";

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

export interface JsonPatchOperation {
  op: "add" | "remove" | "replace" | "move" | "copy" | "test";
  path: string;
  from?: string;
  value?: unknown;
}

/** kube-apiserver refuses larger patches with 413. */
export const MAX_JSON_PATCH_OPERATIONS = 10000;

/**
 * A JSON patch that could not be applied. The wire answer is kube's generic 422 (the server does not
 * say which operation failed); `detail` keeps the reason for logs and tests.
 */
export class JsonPatchApplyError extends StatusError {
  readonly detail: string;
  constructor(detail: string) {
    super(422, "Invalid", "the server rejected our request due to an error in our request", {});
    this.detail = detail;
  }
}

/**
 * What the copies of one patch may add up to, as JSON: only `copy` multiplies a document (an `add`
 * or `replace` value is part of the body, a `move` adds nothing), and a copy of an array into itself
 * doubles it each time. kube-apiserver sets no limit (json-patch's AccumulatedCopySizeLimit is 0);
 * kcp takes the stored object size, beyond which the result could not be stored anyway: this is
 * etcd's default, the server passes its `--max-object-size` (src/machinery/request-limits.ts).
 */
export const MAX_JSON_PATCH_COPY_BYTES = DEFAULT_MAX_OBJECT_BYTES;

/** A copy past the limit: 422 in kube's generic words, json-patch's own as the cause. */
export class JsonPatchCopyLimitError extends JsonPatchApplyError {
  constructor(accumulated: number, limit: number) {
    const words = `Unable to complete the copy, the accumulated size increase of copy is ${accumulated}, exceeding the limit ${limit}`;
    super(words);
    (this.details as { causes?: { reason: string; message: string }[] }).causes = [
      { reason: "UnexpectedServerResponse", message: words },
    ];
  }
}

export interface JsonPatchOptions {
  /** Limit on the bytes (as JSON) that copy operations may duplicate in one patch (default MAX_JSON_PATCH_COPY_BYTES). */
  maxCopyBytes?: number;
}

/** Go's name for a JSON value's type, as encoding/json puts it in "cannot unmarshal X" errors. */
function goJsonType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "object") return "object";
  if (typeof v === "boolean") return "bool";
  return typeof v;
}

/**
 * Check a parsed `application/json-patch+json` body. Not a list, or an entry that is not an object:
 * 400 as kube words it (its strict decoder runs first under the default fieldValidation=Warn).
 * More than 10000 operations: 413.
 */
export function decodeJsonPatch(body: unknown): JsonPatchOperation[] {
  if (!Array.isArray(body)) {
    if (body === null) return [];
    throw errors.badRequest(
      `error decoding patch: json: cannot unmarshal ${goJsonType(body)} into Go value of type []handlers.jsonPatchOp`,
    );
  }
  for (const op of body) {
    if (op === null) continue;
    if (typeof op !== "object" || Array.isArray(op)) {
      throw errors.badRequest(
        `error decoding patch: json: cannot unmarshal ${goJsonType(op)} into Go value of type handlers.jsonPatchOp`,
      );
    }
  }
  if (body.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new StatusError(
      413,
      "RequestEntityTooLarge",
      `Request entity too large: The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${body.length}`,
    );
  }
  return body as JsonPatchOperation[];
}

/** RFC 6901: "" is the whole document; otherwise "/"-separated tokens with ~1 for "/" and ~0 for "~". */
export function parsePointer(pointer: string): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/"))
    throw new JsonPatchApplyError(`JSON pointer must be empty or start with "/": ${JSON.stringify(pointer)}`);
  return pointer
    .slice(1)
    .split("/")
    .map((t) => {
      if (/~[^01]|~$/.test(t))
        throw new JsonPatchApplyError(`invalid escape in JSON pointer token: ${JSON.stringify(t)}`);
      return t.replace(/~1/g, "/").replace(/~0/g, "~");
    });
}

type Container = JsonValue[] | { [k: string]: JsonValue };

/** An array index per RFC 6901: "0" or digits without a leading zero. */
function arrayIndex(token: string, length: number, allowEnd: boolean, path: string): number {
  if (token === "-") {
    if (allowEnd) return length;
    throw new JsonPatchApplyError(`"-" is only valid in an add: ${path}`);
  }
  if (!/^(0|[1-9][0-9]*)$/.test(token))
    throw new JsonPatchApplyError(`invalid array index ${JSON.stringify(token)}: ${path}`);
  const i = Number(token);
  const max = allowEnd ? length : length - 1;
  if (i > max) throw new JsonPatchApplyError(`array index ${i} out of bounds: ${path}`);
  return i;
}

/** The container holding the target of `tokens`, and the last token. */
function parentOf(doc: JsonValue, tokens: string[], path: string): { parent: Container; key: string } {
  let cur: JsonValue = doc;
  for (let i = 0; i < tokens.length - 1; i++) {
    const t = tokens[i] as string;
    if (Array.isArray(cur)) cur = cur[arrayIndex(t, cur.length, false, path)] as JsonValue;
    else if (isObject<JsonValue>(cur) && Object.hasOwn(cur, t)) cur = cur[t] as JsonValue;
    else throw new JsonPatchApplyError(`doc is missing path: ${path}`);
  }
  if (!Array.isArray(cur) && !isObject<JsonValue>(cur)) throw new JsonPatchApplyError(`doc is missing path: ${path}`);
  return { parent: cur, key: tokens[tokens.length - 1] as string };
}

function get(doc: JsonValue, pointer: string): JsonValue {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return doc;
  const { parent, key } = parentOf(doc, tokens, pointer);
  if (Array.isArray(parent)) return parent[arrayIndex(key, parent.length, false, pointer)] as JsonValue;
  if (!Object.hasOwn(parent, key)) throw new JsonPatchApplyError(`doc is missing key: ${pointer}`);
  return parent[key] as JsonValue;
}

/** Returns the new document (only a root replacement changes it). */
function add(doc: JsonValue, pointer: string, value: JsonValue): JsonValue {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return value;
  const { parent, key } = parentOf(doc, tokens, pointer);
  if (Array.isArray(parent)) parent.splice(arrayIndex(key, parent.length, true, pointer), 0, value);
  else setOwn(parent, key, value);
  return doc;
}

function remove(doc: JsonValue, pointer: string): JsonValue {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) throw new JsonPatchApplyError("cannot remove the whole document");
  const { parent, key } = parentOf(doc, tokens, pointer);
  if (Array.isArray(parent)) {
    const [removed] = parent.splice(arrayIndex(key, parent.length, false, pointer), 1);
    return removed as JsonValue;
  }
  if (!Object.hasOwn(parent, key))
    throw new JsonPatchApplyError(`Unable to remove nonexistent key: ${key}: missing value`);
  const v = parent[key] as JsonValue;
  delete parent[key];
  return v;
}

function replace(doc: JsonValue, pointer: string, value: JsonValue): JsonValue {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return value;
  const { parent, key } = parentOf(doc, tokens, pointer);
  if (Array.isArray(parent)) parent[arrayIndex(key, parent.length, false, pointer)] = value;
  else if (!Object.hasOwn(parent, key))
    throw new JsonPatchApplyError(`replace operation does not apply: doc is missing key: ${pointer}: missing value`);
  else setOwn(parent, key, value);
  return doc;
}

/** The number of own keys of `o`, counting no further than `max + 1`. */
function keyCountUpTo(o: object, max: number): number {
  let n = 0;
  for (const k in o) if (Object.hasOwn(o, k) && ++n > max) break;
  return n;
}

/**
 * JSON equality: key order does not matter, numbers compare by value. The work is bounded by `a`
 * (a `test` operation's value, part of the body), however large `b` (the document) is.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isObject<JsonValue>(a)) {
    if (!isObject<JsonValue>(b) || Array.isArray(b)) return false;
    const ka = Object.keys(a);
    if (keyCountUpTo(b, ka.length) !== ka.length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

function operationValue(op: Record<string, unknown>, index: number): JsonValue {
  if (!Object.hasOwn(op, "value"))
    throw new JsonPatchApplyError(`operation ${index} (${String(op.op)}) is missing "value"`);
  return structuredClone(op.value) as JsonValue;
}

function stringField(op: Record<string, unknown>, name: "path" | "from", index: number): string {
  const v = op[name];
  if (typeof v !== "string") throw new JsonPatchApplyError(`operation ${index} is missing "${name}"`);
  return v;
}

/**
 * Apply `ops` (the parsed patch body: checked by decodeJsonPatch) to `doc` and return the result;
 * `doc` is not modified. The patch is atomic: the first failing operation throws
 * (JsonPatchApplyError, 422) and nothing is returned.
 */
export function applyJsonPatch(doc: unknown, ops: unknown, options: JsonPatchOptions = {}): unknown {
  const list = decodeJsonPatch(ops);
  const maxCopyBytes = options.maxCopyBytes ?? MAX_JSON_PATCH_COPY_BYTES;
  let out = structuredClone(doc) as JsonValue;
  let copied = 0;
  list.forEach((raw, i) => {
    if (raw === null) throw new JsonPatchApplyError(`operation ${i} is null`);
    const op = raw as unknown as Record<string, unknown>;
    switch (op.op) {
      case "add":
        out = add(out, stringField(op, "path", i), operationValue(op, i));
        break;
      case "remove":
        if (stringField(op, "path", i) === "") throw new JsonPatchApplyError("cannot remove the whole document");
        remove(out, op.path as string);
        break;
      case "replace": {
        const path = stringField(op, "path", i);
        const value = operationValue(op, i);
        out = replace(out, path, value);
        break;
      }
      case "move": {
        const from = stringField(op, "from", i);
        const path = stringField(op, "path", i);
        if (from === path) {
          get(out, from);
          break;
        }
        if (path.startsWith(`${from}/`))
          throw new JsonPatchApplyError(`cannot move ${from} into its own child ${path}`);
        if (from === "") throw new JsonPatchApplyError("cannot move the whole document");
        const value = remove(out, from);
        out = add(out, path, value);
        break;
      }
      case "copy": {
        const from = stringField(op, "from", i);
        const path = stringField(op, "path", i);
        const source = get(out, from);
        // Measured before it is cloned, and no further than the limit: a copy that would be too
        // big costs no more than the limit to refuse.
        copied += jsonSize(source, maxCopyBytes - copied);
        if (copied > maxCopyBytes) throw new JsonPatchCopyLimitError(copied, maxCopyBytes);
        out = add(out, path, structuredClone(source));
        break;
      }
      case "test": {
        const path = stringField(op, "path", i);
        const expected = operationValue(op, i);
        if (!jsonEqual(get(out, path), expected))
          throw new JsonPatchApplyError(`testing value ${path} failed: test failed`);
        break;
      }
      default:
        throw new JsonPatchApplyError(`Unexpected kind: ${op.op === undefined ? "unknown" : String(op.op)}`);
    }
  });
  return out;
}
