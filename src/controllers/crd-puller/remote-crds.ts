// The cluster's own CustomResourceDefinitions, read once per pull (a paged list) through the
// newest apiextensions version it serves: v1, or v1beta1 on clusters before 1.16, whose CRDs are
// rewritten in v1's shape (per-version schema, subresources and printer columns; `JSONPath` →
// `jsonPath`). Keyed by CRD name (`deployments.apps`, `pods.core` in a kcp).

import type { RestClient } from "../../client/rest-client.ts";
import { isObject } from "../../machinery/object.ts";

type Json = Record<string, unknown>;

const PAGE = 100;
/**
 * All pages together (a CRD may be ~1 MiB; a cluster with a few hundred large ones stays well
 * below): a server that keeps promising another page must not fill our memory.
 */
export const MAX_CRD_LIST_BYTES = 256 * 1024 * 1024;
const MAX_PAGES = 1000;

export async function listRemoteCRDs(
  rest: RestClient,
  apiVersion: "v1" | "v1beta1",
  maxTotalBytes = MAX_CRD_LIST_BYTES,
): Promise<Map<string, Json>> {
  const out = new Map<string, Json>();
  let cont: string | undefined;
  let left = maxTotalBytes;
  const tooLarge = () =>
    new Error(`the cluster's CustomResourceDefinitions are more than ${maxTotalBytes} bytes in all`);
  for (let page = 0; page < MAX_PAGES; page++) {
    if (left <= 0) throw tooLarge();
    const list = await rest
      .request<unknown>({
        method: "GET",
        path: `/apis/apiextensions.k8s.io/${apiVersion}/customresourcedefinitions`,
        query: { limit: String(PAGE), continue: cont },
        maxResponseBytes: left,
      })
      .catch((e: Error) => {
        throw /: the answer is (more than|[0-9]+ bytes, more than) /.test(e.message) ? tooLarge() : e;
      });
    // What the page keeps in memory (its whitespace aside) counts against the whole.
    left -= JSON.stringify(list ?? null).length;
    const items = isObject(list) && Array.isArray(list.items) ? list.items.filter(isObject) : [];
    for (const item of items) {
      const name = isObject(item.metadata) ? item.metadata.name : undefined;
      if (typeof name === "string") out.set(name, apiVersion === "v1" ? item : v1beta1ToV1(item));
    }
    cont = isObject(list) && isObject(list.metadata) ? (list.metadata.continue as string | undefined) : undefined;
    if (!cont) break;
  }
  return out;
}

function columnsToV1(cols: unknown): Json[] | undefined {
  if (!Array.isArray(cols)) return undefined;
  return cols.filter(isObject).map((c) => {
    const { JSONPath, ...rest } = c;
    return { ...rest, jsonPath: JSONPath ?? c.jsonPath };
  });
}

/** A v1beta1 CRD in v1's shape (what the v1 API would have answered). */
export function v1beta1ToV1(crd: Json): Json {
  const spec = isObject(crd.spec) ? crd.spec : {};
  const { version, versions, validation, subresources, additionalPrinterColumns, preserveUnknownFields, ...rest } =
    spec;
  const listed = Array.isArray(versions) && versions.length > 0 ? versions.filter(isObject) : undefined;
  const all = listed ?? (typeof version === "string" ? [{ name: version, served: true, storage: true }] : []);
  const topColumns = columnsToV1(additionalPrinterColumns);
  const v1Versions = all.map((v) => {
    const out: Json = { ...v };
    let schema = isObject(v.schema) ? v.schema : isObject(validation) ? validation : undefined;
    // v1beta1's preserveUnknownFields (true by default from 1.15) is v1's root-level extension.
    if (schema && preserveUnknownFields === true && isObject(schema.openAPIV3Schema)) {
      schema = {
        ...schema,
        openAPIV3Schema: { ...schema.openAPIV3Schema, "x-kubernetes-preserve-unknown-fields": true },
      };
    }
    if (schema) out.schema = schema;
    const sub = v.subresources ?? subresources;
    if (isObject(sub)) out.subresources = sub;
    const cols = columnsToV1(v.additionalPrinterColumns) ?? topColumns;
    if (cols?.length) out.additionalPrinterColumns = cols;
    else delete out.additionalPrinterColumns;
    return out;
  });
  return { ...crd, apiVersion: "apiextensions.k8s.io/v1", spec: { ...rest, versions: v1Versions } };
}
