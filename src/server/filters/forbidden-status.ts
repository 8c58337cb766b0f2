// kube-apiserver's 403 for an authorizer's denial (responsewriters.Forbidden): the resource, its
// name and what the user may not do, e.g.
//   users "bob" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope

import type { AuthorizationAttributes } from "../../auth/types.ts";
import { errors, qualifiedResource, type StatusError } from "../../machinery/status.ts";

export function forbiddenStatus(attrs: AuthorizationAttributes, reason: string): StatusError {
  // Go's %q for the quoted parts: a name with a quote or a newline stays one readable token.
  const who = `User ${JSON.stringify(attrs.user.username)}`;
  let msg: string;
  if (!attrs.resourceRequest) msg = `${who} cannot ${attrs.verb} path ${JSON.stringify(attrs.path ?? "")}`;
  else {
    const resource = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : (attrs.resource ?? "");
    const where = attrs.namespace ? `in the namespace ${JSON.stringify(attrs.namespace)}` : "at the cluster scope";
    msg = `${who} cannot ${attrs.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(attrs.group ?? "")} ${where}`;
  }
  if (reason) msg += `: ${reason}`;
  if (!attrs.resourceRequest) return errors.forbidden(`forbidden: ${msg}`);
  const ref = { group: attrs.group ?? "", resource: attrs.resource ?? "" };
  const subject = attrs.name ? `${qualifiedResource(ref)} ${JSON.stringify(attrs.name)}` : qualifiedResource(ref);
  return errors.forbidden(`${subject} is forbidden: ${msg}`, ref, attrs.name || undefined);
}
