// At most 10 Update managers are kept per object, as kube does: the oldest are merged into one
// "ancient-changes" entry per apiVersion.

import { type Managed, managerIdentifier } from "./managed-fields.ts";

export const MAX_UPDATE_MANAGERS = 10;
const BUCKET_MANAGER = "ancient-changes";

export function capUpdateManagers(managed: Managed, max = MAX_UPDATE_MANAGERS): void {
  const updaters = [...managed.fields.entries()].filter(([, vs]) => !vs.applied).map(([id]) => id);
  if (updaters.length <= max) return;
  const time = (id: string) => {
    const t = managed.times.get(id);
    return t ? Date.parse(t) : Number.NEGATIVE_INFINITY;
  };
  updaters.sort((a, b) => time(a) - time(b) || (a < b ? -1 : a > b ? 1 : 0));
  const firstOfVersion = new Map<string, string>();
  let length = updaters.length;
  for (let i = 0; i < updaters.length && length > max; i++) {
    const id = updaters[i] as string;
    const vs = managed.fields.get(id);
    if (!vs) continue;
    const bucket = managerIdentifier({ manager: BUCKET_MANAGER, operation: "Update", apiVersion: vs.apiVersion });
    const first = firstOfVersion.get(vs.apiVersion);
    if (first === undefined) {
      firstOfVersion.set(vs.apiVersion, id);
      continue;
    }
    if (!managed.fields.has(bucket)) {
      const firstSet = managed.fields.get(first);
      if (firstSet) {
        managed.fields.delete(first);
        managed.fields.set(bucket, firstSet);
        managed.times.delete(first);
      }
    }
    const current = managed.fields.get(bucket);
    managed.fields.set(bucket, {
      set: vs.set.union(current?.set ?? vs.set),
      apiVersion: vs.apiVersion,
      applied: false,
    });
    managed.fields.delete(id);
    managed.times.set(bucket, managed.times.get(id));
    managed.times.delete(id);
    length--;
  }
}
