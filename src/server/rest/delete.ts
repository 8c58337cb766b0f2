// DELETE of one object and of a collection (deletecollection).

import type { ObjectStore } from "../../apis/store.ts";
import { apiVersionOf } from "../../apis/object-codec.ts";
import type { KObject, RequestContext, ResourceDef } from "../../apis/types.ts";
import type { ResourceRequestInfo } from "../request-info.ts";
import { errors, field } from "../../machinery/status.ts";
import { decodeProtobufObject, PROTOBUF_MEDIA_TYPE } from "../../apis/protobuf/decode-object.ts";
import { mediaType, parseDocument, readBodyBytes } from "./body.ts";
import { parseListOptions } from "./list-query.ts";
import { jsonResponse, successStatus } from "./respond.ts";
import { capabilitiesOf } from "../../apis/capabilities.ts";

interface DeleteOptionsBody {
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: string[];
  propagationPolicy?: string;
  orphanDependents?: boolean;
  gracePeriodSeconds?: number;
}

type Policy = "Orphan" | "Background" | "Foreground";

/** The Go type of each DeleteOptions field, as kube decodes it: another JSON type is a 400. */
const DELETE_OPTION_TYPES: Record<string, [string, (v: unknown) => boolean]> = {
  dryRun: ["[]string", (v) => Array.isArray(v) && v.every((d) => typeof d === "string")],
  propagationPolicy: ["v1.DeletionPropagation", (v) => typeof v === "string"],
  orphanDependents: ["bool", (v) => typeof v === "boolean"],
  gracePeriodSeconds: ["int64", (v) => Number.isSafeInteger(v)],
  preconditions: [
    "v1.Preconditions",
    (v) =>
      typeof v === "object" &&
      !Array.isArray(v) &&
      ["uid", "resourceVersion"].every(
        (k) =>
          !Object.hasOwn(v as object, k) ||
          typeof (v as Record<string, unknown>)[k] === "string" ||
          (v as Record<string, unknown>)[k] === null,
      ),
  ],
};

function checkDeleteOptionTypes(doc: Record<string, unknown>): void {
  for (const [name, [goType, fits]] of Object.entries(DELETE_OPTION_TYPES)) {
    if (!Object.hasOwn(doc, name) || doc[name] === null || fits(doc[name])) continue;
    throw errors.badRequest(
      `json: cannot unmarshal ${JSON.stringify(doc[name])?.slice(0, 64)} into Go struct field DeleteOptions.${name} of type ${goType}`,
    );
  }
}

/** DeleteOptions come as a body (JSON, YAML or protobuf; with or without TypeMeta) or as query parameters. */
async function readDeleteOptions(req: Request, query: URLSearchParams): Promise<DeleteOptions> {
  const bytes = await readBodyBytes(req);
  const type = mediaType(req.headers.get("content-type")) || "application/json";
  const text = type === PROTOBUF_MEDIA_TYPE ? "" : Buffer.from(bytes).toString("utf8");
  let opts: DeleteOptionsBody = {};
  if (type === PROTOBUF_MEDIA_TYPE && bytes.length > 0) {
    opts = decodeProtobufObject(bytes, {
      group: "meta.k8s.io",
      version: "v1",
      kind: "DeleteOptions",
    }) as DeleteOptionsBody;
  } else if (text.trim() !== "") {
    const doc = parseDocument(text, type);
    if (doc === null || typeof doc !== "object" || Array.isArray(doc))
      throw errors.badRequest("the DeleteOptions body is not a JSON object");
    checkDeleteOptionTypes(doc as Record<string, unknown>);
    opts = doc as DeleteOptionsBody;
  }
  const policy = opts.propagationPolicy ?? query.get("propagationPolicy") ?? undefined;
  if (policy !== undefined && !["Orphan", "Background", "Foreground"].includes(policy)) {
    throw errors.invalid("DeleteOptions", "", "", [
      field.notSupported("propagationPolicy", policy, ["Foreground", "Background", "Orphan"]),
    ]);
  }
  if (opts.dryRun?.some((d) => d !== "All"))
    throw errors.invalid("DeleteOptions", "", "", [field.notSupported("dryRun", opts.dryRun, ["All"])]);
  let orphan = opts.orphanDependents ?? undefined;
  const orphanQuery = query.get("orphanDependents");
  if (orphan === undefined && orphanQuery !== null) orphan = orphanQuery === "true";
  if (orphan !== undefined && typeof orphan !== "boolean")
    throw errors.badRequest("DeleteOptions.orphanDependents must be a boolean");
  if (orphan !== undefined && policy !== undefined) {
    throw errors.invalid("DeleteOptions", "", "", [
      field.invalid("orphanDependents", orphan, "OrphanDependents and DeletionPropagation cannot be both set"),
    ]);
  }
  return { ...opts, propagationPolicy: policy as Policy | undefined, orphanDependents: orphan };
}

type DeleteOptions = Omit<DeleteOptionsBody, "propagationPolicy"> & { propagationPolicy?: Policy };

/** What the store needs of DeleteOptions beyond dry run. */
function storeOptions(opts: DeleteOptions) {
  return { propagationPolicy: opts.propagationPolicy, orphanDependents: opts.orphanDependents };
}

function deletedResponse(def: ResourceDef, obj: KObject, deleted: boolean, ctx: RequestContext): Response {
  if (!deleted || capabilitiesOf(def).deleteReturnsObject) return jsonResponse(obj, 200, ctx);
  const details: Record<string, unknown> = { name: obj.metadata.name, kind: def.plural, uid: obj.metadata.uid };
  if (def.group) details.group = def.group;
  return jsonResponse(successStatus(details), 200, ctx);
}

export async function handleDelete(
  store: ObjectStore,
  def: ResourceDef,
  info: ResourceRequestInfo,
  req: Request,
  query: URLSearchParams,
  ctx: RequestContext,
): Promise<Response> {
  const opts = await readDeleteOptions(req, query);
  if (opts.dryRun?.length) ctx.dryRun = true;
  const { object, deleted } = await store.delete(def, ctx, info.namespace, info.name as string, {
    preconditions: opts.preconditions,
    ...storeOptions(opts),
  });
  return deletedResponse(def, object, deleted, ctx);
}

export async function handleDeleteCollection(
  store: ObjectStore,
  def: ResourceDef,
  info: ResourceRequestInfo,
  req: Request,
  query: URLSearchParams,
  ctx: RequestContext,
): Promise<Response> {
  const opts = await readDeleteOptions(req, query);
  if (opts.dryRun?.length) ctx.dryRun = true;
  const listOpts = parseListOptions(def, query);
  delete listOpts.limit;
  delete listOpts.continue;
  const { items, resourceVersion } = await store.list(def, info.cluster, info.namespace, listOpts);
  const out: KObject[] = [];
  for (const item of items) {
    try {
      const { object } = await store.delete(
        def,
        ctx,
        item.metadata.namespace,
        item.metadata.name as string,
        storeOptions(opts),
      );
      out.push(object);
    } catch (e) {
      // Deleted meanwhile by someone else: that is what was asked for.
      if (!(e instanceof Error && "code" in e && (e as { code: number }).code === 404)) throw e;
    }
  }
  return jsonResponse(
    { kind: def.listKind, apiVersion: apiVersionOf(def), metadata: { resourceVersion }, items: out },
    200,
    ctx,
  );
}
