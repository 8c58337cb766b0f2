// The rest of negotiation: besides the schema, a cluster's resource must be the same resource as
// the negotiated one — the same names, scope, subresources and printer columns. Unlike the schema,
// none of these can be narrowed: each difference is reported. Rules (docs/multi-cluster.md):
//  - plural, kind, scope must be equal; singular and listKind too, after kube's defaults
//    (lower-case kind, kind + "List");
//  - shortNames and categories must be equal as sets (order ignored): they are how `kubectl get`
//    finds the resource, and a cluster that names it differently is reported rather than guessed;
//  - every subresource the existing spec has (status, scale) must be in the incoming one (the
//    incoming may have more: kcp serves only the existing ones);
//  - every existing printer column must be in the incoming spec with the same type and jsonPath
//    (matched by name; extra incoming columns are ignored).

import type { SchemaIncompatibility } from "./schema-lcd.ts";

export interface CommonSpecLike {
  scope?: string;
  plural?: string;
  singular?: string;
  kind?: string;
  listKind?: string;
  shortNames?: string[];
  categories?: string[];
  subResources?: { name: string }[];
  columnDefinitions?: {
    name: string;
    type: string;
    jsonPath: string;
    format?: string;
    description?: string;
    priority?: number;
  }[];
}

/** Lists longer than this are not names but hostile input. */
const MAX_LIST = 1000;

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

function strings(v: unknown): string[] | undefined {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.length > MAX_LIST || !v.every((x) => typeof x === "string")) return undefined;
  return v as string[];
}

function objects(v: unknown): Record<string, unknown>[] | undefined {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.length > MAX_LIST || !v.every((x) => typeof x === "object" && x !== null))
    return undefined;
  return v as Record<string, unknown>[];
}

/** Values in messages come from other clusters: long ones are cut. */
function q(v: unknown): string {
  if (v === undefined) return "unset";
  const text = JSON.stringify(v) ?? String(v);
  return text.length <= 200 ? text : `${text.slice(0, 200)}…`;
}

/** The differences that make `incoming` a different resource from `existing` (none: compatible). */
export function compareCommonSpecs(existing: CommonSpecLike, incoming: CommonSpecLike): SchemaIncompatibility[] {
  const errs: SchemaIncompatibility[] = [];
  const invalid = (field: string, message: string) => errs.push({ reason: "FieldValueInvalid", field, message });
  const unusable = (field: string) =>
    errs.push({ reason: "FieldValueForbidden", field, message: "is not a list of names the negotiation understands" });

  const eKind = str(existing.kind);
  const nKind = str(incoming.kind);
  const defaults = (kind: string | undefined) => ({
    singular: kind?.toLowerCase(),
    listKind: kind === undefined ? undefined : `${kind}List`,
  });
  const name = (f: "plural" | "kind" | "scope" | "singular" | "listKind", e: unknown, n: unknown) => {
    if (e !== n) invalid(`spec.${f}`, `${f} has been changed in an incompatible way (was ${q(e)}, now ${q(n)})`);
  };
  name("plural", str(existing.plural), str(incoming.plural));
  name(
    "singular",
    str(existing.singular) || defaults(eKind).singular,
    str(incoming.singular) || defaults(nKind).singular,
  );
  name("kind", eKind, nKind);
  name(
    "listKind",
    str(existing.listKind) || defaults(eKind).listKind,
    str(incoming.listKind) || defaults(nKind).listKind,
  );
  name("scope", str(existing.scope) ?? "Namespaced", str(incoming.scope) ?? "Namespaced");

  for (const f of ["shortNames", "categories"] as const) {
    const e = strings(existing[f]);
    const n = strings(incoming[f]);
    if (!e || !n) {
      unusable(`spec.${f}`);
      continue;
    }
    const removed = [...new Set(e.filter((x) => !n.includes(x)))].sort();
    const added = [...new Set(n.filter((x) => !e.includes(x)))].sort();
    const parts = [
      ...(removed.length > 0 ? [`removed ${JSON.stringify(removed)}`] : []),
      ...(added.length > 0 ? [`added ${JSON.stringify(added)}`] : []),
    ];
    if (parts.length > 0) invalid(`spec.${f}`, `${f} have been changed in an incompatible way: ${parts.join(", ")}`);
  }

  const eSubs = objects(existing.subResources);
  const nSubs = objects(incoming.subResources);
  if (!eSubs || !nSubs) unusable("spec.subResources");
  else {
    const have = new Set(nSubs.map((s) => str(s.name)));
    const missing = [...new Set(eSubs.map((s) => str(s.name)).filter((s) => !have.has(s)))].sort();
    if (missing.length > 0)
      invalid(
        "spec.subResources",
        `subresources have been removed in an incompatible way: ${JSON.stringify(missing.map((m) => m ?? null))}`,
      );
  }

  const eCols = objects(existing.columnDefinitions);
  const nCols = objects(incoming.columnDefinitions);
  if (!eCols || !nCols) unusable("spec.columnDefinitions");
  else {
    const byName = new Map<unknown, Record<string, unknown>>();
    for (const c of nCols) if (!byName.has(c.name)) byName.set(c.name, c);
    for (const c of eCols) {
      const n = byName.get(c.name);
      const field = `spec.columnDefinitions[${String(c.name).slice(0, 200)}]`;
      if (!n) invalid(field, "printer column has been removed in an incompatible way");
      else if (n.type !== c.type || n.jsonPath !== c.jsonPath)
        invalid(
          field,
          `printer column has been changed in an incompatible way (was type ${q(c.type)} at ${q(c.jsonPath)}, now type ${q(n.type)} at ${q(n.jsonPath)})`,
        );
    }
  }
  return errs;
}
