// An in-memory index of every logical cluster's Roles, ClusterRoles, RoleBindings and
// ClusterRoleBindings, fed by the app layer from the store's watch (upsert / remove), which the
// RBAC authorizer reads synchronously. Bindings are indexed by subject (a user name, a group; a
// service account is its user name), so a decision looks only at the bindings naming the user or
// one of its groups. Per cluster only what it stores is kept, in maps made on first use; kube's
// default ClusterRoles and ClusterRoleBindings (default-policy.ts) are held once and apply in every
// cluster, unless the cluster stores an object of the same name, which then wins there.
//
// Aggregated ClusterRoles (aggregationRule.clusterRoleSelectors) are computed here, not written
// back as kube's controller does: a role's effective rules are the union of the effective rules of
// the ClusterRoles its selectors match in that cluster (defaults included), cached per cluster until
// one of its ClusterRoles changes. `kubectl get clusterrole admin` therefore shows the stored rules
// (empty for the defaults), while decisions use the aggregate.

import { isObject, type KObject } from "../../machinery/object.ts";
import {
  type LabelSelector,
  type LabelSelectorObject,
  labelSelectorFromObject,
} from "../../machinery/selectors/label-selector.ts";
import type { UserInfo } from "../types.ts";
import { defaultPolicy } from "./default-policy.ts";
import type { PolicyRule } from "./policy-rule.ts";

export type RBACKind = "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding";

interface RoleEntry {
  rules: PolicyRule[];
  labels?: Record<string, string>;
  /** ClusterRoles with an aggregationRule. */
  selectors?: LabelSelector[];
}

export interface BindingEntry {
  kind: "RoleBinding" | "ClusterRoleBinding";
  /** RoleBindings only. */
  namespace?: string;
  name: string;
  roleKind: "Role" | "ClusterRole";
  roleName: string;
  /** Index keys of the subjects: "u:<user name>" (a service account is its user name), "g:<group>". */
  subjects: string[];
}

/** One logical cluster's stored RBAC objects. */
class ClusterPolicy {
  roles?: Map<string, RoleEntry>;
  clusterRoles?: Map<string, RoleEntry>;
  /** Keyed "<namespace>/<name>" for RoleBindings, "/<name>" for ClusterRoleBindings. */
  bindings?: Map<string, BindingEntry>;
  bySubject?: Map<string, BindingEntry[]>;
  /** Effective rules of aggregated ClusterRoles, until a ClusterRole of the cluster changes. */
  aggregated?: Map<string, PolicyRule[]>;

  empty(): boolean {
    return !this.roles?.size && !this.clusterRoles?.size && !this.bindings?.size;
  }
}

/** What a visit of a user's rules reports besides the rules: bindings whose role does not exist. */
export interface RuleVisitor {
  /** Return true to stop the visit. `subject` is the binding's subject that matched (describeSubject names it). */
  rule(rule: PolicyRule, binding: BindingEntry, subject: string): boolean;
  error(message: string): void;
}

const ROLE_NOT_FOUND = (kind: "Role" | "ClusterRole", name: string) =>
  `${kind === "Role" ? "role" : "clusterrole"}.rbac.authorization.k8s.io "${name}" not found`;

function stringArray(v: unknown): string[] | undefined {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : undefined;
}

/**
 * Equal rules are shared between roles and logical clusters (tenants' roles are often copies of
 * one another): a rule is kept once, up to MAX_INTERNED distinct rules, beyond which rules are
 * kept per role. Shared rules are frozen.
 */
const MAX_INTERNED = 4096;
const interned = new Map<string, PolicyRule>();

function intern(rule: PolicyRule): PolicyRule {
  const key = JSON.stringify(rule);
  const known = interned.get(key);
  if (known) return known;
  if (interned.size >= MAX_INTERNED) return rule;
  Object.freeze(rule);
  interned.set(key, rule);
  return rule;
}

function rulesOf(obj: KObject): PolicyRule[] {
  const out: PolicyRule[] = [];
  if (!Array.isArray(obj.rules)) return out;
  for (const r of obj.rules) {
    if (!isObject(r)) continue;
    const rule: PolicyRule = { verbs: stringArray(r.verbs) ?? [] };
    const groups = stringArray(r.apiGroups);
    const resources = stringArray(r.resources);
    const names = stringArray(r.resourceNames);
    const urls = stringArray(r.nonResourceURLs);
    if (groups?.length) rule.apiGroups = groups;
    if (resources?.length) rule.resources = resources;
    if (names?.length) rule.resourceNames = names;
    if (urls?.length) rule.nonResourceURLs = urls;
    out.push(intern(rule));
  }
  return out;
}

function roleEntry(obj: KObject, cluster: boolean): RoleEntry {
  const entry: RoleEntry = { rules: rulesOf(obj) };
  if (!cluster) return entry;
  const labels = obj.metadata.labels;
  if (labels && Object.keys(labels).length) entry.labels = labels;
  const agg = obj.aggregationRule;
  if (isObject(agg) && Array.isArray(agg.clusterRoleSelectors)) {
    entry.selectors = [];
    for (const s of agg.clusterRoleSelectors) {
      try {
        if (isObject(s)) entry.selectors.push(labelSelectorFromObject(s as LabelSelectorObject));
      } catch {
        // Validation refuses bad selectors on write; one that slipped through selects nothing.
      }
    }
  }
  return entry;
}

function bindingEntry(kind: "RoleBinding" | "ClusterRoleBinding", obj: KObject): BindingEntry | undefined {
  const ref = obj.roleRef;
  if (!isObject(ref) || typeof ref.name !== "string") return undefined;
  const roleKind = ref.kind === "Role" ? "Role" : ref.kind === "ClusterRole" ? "ClusterRole" : undefined;
  if (!roleKind) return undefined;
  const namespace = kind === "RoleBinding" ? (obj.metadata.namespace ?? "") : undefined;
  const subjects: BindingEntry["subjects"] = [];
  for (const s of Array.isArray(obj.subjects) ? obj.subjects : []) {
    if (!isObject(s) || typeof s.name !== "string") continue;
    if (s.kind === "User") subjects.push(`u:${s.name}`);
    else if (s.kind === "Group") subjects.push(`g:${s.name}`);
    else if (s.kind === "ServiceAccount") {
      // As kube's appliesTo: a service account subject without a namespace is in the binding's.
      const ns = typeof s.namespace === "string" && s.namespace !== "" ? s.namespace : (namespace ?? "");
      subjects.push(`${SA_KEY}${ns}:${s.name}`);
    }
  }
  const entry: BindingEntry = { kind, name: obj.metadata.name ?? "", roleKind, roleName: ref.name, subjects };
  if (namespace !== undefined) entry.namespace = namespace;
  return entry;
}

const SA_KEY = "u:system:serviceaccount:";

/** How a subject index key is named in a reason, as kube's describeSubject. */
function describeSubject(key: string): string {
  if (key.startsWith(SA_KEY)) {
    const [ns, name] = key.slice(SA_KEY.length).split(":", 2) as [string, string];
    return `ServiceAccount "${name}/${ns}"`;
  }
  return `${key.startsWith("g:") ? "Group" : "User"} ${JSON.stringify(key.slice(2))}`;
}

function addBySubject(index: Map<string, BindingEntry[]>, b: BindingEntry): void {
  for (const key of b.subjects) {
    const list = index.get(key);
    if (!list) index.set(key, [b]);
    else if (!list.includes(b)) list.push(b);
  }
}

function removeBySubject(index: Map<string, BindingEntry[]>, b: BindingEntry): void {
  for (const key of b.subjects) {
    const list = index.get(key);
    if (!list) continue;
    const i = list.indexOf(b);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) index.delete(key);
  }
}

export { describeSubject };

function dedupeRules(rules: PolicyRule[]): PolicyRule[] {
  const seen = new Set<string>();
  const out: PolicyRule[] = [];
  for (const r of rules) {
    const k = JSON.stringify(r);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(r);
  }
  return out;
}

export class PolicyIndex {
  private readonly clusters = new Map<string, ClusterPolicy>();
  private readonly defaultRoles = new Map<string, RoleEntry>();
  private readonly defaultBindings = new Map<string, BindingEntry>();
  private readonly defaultBySubject = new Map<string, BindingEntry[]>();
  /** Aggregated default roles in a cluster that stores no ClusterRole. */
  private readonly defaultAggregated = new Map<string, PolicyRule[]>();

  constructor() {
    const { clusterRoles, clusterRoleBindings } = defaultPolicy();
    for (const r of clusterRoles) this.defaultRoles.set(r.metadata.name ?? "", roleEntry(r, true));
    for (const b of clusterRoleBindings) {
      const e = bindingEntry("ClusterRoleBinding", b);
      if (!e) continue;
      this.defaultBindings.set(e.name, e);
      addBySubject(this.defaultBySubject, e);
    }
  }

  /** A stored object was created or changed (or listed). */
  upsert(kind: RBACKind, cluster: string, obj: KObject): void {
    const name = obj.metadata.name ?? "";
    const namespace = obj.metadata.namespace ?? "";
    this.remove(kind, cluster, namespace, name);
    let cp = this.clusters.get(cluster);
    if (!cp) {
      cp = new ClusterPolicy();
      this.clusters.set(cluster, cp);
    }
    switch (kind) {
      case "Role":
        cp.roles ??= new Map();
        cp.roles.set(`${namespace}/${name}`, roleEntry(obj, false));
        break;
      case "ClusterRole":
        cp.clusterRoles ??= new Map();
        cp.clusterRoles.set(name, roleEntry(obj, true));
        cp.aggregated = undefined;
        break;
      default: {
        const b = bindingEntry(kind, obj);
        if (!b) break;
        cp.bindings ??= new Map();
        cp.bySubject ??= new Map();
        cp.bindings.set(kind === "RoleBinding" ? `${namespace}/${name}` : `/${name}`, b);
        addBySubject(cp.bySubject, b);
      }
    }
  }

  /** A stored object was deleted. */
  remove(kind: RBACKind, cluster: string, namespace: string | undefined, name: string): void {
    const cp = this.clusters.get(cluster);
    if (!cp) return;
    switch (kind) {
      case "Role":
        cp.roles?.delete(`${namespace ?? ""}/${name}`);
        break;
      case "ClusterRole":
        if (cp.clusterRoles?.delete(name)) cp.aggregated = undefined;
        break;
      default: {
        const key = kind === "RoleBinding" ? `${namespace ?? ""}/${name}` : `/${name}`;
        const b = cp.bindings?.get(key);
        if (b) {
          cp.bindings?.delete(key);
          if (cp.bySubject) removeBySubject(cp.bySubject, b);
        }
      }
    }
    if (cp.empty()) this.clusters.delete(cluster);
  }

  /** The stored objects of a kind, as [cluster, namespace, name] (a relist removes those no longer listed). */
  *keys(kind: RBACKind): Generator<[string, string, string]> {
    for (const [cluster, cp] of this.clusters) {
      if (kind === "Role") for (const k of cp.roles?.keys() ?? []) yield [cluster, ...splitKey(k)];
      else if (kind === "ClusterRole") for (const k of cp.clusterRoles?.keys() ?? []) yield [cluster, "", k];
      else for (const b of cp.bindings?.values() ?? []) if (b.kind === kind) yield [cluster, b.namespace ?? "", b.name];
    }
  }

  /** How many logical clusters store RBAC objects. */
  get clusterCount(): number {
    return this.clusters.size;
  }

  /**
   * Calls the visitor with every rule that applies to `user` in `cluster` and `namespace` ("" for
   * cluster scope): ClusterRoleBindings first, then the namespace's RoleBindings, as kube's
   * VisitRulesFor.
   */
  visitRulesFor(user: UserInfo, cluster: string, namespace: string, visitor: RuleVisitor): void {
    const cp = this.clusters.get(cluster);
    const keys = [`u:${user.username}`];
    for (const g of user.groups) keys.push(`g:${g}`);
    const visitBinding = (b: BindingEntry, key: string): boolean => {
      const rules = this.roleRules(cp, b, b.namespace ?? "");
      if (!rules) {
        visitor.error(ROLE_NOT_FOUND(b.roleKind, b.roleName));
        return false;
      }
      for (const r of rules) if (visitor.rule(r, b, key)) return true;
      return false;
    };
    // Cluster-wide bindings: the stored ones, then the defaults the cluster does not override.
    for (const key of keys) {
      for (const b of cp?.bySubject?.get(key) ?? [])
        if (b.kind === "ClusterRoleBinding" && visitBinding(b, key)) return;
      for (const b of this.defaultBySubject.get(key) ?? []) {
        if (cp?.bindings?.has(`/${b.name}`)) continue;
        if (visitBinding(b, key)) return;
      }
    }
    if (!namespace || !cp?.bySubject) return;
    for (const key of keys)
      for (const b of cp.bySubject.get(key) ?? [])
        if (b.kind === "RoleBinding" && b.namespace === namespace && visitBinding(b, key)) return;
  }

  /**
   * The effective rules of a Role (in `namespace`) or ClusterRole (aggregated ones computed, the
   * defaults included) of a logical cluster, or undefined when it does not exist: what a binding to
   * it grants (escalation prevention compares them with the binder's own).
   */
  rulesOfRole(
    cluster: string,
    kind: "Role" | "ClusterRole",
    namespace: string,
    name: string,
  ): PolicyRule[] | undefined {
    const cp = this.clusters.get(cluster);
    if (kind === "Role") return cp?.roles?.get(`${namespace}/${name}`)?.rules;
    return this.clusterRoleRules(cp, name);
  }

  private roleRules(cp: ClusterPolicy | undefined, b: BindingEntry, namespace: string): PolicyRule[] | undefined {
    if (b.roleKind === "Role") return cp?.roles?.get(`${namespace}/${b.roleName}`)?.rules;
    return this.clusterRoleRules(cp, b.roleName);
  }

  /** A ClusterRole's effective rules in a cluster (aggregated ones computed), or undefined when it does not exist. */
  clusterRoleRules(cp: ClusterPolicy | string | undefined, name: string): PolicyRule[] | undefined {
    const policy = typeof cp === "string" ? this.clusters.get(cp) : cp;
    const entry = policy?.clusterRoles?.get(name) ?? this.defaultRoles.get(name);
    if (!entry) return undefined;
    if (!entry.selectors) return entry.rules;
    const cache = policy?.clusterRoles?.size ? (policy.aggregated ??= new Map()) : this.defaultAggregated;
    let rules = cache.get(name);
    if (!rules) {
      rules = this.aggregate(policy, name, new Set());
      cache.set(name, rules);
    }
    return rules;
  }

  /** The union of the rules of the ClusterRoles an aggregated role selects, followed through aggregated ones. */
  private aggregate(cp: ClusterPolicy | undefined, name: string, visiting: Set<string>): PolicyRule[] {
    visiting.add(name);
    const entry = cp?.clusterRoles?.get(name) ?? this.defaultRoles.get(name);
    const out: PolicyRule[] = [];
    for (const [other, e] of this.visibleClusterRoles(cp)) {
      if (other === name || !entry?.selectors?.some((s) => s.matches(e.labels))) continue;
      if (!e.selectors) out.push(...e.rules);
      else if (!visiting.has(other)) out.push(...this.aggregate(cp, other, visiting));
    }
    return dedupeRules(out);
  }

  private *visibleClusterRoles(cp: ClusterPolicy | undefined): Generator<[string, RoleEntry]> {
    const stored = cp?.clusterRoles;
    if (stored) yield* stored;
    for (const d of this.defaultRoles) if (!stored?.has(d[0])) yield d;
  }
}

function splitKey(k: string): [string, string] {
  const i = k.indexOf("/");
  return [k.slice(0, i), k.slice(i + 1)];
}
