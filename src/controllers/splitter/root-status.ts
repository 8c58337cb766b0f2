// A root Deployment's status, computed from its leaves (pure).
//
// - replicas, updatedReplicas, readyReplicas, availableReplicas, unavailableReplicas: the sums over
//   the leaves of Ready clusters (a NotReady cluster's leaf is scaled to 0 and its last status is
//   stale); a leaf without status, or without some of the fields, counts 0 for them. A root that
//   cannot be split as asked (invalid weights or replicas) keeps its counts and conditions, with
//   Split saying why.
// - observedGeneration: the root's generation once every leaf is written as the root's spec says
//   and every leaf's status.observedGeneration equals its generation (the syncer reports kcp's
//   generation there); until then the previous value stays.
// - Available: True only when every leaf that should run replicas says Available=True (a root of 0
//   replicas is available, as kube's is).
// - Progressing: False when a leaf says False (its reason); else True, with the leaves' reason when
//   they agree, ReplicaSetUpdated when they do not yet; the message names each leaf's reason.
// - Split: how the replicas were divided, or why they could not be (NoRegisteredClusters,
//   InvalidSplitWeights, …). With no Ready cluster, Available and Progressing are False with reason
//   NoRegisteredClusters too.
// lastTransitionTime moves only when a condition's status changes, lastUpdateTime when anything in
// it does: a status computed twice from the same leaves is the same object (no write, no loop).

import { deepEqual } from "../../apis/object-codec.ts";
import type { KObject } from "../../apis/types.ts";
import type { LeafPlan } from "./leaves.ts";

export interface DeploymentCondition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}

interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  conditions?: DeploymentCondition[];
  [other: string]: unknown;
}

const COUNTS = ["replicas", "updatedReplicas", "readyReplicas", "availableReplicas", "unavailableReplicas"] as const;
/** How many leaves a condition message names before "and N more". */
const MAX_NAMED = 10;

function statusOf(obj: KObject | undefined): DeploymentStatus {
  const s = (obj as { status?: unknown } | undefined)?.status;
  return s && typeof s === "object" && !Array.isArray(s) ? (s as DeploymentStatus) : {};
}

function conditionOf(obj: KObject | undefined, type: string): DeploymentCondition | undefined {
  const conds = statusOf(obj).conditions;
  return Array.isArray(conds) ? conds.find((c) => c && c.type === type) : undefined;
}

function count(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0;
}

function listed(items: string[]): string {
  const shown = items.slice(0, MAX_NAMED).join("; ");
  return items.length > MAX_NAMED ? `${shown}; and ${items.length - MAX_NAMED} more` : shown;
}

/**
 * The root's new status. `wrote` says whether leaves were just written (they have not caught up
 * yet); `now` stamps conditions that change.
 */
export function rootStatus(root: KObject, plan: LeafPlan, wrote: boolean, now: string): DeploymentStatus {
  const old = statusOf(root);
  const status: DeploymentStatus = { ...old };
  const inDivision = [...plan.shares.keys()].sort();
  const leaves = inDivision.map((c) => ({ cluster: c, leaf: plan.leaves.get(c), share: plan.shares.get(c) ?? 0 }));
  // A root that cannot be split as asked keeps its leaves, and its counts, as they were.
  const divided =
    !plan.problem || plan.problem.reason === "NoRegisteredClusters" || plan.problem.reason === "LeafNameTaken";
  if (divided) for (const k of COUNTS) status[k] = leaves.reduce((sum, l) => sum + count(statusOf(l.leaf)[k]), 0);

  const generation = root.metadata.generation;
  const caughtUp =
    !wrote &&
    !plan.problem &&
    leaves.every(({ leaf }) => {
      const g = leaf?.metadata.generation;
      return g !== undefined && statusOf(leaf).observedGeneration === g;
    });
  const noClusters = plan.problem?.reason === "NoRegisteredClusters";
  if (typeof generation === "number" && (caughtUp || noClusters)) status.observedGeneration = generation;

  const conditions: DeploymentCondition[] = [];
  if (noClusters) {
    const message = plan.problem?.message;
    conditions.push({ type: "Available", status: "False", reason: "NoRegisteredClusters", message });
    conditions.push({ type: "Progressing", status: "False", reason: "NoRegisteredClusters", message });
  } else if (divided) {
    const running = leaves.filter((l) => l.share > 0);
    const unavailable = running.filter((l) => conditionOf(l.leaf, "Available")?.status !== "True");
    if (unavailable.length === 0) {
      conditions.push({
        type: "Available",
        status: "True",
        reason: "MinimumReplicasAvailable",
        message: running.length
          ? `all ${running.length} leaves with replicas are available`
          : "Deployment has minimum availability.",
      });
    } else {
      conditions.push({
        type: "Available",
        status: "False",
        reason: "MinimumReplicasUnavailable",
        message: `not available: ${listed(unavailable.map((l) => `${l.cluster}: ${why(l.leaf, "Available")}`))}`,
      });
    }
    const progressing = running.map((l) => ({ cluster: l.cluster, c: conditionOf(l.leaf, "Progressing") }));
    const failed = progressing.filter((p) => p.c?.status === "False");
    const reasons = new Set(progressing.map((p) => p.c?.reason ?? ""));
    const message = listed(progressing.map((p) => `${p.cluster}: ${p.c?.reason ?? "no status yet"}`));
    if (failed.length) {
      const first = failed[0] as (typeof failed)[number];
      conditions.push({
        type: "Progressing",
        status: "False",
        reason: first.c?.reason ?? "LeafNotProgressing",
        message: listed(failed.map((p) => `${p.cluster}: ${p.c?.reason ?? ""}: ${p.c?.message ?? ""}`)),
      });
    } else if (running.length === 0) {
      conditions.push({
        type: "Progressing",
        status: "True",
        reason: "NewReplicaSetAvailable",
        message: "no replicas to run",
      });
    } else {
      const agreed = reasons.size === 1 ? [...reasons][0] : "";
      conditions.push({ type: "Progressing", status: "True", reason: agreed || "ReplicaSetUpdated", message });
    }
  }
  if (plan.problem) {
    conditions.push({ type: "Split", status: "False", reason: plan.problem.reason, message: plan.problem.message });
  } else {
    const shares = inDivision.map((c) => `${c}=${plan.shares.get(c)}`);
    const total = inDivision.reduce((s, c) => s + (plan.shares.get(c) ?? 0), 0);
    conditions.push({
      type: "Split",
      status: "True",
      reason: "Split",
      message: `${total} replicas over ${inDivision.length} clusters: ${shares.slice(0, 50).join(", ")}${shares.length > 50 ? ", …" : ""}`,
    });
  }
  status.conditions = mergeConditions(old.conditions, conditions, now);
  return status;
}

function why(leaf: KObject | undefined, type: string): string {
  if (!leaf) return "not created yet";
  const c = conditionOf(leaf, type);
  if (!c) return "no status yet";
  return c.message || c.reason || `${type}=${c.status}`;
}

/** The new conditions with the old ones' times where nothing moved; conditions of other types are kept. */
function mergeConditions(
  old: DeploymentCondition[] | undefined,
  next: DeploymentCondition[],
  now: string,
): DeploymentCondition[] {
  const before = Array.isArray(old) ? old : [];
  const types = new Set(next.map((c) => c.type));
  const out = before.filter((c) => c && !types.has(c.type));
  for (const c of next) {
    const prev = before.find((p) => p && p.type === c.type);
    const same = prev && prev.status === c.status && prev.reason === c.reason && prev.message === c.message;
    out.push({
      ...c,
      lastUpdateTime: same ? (prev.lastUpdateTime ?? now) : now,
      lastTransitionTime: prev && prev.status === c.status ? (prev.lastTransitionTime ?? now) : now,
    });
  }
  return out;
}

/** Whether writing `next` would change the root's status. */
export function statusChanged(root: KObject, next: DeploymentStatus): boolean {
  return !deepEqual(statusOf(root), next);
}
