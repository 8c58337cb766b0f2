// core/v1 kinds in scope: ConfigMap, Secret, Namespace, ServiceAccount, Event, LimitRange,
// ResourceQuota, and the reference types they embed.

import {
  arrayOf,
  ATOMIC_MAP,
  bool,
  int32,
  kindType,
  listType,
  mapList,
  mapOf,
  microTime,
  objectType,
  optStr,
  optStruct,
  quantityMap,
  type Schema,
  str,
  stringMap,
  strings,
  struct,
  structItems,
  time,
} from "../../schema-builders.ts";

const V1 = "io.k8s.api.core.v1.";

export const CONFIG_MAP_DATA_DESCRIPTION =
  "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data must not overlap with the keys in the BinaryData field, this is enforced during validation process.";
export const SECRET_DATA_DESCRIPTION =
  "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. The serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4";
export const SECRET_TYPE_DESCRIPTION =
  "Used to facilitate programmatic handling of secret data. More info: https://kubernetes.io/docs/concepts/configuration/secret/#secret-types";
export const SERVICE_ACCOUNT_SECRETS_DESCRIPTION =
  'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use. Pods are only limited to this list if this service account has a "kubernetes.io/enforce-mountable-secrets" annotation set to "true". The "kubernetes.io/enforce-mountable-secrets" annotation is deprecated since v1.32. Prefer separate namespaces to isolate access to mounted secrets. This field should not be used to find auto-generated service account token secrets for use outside of pods. Instead, tokens can be requested directly using the TokenRequest API, or service account token secrets can be manually created. More info: https://kubernetes.io/docs/concepts/configuration/secret';

/** core/v1 Event field descriptions, also used as Table column descriptions. */
export const EVENT_DESCRIPTIONS = {
  count: "The number of times this event has occurred.",
  firstTimestamp: "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)",
  involvedObject: "The object that this event is about.",
  lastTimestamp: "The time at which the most recent occurrence of this event was recorded.",
  message: "A human-readable description of the status of this operation.",
  reason:
    "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
  source: "The component reporting this event. Should be a short machine understandable string.",
  type: "Type of this event (Normal, Warning), new types could be added in the future",
  fieldPath:
    'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2]. For example, if the object reference is to a container within a pod, this would take on a value like: "spec.containers{name}" (where "name" refers to the name of the container that triggered the event) or if no container name is specified "spec.containers[2]" (container with index 2 in this pod). This syntax is chosen only to have some well-defined way of referencing a part of an object.',
};

const configMap = kindType("ConfigMap holds configuration data for pods to consume.", {
  binaryData: mapOf(
    { type: "string", format: "byte" },
    "BinaryData contains the binary data. Each key must consist of alphanumeric characters, '-', '_' or '.'. BinaryData can contain byte sequences that are not in the UTF-8 range. The keys stored in BinaryData must not overlap with the ones in the Data field, this is enforced during validation process. Using this field will require 1.10+ apiserver and kubelet.",
  ),
  data: stringMap(CONFIG_MAP_DATA_DESCRIPTION),
  immutable: bool(
    "Immutable, if set to true, ensures that data stored in the ConfigMap cannot be updated (only object metadata can be modified). If not set to true, the field can be modified at any time. Defaulted to nil.",
  ),
});

const secret = kindType(
  "Secret holds secret data of a certain type. The total bytes of the values in the Data field must be less than MaxSecretSize bytes.",
  {
    data: mapOf({ type: "string", format: "byte" }, SECRET_DATA_DESCRIPTION),
    immutable: bool(
      "Immutable, if set to true, ensures that data stored in the Secret cannot be updated (only object metadata can be modified). If not set to true, the field can be modified at any time. Defaulted to nil.",
    ),
    stringData: stringMap(
      "stringData allows specifying non-binary secret data in string form. It is provided as a write-only input field for convenience. All keys and values are merged into the data field on write, overwriting any existing values. The stringData field is never output when reading from the API.",
    ),
    type: optStr(SECRET_TYPE_DESCRIPTION),
  },
);

const namespace = kindType("Namespace provides a scope for Names. Use of multiple namespaces is optional.", {
  spec: struct(
    `${V1}NamespaceSpec`,
    "Spec defines the behavior of the Namespace. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status",
  ),
  status: struct(
    `${V1}NamespaceStatus`,
    "Status describes the current status of a Namespace. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status",
  ),
});

const namespaceSpec = objectType("NamespaceSpec describes the attributes on a Namespace.", {
  finalizers: strings(
    "Finalizers is an opaque list of values that must be empty to permanently remove object from storage. More info: https://kubernetes.io/docs/tasks/administer-cluster/namespaces/",
  ),
});

const namespaceStatus = objectType("NamespaceStatus is information about the current status of a Namespace.", {
  conditions: arrayOf(
    structItems(`${V1}NamespaceCondition`),
    "Represents the latest available observations of a namespace's current state.",
    mapList(["type"], "type"),
  ),
  phase: optStr(
    'Phase is the current lifecycle phase of the namespace. More info: https://kubernetes.io/docs/tasks/administer-cluster/namespaces/\n\nPossible enum values:\n - `"Active"` means the namespace is available for use in the system\n - `"Terminating"` means the namespace is undergoing graceful termination',
    { enum: ["Active", "Terminating"] },
  ),
});

const namespaceCondition = objectType(
  "NamespaceCondition contains details about state of namespace.",
  {
    lastTransitionTime: time("Last time the condition transitioned from one status to another."),
    message: optStr("Human-readable message indicating details about last transition."),
    reason: optStr("Unique, one-word, CamelCase reason for the condition's last transition."),
    status: str("Status of the condition, one of True, False, Unknown."),
    type: str("Type of namespace controller condition."),
  },
  { required: ["type", "status"] },
);

const localObjectReference = objectType(
  "LocalObjectReference contains enough information to let you locate the referenced object inside the same namespace.",
  {
    name: str(
      "Name of the referent. This field is effectively required, but due to backwards compatibility is allowed to be empty. Instances of this type with an empty value here are almost certainly wrong. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#names",
    ),
  },
  ATOMIC_MAP,
);

const objectReference = objectType(
  "ObjectReference contains enough information to let you inspect or modify the referred object.",
  {
    apiVersion: optStr("API version of the referent."),
    fieldPath: optStr(EVENT_DESCRIPTIONS.fieldPath),
    kind: optStr(
      "Kind of the referent. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds",
    ),
    name: optStr(
      "Name of the referent. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#names",
    ),
    namespace: optStr(
      "Namespace of the referent. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/",
    ),
    resourceVersion: optStr(
      "Specific resourceVersion to which this reference is made, if any. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#concurrency-control-and-consistency",
    ),
    uid: optStr(
      "UID of the referent. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#uids",
    ),
  },
  ATOMIC_MAP,
);

const serviceAccount = kindType(
  "ServiceAccount binds together: * a name, understood by users, and perhaps by peripheral systems, for an identity * a principal that can be authenticated and authorized * a set of secrets",
  {
    automountServiceAccountToken: bool(
      "AutomountServiceAccountToken indicates whether pods running as this service account should have an API token automatically mounted. Can be overridden at the pod level.",
    ),
    imagePullSecrets: arrayOf(
      structItems(`${V1}LocalObjectReference`),
      "ImagePullSecrets is a list of references to secrets in the same namespace to use for pulling any images in pods that reference this ServiceAccount. ImagePullSecrets are distinct from Secrets because Secrets can be mounted in the pod, but ImagePullSecrets are only accessed by the kubelet. More info: https://kubernetes.io/docs/concepts/containers/images/#specifying-imagepullsecrets-on-a-pod",
      { "x-kubernetes-list-type": "atomic" },
    ),
    secrets: arrayOf(
      structItems(`${V1}ObjectReference`),
      SERVICE_ACCOUNT_SECRETS_DESCRIPTION,
      mapList(["name"], "name"),
    ),
  },
);

const event = kindType(
  "Event is a report of an event somewhere in the cluster.  Events have a limited retention time and triggers and messages may evolve with time.  Event consumers should not rely on the timing of an event with a given Reason reflecting a consistent underlying trigger, or the continued existence of events with that Reason.  Events should be treated as informative, best-effort, supplemental data.",
  {
    action: optStr("What action was taken/failed regarding to the Regarding object."),
    count: int32(EVENT_DESCRIPTIONS.count),
    eventTime: microTime("Time when this Event was first observed."),
    firstTimestamp: time(EVENT_DESCRIPTIONS.firstTimestamp),
    involvedObject: struct(`${V1}ObjectReference`, EVENT_DESCRIPTIONS.involvedObject),
    lastTimestamp: time(EVENT_DESCRIPTIONS.lastTimestamp),
    message: optStr(EVENT_DESCRIPTIONS.message),
    reason: optStr(EVENT_DESCRIPTIONS.reason),
    related: optStruct(`${V1}ObjectReference`, "Optional secondary object for more complex actions."),
    reportingComponent: str("Name of the controller that emitted this Event, e.g. `kubernetes.io/kubelet`."),
    reportingInstance: str("ID of the controller instance, e.g. `kubelet-xyzf`."),
    series: optStruct(
      `${V1}EventSeries`,
      "Data about the Event series this event represents or nil if it's a singleton Event.",
    ),
    source: struct(`${V1}EventSource`, EVENT_DESCRIPTIONS.source),
    type: optStr(EVENT_DESCRIPTIONS.type),
  },
  { required: ["metadata", "involvedObject"] },
);

const eventSeries = objectType(
  "EventSeries contain information on series of events, i.e. thing that was/is happening continuously for some time.",
  {
    count: int32("Number of occurrences in this series up to the last heartbeat time"),
    lastObservedTime: microTime("Time of the last occurrence observed"),
  },
);

const eventSource = objectType("EventSource contains information for an event.", {
  component: optStr("Component from which the event is generated."),
  host: optStr("Node name on which the event is generated."),
});

const limitRange = kindType("LimitRange sets resource usage limits for each kind of resource in a Namespace.", {
  spec: struct(
    `${V1}LimitRangeSpec`,
    "Spec defines the limits enforced. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status",
  ),
});

const limitRangeSpec = objectType(
  "LimitRangeSpec defines a min/max usage limit for resources that match on kind.",
  {
    limits: arrayOf(
      structItems(`${V1}LimitRangeItem`),
      "Limits is the list of LimitRangeItem objects that are enforced.",
      { "x-kubernetes-list-type": "atomic" },
    ),
  },
  { required: ["limits"] },
);

const limitRangeItem = objectType(
  "LimitRangeItem defines a min/max usage limit for any resource that matches on kind.",
  {
    default: quantityMap("Default resource requirement limit value by resource name if resource limit is omitted."),
    defaultRequest: quantityMap(
      "DefaultRequest is the default resource requirement request value by resource name if resource request is omitted.",
    ),
    max: quantityMap("Max usage constraints on this kind by resource name."),
    maxLimitRequestRatio: quantityMap(
      "MaxLimitRequestRatio if specified, the named resource must have a request and limit that are both non-zero where limit divided by request is less than or equal to the enumerated value; this represents the max burst for the named resource.",
    ),
    min: quantityMap("Min usage constraints on this kind by resource name."),
    type: str("Type of resource that this limit applies to."),
  },
  { required: ["type"] },
);

const resourceQuota = kindType("ResourceQuota sets aggregate quota restrictions enforced per namespace", {
  spec: struct(
    `${V1}ResourceQuotaSpec`,
    "Spec defines the desired quota. https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status",
  ),
  status: struct(
    `${V1}ResourceQuotaStatus`,
    "Status defines the actual enforced quota and its current usage. https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status",
  ),
});

const resourceQuotaSpec = objectType("ResourceQuotaSpec defines the desired hard limits to enforce for Quota.", {
  hard: quantityMap(
    "hard is the set of desired hard limits for each named resource. More info: https://kubernetes.io/docs/concepts/policy/resource-quotas/",
  ),
  scopeSelector: optStruct(
    `${V1}ScopeSelector`,
    "scopeSelector is also a collection of filters like scopes that must match each object tracked by a quota but expressed using ScopeSelectorOperator in combination with possible values. For a resource to match, both scopes AND scopeSelector (if specified in spec), must be matched.",
  ),
  scopes: strings(
    "A collection of filters that must match each object tracked by a quota. If not specified, the quota matches all objects.",
  ),
});

const resourceQuotaStatus = objectType("ResourceQuotaStatus defines the enforced hard limits and observed use.", {
  hard: quantityMap(
    "Hard is the set of enforced hard limits for each named resource. More info: https://kubernetes.io/docs/concepts/policy/resource-quotas/",
  ),
  used: quantityMap("Used is the current observed total usage of the resource in the namespace."),
});

const scopeSelector = objectType(
  "A scope selector represents the AND of the selectors represented by the scoped-resource selector requirements.",
  {
    matchExpressions: arrayOf(
      structItems(`${V1}ScopedResourceSelectorRequirement`),
      "A list of scope selector requirements by scope of the resources.",
      {
        "x-kubernetes-list-type": "atomic",
      },
    ),
  },
  ATOMIC_MAP,
);

const scopedResourceSelectorRequirement = objectType(
  "A scoped-resource selector requirement is a selector that contains values, a scope name, and an operator that relates the scope name and values.",
  {
    operator: str(
      "Represents a scope's relationship to a set of values. Valid operators are In, NotIn, Exists, DoesNotExist.",
    ),
    scopeName: str("The name of the scope that the selector applies to."),
    values: strings(
      "An array of string values. If the operator is In or NotIn, the values array must be non-empty. If the operator is Exists or DoesNotExist, the values array must be empty. This array is replaced during a strategic merge patch.",
    ),
  },
  { required: ["scopeName", "operator"] },
);

export const coreSchemas: Record<string, Schema> = {
  [`${V1}ConfigMap`]: configMap,
  [`${V1}ConfigMapList`]: listType(
    "ConfigMapList is a resource containing a list of ConfigMap objects.",
    `${V1}ConfigMap`,
    "Items is the list of ConfigMaps.",
  ),
  [`${V1}Event`]: event,
  [`${V1}EventList`]: listType("EventList is a list of events.", `${V1}Event`, "List of events"),
  [`${V1}EventSeries`]: eventSeries,
  [`${V1}EventSource`]: eventSource,
  [`${V1}LimitRange`]: limitRange,
  [`${V1}LimitRangeItem`]: limitRangeItem,
  [`${V1}LimitRangeList`]: listType(
    "LimitRangeList is a list of LimitRange items.",
    `${V1}LimitRange`,
    "Items is a list of LimitRange objects. More info: https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/",
  ),
  [`${V1}LimitRangeSpec`]: limitRangeSpec,
  [`${V1}LocalObjectReference`]: localObjectReference,
  [`${V1}Namespace`]: namespace,
  [`${V1}NamespaceCondition`]: namespaceCondition,
  [`${V1}NamespaceList`]: listType(
    "NamespaceList is a list of Namespaces.",
    `${V1}Namespace`,
    "Items is the list of Namespace objects in the list. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/",
  ),
  [`${V1}NamespaceSpec`]: namespaceSpec,
  [`${V1}NamespaceStatus`]: namespaceStatus,
  [`${V1}ObjectReference`]: objectReference,
  [`${V1}ResourceQuota`]: resourceQuota,
  [`${V1}ResourceQuotaList`]: listType(
    "ResourceQuotaList is a list of ResourceQuota items.",
    `${V1}ResourceQuota`,
    "Items is a list of ResourceQuota objects. More info: https://kubernetes.io/docs/concepts/policy/resource-quotas/",
  ),
  [`${V1}ResourceQuotaSpec`]: resourceQuotaSpec,
  [`${V1}ResourceQuotaStatus`]: resourceQuotaStatus,
  [`${V1}ScopeSelector`]: scopeSelector,
  [`${V1}ScopedResourceSelectorRequirement`]: scopedResourceSelectorRequirement,
  [`${V1}Secret`]: secret,
  [`${V1}SecretList`]: listType(
    "SecretList is a list of Secret.",
    `${V1}Secret`,
    "Items is a list of secret objects. More info: https://kubernetes.io/docs/concepts/configuration/secret",
  ),
  [`${V1}ServiceAccount`]: serviceAccount,
  [`${V1}ServiceAccountList`]: listType(
    "ServiceAccountList is a list of ServiceAccount objects",
    `${V1}ServiceAccount`,
    "List of ServiceAccounts. More info: https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/",
  ),
};
