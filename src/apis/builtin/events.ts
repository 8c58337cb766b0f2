// events.k8s.io/v1 Event: the structured event API (regarding/note/reportingController), validated
// with the strict rules for new-style events on top of the legacy ones.
//
// As in kube, both Event APIs serve one set of objects: events.k8s.io/v1 shares core/v1's key
// space, writes store the core/v1 form and reads convert it back (event-conversion.ts), so an event
// written through either API is read, watched, patched and deleted through both. Objects written
// by earlier kcp builds under the old events.k8s.io key space are not served (no migration:
// kcp is pre-release).

import type { KObject, ResourceDef } from "../types.ts";
import { decodeEventFields, internalEvent } from "./core/events.ts";
import { EVENTS_V1_FIELDS } from "./event-fields.ts";
import { eventToCoreV1, eventToEventsV1 } from "./event-conversion.ts";
import {
  type InternalEvent,
  validateEventLegacy,
  validateEventStrictCreate,
  validateEventStrictUpdate,
} from "./event-validation.ts";
import { builtin, fieldValue, STORED_VERBS } from "./strategy-helpers.ts";
import { WireDecoder } from "./wire-decode.ts";

const wire = new WireDecoder("Event", "v1");

function decode(obj: KObject): void {
  decodeEventFields(wire, obj, EVENTS_V1_FIELDS);
}

/** The internal view of an events.k8s.io/v1 Event (kube's conversion to core). */
function internalFromEventsV1(obj: KObject): InternalEvent {
  return internalEvent(wire, obj, EVENTS_V1_FIELDS);
}

export function eventsV1Resources(): ResourceDef[] {
  const regarding = (f: string) => (o: KObject) => fieldValue(o, "regarding", f);
  return [
    builtin({
      group: "events.k8s.io",
      version: "v1",
      plural: "events",
      singular: "event",
      kind: "Event",
      shortNames: ["ev"],
      namespaced: true,
      verbs: STORED_VERBS,
      allowCreateOnUpdate: true,
      // One store with core/v1 Events: kept in their form, converted on every read and write.
      storage: { group: "", resource: "events" },
      onRead: eventToEventsV1,
      toStorage: eventToCoreV1,
      selectableFields: {
        "regarding.kind": regarding("kind"),
        "regarding.namespace": regarding("namespace"),
        "regarding.name": regarding("name"),
        "regarding.uid": regarding("uid"),
        "regarding.apiVersion": regarding("apiVersion"),
        "regarding.resourceVersion": regarding("resourceVersion"),
        "regarding.fieldPath": regarding("fieldPath"),
        reason: (o) => fieldValue(o, "reason"),
        reportingController: (o) => fieldValue(o, "reportingController"),
        type: (o) => fieldValue(o, "type"),
      },
      strategy: {
        hasStatus: false,
        tracksGeneration: false,
        nameValidation: "subdomain",
        prepareForCreate: (obj) => decode(obj),
        prepareForUpdate: (obj) => decode(obj),
        validate(obj) {
          const ev = internalFromEventsV1(obj);
          return [...validateEventLegacy(ev, false), ...validateEventStrictCreate(ev)];
        },
        validateUpdate(obj, old) {
          const ev = internalFromEventsV1(obj);
          return [...validateEventLegacy(ev, false), ...validateEventStrictUpdate(ev, internalFromEventsV1(old))];
        },
      },
    }),
  ];
}
