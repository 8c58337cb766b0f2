// autoscaling/v1 Scale: what the /scale subresource of custom resources serves.

import { int32, kindType, objectType, optStr, type Schema, struct } from "../../schema-builders.ts";

const V1 = "io.k8s.api.autoscaling.v1.";

export const autoscalingSchemas: Record<string, Schema> = {
  [`${V1}Scale`]: kindType(
    "Scale represents a scaling request for a resource.",
    {
      spec: struct(
        `${V1}ScaleSpec`,
        "spec defines the behavior of the scale. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status.",
      ),
      status: struct(
        `${V1}ScaleStatus`,
        "status is the current status of the scale. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status. Read-only.",
      ),
    },
    {},
    "Standard object metadata; More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata.",
  ),
  [`${V1}ScaleSpec`]: objectType("ScaleSpec describes the attributes of a scale subresource.", {
    replicas: int32("replicas is the desired number of instances for the scaled object."),
  }),
  [`${V1}ScaleStatus`]: objectType(
    "ScaleStatus represents the current status of a scale subresource.",
    {
      replicas: { ...int32("replicas is the actual number of observed instances of the scaled object."), default: 0 },
      selector: optStr(
        "selector is the label query over pods that should match the replicas count. This is same as the label selector but in the string format to avoid introspection by the clients. The string will be in the same format as the query-param syntax. More info about label selectors: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels#label-selectors",
      ),
    },
    { required: ["replicas"] },
  ),
};
