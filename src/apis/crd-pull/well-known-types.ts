// Kubernetes types whose OpenAPI model does not say what their JSON is (custom marshalling in Go),
// replaced by the schema a CRD needs for them, as CRD generators write them. The prototype's table
// (from controller-tools) with three changes: Time is nullable (Go writes the zero Time as null,
// e.g. a pod condition's `lastProbeTime: null`), opaque objects preserve their fields instead of
// being pruned empty, and apiextensions' JSON is any JSON value, not only an object.

type Json = Record<string, unknown>;

/** resource.Quantity's grammar (k8s.io/apimachinery), as kube's CRD generators publish it. */
export const QUANTITY_PATTERN =
  "^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$";

/** A number or a string: IntOrString, and any model with `format: int-or-string`. */
export function intOrStringSchema(): Json {
  return { anyOf: [{ type: "integer" }, { type: "string" }], "x-kubernetes-int-or-string": true };
}

const META = "io.k8s.apimachinery.pkg.apis.meta.v1.";
const APIEXT = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.";

const opaqueObject = (): Json => ({ type: "object", "x-kubernetes-preserve-unknown-fields": true });
const anyJSON = (): Json => ({ "x-kubernetes-preserve-unknown-fields": true });
const time = (): Json => ({ type: "string", format: "date-time", nullable: true });

const TABLE: Record<string, () => Json> = {
  // A nested ObjectMeta (a pod template's metadata): kept whole rather than pruned; the cluster
  // that runs the object validates it. (The root `metadata` is the API server's own: {type: object}.)
  [`${META}ObjectMeta`]: opaqueObject,
  [`${META}Time`]: time,
  [`${META}MicroTime`]: time,
  [`${META}Duration`]: () => ({ type: "string" }),
  // managedFields' field sets: a tree of keys only the field manager reads.
  [`${META}Fields`]: opaqueObject,
  [`${META}FieldsV1`]: opaqueObject,
  "io.k8s.apimachinery.pkg.api.resource.Quantity": () => ({ ...intOrStringSchema(), pattern: QUANTITY_PATTERN }),
  "io.k8s.apimachinery.pkg.util.intstr.IntOrString": intOrStringSchema,
  // Any JSON object (its v2 model claims a `Raw` byte field, which is Go's side of it).
  "io.k8s.apimachinery.pkg.runtime.RawExtension": opaqueObject,
  "io.k8s.apimachinery.pkg.runtime.Unknown": opaqueObject,
  [`${META}unstructured.Unstructured`]: opaqueObject,
  [`${APIEXT}v1.JSON`]: anyJSON,
  [`${APIEXT}v1beta1.JSON`]: anyJSON,
  [`${APIEXT}v1.JSONSchemaPropsOrArray`]: anyJSON,
  [`${APIEXT}v1beta1.JSONSchemaPropsOrArray`]: anyJSON,
  [`${APIEXT}v1.JSONSchemaPropsOrBool`]: anyJSON,
  [`${APIEXT}v1beta1.JSONSchemaPropsOrBool`]: anyJSON,
  [`${APIEXT}v1.JSONSchemaPropsOrStringArray`]: anyJSON,
  [`${APIEXT}v1beta1.JSONSchemaPropsOrStringArray`]: anyJSON,
};

/** The fixed schema for a well-known definition name (a fresh copy), or undefined. */
export function wellKnownSchema(name: string): Json | undefined {
  return Object.hasOwn(TABLE, name) ? (TABLE[name] as () => Json)() : undefined;
}

/**
 * Defaults kube applies to list-map keys that its older OpenAPI documents do not publish (v3 and
 * newer v2 documents say `default: "TCP"` themselves). A map key must be required or defaulted; a
 * port without a protocol is TCP, so the default is right where `required` would refuse manifests.
 * Keyed by the item model's name without its package, then the field.
 */
const LIST_MAP_KEY_DEFAULTS: Record<string, Record<string, unknown>> = {
  ContainerPort: { protocol: "TCP" },
  ServicePort: { protocol: "TCP" },
  EndpointPort: { protocol: "TCP" },
};

/**
 * Lists whose strategic-merge key is narrower than their items' identity: ports are told apart by
 * number and protocol (a DNS server's 53/TCP and 53/UDP), as kube's later documents say with
 * `x-kubernetes-list-map-keys`. Older documents name only the number; these keys replace it.
 */
const LIST_MAP_KEYS: Record<string, string[]> = {
  ContainerPort: ["containerPort", "protocol"],
  ServicePort: ["port", "protocol"],
};

/** kube's list-map keys for lists of `itemModel` merged by `mergeKey`, where wider than the merge key. */
export function knownListMapKeys(itemModel: string | undefined, mergeKey: string): string[] | undefined {
  if (!itemModel?.startsWith("io.k8s.api.")) return undefined;
  const short = itemModel.slice(itemModel.lastIndexOf(".") + 1);
  const keys = Object.hasOwn(LIST_MAP_KEYS, short) ? LIST_MAP_KEYS[short] : undefined;
  return keys && keys[0] === mergeKey ? [...keys] : undefined;
}

export function listMapKeyDefault(itemModel: string | undefined, field: string): unknown {
  if (!itemModel?.startsWith("io.k8s.api.")) return undefined;
  const short = itemModel.slice(itemModel.lastIndexOf(".") + 1);
  const defaults = Object.hasOwn(LIST_MAP_KEY_DEFAULTS, short) ? LIST_MAP_KEY_DEFAULTS[short] : undefined;
  return defaults && Object.hasOwn(defaults, field) ? defaults[field] : undefined;
}
