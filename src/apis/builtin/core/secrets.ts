// core/v1 Secret: base64 data, `stringData` folded into `data` on write (kube does it while
// converting, so stringData is never stored or returned), a type that defaults to Opaque and never
// changes, and the per-type key requirements.

import { field, type FieldError } from "../../../machinery/status.ts";
import type { KObject, ResourceDef } from "../../types.ts";
import { isConfigMapKey } from "../../../machinery/validation/names.ts";
import { builtin, fieldValue, STORED_VERBS, str } from "../strategy-helpers.ts";
import { WireDecoder } from "../wire-decode.ts";
import { immutableFieldErrors, MAX_DATA_SIZE } from "./data-limits.ts";

const wire = new WireDecoder("Secret", "v1");

export const SECRET_TYPE_OPAQUE = "Opaque";
export const SERVICE_ACCOUNT_NAME_ANNOTATION = "kubernetes.io/service-account.name";

/** Check types and fold stringData into data, as kube's v1 → internal conversion does. */
function decodeAndNormalize(obj: KObject): void {
  wire.string(obj.type, { struct: "Secret", path: "type" });
  wire.bool(obj.immutable, { struct: "Secret", path: "immutable" });
  const data = wire.bytesMap(obj.data, { struct: "Secret", path: "data" });
  const stringData = wire.stringMap(obj.stringData, { struct: "Secret", path: "stringData" });
  // Re-encoding also gives data the canonical base64 kube would write back.
  // A Map, so that a `__proto__` key is a key like any other (assigning it on `{}` would drop it).
  const merged = new Map<string, string>();
  for (const [k, v] of Object.entries(data ?? {})) merged.set(k, v.toString("base64"));
  for (const [k, v] of Object.entries(stringData ?? {})) merged.set(k, Buffer.from(v ?? "", "utf8").toString("base64"));
  if (data || merged.size > 0) obj.data = Object.fromEntries(merged);
  delete obj.stringData;
  if (!str(obj.type)) obj.type = SECRET_TYPE_OPAQUE;
}

function decodedData(obj: KObject): Record<string, Buffer> {
  return wire.bytesMap(obj.data, { struct: "Secret", path: "data" }) ?? {};
}

/** Go's json.Unmarshal into map[string]interface{}: the error text, or "" when it decodes. */
function jsonObjectError(bytes: Buffer): string {
  const text = bytes.toString("utf8");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    const first = text.trimStart()[0];
    if (first === undefined) return "unexpected end of JSON input";
    return `invalid character '${first}' looking for beginning of value`;
  }
  if (parsed === null || (typeof parsed === "object" && !Array.isArray(parsed))) return "";
  const kind = Array.isArray(parsed) ? "array" : typeof parsed === "boolean" ? "bool" : typeof parsed;
  return `json: cannot unmarshal ${kind} into Go value of type map[string]interface {}`;
}

function validateSecret(obj: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const data = decodedData(obj);
  let total = 0;
  for (const [key, value] of Object.entries(data)) {
    for (const msg of isConfigMapKey(key)) errs.push(field.invalid(`data[${key}]`, key, msg));
    total += value.length;
  }
  if (total > MAX_DATA_SIZE) errs.push(field.tooLong("data", "", MAX_DATA_SIZE));

  const requireKey = (key: string): boolean => {
    if (Object.hasOwn(data, key)) return true;
    errs.push(field.required(`data[${key}]`));
    return false;
  };
  const requireJSON = (key: string) => {
    if (!requireKey(key)) return;
    const msg = jsonObjectError(data[key] as Buffer);
    if (msg) errs.push(field.invalid(`data[${key}]`, "<secret contents redacted>", msg));
  };

  switch (str(obj.type)) {
    case "kubernetes.io/service-account-token":
      // The token and uid come later from the token controller; only the account's name is required.
      if (!obj.metadata.annotations?.[SERVICE_ACCOUNT_NAME_ANNOTATION]) {
        errs.push(field.required(`metadata.annotations[${SERVICE_ACCOUNT_NAME_ANNOTATION}]`));
      }
      break;
    case "kubernetes.io/dockercfg":
      requireJSON(".dockercfg");
      break;
    case "kubernetes.io/dockerconfigjson":
      requireJSON(".dockerconfigjson");
      break;
    case "kubernetes.io/basic-auth":
      // Either may be empty, but one of them must be there.
      if (!Object.hasOwn(data, "username") && !Object.hasOwn(data, "password")) {
        errs.push(field.required("data[username]"), field.required("data[password]"));
      }
      break;
    case "kubernetes.io/ssh-auth":
      if (!data["ssh-privatekey"]?.length) errs.push(field.required("data[ssh-privatekey]"));
      break;
    case "kubernetes.io/tls":
      requireKey("tls.crt");
      requireKey("tls.key");
      break;
    default:
      break;
  }
  return errs;
}

export function secrets(): ResourceDef {
  return builtin({
    group: "",
    version: "v1",
    plural: "secrets",
    singular: "secret",
    kind: "Secret",
    namespaced: true,
    verbs: STORED_VERBS,
    selectableFields: { type: (o) => fieldValue(o, "type") },
    strategy: {
      hasStatus: false,
      tracksGeneration: false,
      prepareForCreate: (obj) => decodeAndNormalize(obj),
      prepareForUpdate: (obj) => decodeAndNormalize(obj),
      validate: (obj) => validateSecret(obj),
      validateUpdate(obj, old) {
        const errs: FieldError[] = [];
        const type = str(obj.type);
        if (type !== str(old.type)) errs.push(field.invalid("type", type, "field is immutable"));
        if (old.immutable === true) errs.push(...immutableFieldErrors(obj, old, ["data"]));
        errs.push(...validateSecret(obj));
        return errs;
      },
    },
  });
}
