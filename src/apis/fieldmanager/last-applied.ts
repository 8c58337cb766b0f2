// Server-side apply meets client-side apply's `kubectl.kubernetes.io/last-applied-configuration`
// annotation, for kubectl's own manager ("kubectl") only, as kube does:
// - conflicts on fields the annotation lists with their live values are not conflicts: kubectl
//   applied them before, client-side, so the apply takes them over;
// - after the apply, an object that has the annotation gets it rewritten to the new configuration,
//   so that going back to client-side apply stays possible.

import type { KObject } from "../types.ts";
import type { SchemaNode } from "../schema-node.ts";
import { compareValues } from "./compare.ts";
import type { FieldSet } from "./field-set.ts";
import { fieldSetOf } from "./field-set-of.ts";
import { goJSON } from "./path-element.ts";

export const LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration";
/** The manager `kubectl apply --server-side` uses. */
export const KUBECTL_SSA_MANAGER = "kubectl";

export function lastAppliedOf(obj: KObject | undefined): string | undefined {
  const v = obj?.metadata?.annotations?.[LAST_APPLIED_ANNOTATION];
  return typeof v === "string" && v !== "" ? v : undefined;
}

/** The fields the annotation lists that still have the value it gives them in `live`. */
export function fieldsFromLastApplied(live: KObject, node: SchemaNode): FieldSet | undefined {
  const text = lastAppliedOf(live);
  if (text === undefined) return undefined;
  try {
    const last: unknown = JSON.parse(text);
    const set = fieldSetOf(last, node);
    const diff = compareValues(last, live, node);
    return set.difference(diff.modified).difference(diff.added).difference(diff.removed);
  } catch {
    return undefined;
  }
}

/** The annotation's value for an applied configuration: the configuration without the annotation, as Go's JSON encoder writes it. */
export function buildLastApplied(config: KObject): string {
  const c = structuredClone(config);
  const ann = c.metadata?.annotations;
  if (ann) delete ann[LAST_APPLIED_ANNOTATION];
  return `${goJSON(c)}\n`;
}
