// coordination.k8s.io/v1 Lease: plain CRUD for leader election. PUT may create (clients acquire
// a lease that way) and the times are MicroTime, written back in UTC with six fraction digits.

import { field, type FieldError } from "../../machinery/status.ts";
import type { KObject, ResourceDef } from "../types.ts";
import { builtin, objectAt, STORED_VERBS } from "./strategy-helpers.ts";
import { WireDecoder } from "./wire-decode.ts";
import { isObject } from "../../machinery/object.ts";

const wire = new WireDecoder("Lease", "v1");
/** Fields of the CoordinatedLeaderElection feature, off by default in 1.32: kube drops them. */
const GATED_FIELDS = ["strategy", "preferredHolder"];

function decode(obj: KObject): void {
  const spec = wire.object(obj.spec, { struct: "Lease", path: "spec" }, "v1.LeaseSpec");
  if (!spec) {
    obj.spec = {};
    return;
  }
  const at = (f: string) => ({ struct: "LeaseSpec", path: `spec.${f}` });
  wire.string(spec.holderIdentity, at("holderIdentity"));
  wire.int(spec.leaseDurationSeconds, at("leaseDurationSeconds"), 32);
  wire.int(spec.leaseTransitions, at("leaseTransitions"), 32);
  for (const f of ["acquireTime", "renewTime"])
    if (spec[f] !== undefined) spec[f] = wire.time(spec[f], "micro") ?? null;
}

function dropGatedFields(obj: KObject, old?: KObject): void {
  const spec = objectAt(obj, "spec");
  const oldSpec = old ? objectAt(old, "spec") : {};
  for (const f of GATED_FIELDS) if (!(f in oldSpec) && isObject(obj.spec)) delete spec[f];
}

function validateLease(obj: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = objectAt(obj, "spec");
  const duration = spec.leaseDurationSeconds;
  if (typeof duration === "number" && duration <= 0)
    errs.push(field.invalid("spec.leaseDurationSeconds", duration, "must be greater than 0"));
  const transitions = spec.leaseTransitions;
  if (typeof transitions === "number" && transitions < 0) {
    errs.push(field.invalid("spec.leaseTransitions", transitions, "must be greater than or equal to 0"));
  }
  return errs;
}

export function coordinationResources(): ResourceDef[] {
  return [
    builtin({
      group: "coordination.k8s.io",
      version: "v1",
      plural: "leases",
      singular: "lease",
      kind: "Lease",
      namespaced: true,
      verbs: STORED_VERBS,
      allowCreateOnUpdate: true,
      strategy: {
        hasStatus: false,
        tracksGeneration: false,
        prepareForCreate(obj) {
          decode(obj);
          dropGatedFields(obj);
        },
        prepareForUpdate(obj, old) {
          decode(obj);
          dropGatedFields(obj, old);
        },
        validate: (obj) => validateLease(obj),
        validateUpdate: (obj) => validateLease(obj),
      },
    }),
  ];
}
