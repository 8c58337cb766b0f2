// The two Event APIs are two views of one object, as in kube: core/v1 is the stored form (kube
// stores core/v1 too), and events.k8s.io/v1 is converted to it on every write and from it on every
// read (kube's pkg/apis/events/v1 conversion). The shapes differ only in the names of top-level
// fields; everything else, metadata included (uid, resourceVersion, managedFields), is the object's.

import type { KObject } from "../types.ts";
import { CORE_EVENT_FIELDS, EVENTS_V1_FIELDS, type EventFieldNames } from "./event-fields.ts";

/** The fields the two versions name differently: each field of one table paired with the other's. */
function renames(from: EventFieldNames, to: EventFieldNames): Map<string, string> {
  const pairs: [string, string][] = [
    [from.regarding, to.regarding],
    [from.message, to.message],
    [from.reportingController, to.reportingController],
    [from.source, to.source],
    [from.times[0], to.times[0]],
    [from.times[1], to.times[1]],
    [from.count, to.count],
  ];
  return new Map(pairs.filter(([f, t]) => f !== t));
}

/** core/v1 field → events.k8s.io/v1 field. */
const CORE_TO_EVENTS_V1: ReadonlyMap<string, string> = renames(CORE_EVENT_FIELDS, EVENTS_V1_FIELDS);
const EVENTS_V1_TO_CORE: ReadonlyMap<string, string> = renames(EVENTS_V1_FIELDS, CORE_EVENT_FIELDS);

/**
 * A copy of `obj` with its top-level fields renamed by `names` (same order; values shared, not
 * copied). Keys come from a request: looked up in a Map and defined as own properties, so a key
 * such as `constructor` or `__proto__` is neither renamed by Object.prototype nor sets a prototype.
 */
function renamed(obj: KObject, names: ReadonlyMap<string, string>, apiVersion: string): KObject {
  const out: Record<string, unknown> = { apiVersion, kind: obj.kind, metadata: obj.metadata };
  for (const [k, v] of Object.entries(obj)) {
    if (k === "apiVersion" || k === "kind" || k === "metadata") continue;
    Object.defineProperty(out, names.get(k) ?? k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out as KObject;
}

/** A stored (core/v1) Event as events.k8s.io/v1 serves it. */
export function eventToEventsV1(obj: KObject): KObject {
  return renamed(obj, CORE_TO_EVENTS_V1, "events.k8s.io/v1");
}

/** An events.k8s.io/v1 Event in its stored (core/v1) form. */
export function eventToCoreV1(obj: KObject): KObject {
  return renamed(obj, EVENTS_V1_TO_CORE, "v1");
}
