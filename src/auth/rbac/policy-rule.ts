// One RBAC PolicyRule against one request (kube's rbac/v1 RuleAllows), and whether a set of rules
// covers another (kube's escalation check, validation.Covers): the pure matching both the authorizer
// and escalation prevention stand on. Semantics as kube's:
//   - verbs, apiGroups: `*` or an exact entry;
//   - resources: `*`, the exact `res` or `res/sub`, or `*/sub` for that subresource of any resource;
//   - resourceNames: empty means any name, else the request's name must be listed (a request without
//     a name, list or create, is not matched by a rule that names names);
//   - nonResourceURLs: `*`, the exact path, or a prefix ending in `*`.

import type { AuthorizationAttributes } from "../types.ts";

/** rbac.authorization.k8s.io/v1 PolicyRule. */
export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

const ALL = "*";

function listHas(list: readonly string[] | undefined, value: string): boolean {
  return list?.includes(value) === true;
}

export function verbMatches(rule: PolicyRule, verb: string): boolean {
  return listHas(rule.verbs, ALL) || listHas(rule.verbs, verb);
}

export function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  return listHas(rule.apiGroups, ALL) || listHas(rule.apiGroups, group);
}

export function resourceMatches(rule: PolicyRule, resource: string, subresource: string | undefined): boolean {
  const wanted = subresource ? `${resource}/${subresource}` : resource;
  for (const r of rule.resources ?? []) {
    if (r === ALL || r === wanted) return true;
    if (subresource && r === `*/${subresource}`) return true;
  }
  return false;
}

export function resourceNameMatches(rule: PolicyRule, name: string | undefined): boolean {
  const names = rule.resourceNames;
  if (!names || names.length === 0) return true;
  return name !== undefined && name !== "" && names.includes(name);
}

function urlCovers(ruleURL: string, path: string): boolean {
  if (ruleURL === ALL || ruleURL === path) return true;
  return ruleURL.endsWith("*") && path.startsWith(ruleURL.slice(0, -1));
}

export function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  return (rule.nonResourceURLs ?? []).some((u) => urlCovers(u, path));
}

/** Whether `rule` allows the request `attrs` (the user is not looked at: bindings decide whose rules apply). */
export function ruleAllows(rule: PolicyRule, attrs: AuthorizationAttributes): boolean {
  if (!verbMatches(rule, attrs.verb)) return false;
  if (attrs.resourceRequest) {
    return (
      apiGroupMatches(rule, attrs.group ?? "") &&
      resourceMatches(rule, attrs.resource ?? "", attrs.subresource) &&
      resourceNameMatches(rule, attrs.name)
    );
  }
  return nonResourceURLMatches(rule, attrs.path ?? "");
}

/** A rule broken down into more atoms than this is not broken down: see rulesCover. */
export const MAX_BREAKDOWN = 100_000;

function hasAll(set: readonly string[] | undefined, wanted: readonly string[] | undefined): boolean {
  return (wanted ?? []).every((w) => listHas(set, w));
}

function resourcesCoverAll(owner: readonly string[] | undefined, wanted: readonly string[] | undefined): boolean {
  if (listHas(owner, ALL)) return true;
  for (const w of wanted ?? []) {
    if (listHas(owner, w)) continue;
    const slash = w.indexOf("/");
    if (slash < 0 || !listHas(owner, `*/${w.slice(slash + 1)}`)) return false;
  }
  return true;
}

function urlsCoverAll(owner: readonly string[] | undefined, wanted: readonly string[] | undefined): boolean {
  return (wanted ?? []).every((w) => (owner ?? []).some((o) => urlCovers(o, w)));
}

/** Whether one owner rule grants everything `sub` asks for (kube's ruleCovers). */
export function ruleCovers(owner: PolicyRule, sub: PolicyRule): boolean {
  const verbs = listHas(owner.verbs, ALL) || hasAll(owner.verbs, sub.verbs);
  const groups = listHas(owner.apiGroups, ALL) || hasAll(owner.apiGroups, sub.apiGroups);
  const ownerNames = owner.resourceNames ?? [];
  const names =
    ownerNames.length === 0 || ((sub.resourceNames ?? []).length > 0 && hasAll(ownerNames, sub.resourceNames));
  return (
    verbs &&
    groups &&
    names &&
    resourcesCoverAll(owner.resources, sub.resources) &&
    urlsCoverAll(owner.nonResourceURLs, sub.nonResourceURLs)
  );
}

function len(list: readonly string[] | undefined): number {
  return list?.length ?? 0;
}

/** The atoms of a rule, one verb × group × resource × name (or verb × URL) each, as kube's BreakdownRule. */
function* breakdown(rule: PolicyRule): Generator<PolicyRule> {
  const names = rule.resourceNames ?? [];
  for (const group of rule.apiGroups ?? [])
    for (const resource of rule.resources ?? [])
      for (const verb of rule.verbs) {
        if (names.length === 0) yield { verbs: [verb], apiGroups: [group], resources: [resource] };
        else
          for (const name of names)
            yield { verbs: [verb], apiGroups: [group], resources: [resource], resourceNames: [name] };
      }
  for (const url of rule.nonResourceURLs ?? [])
    for (const verb of rule.verbs) yield { verbs: [verb], nonResourceURLs: [url] };
}

function breakdownSize(rule: PolicyRule): number {
  return (
    len(rule.apiGroups) * len(rule.resources) * len(rule.verbs) * Math.max(1, len(rule.resourceNames)) +
    len(rule.nonResourceURLs) * len(rule.verbs)
  );
}

/**
 * The rules of `wanted` that `ownerRules` do not cover (empty: all covered), as kube's Covers: each
 * wanted rule is broken into atoms and an atom is covered when one owner rule covers it. A wanted
 * rule of more than MAX_BREAKDOWN atoms (hostile input) is not broken down: it is covered only when
 * a single owner rule covers it whole, else returned whole as not covered.
 */
export function rulesCover(ownerRules: readonly PolicyRule[], wanted: readonly PolicyRule[]): PolicyRule[] {
  const missing: PolicyRule[] = [];
  for (const rule of wanted) {
    if (ownerRules.some((o) => ruleCovers(o, rule))) continue;
    if (breakdownSize(rule) > MAX_BREAKDOWN) {
      missing.push(rule);
      continue;
    }
    for (const atom of breakdown(rule)) if (!ownerRules.some((o) => ruleCovers(o, atom))) missing.push(atom);
  }
  return missing;
}
