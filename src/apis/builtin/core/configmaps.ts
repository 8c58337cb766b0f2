// core/v1 ConfigMap: keys that can become file names, at most 1 MiB of data in all, and
// `immutable: true` freezing data, binaryData and the flag itself.

import { field, type FieldError } from "../../../machinery/status.ts";
import type { KObject, ResourceDef } from "../../types.ts";
import { isConfigMapKey } from "../../../machinery/validation/names.ts";
import { builtin, STORED_VERBS } from "../strategy-helpers.ts";
import { isObject } from "../../../machinery/object.ts";
import { WireDecoder } from "../wire-decode.ts";
import { immutableFieldErrors, MAX_DATA_SIZE } from "./data-limits.ts";

const wire = new WireDecoder("ConfigMap", "v1");

/** Type checks and base64 checks; returns the decoded binaryData for size accounting. */
function decode(obj: KObject): Record<string, Buffer> {
  wire.stringMap(obj.data, { struct: "ConfigMap", path: "data" });
  wire.bool(obj.immutable, { struct: "ConfigMap", path: "immutable" });
  return wire.bytesMap(obj.binaryData, { struct: "ConfigMap", path: "binaryData" }) ?? {};
}

/** binaryData as kube writes it back: decoded, then base64 again (line breaks gone). */
function canonicalize(obj: KObject): void {
  const binary = decode(obj);
  if (obj.binaryData === undefined || obj.binaryData === null) return;
  obj.binaryData = Object.fromEntries(Object.entries(binary).map(([k, v]) => [k, v.toString("base64")]));
}

function validateConfigMap(obj: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const binary = decode(obj);
  // The string values of data (decode refused any other but null), read in place: a copy of a
  // map of 40,000 keys took longer than the checks themselves.
  const data = isObject(obj.data) ? obj.data : {};
  let total = 0;
  for (const key of Object.keys(data)) {
    const value = data[key];
    if (typeof value !== "string") continue;
    for (const msg of isConfigMapKey(key)) errs.push(field.invalid(`data[${key}]`, key, msg));
    if (Object.hasOwn(binary, key))
      errs.push(field.invalid(`data[${key}]`, key, "duplicate of key present in binaryData"));
    total += Buffer.byteLength(value, "utf8");
  }
  for (const [key, value] of Object.entries(binary)) {
    for (const msg of isConfigMapKey(key)) errs.push(field.invalid(`binaryData[${key}]`, key, msg));
    total += value.length;
  }
  // kube reports the size against the whole object, an empty path that prints as "[]".
  if (total > MAX_DATA_SIZE) errs.push(field.tooLong("[]", "", MAX_DATA_SIZE));
  return errs;
}

export function configMaps(): ResourceDef {
  return builtin({
    group: "",
    version: "v1",
    plural: "configmaps",
    singular: "configmap",
    kind: "ConfigMap",
    shortNames: ["cm"],
    namespaced: true,
    verbs: STORED_VERBS,
    strategy: {
      hasStatus: false,
      tracksGeneration: false,
      prepareForCreate: (obj) => canonicalize(obj),
      prepareForUpdate: (obj) => canonicalize(obj),
      validate: (obj) => validateConfigMap(obj),
      validateUpdate(obj, old) {
        const errs: FieldError[] = [];
        if (old.immutable === true) {
          errs.push(...immutableFieldErrors(obj, old, ["data", "binaryData"]));
        }
        errs.push(...validateConfigMap(obj));
        return errs;
      },
    },
  });
}
