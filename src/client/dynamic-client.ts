// Requests on any resource by group/version/resource, objects as plain JSON (client-go's dynamic
// client): the paths kube-apiserver serves, the patch content types, delete options with
// preconditions. Typed callers wrap a ResourceClient with their own object types.

import type { KObject } from "../machinery/object.ts";
import type { RestClient, WatchEvent } from "./rest-client.ts";

export interface ResourceRef {
  group: string;
  version: string;
  resource: string;
  namespaced: boolean;
  kind?: string;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
}

export interface KList {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion?: string; continue?: string };
  items: KObject[];
}

export type PatchType = "merge" | "json" | "strategic" | "apply";

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: "application/merge-patch+json",
  json: "application/json-patch+json",
  strategic: "application/strategic-merge-patch+json",
  // JSON is YAML: the apply body is sent as JSON text.
  apply: "application/apply-patch+yaml",
};

export interface ResourceClient {
  readonly ref: ResourceRef;
  readonly rest: RestClient;
  /** One page when limit is given; else the whole list. */
  list(opts?: ListOptions): Promise<KList>;
  get(name: string, namespace?: string, opts?: { signal?: AbortSignal }): Promise<KObject>;
  create(
    obj: KObject,
    opts?: { namespace?: string; fieldManager?: string; dryRun?: boolean; signal?: AbortSignal },
  ): Promise<KObject>;
  /** PUT, namespace from obj. `signal` aborts the request (e.g. a deadline tighter than the client's timeout). */
  update(obj: KObject, opts?: { fieldManager?: string; signal?: AbortSignal }): Promise<KObject>;
  /** PUT …/status. */
  updateStatus(obj: KObject, opts?: { fieldManager?: string }): Promise<KObject>;
  patch(
    name: string,
    patch: unknown,
    type: PatchType,
    opts?: { namespace?: string; subresource?: string; fieldManager?: string; force?: boolean },
  ): Promise<KObject>;
  /** NotFound is thrown (StatusError 404). */
  delete(
    name: string,
    opts?: {
      namespace?: string;
      preconditions?: { uid?: string; resourceVersion?: string };
      propagationPolicy?: "Background" | "Foreground" | "Orphan";
    },
  ): Promise<void>;
  watch(opts?: ListOptions): AsyncIterable<WatchEvent>;
}

export class DynamicClient {
  constructor(readonly rest: RestClient) {}

  resource(ref: ResourceRef): ResourceClient {
    return new DynamicResourceClient(this.rest, ref);
  }
}

/** The collection path: /api/v1 or /apis/<group>/<version>, then namespaces/<ns> for a namespaced kind in one namespace. */
export function collectionPath(ref: ResourceRef, namespace?: string): string {
  const root = ref.group === "" ? `/api/${ref.version}` : `/apis/${ref.group}/${ref.version}`;
  const ns = ref.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : "";
  return `${root}${ns}/${ref.resource}`;
}

class DynamicResourceClient implements ResourceClient {
  constructor(
    readonly rest: RestClient,
    readonly ref: ResourceRef,
  ) {}

  private objectPath(name: string, namespace: string | undefined, subresource?: string): string {
    if (!name) throw new Error(`${this.ref.resource}: a name is required`);
    if (this.ref.namespaced && !namespace) throw new Error(`${this.ref.resource} "${name}": a namespace is required`);
    const sub = subresource ? `/${subresource}` : "";
    return `${collectionPath(this.ref, namespace)}/${encodeURIComponent(name)}${sub}`;
  }

  private withKind(obj: KObject): KObject {
    if (obj.apiVersion && obj.kind) return obj;
    const apiVersion = this.ref.group ? `${this.ref.group}/${this.ref.version}` : this.ref.version;
    return { ...obj, apiVersion: obj.apiVersion || apiVersion, kind: obj.kind || this.ref.kind || "" } as KObject;
  }

  list(opts: ListOptions = {}): Promise<KList> {
    return this.rest.request<KList>({
      method: "GET",
      path: collectionPath(this.ref, opts.namespace),
      query: listQuery(opts),
    });
  }

  get(name: string, namespace?: string, opts: { signal?: AbortSignal } = {}): Promise<KObject> {
    return this.rest.request<KObject>({ method: "GET", path: this.objectPath(name, namespace), signal: opts.signal });
  }

  create(
    obj: KObject,
    opts: { namespace?: string; fieldManager?: string; dryRun?: boolean; signal?: AbortSignal } = {},
  ): Promise<KObject> {
    const namespace = opts.namespace ?? obj.metadata?.namespace;
    if (this.ref.namespaced && !namespace) throw new Error(`${this.ref.resource}: a namespace is required`);
    return this.rest.request<KObject>({
      method: "POST",
      path: collectionPath(this.ref, namespace),
      query: { fieldManager: opts.fieldManager, dryRun: opts.dryRun ? "All" : undefined },
      body: this.withKind(obj),
      signal: opts.signal,
    });
  }

  update(obj: KObject, opts: { fieldManager?: string; signal?: AbortSignal } = {}): Promise<KObject> {
    return this.put(obj, undefined, opts);
  }

  updateStatus(obj: KObject, opts: { fieldManager?: string } = {}): Promise<KObject> {
    return this.put(obj, "status", opts);
  }

  private put(
    obj: KObject,
    subresource: string | undefined,
    opts: { fieldManager?: string; signal?: AbortSignal },
  ): Promise<KObject> {
    return this.rest.request<KObject>({
      method: "PUT",
      path: this.objectPath(obj.metadata?.name as string, obj.metadata?.namespace, subresource),
      query: { fieldManager: opts.fieldManager },
      body: this.withKind(obj),
      signal: opts.signal,
    });
  }

  patch(
    name: string,
    patch: unknown,
    type: PatchType,
    opts: { namespace?: string; subresource?: string; fieldManager?: string; force?: boolean } = {},
  ): Promise<KObject> {
    if (type === "apply" && !opts.fieldManager) throw new Error("an apply patch needs a fieldManager");
    return this.rest.request<KObject>({
      method: "PATCH",
      path: this.objectPath(name, opts.namespace, opts.subresource),
      query: { fieldManager: opts.fieldManager, force: opts.force === undefined ? undefined : String(opts.force) },
      body: patch,
      contentType: PATCH_CONTENT_TYPES[type],
    });
  }

  async delete(
    name: string,
    opts: {
      namespace?: string;
      preconditions?: { uid?: string; resourceVersion?: string };
      propagationPolicy?: "Background" | "Foreground" | "Orphan";
    } = {},
  ): Promise<void> {
    const body: Record<string, unknown> = { apiVersion: "v1", kind: "DeleteOptions" };
    if (opts.preconditions) body.preconditions = opts.preconditions;
    if (opts.propagationPolicy) body.propagationPolicy = opts.propagationPolicy;
    await this.rest.request({ method: "DELETE", path: this.objectPath(name, opts.namespace), body });
  }

  watch(opts: ListOptions = {}): AsyncIterable<WatchEvent> {
    return this.rest.watch(collectionPath(this.ref, opts.namespace), listQuery(opts));
  }
}

function listQuery(opts: ListOptions): Record<string, string | undefined> {
  return {
    labelSelector: opts.labelSelector || undefined,
    fieldSelector: opts.fieldSelector || undefined,
    limit: opts.limit ? String(opts.limit) : undefined,
    continue: opts.continue || undefined,
    resourceVersion: opts.resourceVersion,
    allowWatchBookmarks: opts.allowWatchBookmarks ? "true" : undefined,
    timeoutSeconds: opts.timeoutSeconds !== undefined ? String(opts.timeoutSeconds) : undefined,
  };
}
