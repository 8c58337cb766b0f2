// PATCH with application/apply-patch+yaml: server-side apply. The body (YAML, or JSON, which is
// YAML) is the manager's whole intent for the object; the object is created when it does not
// exist (201). Field ownership, conflicts and managedFields are the field manager's business
// (src/apis/fieldmanager); a resourceVersion in the body is a precondition.

import {
  isLarge,
  jsonIsLarge,
  OFFLOAD_MIN_YAML_BYTES,
  runTask,
  STEPWISE_MIN_STORED_BYTES,
  yieldToEventLoop,
} from "../../apis/offload/offload.ts";
import { toPortableDef } from "../../apis/offload/portable-def.ts";
import type { ObjectStore } from "../../apis/store.ts";
import type { KObject, RequestContext, ResourceDef } from "../../apis/types.ts";
import type { ResourceRequestInfo } from "../request-info.ts";
import { errors } from "../../machinery/status.ts";
import { jsonResponse } from "./respond.ts";
import { parseYaml } from "../../machinery/yaml-document.ts";
import { isObject } from "../../machinery/object.ts";
import { requestLimitsFor } from "../../machinery/request-limits.ts";

const YAML_ERROR = "error decoding YAML";

export function parseApplyConfiguration(text: string): KObject {
  return applyConfigurationOf(parseYaml(text, YAML_ERROR));
}

/** parseApplyConfiguration, in the offload worker for a large body. */
async function readApplyConfiguration(text: string, maxDecodedBytes: number): Promise<KObject> {
  // JSON (kubectl's apply bodies) is parsed inline by JSON.parse in milliseconds, unless it holds
  // many members (40,000 keys: 50-150 ms); YAML over 64 KiB goes to the worker.
  const large = text.length > OFFLOAD_MIN_YAML_BYTES && (!/^\s*\{/.test(text) || jsonIsLarge(text));
  return applyConfigurationOf(await runTask("parseYaml", { text, errorPrefix: YAML_ERROR, maxDecodedBytes }, large));
}

function applyConfigurationOf(parsed: unknown): KObject {
  let doc = parsed;
  if (doc === null || doc === undefined) doc = {};
  if (!isObject(doc)) throw errors.badRequest("error decoding YAML: the apply configuration is not an object");
  if (doc.metadata !== undefined && doc.metadata !== null && !isObject(doc.metadata)) {
    throw errors.badRequest("error decoding YAML: metadata must be an object");
  }
  return doc as KObject;
}

export async function handleApply(
  store: ObjectStore,
  def: ResourceDef,
  info: ResourceRequestInfo,
  text: string,
  ctx: RequestContext,
  force: boolean,
): Promise<Response> {
  const config = await readApplyConfiguration(text, requestLimitsFor(store.storage.maxValueBytes).maxDecodedBytes);
  if (text.length > STEPWISE_MIN_STORED_BYTES) await yieldToEventLoop();
  const name = info.name as string;
  const manager = ctx.fieldManager ?? "";
  const meta = (config.metadata ?? {}) as KObject["metadata"];
  const pinsRV = typeof meta.resourceVersion === "string" && meta.resourceVersion !== "";
  // The same warnings list: what the write path warns about reaches the response.
  const applyCtx: RequestContext = { ...ctx, applying: true };
  const { object, created } = await store.update(
    def,
    applyCtx,
    info.namespace,
    name,
    async (current) => {
      // The store hands a stand-in without a uid when the object does not exist.
      const exists = current.metadata.uid !== undefined;
      if (!exists && typeof meta.uid === "string" && meta.uid !== "") {
        throw errors.conflict(
          { group: def.group, resource: def.plural },
          name,
          `uid mismatch: the provided object specified uid ${meta.uid}, and no existing object was found`,
        );
      }
      // A large apply is merged and tracked in the offload worker, off the event loop.
      const write = {
        def: toPortableDef(def),
        manager,
        ...(info.subresource ? { subresource: info.subresource } : {}),
      };
      const live = exists ? current : undefined;
      const out = await runTask("apply", { write, live, config, force }, isLarge(live, config));
      if (!pinsRV) delete out.metadata.resourceVersion;
      return out;
    },
    { subresource: info.subresource, allowCreate: info.subresource === undefined },
  );
  return jsonResponse(object, created ? 201 : 200, ctx);
}
