// Which resources a server serves, from the legacy discovery documents (/api, /api/v1, /apis,
// /apis/<group>/<version>): the preferred version of each group, its resources with kind, scope,
// verbs, short names and categories, and their subresources folded into the parent. Cached until
// invalidate() (a new CRD appears: the caller invalidates and asks again).

import type { RestClient } from "./rest-client.ts";

export interface APIResourceInfo {
  group: string;
  version: string;
  resource: string;
  kind: string;
  namespaced: boolean;
  verbs: string[];
  subresources: string[];
  shortNames?: string[];
  categories?: string[];
}

interface APIResource {
  name: string;
  kind: string;
  namespaced: boolean;
  verbs?: string[];
  shortNames?: string[];
  categories?: string[];
}

interface APIGroupList {
  groups?: { name: string; preferredVersion?: { version: string }; versions?: { version: string }[] }[];
}

/** Discovery documents are small (kube's largest group list is well under 1 MiB); a server may be anyone's. */
export const MAX_DISCOVERY_BYTES = 8 * 1024 * 1024;

export class DiscoveryClient {
  private cached?: Promise<APIResourceInfo[]>;

  constructor(private readonly rest: RestClient) {}

  /** Preferred version of every resource (no subresources in the list; they are in `subresources`). */
  serverPreferredResources(): Promise<APIResourceInfo[]> {
    this.cached ??= this.discover().catch((e) => {
      this.cached = undefined;
      throw e;
    });
    return this.cached;
  }

  /** Finds a resource by "resource", "resource.group" (e.g. deployments.apps), short name or kind; undefined if absent. */
  async findResource(name: string): Promise<APIResourceInfo | undefined> {
    const all = await this.serverPreferredResources();
    const lower = name.toLowerCase();
    const byGroupResource = all.find((r) => (r.group ? `${r.resource}.${r.group}` : r.resource) === lower);
    if (byGroupResource) return byGroupResource;
    // "pods.core" names the core group as CRDs do.
    const core = lower.endsWith(".core")
      ? all.find((r) => r.group === "" && `${r.resource}.core` === lower)
      : undefined;
    return (
      core ??
      all.find((r) => r.resource === lower) ??
      all.find((r) => r.shortNames?.includes(lower)) ??
      all.find((r) => r.kind.toLowerCase() === lower)
    );
  }

  invalidate(): void {
    this.cached = undefined;
  }

  private async discover(): Promise<APIResourceInfo[]> {
    const versions: { group: string; version: string; path: string }[] = [];
    const core = await this.rest.request<{ versions?: string[] }>({
      method: "GET",
      path: "/api",
      maxResponseBytes: MAX_DISCOVERY_BYTES,
    });
    const coreVersion = core?.versions?.[0];
    if (coreVersion) versions.push({ group: "", version: coreVersion, path: `/api/${coreVersion}` });
    const groups = await this.rest.request<APIGroupList>({
      method: "GET",
      path: "/apis",
      maxResponseBytes: MAX_DISCOVERY_BYTES,
    });
    for (const g of groups?.groups ?? []) {
      const version = g.preferredVersion?.version ?? g.versions?.[0]?.version;
      if (version) versions.push({ group: g.name, version, path: `/apis/${g.name}/${version}` });
    }
    const lists = await Promise.all(
      versions.map(async (v) => {
        try {
          const list = await this.rest.request<{ resources?: APIResource[] }>({
            method: "GET",
            path: v.path,
            maxResponseBytes: MAX_DISCOVERY_BYTES,
          });
          return { ...v, resources: list?.resources ?? [] };
        } catch {
          // A group that went away between the two reads (a CRD deleted): skip it, as kubectl does.
          return { ...v, resources: [] };
        }
      }),
    );
    const out: APIResourceInfo[] = [];
    for (const { group, version, resources } of lists) {
      const byName = new Map<string, APIResourceInfo>();
      for (const r of resources) {
        if (r.name.includes("/")) continue;
        const info: APIResourceInfo = {
          group,
          version,
          resource: r.name,
          kind: r.kind,
          namespaced: r.namespaced,
          verbs: r.verbs ?? [],
          subresources: [],
        };
        if (r.shortNames?.length) info.shortNames = r.shortNames;
        if (r.categories?.length) info.categories = r.categories;
        byName.set(r.name, info);
        out.push(info);
      }
      for (const r of resources) {
        const slash = r.name.indexOf("/");
        if (slash < 0) continue;
        byName.get(r.name.slice(0, slash))?.subresources.push(r.name.slice(slash + 1));
      }
    }
    return out;
  }
}
