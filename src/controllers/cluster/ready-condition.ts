// The Ready condition of a Cluster: how it is set (lastTransitionTime moves only when the status
// does — the seed kept the first one forever), and what the syncer's heartbeat Lease says about it.

import { ClusterReason, type ClusterCondition } from "../../apis/builtin/cluster.ts";

export const READY = "Ready" as const;

/**
 * The conditions with `next` in place of the condition of the same type. The transition time is
 * the old one while the status stays the same, else `now`.
 */
export function setCondition(
  conditions: readonly ClusterCondition[] | undefined,
  next: Omit<ClusterCondition, "lastTransitionTime">,
  now: Date,
): ClusterCondition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === next.type);
  const old = i >= 0 ? list[i] : undefined;
  const lastTransitionTime =
    old && old.status === next.status && old.lastTransitionTime ? old.lastTransitionTime : rfc3339(now);
  const cond: ClusterCondition = { ...next, lastTransitionTime };
  if (i >= 0) list[i] = cond;
  else list.push(cond);
  return list;
}

export function findCondition(
  conditions: readonly ClusterCondition[] | undefined,
  type: string,
): ClusterCondition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** Seconds precision, as metav1.Time is written. */
export function rfc3339(d: Date): string {
  return `${d.toISOString().slice(0, 19)}Z`;
}

/** What the controller keeps of a heartbeat Lease. */
export interface Heartbeat {
  /** spec.renewTime in milliseconds since the epoch; undefined when never renewed. */
  renewedAt?: number;
  /** The kcp.dev/syncer-status annotation: "ok", or what is wrong, for people. */
  status?: string;
  /** The kcp.dev/synced-resources annotation, split. */
  syncedResources?: string[];
}

export { SYNCED_RESOURCES_ANNOTATION, SYNCER_STATUS_ANNOTATION } from "../syncer/labels.ts";

export interface Readiness {
  condition: Omit<ClusterCondition, "lastTransitionTime" | "type"> & { type: typeof READY };
  /** When to look again (ms from now) because the heartbeat will have gone stale; undefined: no need. */
  recheckInMs?: number;
}

/**
 * Ready from the heartbeat: fresh and "ok" → SyncerReady; fresh with a complaint → SyncerNotReady
 * with it; stale or absent → SyncerNotReady saying for how long nothing was heard.
 */
/** The longest text from elsewhere (an error, the syncer's status) a Ready message quotes. */
const MAX_QUOTED = 300;

/**
 * Text from elsewhere as a Ready message may quote it: one line (control characters become
 * spaces), at most MAX_QUOTED characters. Error messages can carry a physical cluster's (or any
 * server's) response body, and the status is read by the tenant who named that server.
 */
export function brief(text: string): string {
  const line = [...text]
    .map((ch) => (ch < " " || ch === "\u007f" ? " " : ch))
    .join("")
    .replace(/ {2,}/g, " ")
    .trim();
  return line.length > MAX_QUOTED ? `${line.slice(0, MAX_QUOTED)}…` : line;
}

export function readinessFromHeartbeat(hb: Heartbeat | undefined, timeoutMs: number, now: number): Readiness {
  const notReady = (message: string) => ({
    type: READY as typeof READY,
    status: "False" as const,
    reason: ClusterReason.SyncerNotReady,
    message,
  });
  if (!hb || hb.renewedAt === undefined) return { condition: notReady("waiting for the syncer's first heartbeat") };
  const age = now - hb.renewedAt;
  if (age > timeoutMs) {
    const secs = Math.round(age / 1000);
    const last = hb.status && hb.status !== "ok" ? ` (it last said: ${brief(hb.status)})` : "";
    return { condition: notReady(`no heartbeat from the syncer for ${secs}s${last}`) };
  }
  const recheckInMs = Math.max(0, timeoutMs - age) + 50;
  if (hb.status && hb.status !== "ok") return { condition: notReady(brief(hb.status)), recheckInMs };
  return {
    condition: { type: READY, status: "True", reason: ClusterReason.SyncerReady, message: "Syncer ready" },
    recheckInMs,
  };
}
