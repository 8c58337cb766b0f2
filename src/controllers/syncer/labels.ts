// The labels and annotations the syncer reads and writes, in kcp and in the physical cluster. The
// cluster controller imports them too (the Cluster's location is the label value; the heartbeat
// Lease's annotations are what it turns into the Cluster's Ready condition).

/** Assigns an object in kcp to a physical cluster (the Cluster's name); copied to the downstream object. */
export const CLUSTER_LABEL = "kcp.dev/cluster";

/** On a downstream copy: the kcp logical cluster it was synced from. With UPSTREAM_UID: ownership. */
export const LOGICAL_CLUSTER_ANNOTATION = "kcp.dev/logical-cluster";

/**
 * On a downstream copy: which kcp installation it came from — the uid of namespace kube-system of
 * the upstream logical cluster (as kube's cluster ID is). Logical cluster names repeat across kcp
 * installations (every kcp has `admin`); with this, two kcps syncing into one physical cluster
 * never take each other's copies for their own.
 */
export const UPSTREAM_IDENTITY_ANNOTATION = "kcp.dev/upstream-identity";

/** On a downstream copy: the uid of the kcp object it is a copy of. */
export const UPSTREAM_UID_ANNOTATION = "kcp.dev/upstream-uid";

/**
 * On a downstream copy: the kcp object's metadata.generation when it was last written. Lets status
 * going up speak of kcp's generation in `status.observedGeneration`, not the physical cluster's.
 */
export const UPSTREAM_GENERATION_ANNOTATION = "kcp.dev/upstream-generation";

/**
 * On a downstream copy: a hash of the content (everything but metadata, and status where it flows
 * up) the syncer last wrote. kcp's object changing in a way the containment check cannot see (an
 * item or field removed) changes the hash, and the copy is updated.
 */
export const DESIRED_HASH_ANNOTATION = "kcp.dev/desired-hash";

/** On the heartbeat Lease: "ok", or a message for people saying what is wrong. */
export const SYNCER_STATUS_ANNOTATION = "kcp.dev/syncer-status";

/** On the heartbeat Lease: the comma-separated GR strings being synced. */
export const SYNCED_RESOURCES_ANNOTATION = "kcp.dev/synced-resources";

/** The heartbeat value that means "all is well". */
export const SYNCER_STATUS_OK = "ok";

/** The heartbeat value before the first discovery has answered. */
export const SYNCER_STATUS_STARTING = "starting: discovering resource types";
