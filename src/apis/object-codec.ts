// How objects are kept in storage and given back: the stored value is the object's JSON without
// its resourceVersion (the storage revision is the resourceVersion), as kube-apiserver does.

import type { KeyValue } from "../storage/interface.ts";
import type { KObject, ResourceDef } from "./types.ts";

/** The annotation that names an object's logical cluster in `/clusters/*` reads. */
export const CLUSTER_ANNOTATION = "kcp.io/cluster";

export function apiVersionOf(def: { group: string; version: string }): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}

export function encodeObject(obj: KObject): string {
  const meta = obj.metadata;
  const rv = meta.resourceVersion;
  const ann = meta.annotations;
  let clusterAnn: string | undefined;
  if (rv !== undefined) delete meta.resourceVersion;
  if (ann && CLUSTER_ANNOTATION in ann) {
    clusterAnn = ann[CLUSTER_ANNOTATION];
    delete ann[CLUSTER_ANNOTATION];
    if (Object.keys(ann).length === 0) delete meta.annotations;
  }
  // apiVersion, kind and metadata first, always: a list can then serve the stored text with the
  // resourceVersion spliced in after a known prefix (servedItemJson) instead of parsing it.
  const s = JSON.stringify(Object.assign({ apiVersion: obj.apiVersion, kind: obj.kind, metadata: obj.metadata }, obj));
  if (rv !== undefined) meta.resourceVersion = rv;
  if (clusterAnn !== undefined) meta.annotations = { ...(meta.annotations ?? {}), [CLUSTER_ANNOTATION]: clusterAnn };
  return s;
}

/** Parse a stored value into an object of `def`, with its resourceVersion and type meta set. */
export function decodeObject(def: ResourceDef, value: string, revision: number, cluster?: string): KObject {
  return finishDecoding(def, JSON.parse(value) as KObject, revision, cluster);
}

/** What decodeObject does after JSON.parse, for a stored value parsed elsewhere (the offload worker). */
export function finishDecoding(def: ResourceDef, obj: KObject, revision: number, cluster?: string): KObject {
  obj.apiVersion = apiVersionOf(def);
  obj.kind = def.kind;
  if (!obj.metadata) obj.metadata = {};
  obj.metadata.resourceVersion = String(revision);
  if (cluster !== undefined)
    obj.metadata.annotations = { ...(obj.metadata.annotations ?? {}), [CLUSTER_ANNOTATION]: cluster };
  // Kinds whose stored form differs from what is served (CRD defaulting on read) adjust it here.
  return def.onRead ? def.onRead(obj) : obj;
}

const servedPrefixes = new WeakMap<object, string>();

/** `{"apiVersion":…,"kind":…,"metadata":{` as encodeObject writes it for objects of `def`. */
function servedPrefix(def: ResourceDef): string {
  let p = servedPrefixes.get(def);
  if (p === undefined) {
    p = `{"apiVersion":${JSON.stringify(apiVersionOf(def))},"kind":${JSON.stringify(def.kind)},"metadata":{`;
    servedPrefixes.set(def, p);
  }
  return p;
}

/**
 * The JSON text of a stored value as served: what `JSON.stringify(decodeObject(...))` gives, with
 * the same parsed meaning (key order may differ). When the kind has no onRead hook and the value
 * starts with the prefix encodeObject writes (this kind's apiVersion and kind, then metadata), the
 * resourceVersion (and for a wildcard read the cluster annotation) is spliced in right after
 * `"metadata":{` without parsing. encodeObject never stores a resourceVersion or the cluster
 * annotation, so the splice adds no duplicate key. A wildcard read of a value that contains an
 * `"annotations":` key anywhere (the annotation must merge into an existing map), a value written
 * in another key order (before encodeObject fixed it) and kinds with onRead take the parsing path.
 */
export function servedItemJson(def: ResourceDef, value: string, revision: number, cluster?: string): string {
  const prefix = servedPrefix(def);
  if (!def.onRead && value.startsWith(prefix) && (cluster === undefined || !value.includes('"annotations":'))) {
    const n = prefix.length;
    let inject = `"resourceVersion":"${revision}"`;
    if (cluster !== undefined)
      inject += `,"annotations":{${JSON.stringify(CLUSTER_ANNOTATION)}:${JSON.stringify(cluster)}}`;
    return value.slice(0, n) + inject + (value.charCodeAt(n) === 0x7d /* } */ ? "" : ",") + value.slice(n);
  }
  return JSON.stringify(decodeObject(def, value, revision, cluster));
}

export function decodeKeyValue(def: ResourceDef, kv: KeyValue, cluster?: string): KObject {
  return decodeObject(def, kv.value, kv.modRevision, cluster);
}

let stampSecond = Number.NaN;
let stampText = "";

/** RFC 3339 with second precision, as metav1.Time serialises. */
export function nowTimestamp(): string {
  // Formatted once per second: every write stamps one or two of these.
  const sec = Math.floor(Date.now() / 1000);
  if (sec !== stampSecond) {
    stampSecond = sec;
    stampText = new Date(sec * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
  }
  return stampText;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], bb[i])) return false;
    return true;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  if (ak.length !== bk.length) return false;
  for (const k of ak) if (!deepEqual(ao[k], bo[k])) return false;
  return true;
}

export function clone<T>(v: T): T {
  return structuredClone(v);
}
