// k8s.io/api/rbac/v1: Role, ClusterRole, RoleBinding, ClusterRoleBinding.

import { message, msg, msgs, string, strings } from "../schema.ts";
import { LabelSelector, ObjectMeta } from "./meta-v1.ts";

const meta = msg(1, "metadata", () => ObjectMeta);

const PolicyRule = message("PolicyRule", [
  strings(1, "verbs", "always"),
  strings(2, "apiGroups"),
  strings(3, "resources"),
  strings(4, "resourceNames"),
  strings(5, "nonResourceURLs"),
]);

const AggregationRule = message("AggregationRule", [msgs(1, "clusterRoleSelectors", () => LabelSelector)]);

const Subject = message("Subject", [
  string(1, "kind", "always"),
  string(2, "apiGroup"),
  string(3, "name", "always"),
  string(4, "namespace"),
]);

const RoleRef = message("RoleRef", [
  string(1, "apiGroup", "always"),
  string(2, "kind", "always"),
  string(3, "name", "always"),
]);

export const Role = message("Role", [meta, msgs(2, "rules", () => PolicyRule, "always")]);

export const ClusterRole = message("ClusterRole", [
  meta,
  msgs(2, "rules", () => PolicyRule, "always"),
  msg(3, "aggregationRule", () => AggregationRule, "pointer"),
]);

export const RoleBinding = message("RoleBinding", [
  meta,
  msgs(2, "subjects", () => Subject),
  msg(3, "roleRef", () => RoleRef),
]);

export const ClusterRoleBinding = message("ClusterRoleBinding", [
  meta,
  msgs(2, "subjects", () => Subject),
  msg(3, "roleRef", () => RoleRef),
]);
