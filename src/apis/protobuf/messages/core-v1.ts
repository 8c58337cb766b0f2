// k8s.io/api/core/v1: the kinds kcp serves (ConfigMap, Secret, Namespace, ServiceAccount, Event,
// LimitRange, ResourceQuota) and the references they embed. Field numbers from core/v1
// generated.proto; presence from the Go structs' json tags.

import { bool, int32, map, message, msg, msgs, string, strings } from "../schema.ts";
import { MicroTime, ObjectMeta, Time } from "./meta-v1.ts";
import { Quantity } from "./values.ts";

const meta = msg(1, "metadata", () => ObjectMeta);

export const ObjectReference = message("ObjectReference", [
  string(1, "kind"),
  string(2, "namespace"),
  string(3, "name"),
  string(4, "uid"),
  string(5, "apiVersion"),
  string(6, "resourceVersion"),
  string(7, "fieldPath"),
]);

export const LocalObjectReference = message("LocalObjectReference", [string(1, "name")]);

export const ConfigMap = message("ConfigMap", [
  meta,
  bool(4, "immutable", "pointer"),
  map(2, "data", "string"),
  map(3, "binaryData", "bytes"),
]);

export const Secret = message("Secret", [
  meta,
  bool(5, "immutable", "pointer"),
  map(2, "data", "bytes"),
  map(4, "stringData", "string"),
  string(3, "type"),
]);

const NamespaceSpec = message("NamespaceSpec", [strings(1, "finalizers")]);

const NamespaceCondition = message("NamespaceCondition", [
  string(1, "type", "always"),
  string(2, "status", "always"),
  msg(4, "lastTransitionTime", () => Time),
  string(5, "reason"),
  string(6, "message"),
]);

const NamespaceStatus = message("NamespaceStatus", [
  string(1, "phase"),
  msgs(2, "conditions", () => NamespaceCondition),
]);

export const Namespace = message("Namespace", [
  meta,
  msg(2, "spec", () => NamespaceSpec),
  msg(3, "status", () => NamespaceStatus),
]);

export const ServiceAccount = message("ServiceAccount", [
  meta,
  msgs(2, "secrets", () => ObjectReference),
  msgs(3, "imagePullSecrets", () => LocalObjectReference),
  bool(4, "automountServiceAccountToken", "pointer"),
]);

export const EventSource = message("EventSource", [string(1, "component"), string(2, "host")]);

const EventSeries = message("EventSeries", [int32(1, "count"), msg(2, "lastObservedTime", () => MicroTime)]);

export const Event = message("Event", [
  meta,
  msg(2, "involvedObject", () => ObjectReference),
  string(3, "reason"),
  string(4, "message"),
  msg(5, "source", () => EventSource),
  msg(6, "firstTimestamp", () => Time),
  msg(7, "lastTimestamp", () => Time),
  int32(8, "count"),
  string(9, "type"),
  msg(10, "eventTime", () => MicroTime),
  msg(11, "series", () => EventSeries, "pointer"),
  string(12, "action"),
  msg(13, "related", () => ObjectReference, "pointer"),
  string(14, "reportingComponent", "always"),
  string(15, "reportingInstance", "always"),
]);

const LimitRangeItem = message("LimitRangeItem", [
  string(1, "type", "always"),
  map(2, "max", () => Quantity),
  map(3, "min", () => Quantity),
  map(4, "default", () => Quantity),
  map(5, "defaultRequest", () => Quantity),
  map(6, "maxLimitRequestRatio", () => Quantity),
]);

const LimitRangeSpec = message("LimitRangeSpec", [msgs(1, "limits", () => LimitRangeItem, "always")]);

export const LimitRange = message("LimitRange", [meta, msg(2, "spec", () => LimitRangeSpec)]);

const ScopedResourceSelectorRequirement = message("ScopedResourceSelectorRequirement", [
  string(1, "scopeName", "always"),
  string(2, "operator", "always"),
  strings(3, "values"),
]);

const ScopeSelector = message("ScopeSelector", [msgs(1, "matchExpressions", () => ScopedResourceSelectorRequirement)]);

const ResourceQuotaSpec = message("ResourceQuotaSpec", [
  map(1, "hard", () => Quantity),
  strings(2, "scopes"),
  msg(3, "scopeSelector", () => ScopeSelector, "pointer"),
]);

const ResourceQuotaStatus = message("ResourceQuotaStatus", [
  map(1, "hard", () => Quantity),
  map(2, "used", () => Quantity),
]);

export const ResourceQuota = message("ResourceQuota", [
  meta,
  msg(2, "spec", () => ResourceQuotaSpec),
  msg(3, "status", () => ResourceQuotaStatus),
]);
