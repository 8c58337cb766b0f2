// Filter 3, authorization (kube-apiserver's WithAuthorization): asks the authorizer (RBAC, or
// allow-all with --authorization-mode=AlwaysAllow) about the user and the request info; a denial is
// 403 Forbidden in kube's words (responsewriters.Forbidden), e.g.
//   configmaps "c" is forbidden: User "alice" cannot get resource "configmaps" in API group "" in the namespace "d"
//   namespaces is forbidden: User "alice" cannot list resource "namespaces" in API group "" at the cluster scope
//   forbidden: User "alice" cannot get path "/metrics"
// followed by ": <reason>" when the authorizer gives one.

import type { MiddlewareHandler } from "hono";
import type { AuthorizationAttributes, Authorizer } from "../../auth/types.ts";
import type { Env } from "./env.ts";
import { forbiddenStatus } from "./forbidden-status.ts";

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
            // As kube's request info: a namespace object is in its own namespace, so a RoleBinding there may grant it.
            namespace: info.namespace ?? (info.group === "" && info.resource === "namespaces" ? info.name : undefined),
            name: info.name,
          }
        : { user, cluster: info.cluster, verb: info.verb, resourceRequest: false, path: info.path };
    const decision = authorizer.authorize(attrs);
    c.set("authorization", decision);
    if (!decision.allowed) throw forbiddenStatus(attrs, decision.reason);
    return next();
  };
}
