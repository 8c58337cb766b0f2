// What a root Deployment's leaves should be: given the root, the Clusters of its logical cluster
// and the leaves it owns, the creates, updates and deletes that make them so (pure: the controller
// does the writes).
//
// - A root is a Deployment without the kcp.dev/cluster label; its leaves are `<root>--<cluster>` in
//   the same namespace, labelled kcp.dev/cluster=<cluster> and kcp.dev/owned-by=<root>, owned by
//   the root (controller: true, blockOwnerDeletion: true), so the garbage collector removes them
//   with it. A leaf is the root's spec with the cluster's share as replicas; no status.
// - Replicas (nil: 1) are divided over the Ready clusters by the root's weights (division.ts,
//   weights.ts). A leaf on a cluster that is no longer Ready is kept, scaled to 0: its replicas
//   move to the Ready ones, and the leaf (with its last status) is still there when the cluster
//   comes back. The leaf of a cluster that is gone (its Cluster deleted) is deleted.
// - Only leaves the root owns (an ownerReference with the root's uid) are ever changed or
//   deleted; a Deployment that holds a leaf's name without being the root's is left alone and
//   reported.

import { deepEqual } from "../../apis/object-codec.ts";
import type { KObject } from "../../apis/types.ts";
import { CLUSTER_LABEL } from "../syncer/labels.ts";
import { divide, MAX_REPLICAS } from "./division.ts";
import { parseWeights, WEIGHTS_ANNOTATION, weightOf } from "./weights.ts";

/** On a leaf: the name of its root. */
export const OWNED_BY_LABEL = "kcp.dev/owned-by";

/** Separates the root's name from the cluster's in a leaf's name. */
export const LEAF_SEPARATOR = "--";

export interface ClusterState {
  name: string;
  ready: boolean;
}

export interface Problem {
  /** A condition reason: NoRegisteredClusters, InvalidSplitWeights, InvalidReplicas, LeafNameTaken. */
  reason: string;
  message: string;
}

export interface LeafPlan {
  /** The share of each Ready cluster (the clusters the replicas are divided over). */
  shares: Map<string, number>;
  /** Leaves to create, update (whole objects, resourceVersion kept) and delete. */
  creates: KObject[];
  updates: KObject[];
  deletes: KObject[];
  /** The root's leaves as they will be once the writes are done, by cluster (NotReady ones included). */
  leaves: Map<string, KObject>;
  /** Why the root cannot be split as asked (the leaves are then left as they are). */
  problem?: Problem;
  /** Leaf names held by Deployments the root does not own. */
  taken: string[];
}

export const NO_CLUSTERS_MESSAGE = "kcp has no clusters registered to receive Deployments";

export function leafName(root: string, cluster: string): string {
  return `${root}${LEAF_SEPARATOR}${cluster}`;
}

/** Whether `obj` is owned by the object with uid `uid`. */
export function ownedBy(obj: KObject, uid: string | undefined): boolean {
  return !!uid && ownerRefs(obj).some((r) => r.uid === uid);
}

export interface OwnerRef {
  apiVersion?: string;
  kind?: string;
  name?: string;
  uid?: string;
}

/** The object's ownerReferences (entries that are not objects are skipped). */
export function ownerRefs(obj: KObject): OwnerRef[] {
  const refs = obj.metadata.ownerReferences;
  return Array.isArray(refs) ? (refs.filter((r) => r && typeof r === "object") as OwnerRef[]) : [];
}

export function isRoot(obj: KObject): boolean {
  return !obj.metadata.labels?.[CLUSTER_LABEL];
}

/** The root's replicas: nil means 1 (as kube's default). */
export function rootReplicas(root: KObject): unknown {
  const spec = (root as { spec?: { replicas?: unknown } }).spec;
  return spec?.replicas ?? 1;
}

/**
 * The plan for `root`. `owned` are the Deployments owned by the root (any name); `existing(name)`
 * looks a Deployment of the root's namespace up by name.
 */
export function planLeaves(
  root: KObject,
  clusters: readonly ClusterState[],
  owned: readonly KObject[],
  existing: (name: string) => KObject | undefined,
): LeafPlan {
  const plan: LeafPlan = { shares: new Map(), creates: [], updates: [], deletes: [], leaves: new Map(), taken: [] };
  const rootName = root.metadata.name as string;
  const stay = (leaf: KObject) => plan.leaves.set(leaf.metadata.labels?.[CLUSTER_LABEL] as string, leaf);
  const replicas = rootReplicas(root);
  const weights = parseWeights(root.metadata.annotations?.[WEIGHTS_ANNOTATION]);
  let problem: Problem | undefined;
  if (typeof replicas !== "number" || !Number.isInteger(replicas) || replicas < 0 || replicas > MAX_REPLICAS) {
    problem = { reason: "InvalidReplicas", message: `spec.replicas ${JSON.stringify(replicas)} is not a valid count` };
  } else if (!weights.ok) {
    problem = { reason: "InvalidSplitWeights", message: `annotation ${WEIGHTS_ANNOTATION}: ${weights.message}` };
  } else if (rootName.length > 63) {
    problem = {
      reason: "InvalidName",
      message: `the name is longer than 63 characters: it cannot be the value of the ${OWNED_BY_LABEL} label of its leaves`,
    };
  }
  if (problem || !weights.ok || typeof replicas !== "number") {
    // Nothing is changed: the leaves keep the last good split.
    for (const leaf of owned) stay(leaf);
    plan.problem = problem;
    return plan;
  }

  const byName = new Map(clusters.map((c) => [c.name, c]));
  const ready = clusters.filter((c) => c.ready).map((c) => c.name);
  plan.shares = divide(
    replicas,
    ready.map((name) => ({ name, weight: weightOf(weights.weights, name) })),
  );
  if (ready.length === 0) plan.problem = { reason: "NoRegisteredClusters", message: NO_CLUSTERS_MESSAGE };

  // The root's own leaves, one per cluster: others (renamed, relabelled, duplicates) go.
  const mine = new Map<string, KObject>();
  for (const leaf of owned) {
    const cluster = leaf.metadata.labels?.[CLUSTER_LABEL];
    const proper =
      cluster &&
      byName.has(cluster) &&
      leaf.metadata.name === leafName(rootName, cluster) &&
      leaf.metadata.labels?.[OWNED_BY_LABEL] === rootName;
    if (proper && !mine.has(cluster)) mine.set(cluster, leaf);
    else plan.deletes.push(leaf);
  }
  for (const c of [...byName.keys()].sort()) {
    const share = plan.shares.get(c);
    const leaf = mine.get(c);
    if (share === undefined) {
      // Not Ready: keep its leaf, scaled to 0; do not create one.
      if (!leaf) continue;
      const want = desiredLeaf(root, c, 0);
      if (upToDate(leaf, want)) stay(leaf);
      else {
        const updated = withDesired(leaf, want);
        plan.updates.push(updated);
        stay(updated);
      }
      continue;
    }
    const want = desiredLeaf(root, c, share);
    if (!leaf) {
      const holder = existing(want.metadata.name as string);
      if (holder) {
        plan.taken.push(want.metadata.name as string);
        continue;
      }
      plan.creates.push(want);
      stay(want);
    } else if (upToDate(leaf, want)) {
      stay(leaf);
    } else {
      const updated = withDesired(leaf, want);
      plan.updates.push(updated);
      stay(updated);
    }
  }
  if (!plan.problem && plan.taken.length) {
    plan.problem = {
      reason: "LeafNameTaken",
      message: `Deployments not owned by this one hold the names ${plan.taken.join(", ")}`,
    };
  }
  return plan;
}

/** The leaf of `root` for `cluster` with `replicas`. */
export function desiredLeaf(root: KObject, cluster: string, replicas: number): KObject {
  const rootName = root.metadata.name as string;
  const spec = { ...((root as { spec?: Record<string, unknown> }).spec ?? {}), replicas };
  return {
    apiVersion: root.apiVersion,
    kind: root.kind,
    metadata: {
      name: leafName(rootName, cluster),
      namespace: root.metadata.namespace,
      labels: { ...(root.metadata.labels ?? {}), [CLUSTER_LABEL]: cluster, [OWNED_BY_LABEL]: rootName },
      ownerReferences: [
        {
          apiVersion: root.apiVersion as string,
          kind: root.kind as string,
          name: rootName,
          uid: root.metadata.uid as string,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec,
  } as KObject;
}

function upToDate(leaf: KObject, want: KObject): boolean {
  return (
    deepEqual(leaf.metadata.labels ?? {}, want.metadata.labels) &&
    deepEqual(leaf.metadata.ownerReferences ?? [], want.metadata.ownerReferences) &&
    deepEqual((leaf as { spec?: unknown }).spec ?? {}, (want as { spec?: unknown }).spec)
  );
}

/** The existing leaf with the wanted labels, owner and spec (other metadata, and status, as they are). */
function withDesired(leaf: KObject, want: KObject): KObject {
  return {
    ...leaf,
    metadata: { ...leaf.metadata, labels: want.metadata.labels, ownerReferences: want.metadata.ownerReferences },
    spec: (want as { spec?: unknown }).spec,
  } as KObject;
}
