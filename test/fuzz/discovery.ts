// The resources a logical cluster serves, from its legacy discovery documents: what the fuzzer
// addresses, and what the isolation check lists.

import type { ApiResource } from "./requests.ts";

type Get = (path: string) => Promise<unknown>;

interface ResourceList {
  groupVersion: string;
  resources: { name: string; kind: string; namespaced: boolean; verbs: string[] }[];
}

export async function discoverResources(get: Get, clusterPrefix: string): Promise<ApiResource[]> {
  const lists: ResourceList[] = [];
  const core = (await get(`${clusterPrefix}/api`)) as { versions: string[] };
  for (const v of core.versions) lists.push((await get(`${clusterPrefix}/api/${v}`)) as ResourceList);
  const groups = (await get(`${clusterPrefix}/apis`)) as { groups: { versions: { groupVersion: string }[] }[] };
  for (const g of groups.groups)
    for (const v of g.versions) lists.push((await get(`${clusterPrefix}/apis/${v.groupVersion}`)) as ResourceList);
  const out: ApiResource[] = [];
  for (const list of lists) {
    const [group, version] = list.groupVersion.includes("/") ? list.groupVersion.split("/") : ["", list.groupVersion];
    for (const r of list.resources) {
      const [resource, subresource] = r.name.split("/");
      out.push({
        group: group ?? "",
        version: version ?? "v1",
        resource: resource ?? r.name,
        ...(subresource ? { subresource } : {}),
        kind: r.kind,
        namespaced: r.namespaced,
        verbs: r.verbs ?? [],
      });
    }
  }
  return out;
}
