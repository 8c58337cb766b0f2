// apiregistration.k8s.io/v1 APIService: one per served group-version, named `<version>.<group>`.
// A local one (no spec.service) is served by this server itself; status is written through /status.

import { field, type FieldError } from "../../machinery/status.ts";
import type { KObject, ResourceDef } from "../types.ts";
import { isDNS1123Subdomain } from "../../machinery/validation/names.ts";
import { builtin, keepStatus, objectAt, objects, STORED_VERBS, statusSubresource, str } from "./strategy-helpers.ts";
import { WireDecoder } from "./wire-decode.ts";
import { isDNS1035Label } from "./dns1035-label.ts";

const wire = new WireDecoder("APIService", "v1");

function decode(obj: KObject): void {
  const spec = wire.object(obj.spec, { struct: "APIService", path: "spec" }, "v1.APIServiceSpec");
  if (spec) {
    const at = (f: string) => ({ struct: "APIServiceSpec", path: `spec.${f}` });
    wire.string(spec.group, at("group"));
    wire.string(spec.version, at("version"));
    wire.int(spec.groupPriorityMinimum, at("groupPriorityMinimum"), 32);
    wire.int(spec.versionPriority, at("versionPriority"), 32);
    wire.bool(spec.insecureSkipTLSVerify, at("insecureSkipTLSVerify"));
    const ca = wire.bytes(spec.caBundle, at("caBundle"));
    if (ca) spec.caBundle = ca.toString("base64");
    const svc = wire.object(spec.service, at("service"), "v1.ServiceReference");
    if (svc) {
      for (const f of ["namespace", "name"])
        wire.string(svc[f], { struct: "ServiceReference", path: `spec.service.${f}` });
      wire.int(svc.port, { struct: "ServiceReference", path: "spec.service.port" }, 32);
      // SetDefaults_ServiceReference.
      if (svc.port === undefined || svc.port === null) svc.port = 443;
    }
  }
  const status = wire.object(obj.status, { struct: "APIService", path: "status" }, "v1.APIServiceStatus");
  if (status) {
    for (const c of wire.objectList(
      status.conditions,
      { struct: "APIServiceStatus", path: "status.conditions" },
      "v1.APIServiceCondition",
    ) ?? []) {
      if (c.lastTransitionTime !== undefined) c.lastTransitionTime = wire.time(c.lastTransitionTime, "time") ?? null;
    }
  }
}

function validateAPIService(obj: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = objectAt(obj, "spec");
  const group = str(spec.group);
  const version = str(spec.version);
  const required = `${version}.${group}`;
  const name = str(obj.metadata.name);
  // Checked after the path-segment rule the store applies; kube reports it under metadata.name.
  if (name && !name.includes("/") && !name.includes("%") && name !== required) {
    errs.push(
      field.invalid("metadata.name", name, `must be \`spec.version+"."+spec.group\`: ${JSON.stringify(required)}`),
    );
  }
  if (!group && version !== "v1")
    errs.push(field.required("spec.group", "only v1 may have an empty group and it better be legacy kube"));
  if (group) for (const msg of isDNS1123Subdomain(group)) errs.push(field.invalid("spec.group", group, msg));
  for (const msg of isDNS1035Label(version)) errs.push(field.invalid("spec.version", version, msg));
  const gpm = typeof spec.groupPriorityMinimum === "number" ? spec.groupPriorityMinimum : 0;
  if (gpm <= 0 || gpm > 20000)
    errs.push(field.invalid("spec.groupPriorityMinimum", gpm, "must be positive and less than 20000"));
  const vp = typeof spec.versionPriority === "number" ? spec.versionPriority : 0;
  if (vp <= 0 || vp > 1000) errs.push(field.invalid("spec.versionPriority", vp, "must be positive and less than 1000"));

  const caLen = typeof spec.caBundle === "string" ? Buffer.from(spec.caBundle, "base64").length : 0;
  const insecure = spec.insecureSkipTLSVerify === true;
  if (spec.service === undefined || spec.service === null) {
    if (caLen) errs.push(field.invalid("spec.caBundle", `${caLen} bytes`, "local APIServices may not have a caBundle"));
    if (insecure)
      errs.push(
        field.invalid("spec.insecureSkipTLSVerify", true, "local APIServices may not have insecureSkipTLSVerify"),
      );
    return errs;
  }
  const svc = objectAt(spec, "service");
  if (!str(svc.namespace)) errs.push(field.required("spec.service.namespace"));
  if (!str(svc.name)) errs.push(field.required("spec.service.name"));
  const port = typeof svc.port === "number" ? svc.port : 0;
  if (port < 1 || port > 65535)
    errs.push(field.invalid("spec.service.port", port, "port is not valid: must be between 1 and 65535, inclusive"));
  if (insecure && caLen)
    errs.push(field.invalid("spec.insecureSkipTLSVerify", true, "may not be true if caBundle is present"));
  return errs;
}

function validateStatus(obj: KObject): FieldError[] {
  const errs: FieldError[] = [];
  objects(objectAt(obj, "status").conditions).forEach((c, i) => {
    const s = str(c.status);
    if (s !== "True" && s !== "False" && s !== "Unknown")
      errs.push(field.notSupported(`status.conditions[${i}].status`, s, ["True", "False", "Unknown"]));
  });
  return errs;
}

export function apiregistrationResources(): ResourceDef[] {
  return [
    builtin({
      group: "apiregistration.k8s.io",
      version: "v1",
      plural: "apiservices",
      singular: "apiservice",
      kind: "APIService",
      categories: ["api-extensions"],
      namespaced: false,
      verbs: STORED_VERBS,
      subresources: [statusSubresource()],
      strategy: {
        hasStatus: true,
        tracksGeneration: false,
        nameValidation: "path-segment",
        prepareForCreate(obj) {
          decode(obj);
          obj.status = {};
        },
        prepareForUpdate(obj, old) {
          decode(obj);
          keepStatus(obj, old);
        },
        prepareForStatusUpdate(obj, old) {
          decode(obj);
          // Status writers may change status only: spec and the user-owned metadata stay.
          if (old.spec === undefined) delete obj.spec;
          else obj.spec = structuredClone(old.spec);
          for (const f of ["labels", "annotations", "finalizers", "ownerReferences"] as const) {
            const v = old.metadata[f];
            if (v === undefined) delete obj.metadata[f];
            else obj.metadata[f] = structuredClone(v) as never;
          }
        },
        validate: (obj) => validateAPIService(obj),
        validateUpdate: (obj) => validateAPIService(obj),
        validateStatusUpdate: (obj) => validateStatus(obj),
      },
    }),
  ];
}
