// Conditions in Kubernetes' shape (metav1.Condition: type, status, observedGeneration,
// lastTransitionTime, reason, message), set as apimachinery's meta.SetStatusCondition does: the
// transition time moves only when the status changes (the seed kept the first one for ever, or
// reset it on every write), so a controller that writes the same verdict again changes nothing.

import type { APIResourceCondition } from "../../apis/builtin/apiresource.ts";
import { nowTimestamp } from "../../apis/object-codec.ts";
import { isObject } from "../../machinery/object.ts";

export interface ConditionValue {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  observedGeneration?: number;
}

/** The conditions of a status value (a copy of the list; entries that are not objects are dropped). */
export function conditionsOf(obj: object): APIResourceCondition[] {
  const status = (obj as { status?: unknown }).status;
  if (!isObject(status) || !Array.isArray(status.conditions)) return [];
  return (status.conditions as unknown[]).filter(isObject).map((c) => ({ ...c }) as unknown as APIResourceCondition);
}

/** `list` with `c` set: a new condition gets `now`; an existing one keeps its time unless its status changes. */
export function withCondition(
  list: APIResourceCondition[],
  c: ConditionValue,
  now = nowTimestamp(),
): APIResourceCondition[] {
  const out = list.map((x) => ({ ...x }));
  const i = out.findIndex((x) => x.type === c.type);
  const prev = i >= 0 ? out[i] : undefined;
  const next: APIResourceCondition = {
    type: c.type,
    status: c.status,
    ...(c.observedGeneration !== undefined ? { observedGeneration: c.observedGeneration } : {}),
    lastTransitionTime: prev && prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : now,
    reason: c.reason,
    message: c.message,
  };
  if (i >= 0) out[i] = next;
  else out.push(next);
  return out;
}

export function withoutCondition(list: APIResourceCondition[], type: string): APIResourceCondition[] {
  return list.filter((x) => x.type !== type);
}

/** Whether two condition lists say the same (times aside). */
export function sameConditions(a: APIResourceCondition[], b: APIResourceCondition[]): boolean {
  if (a.length !== b.length) return false;
  const key = (c: APIResourceCondition) =>
    JSON.stringify([c.type, c.status, c.reason ?? "", c.message ?? "", c.observedGeneration ?? null]);
  const ka = a.map(key).sort();
  const kb = b.map(key).sort();
  return ka.every((k, i) => k === kb[i]);
}
