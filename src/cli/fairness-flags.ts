// The `kcp start` flags of flow control (src/server/fairness/): kube-apiserver's two in-flight
// totals, and each flow's share of them. 0 switches a limit off; all three 0: no flow control.

import {
  DEFAULT_MAX_MUTATING_REQUESTS_INFLIGHT,
  DEFAULT_MAX_REQUESTS_INFLIGHT,
  DEFAULT_MAX_REQUESTS_INFLIGHT_PER_FLOW,
} from "../server/fairness/flow-control.ts";

export const fairnessArgs = {
  "max-requests-inflight": {
    type: "string",
    default: String(DEFAULT_MAX_REQUESTS_INFLIGHT),
    valueHint: "count",
    description:
      "Read-only requests (not watches) served at once, shared fairly among users and logical clusters (kube-apiserver's default); 0: no limit",
  },
  "max-mutating-requests-inflight": {
    type: "string",
    default: String(DEFAULT_MAX_MUTATING_REQUESTS_INFLIGHT),
    valueHint: "count",
    description:
      "Mutating requests served at once, shared fairly among users and logical clusters (kube-apiserver's default); 0: no limit",
  },
  "max-requests-inflight-per-flow": {
    type: "string",
    default: String(DEFAULT_MAX_REQUESTS_INFLIGHT_PER_FLOW),
    valueHint: "count",
    description:
      "Requests of each kind one user may have served at once in one logical cluster; more wait (50 at most), then 429; system:masters is exempt; 0: no share",
  },
} as const;

export interface FairnessSettings {
  maxRequestsInflight: number;
  maxMutatingRequestsInflight: number;
  perFlow: number;
}

function count(text: string | undefined, fallback: number, flag: string): number {
  if (text === undefined) return fallback;
  if (!/^[0-9]{1,7}$/.test(text)) throw new Error(`--${flag}: "${text}" is not a whole number (0: no limit)`);
  return Number(text);
}

export function fairnessFromFlags(args: Partial<Record<keyof typeof fairnessArgs, string>>): FairnessSettings {
  return {
    maxRequestsInflight: count(args["max-requests-inflight"], DEFAULT_MAX_REQUESTS_INFLIGHT, "max-requests-inflight"),
    maxMutatingRequestsInflight: count(
      args["max-mutating-requests-inflight"],
      DEFAULT_MAX_MUTATING_REQUESTS_INFLIGHT,
      "max-mutating-requests-inflight",
    ),
    perFlow: count(
      args["max-requests-inflight-per-flow"],
      DEFAULT_MAX_REQUESTS_INFLIGHT_PER_FLOW,
      "max-requests-inflight-per-flow",
    ),
  };
}
