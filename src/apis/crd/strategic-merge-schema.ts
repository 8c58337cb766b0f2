// Strategic merge patch for CRDs that serve Kubernetes' own kinds (deployments.apps, pods, …).
// kubectl has Go types for these kinds, so `kubectl apply` (client-side), `kubectl edit`,
// `kubectl patch` and `kubectl set image` send strategic merge patches, which kube-apiserver refuses
// (415) for every CR. kcp accepts them for CRs in Kubernetes' groups and merges lists as the Go
// types' patch tags say; a CRD schema cannot carry those tags (JSONSchemaProps has no field for
// them), so they are derived from what it does carry: a list-type map list merges by its first key
// (containers by name, ports by containerPort, service ports by port, conditions by type — kube's
// patchMergeKey in each case), a set list merges as a union, every other list is replaced.

import { setOwn } from "../../machinery/object.ts";

type Schema = Record<string, unknown>;

function isSchema(v: unknown): v is Schema {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A copy of `schema` with x-kubernetes-patch-strategy / -merge-key on its map and set lists. */
export function withDerivedPatchStrategies(schema: Schema): Schema {
  const out: Schema = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === "properties" && isSchema(v)) {
      const props: Schema = {};
      for (const [name, p] of Object.entries(v)) setOwn(props, name, isSchema(p) ? withDerivedPatchStrategies(p) : p);
      out[k] = props;
    } else if ((k === "items" || k === "additionalProperties") && isSchema(v)) out[k] = withDerivedPatchStrategies(v);
    else if ((k === "allOf" || k === "anyOf" || k === "oneOf") && Array.isArray(v))
      out[k] = v.map((s) => (isSchema(s) ? withDerivedPatchStrategies(s) : s));
    else out[k] = v;
  }
  const listType = schema["x-kubernetes-list-type"];
  const keys = schema["x-kubernetes-list-map-keys"];
  if (schema.type === "array" && schema["x-kubernetes-patch-strategy"] === undefined) {
    if (listType === "map" && Array.isArray(keys) && typeof keys[0] === "string") {
      out["x-kubernetes-patch-strategy"] = "merge";
      out["x-kubernetes-patch-merge-key"] = keys[0];
    } else if (listType === "set") out["x-kubernetes-patch-strategy"] = "merge";
  }
  return out;
}
