// The negotiation of one (logical cluster, group, version, resource): from its imports, the
// negotiated resource as it stands, and a user's CRD when one dictates the schema, the common spec
// the negotiated resource should have and each import's verdict (compatible or not, and why).
// Pure: the controller (negotiation-controller.ts) reads the objects and writes the results.
//
// Which imports shape the schema ("contributors") is remembered on the negotiated resource (as
// import uid and generation), so that:
//  - a new import narrows the schema only when its schemaUpdateStrategy allows it given whether
//    the resource is published (UpdateNever: never; UpdateUnpublished: while unpublished;
//    UpdatePublished: always), else it is only checked against it (incremental, as the seed);
//  - when a contributor leaves or changes (its cluster detached, upgraded or downgraded), the
//    schema is rebuilt from the remaining contributors and the imports allowed to narrow, so it
//    widens again when the limiting cluster leaves. The seed rebuilt from every import with
//    narrowing allowed to all, which let an UpdateUnpublished import narrow a published schema.

import {
  type APIResourceImportSpec,
  type CommonAPIResourceSpec,
  strategyAllowsUpdate,
} from "../../apis/builtin/apiresource.ts";
import { compareCommonSpecs } from "../../apis/negotiation/common-spec-compat.ts";
import { lowestCommonDenominator } from "../../apis/negotiation/schema-lcd.ts";

export interface ImportInput {
  name: string;
  uid: string;
  generation: number;
  spec: APIResourceImportSpec;
}

export interface NegotiationInput {
  /** The imports of the resource, oldest first (the first one names the resource). */
  imports: ImportInput[];
  /** The negotiated resource as it stands, if any. */
  current?: {
    spec: CommonAPIResourceSpec;
    published: boolean;
    /** Contributor tokens (contributorToken) remembered on it; undefined: none recorded. */
    contributors?: string[];
  };
  /** A user's CRD version of this resource: its spec is the negotiated one, imports are only checked. */
  enforced?: CommonAPIResourceSpec;
}

export interface ImportVerdict {
  compatible: boolean;
  /** Why not ("<field>: <what differs>; …"); "" when compatible. */
  message: string;
}

export interface NegotiationResult {
  spec: CommonAPIResourceSpec;
  /** Contributor tokens, in import order. */
  contributors: string[];
  /** By import name. */
  verdicts: Map<string, ImportVerdict>;
}

/** What identifies an import's contribution: a recreated import (new uid) or a changed one (new generation) is another. */
export function contributorToken(i: { name: string; uid: string; generation: number }): string {
  return `${i.name}/${i.uid}/${i.generation}`;
}

const COMMON_FIELDS = [
  "groupVersion",
  "scope",
  "plural",
  "singular",
  "kind",
  "listKind",
  "shortNames",
  "categories",
  "openAPIV3Schema",
  "subResources",
  "columnDefinitions",
] as const;

/** The common part of an import's or a negotiated resource's spec (a deep copy, absent fields left out). */
export function commonSpecOf(spec: CommonAPIResourceSpec): CommonAPIResourceSpec {
  const out: Record<string, unknown> = {};
  for (const k of COMMON_FIELDS) {
    const v = (spec as unknown as Record<string, unknown>)[k];
    if (v !== undefined && v !== null) out[k] = structuredClone(v);
  }
  return out as unknown as CommonAPIResourceSpec;
}

interface Check {
  ok: boolean;
  message: string;
  lcd?: Record<string, unknown>;
}

/** Whether `incoming` accepts everything `negotiated` does (narrowing `negotiated` first when allowed). */
function check(negotiated: CommonAPIResourceSpec, incoming: CommonAPIResourceSpec, narrow: boolean): Check {
  const problems = compareCommonSpecs(negotiated, incoming).map((e) => `${e.field}: ${e.message}`);
  const r = lowestCommonDenominator(
    negotiated.kind || "schema",
    negotiated.openAPIV3Schema,
    incoming.openAPIV3Schema,
    narrow,
  );
  if (!r.ok) problems.push(r.message);
  if (problems.length) return { ok: false, message: problems.join("; ") };
  return { ok: true, message: "", lcd: r.ok ? r.lcd : undefined };
}

export function negotiate(input: NegotiationInput): NegotiationResult | undefined {
  const { imports, current, enforced } = input;
  if (imports.length === 0) return undefined;
  const verdicts = new Map<string, ImportVerdict>();
  if (enforced) {
    // A user's CRD is the law: imports are only checked against it, and nothing contributes.
    for (const i of imports) {
      const c = check(enforced, i.spec, false);
      verdicts.set(i.name, { compatible: c.ok, message: c.message });
    }
    return { spec: commonSpecOf(enforced), contributors: [], verdicts };
  }
  const published = current?.published ?? false;
  const remembered = new Set(current?.contributors ?? []);
  const tokens = new Map(imports.map((i) => [i.name, contributorToken(i)]));
  const present = new Set(tokens.values());
  const isContributor = (i: ImportInput) => remembered.has(tokens.get(i.name) as string);
  const mayNarrow = (i: ImportInput) =>
    isContributor(i) || strategyAllowsUpdate(i.spec.schemaUpdateStrategy, published);
  const incremental = current !== undefined && remembered.size > 0 && [...remembered].every((t) => present.has(t));

  let spec: CommonAPIResourceSpec;
  const contributors = new Set<string>();
  let toFold: ImportInput[];
  if (incremental && current) {
    spec = commonSpecOf(current.spec);
    for (const t of remembered) contributors.add(t);
    toFold = imports.filter((i) => !isContributor(i) && mayNarrow(i));
  } else {
    // A rebuild: the remaining contributors first (they shaped it before), then the imports
    // allowed to narrow; with none of those, the oldest import defines the resource.
    const shapers = [...imports.filter(isContributor), ...imports.filter((i) => !isContributor(i) && mayNarrow(i))];
    const first = shapers[0] ?? imports[0];
    spec = commonSpecOf(first.spec);
    contributors.add(tokens.get(first.name) as string);
    toFold = shapers.filter((i) => i !== first);
  }
  const failed = new Map<string, string>();
  for (const i of toFold) {
    const c = check(spec, i.spec, true);
    if (!c.ok || !c.lcd) {
      failed.set(i.name, c.message);
      continue;
    }
    spec.openAPIV3Schema = c.lcd;
    contributors.add(tokens.get(i.name) as string);
  }
  // Verdicts against the final schema: a later narrowing may have made an earlier import compatible.
  for (const i of imports) {
    const why = failed.get(i.name);
    if (why !== undefined) {
      verdicts.set(i.name, { compatible: false, message: why });
      continue;
    }
    const c = check(spec, i.spec, false);
    verdicts.set(i.name, { compatible: c.ok, message: c.message });
  }
  const order = imports.map((i) => tokens.get(i.name) as string).filter((t) => contributors.has(t));
  return { spec, contributors: order, verdicts };
}
