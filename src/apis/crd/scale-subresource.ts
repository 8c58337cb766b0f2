// The scale subresource of custom resources: an autoscaling/v1 Scale view of the replicas at
// specReplicasPath / statusReplicasPath (and the selector at labelSelectorPath). GET shows it,
// PUT and PATCH set the spec replicas of the custom resource, which is then validated as a whole.

import { errors, field, type FieldError } from "../../machinery/status.ts";
import type { KObject, RequestContext, SubresourceDef } from "../types.ts";
import type { ScaleSubresource } from "./crd-spec.ts";

type Json = Record<string, unknown>;

function segments(path: string): string[] {
  return path.replace(/^\./, "").split(".");
}

/** unstructured.NestedInt64: absent → found false; not an integer → an accessor error. */
function nestedInt(obj: Json, path: string): { value: number; found: boolean; error?: string } {
  let cur: unknown = obj;
  for (const s of segments(path)) {
    if (typeof cur !== "object" || cur === null || Array.isArray(cur)) return { value: 0, found: false };
    cur = (cur as Json)[s];
    if (cur === undefined) return { value: 0, found: false };
  }
  if (typeof cur === "number" && Number.isInteger(cur)) return { value: cur, found: true };
  const goType =
    typeof cur === "string"
      ? "string"
      : typeof cur === "number"
        ? "float64"
        : typeof cur === "boolean"
          ? "bool"
          : Array.isArray(cur)
            ? "[]interface {}"
            : cur === null
              ? "<nil>"
              : "map[string]interface {}";
  return {
    value: 0,
    found: true,
    error: `${path} accessor error: ${String(cur)} is of the type ${goType}, expected int64`,
  };
}

function nestedString(obj: Json, path: string): { value: string; error?: string } {
  let cur: unknown = obj;
  for (const s of segments(path)) {
    if (typeof cur !== "object" || cur === null || Array.isArray(cur)) return { value: "" };
    cur = (cur as Json)[s];
    if (cur === undefined) return { value: "" };
  }
  if (typeof cur === "string") return { value: cur };
  return { value: "", error: `${path} accessor error: ${String(cur)} is of the type ${typeof cur}, expected string` };
}

function setNested(obj: Json, path: string, value: unknown): void {
  const segs = segments(path);
  let cur = obj;
  for (const s of segs.slice(0, -1)) {
    const next = cur[s];
    if (typeof next !== "object" || next === null || Array.isArray(next)) cur[s] = {};
    cur = cur[s] as Json;
  }
  cur[segs[segs.length - 1] as string] = value;
}

/** The autoscaling/v1 Scale of a custom resource. */
export function scaleOf(cr: KObject, scale: ScaleSubresource): KObject {
  const spec = nestedInt(cr, scale.specReplicasPath);
  const status = nestedInt(cr, scale.statusReplicasPath);
  const err = spec.error ?? status.error;
  if (err) throw errors.badRequest(err);
  const selector = scale.labelSelectorPath ? nestedString(cr, scale.labelSelectorPath) : { value: "" };
  if (selector.error) throw errors.badRequest(selector.error);
  const m = cr.metadata;
  const metadata: Json = { name: m.name };
  if (m.namespace) metadata.namespace = m.namespace;
  metadata.uid = m.uid;
  metadata.resourceVersion = m.resourceVersion;
  metadata.creationTimestamp = m.creationTimestamp ?? null;
  const out: KObject = {
    kind: "Scale",
    apiVersion: "autoscaling/v1",
    metadata,
    spec: spec.value !== 0 ? { replicas: spec.value } : {},
    status: { replicas: status.value, ...(selector.value ? { selector: selector.value } : {}) },
  };
  return out;
}

/** The custom resource a Scale asks for: its spec replicas set, its resourceVersion a precondition. */
export function applyScale(body: KObject, cr: KObject, scale: ScaleSubresource): KObject {
  const desired = structuredClone(cr);
  const replicas = (body.spec as Json | undefined)?.replicas;
  if (replicas !== undefined && replicas !== null && (typeof replicas !== "number" || !Number.isInteger(replicas))) {
    throw errors.badRequest(
      `Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal ${typeof replicas} into Go struct field ScaleSpec.spec.replicas of type int32`,
    );
  }
  setNested(desired, scale.specReplicasPath, typeof replicas === "number" ? replicas : 0);
  const rv = body.metadata?.resourceVersion;
  if (typeof rv === "string" && rv !== "") desired.metadata.resourceVersion = rv;
  else delete desired.metadata.resourceVersion;
  return desired;
}

/** kube's ValidateScaleSpec: the spec replicas are a non-negative int32. */
export function validateScaleSpec(cr: KObject, scale: ScaleSubresource): FieldError[] {
  const r = nestedInt(cr, scale.specReplicasPath);
  if (r.error) return [field.invalid(scale.specReplicasPath, r.value, r.error)];
  if (r.value < 0) return [field.invalid(scale.specReplicasPath, r.value, "should be a non-negative integer")];
  if (r.value > 2147483647)
    return [field.invalid(scale.specReplicasPath, r.value, "should be less than or equal to 2147483647")];
  return [];
}

/** kube's ValidateScaleStatus: the status replicas are a non-negative int32, the selector a string. */
export function validateScaleStatus(cr: KObject, scale: ScaleSubresource): FieldError[] {
  const errs: FieldError[] = [];
  const r = nestedInt(cr, scale.statusReplicasPath);
  if (r.error) errs.push(field.invalid(scale.statusReplicasPath, r.value, r.error));
  else if (r.value < 0) errs.push(field.invalid(scale.statusReplicasPath, r.value, "should be a non-negative integer"));
  else if (r.value > 2147483647)
    errs.push(field.invalid(scale.statusReplicasPath, r.value, "should be less than or equal to 2147483647"));
  if (scale.labelSelectorPath) {
    const s = nestedString(cr, scale.labelSelectorPath);
    if (s.error) errs.push(field.invalid(scale.labelSelectorPath, "", s.error));
  }
  return errs;
}

/**
 * The `scale` SubresourceDef. Writes go through the custom resource's own update rules: `prepare`
 * and `validate` are those of the main resource (status kept, generation bumped on spec change).
 */
export function scaleSubresource(
  scale: ScaleSubresource,
  main: {
    prepare(obj: KObject, old: KObject, ctx: RequestContext): void;
    validate(obj: KObject, old: KObject, ctx: RequestContext): FieldError[];
  },
): SubresourceDef {
  return {
    name: "scale",
    kind: "Scale",
    group: "autoscaling",
    version: "v1",
    verbs: ["get", "patch", "update"],
    prepare: (obj, old, ctx) => main.prepare(obj, old, ctx),
    validate: (obj, old, ctx) => main.validate(obj, old, ctx),
    view: (obj) => scaleOf(obj, scale),
    fromView: (body, current) => applyScale(body, current, scale),
  };
}
