// Resource names as LimitRange and ResourceQuota use them ("cpu", "requests.memory",
// "count/deployments.apps", "example.com/gpu"), with kube's rules for which are standard,
// which must be whole numbers, and which may be overcommitted.

import { field, type FieldError } from "../../../machinery/status.ts";
import { isQualifiedName } from "../../../machinery/validation/names.ts";
import { formatQuantity, milliValue, type Quantity } from "../../../machinery/quantity.ts";

const STANDARD_RESOURCES = new Set([
  "cpu",
  "memory",
  "ephemeral-storage",
  "requests.cpu",
  "requests.memory",
  "requests.ephemeral-storage",
  "limits.cpu",
  "limits.memory",
  "limits.ephemeral-storage",
  "pods",
  "resourcequotas",
  "services",
  "replicationcontrollers",
  "secrets",
  "configmaps",
  "persistentvolumeclaims",
  "storage",
  "requests.storage",
  "services.nodeports",
  "services.loadbalancers",
]);

const STANDARD_QUOTA_RESOURCES = new Set([...STANDARD_RESOURCES].filter((r) => r !== "storage"));

const STANDARD_CONTAINER_RESOURCES = new Set(["cpu", "memory", "ephemeral-storage"]);

const INTEGER_RESOURCES = new Set([
  "pods",
  "resourcequotas",
  "services",
  "replicationcontrollers",
  "secrets",
  "configmaps",
  "persistentvolumeclaims",
  "services.nodeports",
  "services.loadbalancers",
]);

const isHugePages = (name: string) => name.startsWith("hugepages-");
const isQuotaHugePages = (name: string) => name.startsWith("hugepages-") || name.startsWith("requests.hugepages-");

/** Unprefixed names and kubernetes.io/ names are kube's own. */
export function isNativeResource(name: string): boolean {
  return !name.includes("/") || name.includes("kubernetes.io/");
}

/** Names like example.com/gpu that devices advertise; quota counts them as requests.<name>. */
export function isExtendedResourceName(name: string): boolean {
  if (isNativeResource(name) || name.startsWith("requests.")) return false;
  return isQualifiedName(`requests.${name}`).length === 0;
}

export function isStandardQuotaResourceName(name: string): boolean {
  return STANDARD_QUOTA_RESOURCES.has(name) || isQuotaHugePages(name);
}

function isIntegerResourceName(name: string): boolean {
  return INTEGER_RESOURCES.has(name) || isExtendedResourceName(name);
}

/** Hugepages and extended resources may not be requested below their limit. */
export function isOvercommitAllowed(name: string): boolean {
  return isNativeResource(name) && !isHugePages(name);
}

/** validateResourceName: a qualified name, and standard when unprefixed. */
export function validateResourceName(name: string, path: string): FieldError[] {
  const errs = isQualifiedName(name).map((msg) => field.invalid(path, name, msg));
  if (errs.length) return errs;
  if (!name.includes("/") && !(STANDARD_RESOURCES.has(name) || isQuotaHugePages(name))) {
    errs.push(field.invalid(path, name, "must be a standard resource type or fully qualified"));
  }
  return errs;
}

export function validateQuotaResourceName(name: string, path: string): FieldError[] {
  const errs = validateResourceName(name, path);
  if (!name.includes("/") && !isStandardQuotaResourceName(name)) {
    errs.push(field.invalid(path, name, "must be a standard resource for quota"));
  }
  return errs;
}

export function validateContainerResourceName(name: string, path: string): FieldError[] {
  const errs = validateResourceName(name, path);
  if (!name.includes("/")) {
    if (!STANDARD_CONTAINER_RESOURCES.has(name) && !isHugePages(name)) {
      errs.push(field.invalid(path, name, "must be a standard resource for containers"));
    }
  } else if (!isNativeResource(name) && !isExtendedResourceName(name)) {
    errs.push(field.invalid(path, name, "doesn't follow extended resource name standard"));
  }
  return errs;
}

/** ValidateResourceQuantityValue: never negative, and whole for countable resources. */
export function validateResourceQuantityValue(name: string, q: Quantity, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (q.nanos < 0n) errs.push(field.invalid(path, formatQuantity(q), "must be greater than or equal to 0"));
  if (isIntegerResourceName(name) && milliValue(q) % 1000n !== 0n)
    errs.push(field.invalid(path, formatQuantity(q), "must be an integer"));
  return errs;
}
