// Which of a Cluster's requested resources its syncer may sync (the seed's gate, spec 4.3 steps 4-5):
// those kcp serves natively (configmaps, secrets, …: no negotiation), and those whose
// APIResourceImport from this Cluster is Compatible=True and Available=True — its schema fits the
// negotiated one, and that one is published in kcp. The others wait, each with why, for the Ready
// message.

import {
  type APIResourceCondition,
  conditionOf,
  ImportCondition,
  normalizeGroup,
} from "../../apis/builtin/apiresource.ts";
import type { KObject } from "../../apis/types.ts";
import { isObject } from "../../machinery/object.ts";
import { parseGroupResource } from "./pull-manifests.ts";

export interface Waiting {
  resource: string;
  why: string;
}

export interface Gate {
  /** The resources the syncer gets, sorted. */
  synced: string[];
  /** The requested resources it does not get yet, in request order. */
  waiting: Waiting[];
}

export interface GateInputs {
  /** The Cluster's requested resources (GR strings). */
  requested: readonly string[];
  /** True when kcp serves the group's resource itself (a built-in kind). */
  native(group: string, resource: string): boolean;
  /** The Cluster's imports (any resource). */
  imports: readonly KObject[];
  /** Why the importer could not import a resource (the puller's skip reason), by GR string. */
  skipped?: ReadonlyMap<string, string>;
}

type Condition = APIResourceCondition;

function cond(obj: KObject, type: string): Condition | undefined {
  return conditionOf({ status: obj.status }, type);
}

/** The group an import's spec names ("" and "core" both mean the core group). */
export function importGroupResource(obj: KObject): { group: string; resource: string } {
  const spec = isObject(obj.spec) ? obj.spec : {};
  const gv = isObject(spec.groupVersion) ? spec.groupVersion : {};
  const group = normalizeGroup(typeof gv.group === "string" ? gv.group : undefined);
  return { group, resource: typeof spec.plural === "string" ? spec.plural : "" };
}

function isTrue(c: Condition | undefined): boolean {
  return c?.status === "True";
}

/** "Compatible=False (IncompatibleSchema: spec.x: …)", "no Compatible condition yet". */
function describe(type: string, c: Condition | undefined): string {
  if (!c) return `no ${type} condition yet`;
  const reason = typeof c.reason === "string" && c.reason !== "" ? c.reason : "";
  const message = typeof c.message === "string" && c.message !== "" ? c.message : "";
  const detail = [reason, message].filter((s) => s !== "").join(": ");
  return `${type}=${String(c.status)}${detail ? ` (${detail})` : ""}`;
}

export function gateResources(inputs: GateInputs): Gate {
  const synced = new Set<string>();
  const waiting: Waiting[] = [];
  for (const gr of inputs.requested) {
    const { group, resource } = parseGroupResource(gr);
    if (inputs.native(group, resource)) {
      synced.add(gr);
      continue;
    }
    const mine = inputs.imports.filter((i) => {
      const x = importGroupResource(i);
      return x.group === group && x.resource === resource;
    });
    if (mine.some((i) => isTrue(cond(i, ImportCondition.Compatible)) && isTrue(cond(i, ImportCondition.Available)))) {
      synced.add(gr);
      continue;
    }
    const first = mine[0];
    if (!first) {
      const skip = inputs.skipped?.get(gr);
      waiting.push({ resource: gr, why: skip ? `not imported: ${skip}` : "not imported yet" });
      continue;
    }
    const compatible = cond(first, ImportCondition.Compatible);
    const available = cond(first, ImportCondition.Available);
    if (!compatible && !available) {
      waiting.push({ resource: gr, why: `import ${first.metadata.name}: not negotiated yet` });
      continue;
    }
    const problems = [
      ...(isTrue(compatible) ? [] : [describe("Compatible", compatible)]),
      ...(isTrue(available) ? [] : [describe("Available", available)]),
    ];
    waiting.push({ resource: gr, why: `import ${first.metadata.name}: ${problems.join(", ")}` });
  }
  return { synced: [...synced].sort(), waiting };
}

/**
 * The Ready message while resources wait: their names first (the message may be cut short), then
 * why each waits: "APIs not negotiated yet: a, b (a: why; b: why)".
 */
export function waitingMessage(waiting: readonly Waiting[]): string {
  const names = waiting.map((w) => w.resource).join(", ");
  return `APIs not negotiated yet: ${names} (${waiting.map((w) => `${w.resource}: ${w.why}`).join("; ")})`;
}
