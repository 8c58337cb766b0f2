// What the offloaded tasks need of a ResourceDef, as plain data that crosses to a worker
// (structured clone takes no functions): identity, status handling, capabilities and schema.

import type { ResourceCapabilities, ResourceDef } from "../types.ts";

export interface PortableDef {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  source: ResourceDef["source"];
  hasStatus: boolean;
  capabilities?: ResourceCapabilities;
  openAPISchema?: Record<string, unknown>;
}

const portable = new WeakMap<ResourceDef, PortableDef>();

export function toPortableDef(def: ResourceDef): PortableDef {
  let p = portable.get(def);
  if (!p) {
    p = {
      group: def.group,
      version: def.version,
      kind: def.kind,
      plural: def.plural,
      namespaced: def.namespaced,
      source: def.source,
      hasStatus: def.strategy.hasStatus,
      ...(def.capabilities ? { capabilities: { ...def.capabilities } } : {}),
      ...(def.openAPISchema ? { openAPISchema: def.openAPISchema } : {}),
    };
    portable.set(def, p);
  }
  return p;
}

/**
 * A ResourceDef with only what the field manager and the patch engines read of one. Its
 * strategy has no hooks: the worker never prepares or validates, the main thread does.
 */
export function fromPortableDef(p: PortableDef): ResourceDef {
  return {
    group: p.group,
    version: p.version,
    kind: p.kind,
    plural: p.plural,
    singular: "",
    listKind: `${p.kind}List`,
    namespaced: p.namespaced,
    verbs: [],
    subresources: [],
    mode: "stored",
    source: p.source,
    strategy: { hasStatus: p.hasStatus } as ResourceDef["strategy"],
    ...(p.capabilities ? { capabilities: p.capabilities } : {}),
    ...(p.openAPISchema ? { openAPISchema: p.openAPISchema } : {}),
  } as ResourceDef;
}
