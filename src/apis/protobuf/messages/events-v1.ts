// k8s.io/api/events/v1: Event (the events.k8s.io form, which client-go's new event recorder sends).

import { int32, message, msg, string } from "../schema.ts";
import { EventSource, ObjectReference } from "./core-v1.ts";
import { MicroTime, ObjectMeta, Time } from "./meta-v1.ts";

const EventSeries = message("EventSeries", [int32(1, "count", "always"), msg(2, "lastObservedTime", () => MicroTime)]);

export const Event = message("Event", [
  msg(1, "metadata", () => ObjectMeta),
  msg(2, "eventTime", () => MicroTime),
  msg(3, "series", () => EventSeries, "pointer"),
  string(4, "reportingController"),
  string(5, "reportingInstance"),
  string(6, "action"),
  string(7, "reason"),
  msg(8, "regarding", () => ObjectReference),
  msg(9, "related", () => ObjectReference, "pointer"),
  string(10, "note"),
  string(11, "type"),
  msg(12, "deprecatedSource", () => EventSource),
  msg(13, "deprecatedFirstTimestamp", () => Time),
  msg(14, "deprecatedLastTimestamp", () => Time),
  int32(15, "deprecatedCount"),
]);
