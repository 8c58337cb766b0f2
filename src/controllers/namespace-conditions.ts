// The status conditions of a terminating namespace, as kube-controller-manager's namespace
// controller writes them after each pass over the namespace's contents: five types, each True with
// what failed or remains, or False with its "all is well" reason and message. kcp discovers its
// resources from its own registry, so discovery and group-version parsing never fail here; those
// two conditions are always their False form, as kube's are on a healthy cluster.

import { nowTimestamp } from "../apis/object-codec.ts";

export interface NamespaceCondition {
  type: string;
  status: "True" | "False";
  lastTransitionTime: string;
  reason: string;
  message: string;
}

/** What one pass over a namespace's contents found. */
export interface ContentTally {
  /** `<resource>.<group>` (the core group empty, as kube prints it: `configmaps.`) → objects left. */
  remaining: Map<string, number>;
  /** Finalizer → how many of the objects left carry it. */
  finalizers: Map<string, number>;
  /** One message per resource whose contents could not be listed or deleted. */
  failures: string[];
}

/** The five types in kube's order, each with its False ("all is well") reason and message. */
const TYPES: readonly [type: string, okReason: string, okMessage: string][] = [
  ["NamespaceDeletionDiscoveryFailure", "ResourcesDiscovered", "All resources successfully discovered"],
  ["NamespaceDeletionGroupVersionParsingFailure", "ParsedGroupVersions", "All legacy kube types successfully parsed"],
  [
    "NamespaceDeletionContentFailure",
    "ContentDeleted",
    "All content successfully deleted, may be waiting on finalization",
  ],
  ["NamespaceContentRemaining", "ContentRemoved", "All content successfully removed"],
  ["NamespaceFinalizersRemaining", "ContentHasNoFinalizers", "All content-preserving finalizers finished"],
];

type Failing = { reason: string; message: string };

/** The failing ones, as kube words them (lists sorted for stable updates). */
function failing(tally: ContentTally): Map<string, Failing> {
  const out = new Map<string, Failing>();
  if (tally.failures.length) {
    const msgs = [...tally.failures].sort();
    out.set("NamespaceDeletionContentFailure", {
      reason: "ContentDeletionFailed",
      message: `Failed to delete all resource types, ${msgs.length} remaining: ${msgs.join(", ")}`,
    });
  }
  const resources = [...tally.remaining].filter(([, n]) => n > 0).map(([r, n]) => `${r} has ${n} resource instances`);
  if (resources.length) {
    out.set("NamespaceContentRemaining", {
      reason: "SomeResourcesRemain",
      message: `Some resources are remaining: ${resources.sort().join(", ")}`,
    });
  }
  const finalizers = [...tally.finalizers].filter(([, n]) => n > 0).map(([f, n]) => `${f} in ${n} resource instances`);
  if (finalizers.length) {
    out.set("NamespaceFinalizersRemaining", {
      reason: "SomeFinalizersRemain",
      message: `Some content in the namespace has finalizers remaining: ${finalizers.sort().join(", ")}`,
    });
  }
  return out;
}

/** The five conditions a pass with this tally reports (with the time now). */
export function deletionConditions(tally: ContentTally): NamespaceCondition[] {
  const bad = failing(tally);
  const now = nowTimestamp();
  return TYPES.map(([type, okReason, okMessage]) => {
    const f = bad.get(type);
    return f
      ? { type, status: "True", lastTransitionTime: now, ...f }
      : { type, status: "False", lastTransitionTime: now, reason: okReason, message: okMessage };
  });
}

/**
 * The namespace's conditions with the new ones in: a type not there yet is added; one there is
 * changed in place when its status, reason or message differ, and its lastTransitionTime moves
 * only when its status does. Other conditions stay as they are. `changed` says whether anything did.
 */
export function mergeConditions(
  current: readonly NamespaceCondition[],
  next: readonly NamespaceCondition[],
): { conditions: NamespaceCondition[]; changed: boolean } {
  const conditions = current.map((c) => ({ ...c }));
  let changed = false;
  for (const n of next) {
    const old = conditions.find((c) => c.type === n.type);
    if (!old) {
      conditions.push({ ...n });
      changed = true;
    } else if (old.status !== n.status || old.reason !== n.reason || old.message !== n.message) {
      if (old.status !== n.status) old.lastTransitionTime = n.lastTransitionTime;
      old.status = n.status;
      old.reason = n.reason;
      old.message = n.message;
      changed = true;
    }
  }
  return { conditions, changed };
}
