// k8s.io/api/policy/v1: PodDisruptionBudget (`kubectl create poddisruptionbudget` sends it in
// protobuf). Field numbers from policy/v1 generated.proto; presence from the json tags.

import { int64, map, message, msg, msgs, string, int32 } from "../schema.ts";
import { Condition, LabelSelector, ObjectMeta, Time } from "./meta-v1.ts";
import { IntOrString } from "./values.ts";

const P = "pointer";
const A = "always";

const PodDisruptionBudgetSpec = message("PodDisruptionBudgetSpec", [
  msg(1, "minAvailable", () => IntOrString, P),
  msg(2, "selector", () => LabelSelector, P),
  msg(3, "maxUnavailable", () => IntOrString, P),
  string(4, "unhealthyPodEvictionPolicy", P),
]);

const PodDisruptionBudgetStatus = message("PodDisruptionBudgetStatus", [
  int64(1, "observedGeneration"),
  map(2, "disruptedPods", () => Time),
  int32(3, "disruptionsAllowed", A),
  int32(4, "currentHealthy", A),
  int32(5, "desiredHealthy", A),
  int32(6, "expectedPods", A),
  msgs(7, "conditions", () => Condition),
]);

export const PodDisruptionBudget = message("PodDisruptionBudget", [
  msg(1, "metadata", () => ObjectMeta),
  msg(2, "spec", () => PodDisruptionBudgetSpec),
  msg(3, "status", () => PodDisruptionBudgetStatus),
]);
