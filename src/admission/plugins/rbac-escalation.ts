// RBAC escalation prevention (kube's RBAC registry: pkg/registry/rbac/{role,clusterrole,rolebinding,
// clusterrolebinding}/policybased): nobody grants through RBAC what they do not hold themselves.
//   - A Role or ClusterRole is written only by a requester who already holds every one of its rules
//     (in the role's namespace; cluster-wide for a ClusterRole), or who may `escalate` that role.
//     A ClusterRole's aggregationRule can gather anything: setting or changing it takes `*` on `*`.
//   - A RoleBinding or ClusterRoleBinding is written only by a requester who holds every rule of the
//     role it references (in the binding's namespace; cluster-wide for a ClusterRoleBinding), or who
//     may `bind` that role (by name: resourceNames are honoured).
//   - system:masters is exempt (kube's EscalationAllowed: it is the privileged loopback group).
//   - An update that only touches ownerReferences or finalizers is not checked (the garbage collector
//     must be able to finish a deletion).
// It is an admission plugin at the validating step: the object is defaulted and valid by then. (kube
// checks before validation, so there an invalid role by an unprivileged user is 403 rather than 422.)
// What a requester holds comes from `Authorizer.rulesFor` and `Authorizer.authorize`, as the
// requests' own authorization; what a binding's role holds comes from `RoleRules`.

import type { AdmissionAttributes, AdmissionOperation, AdmissionPlugin } from "../../apis/admission.ts";
import type { KObject } from "../../apis/types.ts";
import { type PolicyRule, rulesCover } from "../../auth/rbac/policy-rule.ts";
import { MASTERS_GROUP } from "../../auth/rbac/rbac-authorizer.ts";
import type { Authorizer, UserInfo } from "../../auth/types.ts";
import { isObject } from "../../machinery/object.ts";
import { errors } from "../../machinery/status.ts";

export const RBAC_ESCALATION = "RBACEscalation";
const RBAC_GROUP = "rbac.authorization.k8s.io";

/** What a role reference resolves to: the rules of a Role or ClusterRole in a logical cluster. */
export interface RoleRules {
  /**
   * The rules of the Role `namespace/name` (kind "Role") or of the ClusterRole `name` (kind
   * "ClusterRole", namespace ignored), aggregated ones included; null when there is no such role.
   */
  rulesOf(
    cluster: string,
    kind: "Role" | "ClusterRole",
    namespace: string,
    name: string,
  ): PolicyRule[] | null | Promise<PolicyRule[] | null>;
}

/** What only cluster-admin holds: needed to set an aggregationRule (kube's fullAuthority). */
const FULL_AUTHORITY: PolicyRule[] = [
  { verbs: ["*"], apiGroups: ["*"], resources: ["*"] },
  { verbs: ["*"], nonResourceURLs: ["*"] },
];

const ROLE_KINDS = new Set(["roles", "clusterroles"]);
const BINDING_KINDS = new Set(["rolebindings", "clusterrolebindings"]);

export function rbacEscalation(authorizer: Authorizer, roles: RoleRules): AdmissionPlugin {
  return {
    name: RBAC_ESCALATION,
    handles: (operation: AdmissionOperation) => operation === "CREATE" || operation === "UPDATE",
    validate(a: AdmissionAttributes): void | Promise<void> {
      if (a.def.group !== RBAC_GROUP || a.subresource || !a.object) return;
      const isRole = ROLE_KINDS.has(a.def.plural);
      if (!isRole && !BINDING_KINDS.has(a.def.plural)) return;
      if (a.user.groups.includes(MASTERS_GROUP)) return;
      if (a.oldObject && onlyGCFieldsChange(a.object, a.oldObject)) return;
      return isRole ? checkRole(authorizer, a, a.object) : checkBinding(authorizer, roles, a, a.object);
    },
  };
}

/** The namespace a write's rules apply in: the object's for namespaced kinds, "" (cluster-wide) otherwise. */
function scopeOf(a: AdmissionAttributes): string {
  return a.def.namespaced ? (a.namespace ?? "") : "";
}

function checkRole(authorizer: Authorizer, a: AdmissionAttributes, obj: KObject): void {
  const namespace = scopeOf(a);
  // kube's RoleEscalationAuthorized: `escalate` on this role lifts the check. Asked with the request's
  // name as kube does, so none on a create (a POST names no object): `escalate` limited by
  // resourceNames allows updating those roles, not creating them.
  const mayEscalate = authorizer.authorize({
    user: a.user,
    cluster: a.ctx.cluster,
    verb: "escalate",
    resourceRequest: true,
    group: RBAC_GROUP,
    version: "*",
    resource: a.def.plural,
    namespace,
    name: a.operation === "UPDATE" ? a.name : undefined,
  }).allowed;
  if (mayEscalate) return;
  confirmNoEscalation(authorizer, a, obj, namespace, rulesIn(obj));
  if (a.def.plural === "clusterroles" && hasAggregationRule(obj)) {
    const old = a.oldObject;
    const changed = !old || canonical(old.aggregationRule ?? null) !== canonical(obj.aggregationRule ?? null);
    if (changed && missingRules(authorizer, a.user, a.ctx.cluster, "", FULL_AUTHORITY).length > 0) {
      throw forbidden(a, obj, "must have cluster-admin privileges to use the aggregationRule");
    }
  }
}

function checkBinding(
  authorizer: Authorizer,
  roles: RoleRules,
  a: AdmissionAttributes,
  obj: KObject,
): void | Promise<void> {
  const namespace = scopeOf(a);
  const ref = isObject(obj.roleRef) ? obj.roleRef : {};
  const kind = ref.kind === "Role" || ref.kind === "ClusterRole" ? ref.kind : undefined;
  const name = typeof ref.name === "string" ? ref.name : "";
  // Validation refuses any other kind; a binding of no known kind binds nothing.
  if (!kind) return;
  // kube's BindingAuthorized: `bind` on the referenced role, asked in the binding's namespace.
  const mayBind = authorizer.authorize({
    user: a.user,
    cluster: a.ctx.cluster,
    verb: "bind",
    resourceRequest: true,
    group: typeof ref.apiGroup === "string" ? ref.apiGroup : RBAC_GROUP,
    version: "*",
    resource: kind === "Role" ? "roles" : "clusterroles",
    namespace,
    name,
  }).allowed;
  if (mayBind) return;
  const found = roles.rulesOf(a.ctx.cluster, kind, namespace, name);
  const check = (rules: PolicyRule[] | null) => {
    // kube answers the role lookup's NotFound as it is.
    if (!rules) {
      throw errors.notFound({ group: RBAC_GROUP, resource: kind === "Role" ? "roles" : "clusterroles" }, name);
    }
    confirmNoEscalation(authorizer, a, obj, namespace, rules);
  };
  if (found instanceof Promise) return found.then(check);
  check(found);
}

/** The rules `user` does not hold of `wanted`, in `namespace` of `cluster` ("" for cluster-wide). */
function missingRules(
  authorizer: Authorizer,
  user: UserInfo,
  cluster: string,
  namespace: string,
  wanted: PolicyRule[],
): PolicyRule[] {
  if (wanted.length === 0) return [];
  const held = authorizer.rulesFor(user, cluster, namespace);
  const owner: PolicyRule[] = [...held.resourceRules, ...held.nonResourceRules];
  return rulesCover(owner, wanted);
}

/** kube's ConfirmNoEscalation: 403 naming the rules the requester does not hold. */
function confirmNoEscalation(
  authorizer: Authorizer,
  a: AdmissionAttributes,
  obj: KObject,
  namespace: string,
  wanted: PolicyRule[],
): void {
  const missing = missingRules(authorizer, a.user, a.ctx.cluster, namespace, wanted);
  if (missing.length === 0) return;
  const described = [...new Set(compactRules(missing).map(compactString))].sort();
  throw forbidden(
    a,
    obj,
    `user ${goQuote(a.user.username)} (groups=${goQuoteList(a.user.groups)}) is attempting to grant RBAC permissions not currently held:\n${described.join("\n")}`,
  );
}

function forbidden(a: AdmissionAttributes, obj: KObject, why: string) {
  const name = obj.metadata.name || a.name;
  const resource = `${a.def.plural}.${RBAC_GROUP}`;
  return errors.forbidden(
    `${resource} ${goQuote(name)} is forbidden: ${why}`,
    { group: RBAC_GROUP, resource: a.def.plural },
    name,
  );
}

// ---- the objects ----

function stringList(v: unknown): string[] | undefined {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : undefined;
}

/** A role's rules as PolicyRules (anything malformed has been refused by validation already). */
export function rulesIn(obj: KObject): PolicyRule[] {
  const rules = Array.isArray(obj.rules) ? obj.rules : [];
  const out: PolicyRule[] = [];
  for (const r of rules) {
    if (!isObject(r)) continue;
    const rule: PolicyRule = { verbs: stringList(r.verbs) ?? [] };
    for (const f of ["apiGroups", "resources", "resourceNames", "nonResourceURLs"] as const) {
      const list = stringList(r[f]);
      if (list?.length) rule[f] = list;
    }
    out.push(rule);
  }
  return out;
}

export function hasAggregationRule(obj: KObject): boolean {
  const agg = obj.aggregationRule;
  return isObject(agg) && Array.isArray(agg.clusterRoleSelectors) && agg.clusterRoleSelectors.length > 0;
}

/** kube's IsOnlyMutatingGCFields: the objects are equal but for ownerReferences and finalizers. */
function onlyGCFieldsChange(obj: KObject, old: KObject): boolean {
  const strip = (o: KObject) => {
    const { ownerReferences: _o, finalizers: _f, resourceVersion: _rv, managedFields: _m, ...meta } = o.metadata;
    return canonical({ ...o, metadata: meta });
  };
  return strip(obj) === strip(old);
}

/** JSON with keys sorted, so that two equal objects compare equal whatever their key order. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, value) =>
    isObject(value) && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      : value,
  );
}

// ---- kube's message: CompactRules and CompactString ----

/**
 * kube's CompactRules: simple rules (one group, one resource, no names, no URLs) of the same group
 * and resource become one rule with their verbs together; others stay as they are.
 */
function compactRules(rules: PolicyRule[]): PolicyRule[] {
  const simple = new Map<string, PolicyRule>();
  const out: PolicyRule[] = [];
  for (const r of rules) {
    const isSimple =
      r.apiGroups?.length === 1 && r.resources?.length === 1 && !r.resourceNames?.length && !r.nonResourceURLs?.length;
    if (!isSimple) {
      out.push(r);
      continue;
    }
    const key = JSON.stringify([r.apiGroups, r.resources]);
    const seen = simple.get(key);
    if (seen) {
      for (const v of r.verbs) if (!seen.verbs.includes(v)) seen.verbs.push(v);
    } else {
      const merged: PolicyRule = { verbs: [...r.verbs], apiGroups: r.apiGroups, resources: r.resources };
      simple.set(key, merged);
      out.push(merged);
    }
  }
  return out;
}

/** kube's rbac CompactString: `{APIGroups:["apps"], Resources:["deployments"], Verbs:["get" "list"]}`. */
function compactString(r: PolicyRule): string {
  const parts: string[] = [];
  if (r.apiGroups?.length) parts.push(`APIGroups:${goQuoteList(r.apiGroups)}`);
  if (r.resources?.length) parts.push(`Resources:${goQuoteList(r.resources)}`);
  if (r.nonResourceURLs?.length) parts.push(`NonResourceURLs:${goQuoteList(r.nonResourceURLs)}`);
  if (r.resourceNames?.length) parts.push(`ResourceNames:${goQuoteList(r.resourceNames)}`);
  if (r.verbs.length) parts.push(`Verbs:${goQuoteList(r.verbs)}`);
  return `{${parts.join(", ")}}`;
}

/** Go's %q of a string (JSON's escaping agrees for everything but a few control characters). */
function goQuote(s: string): string {
  return JSON.stringify(s);
}

/** Go's %q of a []string: `["a" "b"]`. */
function goQuoteList(list: readonly string[]): string {
  return `[${list.map(goQuote).join(" ")}]`;
}
