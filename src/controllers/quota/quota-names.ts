// Which objects a quota's resource name counts, as kube's object-count evaluators name them:
// `count/<resource>` (core group) and `count/<resource>.<group>` for any resource, and the legacy
// names that predate them. Of the legacy names only `configmaps`, `secrets` and `resourcequotas`
// name kinds kcp serves; `pods`, `services`, … name nothing here, and compute quotas (`cpu`,
// `requests.memory`, …) have nothing to measure: they count 0.

/** The legacy object-count names (kube's evaluators register them beside `count/…`). */
const LEGACY_COUNTS: ReadonlyMap<string, string> = new Map([
  ["configmaps", "configmaps"],
  ["secrets", "secrets"],
  ["resourcequotas", "resourcequotas"],
  ["pods", "pods"],
  ["services", "services"],
  ["replicationcontrollers", "replicationcontrollers"],
  ["persistentvolumeclaims", "persistentvolumeclaims"],
]);

const COUNT_PREFIX = "count/";

/** The group and resource a quota resource name counts, or undefined when it is no object count. */
export function countedResource(name: string): { group: string; resource: string } | undefined {
  if (name.startsWith(COUNT_PREFIX)) {
    const rest = name.slice(COUNT_PREFIX.length);
    const dot = rest.indexOf(".");
    const resource = dot < 0 ? rest : rest.slice(0, dot);
    if (!resource) return undefined;
    return { group: dot < 0 ? "" : rest.slice(dot + 1), resource };
  }
  const legacy = LEGACY_COUNTS.get(name);
  return legacy ? { group: "", resource: legacy } : undefined;
}
