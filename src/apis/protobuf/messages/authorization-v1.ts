// k8s.io/api/authorization/v1: SubjectAccessReview, LocalSubjectAccessReview,
// SelfSubjectAccessReview (`kubectl auth can-i`) and SelfSubjectRulesReview (`auth can-i --list`).

import { bool, map, message, msg, msgs, string, strings } from "../schema.ts";
import { ExtraValue } from "./authentication-v1.ts";
import { FieldSelectorRequirement, LabelSelectorRequirement, ObjectMeta } from "./meta-v1.ts";

const meta = msg(1, "metadata", () => ObjectMeta);

const FieldSelectorAttributes = message("FieldSelectorAttributes", [
  string(1, "rawSelector"),
  msgs(2, "requirements", () => FieldSelectorRequirement),
]);

const LabelSelectorAttributes = message("LabelSelectorAttributes", [
  string(1, "rawSelector"),
  msgs(2, "requirements", () => LabelSelectorRequirement),
]);

const ResourceAttributes = message("ResourceAttributes", [
  string(1, "namespace"),
  string(2, "verb"),
  string(3, "group"),
  string(4, "version"),
  string(5, "resource"),
  string(6, "subresource"),
  string(7, "name"),
  msg(8, "fieldSelector", () => FieldSelectorAttributes, "pointer"),
  msg(9, "labelSelector", () => LabelSelectorAttributes, "pointer"),
]);

const NonResourceAttributes = message("NonResourceAttributes", [string(1, "path"), string(2, "verb")]);

const SubjectAccessReviewSpec = message("SubjectAccessReviewSpec", [
  msg(1, "resourceAttributes", () => ResourceAttributes, "pointer"),
  msg(2, "nonResourceAttributes", () => NonResourceAttributes, "pointer"),
  string(3, "user"),
  strings(4, "groups"),
  map(5, "extra", () => ExtraValue),
  string(6, "uid"),
]);

const SelfSubjectAccessReviewSpec = message("SelfSubjectAccessReviewSpec", [
  msg(1, "resourceAttributes", () => ResourceAttributes, "pointer"),
  msg(2, "nonResourceAttributes", () => NonResourceAttributes, "pointer"),
]);

const SubjectAccessReviewStatus = message("SubjectAccessReviewStatus", [
  bool(1, "allowed", "always"),
  bool(4, "denied"),
  string(2, "reason"),
  string(3, "evaluationError"),
]);

export const SubjectAccessReview = message("SubjectAccessReview", [
  meta,
  msg(2, "spec", () => SubjectAccessReviewSpec),
  msg(3, "status", () => SubjectAccessReviewStatus),
]);

export const LocalSubjectAccessReview = message("LocalSubjectAccessReview", [
  meta,
  msg(2, "spec", () => SubjectAccessReviewSpec),
  msg(3, "status", () => SubjectAccessReviewStatus),
]);

export const SelfSubjectAccessReview = message("SelfSubjectAccessReview", [
  meta,
  msg(2, "spec", () => SelfSubjectAccessReviewSpec),
  msg(3, "status", () => SubjectAccessReviewStatus),
]);

const ResourceRule = message("ResourceRule", [
  strings(1, "verbs", "always"),
  strings(2, "apiGroups"),
  strings(3, "resources"),
  strings(4, "resourceNames"),
]);

const NonResourceRule = message("NonResourceRule", [strings(1, "verbs", "always"), strings(2, "nonResourceURLs")]);

const SelfSubjectRulesReviewSpec = message("SelfSubjectRulesReviewSpec", [string(1, "namespace")]);

const SubjectRulesReviewStatus = message("SubjectRulesReviewStatus", [
  msgs(1, "resourceRules", () => ResourceRule, "always"),
  msgs(2, "nonResourceRules", () => NonResourceRule, "always"),
  bool(3, "incomplete", "always"),
  string(4, "evaluationError"),
]);

export const SelfSubjectRulesReview = message("SelfSubjectRulesReview", [
  meta,
  msg(2, "spec", () => SelfSubjectRulesReviewSpec),
  msg(3, "status", () => SubjectRulesReviewStatus),
]);
