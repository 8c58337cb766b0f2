// POST (create), PUT (update) and PATCH, for the main resource and its subresources.

import type { ResourceRegistry } from "../../apis/registry.ts";
import type { ObjectStore } from "../../apis/store.ts";
import type { KObject, RequestContext, ResourceDef, SubresourceDef } from "../../apis/types.ts";
import { decodeJsonPatch } from "../../machinery/patch/json-patch.ts";
import { decodeMergePatch } from "../../machinery/patch/merge-patch.ts";
import { isLarge, runTask, STEPWISE_MIN_STORED_BYTES, yieldToEventLoop } from "../../apis/offload/offload.ts";
import { toPortableDef } from "../../apis/offload/portable-def.ts";
import { queryBool } from "../../machinery/parse-bool.ts";
import { handleApply } from "./apply-patch.ts";
import { checkPatchedFields } from "./patch-field-validation.ts";
import { validateWriteOptions } from "./write-options.ts";
import type { ResourceRequestInfo } from "../request-info.ts";
import { errors, isStatusError } from "../../machinery/status.ts";
import { mediaType, PATCH_TYPES, parseJsonDocument, readBodyText, readObjectBody } from "./body.ts";
import { jsonResponse, jsonTextResponse } from "./respond.ts";
import { capabilitiesOf } from "../../apis/capabilities.ts";
import { isObject } from "../../machinery/object.ts";
import { type RequestLimits, requestLimitsFor } from "../../machinery/request-limits.ts";

/** What a request may send and build: it follows the storage's object size limit (`--max-object-size`). */
export function requestLimitsOf(store: ObjectStore): RequestLimits {
  return requestLimitsFor(store.storage.maxValueBytes);
}

/** The subresource a request is for, when it is served as another kind (a custom resource's Scale). */
function viewOf(def: ResourceDef, info: ResourceRequestInfo): SubresourceDef | undefined {
  const sub = info.subresource === undefined ? undefined : def.subresources.find((s) => s.name === info.subresource);
  return sub?.view && sub.fromView ? sub : undefined;
}

/** The group, version and kind a body must name: the subresource's own kind when it has one. */
function bodyTypeOf(def: ResourceDef, sub: SubresourceDef | undefined): ResourceDef {
  return sub?.kind
    ? { ...def, group: sub.group ?? def.group, version: sub.version ?? def.version, kind: sub.kind }
    : def;
}

/** The JSON type of a value as Go's encoding/json names it in errors. */
function jsonTypeName(v: unknown): string {
  if (Array.isArray(v)) return "array";
  if (typeof v === "object") return "object";
  return typeof v === "boolean" ? "bool" : typeof v;
}

/**
 * kube reads apiVersion and kind as Go strings before anything else: any other JSON type is a 400
 * (and String() of an object whose `toString` is not a function would throw).
 */
function checkTypeMetaStrings(body: Record<string, unknown>): void {
  for (const field of ["apiVersion", "kind"] as const) {
    const v = body[field];
    if (v !== undefined && v !== null && typeof v !== "string") {
      throw errors.badRequest(
        `couldn't get version/kind; json parse error: json: cannot unmarshal ${jsonTypeName(v)} into Go struct field .${field} of type string`,
      );
    }
  }
}

/** Check that a body's apiVersion/kind, when given, are those of the resource. */
function checkTypeMeta(def: ResourceDef, body: Record<string, unknown>): void {
  checkTypeMetaStrings(body);
  const want = def.group ? `${def.group}/${def.version}` : def.version;
  if (body.apiVersion !== undefined && body.apiVersion !== "" && body.apiVersion !== want) {
    throw errors.badRequest(
      `the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${want})`,
    );
  }
  if (body.kind !== undefined && body.kind !== "" && body.kind !== def.kind) {
    throw errors.badRequest(
      `${String(body.kind)} in version "${def.version}" cannot be handled as a ${def.kind}: the kind in the data does not match the expected kind ${def.kind}`,
    );
  }
  // The metadata strings every later step reads as strings (names are validated, hashed, keyed on).
  if (body.metadata && typeof body.metadata === "object" && !Array.isArray(body.metadata)) {
    const meta = body.metadata as Record<string, unknown>;
    const wrongType = (field: string, v: unknown, goType: string) =>
      errors.badRequest(
        `${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: json: cannot unmarshal ${jsonTypeName(v)} into Go struct field ObjectMeta.metadata.${field} of type ${goType}`,
      );
    for (const field of ["name", "generateName", "namespace", "uid", "resourceVersion"]) {
      const v = Object.hasOwn(meta, field) ? meta[field] : undefined;
      if (v !== undefined && v !== null && typeof v !== "string") throw wrongType(field, v, "string");
    }
    // Labels and annotations are read as string maps everywhere (`in`, selectors, admission).
    for (const field of ["labels", "annotations"]) {
      const v = Object.hasOwn(meta, field) ? meta[field] : undefined;
      if (v === undefined || v === null) continue;
      if (typeof v !== "object" || Array.isArray(v)) throw wrongType(field, v, "map[string]string");
      for (const value of Object.values(v))
        if (value !== null && typeof value !== "string") throw wrongType(field, value, "string");
    }
  }
  if (
    body.metadata !== undefined &&
    (body.metadata === null || typeof body.metadata !== "object" || Array.isArray(body.metadata))
  ) {
    throw errors.badRequest(
      `${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: json: cannot unmarshal into Go struct field ${def.kind}.metadata of type v1.ObjectMeta`,
    );
  }
}

export async function handleCreate(
  store: ObjectStore,
  def: ResourceDef,
  info: ResourceRequestInfo,
  req: Request,
  ctx: RequestContext,
  query: URLSearchParams,
): Promise<Response> {
  validateWriteOptions("CreateOptions", query);
  const body = await readObjectBody(req, def, info.subresource, requestLimitsOf(store));
  checkTypeMeta(def, body);
  const obj = body as KObject;
  if (!obj.metadata) obj.metadata = {};
  if (def.mode === "virtual") {
    if (!def.handleCreate) throw errors.methodNotAllowed();
    const out = await def.handleCreate(obj, ctx);
    return jsonResponse(out, 201, ctx);
  }
  const { object, json } = await store.createServed(def, ctx, obj, info.namespace);
  return json === undefined ? jsonResponse(object, 201, ctx) : jsonTextResponse(json, 201, ctx);
}

/**
 * POST to a subresource: its own handler (SubresourceDef.create) answers from the body decoded as
 * the subresource's kind, with 201; nothing is stored. Without a handler: 405.
 */
export async function handleSubresourceCreate(
  store: ObjectStore,
  registry: ResourceRegistry,
  def: ResourceDef,
  info: ResourceRequestInfo,
  req: Request,
  ctx: RequestContext,
): Promise<Response> {
  const sub = def.subresources.find((s) => s.name === info.subresource);
  if (!sub?.create) throw errors.methodNotAllowed();
  const body = await readObjectBody(req, def, info.subresource, requestLimitsOf(store));
  checkTypeMetaStrings(body);
  if (!isObject(body.metadata)) body.metadata = {};
  await store.admitSubresourceCreate(def, sub.name, info.name as string, info.namespace, body as KObject, ctx);
  const out = await sub.create({
    def,
    name: info.name as string,
    namespace: info.namespace,
    body,
    ctx,
    get: (d, namespace, name) => store.get(d, ctx.cluster, namespace, name),
    lookup: (group, version, resource) => registry.lookup(ctx.cluster, group, version, resource),
  });
  return jsonResponse(out, 201, ctx);
}

export async function handleUpdate(
  store: ObjectStore,
  def: ResourceDef,
  info: ResourceRequestInfo,
  req: Request,
  ctx: RequestContext,
  query: URLSearchParams,
): Promise<Response> {
  validateWriteOptions("UpdateOptions", query);
  const body = await readObjectBody(req, def, info.subresource, requestLimitsOf(store));
  const view = viewOf(def, info);
  checkTypeMeta(bodyTypeOf(def, view), body);
  const desired = body as KObject;
  if (!desired.metadata) desired.metadata = {};
  const name = info.name as string;
  if (desired.metadata.name === undefined || desired.metadata.name === "") {
    throw errors.badRequest(`the name of the object () does not match the name on the URL (${name})`);
  }
  const { object, created } = await store.update(
    def,
    ctx,
    info.namespace,
    name,
    (current) => (view?.fromView ? view.fromView(desired, current) : desired),
    {
      subresource: info.subresource,
      allowCreate: def.allowCreateOnUpdate === true,
    },
  );
  return jsonResponse(view?.view ? view.view(object) : object, created ? 201 : 200, ctx);
}

/** The patch types a kind accepts: strategic merge patch needs a built-in kind's Go types (kube: 415 for custom resources). */
function patchTypesOf(def: ResourceDef): string[] {
  return capabilitiesOf(def).strategicMergePatch
    ? [PATCH_TYPES.json, PATCH_TYPES.merge, PATCH_TYPES.strategic, PATCH_TYPES.apply]
    : [PATCH_TYPES.json, PATCH_TYPES.merge, PATCH_TYPES.apply];
}

/** A strategic merge patch body: a JSON object (null is an empty patch). */
function decodeStrategicPatch(raw: unknown): Record<string, unknown> {
  if (raw === null) return {};
  if (typeof raw === "object" && !Array.isArray(raw)) return raw as Record<string, unknown>;
  const type = Array.isArray(raw) ? "array" : typeof raw === "boolean" ? "bool" : typeof raw;
  throw errors.badRequest(`json: cannot unmarshal ${type} into Go value of type map[string]interface {}`);
}

/**
 * A patch of a built-in object the logical cluster does not store (kube's default ClusterRoles,
 * ResourceDef.builtinObjects) patches a stored copy of it, made now: `kubectl edit clusterrole view`
 * and client-side `kubectl apply` change the default in this logical cluster only. Not on dry run.
 */
async function storeBuiltinCopy(
  store: ObjectStore,
  def: ResourceDef,
  info: ResourceRequestInfo,
  ctx: RequestContext,
): Promise<void> {
  if (!def.builtinObjects || info.wildcard || ctx.dryRun || info.subresource) return;
  const name = info.name as string;
  const builtin = def.builtinObjects().find((o) => o.metadata.name === name);
  if (!builtin || (await store.tryGet(def, info.cluster, info.namespace, name))) return;
  const { uid: _uid, resourceVersion: _rv, creationTimestamp: _ct, ...meta } = builtin.metadata;
  const copy = { ...structuredClone(builtin), metadata: structuredClone(meta) } as KObject;
  try {
    await store.create(def, ctx, copy, info.namespace);
  } catch (e) {
    // Made by a concurrent request meanwhile: patch that one.
    if (!(isStatusError(e) && e.code === 409)) throw e;
  }
}

export async function handlePatch(
  store: ObjectStore,
  def: ResourceDef,
  info: ResourceRequestInfo,
  req: Request,
  ctx: RequestContext,
  query: URLSearchParams,
): Promise<Response> {
  const type = mediaType(req.headers.get("content-type"));
  const accepted = patchTypesOf(def);
  if (!accepted.includes(type)) throw errors.unsupportedMediaType(type, accepted);
  validateWriteOptions("PatchOptions", query, type);
  const limits = requestLimitsOf(store);
  const text = await readBodyText(req, limits.maxBodyBytes);
  if (type === PATCH_TYPES.apply) {
    if (viewOf(def, info)) throw errors.unsupportedMediaType(type, [PATCH_TYPES.json, PATCH_TYPES.merge]);
    return handleApply(store, def, info, text, ctx, queryBool(query.get("force")));
  }
  const raw = await parseJsonDocument(text);
  // A large patch: let others be served between parsing it and reading the object.
  if (text.length > STEPWISE_MIN_STORED_BYTES) await yieldToEventLoop();
  const patch: unknown =
    type === PATCH_TYPES.json
      ? decodeJsonPatch(raw)
      : type === PATCH_TYPES.strategic
        ? decodeStrategicPatch(raw)
        : decodeMergePatch(raw);
  await storeBuiltinCopy(store, def, info, ctx);
  const name = info.name as string;
  const view = viewOf(def, info);
  // A patch that names a resourceVersion makes it a precondition; otherwise the patch is retried
  // on concurrent writes, as kube-apiserver does.
  const pinsRV =
    type === PATCH_TYPES.json
      ? (patch as { path?: unknown }[]).some((op) => op && op.path === "/metadata/resourceVersion")
      : (patch as { metadata?: { resourceVersion?: unknown } }).metadata?.resourceVersion != null;
  // A large object or patch is patched in the offload worker (src/apis/offload), off the event loop.
  const patchType = type === PATCH_TYPES.json ? "json" : type === PATCH_TYPES.strategic ? "strategic" : "merge";
  const { object } = await store.update(
    def,
    ctx,
    info.namespace,
    name,
    async (current) => {
      // A subresource served as another kind is patched in that kind, then applied to the parent.
      const target = view?.view ? view.view(current) : current;
      const large = isLarge(target, patch);
      const patched = (await runTask(
        "patch",
        { type: patchType, def: toPortableDef(def), target, patch, maxCopyBytes: limits.maxCopyBytes },
        large,
      )) as KObject;
      // The checks below walk the whole patched object: let others in first.
      if (large) await yieldToEventLoop();
      if (patched === null || typeof patched !== "object" || Array.isArray(patched))
        throw errors.badRequest("the patched object is not a JSON object");
      checkTypeMeta(bodyTypeOf(def, view), patched as Record<string, unknown>);
      if (!view) checkPatchedFields(def, ctx, patched, type, patch);
      if (!patched.metadata) patched.metadata = {};
      if (!pinsRV) delete patched.metadata.resourceVersion;
      return view?.fromView ? view.fromView(patched, current) : patched;
    },
    { subresource: info.subresource },
  );
  return jsonResponse(view?.view ? view.view(object) : object, 200, ctx);
}
