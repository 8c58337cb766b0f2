// The work kcp may move off the event loop, by name: each task is a pure function of plain data,
// run in the offload worker for large inputs and inline for small ones (offload.ts decides).

import { applyJsonPatch } from "../../machinery/patch/json-patch.ts";
import { applyMergePatch } from "../../machinery/patch/merge-patch.ts";
import { applyStrategicMergePatch } from "../../machinery/patch/strategic-merge-patch.ts";
import { duplicateFieldsIn } from "../crd/duplicate-fields.ts";
import { checkJsonDepth } from "../../machinery/document-limits.ts";
import { errors } from "../../machinery/status.ts";
import { parseYaml } from "../../machinery/yaml-document.ts";
import { trackApply, trackUpdate } from "../fieldmanager/field-manager.ts";
import type { ManagedFieldsEntry } from "../fieldmanager/managed-fields.ts";
import { decodeProtobufObject, type ExpectedKind } from "../protobuf/decode-object.ts";
import { schemaNodeOf } from "../schema-node.ts";
import type { KObject } from "../types.ts";
import { fromPortableDef, type PortableDef } from "./portable-def.ts";

export interface PortableWrite {
  def: PortableDef;
  subresource?: string;
  manager: string;
  now?: string;
}

export interface Tasks {
  /** A JSON, merge or strategic merge patch applied to `target` (a JSON Patch's copies within `maxCopyBytes`). */
  patch(input: {
    type: "json" | "merge" | "strategic";
    def: PortableDef;
    target: unknown;
    patch: unknown;
    maxCopyBytes?: number;
  }): unknown;
  /** Server-side apply (trackApply). */
  apply(input: { write: PortableWrite; live: KObject | undefined; config: KObject; force: boolean }): KObject;
  /** The managed fields of a create, update or patch (trackUpdate). */
  trackUpdate(input: {
    write: PortableWrite;
    live: KObject | undefined;
    next: KObject;
    requested: unknown;
  }): ManagedFieldsEntry[] | undefined;
  /** One YAML document (parseYaml). */
  parseYaml(input: { text: string; errorPrefix: string; maxDecodedBytes?: number }): unknown;
  /**
   * One JSON document within the depth limit, and its duplicated keys (duplicateFieldsIn); a
   * syntax error is a 400 whose message starts with `errorPrefix`.
   */
  parseJson(input: { text: string; errorPrefix: string; duplicates: boolean }): {
    value: unknown;
    duplicates: string[];
  };
  /** A protobuf request body of the expected kind (decodeProtobufObject, every bound and error included). */
  decodeProtobuf(input: {
    body: Uint8Array;
    expected: ExpectedKind;
    maxDecodedBytes?: number;
  }): Record<string, unknown>;
}

/** Tasks whose input is text or bytes: it crosses to the worker as it is (one copy), not as JSON. */
export const RAW_INPUT: ReadonlySet<TaskName> = new Set<TaskName>(["parseYaml", "parseJson", "decodeProtobuf"]);

export type TaskName = keyof Tasks;

const write = (w: PortableWrite) => ({
  def: fromPortableDef(w.def),
  manager: w.manager,
  ...(w.subresource !== undefined ? { subresource: w.subresource } : {}),
  ...(w.now !== undefined ? { now: w.now } : {}),
});

export const TASKS: Tasks = {
  patch({ type, def, target, patch, maxCopyBytes }) {
    if (type === "json") return applyJsonPatch(target, patch, maxCopyBytes !== undefined ? { maxCopyBytes } : {});
    if (type === "strategic")
      return applyStrategicMergePatch(target, patch as Record<string, unknown>, schemaNodeOf(fromPortableDef(def)));
    return applyMergePatch(target, patch);
  },
  apply({ write: w, live, config, force }) {
    return trackApply(write(w), live, config, force);
  },
  trackUpdate({ write: w, live, next, requested }) {
    return trackUpdate(write(w), live, next, requested);
  },
  parseYaml({ text, errorPrefix, maxDecodedBytes }) {
    return parseYaml(text, errorPrefix, maxDecodedBytes);
  },
  parseJson({ text, errorPrefix, duplicates }) {
    checkJsonDepth(text);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw errors.badRequest(`${errorPrefix}: ${(e as Error).message}`);
    }
    return { value, duplicates: duplicates ? duplicateFieldsIn(value, text) : [] };
  },
  decodeProtobuf({ body, expected, maxDecodedBytes }) {
    return decodeProtobufObject(body, expected, maxDecodedBytes);
  },
};
