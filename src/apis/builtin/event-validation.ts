// Event validation shared by core/v1 and events.k8s.io/v1. kube converts both to one internal Event
// and validates that, so the rules (and the field paths in errors, e.g. "involvedObject.namespace"
// even for an events.k8s.io request) are the same. core/v1 requests get the lenient legacy rules;
// events.k8s.io/v1 requests get the strict ones on top.

import { field, type FieldError } from "../../machinery/status.ts";
import { deepEqual } from "../object-codec.ts";
import { isDNS1123Subdomain, isQualifiedName } from "../../machinery/validation/names.ts";
import type { JsonObject } from "./strategy-helpers.ts";

/** The internal Event: the fields validation reads, whatever API version they came in. */
export interface InternalEvent {
  namespace: string;
  involvedObject: JsonObject;
  reason: string;
  message: string;
  source: { component: string; host: string };
  firstTimestamp: string;
  lastTimestamp: string;
  count: number;
  type: string;
  eventTime: string;
  series?: { count: number; lastObservedTime: string };
  action: string;
  related?: JsonObject;
  reportingController: string;
  reportingInstance: string;
}

const REPORTING_INSTANCE_LIMIT = 128;
const ACTION_LIMIT = 128;
const REASON_LIMIT = 128;
const NOTE_LIMIT = 1024;

const byteLen = (s: string) => Buffer.byteLength(s, "utf8");

/** legacyValidateEvent: what every event must satisfy, whichever API it came through. */
export function validateEventLegacy(ev: InternalEvent, coreV1Request: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const reportingField = coreV1Request ? "reportingComponent" : "reportingController";
  const involvedNs = typeof ev.involvedObject.namespace === "string" ? ev.involvedObject.namespace : "";
  if (!ev.eventTime) {
    // Old-style events: the namespaces must agree ("default" stands in for cluster-scoped objects).
    if (involvedNs === "") {
      if (ev.namespace !== "" && ev.namespace !== "default") {
        errs.push(field.invalid("involvedObject.namespace", involvedNs, "does not match event.namespace"));
      }
    } else if (ev.namespace !== involvedNs) {
      errs.push(field.invalid("involvedObject.namespace", involvedNs, "does not match event.namespace"));
    }
  } else {
    if (involvedNs === "" && ev.namespace !== "default" && ev.namespace !== "kube-system") {
      errs.push(field.invalid("involvedObject.namespace", involvedNs, "does not match event.namespace"));
    }
    if (!ev.reportingController) errs.push(field.required(reportingField));
    for (const msg of isQualifiedName(ev.reportingController))
      errs.push(field.invalid(reportingField, ev.reportingController, msg));
    if (!ev.reportingInstance) errs.push(field.required("reportingInstance"));
    if (byteLen(ev.reportingInstance) > REPORTING_INSTANCE_LIMIT) {
      errs.push(field.invalid("reportingInstance", "", `can have at most ${REPORTING_INSTANCE_LIMIT} characters`));
    }
    if (!ev.action) errs.push(field.required("action"));
    if (byteLen(ev.action) > ACTION_LIMIT)
      errs.push(field.invalid("action", "", `can have at most ${ACTION_LIMIT} characters`));
    if (!ev.reason) errs.push(field.required("reason"));
    if (byteLen(ev.reason) > REASON_LIMIT)
      errs.push(field.invalid("reason", "", `can have at most ${REASON_LIMIT} characters`));
    if (byteLen(ev.message) > NOTE_LIMIT)
      errs.push(field.invalid("message", "", `can have at most ${NOTE_LIMIT} characters`));
  }
  for (const msg of isDNS1123Subdomain(ev.namespace)) errs.push(field.invalid("namespace", ev.namespace, msg));
  return errs;
}

function validateSeries(ev: InternalEvent): FieldError[] {
  const errs: FieldError[] = [];
  if (ev.series) {
    if (ev.series.count < 2) errs.push(field.invalid("series.count", "", "should be at least 2"));
    if (!ev.series.lastObservedTime) errs.push(field.required("series.lastObservedTime"));
  }
  return errs;
}

/** The rules events.k8s.io/v1 adds on create: new-style events only. */
export function validateEventStrictCreate(ev: InternalEvent): FieldError[] {
  const errs = validateSeries(ev);
  if (!ev.eventTime) errs.push(field.required("eventTime"));
  if (ev.type !== "Normal" && ev.type !== "Warning")
    errs.push(field.invalid("type", "", `has invalid value: ${ev.type}`));
  if (ev.firstTimestamp) errs.push(field.invalid("deprecatedFirstTimestamp", "", "needs to be unset"));
  if (ev.lastTimestamp) errs.push(field.invalid("deprecatedLastTimestamp", "", "needs to be unset"));
  if (ev.count !== 0) errs.push(field.invalid("deprecatedCount", "", "needs to be unset"));
  if (ev.source.component || ev.source.host) errs.push(field.invalid("deprecatedSource", "", "needs to be unset"));
  return errs;
}

/** The rules events.k8s.io/v1 adds on update: a series may grow, nothing else may change. */
export function validateEventStrictUpdate(ev: InternalEvent, old: InternalEvent): FieldError[] {
  const errs: FieldError[] = [];
  if (!deepEqual(ev.series, old.series)) errs.push(...validateSeries(ev));
  const immutable: [string, unknown, unknown][] = [
    ["involvedObject", ev.involvedObject, old.involvedObject],
    ["reason", ev.reason, old.reason],
    ["message", ev.message, old.message],
    ["source", ev.source, old.source],
    ["firstTimestamp", ev.firstTimestamp, old.firstTimestamp],
    ["lastTimestamp", ev.lastTimestamp, old.lastTimestamp],
    ["count", ev.count, old.count],
    // kube checks reason twice; its error list carries both.
    ["reason", ev.reason, old.reason],
    ["type", ev.type, old.type],
    ["eventTime", ev.eventTime, old.eventTime],
    ["action", ev.action, old.action],
    ["related", ev.related ?? null, old.related ?? null],
    ["reportingController", ev.reportingController, old.reportingController],
    ["reportingInstance", ev.reportingInstance, old.reportingInstance],
  ];
  for (const [path, now, before] of immutable) {
    if (!deepEqual(now, before)) errs.push(field.invalid(path, now ?? null, "field is immutable"));
  }
  return errs;
}
