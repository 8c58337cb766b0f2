// k8s.io/apimachinery/pkg/apis/meta/v1: object metadata, times, label selectors and DeleteOptions.
// Field numbers from meta/v1 generated.proto; presence from the Go structs' json tags.

import { formatGoTime } from "../../../apis/builtin/timestamps.ts";
import { bool, bytes, int32, int64, map, message, msg, msgs, type PresentFields, string, strings } from "../schema.ts";
import { ProtoError } from "../wire-reader.ts";
import { rawJSON } from "./values.ts";

/** time.Time{}.Unix(): the zero time, written as null. */
const ZERO_TIME_UNIX = -62135596800;
/** Go's MarshalJSON accepts years 0 through 9999 only. */
const YEAR_0_UNIX = -62167219200;
const YEAR_10000_UNIX = 253402300800;

/**
 * Time and MicroTime travel as { int64 seconds = 1; int32 nanos = 2; }. An empty message is the
 * zero time (null in JSON). Time keeps whole seconds only (its Unmarshal drops nanos); MicroTime
 * keeps microseconds.
 */
function timeJSON(p: PresentFields, size: number, micro: boolean): string | null {
  if (size === 0) return null;
  let seconds = (p.seconds as number | undefined) ?? 0;
  let nanos = micro ? ((p.nanos as number | undefined) ?? 0) : 0;
  seconds += Math.floor(nanos / 1e9);
  nanos = ((nanos % 1e9) + 1e9) % 1e9;
  if (seconds === ZERO_TIME_UNIX && nanos === 0) return null;
  if (seconds < YEAR_0_UNIX || seconds >= YEAR_10000_UNIX)
    throw new ProtoError("Time.MarshalJSON: year outside of range [0,9999]");
  return formatGoTime({ seconds, nanos }, micro ? "micro" : "time");
}

export const Time = message("Time", [int64(1, "seconds"), int32(2, "nanos")], (p, size) => timeJSON(p, size, false));
export const MicroTime = message("MicroTime", [int64(1, "seconds"), int32(2, "nanos")], (p, size) =>
  timeJSON(p, size, true),
);

/** message FieldsV1 { optional bytes Raw = 1; } — the field set's JSON. */
export const FieldsV1 = message("FieldsV1", [bytes(1, "Raw")], (p) => rawJSON(p.Raw, "*v1.FieldsV1"));

export const OwnerReference = message("OwnerReference", [
  string(5, "apiVersion", "always"),
  string(1, "kind", "always"),
  string(3, "name", "always"),
  string(4, "uid", "always"),
  bool(6, "controller", "pointer"),
  bool(7, "blockOwnerDeletion", "pointer"),
]);

export const ManagedFieldsEntry = message("ManagedFieldsEntry", [
  string(1, "manager"),
  string(2, "operation"),
  string(3, "apiVersion"),
  msg(4, "time", () => Time, "pointer"),
  string(6, "fieldsType"),
  msg(7, "fieldsV1", () => FieldsV1, "pointer"),
  string(8, "subresource"),
]);

export const ObjectMeta = message("ObjectMeta", [
  string(1, "name"),
  string(2, "generateName"),
  string(3, "namespace"),
  string(4, "selfLink"),
  string(5, "uid"),
  string(6, "resourceVersion"),
  int64(7, "generation"),
  msg(8, "creationTimestamp", () => Time),
  msg(9, "deletionTimestamp", () => Time, "pointer"),
  int64(10, "deletionGracePeriodSeconds", "pointer"),
  map(11, "labels", "string"),
  map(12, "annotations", "string"),
  msgs(13, "ownerReferences", () => OwnerReference),
  strings(14, "finalizers"),
  msgs(17, "managedFields", () => ManagedFieldsEntry),
]);

export const LabelSelectorRequirement = message("LabelSelectorRequirement", [
  string(1, "key", "always"),
  string(2, "operator", "always"),
  strings(3, "values"),
]);

export const LabelSelector = message("LabelSelector", [
  map(1, "matchLabels", "string"),
  msgs(2, "matchExpressions", () => LabelSelectorRequirement),
]);

/** metav1.Condition: reason and message are written even when empty. */
export const Condition = message("Condition", [
  string(1, "type", "always"),
  string(2, "status", "always"),
  int64(3, "observedGeneration"),
  msg(4, "lastTransitionTime", () => Time),
  string(5, "reason", "always"),
  string(6, "message", "always"),
]);

export const FieldSelectorRequirement = message("FieldSelectorRequirement", [
  string(1, "key", "always"),
  string(2, "operator", "always"),
  strings(3, "values"),
]);

export const Preconditions = message("Preconditions", [
  string(1, "uid", "pointer"),
  string(2, "resourceVersion", "pointer"),
]);

export const DeleteOptions = message("DeleteOptions", [
  int64(1, "gracePeriodSeconds", "pointer"),
  msg(2, "preconditions", () => Preconditions, "pointer"),
  bool(3, "orphanDependents", "pointer"),
  string(4, "propagationPolicy", "pointer"),
  strings(5, "dryRun"),
  bool(6, "ignoreStoreReadErrorWithClusterBreakingPotential", "pointer"),
]);
