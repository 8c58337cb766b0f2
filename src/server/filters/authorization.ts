// Filter 3, authorization (kube-apiserver's WithAuthorization): asks the authorizer about the user
// and the request info; a denial is 403 with kube's message. Allow-all until RBAC lands, through the
// same interface RBAC will use.

import type { MiddlewareHandler } from "hono";
import type { AuthorizationAttributes, Authorizer } from "../../auth/types.ts";
import { errors } from "../../machinery/status.ts";
import type { Env } from "./env.ts";

export function authorizationFilter(authorizer: Authorizer): MiddlewareHandler<Env> {
  return (c, next) => {
    const info = c.get("requestInfo");
    const user = c.get("user");
    const attrs: AuthorizationAttributes =
      info.kind === "resource"
        ? {
            user,
            cluster: info.cluster,
            verb: info.verb,
            resourceRequest: true,
            group: info.group,
            version: info.version,
            resource: info.resource,
            subresource: info.subresource,
            namespace: info.namespace,
            name: info.name,
          }
        : { user, cluster: info.cluster, verb: info.verb, resourceRequest: false, path: info.path };
    const decision = authorizer.authorize(attrs);
    c.set("authorization", decision);
    if (!decision.allowed) {
      const what =
        info.kind === "resource"
          ? `${info.verb} resource "${info.resource}" in API group "${info.group}"`
          : `${info.verb} path "${info.path}"`;
      throw errors.forbidden(
        `forbidden: User "${user.username}" cannot ${what}${decision.reason ? `: ${decision.reason}` : ""}`,
      );
    }
    return next();
  };
}
