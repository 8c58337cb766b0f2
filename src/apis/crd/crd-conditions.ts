// CRD status conditions, set as apiextensions' SetCRDCondition does: a condition keeps its
// lastTransitionTime unless its status changes; new conditions are appended.

import { nowTimestamp } from "../object-codec.ts";
import type { KObject } from "../types.ts";

export interface ConditionUpdate {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
}

type Json = Record<string, unknown>;

export function setCondition(crd: KObject, c: ConditionUpdate, now = nowTimestamp()): void {
  const status = (typeof crd.status === "object" && crd.status !== null ? crd.status : (crd.status = {})) as Json;
  const list = Array.isArray(status.conditions) ? (status.conditions as Json[]) : [];
  const existing = list.find((x) => x && x.type === c.type);
  if (!existing) {
    list.push({ type: c.type, status: c.status, lastTransitionTime: now, reason: c.reason, message: c.message });
  } else {
    if (existing.status !== c.status) {
      existing.status = c.status;
      existing.lastTransitionTime = now;
    }
    existing.reason = c.reason;
    existing.message = c.message;
  }
  status.conditions = list;
}

export function removeCondition(crd: KObject, type: string): void {
  const status = crd.status as Json | undefined;
  if (!status || !Array.isArray(status.conditions)) return;
  status.conditions = (status.conditions as Json[]).filter((x) => x?.type !== type);
}
