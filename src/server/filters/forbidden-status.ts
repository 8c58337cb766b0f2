// kube-apiserver's 403 for an authorizer's denial (responsewriters.Forbidden): the resource, its
// name and what the user may not do, e.g.
//   users "bob" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope

import type { AuthorizationAttributes } from "../../auth/types.ts";
import { errors, qualifiedResource, type StatusError } from "../../machinery/status.ts";

export function forbiddenStatus(attrs: AuthorizationAttributes, reason: string): StatusError {
  const user = attrs.user.username;
  let what: string;
  if (!attrs.resourceRequest) {
    what = `User "${user}" cannot ${attrs.verb} path "${attrs.path ?? ""}"`;
  } else {
    const resource = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : (attrs.resource ?? "");
    const where = attrs.namespace ? `in the namespace "${attrs.namespace}"` : "at the cluster scope";
    what = `User "${user}" cannot ${attrs.verb} resource "${resource}" in API group "${attrs.group ?? ""}" ${where}`;
  }
  if (reason) what += `: ${reason}`;
  if (!attrs.resourceRequest) return errors.forbidden(`forbidden: ${what}`);
  const ref = { group: attrs.group ?? "", resource: attrs.resource ?? "" };
  const subject = attrs.name ? `${qualifiedResource(ref)} "${attrs.name}"` : qualifiedResource(ref);
  return errors.forbidden(`${subject} is forbidden: ${what}`, ref, attrs.name || undefined);
}
