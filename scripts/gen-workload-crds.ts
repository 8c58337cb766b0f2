// `bun scripts/gen-workload-crds.ts`: builds the ready-made CRDs for common Kubernetes kinds (the
// workload kinds, ingresses, PDBs, HPAs, priority classes) into src/apis/workload-crds/workload-crds.json
// from Kubernetes' published OpenAPI, as the generated models of @kubernetes/client-node 1.4.0 carry
// it (the Kubernetes v1.34.0 spec): field names, types and formats (attributeTypeMap in
// dist/gen/models/*.js), required-ness and descriptions
// (the *.d.ts). The generated models drop a few facts that CRDs need, so they are listed below from
// the v1.34 OpenAPI documents (api/openapi-spec/v3 in kubernetes/kubernetes): list types and
// list-map keys (server-side apply merges lists by them), int-or-string and Quantity fields, and the
// defaults that list-map keys need. Run it again after changing a table; the output is committed.
//
// Descriptions: a field whose type is another model has no description in the generated models, so
// it gets the model's own description, as the kcp prototype's CRD puller did. Descriptions are
// trimmed to their first paragraph and to at most DESCRIPTION_LIMIT characters, so that every CRD
// stays far below the 256 KiB that `kubectl apply` (client-side) may put in its last-applied
// annotation.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const MODELS = join(import.meta.dir, "../node_modules/@kubernetes/client-node/dist/gen/models");
const OUT = join(import.meta.dir, "../src/apis/workload-crds/workload-crds.json");
export const KUBERNETES_VERSION = "v1.34.0";
const DESCRIPTION_LIMIT = 200;

type Schema = Record<string, unknown>;

// ---- facts the generated models do not carry (Kubernetes v1.34 OpenAPI) ----

/** Lists that are maps (server-side apply merges their items by these keys). */
const LIST_MAPS: Record<string, string[]> = {
  "V1PodSpec.containers": ["name"],
  "V1PodSpec.initContainers": ["name"],
  "V1PodSpec.ephemeralContainers": ["name"],
  "V1PodSpec.volumes": ["name"],
  "V1PodSpec.imagePullSecrets": ["name"],
  "V1PodSpec.hostAliases": ["ip"],
  "V1PodSpec.topologySpreadConstraints": ["topologyKey", "whenUnsatisfiable"],
  "V1PodSpec.schedulingGates": ["name"],
  "V1PodSpec.resourceClaims": ["name"],
  "V1Container.ports": ["containerPort", "protocol"],
  "V1Container.env": ["name"],
  "V1Container.volumeMounts": ["mountPath"],
  "V1Container.volumeDevices": ["devicePath"],
  "V1EphemeralContainer.ports": ["containerPort", "protocol"],
  "V1EphemeralContainer.env": ["name"],
  "V1EphemeralContainer.volumeMounts": ["mountPath"],
  "V1EphemeralContainer.volumeDevices": ["devicePath"],
  "V1ResourceRequirements.claims": ["name"],
  "V1ServiceSpec.ports": ["port", "protocol"],
  "V1ServiceStatus.conditions": ["type"],
  "V1PodStatus.conditions": ["type"],
  "V1PodStatus.podIPs": ["ip"],
  "V1PodStatus.hostIPs": ["ip"],
  "V1PodStatus.resourceClaimStatuses": ["name"],
  "V1ContainerStatus.volumeMounts": ["mountPath"],
  "V1ContainerStatus.allocatedResourcesStatus": ["name"],
  "V1ResourceStatus.resources": ["resourceID"],
  "V1DeploymentStatus.conditions": ["type"],
  "V1ReplicaSetStatus.conditions": ["type"],
  "V1StatefulSetStatus.conditions": ["type"],
  "V1DaemonSetStatus.conditions": ["type"],
  "V1PersistentVolumeClaimStatus.conditions": ["type"],
  "V1PodDisruptionBudgetStatus.conditions": ["type"],
  "V2HorizontalPodAutoscalerStatus.conditions": ["type"],
};

/** Lists that are sets. */
const LIST_SETS = new Set([
  "V1UncountedTerminatedPods.failed",
  "V1UncountedTerminatedPods.succeeded",
  "V1PodFailurePolicyOnExitCodesRequirement.values",
  "V1ContainerRestartRuleOnExitCodes.values",
]);

/** resource.Quantity fields (the models have them as strings): a number or a quantity string. */
const QUANTITIES = new Set([
  "V1ResourceRequirements.limits",
  "V1ResourceRequirements.requests",
  "V1VolumeResourceRequirements.limits",
  "V1VolumeResourceRequirements.requests",
  "V1PodSpec.overhead",
  "V1ContainerStatus.allocatedResources",
  "V1PersistentVolumeClaimStatus.capacity",
  "V1PersistentVolumeClaimStatus.allocatedResources",
  "V1EmptyDirVolumeSource.sizeLimit",
  "V1ResourceFieldSelector.divisor",
  "V2MetricTarget.value",
  "V2MetricTarget.averageValue",
  "V2MetricValueStatus.value",
  "V2MetricValueStatus.averageValue",
]);

/**
 * Defaults: those of the published OpenAPI that CRDs need (a list-map key must be required or
 * defaulted), and the Service type kube's Go defaulting sets (the TYPE column shows it).
 */
const DEFAULTS: Record<string, unknown> = {
  "V1ServiceSpec.type": "ClusterIP",
  "V1ContainerPort.protocol": "TCP",
  "V1ServicePort.protocol": "TCP",
  "V1LocalObjectReference.name": "",
};

/** Descriptions neither client-node nor python3-kubernetes has for a field (from the v1.34 OpenAPI). */
const DESCRIPTIONS: Record<string, string> = {
  "V1RollingUpdateStatefulSetStrategy.maxUnavailable":
    "The maximum number of pods that can be unavailable during the update.",
};

/** The Quantity grammar (k8s.io/apimachinery resource.Quantity), as CRD generators publish it. */
const QUANTITY_PATTERN =
  "^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$";

// ---- the kinds ----

interface Column {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  priority?: number;
  format?: string;
}

interface KindSpec {
  group: string;
  /** The served (and storage) version; v1 unless said. */
  version?: string;
  kind: string;
  plural: string;
  shortNames: string[];
  model: string;
  /** Cluster-scoped (PriorityClass); namespaced unless said. */
  cluster?: boolean;
  /** Kinds without status (PriorityClass) get no status subresource. */
  noStatus?: boolean;
  /** In kubectl's `all` category, as the native kind is. */
  all?: boolean;
  scale?: boolean;
  columns: Column[];
}

const AGE: Column = { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" };
const containers = (at: string): Column[] => [
  { name: "Containers", type: "string", jsonPath: `${at}.containers[*].name`, priority: 1 },
  { name: "Images", type: "string", jsonPath: `${at}.containers[*].image`, priority: 1 },
];

// Columns follow what kubectl prints for the native kinds, where a JSONPath can say it (kubectl's
// "2/3" READY and computed STATUS cannot be: the ready count and the phase stand in for them).
// The apps workloads declare none: kcp prints them with kube's own columns, READY "2/3" included
// (src/apis/crd/kube-kind-printers.ts), as it does any CRD of those kinds without columns.
const KUBE_PRINTED: Column[] = [];
const KINDS: KindSpec[] = [
  {
    group: "apps",
    kind: "Deployment",
    all: true,
    plural: "deployments",
    shortNames: ["deploy"],
    model: "V1Deployment",
    scale: true,
    columns: KUBE_PRINTED,
  },
  {
    group: "apps",
    kind: "ReplicaSet",
    all: true,
    plural: "replicasets",
    shortNames: ["rs"],
    model: "V1ReplicaSet",
    scale: true,
    columns: KUBE_PRINTED,
  },
  {
    group: "apps",
    kind: "StatefulSet",
    all: true,
    plural: "statefulsets",
    shortNames: ["sts"],
    model: "V1StatefulSet",
    scale: true,
    columns: KUBE_PRINTED,
  },
  {
    group: "apps",
    kind: "DaemonSet",
    all: true,
    plural: "daemonsets",
    shortNames: ["ds"],
    model: "V1DaemonSet",
    columns: KUBE_PRINTED,
  },
  {
    group: "batch",
    kind: "Job",
    all: true,
    plural: "jobs",
    shortNames: [],
    model: "V1Job",
    columns: [
      { name: "Completions", type: "integer", jsonPath: ".spec.completions", description: "Desired completions" },
      { name: "Succeeded", type: "integer", jsonPath: ".status.succeeded" },
      AGE,
      ...containers(".spec.template.spec"),
    ],
  },
  {
    group: "batch",
    kind: "CronJob",
    all: true,
    plural: "cronjobs",
    shortNames: ["cj"],
    model: "V1CronJob",
    columns: [
      { name: "Schedule", type: "string", jsonPath: ".spec.schedule" },
      { name: "Timezone", type: "string", jsonPath: ".spec.timeZone" },
      { name: "Suspend", type: "boolean", jsonPath: ".spec.suspend" },
      { name: "Last Schedule", type: "date", jsonPath: ".status.lastScheduleTime" },
      AGE,
      ...containers(".spec.jobTemplate.spec.template.spec"),
    ],
  },
  {
    group: "",
    kind: "Pod",
    all: true,
    plural: "pods",
    shortNames: ["po"],
    model: "V1Pod",
    columns: [
      { name: "Status", type: "string", jsonPath: ".status.phase" },
      { name: "Restarts", type: "integer", jsonPath: ".status.containerStatuses[0].restartCount" },
      AGE,
      { name: "IP", type: "string", jsonPath: ".status.podIP", priority: 1 },
      { name: "Node", type: "string", jsonPath: ".spec.nodeName", priority: 1 },
    ],
  },
  {
    group: "",
    kind: "Service",
    all: true,
    plural: "services",
    shortNames: ["svc"],
    model: "V1Service",
    columns: [
      { name: "Type", type: "string", jsonPath: ".spec.type" },
      { name: "Cluster-IP", type: "string", jsonPath: ".spec.clusterIP" },
      { name: "External-IP", type: "string", jsonPath: ".spec.externalIPs[*]" },
      { name: "Port(s)", type: "string", jsonPath: ".spec.ports[*].port" },
      AGE,
      { name: "Selector", type: "string", jsonPath: ".spec.selector", priority: 1 },
    ],
  },
  {
    group: "networking.k8s.io",
    kind: "Ingress",
    plural: "ingresses",
    shortNames: ["ing"],
    model: "V1Ingress",
    columns: [
      { name: "Class", type: "string", jsonPath: ".spec.ingressClassName" },
      { name: "Hosts", type: "string", jsonPath: ".spec.rules[*].host" },
      { name: "Address", type: "string", jsonPath: ".status.loadBalancer.ingress[*].ip" },
      AGE,
    ],
  },
  {
    group: "policy",
    kind: "PodDisruptionBudget",
    plural: "poddisruptionbudgets",
    shortNames: ["pdb"],
    model: "V1PodDisruptionBudget",
    columns: [
      { name: "Min Available", type: "string", jsonPath: ".spec.minAvailable" },
      { name: "Max Unavailable", type: "string", jsonPath: ".spec.maxUnavailable" },
      { name: "Allowed Disruptions", type: "integer", jsonPath: ".status.disruptionsAllowed" },
      AGE,
    ],
  },
  {
    group: "autoscaling",
    version: "v2",
    kind: "HorizontalPodAutoscaler",
    all: true,
    plural: "horizontalpodautoscalers",
    shortNames: ["hpa"],
    model: "V2HorizontalPodAutoscaler",
    columns: [
      { name: "Reference", type: "string", jsonPath: ".spec.scaleTargetRef.name" },
      { name: "MinPods", type: "integer", jsonPath: ".spec.minReplicas" },
      { name: "MaxPods", type: "integer", jsonPath: ".spec.maxReplicas" },
      { name: "Replicas", type: "integer", jsonPath: ".status.currentReplicas" },
      AGE,
    ],
  },
  {
    group: "scheduling.k8s.io",
    kind: "PriorityClass",
    plural: "priorityclasses",
    shortNames: ["pc"],
    model: "V1PriorityClass",
    cluster: true,
    noStatus: true,
    columns: [
      { name: "Value", type: "integer", jsonPath: ".value" },
      { name: "Global-Default", type: "boolean", jsonPath: ".globalDefault" },
      AGE,
      { name: "Preemption Policy", type: "string", jsonPath: ".preemptionPolicy", priority: 1 },
    ],
  },
];

// ---- reading the generated models ----

interface Attribute {
  name: string;
  baseName: string;
  type: string;
  format: string;
}

interface Model {
  description?: string;
  attributes: Attribute[];
  required: Set<string>;
  descriptions: Map<string, string>;
}

const models = new Map<string, Model>();

/** The class and property comments and required-ness, from the model's .d.ts. */
function readDeclarations(name: string): Pick<Model, "description" | "required" | "descriptions"> {
  const text = readFileSync(join(MODELS, `${name}.d.ts`), "utf8");
  const comment = (raw: string) =>
    raw
      .split("\n")
      .map((l) => l.replace(/^\s*\*\s?/, "").trimEnd())
      .filter((l, i, all) => !(l === "" && (i === 0 || i === all.length - 1)))
      .join("\n")
      .trim();
  const cls = text.match(/\/\*\*\n((?:\s*\*.*\n)*?)\s*\*\/\nexport declare class/);
  const descriptions = new Map<string, string>();
  const required = new Set<string>();
  for (const m of text.matchAll(/(?:\/\*\*\n((?:\s*\*.*\n)*?)\s*\*\/\n)?\s*'([A-Za-z0-9_$]+)'(\??):/g)) {
    const [, doc, prop, optional] = m;
    if (!prop) continue;
    if (doc) descriptions.set(prop, comment(doc));
    if (optional !== "?") required.add(prop);
  }
  return { description: cls?.[1] ? comment(cls[1]) : undefined, required, descriptions };
}

async function model(name: string): Promise<Model> {
  const cached = models.get(name);
  if (cached) return cached;
  const mod = (await import(join(MODELS, `${name}.js`))) as Record<string, { attributeTypeMap: Attribute[] }>;
  const cls = mod[name];
  if (!cls) throw new Error(`model ${name} not found`);
  const m: Model = { attributes: cls.attributeTypeMap, ...readDeclarations(name) };
  models.set(name, m);
  return m;
}

const PYTHON_MODELS = "/usr/lib/python3/dist-packages/kubernetes/client/models";
const snake = (s: string) =>
  s
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z])([A-Z][a-z])/g, "$1_$2")
    .toLowerCase();

/**
 * client-node gives IntOrString fields the IntOrString type's description instead of their own;
 * python3-kubernetes (an older spec) still has the field's, in its setter's docstring.
 */
function intOrStringDescription(model: string, field: string): string | undefined {
  try {
    const text = readFileSync(join(PYTHON_MODELS, `${snake(model)}.py`), "utf8");
    const m = text.match(
      new RegExp(`def ${snake(field)}\\(self, ${snake(field)}\\):\\n\\s*"""[^\\n]*\\n\\n\\s*(.+?)  # noqa`),
    );
    return m?.[1];
  } catch {
    return undefined;
  }
}

function trimDescription(d: string | undefined): string | undefined {
  if (!d) return undefined;
  let s =
    d
      .split(/\n\s*\n/)[0]
      ?.replace(/\s+/g, " ")
      .trim() ?? "";
  // The first sentence: where it ends is a period followed by a space and a capital letter.
  const end = s.search(/\.\s+(?=[A-Z])/);
  if (end > 0) s = s.slice(0, end + 1);
  if (s.length > DESCRIPTION_LIMIT) s = `${s.slice(0, s.lastIndexOf(" ", DESCRIPTION_LIMIT))} …`;
  return s || undefined;
}

// ---- building schemas ----

/**
 * Models written once in the output and referenced (`{"$ref": "V1PodSpec"}`) from each CRD, which
 * src/apis/workload-crds/ expands when it loads them: seven kinds embed a PodSpec.
 */
const SHARED = new Set(["V1PodSpec", "V1PodStatus"]);
const definitions = new Map<string, Schema>();

/** Metadata of embedded objects (pod templates, volume claim templates): what a user may set. */
function embeddedMetadata(): Schema {
  const strMap = { type: "object", additionalProperties: { type: "string" } };
  return {
    type: "object",
    description: "Standard object's metadata (the fields a template may set).",
    properties: {
      name: { type: "string" },
      generateName: { type: "string" },
      namespace: { type: "string" },
      // kubectl's generators send `creationTimestamp: null` in templates.
      creationTimestamp: { type: "string", format: "date-time", nullable: true },
      labels: { ...strMap, description: "Map of string keys and values to organize and categorize objects." },
      annotations: { ...strMap, description: "Unstructured key value map set by external tools." },
      finalizers: { type: "array", items: { type: "string" }, "x-kubernetes-list-type": "set" },
    },
  };
}

function quantity(description?: string): Schema {
  return {
    ...(description ? { description } : {}),
    anyOf: [{ type: "integer" }, { type: "string" }],
    pattern: QUANTITY_PATTERN,
    "x-kubernetes-int-or-string": true,
  };
}

function scalar(type: string, format: string): Schema | undefined {
  switch (type) {
    case "string":
      return format ? { type: "string", format } : { type: "string" };
    case "boolean":
      return { type: "boolean" };
    case "number":
      return format === "int32" || format === "int64" ? { type: "integer", format } : { type: "number", format };
    case "Date":
      return { type: "string", format: "date-time" };
    case "IntOrString":
      return { anyOf: [{ type: "integer" }, { type: "string" }], "x-kubernetes-int-or-string": true };
    case "any":
      return { type: "object", "x-kubernetes-preserve-unknown-fields": true };
    default:
      return undefined;
  }
}

/** The schema of a value of client-node type `type` (field `at` of a model, for the fact tables). */
async function typeSchema(type: string, format: string, at: string, stack: string[]): Promise<Schema> {
  if (QUANTITIES.has(at)) {
    if (type === "string") return quantity();
    if (type.startsWith("{")) return { type: "object", additionalProperties: quantity() };
  }
  const s = scalar(type, format);
  if (s) return s;
  const map = type.match(/^\{ \[key: string\]: (.+); \}$/);
  if (map?.[1]) return { type: "object", additionalProperties: await typeSchema(map[1], "", `${at}{}`, stack) };
  const array = type.match(/^Array<(.+)>$/);
  if (array?.[1]) {
    const out: Schema = { type: "array", items: await typeSchema(array[1], format, `${at}[]`, stack) };
    const keys = LIST_MAPS[at];
    if (keys) {
      out["x-kubernetes-list-type"] = "map";
      out["x-kubernetes-list-map-keys"] = keys;
    } else if (LIST_SETS.has(at)) out["x-kubernetes-list-type"] = "set";
    return out;
  }
  if (type === "V1ObjectMeta") return embeddedMetadata();
  if (SHARED.has(type)) {
    if (!definitions.has(type)) {
      definitions.set(type, {});
      definitions.set(type, await objectSchema(type, stack));
    }
    const d = definitions.get(type)?.description;
    return { ...(typeof d === "string" ? { description: d } : {}), $ref: type };
  }
  if (/^(V1|V2|CoreV1)[A-Za-z0-9]+$/.test(type)) return objectSchema(type, stack);
  throw new Error(`${at}: unknown type ${type}`);
}

async function objectSchema(name: string, stack: string[]): Promise<Schema> {
  if (stack.includes(name)) throw new Error(`recursive model ${[...stack, name].join(" → ")}`);
  const m = await model(name);
  const properties: Record<string, Schema> = {};
  for (const a of m.attributes) {
    const at = `${name}.${a.baseName}`;
    const s = await typeSchema(a.type, a.format, at, [...stack, name]);
    let doc = m.descriptions.get(a.name);
    if (a.type === "IntOrString" && doc?.startsWith("IntOrString is a type"))
      doc = intOrStringDescription(name, a.baseName) ?? DESCRIPTIONS[`${name}.${a.baseName}`] ?? doc;
    const own = trimDescription(doc);
    const inherited = typeof s.description === "string" ? s.description : undefined;
    const { description: _d, ...rest } = s;
    const description = own ?? inherited;
    const d = DEFAULTS[at];
    properties[a.baseName] = {
      ...(description ? { description } : {}),
      ...rest,
      ...(d !== undefined ? { default: d } : {}),
    };
  }
  // List-map keys must be required or defaulted (CRD validation checks it).
  const required = m.attributes
    .filter((a) => m.required.has(a.name))
    .map((a) => a.baseName)
    .sort();
  const out: Schema = { type: "object" };
  const desc = trimDescription(m.description);
  if (desc) out.description = desc;
  out.properties = properties;
  if (required.length) out.required = required;
  return out;
}

function checkListMapKeys(s: Schema, path: string): void {
  if (typeof s.$ref === "string") {
    checkListMapKeys(definitions.get(s.$ref) ?? {}, path);
    return;
  }
  const keys = s["x-kubernetes-list-map-keys"] as string[] | undefined;
  const items = s.items as Schema | undefined;
  if (keys && items) {
    const props = (items.properties ?? {}) as Record<string, Schema>;
    const req = new Set((items.required as string[] | undefined) ?? []);
    for (const k of keys)
      if (!props[k] || (!req.has(k) && props[k].default === undefined))
        throw new Error(`${path}: list-map key ${k} is neither required nor defaulted`);
  }
  for (const [k, v] of Object.entries(s)) {
    if (k === "properties")
      for (const [p, c] of Object.entries(v as Record<string, Schema>)) checkListMapKeys(c, `${path}.${p}`);
    else if (k === "items" || k === "additionalProperties") checkListMapKeys(v as Schema, `${path}[]`);
  }
}

/** Where the Kubernetes API types of a kind's group live, for the API-approval annotation. */
function apiTypesURL(k: KindSpec): string {
  const dir = k.group.replace(/\.k8s\.io$/, "");
  return `https://github.com/kubernetes/api/tree/kubernetes-${KUBERNETES_VERSION.slice(1)}/${dir}/${k.version ?? "v1"}`;
}

async function crd(k: KindSpec): Promise<Schema> {
  const root = await objectSchema(k.model, []);
  const props = root.properties as Record<string, Schema>;
  // apiVersion, kind and metadata come from the server (CRD schemas may not describe metadata).
  delete props.apiVersion;
  delete props.kind;
  delete props.metadata;
  if (k.scale) {
    // kube defaults replicas to 1; the default keeps the scale subresource and columns meaningful.
    const spec = props.spec as Schema;
    (spec.properties as Record<string, Schema>).replicas = {
      ...(spec.properties as Record<string, Schema>).replicas,
      default: 1,
    };
  }
  checkListMapKeys(root, k.kind);
  const groupName = k.group || "core";
  const names: Schema = {
    plural: k.plural,
    singular: k.kind.toLowerCase(),
    kind: k.kind,
    listKind: `${k.kind}List`,
    ...(k.shortNames.length ? { shortNames: k.shortNames } : {}),
    ...(k.all ? { categories: ["all"] } : {}),
  };
  const subresources: Schema = k.noStatus ? {} : { status: {} };
  // kube's own scale reads the selector from .spec.selector (an object); a CRD's labelSelectorPath
  // must name a string field, which the Kubernetes types do not have, so none is set.
  if (k.scale) subresources.scale = { specReplicasPath: ".spec.replicas", statusReplicasPath: ".status.replicas" };
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: {
      name: `${k.plural}.${groupName}`,
      annotations: {
        "kcp.dev/kubernetes-version": KUBERNETES_VERSION,
        // *.k8s.io groups are protected: the API is Kubernetes' own, reviewed there.
        ...(k.group.endsWith(".k8s.io") ? { "api-approved.kubernetes.io": apiTypesURL(k) } : {}),
      },
    },
    spec: {
      group: k.group,
      names,
      scope: k.cluster ? "Cluster" : "Namespaced",
      versions: [
        {
          name: k.version ?? "v1",
          served: true,
          storage: true,
          schema: { openAPIV3Schema: root },
          subresources,
          ...(k.columns.length > 0 ? { additionalPrinterColumns: k.columns } : {}),
        },
      ],
    },
  };
}

/** The CRD as served: shared definitions inlined (for the size report). */
function expand(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(expand);
  if (!v || typeof v !== "object") return v;
  const o = v as Schema;
  if (typeof o.$ref === "string") {
    const { $ref, ...rest } = o;
    return { ...(expand(definitions.get($ref)) as Schema), ...rest };
  }
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, expand(x)]));
}

if (import.meta.main) {
  const crds = [];
  for (const k of KINDS) crds.push(await crd(k));
  const text = `${JSON.stringify({ kubernetesVersion: KUBERNETES_VERSION, definitions: Object.fromEntries(definitions), crds })}\n`;
  writeFileSync(OUT, text);
  // Formatted as the repository's formatter wants it (reviewable diffs; `biome check src` passes).
  const fmt = Bun.spawnSync(["biome", "format", "--write", OUT], { stdout: "ignore", stderr: "inherit" });
  if (fmt.exitCode !== 0) throw new Error("biome format failed");
  for (const c of crds)
    console.log(`${(c.metadata as Schema).name}: ${Math.round(JSON.stringify(expand(c)).length / 1024)} KiB expanded`);
  console.log(`${OUT}: ${Math.round(text.length / 1024)} KiB`);
}
