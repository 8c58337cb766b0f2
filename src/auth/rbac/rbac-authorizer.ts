// The RBAC authorizer (kube's plugin/pkg/auth/authorizer/rbac), per logical cluster: a request is
// allowed when a rule of a role bound to the user (by name, group or service account) in the
// request's logical cluster allows it; otherwise it has no opinion, which the filter turns into 403.
// system:masters is allowed everything without a lookup, as kube's privileged-group authorizer.
//
// `/clusters/*` (every logical cluster at once, read-only): besides system:masters, allowed to users
// whose rules in the `admin` logical cluster allow the same verb on the resource with the
// `kcp.io/cluster-wildcard` permission: verb `list`/`watch` (the request's verb) on resource
// `clusters/wildcard` of group `tenancy.kcp.io`. Rules of the wildcard's own name ("*") are never
// looked up: no logical cluster is called that.

import type { AuthorizationAttributes, AuthorizationDecision, Authorizer, UserInfo } from "../types.ts";
import { type BindingEntry, describeSubject, type PolicyIndex } from "./policy-index.ts";
import { type PolicyRule, ruleAllows } from "./policy-rule.ts";

export const MASTERS_GROUP = "system:masters";
export const WILDCARD_CLUSTER = "*";
/** Where the permission to use `/clusters/*` is granted. */
export const WILDCARD_PERMISSION_CLUSTER = "admin";
export const WILDCARD_PERMISSION_GROUP = "tenancy.kcp.io";
export const WILDCARD_PERMISSION_RESOURCE = "clusters";
export const WILDCARD_PERMISSION_SUBRESOURCE = "wildcard";

type ResourceRules = ReturnType<Authorizer["rulesFor"]>["resourceRules"];
type NonResourceRules = ReturnType<Authorizer["rulesFor"]>["nonResourceRules"];

function allowedReason(b: BindingEntry, subjectKey: string): string {
  const where = b.kind === "RoleBinding" ? `RoleBinding "${b.name}/${b.namespace}"` : `ClusterRoleBinding "${b.name}"`;
  return `RBAC: allowed by ${where} of ${b.roleKind} "${b.roleName}" to ${describeSubject(subjectKey)}`;
}

export class RBACAuthorizer implements Authorizer {
  constructor(private readonly index: PolicyIndex) {}

  authorize(attrs: AuthorizationAttributes): AuthorizationDecision {
    if (attrs.user.groups.includes(MASTERS_GROUP)) return { allowed: true, reason: "" };
    if (attrs.cluster === WILDCARD_CLUSTER) return this.authorizeWildcard(attrs);
    return this.decide(attrs);
  }

  private decide(attrs: AuthorizationAttributes): AuthorizationDecision {
    let reason = "";
    const errors: string[] = [];
    this.index.visitRulesFor(attrs.user, attrs.cluster, attrs.resourceRequest ? (attrs.namespace ?? "") : "", {
      rule: (rule, binding, subject) => {
        if (!ruleAllows(rule, attrs)) return false;
        reason = allowedReason(binding, subject);
        return true;
      },
      error: (message) => {
        if (errors.length < 10 && !errors.includes(message)) errors.push(message);
      },
    });
    if (reason) return { allowed: true, reason };
    return { allowed: false, reason: errors.length ? `RBAC: ${errors.join(", ")}` : "" };
  }

  /** `/clusters/*`: the verb on clusters/wildcard of tenancy.kcp.io, cluster-wide in `admin`. */
  private authorizeWildcard(attrs: AuthorizationAttributes): AuthorizationDecision {
    const d = this.decide({
      user: attrs.user,
      cluster: WILDCARD_PERMISSION_CLUSTER,
      verb: attrs.verb,
      resourceRequest: true,
      group: WILDCARD_PERMISSION_GROUP,
      resource: WILDCARD_PERMISSION_RESOURCE,
      subresource: WILDCARD_PERMISSION_SUBRESOURCE,
    });
    return d.allowed ? d : { allowed: false, reason: "" };
  }

  rulesFor(user: UserInfo, cluster: string, namespace: string) {
    const resourceRules: ResourceRules = [];
    const nonResourceRules: NonResourceRules = [];
    const errors: string[] = [];
    this.index.visitRulesFor(user, cluster, namespace, {
      rule: (rule: PolicyRule) => {
        if (rule.nonResourceURLs?.length)
          nonResourceRules.push({ verbs: rule.verbs, nonResourceURLs: rule.nonResourceURLs });
        else {
          const r: ResourceRules[number] = { verbs: rule.verbs };
          if (rule.apiGroups) r.apiGroups = rule.apiGroups;
          if (rule.resources) r.resources = rule.resources;
          if (rule.resourceNames) r.resourceNames = rule.resourceNames;
          resourceRules.push(r);
        }
        return false;
      },
      error: (message) => {
        if (!errors.includes(message)) errors.push(message);
      },
    });
    // evaluationError as kube's aggregate error: the one message, or several in brackets.
    const evaluationError = errors.length === 1 ? errors[0] : errors.length ? `[${errors.join(", ")}]` : undefined;
    return {
      resourceRules,
      nonResourceRules,
      incomplete: errors.length > 0,
      ...(evaluationError ? { evaluationError } : {}),
    };
  }
}
