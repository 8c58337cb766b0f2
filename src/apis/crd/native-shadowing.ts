// A CRD may define kinds in Kubernetes' own groups (src/apis/crd/kube-groups.ts), but never one kcp
// serves natively: the built-in would win every request while the CRD claimed the same names, and
// its objects would share a storage key space with the built-in's. Refused at validation, so the
// user learns it at `kubectl apply` instead of from a CRD that never serves.

import { field, type FieldError } from "../../machinery/status.ts";
import { obj, str, strings } from "../../machinery/json-access.ts";
import type { KObject, ResourceDef } from "../types.ts";

/** What a CRD is checked against: a resource kcp serves natively. */
export type NativeResource = Pick<
  ResourceDef,
  "group" | "version" | "plural" | "singular" | "kind" | "listKind" | "shortNames"
>;

function describe(n: NativeResource): string {
  const gv = n.group ? `${n.group}/${n.version}` : n.version;
  return `the built-in resource "${n.plural}" (${gv} ${n.kind}) that kcp serves natively`;
}

/** Field errors for each name of the CRD that is a name of a native resource of its group. */
export function validateNotShadowingNative(crd: KObject, natives: readonly NativeResource[]): FieldError[] {
  const spec = obj(crd.spec);
  const group = str(spec.group);
  const names = obj(spec.names);
  const inGroup = natives.filter((n) => n.group === group);
  if (inGroup.length === 0) return [];
  const errs: FieldError[] = [];
  // Resource names share one namespace for kubectl (plural, singular and short names alike).
  const resourceNames = new Map<string, NativeResource>();
  const kindNames = new Map<string, NativeResource>();
  for (const n of inGroup) {
    for (const r of [n.plural, n.singular, ...(n.shortNames ?? [])])
      if (r && !resourceNames.has(r)) resourceNames.set(r, n);
    for (const k of [n.kind, n.listKind || `${n.kind}List`]) if (!kindNames.has(k)) kindNames.set(k, n);
  }
  // One error per native resource: its first clashing name says enough.
  const reported = new Set<NativeResource>();
  const check = (path: string, value: string, table: Map<string, NativeResource>) => {
    const native = value ? table.get(value) : undefined;
    if (native && !reported.has(native)) {
      reported.add(native);
      errs.push(
        field.invalid(
          path,
          value,
          `must not shadow ${describe(native)}: a CustomResourceDefinition cannot redefine it`,
        ),
      );
    }
  };
  check("spec.names.plural", str(names.plural), resourceNames);
  check("spec.names.singular", str(names.singular), resourceNames);
  strings(names.shortNames).forEach((s, i) => {
    check(`spec.names.shortNames[${i}]`, s, resourceNames);
  });
  check("spec.names.kind", str(names.kind), kindNames);
  check("spec.names.listKind", str(names.listKind), kindNames);
  return errs;
}
