// Unknown fields in the result of a JSON, merge or strategic merge patch of a built-in kind. kube
// finds them when it decodes the patched object into its Go type, and answers per fieldValidation:
// Strict is a 422 on the field "patch" (not the 400 of a create or update), Warn a Warning header
// per field, Ignore nothing. Either way the fields are dropped.

import type { KObject, RequestContext, ResourceDef } from "../../apis/types.ts";
import { BUILTIN_SCHEMAS, schemaNameOfKind } from "../../apis/builtin/schemas/index.ts";
import { pruneUnknownFields } from "../../apis/builtin/builtin-unknown-fields.ts";
import { errors, field } from "../../machinery/status.ts";
import { PATCH_TYPES } from "./body.ts";
import { capabilitiesOf } from "../../apis/capabilities.ts";

/** Go's `%+v` of a decoded JSON value, as kube prints a strategic merge patch: `map[data:map[a:1]]`. */
function goPrint(v: unknown): string {
  if (v === null || v === undefined) return "<nil>";
  if (Array.isArray(v)) return `[${v.map(goPrint).join(" ")}]`;
  if (typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `map[${Object.keys(o)
      .sort()
      .map((k) => `${k}:${goPrint(o[k])}`)
      .join(" ")}]`;
  }
  return String(v);
}

export function checkPatchedFields(
  def: ResourceDef,
  ctx: RequestContext,
  patched: KObject,
  patchType: string,
  patch: unknown,
): void {
  if (capabilitiesOf(def).schema !== "builtin") return;
  const name = schemaNameOfKind(def);
  if (!name || !BUILTIN_SCHEMAS[name]) return;
  const before = ctx.fieldValidation === "Strict" ? JSON.stringify(patched) : "";
  const unknown = pruneUnknownFields(name, patched);
  if (unknown.length === 0) return;
  const problems = unknown.map((u) => `unknown field ${JSON.stringify(u)}`);
  if (ctx.fieldValidation === "Strict") {
    const value = patchType === PATCH_TYPES.strategic ? goPrint(patch) : before;
    throw errors.invalid("", "", "", [field.invalid("patch", value, `strict decoding error: ${problems.join(", ")}`)]);
  }
  if (ctx.fieldValidation !== "Ignore") ctx.warnings.push(...problems);
}
