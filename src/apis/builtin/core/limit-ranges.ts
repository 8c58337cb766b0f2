// core/v1 LimitRange: one item per limit type (Pod, Container, PersistentVolumeClaim or a qualified
// name), quantities in canonical form, and min ≤ defaultRequest ≤ default ≤ max per resource.

import { field, type FieldError } from "../../../machinery/status.ts";
import type { KObject, ResourceDef } from "../../types.ts";
import { isQualifiedName } from "../../../machinery/validation/names.ts";
import { compareQuantities, formatQuantity, parseQuantity, type Quantity } from "../../../machinery/quantity.ts";
import { builtin, objectAt, objects, STORED_VERBS, str } from "../strategy-helpers.ts";
import { WireDecoder } from "../wire-decode.ts";
import { isOvercommitAllowed, validateContainerResourceName, validateResourceName } from "./resource-names.ts";

const wire = new WireDecoder("LimitRange", "v1");
const STANDARD_LIMIT_TYPES = new Set(["Pod", "Container", "PersistentVolumeClaim"]);
const QUANTITY_MAPS = ["max", "min", "default", "defaultRequest", "maxLimitRequestRatio"] as const;

/** Type checks; quantities are rewritten in kube's canonical form. */
function decode(obj: KObject): void {
  const spec = wire.object(obj.spec, { struct: "LimitRange", path: "spec" }, "v1.LimitRangeSpec");
  if (!spec) return;
  const items = wire.objectList(spec.limits, { struct: "LimitRangeSpec", path: "spec.limits" }, "v1.LimitRangeItem");
  if (!items) return;
  spec.limits = items.map((item) => {
    wire.string(item.type, { struct: "LimitRangeItem", path: "spec.limits.type" });
    for (const m of QUANTITY_MAPS) {
      const q = wire.quantityMap(item[m], { struct: "LimitRangeItem", path: `spec.limits.${m}` });
      if (q) item[m] = q;
    }
    return item;
  });
}

function quantities(item: Record<string, unknown>, key: string): Map<string, Quantity> {
  return new Map(Object.entries(objectAt(item, key)).map(([k, v]) => [k, parseQuantity(String(v))]));
}

function validateLimitRange(obj: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const seenTypes = new Set<string>();
  objects(objectAt(obj, "spec").limits).forEach((item, i) => {
    const p = `spec.limits[${i}]`;
    const type = str(item.type);
    const typeErrs = isQualifiedName(type).map((msg) => field.invalid(`${p}.type`, type, msg));
    if (!typeErrs.length && !type.includes("/") && !STANDARD_LIMIT_TYPES.has(type)) {
      typeErrs.push(field.invalid(`${p}.type`, type, "must be a standard limit type or fully qualified"));
    }
    errs.push(...typeErrs);
    if (seenTypes.has(type)) errs.push(field.duplicate(`${p}.type`, type));
    seenTypes.add(type);

    const nameErrs = (name: string, path: string) =>
      type === "Pod" || type === "Container"
        ? validateContainerResourceName(name, path)
        : validateResourceName(name, path);
    const keys = new Set<string>();
    const collect = (key: string): Map<string, Quantity> => {
      const m = quantities(item, key);
      for (const k of m.keys()) {
        errs.push(...nameErrs(k, `${p}.${key}[${k}]`));
        keys.add(k);
      }
      return m;
    };
    const max = collect("max");
    const min = collect("min");
    let defaults = new Map<string, Quantity>();
    let defaultRequests = new Map<string, Quantity>();
    if (type === "Pod") {
      if (Object.keys(objectAt(item, "default")).length)
        errs.push(field.forbidden(`${p}.default`, "may not be specified when `type` is 'Pod'"));
      if (Object.keys(objectAt(item, "defaultRequest")).length) {
        errs.push(field.forbidden(`${p}.defaultRequest`, "may not be specified when `type` is 'Pod'"));
      }
    } else {
      defaults = collect("default");
      defaultRequests = collect("defaultRequest");
    }
    if (type === "PersistentVolumeClaim" && !min.has("storage") && !max.has("storage")) {
      errs.push(
        field.required(`${p}.limits`, "either minimum or maximum storage value is required, but neither was provided"),
      );
    }
    const ratios = collect("maxLimitRequestRatio");

    const s = formatQuantity;
    for (const k of [...keys].sort()) {
      const mn = min.get(k);
      const mx = max.get(k);
      const def = defaults.get(k);
      const req = defaultRequests.get(k);
      const ratio = ratios.get(k);
      const gt = (a: Quantity | undefined, b: Quantity | undefined) =>
        a !== undefined && b !== undefined && compareQuantities(a, b) > 0;
      if (gt(mn, mx))
        errs.push(
          field.invalid(
            `${p}.min[${k}]`,
            s(mn as Quantity),
            `min value ${s(mn as Quantity)} is greater than max value ${s(mx as Quantity)}`,
          ),
        );
      if (gt(mn, req)) {
        errs.push(
          field.invalid(
            `${p}.defaultRequest[${k}]`,
            s(req as Quantity),
            `min value ${s(mn as Quantity)} is greater than default request value ${s(req as Quantity)}`,
          ),
        );
      }
      if (gt(req, mx)) {
        errs.push(
          field.invalid(
            `${p}.defaultRequest[${k}]`,
            s(req as Quantity),
            `default request value ${s(req as Quantity)} is greater than max value ${s(mx as Quantity)}`,
          ),
        );
      }
      if (gt(req, def)) {
        errs.push(
          field.invalid(
            `${p}.defaultRequest[${k}]`,
            s(req as Quantity),
            `default request value ${s(req as Quantity)} is greater than default limit value ${s(def as Quantity)}`,
          ),
        );
      }
      if (gt(mn, def))
        errs.push(
          field.invalid(
            `${p}.default[${k}]`,
            s(mn as Quantity),
            `min value ${s(mn as Quantity)} is greater than default value ${s(def as Quantity)}`,
          ),
        );
      if (gt(def, mx))
        errs.push(
          field.invalid(
            `${p}.default[${k}]`,
            s(mx as Quantity),
            `default value ${s(def as Quantity)} is greater than max value ${s(mx as Quantity)}`,
          ),
        );
      if (ratio && ratio.nanos < 1_000_000_000n)
        errs.push(field.invalid(`${p}.maxLimitRequestRatio[${k}]`, s(ratio), `ratio ${s(ratio)} is less than 1`));
      if (ratio && mn && mx && mn.nanos !== 0n) {
        const limit = Number(mx.nanos) / Number(mn.nanos);
        if (Number(ratio.nanos) / 1e9 > limit) {
          errs.push(
            field.invalid(
              `${p}.maxLimitRequestRatio[${k}]`,
              s(ratio),
              `ratio ${s(ratio)} is greater than max/min = ${limit.toFixed(6)}`,
            ),
          );
        }
      }
      if (!isOvercommitAllowed(k) && def && req && compareQuantities(def, req) !== 0) {
        errs.push(
          field.invalid(
            `${p}.defaultRequest[${k}]`,
            s(req),
            `default value ${s(def)} must equal to defaultRequest value ${s(req)} in ${k}`,
          ),
        );
      }
    }
  });
  return errs;
}

export function limitRanges(): ResourceDef {
  return builtin({
    group: "",
    version: "v1",
    plural: "limitranges",
    singular: "limitrange",
    kind: "LimitRange",
    shortNames: ["limits"],
    namespaced: true,
    verbs: STORED_VERBS,
    allowCreateOnUpdate: true,
    strategy: {
      hasStatus: false,
      tracksGeneration: false,
      prepareForCreate: (obj) => decode(obj),
      prepareForUpdate: (obj) => decode(obj),
      validate: (obj) => validateLimitRange(obj),
      validateUpdate: (obj) => validateLimitRange(obj),
    },
  });
}
