// The representations a GET, LIST or WATCH may be asked for besides the object itself (kube's
// "conversion targets" in the Accept header): a meta.k8s.io Table (kubectl get), a
// PartialObjectMetadata or a PartialObjectMetadataList (metadata-only clients), in v1 or v1beta1.
// Negotiation picks one; the transforms below render it from the objects the store returned.

import type { KObject, ResourceDef, TableConvertor } from "../../apis/types.ts";
import { negotiate, type Offer, offer, parseAccept } from "../negotiation.ts";
import { errors, StatusError } from "../../machinery/status.ts";
import { builtinTableConvertor } from "../../apis/builtin/printers.ts";
import { customResourceTableConvertor } from "./custom-resource-columns.ts";
import { capabilitiesOf } from "../../apis/capabilities.ts";
import { kubeKindTableConvertor } from "../../apis/crd/kube-kind-printers.ts";

export type OutputKind = "Table" | "PartialObjectMetadata" | "PartialObjectMetadataList";

/** What to answer with: the object(s) as stored, or a meta.k8s.io representation. */
export type OutputTarget = { kind: "object" } | { kind: OutputKind; version: "v1" | "v1beta1" };

export type IncludeObject = "None" | "Metadata" | "Object";

interface TargetOffer extends Offer {
  target: OutputTarget;
}

function targetOffer(kind: OutputKind, version: "v1" | "v1beta1"): TargetOffer {
  return {
    ...offer(`application/json;as=${kind};v=${version};g=meta.k8s.io`),
    target: Object.freeze({ kind, version }),
  };
}

const TABLE_OFFERS = [targetOffer("Table", "v1"), targetOffer("Table", "v1beta1")];
const METADATA_OFFERS = [
  targetOffer("PartialObjectMetadata", "v1"),
  targetOffer("PartialObjectMetadata", "v1beta1"),
  targetOffer("PartialObjectMetadataList", "v1"),
  targetOffer("PartialObjectMetadataList", "v1beta1"),
];
// Targets are shared by every request that negotiated them (see negotiateOutput): frozen.
const PLAIN: TargetOffer = { ...offer("application/json"), target: Object.freeze({ kind: "object" }) };

const crdConvertors = new WeakMap<ResourceDef, TableConvertor>();

/** The Table convertor of a kind, or undefined for kinds that cannot be listed (the review APIs). */
export function tableConvertorOf(def: ResourceDef): TableConvertor | undefined {
  if (def.table) return def.table;
  if (def.mode !== "stored") return undefined;
  if (capabilitiesOf(def).table === "printer-columns") {
    let c = crdConvertors.get(def);
    if (!c) {
      // A Kubernetes workload kind whose CRD names no columns prints as kube prints it.
      const kube = def.printerColumns?.length ? undefined : kubeKindTableConvertor(def.group, def.version, def.kind);
      c = kube ?? customResourceTableConvertor(def.printerColumns);
      crdConvertors.set(def, c);
    }
    return c;
  }
  return builtinTableConvertor(def.group, def.kind);
}

/** The media types kube lists in a 406 for this kind's endpoints. */
function servedMediaTypes(def: ResourceDef): string[] {
  return capabilitiesOf(def).protobuf
    ? ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"]
    : ["application/json", "application/yaml"];
}

/**
 * The representation the Accept header asks for. A header that only names conversions this kind
 * cannot do is 406, as kube answers; any other clause is served as the object in JSON (the
 * serializations besides JSON are another layer's business).
 */
export function negotiateOutput(def: ResourceDef, accept: string | null): OutputTarget {
  const chosen = negotiate(accept, tableConvertorOf(def) ? OFFERS_WITH_TABLE : OFFERS_WITHOUT_TABLE);
  if (chosen) return chosen.target;
  const plainAsked = parseAccept(accept ?? "").some((e) => e.q > 0 && e.params.as === undefined);
  if (plainAsked) return PLAIN.target;
  throw errors.notAcceptable(servedMediaTypes(def));
}

// One array per offer set, so that negotiate remembers its answers per header.
const OFFERS_WITH_TABLE = [...TABLE_OFFERS, ...METADATA_OFFERS, PLAIN];
const OFFERS_WITHOUT_TABLE = [...METADATA_OFFERS, PLAIN];

export function parseIncludeObject(query: URLSearchParams): IncludeObject {
  const v = query.get("includeObject") ?? "";
  if (v === "" || v === "Metadata") return "Metadata";
  if (v === "None" || v === "Object") return v;
  throw errors.badRequest(`unrecognized includeObject value: ${JSON.stringify(v)}`);
}

function notAcceptable(message: string): StatusError {
  return new StatusError(406, "NotAcceptable", message);
}

export function partialObjectMetadata(obj: KObject, version: string): Record<string, unknown> {
  return { kind: "PartialObjectMetadata", apiVersion: `meta.k8s.io/${version}`, metadata: obj.metadata };
}

function rowObject(obj: KObject, include: IncludeObject, version: string): unknown {
  if (include === "None") return undefined;
  if (include === "Object") return obj;
  return partialObjectMetadata(obj, version);
}

export interface ListMetadata {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

/** A Table of `objects`; without `columns` (watch events after the first), columnDefinitions is null. */
export function renderTable(
  def: ResourceDef,
  objects: readonly KObject[],
  metadata: ListMetadata,
  version: string,
  include: IncludeObject,
  withColumns = true,
): Record<string, unknown> {
  const convertor = tableConvertorOf(def) as TableConvertor;
  const rows = objects.map((o) => {
    const row: Record<string, unknown> = { cells: convertor.cells(o) };
    const object = rowObject(o, include, version);
    if (object !== undefined) row.object = object;
    return row;
  });
  return {
    kind: "Table",
    apiVersion: `meta.k8s.io/${version}`,
    metadata,
    columnDefinitions: withColumns ? convertor.columns : null,
    rows,
  };
}

/** The response body of a GET of one object, in the negotiated representation. */
export function transformObject(def: ResourceDef, obj: KObject, target: OutputTarget, query: URLSearchParams): unknown {
  switch (target.kind) {
    case "object":
      return obj;
    case "Table":
      return renderTable(
        def,
        [obj],
        { resourceVersion: obj.metadata.resourceVersion },
        target.version,
        parseIncludeObject(query),
      );
    case "PartialObjectMetadata":
      return partialObjectMetadata(obj, target.version);
    case "PartialObjectMetadataList":
      throw notAcceptable(
        `you requested PartialObjectMetadataList, but the requested object is not a list (*${def.kind})`,
      );
  }
}

/** The response body of a LIST, in the negotiated representation. */
export function transformList(
  def: ResourceDef,
  list: { kind?: string; apiVersion?: string; metadata: ListMetadata; items: KObject[] },
  target: OutputTarget,
  query: URLSearchParams,
): unknown {
  switch (target.kind) {
    case "object":
      return list;
    case "Table":
      return renderTable(def, list.items, list.metadata, target.version, parseIncludeObject(query));
    case "PartialObjectMetadataList":
      return {
        kind: "PartialObjectMetadataList",
        apiVersion: `meta.k8s.io/${target.version}`,
        metadata: list.metadata,
        items: list.items.map((o) => partialObjectMetadata(o, target.version)),
      };
    case "PartialObjectMetadata":
      throw notAcceptable(`you requested PartialObjectMetadata, but the requested object is a list (*${def.listKind})`);
  }
}

/**
 * How a watch writes each event's object: unchanged, as PartialObjectMetadata, or as a one-row
 * Table whose first occurrence carries the column definitions. Returns null for the plain form,
 * so the watch keeps sharing one encoded JSON per event among its watchers.
 */
export function watchObjectEncoder(
  def: ResourceDef,
  target: OutputTarget,
  query: URLSearchParams,
): ((obj: KObject) => string) | null {
  if (target.kind === "object") return null;
  const version = target.version;
  if (target.kind !== "Table") return (obj) => JSON.stringify(partialObjectMetadata(obj, version));
  const include = parseIncludeObject(query);
  let first = true;
  return (obj) => {
    // A bookmark (metadata only, no name) becomes an empty Table carrying its resourceVersion.
    const rows = obj.metadata.name === undefined ? [] : [obj];
    const table = renderTable(def, rows, { resourceVersion: obj.metadata.resourceVersion }, version, include, first);
    first = false;
    return JSON.stringify(table);
  };
}

/**
 * A write's response in the negotiated representation: kube answers a create, update, patch or
 * delete with a Table (or metadata) too when asked. Status answers and errors pass through.
 */
export async function respondAs(
  def: ResourceDef,
  target: OutputTarget,
  query: URLSearchParams,
  res: Response,
): Promise<Response> {
  if (target.kind === "object" || !res.ok || !(res.headers.get("content-type") ?? "").startsWith("application/json"))
    return res;
  const body = (await res.json()) as KObject;
  const out = body?.kind === "Status" || !body?.metadata ? body : transformObject(def, body, target, query);
  return new Response(JSON.stringify(out), { status: res.status, headers: res.headers });
}
