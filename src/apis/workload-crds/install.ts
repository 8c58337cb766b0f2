// `kcp start --install-workload-crds`: create the ready-made workload CRDs in a logical cluster
// (`admin`, whose CRDs every logical cluster inherits) when they are missing. A CRD of the same
// name that is already there is left alone, whoever made it and whatever it holds: the flag never
// overwrites a user's definition, and it costs one read per CRD on later starts.

import { StatusError } from "../../machinery/status.ts";
import type { ResourceRegistry } from "../registry.ts";
import type { ObjectStore } from "../store.ts";
import type { KObject, ResourceDef } from "../types.ts";
import { log } from "../../log.ts";
import { workloadCRDs } from "./workload-crds.ts";

const INSTALLER = { username: "system:kcp:workload-crds", groups: ["system:masters"] };

/** How long start-up waits for the CRD controller to serve what was created. */
const SERVED_WITHIN_MS = 15_000;

/**
 * Creates the missing workload CRDs in `cluster` and waits until the CRD controller serves those,
 * so that the server reports ready with them (as with CRDs it found in storage); returns the names
 * it created.
 */
export async function installWorkloadCRDs(
  store: ObjectStore,
  registry: ResourceRegistry,
  crdDef: ResourceDef,
  cluster: string,
): Promise<string[]> {
  const created: KObject[] = [];
  for (const crd of workloadCRDs()) {
    const name = crd.metadata.name as string;
    if (await store.tryGet(crdDef, cluster, undefined, name)) continue;
    const ctx = { cluster, user: INSTALLER, dryRun: false, warnings: [], fieldManager: "kcp-workload-crds" };
    try {
      await store.create(crdDef, ctx, crd, undefined);
      created.push(crd);
    } catch (err) {
      // Created meanwhile by someone else (another replica starting on the same etcd): theirs stands.
      if (!(err instanceof StatusError && err.reason === "AlreadyExists")) throw err;
    }
  }
  const served = () =>
    created.every((c) => {
      const spec = c.spec as { group: string; names: { plural: string }; versions: { name: string }[] };
      return registry.lookup(cluster, spec.group, spec.versions[0]?.name ?? "", spec.names.plural) !== undefined;
    });
  const deadline = Date.now() + SERVED_WITHIN_MS;
  while (!served()) {
    if (Date.now() > deadline) {
      // Not a reason to fail start-up: the CRD controller goes on and will serve them.
      log.warn(`the workload CRDs were not served within ${SERVED_WITHIN_MS / 1000}s; continuing`);
      break;
    }
    await Bun.sleep(20);
  }
  return created.map((c) => c.metadata.name as string);
}
