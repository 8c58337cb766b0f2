// coordination.k8s.io/v1 Lease.

import {
  int32,
  kindType,
  listType,
  microTime,
  objectType,
  optStr,
  type Schema,
  struct,
} from "../../schema-builders.ts";

const V1 = "io.k8s.api.coordination.v1.";

export const LEASE_HOLDER_DESCRIPTION =
  "holderIdentity contains the identity of the holder of a current lease. If Coordinated Leader Election is used, the holder identity must be equal to the elected LeaseCandidate.metadata.name field.";

const lease = kindType("Lease defines a lease concept.", {
  spec: struct(
    `${V1}LeaseSpec`,
    "spec contains the specification of the Lease. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status",
  ),
});

const leaseSpec = objectType("LeaseSpec is a specification of a Lease.", {
  acquireTime: microTime("acquireTime is a time when the current lease was acquired."),
  holderIdentity: optStr(LEASE_HOLDER_DESCRIPTION),
  leaseDurationSeconds: int32(
    "leaseDurationSeconds is a duration that candidates for a lease need to wait to force acquire it. This is measured against the time of last observed renewTime.",
  ),
  leaseTransitions: int32("leaseTransitions is the number of transitions of a lease between holders."),
  preferredHolder: optStr(
    "PreferredHolder signals to a lease holder that the lease has a more optimal holder and should be given up. This field can only be set if Strategy is also set.",
  ),
  renewTime: microTime("renewTime is a time when the current holder of a lease has last updated the lease."),
  strategy: optStr(
    "Strategy indicates the strategy for picking the leader for coordinated leader election. If the field is not specified, there is no active coordination for this lease. (Alpha) Using this field requires the CoordinatedLeaderElection feature gate to be enabled.",
  ),
});

export const coordinationSchemas: Record<string, Schema> = {
  [`${V1}Lease`]: lease,
  [`${V1}LeaseList`]: listType(
    "LeaseList is a list of Lease objects.",
    `${V1}Lease`,
    "items is a list of schema objects.",
  ),
  [`${V1}LeaseSpec`]: leaseSpec,
};
