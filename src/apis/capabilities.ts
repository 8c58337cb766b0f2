// The capabilities of built-in kinds and of custom resources (ResourceCapabilities), set by their
// definition builders, and the lookup every caller uses instead of testing where a kind came from.

import type { ResourceCapabilities, ResourceDef } from "./types.ts";

/** Kinds with Go types behind them (src/apis/builtin). */
export const BUILTIN_CAPABILITIES: Readonly<ResourceCapabilities> = Object.freeze({
  strategicMergePatch: true,
  protobuf: true,
  schema: "builtin",
  table: "builtin",
  verbOrder: "sorted",
  deleteReturnsObject: false,
  keepsNullFields: false,
});

/** Custom resources: unstructured JSON, described by their CRD (src/apis/crd). */
export const CUSTOM_RESOURCE_CAPABILITIES: Readonly<ResourceCapabilities> = Object.freeze({
  strategicMergePatch: false,
  protobuf: false,
  schema: "custom",
  table: "printer-columns",
  verbOrder: "declared",
  deleteReturnsObject: true,
  keepsNullFields: true,
});

/**
 * What `def` can do: its own capabilities, else (a definition built by hand, as tests and
 * library users may) the defaults of its source.
 */
export function capabilitiesOf(def: ResourceDef): Readonly<ResourceCapabilities> {
  return def.capabilities ?? (def.source === "crd" ? CUSTOM_RESOURCE_CAPABILITIES : BUILTIN_CAPABILITIES);
}
