// Where the fields of the one Event shape live in each of its two API versions (core/v1 and
// events.k8s.io/v1): the decoders, the internal view, the printers and the conversion between the
// versions all read these two tables, so the versions' field names are written down once.

/** Where the fields of the shared Event shape live in one API version (core/v1 or events.k8s.io/v1). */
export interface EventFieldNames {
  regarding: string;
  /** The human-readable text and the reporting component, as each version names them. */
  message: string;
  reportingController: string;
  /** String fields, in the order their type checks run (the first error is the one reported). */
  strings: string[];
  source: string;
  times: [string, string];
  count: string;
}

export const CORE_EVENT_FIELDS: EventFieldNames = {
  regarding: "involvedObject",
  message: "message",
  reportingController: "reportingComponent",
  strings: ["reason", "message", "type", "action", "reportingComponent", "reportingInstance"],
  source: "source",
  times: ["firstTimestamp", "lastTimestamp"],
  count: "count",
};

export const EVENTS_V1_FIELDS: EventFieldNames = {
  regarding: "regarding",
  message: "note",
  reportingController: "reportingController",
  strings: ["note", "reason", "type", "action", "reportingController", "reportingInstance"],
  source: "deprecatedSource",
  times: ["deprecatedFirstTimestamp", "deprecatedLastTimestamp"],
  count: "deprecatedCount",
};
