// The generic registry store: kube-apiserver's `registry.Store` for every stored kind. It turns
// create/get/list/update/delete into storage calls, applying the kind's strategy (prepare, validate,
// status split, generation), object metadata rules, finalizers and optimistic concurrency.
// HTTP handlers and in-process controllers both use it.

import { randomUUID } from "node:crypto";
import {
  CompactedError,
  KeyExistsError,
  KeyNotFoundError,
  RevisionMismatchError,
  type Storage,
  type KeyValue,
  type ListOptions as StorageListOptions,
  type ListResult as StorageListResult,
} from "../storage/interface.ts";
import { collectionPrefix, clusterOfKey, objectKey, resourcePrefix } from "../storage/keys.ts";
import { errors, field, type FieldError, StatusError } from "../machinery/status.ts";
import type { LabelSelector } from "../machinery/selectors/label-selector.ts";
import type { FieldSelector } from "../machinery/selectors/field-selector.ts";
import { validateObjectMeta, validateObjectMetaUpdate } from "../machinery/validation/object-meta.ts";
import {
  apiVersionOf,
  CLUSTER_ANNOTATION,
  clone,
  decodeKeyValue,
  finishDecoding,
  deepEqual,
  encodeObject,
  nowTimestamp,
  servedItemJson,
} from "./object-codec.ts";
import type { KObject, RequestContext, ResourceDef, SubresourceDef, UserInfo } from "./types.ts";
import type { Admission, AdmissionAttributes, AdmissionOperation } from "./admission.ts";
import { decodeContinue, encodeContinue } from "./continue-token.ts";
import { recordManagedFields } from "./fieldmanager/store-hook.ts";
import {
  isLarge,
  jsonIsLarge,
  parseStoredJson,
  STEPWISE_MIN_STORED_BYTES,
  yieldToEventLoop,
} from "./offload/offload.ts";

export interface ListOptions {
  labelSelector?: LabelSelector;
  fieldSelector?: FieldSelector;
  /**
   * For in-process readers (not a request option): only objects whose stored JSON this accepts are
   * decoded and listed, as a selector would keep them (no remainingItemCount).
   */
  accepts?: (value: string) => boolean;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

export interface ListResult {
  items: KObject[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

/** A list served as it is read (ObjectStore.openListStream). */
export interface ListStream {
  /** The revision every page is read at: the list's resourceVersion. */
  resourceVersion: string;
  /** True when one `next` call gives every item (the first page held them all, within one chunk). */
  complete: boolean;
  /**
   * The next items as served JSON joined by commas ("" when none matched), about
   * LIST_STREAM_CHUNK_BYTES of stored text at a time; null after the last.
   */
  next(): Promise<string | null>;
}

/** Keys per storage read of a streamed list at most. */
export const LIST_STREAM_PAGE = 1000;
/** Stored bytes per storage read of a streamed list, about (after the first read, which is LIST_STREAM_PAGE keys). */
export const LIST_STREAM_PAGE_BYTES = 4 * 1024 * 1024;
/** Stored bytes per ListStream.next() call, about (at least one object). */
export const LIST_STREAM_CHUNK_BYTES = 1024 * 1024;

export interface DeleteOptions {
  preconditions?: { uid?: string; resourceVersion?: string };
  /** DeleteOptions.propagationPolicy, validated by the caller. */
  propagationPolicy?: "Orphan" | "Background" | "Foreground";
  /** The deprecated DeleteOptions.orphanDependents (never set together with propagationPolicy). */
  orphanDependents?: boolean;
}

/** The garbage collector's finalizers (kube's metav1.FinalizerOrphanDependents and FinalizerDeleteDependents). */
export const ORPHAN_FINALIZER = "orphan";
export const FOREGROUND_FINALIZER = "foregroundDeletion";

/**
 * The finalizers a delete with these options leaves on the object, or undefined when they do not
 * change (kube's deletionFinalizersForGarbageCollection): Orphan (or orphanDependents=true) asks
 * for `orphan`, Foreground for `foregroundDeletion`, Background (or orphanDependents=false) for
 * neither; without options the finalizers already there decide, so nothing changes.
 */
export function finalizersForDeletion(finalizers: string[] | undefined, opts: DeleteOptions): string[] | undefined {
  let want: string | null;
  if (opts.orphanDependents !== undefined) want = opts.orphanDependents ? ORPHAN_FINALIZER : null;
  else if (opts.propagationPolicy === "Orphan") want = ORPHAN_FINALIZER;
  else if (opts.propagationPolicy === "Foreground") want = FOREGROUND_FINALIZER;
  else if (opts.propagationPolicy === "Background") want = null;
  else return undefined;
  const old = finalizers ?? [];
  const next = old.filter((f) => f !== ORPHAN_FINALIZER && f !== FOREGROUND_FINALIZER);
  if (want !== null) next.push(want);
  const same = next.length === old.length && next.every((f) => old.includes(f));
  return same ? undefined : next;
}

export interface UpdateOptions {
  subresource?: string;
  /** PUT may create when the kind allows it (AllowCreateOnUpdate). */
  allowCreate?: boolean;
}

const GENERATE_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789";

function randomSuffix(n = 5): string {
  const bytes = crypto.getRandomValues(new Uint8Array(n));
  let s = "";
  for (const b of bytes) s += GENERATE_NAME_CHARS[b % GENERATE_NAME_CHARS.length];
  return s;
}

export function storageOf(def: ResourceDef): { group: string; resource: string } {
  return def.storage ?? { group: def.group, resource: def.plural };
}

/**
 * What bumps `generation` when it changes: everything but metadata, and but status when the kind
 * has a status subresource (without one, status is just another part of the object).
 */
function specPart(obj: KObject, hasStatus: boolean): Record<string, unknown> {
  const { metadata: _m, apiVersion: _a, kind: _k, ...rest } = obj;
  if (hasStatus) delete rest.status;
  return rest;
}

export function fieldValue(def: ResourceDef, obj: KObject, path: string): string | undefined {
  if (path === "metadata.name") return obj.metadata.name ?? "";
  if (path === "metadata.namespace") return obj.metadata.namespace ?? "";
  const g = def.selectableFields?.[path];
  return g ? g(obj) : undefined;
}

/** Whether a list's options select some of the items (else every item is served without decoding it for the test). */
function hasSelectors(opts: ListOptions): boolean {
  return Boolean(
    (opts.labelSelector && !opts.labelSelector.empty) ||
      (opts.fieldSelector && opts.fieldSelector.requirements.length > 0),
  );
}

export function matchesSelectors(
  def: ResourceDef,
  obj: KObject,
  label?: LabelSelector,
  fieldSel?: FieldSelector,
): boolean {
  if (label && !label.empty && !label.matches(obj.metadata.labels ?? {})) return false;
  if (fieldSel && !fieldSel.matches((p) => fieldValue(def, obj, p))) return false;
  return true;
}

/**
 * The attributes admission sees of one write. A class, so that every write makes objects of one
 * shape; made only when some plugin wants the operation.
 */
class WriteAttributes implements AdmissionAttributes {
  constructor(
    readonly operation: AdmissionOperation,
    readonly def: ResourceDef,
    readonly ctx: RequestContext,
    readonly name: string,
    readonly namespace: string | undefined,
    readonly object: KObject | undefined,
    readonly oldObject: KObject | undefined,
    readonly subresource: string | undefined,
  ) {}

  get user(): UserInfo {
    return this.ctx.user;
  }

  get dryRun(): boolean {
    return this.ctx.dryRun;
  }

  /** The same write with the object as prepared for storage (the strategy may have built a new one). */
  withObject(object: KObject): WriteAttributes {
    return new WriteAttributes(
      this.operation,
      this.def,
      this.ctx,
      this.name,
      this.namespace,
      object,
      this.oldObject,
      this.subresource,
    );
  }
}

/**
 * Where admission runs in a write, in kube-apiserver's order:
 *  - create: mutating admission first (kube runs it in the handler, before registry.Store.Create),
 *    then the strategy's prepare and validation (rest.BeforeCreate), then validating admission
 *    (createValidation), then the write;
 *  - update (main resource or subresource): the desired object is worked out (body, patch), then
 *    mutating admission (kube: an UpdatedObjectInfo transformer inside GuaranteedUpdate), the
 *    strategy's prepare and validation (rest.BeforeUpdate), validating admission
 *    (updateValidation), the write;
 *  - delete: once the preconditions hold, mutating then validating admission on the stored
 *    object (kube: deleteValidation), then the mark or the removal.
 * A dry run runs all of it and stops before the write.
 */
export class ObjectStore {
  constructor(
    readonly storage: Storage,
    readonly prefix: string,
    /** Admission (src/admission/chain.ts); none: every write is admitted. */
    private readonly admission?: Admission,
  ) {}

  key(def: ResourceDef, cluster: string, namespace: string | undefined, name: string): string {
    const s = storageOf(def);
    return objectKey(this.prefix, {
      group: s.group,
      resource: s.resource,
      cluster,
      namespace: def.namespaced ? namespace : undefined,
      name,
    });
  }

  /** The storage prefix of a collection; `cluster` undefined means all clusters. */
  collection(def: ResourceDef, cluster: string | undefined, namespace: string | undefined): string {
    const s = storageOf(def);
    return collectionPrefix(this.prefix, s.group, s.resource, cluster, def.namespaced ? namespace : undefined);
  }

  resourcePrefix(def: ResourceDef): string {
    const s = storageOf(def);
    return resourcePrefix(this.prefix, s.group, s.resource);
  }

  decode(def: ResourceDef, kv: KeyValue, wildcard: boolean): KObject {
    return decodeKeyValue(def, kv, wildcard ? clusterOfKey(this.resourcePrefix(def), kv.key) : undefined);
  }

  async get(def: ResourceDef, cluster: string, namespace: string | undefined, name: string): Promise<KObject> {
    const kv = await this.storage.get(this.key(def, cluster, namespace, name));
    if (!kv) throw errors.notFound({ group: def.group, resource: def.plural }, name);
    return this.decode(def, kv, false);
  }

  async tryGet(
    def: ResourceDef,
    cluster: string,
    namespace: string | undefined,
    name: string,
  ): Promise<KObject | null> {
    const kv = await this.storage.get(this.key(def, cluster, namespace, name));
    return kv ? this.decode(def, kv, false) : null;
  }

  /** Where a list starts reading: the collection prefix, the revision (0: latest) and the key to resume after. */
  private async listStart(
    def: ResourceDef,
    cluster: string | undefined,
    namespace: string | undefined,
    opts: ListOptions,
  ): Promise<{ prefix: string; revision: number; after: string | undefined }> {
    const prefix = this.collection(def, cluster, namespace);
    let revision = 0;
    let after: string | undefined;
    const rv = opts.resourceVersion ?? "";
    const match = opts.resourceVersionMatch ?? "";
    if (opts.continue) {
      if (rv !== "" && rv !== "0") {
        throw errors.badRequest("specifying resource version is not allowed when using continue");
      }
      const tok = decodeContinue(opts.continue);
      revision = tok.rv;
      after = prefix + tok.start;
    } else if (rv !== "" && rv !== "0") {
      const r = parseResourceVersion(rv);
      const current = await this.storage.currentRevision();
      if (r > current) throw tooLargeResourceVersion(r, current);
      // Exact when asked for, or (legacy) when paginating without a match rule.
      if (match === "Exact" || (match === "" && opts.limit)) revision = r;
    }
    if (match && match !== "Exact" && match !== "NotOlderThan") {
      throw errors.invalid("ListOptions", "meta.k8s.io", "", [
        field.notSupported("resourceVersionMatch", match, ["Exact", "NotOlderThan"]),
      ]);
    }
    if (match && rv === "") {
      throw errors.invalid("ListOptions", "meta.k8s.io", "", [
        field.forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden unless resourceVersion is provided"),
      ]);
    }
    return { prefix, revision, after };
  }

  /** One storage read of a list; a compacted revision is 410 Gone, as kube answers. */
  private async readListPage(
    opts: ListOptions,
    revision: number,
    read: StorageListOptions,
  ): Promise<StorageListResult> {
    try {
      return await this.storage.list(read);
    } catch (e) {
      if (e instanceof CompactedError) {
        throw errors.gone(
          opts.continue
            ? "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list."
            : `too old resource version: ${revision} (${e.compacted})`,
        );
      }
      throw e;
    }
  }

  /** List a collection. `cluster` undefined lists across all logical clusters. */
  async list(
    def: ResourceDef,
    cluster: string | undefined,
    namespace: string | undefined,
    opts: ListOptions,
  ): Promise<ListResult> {
    const { prefix, revision, after: start } = await this.listStart(def, cluster, namespace, opts);
    let after = start;
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    const filtering = hasSelectors(opts);
    const accepts = opts.accepts;
    // With accepts, one call reads at most `limit` keys, accepted or not, and says where to go on:
    // a scan over many keys that are not accepted gives the event loop back between calls.
    let scanned = 0;
    const items: KObject[] = [];
    let lastKey: string | undefined;
    let more = false;
    let remaining: number | undefined;
    let readRevision = revision;
    for (;;) {
      const res = await this.readListPage(opts, revision, {
        prefix,
        revision: readRevision,
        after,
        limit: limit ? Math.max(limit - items.length, filtering || accepts ? 100 : 0) : 0,
      });
      readRevision = res.revision;
      // A page of large objects is decoded with others served every LIST_STREAM_CHUNK_BYTES.
      let decoded = 0;
      for (const kv of res.items) {
        if (decoded > LIST_STREAM_CHUNK_BYTES) {
          decoded = 0;
          await yieldToEventLoop();
        }
        decoded += kv.value.length;
        lastKey = kv.key;
        scanned++;
        if (accepts && !accepts(kv.value)) continue;
        const obj = this.decode(def, kv, cluster === undefined);
        if (filtering && !matchesSelectors(def, obj, opts.labelSelector, opts.fieldSelector)) continue;
        items.push(obj);
        if (limit && items.length >= limit) break;
      }
      const stoppedEarly = limit > 0 && items.length >= limit && lastKey !== res.items[res.items.length - 1]?.key;
      more = res.more || stoppedEarly;
      remaining = filtering || accepts ? undefined : res.remaining;
      if (!limit || items.length >= limit || !res.more || (accepts && scanned >= limit)) break;
      after = lastKey;
    }
    const out: ListResult = { items, resourceVersion: String(readRevision) };
    if (limit && more && lastKey !== undefined) {
      out.continue = encodeContinue(readRevision, lastKey.slice(prefix.length));
      if (remaining !== undefined && remaining > 0) out.remainingItemCount = remaining;
    }
    return out;
  }

  /**
   * A list without a limit, read and served page by page: the first page is read now (so a bad
   * resourceVersion, continue token or a compacted revision fails before anything is sent), the
   * others as `next` asks for them, each at the revision of the first, so the pages make one
   * consistent snapshot however long the client takes. Items come out as served JSON text
   * (servedItemJson): spliced from the stored value when possible, never parsed unless a selector
   * or the kind's onRead needs the object. Memory is one page, not the whole list.
   */
  async openListStream(
    def: ResourceDef,
    cluster: string | undefined,
    namespace: string | undefined,
    opts: ListOptions,
    pageSize = LIST_STREAM_PAGE,
  ): Promise<ListStream> {
    if (opts.limit && opts.limit > 0) throw new Error("openListStream: a list with a limit is paged by list()");
    const { prefix, revision, after: start } = await this.listStart(def, cluster, namespace, opts);
    const wildcard = cluster === undefined;
    const resPrefix = this.resourcePrefix(def);
    const filtering = hasSelectors(opts);
    const read = (rev: number, after: string | undefined, limit: number) =>
      this.readListPage(opts, revision, { prefix, revision: rev, after, limit, skipRemaining: true });
    const encode = (kvs: KeyValue[]): string => {
      const out: string[] = [];
      for (const kv of kvs) {
        const clusterName = wildcard ? clusterOfKey(resPrefix, kv.key) : undefined;
        if (filtering) {
          const obj = decodeKeyValue(def, kv, clusterName);
          if (!matchesSelectors(def, obj, opts.labelSelector, opts.fieldSelector)) continue;
          // Parsed for the selector: serialise that object only when onRead changed it.
          out.push(def.onRead ? JSON.stringify(obj) : servedItemJson(def, kv.value, kv.modRevision, clusterName));
        } else {
          out.push(servedItemJson(def, kv.value, kv.modRevision, clusterName));
        }
      }
      return out.join(",");
    };
    const first = await read(revision, start, pageSize);
    const readRevision = first.revision;
    const bytesOf = (kvs: KeyValue[]) => kvs.reduce((n, kv) => n + kv.value.length, 0);
    let pending = first.items;
    let pendingBytes = bytesOf(pending);
    let at = 0;
    let more = first.more && pending.length > 0;
    let lastKey = pending[pending.length - 1]?.key ?? start;
    let size = pageSize;
    return {
      resourceVersion: String(readRevision),
      complete: !more && pendingBytes <= LIST_STREAM_CHUNK_BYTES,
      async next(): Promise<string | null> {
        if (at >= pending.length) {
          if (!more) return null;
          // Pages of large objects are read fewer at a time: about LIST_STREAM_PAGE_BYTES each.
          const fit = Math.floor((pending.length * LIST_STREAM_PAGE_BYTES) / Math.max(1, pendingBytes));
          size = Math.max(Math.min(16, pageSize), Math.min(pageSize, fit));
          const p = await read(readRevision, lastKey, size);
          pending = p.items;
          pendingBytes = bytesOf(pending);
          at = 0;
          more = p.more && pending.length > 0;
          lastKey = pending[pending.length - 1]?.key ?? lastKey;
        }
        // About LIST_STREAM_CHUNK_BYTES of the page per call: the caller serves others between calls.
        let end = at;
        for (let bytes = 0; end < pending.length && (bytes < LIST_STREAM_CHUNK_BYTES || end === at); end++)
          bytes += (pending[end] as KeyValue).value.length;
        const chunk = pending.slice(at, end);
        at = end;
        return encode(chunk);
      },
    };
  }

  /** Create an object (already decoded from the request). */
  async create(def: ResourceDef, ctx: RequestContext, input: KObject, namespace: string | undefined): Promise<KObject> {
    return (await this.createServed(def, ctx, input, namespace, false)).object;
  }

  /**
   * Create an object and, when `wantJson` and the kind serves what it stores (no onRead or toStorage hook, no
   * cluster annotation taken out for storage), also its JSON as served: the stored text with the
   * resourceVersion spliced in (servedItemJson), so the response needs no second JSON.stringify.
   */
  async createServed(
    def: ResourceDef,
    ctx: RequestContext,
    input: KObject,
    namespace: string | undefined,
    wantJson = true,
  ): Promise<{ object: KObject; json?: string }> {
    const obj = input;
    if (!obj.metadata || typeof obj.metadata !== "object") obj.metadata = {};
    const meta = obj.metadata;
    if (def.namespaced) {
      if (meta.namespace && namespace && meta.namespace !== namespace) {
        throw errors.badRequest(
          "the namespace of the provided object does not match the namespace sent on the request",
        );
      }
      meta.namespace = namespace ?? meta.namespace;
    } else if (meta.namespace) {
      delete meta.namespace;
    }
    if (meta.resourceVersion) throw errors.internal("resourceVersion should not be set on objects to be created");
    // A large object is created in steps, others served between them (as update does).
    const stepwise = isLarge(obj);
    const admission = this.admission;
    const attributes =
      admission && (admission.mutates("CREATE") || admission.validates("CREATE"))
        ? new WriteAttributes("CREATE", def, ctx, meta.name ?? "", meta.namespace, obj, undefined, undefined)
        : undefined;
    if (attributes && admission?.mutates("CREATE")) {
      const pending = admission.admit(attributes);
      if (pending) await pending;
    }
    const requestedManagedFields = meta.managedFields;
    if (!meta.name && meta.generateName) meta.name = meta.generateName + randomSuffix();
    obj.apiVersion = apiVersionOf(def);
    obj.kind = def.kind;
    meta.uid = randomUUID();
    meta.creationTimestamp = nowTimestamp();
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    if (def.strategy.tracksGeneration) meta.generation = 1;
    else delete meta.generation;
    if (def.strategy.hasStatus) delete obj.status;
    if (stepwise) await yieldToEventLoop();
    def.strategy.prepareForCreate?.(obj, ctx);
    if (stepwise) await yieldToEventLoop();
    const tracking = recordManagedFields(def, ctx, undefined, obj, requestedManagedFields);
    if (tracking) await tracking;
    if (stepwise) await yieldToEventLoop();
    dropEmptyMetadata(meta);
    const errs: FieldError[] = validateObjectMeta(meta, {
      namespaced: def.namespaced,
      nameValidation: def.strategy.nameValidation ?? "subdomain",
    });
    if (stepwise) await yieldToEventLoop();
    errs.push(...(def.strategy.validate?.(obj, ctx) ?? []));
    if (errs.length) throw errors.invalid(def.kind, def.group, meta.name ?? meta.generateName ?? "", errs);
    if (attributes && admission?.validates("CREATE")) {
      if (stepwise) await yieldToEventLoop();
      const pending = admission.validate(attributes);
      if (pending) await pending;
    }
    if (stepwise) await yieldToEventLoop();
    const key = this.key(def, ctx.cluster, meta.namespace, meta.name as string);
    if (ctx.dryRun) {
      if (await this.storage.get(key))
        throw errors.alreadyExists({ group: def.group, resource: def.plural }, meta.name as string);
      return { object: obj };
    }
    try {
      const value = encodeObject(storedForm(def, obj));
      const rev = await this.storage.create(key, value);
      meta.resourceVersion = String(rev);
      const served =
        wantJson && !def.onRead && !def.toStorage && !(meta.annotations && CLUSTER_ANNOTATION in meta.annotations);
      return served ? { object: obj, json: servedItemJson(def, value, rev) } : { object: obj };
    } catch (e) {
      if (e instanceof KeyExistsError)
        throw errors.alreadyExists({ group: def.group, resource: def.plural }, meta.name as string);
      throw e;
    }
  }

  /**
   * Admission of a create through a subresource that answers it itself (serviceaccounts/token):
   * mutating, then validating plugins, as for any create, with the subresource's object (a
   * TokenRequest) and the parent's name. Nothing is stored here; the subresource's handler runs after.
   */
  async admitSubresourceCreate(
    def: ResourceDef,
    subresource: string,
    name: string,
    namespace: string | undefined,
    object: KObject,
    ctx: RequestContext,
  ): Promise<void> {
    const admission = this.admission;
    if (!admission) return;
    const attributes = new WriteAttributes("CREATE", def, ctx, name, namespace, object, undefined, subresource);
    if (admission.mutates("CREATE")) await admission.admit(attributes);
    if (admission.validates("CREATE")) await admission.validate(attributes);
  }

  /**
   * Update an object through `mutate`, retried on concurrent writes unless the new object carries a
   * resourceVersion (then a mismatch is a 409 Conflict), as GuaranteedUpdate does.
   * `mutate` gets a private copy of the current object and returns the desired object.
   */
  async update(
    def: ResourceDef,
    ctx: RequestContext,
    namespace: string | undefined,
    name: string,
    mutate: (current: KObject) => KObject | Promise<KObject>,
    opts: UpdateOptions = {},
  ): Promise<{ object: KObject; created: boolean }> {
    const ref = { group: def.group, resource: def.plural };
    const key = this.key(def, ctx.cluster, namespace, name);
    for (let attempt = 0; ; attempt++) {
      const kv = await this.storage.get(key);
      if (!kv) {
        if (opts.allowCreate && !opts.subresource) {
          const obj = await mutate({ metadata: {} } as KObject);
          if (obj.metadata?.resourceVersion) throw errors.notFound(ref, name);
          obj.metadata = obj.metadata ?? {};
          if (obj.metadata.name !== name) throw nameMismatch(obj.metadata.name, name);
          try {
            return { object: await this.create(def, ctx, obj, namespace), created: true };
          } catch (e) {
            if (e instanceof StatusError && e.reason === "AlreadyExists" && attempt < 5) continue;
            throw e;
          }
        }
        throw errors.notFound(ref, name);
      }
      // A large object is worked on in steps (its patch or apply in the offload worker): others are served between them.
      const stepwise = kv.value.length > STEPWISE_MIN_STORED_BYTES;
      const [current, copy] = stepwise ? await this.decodeTwice(def, kv) : this.decodeAndCopy(def, kv);
      if (stepwise) await yieldToEventLoop();
      const desired = await mutate(copy);
      if (stepwise) await yieldToEventLoop();
      if (!desired || typeof desired !== "object" || !desired.metadata || typeof desired.metadata !== "object") {
        throw errors.badRequest("the object has no metadata");
      }
      const wantRV = desired.metadata.resourceVersion;
      if (wantRV && wantRV !== current.metadata.resourceVersion) throw errors.conflict(ref, name);
      if (desired.metadata.name !== undefined && desired.metadata.name !== name)
        throw nameMismatch(desired.metadata.name, name);
      if (def.namespaced && desired.metadata.namespace && namespace && desired.metadata.namespace !== namespace) {
        throw errors.badRequest(
          "the namespace of the provided object does not match the namespace sent on the request",
        );
      }
      const admission = this.admission;
      const attributes =
        admission && (admission.mutates("UPDATE") || admission.validates("UPDATE"))
          ? new WriteAttributes(
              "UPDATE",
              def,
              ctx,
              name,
              def.namespaced ? current.metadata.namespace : undefined,
              desired,
              current,
              opts.subresource,
            )
          : undefined;
      if (attributes && admission?.mutates("UPDATE")) {
        const pending = admission.admit(attributes);
        if (pending) await pending;
      }
      const next = await this.prepareUpdate(def, ctx, desired, current, opts.subresource, stepwise);
      if (attributes && admission?.validates("UPDATE")) {
        // The prepared object is what will be written; plugins validate that one.
        const pending = admission.validate(attributes.object === next ? attributes : attributes.withObject(next));
        if (pending) await pending;
      }
      if (stepwise) await yieldToEventLoop();
      if (deepEqual(stripRV(next), stripRV(current))) return { object: current, created: false };
      if (shouldFinishDeletion(def, next)) {
        if (ctx.dryRun) return { object: next, created: false };
        try {
          const res = await this.storage.delete(key, kv.modRevision);
          next.metadata.resourceVersion = String(res.revision);
          return { object: next, created: false };
        } catch (e) {
          retryOrThrow(e, ref, name, !wantRV && attempt < MAX_WRITE_ATTEMPTS);
          continue;
        }
      }
      if (ctx.dryRun) return { object: next, created: false };
      try {
        const rev = await this.storage.update(key, encodeObject(storedForm(def, next)), kv.modRevision);
        next.metadata.resourceVersion = String(rev);
        return { object: next, created: false };
      } catch (e) {
        // Returns to read the object again and retry.
        retryOrThrow(e, ref, name, !wantRV && attempt < MAX_WRITE_ATTEMPTS);
      }
    }
  }

  private decodeAndCopy(def: ResourceDef, kv: KeyValue): [KObject, KObject] {
    const current = this.decode(def, kv, false);
    return [current, clone(current)];
  }

  /**
   * A large stored object and a private copy, decoded with the event loop served between steps:
   * text of many members is parsed in the offload worker and each copy assembled in pieces (a
   * JSON.parse of 40,000 keys holds the loop 50-150 ms); other large text (a few long strings) is
   * parsed here, twice (twice as fast as structuredClone).
   */
  private async decodeTwice(def: ResourceDef, kv: KeyValue): Promise<[KObject, KObject]> {
    if (!jsonIsLarge(kv.value)) {
      const current = this.decode(def, kv, false);
      await yieldToEventLoop();
      return [current, this.decode(def, kv, false)];
    }
    const [a, b] = (await parseStoredJson(kv.value, 2)) as [KObject, KObject];
    return [finishDecoding(def, a, kv.modRevision), finishDecoding(def, b, kv.modRevision)];
  }

  /** Apply system-field rules, the strategy and validation to an update. */
  private async prepareUpdate(
    def: ResourceDef,
    ctx: RequestContext,
    desired: KObject,
    current: KObject,
    subresource?: string,
    stepwise = false,
  ): Promise<KObject> {
    const requestedManagedFields = desired.metadata.managedFields;
    const rules = updateRules(def, subresource);
    const next = rules.prepare(def, desired, current, ctx);
    if (stepwise) await yieldToEventLoop();
    next.apiVersion = apiVersionOf(def);
    next.kind = def.kind;
    const m = next.metadata;
    dropEmptyMetadata(m);
    const o = current.metadata;
    m.name = o.name;
    if (def.namespaced) m.namespace = o.namespace;
    else delete m.namespace;
    m.uid = o.uid;
    m.creationTimestamp = o.creationTimestamp;
    m.resourceVersion = o.resourceVersion;
    if (o.deletionTimestamp) m.deletionTimestamp = o.deletionTimestamp;
    else delete m.deletionTimestamp;
    if (o.deletionGracePeriodSeconds !== undefined) m.deletionGracePeriodSeconds = o.deletionGracePeriodSeconds;
    else delete m.deletionGracePeriodSeconds;
    delete m.generateName;
    if (o.generateName) m.generateName = o.generateName;
    if (def.strategy.tracksGeneration) {
      const gen = typeof o.generation === "number" ? o.generation : 1;
      m.generation = deepEqual(specPart(next, def.strategy.hasStatus), specPart(current, def.strategy.hasStatus))
        ? gen
        : gen + 1;
    } else delete m.generation;
    const tracking = recordManagedFields(def, ctx, current, next, requestedManagedFields, subresource);
    if (tracking) await tracking;
    if (stepwise) await yieldToEventLoop();
    const errs: FieldError[] = validateObjectMeta(m, {
      namespaced: def.namespaced,
      nameValidation: def.strategy.nameValidation ?? "subdomain",
    });
    errs.push(...validateObjectMetaUpdate(m, o));
    // Metadata of 70,000 finalizers and the kind's checks of 40,000 keys take tens of ms each.
    if (stepwise) await yieldToEventLoop();
    const kindErrs = rules.validate(def, next, current, ctx);
    if (kindErrs) errs.push(...kindErrs);
    if (errs.length) throw errors.invalid(def.kind, def.group, o.name ?? "", errs);
    return next;
  }

  /**
   * Delete an object. Objects with finalizers (metadata.finalizers, or the kind's own: see
   * Strategy.pendingFinalizers) get a deletionTimestamp and stay until the finalizers are gone.
   * Returns the object and whether it is gone now.
   */
  async delete(
    def: ResourceDef,
    ctx: RequestContext,
    namespace: string | undefined,
    name: string,
    opts: DeleteOptions = {},
  ): Promise<{ object: KObject; deleted: boolean }> {
    const ref = { group: def.group, resource: def.plural };
    const key = this.key(def, ctx.cluster, namespace, name);
    def.strategy.beforeDelete?.(name, ctx);
    for (let attempt = 0; ; attempt++) {
      const kv = await this.storage.get(key);
      if (!kv) throw errors.notFound(ref, name);
      const current = this.decode(def, kv, false);
      const pre = opts.preconditions;
      if (pre?.uid && pre.uid !== current.metadata.uid) {
        throw errors.conflict(
          ref,
          name,
          `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`,
        );
      }
      if (pre?.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
        throw errors.conflict(
          ref,
          name,
          `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`,
        );
      }
      const admission = this.admission;
      if (admission && (admission.mutates("DELETE") || admission.validates("DELETE"))) {
        const attributes = new WriteAttributes(
          "DELETE",
          def,
          ctx,
          name,
          def.namespaced ? current.metadata.namespace : undefined,
          undefined,
          current,
          undefined,
        );
        if (admission.mutates("DELETE")) {
          const pending = admission.admit(attributes);
          if (pending) await pending;
        }
        if (admission.validates("DELETE")) {
          const pending = admission.validate(attributes);
          if (pending) await pending;
        }
      }
      // A kind may add finalizers when deletion starts (CRDs: wait for their custom resources).
      let marked = current;
      if (!current.metadata.deletionTimestamp && def.strategy.prepareForDelete) {
        marked = clone(current);
        def.strategy.prepareForDelete(marked);
      }
      // The propagation policy is kept as the garbage collector's finalizer (orphan, foregroundDeletion);
      // it may change while the object is already being deleted.
      const gcFinalizers = finalizersForDeletion(marked.metadata.finalizers, opts);
      if (gcFinalizers) {
        if (marked === current) marked = clone(current);
        if (gcFinalizers.length) marked.metadata.finalizers = gcFinalizers;
        else delete marked.metadata.finalizers;
      }
      if (hasFinalizers(def, marked)) {
        if (current.metadata.deletionTimestamp && !gcFinalizers) return { object: current, deleted: false };
        const next = clone(marked);
        if (!current.metadata.deletionTimestamp) {
          next.metadata.deletionTimestamp = nowTimestamp();
          // kube's markAsDeleting sets a zero grace period (some registries set only the timestamp).
          if (!def.strategy.noDeletionGracePeriod) next.metadata.deletionGracePeriodSeconds = 0;
        }
        if (ctx.dryRun) return { object: next, deleted: false };
        try {
          const rev = await this.storage.update(key, encodeObject(storedForm(def, next)), kv.modRevision);
          next.metadata.resourceVersion = String(rev);
          return { object: next, deleted: false };
        } catch (e) {
          retryOrThrow(e, ref, name, attempt < MAX_WRITE_ATTEMPTS);
          continue;
        }
      }
      if (ctx.dryRun) return { object: current, deleted: true };
      try {
        await this.storage.delete(key, kv.modRevision);
        return { object: current, deleted: true };
      } catch (e) {
        // Returns to read the object again and retry.
        retryOrThrow(e, ref, name, attempt < MAX_WRITE_ATTEMPTS);
      }
    }
  }
}

/**
 * The kind's rules for an update, by the way it comes in: prepare (the object to store from the
 * desired and the current one) and validate. The strategy's methods are looked up at each call; a
 * subresource's rules are built once per subresource definition (subresourceUpdate).
 */
interface UpdateRules {
  prepare(def: ResourceDef, desired: KObject, current: KObject, ctx: RequestContext): KObject;
  validate(def: ResourceDef, next: KObject, current: KObject, ctx: RequestContext): FieldError[] | undefined;
}

/**
 * Through /status: the status split, in this one place. The status comes from the request and
 * everything else stays as stored (or as the strategy's prepareForStatusUpdate has it), and the
 * strategy's validateStatusUpdate checks it (else its validateUpdate).
 */
const STATUS_UPDATE: UpdateRules = {
  prepare(def, desired, current, ctx) {
    const strategy = def.strategy;
    if (strategy.prepareForStatusUpdate) {
      const next = clone(desired);
      strategy.prepareForStatusUpdate(next, current, ctx);
      return next;
    }
    const next = clone(current);
    if (desired.status === undefined) delete next.status;
    else next.status = desired.status;
    return next;
  },
  validate(def, next, current, ctx) {
    const strategy = def.strategy;
    return (strategy.validateStatusUpdate ?? strategy.validateUpdate)?.call(strategy, next, current, ctx);
  },
};

/**
 * Through the main resource (and the prepare step of a subresource without a prepare of its own,
 * such as scale): a kind with a /status keeps its stored status, then the strategy's
 * prepareForUpdate and validateUpdate.
 */
const MAIN_UPDATE: UpdateRules = {
  prepare(def, desired, current, ctx) {
    const next = desired;
    if (def.strategy.hasStatus) {
      if (current.status === undefined) delete next.status;
      else next.status = clone(current.status);
    }
    def.strategy.prepareForUpdate?.(next, current, ctx);
    return next;
  },
  validate(def, next, current, ctx) {
    return def.strategy.validateUpdate?.call(def.strategy, next, current, ctx);
  },
};

/** Rules of a subresource that updates its parent (approval, finalize): its own prepare, and its validate when it has one. */
function subresourceUpdate(sub: SubresourceDef): UpdateRules {
  const prepare = sub.prepare;
  return {
    prepare: prepare
      ? (_def, desired, current, ctx) => {
          const next = clone(desired);
          prepare.call(sub, next, current, ctx);
          return next;
        }
      : MAIN_UPDATE.prepare,
    validate: (def, next, current, ctx) => (sub.validate ?? def.strategy.validateUpdate)?.call(sub, next, current, ctx),
  };
}

const subresourceRules = new WeakMap<SubresourceDef, UpdateRules>();

/** Which rules an update through `subresource` (undefined or "": the main resource) follows. */
function updateRules(def: ResourceDef, subresource: string | undefined): UpdateRules {
  if (!subresource) return MAIN_UPDATE;
  if (subresource === "status") return STATUS_UPDATE;
  const sub = def.subresources.find((s) => s.name === subresource);
  if (!sub) return MAIN_UPDATE;
  let rules = subresourceRules.get(sub);
  if (!rules) {
    rules = subresourceUpdate(sub);
    subresourceRules.set(sub, rules);
  }
  return rules;
}

/** Empty maps and lists in ObjectMeta are `omitempty` in Go: kube-apiserver never returns `annotations: {}`. */
function dropEmptyMetadata(meta: KObject["metadata"]): void {
  const m = meta as Record<string, unknown>;
  for (const k of ["labels", "annotations", "finalizers", "ownerReferences", "managedFields"]) {
    const v = m[k];
    if (
      v === null ||
      (Array.isArray(v) ? v.length === 0 : typeof v === "object" && v !== undefined && Object.keys(v).length === 0)
    )
      delete m[k];
  }
}

/** What goes to storage for an object as `def` serves it (another version's form when the definition converts). */
function storedForm(def: ResourceDef, obj: KObject): KObject {
  return def.toStorage ? def.toStorage(obj) : obj;
}

function stripRV(o: KObject): KObject {
  const c = { ...o, metadata: { ...o.metadata } };
  delete c.metadata.resourceVersion;
  return c;
}

/** Whether something still holds the object: metadata.finalizers, or the kind's own finalizers. */
function hasFinalizers(def: ResourceDef, obj: KObject): boolean {
  return (obj.metadata.finalizers?.length ?? 0) > 0 || def.strategy.pendingFinalizers?.(obj) === true;
}

function shouldFinishDeletion(def: ResourceDef, obj: KObject): boolean {
  return Boolean(obj.metadata.deletionTimestamp) && !hasFinalizers(def, obj);
}

/** How many times a write is tried while other writers keep changing the object under it. */
const MAX_WRITE_ATTEMPTS = 100;

/**
 * What a failed conditional write (update or delete at the revision read) means. Someone else
 * wrote in between: return, for the caller to read again and retry, when `retry` (it may, and has
 * attempts left), else 409 Conflict. The object is gone: 404. Anything else is thrown as it is.
 */
function retryOrThrow(e: unknown, ref: { group: string; resource: string }, name: string, retry: boolean): void {
  if (e instanceof RevisionMismatchError) {
    if (retry) return;
    throw errors.conflict(ref, name);
  }
  if (e instanceof KeyNotFoundError) throw errors.notFound(ref, name);
  throw e;
}

function nameMismatch(bodyName: unknown, urlName: string): StatusError {
  return errors.badRequest(
    `the name of the object (${String(bodyName ?? "")}) does not match the name on the URL (${urlName})`,
  );
}

export function parseResourceVersion(rv: string): number {
  if (!/^[0-9]+$/.test(rv)) {
    throw errors.badRequest(`invalid resource version "${rv}"`);
  }
  return Number(rv);
}

function tooLargeResourceVersion(requested: number, current: number): StatusError {
  return new StatusError(504, "Timeout", `Too large resource version: ${requested}, current: ${current}`, {
    causes: [{ reason: "ResourceVersionTooLarge", message: `Too large resource version` }],
    retryAfterSeconds: 1,
  });
}
