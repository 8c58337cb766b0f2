// The per-request context handed to the store and strategies.

import type { RequestContext, UserInfo } from "../../apis/types.ts";
import { errors, field } from "../status.ts";

export function requestContext(cluster: string, user: UserInfo, query: URLSearchParams, namespace?: string): RequestContext {
  const dryRun = query.getAll("dryRun");
  for (const d of dryRun) {
    if (d !== "All") {
      throw errors.invalid("DryRun", "", "", [field.notSupported("dryRun", d, ["All"])]);
    }
  }
  const fv = query.get("fieldValidation");
  const fieldValidation = fv === "Strict" || fv === "Ignore" ? fv : "Warn";
  return { cluster, user, dryRun: dryRun.length > 0, warnings: [], namespace, fieldValidation };
}
