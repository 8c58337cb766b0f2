// The query parameters of writes, checked as kube validates CreateOptions, UpdateOptions and
// PatchOptions: a printable fieldManager of at most 128 bytes (required for apply), `force` only
// for apply, and a known fieldValidation. Failures are 422 Invalid of the options kind.

import { validateFieldManager } from "../../apis/fieldmanager/manager-name.ts";
import { errors, field, type FieldError } from "../../machinery/status.ts";
import { PATCH_TYPES } from "./body.ts";

export type WriteOptionsKind = "CreateOptions" | "UpdateOptions" | "PatchOptions";

const FIELD_VALIDATION_VALUES = ["Ignore", "Strict", "Warn"];

export function validateWriteOptions(kind: WriteOptionsKind, query: URLSearchParams, patchType?: string): void {
  const errs: FieldError[] = [];
  const manager = query.get("fieldManager") ?? "";
  if (kind === "PatchOptions") {
    if (patchType !== PATCH_TYPES.apply) {
      if (query.has("force")) errs.push(field.forbidden("force", "may not be specified for non-apply patch"));
    } else if (manager === "") {
      errs.push(field.required("fieldManager", "is required for apply patch"));
    }
  }
  errs.push(...validateFieldManager(manager));
  const fv = query.get("fieldValidation") ?? "";
  if (fv !== "" && !FIELD_VALIDATION_VALUES.includes(fv))
    errs.push(field.notSupported("fieldValidation", fv, FIELD_VALIDATION_VALUES));
  if (errs.length > 0) throw errors.invalid(kind, "meta.k8s.io", "", errs);
}
