// The per-request context handed to the store and strategies.

import { prefixFromUserAgent } from "../../apis/fieldmanager/manager-name.ts";
import type { RequestContext, UserInfo } from "../../apis/types.ts";
import { errors, field } from "../../machinery/status.ts";

export function requestContext(
  cluster: string,
  user: UserInfo,
  query: URLSearchParams,
  namespace?: string,
  userAgent?: string | null,
): RequestContext {
  // Most writes carry no parameters at all.
  if (query.size === 0)
    return {
      cluster,
      user,
      dryRun: false,
      warnings: [],
      namespace,
      fieldValidation: "Warn",
      fieldManager: prefixFromUserAgent(userAgent),
    };
  const dryRun = query.getAll("dryRun");
  for (const d of dryRun) {
    if (d !== "All") {
      throw errors.invalid("DryRun", "", "", [field.notSupported("dryRun", d, ["All"])]);
    }
  }
  const fv = query.get("fieldValidation");
  const fieldValidation = fv === "Strict" || fv === "Ignore" ? fv : "Warn";
  const fieldManager = query.get("fieldManager") || prefixFromUserAgent(userAgent);
  return { cluster, user, dryRun: dryRun.length > 0, warnings: [], namespace, fieldValidation, fieldManager };
}
