// k8s.io/kube-aggregator apiregistration/v1: APIService.

import { bool, bytes, int32, message, msg, msgs, string } from "../schema.ts";
import { ObjectMeta, Time } from "./meta-v1.ts";

const ServiceReference = message("ServiceReference", [
  string(1, "namespace"),
  string(2, "name"),
  int32(3, "port", "pointer"),
]);

const APIServiceSpec = message("APIServiceSpec", [
  msg(1, "service", () => ServiceReference, "pointer"),
  string(2, "group"),
  string(3, "version"),
  bool(4, "insecureSkipTLSVerify"),
  bytes(5, "caBundle"),
  int32(7, "groupPriorityMinimum", "always"),
  int32(8, "versionPriority", "always"),
]);

const APIServiceCondition = message("APIServiceCondition", [
  string(1, "type", "always"),
  string(2, "status", "always"),
  msg(3, "lastTransitionTime", () => Time),
  string(4, "reason"),
  string(5, "message"),
]);

const APIServiceStatus = message("APIServiceStatus", [msgs(1, "conditions", () => APIServiceCondition)]);

export const APIService = message("APIService", [
  msg(1, "metadata", () => ObjectMeta),
  msg(2, "spec", () => APIServiceSpec),
  msg(3, "status", () => APIServiceStatus),
]);
