// core/v1 Event: the legacy rules only (kube keeps old clients working), the field selectors
// `kubectl describe` uses, and timestamps written back as kube writes them.

import type { KObject, ResourceDef } from "../../types.ts";
import { type InternalEvent, validateEventLegacy } from "../event-validation.ts";
import { builtin, fieldValue, type JsonObject, objectAt, STORED_VERBS, str } from "../strategy-helpers.ts";
import { CORE_EVENT_FIELDS, type EventFieldNames } from "../event-fields.ts";
import { type FieldRef, WireDecoder } from "../wire-decode.ts";

const wire = new WireDecoder("Event", "v1");
const REF_FIELDS = ["kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"] as const;

/** Type-check an ObjectReference and return it with only its set fields (for comparisons). */
export function decodeObjectReference(d: WireDecoder, v: unknown, at: FieldRef): JsonObject | undefined {
  const ref = d.object(v, at, "v1.ObjectReference");
  if (!ref) return undefined;
  const out: JsonObject = {};
  for (const f of REF_FIELDS) {
    const s = d.string(ref[f], { struct: "ObjectReference", path: `${at.path}.${f}` });
    if (s) out[f] = s;
  }
  return out;
}

/** Type checks of an Event in either version, with times normalised in place. */
export function decodeEventFields(wire: WireDecoder, obj: KObject, names: EventFieldNames): void {
  const at = (path: string): FieldRef => ({ struct: "Event", path });
  decodeObjectReference(wire, obj[names.regarding], at(names.regarding));
  decodeObjectReference(wire, obj.related, at("related"));
  for (const f of names.strings) wire.string(obj[f], at(f));
  const source = wire.object(obj[names.source], at(names.source), "v1.EventSource");
  if (source) {
    wire.string(source.component, { struct: "EventSource", path: `${names.source}.component` });
    wire.string(source.host, { struct: "EventSource", path: `${names.source}.host` });
  }
  for (const f of names.times) if (obj[f] !== undefined) obj[f] = wire.time(obj[f], "time") ?? null;
  if (obj.eventTime !== undefined) obj.eventTime = wire.time(obj.eventTime, "micro") ?? null;
  wire.int(obj[names.count], at(names.count), 32);
  const series = wire.object(obj.series, at("series"), "v1.EventSeries");
  if (series) {
    wire.int(series.count, { struct: "EventSeries", path: "series.count" }, 32);
    if (series.lastObservedTime !== undefined)
      series.lastObservedTime = wire.time(series.lastObservedTime, "micro") ?? null;
  }
}

function decode(obj: KObject): void {
  decodeEventFields(wire, obj, CORE_EVENT_FIELDS);
}

/** The internal view of an Event in either version (for events.k8s.io/v1, kube's conversion to core). */
export function internalEvent(wire: WireDecoder, obj: KObject, names: EventFieldNames): InternalEvent {
  const at = (path: string): FieldRef => ({ struct: "Event", path });
  const source = objectAt(obj, names.source);
  const series = obj.series ? objectAt(obj, "series") : undefined;
  return {
    namespace: str(obj.metadata.namespace),
    involvedObject: decodeObjectReference(wire, obj[names.regarding], at(names.regarding)) ?? {},
    reason: str(obj.reason),
    message: str(obj[names.message]),
    source: { component: str(source.component), host: str(source.host) },
    firstTimestamp: str(obj[names.times[0]]),
    lastTimestamp: str(obj[names.times[1]]),
    count: typeof obj[names.count] === "number" ? (obj[names.count] as number) : 0,
    type: str(obj.type),
    eventTime: str(obj.eventTime),
    series: series
      ? { count: typeof series.count === "number" ? series.count : 0, lastObservedTime: str(series.lastObservedTime) }
      : undefined,
    action: str(obj.action),
    related: decodeObjectReference(wire, obj.related, at("related")),
    reportingController: str(obj[names.reportingController]),
    reportingInstance: str(obj.reportingInstance),
  };
}

export function coreEvents(): ResourceDef {
  const involved = (f: string) => (o: KObject) => fieldValue(o, "involvedObject", f);
  return builtin({
    group: "",
    version: "v1",
    plural: "events",
    singular: "event",
    kind: "Event",
    shortNames: ["ev"],
    namespaced: true,
    verbs: STORED_VERBS,
    allowCreateOnUpdate: true,
    selectableFields: {
      "involvedObject.kind": involved("kind"),
      "involvedObject.namespace": involved("namespace"),
      "involvedObject.name": involved("name"),
      "involvedObject.uid": involved("uid"),
      "involvedObject.apiVersion": involved("apiVersion"),
      "involvedObject.resourceVersion": involved("resourceVersion"),
      "involvedObject.fieldPath": involved("fieldPath"),
      reason: (o) => fieldValue(o, "reason"),
      reportingComponent: (o) => fieldValue(o, "reportingComponent"),
      // The source component, or for new-style events the reporting controller.
      source: (o) => fieldValue(o, "source", "component") || fieldValue(o, "reportingComponent"),
      type: (o) => fieldValue(o, "type"),
    },
    strategy: {
      hasStatus: false,
      tracksGeneration: false,
      // core/v1 events are named by any path segment: kube skips the DNS check for them.
      nameValidation: "path-segment",
      prepareForCreate: (obj) => decode(obj),
      prepareForUpdate: (obj) => decode(obj),
      validate: (obj) => validateEventLegacy(internalEvent(wire, obj, CORE_EVENT_FIELDS), true),
      validateUpdate: (obj) => validateEventLegacy(internalEvent(wire, obj, CORE_EVENT_FIELDS), true),
    },
  });
}
