// k8s.io/api/autoscaling v1 and v2: HorizontalPodAutoscaler (`kubectl autoscale` sends v2, then v1,
// in protobuf) and v1 Scale, the body of every scale subresource (client-go's scale client sends it
// in protobuf). Field numbers from autoscaling/v1 and v2 generated.proto; presence from the json tags.

import { int32, int64, message, msg, msgs, string } from "../schema.ts";
import { LabelSelector, ObjectMeta, Time } from "./meta-v1.ts";
import { Quantity } from "./values.ts";

const P = "pointer";
const A = "always";
const meta = msg(1, "metadata", () => ObjectMeta);

/** The same three fields in v1 and v2. */
const CrossVersionObjectReference = message("CrossVersionObjectReference", [
  string(1, "kind", A),
  string(2, "name", A),
  string(3, "apiVersion"),
]);

// ---- v1 ----

const ScaleSpec = message("ScaleSpec", [int32(1, "replicas")]);
const ScaleStatus = message("ScaleStatus", [int32(1, "replicas", A), string(2, "selector")]);

export const Scale = message("Scale", [meta, msg(2, "spec", () => ScaleSpec), msg(3, "status", () => ScaleStatus)]);

const HorizontalPodAutoscalerSpecV1 = message("HorizontalPodAutoscalerSpec", [
  msg(1, "scaleTargetRef", () => CrossVersionObjectReference),
  int32(2, "minReplicas", P),
  int32(3, "maxReplicas", A),
  int32(4, "targetCPUUtilizationPercentage", P),
]);

const HorizontalPodAutoscalerStatusV1 = message("HorizontalPodAutoscalerStatus", [
  int64(1, "observedGeneration", P),
  msg(2, "lastScaleTime", () => Time, P),
  int32(3, "currentReplicas", A),
  int32(4, "desiredReplicas", A),
  int32(5, "currentCPUUtilizationPercentage", P),
]);

export const HorizontalPodAutoscalerV1 = message("HorizontalPodAutoscaler", [
  meta,
  msg(2, "spec", () => HorizontalPodAutoscalerSpecV1),
  msg(3, "status", () => HorizontalPodAutoscalerStatusV1),
]);

// ---- v2 ----

const MetricIdentifier = message("MetricIdentifier", [
  string(1, "name", A),
  msg(2, "selector", () => LabelSelector, P),
]);

const MetricTarget = message("MetricTarget", [
  string(1, "type", A),
  msg(2, "value", () => Quantity, P),
  msg(3, "averageValue", () => Quantity, P),
  int32(4, "averageUtilization", P),
]);

const MetricValueStatus = message("MetricValueStatus", [
  msg(1, "value", () => Quantity, P),
  msg(2, "averageValue", () => Quantity, P),
  int32(3, "averageUtilization", P),
]);

const target = msg(2, "target", () => MetricTarget);
const current = msg(2, "current", () => MetricValueStatus);
const metric = (no: number) => msg(no, "metric", () => MetricIdentifier);

const MetricSpec = message("MetricSpec", [
  string(1, "type", A),
  msg(2, "object", () => ObjectMetricSource, P),
  msg(3, "pods", () => PodsMetricSource, P),
  msg(4, "resource", () => ResourceMetricSource, P),
  msg(7, "containerResource", () => ContainerResourceMetricSource, P),
  msg(5, "external", () => ExternalMetricSource, P),
]);

const ObjectMetricSource = message("ObjectMetricSource", [
  msg(1, "describedObject", () => CrossVersionObjectReference),
  target,
  metric(3),
]);
const PodsMetricSource = message("PodsMetricSource", [metric(1), target]);
const ResourceMetricSource = message("ResourceMetricSource", [string(1, "name", A), target]);
const ContainerResourceMetricSource = message("ContainerResourceMetricSource", [
  string(1, "name", A),
  target,
  string(3, "container", A),
]);
const ExternalMetricSource = message("ExternalMetricSource", [metric(1), target]);

const HPAScalingPolicy = message("HPAScalingPolicy", [
  string(1, "type", A),
  int32(2, "value", A),
  int32(3, "periodSeconds", A),
]);

const HPAScalingRules = message("HPAScalingRules", [
  int32(3, "stabilizationWindowSeconds", P),
  string(1, "selectPolicy", P),
  msgs(2, "policies", () => HPAScalingPolicy),
]);

const HorizontalPodAutoscalerBehavior = message("HorizontalPodAutoscalerBehavior", [
  msg(1, "scaleUp", () => HPAScalingRules, P),
  msg(2, "scaleDown", () => HPAScalingRules, P),
]);

const HorizontalPodAutoscalerSpecV2 = message("HorizontalPodAutoscalerSpec", [
  msg(1, "scaleTargetRef", () => CrossVersionObjectReference),
  int32(2, "minReplicas", P),
  int32(3, "maxReplicas", A),
  msgs(4, "metrics", () => MetricSpec),
  msg(5, "behavior", () => HorizontalPodAutoscalerBehavior, P),
]);

const MetricStatus = message("MetricStatus", [
  string(1, "type", A),
  msg(2, "object", () => ObjectMetricStatus, P),
  msg(3, "pods", () => PodsMetricStatus, P),
  msg(4, "resource", () => ResourceMetricStatus, P),
  msg(7, "containerResource", () => ContainerResourceMetricStatus, P),
  msg(5, "external", () => ExternalMetricStatus, P),
]);

const ObjectMetricStatus = message("ObjectMetricStatus", [
  metric(1),
  current,
  msg(3, "describedObject", () => CrossVersionObjectReference),
]);
const PodsMetricStatus = message("PodsMetricStatus", [metric(1), current]);
const ResourceMetricStatus = message("ResourceMetricStatus", [string(1, "name", A), current]);
const ContainerResourceMetricStatus = message("ContainerResourceMetricStatus", [
  string(1, "name", A),
  current,
  string(3, "container", A),
]);
const ExternalMetricStatus = message("ExternalMetricStatus", [metric(1), current]);

const HorizontalPodAutoscalerCondition = message("HorizontalPodAutoscalerCondition", [
  string(1, "type", A),
  string(2, "status", A),
  msg(3, "lastTransitionTime", () => Time),
  string(4, "reason"),
  string(5, "message"),
]);

const HorizontalPodAutoscalerStatusV2 = message("HorizontalPodAutoscalerStatus", [
  int64(1, "observedGeneration", P),
  msg(2, "lastScaleTime", () => Time, P),
  int32(3, "currentReplicas"),
  int32(4, "desiredReplicas", A),
  msgs(5, "currentMetrics", () => MetricStatus, A),
  msgs(6, "conditions", () => HorizontalPodAutoscalerCondition),
]);

export const HorizontalPodAutoscalerV2 = message("HorizontalPodAutoscaler", [
  meta,
  msg(2, "spec", () => HorizontalPodAutoscalerSpecV2),
  msg(3, "status", () => HorizontalPodAutoscalerStatusV2),
]);
