// The shapes every resource shares: objects, resource definitions and their strategies.
// Built-in kinds and CRD-defined kinds both become a ResourceDef and take the same path.

import type { FieldError } from "../machinery/status.ts";

export type { KObject, ObjectMeta } from "../machinery/object.ts";
export type { UserInfo } from "../auth/types.ts";
import type { UserInfo } from "../auth/types.ts";
import type { KObject } from "../machinery/object.ts";

export type Verb = "get" | "list" | "watch" | "create" | "update" | "patch" | "delete" | "deletecollection";

export const ALL_VERBS: Verb[] = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

export interface SubresourceDef {
  /** e.g. "status", "approval", "finalize", "token", "scale" */
  name: string;
  /** The kind served by the subresource (for discovery); defaults to the parent kind. */
  kind?: string;
  group?: string;
  version?: string;
  verbs: Verb[];
  /**
   * For subresources other than status that update the parent (approval, finalize): turn the
   * desired object into the stored one, carrying over from `old` what the subresource may not change.
   */
  prepare?(obj: KObject, old: KObject, ctx: RequestContext): void;
  /** Validation of an update through this subresource (instead of the strategy's validateUpdate). */
  validate?(obj: KObject, old: KObject, ctx: RequestContext): FieldError[];
  /**
   * For subresources served as another kind (a custom resource's autoscaling/v1 Scale): what GET
   * shows for the parent, and the parent a PUT body (or a PATCH applied to the view) asks for.
   */
  view?(parent: KObject): KObject;
  fromView?(body: KObject, parent: KObject): KObject;
  /**
   * For subresources that answer a create themselves and store nothing (serviceaccounts/token):
   * the response to the decoded body, served with 201. A subresource with the create verb but no
   * handler answers 405.
   */
  create?(request: SubresourceCreate): Promise<KObject> | KObject;
}

/** A create through a subresource (SubresourceDef.create), for the parent named in the URL. */
export interface SubresourceCreate {
  /** The parent resource. */
  def: ResourceDef;
  name: string;
  namespace: string | undefined;
  /** The request body, decoded as the subresource's kind. */
  body: Record<string, unknown>;
  ctx: RequestContext;
  /** Reads an object of the request's logical cluster (the parent, or one the body refers to); 404 when missing. */
  get(def: ResourceDef, namespace: string | undefined, name: string): Promise<KObject>;
  /** A resource served in the request's logical cluster. */
  lookup(group: string, version: string, resource: string): ResourceDef | undefined;
}

/** Extracts the value of a field-selector field from an object, as a string ("" when absent). */
export type FieldGetter = (obj: KObject) => string;

export interface ResourceDef {
  group: string;
  version: string;
  /** The resource's plural name, e.g. "configmaps". */
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  shortNames?: string[];
  categories?: string[];
  namespaced: boolean;
  verbs: Verb[];
  subresources: SubresourceDef[];
  /**
   * Field-selector fields beyond metadata.name and metadata.namespace (which every resource has).
   * Keys are the field paths as clients send them (e.g. "involvedObject.kind").
   */
  selectableFields?: Record<string, FieldGetter>;
  /** Where objects live in storage: group and resource of the key (defaults to group/plural). */
  storage?: { group: string; resource: string };
  /**
   * "stored" kinds are kept in storage with the generic REST semantics.
   * "virtual" kinds (the review APIs) answer `create` from `handleCreate` and store nothing.
   */
  mode: "stored" | "virtual";
  strategy: Strategy;
  /** For virtual kinds: compute the response for a create. */
  handleCreate?: (obj: KObject, ctx: RequestContext) => Promise<KObject> | KObject;
  /** The version listed first in discovery for this group (preferred); defaults to true for the only version. */
  preferred?: boolean;
  /** PUT of a missing object creates it (kube-apiserver's AllowCreateOnUpdate). */
  allowCreateOnUpdate?: boolean;
  /**
   * Where the definition came from, for logs and discovery's group order. What the kind can do
   * is said by `capabilities`, never by testing this.
   */
  source: "builtin" | "crd";
  /**
   * What the kind can do where built-in kinds and custom resources differ in kube (see
   * ResourceCapabilities). Set by the definition builders; a definition without it gets the
   * defaults of its `source` (capabilitiesOf in src/apis/capabilities.ts).
   */
  capabilities?: ResourceCapabilities;
  /**
   * Table columns (kubectl get). Built-in kinds give a `table` convertor; CRDs give their
   * `additionalPrinterColumns` here, rendered by JSONPath. Neither: Name and Age only.
   */
  table?: TableConvertor;
  printerColumns?: PrinterColumn[];
  /**
   * The OpenAPI v3 schema of the kind (a components.schemas entry, refs to
   * `#/components/schemas/...`), for /openapi and kubectl explain. Built-ins get theirs from
   * src/apis/builtin/schemas; CRDs from the version's openAPIV3Schema.
   */
  openAPISchema?: Record<string, unknown>;
  /** Whether this is the storage version of its group/kind (CRDs with several versions). */
  storageVersion?: boolean;
  /** Deprecated versions answer with a Warning header. */
  deprecationWarning?: string;
  /**
   * Hooks for kinds whose objects change shape between storage and the wire (CRD defaulting on
   * read, version conversion): applied to every object read from storage before it is served.
   */
  onRead?(obj: KObject): KObject;
  /**
   * The inverse of onRead for definitions that serve another version's stored form
   * (events.k8s.io/v1 Events are stored as core/v1 Events): the object to encode for storage,
   * from the object as this definition serves it. The result may share parts with `obj`.
   */
  toStorage?(obj: KObject): KObject;
  /**
   * Objects every logical cluster has without storing them (kube's default ClusterRoles and
   * ClusterRoleBindings, src/auth/rbac/default-policy.ts): GET and LIST in a logical cluster serve
   * them, unless the cluster stores an object of the same name, which is served instead. Shared:
   * served as copies.
   */
  builtinObjects?(): readonly KObject[];
}

/**
 * The behaviours in which kube serves kinds differently, each named for why: a built-in kind has
 * Go types behind it (protobuf, strategic merge patch, typed decoding, generated schemas and
 * printers), a custom resource is unstructured JSON described by its CRD.
 */
export interface ResourceCapabilities {
  /** Strategic merge patch, which needs the Go types' patch strategies (kube: 415 for custom resources). */
  strategicMergePatch: boolean;
  /** Protobuf request bodies and responses (kube has no protobuf for custom resources). */
  protobuf: boolean;
  /**
   * The kind's OpenAPI schema: "builtin", kube's schemas of the Go types (the same in every
   * cluster, named by schemaNameOfKind, tagged with x-kubernetes-group-version-kind, and the ones
   * a patch's result is checked against for unknown fields); "custom", the definition's own
   * openAPISchema (a CRD's, whose unknown fields are pruned on decoding instead).
   */
  schema: "builtin" | "custom";
  /** Table columns: kube's printers of the built-in kind, or the CRD's additionalPrinterColumns (def.printerColumns). */
  table: "builtin" | "printer-columns";
  /** Discovery lists the verbs sorted (kube's built-in storage) or as declared (apiextensions' own order). */
  verbOrder: "sorted" | "declared";
  /** A delete that removes the object at once answers with the object (custom resources) or a Success Status. */
  deleteReturnsObject: boolean;
  /**
   * Whether null fields survive a server-side apply's merge: unstructured objects keep them, Go
   * types drop them when the merged object is decoded.
   */
  keepsNullFields: boolean;
}

export interface PrinterColumn {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
}

export interface TableColumn {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

/** Turns objects into Table rows (kube-apiserver's TableConvertor), with the Name column first. */
export interface TableConvertor {
  columns: TableColumn[];
  /** The cells of one row, one per column. */
  cells(obj: KObject): unknown[];
}

/**
 * A kind's behaviour on the write path, as kube-apiserver's registry strategies:
 * prepare (reset fields the caller may not set), validate, and the status split.
 */
export interface Strategy {
  /** True when the kind has a /status subresource: the main resource then ignores status changes. */
  hasStatus: boolean;
  /**
   * True when `metadata.generation` is tracked: it starts at 1 and is bumped when anything but
   * metadata and status changes.
   */
  tracksGeneration: boolean;
  /** Default and normalise a new object (after system fields are set). */
  prepareForCreate?(obj: KObject, ctx: RequestContext): void;
  /** Carry over fields the update may not change (e.g. status when hasStatus). */
  prepareForUpdate?(obj: KObject, old: KObject, ctx: RequestContext): void;
  /** Kind-specific validation of a new object (object metadata is validated by the caller). */
  validate?(obj: KObject, ctx: RequestContext): FieldError[];
  /** Kind-specific validation of an update. */
  validateUpdate?(obj: KObject, old: KObject, ctx: RequestContext): FieldError[];
  /** For the status subresource: copy into `obj` everything but status from `old`. Default: keep old, take new status. */
  prepareForStatusUpdate?(obj: KObject, old: KObject, ctx: RequestContext): void;
  /** Validation of an update through /status (instead of validateUpdate, whose rules are the main resource's). */
  validateStatusUpdate?(obj: KObject, old: KObject, ctx: RequestContext): FieldError[];
  /** Whether `metadata.name` may be any path segment (true) or must be a DNS subdomain (default). */
  nameValidation?: "subdomain" | "label" | "path-segment";
  /**
   * Called on a copy of the object when a delete first marks it: may add finalizers and set status
   * (CRDs add their cleanup finalizer and a Terminating condition, as kube's CRD REST delete does).
   */
  prepareForDelete?(obj: KObject): void;
  /**
   * Called before a delete looks at the object: throws (a StatusError) to refuse deleting `name`
   * whatever its state (namespaces: the immortal ones).
   */
  beforeDelete?(name: string, ctx: RequestContext): void;
  /**
   * Whether the object waits for finalizers of its own besides metadata.finalizers (namespaces:
   * spec.finalizers): a delete then only marks it, and it goes once they too are gone.
   */
  pendingFinalizers?(obj: KObject): boolean;
  /**
   * True when marking an object for deletion sets deletionTimestamp only (the namespace registry),
   * not also the zero deletionGracePeriodSeconds of kube's markAsDeleting.
   */
  noDeletionGracePeriod?: boolean;
}

/** Who is asking, and in which logical cluster. */
export interface RequestContext {
  cluster: string;
  user: UserInfo;
  /** Dry run: everything but persistence and notification. */
  dryRun: boolean;
  /** Response headers to add, e.g. Warning. */
  warnings: string[];
  /** The namespace of the request URL, for namespaced requests. */
  namespace?: string;
  /**
   * How unknown and duplicate fields in the body are treated (the `fieldValidation` query
   * parameter): Strict fails with 400, Warn (kube's default) adds Warning headers, Ignore drops them.
   */
  fieldValidation?: "Strict" | "Warn" | "Ignore";
  /**
   * Who writes, for metadata.managedFields: the `fieldManager` parameter, else the User-Agent's
   * product name (kubectl/v1.32.0 → "kubectl"). Unset for the server's own writes ("kube-apiserver").
   */
  fieldManager?: string;
  /** A server-side apply, which computed metadata.managedFields itself: the store keeps them. */
  applying?: boolean;
}
