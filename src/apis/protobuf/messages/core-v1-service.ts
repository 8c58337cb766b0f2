// k8s.io/api/core/v1: Service (spec, ports, session affinity, load-balancer status), Kubernetes
// 1.33. Field numbers from core/v1 generated.proto; presence from the Go structs' json tags.

import { bool, int32, map, message, msg, msgs, string, strings } from "../schema.ts";
import { Condition, ObjectMeta } from "./meta-v1.ts";
import { IntOrString } from "./values.ts";

const P = "pointer";
const A = "always";

/** targetPort is an IntOrString value: Go writes it (0) even when unset. */
const ServicePort = message("ServicePort", [
  string(1, "name"),
  string(2, "protocol"),
  string(6, "appProtocol", P),
  int32(3, "port", A),
  msg(4, "targetPort", () => IntOrString),
  int32(5, "nodePort"),
]);

const ClientIPConfig = message("ClientIPConfig", [int32(1, "timeoutSeconds", P)]);

const SessionAffinityConfig = message("SessionAffinityConfig", [msg(1, "clientIP", () => ClientIPConfig, P)]);

const ServiceSpec = message("ServiceSpec", [
  msgs(1, "ports", () => ServicePort),
  map(2, "selector", "string"),
  string(3, "clusterIP"),
  strings(18, "clusterIPs"),
  string(4, "type"),
  strings(5, "externalIPs"),
  string(7, "sessionAffinity"),
  string(8, "loadBalancerIP"),
  strings(9, "loadBalancerSourceRanges"),
  string(10, "externalName"),
  string(11, "externalTrafficPolicy"),
  int32(12, "healthCheckNodePort"),
  bool(13, "publishNotReadyAddresses"),
  msg(14, "sessionAffinityConfig", () => SessionAffinityConfig, P),
  strings(19, "ipFamilies"),
  string(17, "ipFamilyPolicy", P),
  bool(20, "allocateLoadBalancerNodePorts", P),
  string(21, "loadBalancerClass", P),
  string(22, "internalTrafficPolicy", P),
  string(23, "trafficDistribution", P),
]);

const PortStatus = message("PortStatus", [int32(1, "port", A), string(2, "protocol", A), string(3, "error", P)]);

const LoadBalancerIngress = message("LoadBalancerIngress", [
  string(1, "ip"),
  string(2, "hostname"),
  string(3, "ipMode", P),
  msgs(4, "ports", () => PortStatus),
]);

const LoadBalancerStatus = message("LoadBalancerStatus", [msgs(1, "ingress", () => LoadBalancerIngress)]);

const ServiceStatus = message("ServiceStatus", [
  msg(1, "loadBalancer", () => LoadBalancerStatus),
  msgs(2, "conditions", () => Condition),
]);

export const Service = message("Service", [
  msg(1, "metadata", () => ObjectMeta),
  msg(2, "spec", () => ServiceSpec),
  msg(3, "status", () => ServiceStatus),
]);
