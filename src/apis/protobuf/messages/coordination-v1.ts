// k8s.io/api/coordination/v1: Lease. Every LeaseSpec field is a pointer in Go.

import { int32, message, msg, string } from "../schema.ts";
import { MicroTime, ObjectMeta } from "./meta-v1.ts";

const LeaseSpec = message("LeaseSpec", [
  string(1, "holderIdentity", "pointer"),
  int32(2, "leaseDurationSeconds", "pointer"),
  msg(3, "acquireTime", () => MicroTime, "pointer"),
  msg(4, "renewTime", () => MicroTime, "pointer"),
  int32(5, "leaseTransitions", "pointer"),
  string(6, "strategy", "pointer"),
  string(7, "preferredHolder", "pointer"),
]);

export const Lease = message("Lease", [msg(1, "metadata", () => ObjectMeta), msg(2, "spec", () => LeaseSpec)]);
