// A cluster's OpenAPI models, fetched lazily and once per instance: OpenAPI v3 first (the
// `/openapi/v3` index, then only the group-version documents asked for), OpenAPI v2 (`/openapi/v2`,
// the whole document) when the server has no v3 (Kubernetes before 1.23 without the feature gate
// answers 404) or its index lacks the group-version.

import { modelsFromV2, modelsFromV3, type OpenAPIModels } from "../../apis/crd-pull/openapi-models.ts";
import type { RestClient } from "../../client/rest-client.ts";
import { isObject } from "../../machinery/object.ts";
import { isStatusError } from "../../machinery/status.ts";

/** Kubernetes 1.3x's whole v2 document is ~4 MiB; a cluster with many large CRDs has more. */
const MAX_OPENAPI_BYTES = 128 * 1024 * 1024;

export class OpenAPISource {
  private v3Index?: Promise<Map<string, string> | undefined>;
  private readonly v3Docs = new Map<string, Promise<OpenAPIModels>>();
  private v2?: Promise<OpenAPIModels>;

  constructor(private readonly rest: RestClient) {}

  /** Which document the models of a group-version came from ("v3" or "v2"), for messages. */
  async modelsFor(group: string, version: string): Promise<{ models: OpenAPIModels; from: "v3" | "v2" }> {
    const index = await this.index();
    const key = group ? `apis/${group}/${version}` : `api/${version}`;
    const url = index?.get(key);
    if (url !== undefined) {
      let doc = this.v3Docs.get(key);
      if (!doc) {
        doc = this.get(this.underBase(url)).then((d) => modelsFromV3([d]));
        this.v3Docs.set(key, doc);
      }
      return { models: await doc, from: "v3" };
    }
    this.v2 ??= this.get("/openapi/v2").then(modelsFromV2);
    return { models: await this.v2, from: "v2" };
  }

  /**
   * A server-relative URL as a path under the client's server URL: kcp's index names
   * `/clusters/<name>/openapi/v3/…` (relative to the host, as kube's contract says), while the
   * client's server URL already ends in `/clusters/<name>`; a cluster behind a proxy's path prefix
   * names `/openapi/v3/…`, under the prefix.
   */
  private underBase(url: string): string {
    const base = new URL(this.rest.config.server).pathname.replace(/\/+$/, "");
    return base && url.startsWith(`${base}/`) ? url.slice(base.length) : url;
  }

  private index(): Promise<Map<string, string> | undefined> {
    this.v3Index ??= this.get("/openapi/v3").then(
      (doc) => {
        const out = new Map<string, string>();
        const paths = isObject(doc) && isObject(doc.paths) ? doc.paths : {};
        for (const [k, v] of Object.entries(paths)) {
          if (isObject(v) && typeof v.serverRelativeURL === "string" && v.serverRelativeURL.startsWith("/"))
            out.set(k, v.serverRelativeURL);
        }
        return out;
      },
      (e) => {
        // No v3 on this server: v2 it is. Anything else (403, a network error) is the caller's.
        if (isStatusError(e) && (e.code === 404 || e.code === 406)) return undefined;
        throw e;
      },
    );
    return this.v3Index;
  }

  private get(pathAndQuery: string): Promise<unknown> {
    const q = pathAndQuery.indexOf("?");
    const path = q < 0 ? pathAndQuery : pathAndQuery.slice(0, q);
    const query = q < 0 ? undefined : Object.fromEntries(new URLSearchParams(pathAndQuery.slice(q + 1)));
    return this.rest.request<unknown>({ method: "GET", path, query, maxResponseBytes: MAX_OPENAPI_BYTES });
  }
}
