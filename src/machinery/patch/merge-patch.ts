// JSON Merge Patch (RFC 7386): objects merge recursively, null deletes, anything else replaces.

import { errors } from "../status.ts";
import { getOwn, isObject, setOwn } from "../object.ts";

/** Apply `patch` to `target` and return the result; neither argument is modified. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  // A non-object target is replaced by an empty object before merging (RFC 7386 section 2).
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else setOwn(out, k, applyMergePatch(getOwn(out, k), v));
  }
  // Members the patch did not touch are still shared with `target`: copy them so the result is independent.
  for (const k of Object.keys(out)) if (!Object.hasOwn(patch, k)) out[k] = structuredClone(out[k]);
  return out;
}

/**
 * Check a parsed `application/merge-patch+json` body as kube-apiserver does: it must be a JSON
 * object (400 otherwise; a `null` body is json-patch's "Invalid JSON Patch").
 */
export function decodeMergePatch(body: unknown): Record<string, unknown> {
  if (isObject(body)) return body;
  if (body === null) throw errors.badRequest("Invalid JSON Patch");
  const type = Array.isArray(body) ? "array" : typeof body === "boolean" ? "bool" : typeof body;
  throw errors.badRequest(
    `error decoding patch: json: cannot unmarshal ${type} into Go value of type map[string]interface {}`,
  );
}
