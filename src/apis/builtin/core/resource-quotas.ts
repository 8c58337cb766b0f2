// core/v1 ResourceQuota: `spec.hard` limits on standard (or qualified) resources, scopes that fit
// those resources and never change, and a status only the quota controller writes (via /status).

import { field, type FieldError } from "../../../machinery/status.ts";
import type { KObject, ResourceDef } from "../../types.ts";
import { goStringSlice } from "../go-values.ts";
import { parseQuantity } from "../../../machinery/quantity.ts";
import {
  builtin,
  keepAllButStatus,
  keepStatus,
  objectAt,
  objects,
  STORED_VERBS,
  statusSubresource,
  str,
  strings,
} from "../strategy-helpers.ts";
import { WireDecoder } from "../wire-decode.ts";
import {
  isStandardQuotaResourceName,
  validateQuotaResourceName,
  validateResourceQuantityValue,
} from "./resource-names.ts";

const wire = new WireDecoder("ResourceQuota", "v1");

const STANDARD_SCOPES = new Set([
  "Terminating",
  "NotTerminating",
  "BestEffort",
  "NotBestEffort",
  "PriorityClass",
  "CrossNamespacePodAffinity",
]);
const POD_COMPUTE = new Set(["cpu", "memory", "limits.cpu", "limits.memory", "requests.cpu", "requests.memory"]);
const CONFLICTING_SCOPES = [
  ["BestEffort", "NotBestEffort"],
  ["Terminating", "NotTerminating"],
];
const EXISTS_ONLY_SCOPES = new Set([
  "BestEffort",
  "NotBestEffort",
  "Terminating",
  "NotTerminating",
  "CrossNamespacePodAffinity",
]);

/** IsResourceQuotaScopeValidForResource: which quota resources each pod scope can limit. */
function scopeFitsResource(scope: string, resource: string): boolean {
  switch (scope) {
    case "Terminating":
    case "NotTerminating":
    case "NotBestEffort":
    case "PriorityClass":
    case "CrossNamespacePodAffinity":
      return resource === "pods" || POD_COMPUTE.has(resource);
    case "BestEffort":
      return resource === "pods";
    default:
      return true;
  }
}

function decode(obj: KObject): void {
  const spec = wire.object(obj.spec, { struct: "ResourceQuota", path: "spec" }, "v1.ResourceQuotaSpec");
  if (spec) {
    const hard = wire.quantityMap(spec.hard, { struct: "ResourceQuotaSpec", path: "spec.hard" });
    if (hard) spec.hard = hard;
    wire.strings(spec.scopes, { struct: "ResourceQuotaSpec", path: "spec.scopes" }, "v1.ResourceQuotaScope");
    const sel = wire.object(
      spec.scopeSelector,
      { struct: "ResourceQuotaSpec", path: "spec.scopeSelector" },
      "v1.ScopeSelector",
    );
    if (sel)
      wire.objectList(
        sel.matchExpressions,
        { struct: "ScopeSelector", path: "spec.scopeSelector.matchExpressions" },
        "v1.ScopedResourceSelectorRequirement",
      );
  }
  const status = wire.object(obj.status, { struct: "ResourceQuota", path: "status" }, "v1.ResourceQuotaStatus");
  if (status) {
    for (const k of ["hard", "used"]) {
      const m = wire.quantityMap(status[k], { struct: "ResourceQuotaStatus", path: `status.${k}` });
      if (m) status[k] = m;
    }
  }
}

function validateQuantities(list: Record<string, unknown>, path: string): FieldError[] {
  return Object.entries(list).flatMap(([k, v]) => [
    ...validateQuotaResourceName(k, `${path}[${k}]`),
    ...validateResourceQuantityValue(k, parseQuantity(String(v)), `${path}[${k}]`),
  ]);
}

function validateSpec(obj: KObject): FieldError[] {
  const spec = objectAt(obj, "spec");
  const hard = objectAt(spec, "hard");
  const hardNames = Object.keys(hard).sort();
  const errs = validateQuantities(hard, "spec.hard");

  const scopes = strings(spec.scopes);
  if (scopes.length) {
    const shown = goStringSlice("core.ResourceQuotaScope", scopes);
    for (const scope of scopes) {
      if (!STANDARD_SCOPES.has(scope))
        errs.push({ ...field.invalid("spec.scopes", scopes, "unsupported scope"), goValue: shown });
      for (const k of hardNames) {
        if (isStandardQuotaResourceName(k) && !scopeFitsResource(scope, k)) {
          errs.push({
            ...field.invalid("spec.scopes", scopes, "unsupported scope applied to resource"),
            goValue: shown,
          });
        }
      }
    }
    for (const pair of CONFLICTING_SCOPES) {
      if (pair.every((s) => scopes.includes(s)))
        errs.push({ ...field.invalid("spec.scopes", scopes, "conflicting scopes"), goValue: shown });
    }
  }

  if (spec.scopeSelector !== undefined && spec.scopeSelector !== null) {
    const path = "spec.scopeSelector.matchExpressions";
    const seen = new Set<string>();
    for (const req of objects(objectAt(spec, "scopeSelector").matchExpressions)) {
      const scope = str(req.scopeName);
      const op = str(req.operator);
      const values = strings(req.values);
      if (!STANDARD_SCOPES.has(scope)) errs.push(field.invalid(`${path}.scopeName`, scope, "unsupported scope"));
      for (const k of hardNames) {
        if (isStandardQuotaResourceName(k) && !scopeFitsResource(scope, k)) {
          errs.push(field.invalid(path, spec.scopeSelector, "unsupported scope applied to resource"));
        }
      }
      if (EXISTS_ONLY_SCOPES.has(scope) && op !== "Exists") {
        errs.push(
          field.invalid(
            `${path}.operator`,
            op,
            "must be 'Exists' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity",
          ),
        );
      }
      if (op === "In" || op === "NotIn") {
        if (values.length === 0)
          errs.push(
            field.required(
              `${path}.values`,
              "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector",
            ),
          );
      } else if (op === "Exists" || op === "DoesNotExist") {
        if (values.length !== 0) {
          errs.push({
            ...field.invalid(
              `${path}.values`,
              values,
              "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector",
            ),
            goValue: goStringSlice("string", values),
          });
        }
      } else {
        errs.push(field.invalid(`${path}.operator`, op, "not a valid selector operator"));
      }
      seen.add(scope);
    }
    for (const pair of CONFLICTING_SCOPES) {
      if (pair.every((s) => seen.has(s)))
        errs.push({
          ...field.invalid(path, scopes, "conflicting scopes"),
          goValue: goStringSlice("core.ResourceQuotaScope", scopes),
        });
    }
  }
  return errs;
}

function validateStatus(obj: KObject): FieldError[] {
  const status = objectAt(obj, "status");
  return [
    ...validateQuantities(objectAt(status, "hard"), "status.hard"),
    ...validateQuantities(objectAt(status, "used"), "status.used"),
  ];
}

export function resourceQuotas(): ResourceDef {
  return builtin({
    group: "",
    version: "v1",
    plural: "resourcequotas",
    singular: "resourcequota",
    kind: "ResourceQuota",
    shortNames: ["quota"],
    namespaced: true,
    verbs: STORED_VERBS,
    subresources: [statusSubresource()],
    strategy: {
      hasStatus: true,
      tracksGeneration: false,
      prepareForCreate(obj) {
        decode(obj);
        if (obj.spec === undefined || obj.spec === null) obj.spec = {};
        // Users may not create a quota with usage filled in; the controller computes it.
        obj.status = {};
      },
      prepareForUpdate(obj, old) {
        decode(obj);
        keepStatus(obj, old);
      },
      prepareForStatusUpdate(obj, old) {
        decode(obj);
        keepAllButStatus(obj, old);
      },
      validate: (obj) => [...validateSpec(obj), ...validateStatus(obj)],
      validateUpdate(obj, old) {
        const errs = validateSpec(obj);
        const now = new Set(strings(objectAt(obj, "spec").scopes));
        const before = new Set(strings(objectAt(old, "spec").scopes));
        if (now.size !== before.size || [...now].some((s) => !before.has(s))) {
          const scopes = strings(objectAt(obj, "spec").scopes);
          errs.push({
            ...field.invalid("spec.scopes", scopes, "field is immutable"),
            goValue: goStringSlice(
              "core.ResourceQuotaScope",
              objectAt(obj, "spec").scopes === undefined ? undefined : scopes,
            ),
          });
        }
        return errs;
      },
      validateStatusUpdate: (obj) => validateStatus(obj),
    },
  });
}
