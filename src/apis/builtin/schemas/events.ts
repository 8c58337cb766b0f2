// events.k8s.io/v1 Event: the structured view of an event (regarding/note/reportingController).

import {
  int32,
  kindType,
  listType,
  microTime,
  objectType,
  optStr,
  optStruct,
  type Schema,
  time,
} from "../../schema-builders.ts";

const V1 = "io.k8s.api.events.v1.";
const CORE = "io.k8s.api.core.v1.";

const event = kindType(
  "Event is a report of an event somewhere in the cluster. It generally denotes some state change in the system. Events have a limited retention time and triggers and messages may evolve with time.  Event consumers should not rely on the timing of an event with a given Reason reflecting a consistent underlying trigger, or the continued existence of events with that Reason.  Events should be treated as informative, best-effort, supplemental data.",
  {
    action: optStr(
      "action is what action was taken/failed regarding to the regarding object. It is machine-readable. This field cannot be empty for new Events and it can have at most 128 characters.",
    ),
    deprecatedCount: int32(
      "deprecatedCount is the deprecated field assuring backward compatibility with core.v1 Event type.",
    ),
    deprecatedFirstTimestamp: time(
      "deprecatedFirstTimestamp is the deprecated field assuring backward compatibility with core.v1 Event type.",
    ),
    deprecatedLastTimestamp: time(
      "deprecatedLastTimestamp is the deprecated field assuring backward compatibility with core.v1 Event type.",
    ),
    deprecatedSource: {
      ...optStruct(
        `${CORE}EventSource`,
        "deprecatedSource is the deprecated field assuring backward compatibility with core.v1 Event type.",
      ),
      default: {},
    },
    eventTime: microTime("eventTime is the time when this Event was first observed. It is required."),
    note: optStr(
      "note is a human-readable description of the status of this operation. Maximal length of the note is 1kB, but libraries should be prepared to handle values up to 64kB.",
    ),
    reason: optStr(
      "reason is why the action was taken. It is human-readable. This field cannot be empty for new Events and it can have at most 128 characters.",
    ),
    regarding: {
      ...optStruct(
        `${CORE}ObjectReference`,
        "regarding contains the object this Event is about. In most cases it's an Object reporting controller implements, e.g. ReplicaSetController implements ReplicaSets and this event is emitted because it acts on some changes in a ReplicaSet object.",
      ),
      default: {},
    },
    related: optStruct(
      `${CORE}ObjectReference`,
      "related is the optional secondary object for more complex actions. E.g. when regarding object triggers a creation or deletion of related object.",
    ),
    reportingController: optStr(
      "reportingController is the name of the controller that emitted this Event, e.g. `kubernetes.io/kubelet`. This field cannot be empty for new Events.",
    ),
    reportingInstance: optStr(
      "reportingInstance is the ID of the controller instance, e.g. `kubelet-xyzf`. This field cannot be empty for new Events and it can have at most 128 characters.",
    ),
    series: optStruct(
      `${V1}EventSeries`,
      "series is data about the Event series this event represents or nil if it's a singleton Event.",
    ),
    type: optStr(
      "type is the type of this event (Normal, Warning), new types could be added in the future. It is machine-readable. This field cannot be empty for new Events.",
    ),
  },
  { required: ["eventTime"] },
);

const eventSeries = objectType(
  'EventSeries contain information on series of events, i.e. thing that was/is happening continuously for some time. How often to update the EventSeries is up to the event reporters. The default event reporter in "k8s.io/client-go/tools/events/event_broadcaster.go" shows how this struct is updated on heartbeats and can guide customized reporter implementations.',
  {
    count: { ...int32("count is the number of occurrences in this series up to the last heartbeat time."), default: 0 },
    lastObservedTime: microTime(
      "lastObservedTime is the time when last Event from the series was seen before last heartbeat.",
    ),
  },
  { required: ["count", "lastObservedTime"] },
);

export const eventsSchemas: Record<string, Schema> = {
  [`${V1}Event`]: event,
  [`${V1}EventList`]: listType(
    "EventList is a list of Event objects.",
    `${V1}Event`,
    "items is a list of schema objects.",
  ),
  [`${V1}EventSeries`]: eventSeries,
};
