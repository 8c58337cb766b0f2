// What happens to unknown and duplicate fields of a request body, per `fieldValidation`: Strict
// fails the request as kube's strict decoder does, Warn (the default) answers with one Warning
// header per field, Ignore drops them silently.

import { errors } from "../../machinery/status.ts";
import type { RequestContext } from "../types.ts";

export function reportUnknownFields(
  kind: string,
  version: string,
  ctx: RequestContext,
  unknown: string[],
  duplicates: string[],
): void {
  if (unknown.length === 0 && duplicates.length === 0) return;
  const problems = [...duplicates.map((d) => `duplicate field "${d}"`), ...unknown.map((u) => `unknown field "${u}"`)];
  const mode = ctx.fieldValidation ?? "Warn";
  if (mode === "Strict") {
    throw errors.badRequest(
      `${kind} in version "${version}" cannot be handled as a ${kind}: strict decoding error: ${problems.join(", ")}`,
    );
  }
  if (mode === "Warn") ctx.warnings.push(...problems);
}
