// Names acceptance, as apiextensions-apiserver's naming and establishing controllers decide it
// within one logical cluster: a CRD's requested plural, singular and short names must not be in use
// by another CRD of the same group (nor its kind and listKind); names it already holds stay its
// own. The result is status.acceptedNames plus the NamesAccepted and Established conditions.

import { setCondition } from "../../apis/crd/crd-conditions.ts";
import { acceptedNamesOf, type CRDNames, conditionsOf, crdSpec } from "../../apis/crd/crd-spec.ts";
import type { KObject } from "../../apis/types.ts";

interface Claimed {
  resources: Set<string>;
  kinds: Set<string>;
}

/** The names other CRDs of the group have been granted. */
export function claimedNames(others: CRDNames[]): Claimed {
  const resources = new Set<string>();
  const kinds = new Set<string>();
  for (const n of others) {
    for (const r of [n.plural, n.singular, ...n.shortNames]) if (r) resources.add(r);
    for (const k of [n.kind, n.listKind]) if (k) kinds.add(k);
  }
  return { resources, kinds };
}

function equalToAcceptedOrFresh(requested: string, accepted: string, used: Set<string>): string | undefined {
  if (requested === accepted || !used.has(requested)) return undefined;
  return `"${requested}" is already in use`;
}

/** acceptedNames as the Go struct serialises it (empty optional fields omitted). */
function namesJSON(n: CRDNames): Record<string, unknown> {
  const out: Record<string, unknown> = { plural: n.plural };
  if (n.singular) out.singular = n.singular;
  if (n.shortNames.length) out.shortNames = n.shortNames;
  out.kind = n.kind;
  if (n.listKind) out.listKind = n.listKind;
  if (n.categories.length) out.categories = n.categories;
  return out;
}

/**
 * Set acceptedNames, NamesAccepted and Established on `crd` (in place) given the names the other
 * CRDs of its group hold. Returns the accepted names.
 */
export function acceptNames(crd: KObject, claimed: Claimed): CRDNames {
  const requested = crdSpec(crd).names;
  const accepted = acceptedNamesOf(crd);
  const next: CRDNames = { ...accepted, shortNames: [...accepted.shortNames], categories: [...accepted.categories] };
  let reason = "";
  let message = "";
  const fail = (r: string, m: string) => {
    reason = r;
    message = m;
  };
  const plural = equalToAcceptedOrFresh(requested.plural, accepted.plural, claimed.resources);
  if (plural) fail("PluralConflict", plural);
  else next.plural = requested.plural;
  const singular = equalToAcceptedOrFresh(requested.singular, accepted.singular, claimed.resources);
  if (singular) fail("SingularConflict", singular);
  else next.singular = requested.singular;
  if (JSON.stringify(requested.shortNames) !== JSON.stringify(accepted.shortNames)) {
    const held = new Set(accepted.shortNames);
    const conflicts = requested.shortNames
      .filter((s) => !held.has(s))
      .map((s) => equalToAcceptedOrFresh(s, "", claimed.resources))
      .filter((e): e is string => e !== undefined);
    if (conflicts.length)
      fail("ShortNamesConflict", conflicts.length === 1 ? (conflicts[0] as string) : `[${conflicts.join(", ")}]`);
    else next.shortNames = [...requested.shortNames];
  }
  const kind = equalToAcceptedOrFresh(requested.kind, accepted.kind, claimed.kinds);
  if (kind) fail("KindConflict", kind);
  else next.kind = requested.kind;
  const listKind = equalToAcceptedOrFresh(requested.listKind, accepted.listKind, claimed.kinds);
  if (listKind) fail("ListKindConflict", listKind);
  else next.listKind = requested.listKind;
  next.categories = [...requested.categories];

  const status = (crd.status ?? {}) as Record<string, unknown>;
  crd.status = status;
  status.acceptedNames = namesJSON(next);
  const accepted_ = reason === "";
  setCondition(
    crd,
    accepted_
      ? { type: "NamesAccepted", status: "True", reason: "NoConflicts", message: "no conflicts found" }
      : { type: "NamesAccepted", status: "False", reason, message },
  );
  const established = conditionsOf(crd).find((c) => c.type === "Established");
  if (accepted_) {
    // kube's establishing controller follows at once on a single server: merged into one step here.
    setCondition(crd, {
      type: "Established",
      status: "True",
      reason: "InitialNamesAccepted",
      message: "the initial names have been accepted",
    });
  } else if (!established) {
    setCondition(crd, {
      type: "Established",
      status: "False",
      reason: "NotAccepted",
      message: "not all names are accepted",
    });
  }
  return next;
}
