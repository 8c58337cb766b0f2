// Bounds on server-side apply. Tracking fields costs more than linear time in the depth of an
// object (paths are built and compared at every level: 1,500 levels stalled the server 11 s) and
// in the number of fields (about linear: 40,000 conflicting keys, 1.2 s on one core). kube has no
// such limits; kcp's keep one apply within tens of milliseconds (depth) to about 1.5 s (fields),
// while large CRDs, which are applied server-side because they are large, still fit.

import { decodedValueExcess, memberCount } from "../../machinery/document-limits.ts";
import { StatusError } from "../../machinery/status.ts";

/** The deepest apply configuration (and live object) server-side apply takes, in JSON nesting levels. */
export const MAX_APPLY_DEPTH = 100;

/** The most fields (map members and list items) an apply configuration, or the object it applies to, may hold. */
export const MAX_APPLY_FIELDS = 50_000;

/**
 * Whether an update's objects are too deep to track field by field (comparing them costs about the
 * cube of the depth: 2,000 levels, 1.3 s). Such an update is not tracked and the object's
 * managedFields are dropped, as kube-apiserver drops them when its field manager fails on an update.
 */
export function tooDeepToTrack(...objects: unknown[]): boolean {
  return objects.some(
    (o) => o !== undefined && decodedValueExcess(o, Number.POSITIVE_INFINITY, MAX_APPLY_DEPTH) === "depth",
  );
}

function tooMuch(message: string): StatusError {
  return new StatusError(422, "Invalid", message, { causes: [{ reason: "FieldValueInvalid", message }] });
}

/** Throws 422 when `config` or `live` is beyond what one apply may cost. */
export function checkApplyLimits(config: unknown, live: unknown): void {
  for (const [what, value] of [
    ["the apply configuration", config],
    ["the object", live],
  ] as const) {
    if (value === undefined) continue;
    if (decodedValueExcess(value, Number.POSITIVE_INFINITY, MAX_APPLY_DEPTH) === "depth") {
      throw tooMuch(`${what} is nested deeper than ${MAX_APPLY_DEPTH} levels, the limit of server-side apply`);
    }
    const n = memberCount(value, MAX_APPLY_FIELDS);
    if (n > MAX_APPLY_FIELDS) {
      throw tooMuch(
        `${what} has more than ${MAX_APPLY_FIELDS} fields, the limit of server-side apply (use an update or a patch)`,
      );
    }
  }
}
