// Rules ConfigMap and Secret share: the 1 MiB cap on their data and what `immutable: true` freezes.

import { field, type FieldError } from "../../../machinery/status.ts";
import { deepEqual } from "../../object-codec.ts";
import type { KObject } from "../../types.ts";

/** core.MaxSecretSize: the limit on the summed size of a ConfigMap's or Secret's values. */
export const MAX_DATA_SIZE = 1024 * 1024;

const FROZEN = "field is immutable when `immutable` is set";

/** Once stored with `immutable: true`, the flag stays and `fields` may not change. */
export function immutableFieldErrors(obj: KObject, old: KObject, fields: string[]): FieldError[] {
  const errs: FieldError[] = [];
  if (obj.immutable !== true) errs.push(field.forbidden("immutable", FROZEN));
  // An empty map and an absent one are the same once stored (omitempty).
  for (const f of fields) if (!deepEqual(obj[f] ?? {}, old[f] ?? {})) errs.push(field.forbidden(f, FROZEN));
  return errs;
}
