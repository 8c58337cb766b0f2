// k8s.io/api/networking/v1: Ingress (`kubectl create ingress` sends it in protobuf). Field numbers
// from networking/v1 generated.proto; presence from the json tags. IngressRule embeds
// IngressRuleValue (`json:""`), which Go's JSON inlines.

import { inline, int32, message, msg, msgs, string, strings } from "../schema.ts";
import { TypedLocalObjectReference } from "./core-v1-volumes.ts";
import { ObjectMeta } from "./meta-v1.ts";

const P = "pointer";
const A = "always";

const ServiceBackendPort = message("ServiceBackendPort", [string(1, "name"), int32(2, "number")]);

/** port is a struct value: Go writes it ({}) even when unset. */
const IngressServiceBackend = message("IngressServiceBackend", [
  string(1, "name", A),
  msg(2, "port", () => ServiceBackendPort),
]);

const IngressBackend = message("IngressBackend", [
  msg(4, "service", () => IngressServiceBackend, P),
  msg(3, "resource", () => TypedLocalObjectReference, P),
]);

const HTTPIngressPath = message("HTTPIngressPath", [
  string(1, "path"),
  string(3, "pathType", "nullable"),
  msg(2, "backend", () => IngressBackend),
]);

const HTTPIngressRuleValue = message("HTTPIngressRuleValue", [msgs(1, "paths", () => HTTPIngressPath, A)]);

const IngressRuleValue = message("IngressRuleValue", [msg(1, "http", () => HTTPIngressRuleValue, P)]);

const IngressRule = message("IngressRule", [string(1, "host"), inline(2, "ingressRuleValue", () => IngressRuleValue)]);

const IngressTLS = message("IngressTLS", [strings(1, "hosts"), string(2, "secretName")]);

const IngressSpec = message("IngressSpec", [
  string(4, "ingressClassName", P),
  msg(1, "defaultBackend", () => IngressBackend, P),
  msgs(2, "tls", () => IngressTLS),
  msgs(3, "rules", () => IngressRule),
]);

const IngressPortStatus = message("IngressPortStatus", [
  int32(1, "port", A),
  string(2, "protocol", A),
  string(3, "error", P),
]);

const IngressLoadBalancerIngress = message("IngressLoadBalancerIngress", [
  string(1, "ip"),
  string(2, "hostname"),
  msgs(4, "ports", () => IngressPortStatus),
]);

const IngressLoadBalancerStatus = message("IngressLoadBalancerStatus", [
  msgs(1, "ingress", () => IngressLoadBalancerIngress),
]);

const IngressStatus = message("IngressStatus", [msg(1, "loadBalancer", () => IngressLoadBalancerStatus)]);

export const Ingress = message("Ingress", [
  msg(1, "metadata", () => ObjectMeta),
  msg(2, "spec", () => IngressSpec),
  msg(3, "status", () => IngressStatus),
]);
