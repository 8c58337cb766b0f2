// k8s.io/api/scheduling/v1: PriorityClass (`kubectl create priorityclass` sends it in protobuf).
// Field numbers from scheduling/v1 generated.proto; presence from the json tags.

import { bool, int32, message, msg, string } from "../schema.ts";
import { ObjectMeta } from "./meta-v1.ts";

export const PriorityClass = message("PriorityClass", [
  msg(1, "metadata", () => ObjectMeta),
  int32(2, "value", "always"),
  bool(3, "globalDefault"),
  string(4, "description"),
  string(5, "preemptionPolicy", "pointer"),
]);
