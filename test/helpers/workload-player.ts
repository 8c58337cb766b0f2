// Plays the kubelet and the deployment controller in a "physical cluster" (a kcp process with the
// workload CRDs): every Deployment it sees gets the status a real cluster would give it once its
// pods run — replicas, updatedReplicas, readyReplicas, availableReplicas equal to spec.replicas
// (default 1), observedGeneration its generation, conditions Available and Progressing True.
// Tests use it to see status flow up through the syncer.
//
// It lists, then watches from the list's resourceVersion, and writes status only when it differs
// from what it would write (its own writes come back as events and must not loop).

import { DynamicClient, type ResourceClient, type ResourceRef } from "../../src/client/dynamic-client.ts";
import type { RestClient } from "../../src/client/rest-client.ts";
import type { KObject } from "../../src/machinery/object.ts";

export const DEPLOYMENTS: ResourceRef = {
  group: "apps",
  version: "v1",
  resource: "deployments",
  namespaced: true,
  kind: "Deployment",
};

export interface WorkloadPlayer {
  /** Status writes so far. */
  writes(): number;
  stop(): Promise<void>;
}

/** The status a settled Deployment has (kept stable: its timestamps come from the first time it is set). */
export function settledStatus(obj: KObject, previous: unknown): Record<string, unknown> {
  const spec = (obj.spec ?? {}) as { replicas?: number };
  const replicas = typeof spec.replicas === "number" ? spec.replicas : 1;
  const prev = (previous ?? {}) as { conditions?: { type: string; lastTransitionTime?: string }[] };
  const stamp = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  const since = (type: string) => prev.conditions?.find((c) => c.type === type)?.lastTransitionTime ?? stamp;
  return {
    observedGeneration: obj.metadata.generation ?? 1,
    replicas,
    updatedReplicas: replicas,
    readyReplicas: replicas,
    availableReplicas: replicas,
    conditions: [
      {
        type: "Available",
        status: "True",
        reason: "MinimumReplicasAvailable",
        message: "Deployment has minimum availability.",
        lastUpdateTime: since("Available"),
        lastTransitionTime: since("Available"),
      },
      {
        type: "Progressing",
        status: "True",
        reason: "NewReplicaSetAvailable",
        message: `ReplicaSet "${obj.metadata.name}" has successfully progressed.`,
        lastUpdateTime: since("Progressing"),
        lastTransitionTime: since("Progressing"),
      },
    ],
  };
}

function sameStatus(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Start playing the cluster behind `rest` (all namespaces). */
export function startWorkloadPlayer(rest: RestClient, ref: ResourceRef = DEPLOYMENTS): WorkloadPlayer {
  const client: ResourceClient = new DynamicClient(rest).resource(ref);
  const abort = new AbortController();
  let writes = 0;
  const settle = async (obj: KObject) => {
    const want = settledStatus(obj, obj.status);
    if (sameStatus(want, obj.status)) return;
    try {
      await client.updateStatus({ ...obj, status: want });
      writes++;
    } catch {
      // A newer version is on its way as an event (409), or the object is gone (404).
    }
  };
  const run = async () => {
    while (!abort.signal.aborted) {
      try {
        const list = await client.list();
        for (const obj of list.items) await settle(obj);
        for await (const ev of client.watch({ resourceVersion: list.metadata.resourceVersion })) {
          if (abort.signal.aborted) return;
          if (ev.type === "ADDED" || ev.type === "MODIFIED") await settle(ev.object);
          if (ev.type === "ERROR") break;
        }
      } catch {
        // The cluster went away (tests kill it): try again shortly.
      }
      if (!abort.signal.aborted) await Bun.sleep(200);
    }
  };
  const done = run();
  return {
    writes: () => writes,
    async stop() {
      abort.abort();
      await Promise.race([done, Bun.sleep(1000)]);
    },
  };
}
