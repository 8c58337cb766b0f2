// The weights a root Deployment gives its clusters: the annotation
//
//   kcp.dev/split-weights: "east=2,west=1,*=0"
//
// names a cluster's weight (a whole number from 0 to 1,000,000); `*` sets the weight of every Ready
// cluster not named (default 1). Without the annotation every cluster weighs 1 (an even split).
// A value that does not parse is the user's mistake, reported on the root as a condition: parse
// errors are returned, never thrown.

import { MAX_WEIGHT } from "./division.ts";

export const WEIGHTS_ANNOTATION = "kcp.dev/split-weights";

/** Entries in one annotation at most (the value is request data). */
const MAX_ENTRIES = 1000;
const MAX_LENGTH = 64 * 1024;
const CLUSTER_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

export interface Weights {
  /** Weights of named clusters. */
  named: Map<string, number>;
  /** The weight of clusters not named. */
  others: number;
}

export type WeightsResult = { ok: true; weights: Weights } | { ok: false; message: string };

export const EVEN: Weights = { named: new Map(), others: 1 };

/** Parses the annotation's value (undefined: even weights). */
export function parseWeights(value: string | undefined): WeightsResult {
  if (value === undefined || value.trim() === "") return { ok: true, weights: EVEN };
  if (value.length > MAX_LENGTH) return { ok: false, message: `longer than ${MAX_LENGTH} characters` };
  const entries = value.split(",");
  if (entries.length > MAX_ENTRIES) return { ok: false, message: `more than ${MAX_ENTRIES} entries` };
  const named = new Map<string, number>();
  let others: number | undefined;
  const problems: string[] = [];
  for (const raw of entries) {
    const entry = raw.trim();
    const eq = entry.indexOf("=");
    if (eq < 0) {
      problems.push(`"${short(entry)}" is not <cluster>=<weight>`);
      continue;
    }
    const name = entry.slice(0, eq).trim();
    const text = entry.slice(eq + 1).trim();
    if (name !== "*" && !CLUSTER_NAME.test(name)) {
      problems.push(`"${short(name)}" is not a cluster name`);
      continue;
    }
    if (!/^\d{1,7}$/.test(text) || Number(text) > MAX_WEIGHT) {
      problems.push(`the weight of ${name} ("${short(text)}") is not a whole number from 0 to ${MAX_WEIGHT}`);
      continue;
    }
    const weight = Number(text);
    if (name === "*") {
      if (others !== undefined) problems.push("* is given twice");
      others = weight;
    } else {
      if (named.has(name)) problems.push(`${name} is given twice`);
      named.set(name, weight);
    }
  }
  if (problems.length) {
    const shown = problems.slice(0, 5).join("; ");
    return { ok: false, message: problems.length > 5 ? `${shown}; and ${problems.length - 5} more` : shown };
  }
  return { ok: true, weights: { named, others: others ?? 1 } };
}

export function weightOf(weights: Weights, cluster: string): number {
  return weights.named.get(cluster) ?? weights.others;
}

function short(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}
