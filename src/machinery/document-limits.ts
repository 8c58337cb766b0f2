// Bounds on decoded request documents, so a request's work stays proportional to its body:
//
//   - JSON nesting depth, checked on the text before JSON.parse (kube's decoder stops at 10,000, as
//     Go's encoding/json does, with its "exceeded max depth" syntax error);
//   - the size of a decoded YAML document: aliases make a small body decode to a large value (the
//     yaml package's maxAliasCount bounds the number of aliases, not what they expand to); and of a
//     decoded protobuf message, whose defaults make it larger than sent.
//
// Both checks are loops with an explicit stack: a hostile document must not exhaust the call stack.

import { StatusError, errors } from "./status.ts";

/** kube-apiserver's JSON nesting limit (encoding/json's maxNestingDepth). */
export const MAX_JSON_DEPTH = 10_000;

/**
 * The most a decoded YAML document may hold, measured as its JSON text: twice the body limit, so
 * YAML without aliases (never much larger as JSON) is not refused for it.
 */
export const MAX_DECODED_BYTES = 6 * 1024 * 1024;

/**
 * The first opening bracket of `text` that nests deeper than `max`, or -1. Strings are skipped
 * (brackets inside them do not count); the text need not be valid JSON (JSON.parse judges that).
 */
export function jsonDepthExcess(text: string, max: number = MAX_JSON_DEPTH): number {
  // Nesting deeper than `max` takes more than `max` characters: the usual small body is not scanned.
  if (text.length <= max) return -1;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return i;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return -1;
}

/**
 * The deepest flow nesting (`[` and `{`) a YAML document may have. Smaller than kube's 10,000
 * (go-yaml's): the yaml package recurses, overflows its stack near 5,600 levels and spends a
 * quarter of a second getting there; at 1,000 it parses in tens of milliseconds.
 */
export const MAX_YAML_FLOW_DEPTH = 1000;

/**
 * Whether YAML text may nest flow collections deeper than `max`. Every bracket counts, quoted or
 * not (a conservative over-count: only a document with 1,000 unclosed brackets in its strings
 * is refused without being deep).
 */
export function yamlFlowDepthExceeds(text: string, max: number = MAX_YAML_FLOW_DEPTH): boolean {
  if (text.length <= max) return false; // as for JSON: too short to nest that deep
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if ((c === 0x7d || c === 0x5d) && depth > 0) depth--;
  }
  return false;
}

/** JSON.parse with kube's depth limit: deeper documents are a 400 in Go's encoding/json words. */
export function checkJsonDepth(text: string, max: number = MAX_JSON_DEPTH): void {
  const at = jsonDepthExcess(text, max);
  if (at >= 0) {
    throw errors.badRequest(
      `couldn't get version/kind; json parse error: invalid character '${text[at]}' exceeded max depth`,
    );
  }
}

interface Measure {
  /** The JSON size counted so far: the whole size when nothing was exceeded. */
  bytes: number;
  excess: "size" | "depth" | null;
}

/** About the length of `value` as JSON text, stopping as soon as it passes `maxBytes` or `maxDepth`. */
function measure(value: unknown, maxBytes: number, maxDepth: number): Measure {
  // A value reached twice (a YAML alias, a patch's copy) counts twice: that is its size once served or stored.
  const stack: [unknown, number][] = [[value, 0]];
  let bytes = 0;
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (typeof v === "string") bytes += v.length + 2;
    else if (v === null || typeof v !== "object") bytes += 5;
    else {
      if (depth + 1 > maxDepth) return { bytes, excess: "depth" };
      bytes += 2;
      if (Array.isArray(v)) {
        for (const item of v) {
          bytes += 1;
          stack.push([item, depth + 1]);
        }
      } else {
        for (const key of Object.keys(v)) {
          bytes += key.length + 4;
          stack.push([(v as Record<string, unknown>)[key], depth + 1]);
        }
      }
    }
    if (bytes > maxBytes) return { bytes, excess: "size" };
  }
  return { bytes, excess: null };
}

/** Why a decoded value is out of bounds, or null. Work stops at the first bound crossed. */
export function decodedValueExcess(
  value: unknown,
  maxBytes: number = MAX_DECODED_BYTES,
  maxDepth: number = MAX_JSON_DEPTH,
): "size" | "depth" | null {
  return measure(value, maxBytes, maxDepth).excess;
}

/**
 * About the length of `value` as JSON text; past `stopAbove` the count stops early and returns a
 * number above it, so measuring a huge value costs no more than the bound.
 */
export function jsonSize(value: unknown, stopAbove: number = Number.POSITIVE_INFINITY): number {
  return measure(value, stopAbove, Number.POSITIVE_INFINITY).bytes;
}

/** The members of every map and the items of every list in `value`, counted no further than `stopAbove + 1`. */
export function memberCount(value: unknown, stopAbove: number = Number.POSITIVE_INFINITY): number {
  const stack: unknown[] = [value];
  let n = 0;
  while (stack.length > 0 && n <= stopAbove) {
    const v = stack.pop();
    if (v === null || typeof v !== "object") continue;
    const members = Array.isArray(v) ? v : Object.values(v);
    n += members.length;
    for (const m of members) if (m !== null && typeof m === "object") stack.push(m);
  }
  return n;
}

/** A decoded YAML or protobuf document within MAX_DECODED_BYTES and MAX_JSON_DEPTH: 413 or 400 otherwise. */
export function checkDecodedValue(value: unknown, maxBytes: number = MAX_DECODED_BYTES): void {
  const excess = decodedValueExcess(value, maxBytes);
  if (excess === "size") {
    throw new StatusError(
      413,
      "RequestEntityTooLarge",
      `Request entity too large: the decoded document exceeds ${maxBytes} bytes`,
    );
  }
  if (excess === "depth") {
    throw errors.badRequest(`error converting YAML to JSON: exceeded max depth of ${MAX_JSON_DEPTH}`);
  }
}
