// rbac.authorization.k8s.io/v1: Role, ClusterRole, RoleBinding, ClusterRoleBinding. Names are any
// path segment; rules need verbs; bindings point at one role forever (roleRef is immutable) and
// name User, Group or ServiceAccount subjects.

import { field, type FieldError } from "../../machinery/status.ts";
import type { KObject, ResourceDef, Strategy } from "../types.ts";
import {
  isDNS1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  isValidPathSegmentName,
} from "../../machinery/validation/names.ts";
import { validateLabels } from "../../machinery/validation/object-meta.ts";
import { goStringSlice, goStruct } from "./go-values.ts";
import { builtin, type JsonObject, objectAt, objects, STORED_VERBS, str, strings } from "./strategy-helpers.ts";
import { WireDecoder } from "./wire-decode.ts";
import { defaultPolicy } from "../../auth/rbac/default-policy.ts";
import { isObject } from "../../machinery/object.ts";

export const RBAC_GROUP = "rbac.authorization.k8s.io";

// ---- decoding and defaults ----

function decodeRules(wire: WireDecoder, obj: KObject): void {
  const rules = wire.objectList(obj.rules, { struct: wire.kind, path: "rules" }, "v1.PolicyRule");
  for (const rule of rules ?? []) {
    for (const f of ["verbs", "apiGroups", "resources", "resourceNames", "nonResourceURLs"]) {
      wire.strings(rule[f], { struct: "PolicyRule", path: `rules.${f}` });
    }
  }
  // `rules` has no omitempty: kube writes null for a role without rules.
  if (obj.rules === undefined) obj.rules = null;
}

function decodeBinding(wire: WireDecoder, obj: KObject): void {
  const subjects = wire.objectList(obj.subjects, { struct: wire.kind, path: "subjects" }, "v1.Subject");
  for (const s of subjects ?? []) {
    for (const f of ["kind", "apiGroup", "name", "namespace"])
      wire.string(s[f], { struct: "Subject", path: `subjects.${f}` });
    // SetDefaults_Subject: users and groups belong to the RBAC group.
    if (!str(s.apiGroup) && (s.kind === "User" || s.kind === "Group")) s.apiGroup = RBAC_GROUP;
  }
  const roleRef = wire.object(obj.roleRef, { struct: wire.kind, path: "roleRef" }, "v1.RoleRef") ?? {};
  for (const f of ["apiGroup", "kind", "name"]) wire.string(roleRef[f], { struct: "RoleRef", path: `roleRef.${f}` });
  // roleRef is a struct, always written, with apiGroup defaulted.
  obj.roleRef = { apiGroup: str(roleRef.apiGroup) || RBAC_GROUP, kind: str(roleRef.kind), name: str(roleRef.name) };
}

// ---- validation ----

function validatePolicyRule(rule: JsonObject, namespaced: boolean, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const verbs = strings(rule.verbs);
  const nonResourceURLs = strings(rule.nonResourceURLs);
  if (verbs.length === 0) errs.push(field.required(`${path}.verbs`, "verbs must contain at least one value"));
  if (nonResourceURLs.length > 0) {
    const shown = goStringSlice("string", nonResourceURLs);
    if (namespaced) {
      errs.push({
        ...field.invalid(
          `${path}.nonResourceURLs`,
          nonResourceURLs,
          "namespaced rules cannot apply to non-resource URLs",
        ),
        goValue: shown,
      });
    }
    if (strings(rule.apiGroups).length || strings(rule.resources).length || strings(rule.resourceNames).length) {
      errs.push({
        ...field.invalid(
          `${path}.nonResourceURLs`,
          nonResourceURLs,
          "rules cannot apply to both regular resources and non-resource URLs",
        ),
        goValue: shown,
      });
    }
    return errs;
  }
  if (strings(rule.apiGroups).length === 0)
    errs.push(field.required(`${path}.apiGroups`, "resource rules must supply at least one api group"));
  if (strings(rule.resources).length === 0)
    errs.push(field.required(`${path}.resources`, "resource rules must supply at least one resource"));
  return errs;
}

function validateRules(obj: KObject, namespaced: boolean): FieldError[] {
  return objects(obj.rules).flatMap((rule, i) => validatePolicyRule(rule, namespaced, `rules[${i}]`));
}

function validateLabelSelector(sel: JsonObject, path: string): FieldError[] {
  const errs = validateLabels(sel.matchLabels, `${path}.matchLabels`);
  objects(sel.matchExpressions).forEach((req, i) => {
    const p = `${path}.matchExpressions[${i}]`;
    const op = str(req.operator);
    const values = strings(req.values);
    if (op === "In" || op === "NotIn") {
      if (values.length === 0)
        errs.push(field.required(`${p}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
    } else if (op === "Exists" || op === "DoesNotExist") {
      if (values.length > 0)
        errs.push(field.forbidden(`${p}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
    } else {
      errs.push(field.invalid(`${p}.operator`, op, "not a valid selector operator"));
    }
    for (const msg of isQualifiedName(str(req.key))) errs.push(field.invalid(`${p}.key`, str(req.key), msg));
    values.forEach((v, j) => {
      for (const msg of isValidLabelValue(v)) errs.push(field.invalid(`${p}.values[${j}]`, v, msg));
    });
  });
  return errs;
}

function validateAggregationRule(obj: KObject): FieldError[] {
  if (!isObject(obj.aggregationRule)) return [];
  const selectors = objects(obj.aggregationRule.clusterRoleSelectors);
  const path = "aggregationRule.clusterRoleSelectors";
  if (selectors.length === 0)
    return [field.required(path, "at least one clusterRoleSelector required if aggregationRule is non-nil")];
  return selectors.flatMap((sel, i) => validateLabelSelector(sel, `${path}[${i}]`));
}

function validateSubject(s: JsonObject, namespaced: boolean, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(s.name);
  const apiGroup = str(s.apiGroup);
  if (!name) errs.push(field.required(`${path}.name`));
  switch (str(s.kind)) {
    case "ServiceAccount":
      if (name) for (const msg of isDNS1123Subdomain(name)) errs.push(field.invalid(`${path}.name`, name, msg));
      if (apiGroup) errs.push(field.notSupported(`${path}.apiGroup`, apiGroup, [""]));
      // A ClusterRoleBinding has no namespace to default the account's from.
      if (!namespaced && !str(s.namespace)) errs.push(field.required(`${path}.namespace`));
      break;
    case "User":
    case "Group":
      if (apiGroup !== RBAC_GROUP) errs.push(field.notSupported(`${path}.apiGroup`, apiGroup, [RBAC_GROUP]));
      break;
    default:
      errs.push(field.notSupported(`${path}.kind`, str(s.kind), ["ServiceAccount", "User", "Group"]));
  }
  return errs;
}

function validateBinding(obj: KObject, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const ref = objectAt(obj, "roleRef");
  const apiGroup = str(ref.apiGroup);
  const kind = str(ref.kind);
  const name = str(ref.name);
  if (apiGroup !== RBAC_GROUP) errs.push(field.notSupported("roleRef.apiGroup", apiGroup, [RBAC_GROUP]));
  const kinds = namespaced ? ["Role", "ClusterRole"] : ["ClusterRole"];
  if (!kinds.includes(kind)) errs.push(field.notSupported("roleRef.kind", kind, kinds));
  if (!name) errs.push(field.required("roleRef.name"));
  else for (const msg of isValidPathSegmentName(name)) errs.push(field.invalid("roleRef.name", name, msg));
  objects(obj.subjects).forEach((s, i) => {
    errs.push(...validateSubject(s, namespaced, `subjects[${i}]`));
  });
  return errs;
}

function validateBindingUpdate(obj: KObject, old: KObject, namespaced: boolean): FieldError[] {
  const errs = validateBinding(obj, namespaced);
  const now = objectAt(obj, "roleRef");
  const before = objectAt(old, "roleRef");
  if (["apiGroup", "kind", "name"].some((f) => str(now[f]) !== str(before[f]))) {
    const shown = goStruct("rbac.RoleRef", [
      ["APIGroup", str(now.apiGroup)],
      ["Kind", str(now.kind)],
      ["Name", str(now.name)],
    ]);
    errs.push({ ...field.invalid("roleRef", now, "cannot change roleRef"), goValue: shown });
  }
  return errs;
}

// ---- definitions ----

function rbacKind(
  plural: string,
  kind: string,
  namespaced: boolean,
  strategy: Omit<Strategy, "hasStatus" | "tracksGeneration">,
): ResourceDef {
  return builtin({
    group: RBAC_GROUP,
    version: "v1",
    plural,
    singular: kind.toLowerCase(),
    kind,
    namespaced,
    verbs: STORED_VERBS,
    allowCreateOnUpdate: true,
    strategy: { ...strategy, hasStatus: false, tracksGeneration: false, nameValidation: "path-segment" },
  });
}

export function rbacResources(): ResourceDef[] {
  const roleWire = new WireDecoder("Role", "v1");
  const clusterRoleWire = new WireDecoder("ClusterRole", "v1");
  const rbWire = new WireDecoder("RoleBinding", "v1");
  const crbWire = new WireDecoder("ClusterRoleBinding", "v1");
  const decodeClusterRole = (obj: KObject) => {
    decodeRules(clusterRoleWire, obj);
    const rule = clusterRoleWire.object(
      obj.aggregationRule,
      { struct: "ClusterRole", path: "aggregationRule" },
      "v1.AggregationRule",
    );
    if (rule)
      clusterRoleWire.objectList(
        rule.clusterRoleSelectors,
        { struct: "AggregationRule", path: "aggregationRule.clusterRoleSelectors" },
        "v1.LabelSelector",
      );
  };
  return withDefaultPolicy([
    rbacKind("clusterrolebindings", "ClusterRoleBinding", false, {
      prepareForCreate: (obj) => decodeBinding(crbWire, obj),
      prepareForUpdate: (obj) => decodeBinding(crbWire, obj),
      validate: (obj) => validateBinding(obj, false),
      validateUpdate: (obj, old) => validateBindingUpdate(obj, old, false),
    }),
    rbacKind("clusterroles", "ClusterRole", false, {
      prepareForCreate: decodeClusterRole,
      prepareForUpdate: decodeClusterRole,
      validate: (obj) => [...validateRules(obj, false), ...validateAggregationRule(obj)],
      validateUpdate: (obj) => [...validateRules(obj, false), ...validateAggregationRule(obj)],
    }),
    rbacKind("rolebindings", "RoleBinding", true, {
      prepareForCreate: (obj) => decodeBinding(rbWire, obj),
      prepareForUpdate: (obj) => decodeBinding(rbWire, obj),
      validate: (obj) => validateBinding(obj, true),
      validateUpdate: (obj, old) => validateBindingUpdate(obj, old, true),
    }),
    rbacKind("roles", "Role", true, {
      prepareForCreate: (obj) => decodeRules(roleWire, obj),
      prepareForUpdate: (obj) => decodeRules(roleWire, obj),
      validate: (obj) => validateRules(obj, true),
      validateUpdate: (obj) => validateRules(obj, true),
    }),
  ]);
}

/** kube's default ClusterRoles and ClusterRoleBindings, served in every logical cluster without copies. */
function withDefaultPolicy(defs: ResourceDef[]): ResourceDef[] {
  for (const def of defs) {
    if (def.plural === "clusterroles") def.builtinObjects = () => defaultPolicy().clusterRoles;
    if (def.plural === "clusterrolebindings") def.builtinObjects = () => defaultPolicy().clusterRoleBindings;
  }
  return defs;
}
