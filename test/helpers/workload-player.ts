// Plays the kubelet and the deployment controller in a "physical cluster" (a kcp process with the
// workload CRDs): every Deployment it sees gets the status a real cluster would give it once its
// pods run — replicas, updatedReplicas, readyReplicas, availableReplicas equal to spec.replicas
// (default 1), observedGeneration its generation, conditions Available and Progressing True.
// Tests use it to see status flow up through the syncer.
//
// With `ready` (the demos), it can hold a rollout half-way: while `ready()` is false, every Deployment
// shows its replicas created and up to date but none ready (as pods still pulling their image), and
// `resettle()` re-plays them all once it turns true — so a demo can print that moment deterministically.
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
  /** List every Deployment and write its status again (after `ready` turned true). */
  resettle(): Promise<void>;
  stop(): Promise<void>;
}

/** The status a settled Deployment has (kept stable: its timestamps come from the first time it is set). */
export function settledStatus(obj: KObject, previous: unknown): Record<string, unknown> {
  const spec = (obj.spec ?? {}) as { replicas?: number };
  const replicas = typeof spec.replicas === "number" ? spec.replicas : 1;
  const prev = (previous ?? {}) as { conditions?: { type: string; lastTransitionTime?: string }[] };
  const stamp = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  // A condition keeps its time while its status stays the same (it may have been False while held).
  const since = (type: string) =>
    prev.conditions?.find((c) => c.type === type && (c as { status?: string }).status === "True")?.lastTransitionTime ??
    stamp;
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

/** The status of a rollout whose pods exist and are up to date but not ready yet (kube omits zero counts). */
export function heldStatus(obj: KObject, previous: unknown): Record<string, unknown> {
  const spec = (obj.spec ?? {}) as { replicas?: number };
  const replicas = typeof spec.replicas === "number" ? spec.replicas : 1;
  const prev = (previous ?? {}) as { conditions?: { type: string; status?: string; lastTransitionTime?: string }[] };
  const stamp = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  const since = (type: string, status: string) =>
    prev.conditions?.find((c) => c.type === type && c.status === status)?.lastTransitionTime ?? stamp;
  return {
    observedGeneration: obj.metadata.generation ?? 1,
    replicas,
    updatedReplicas: replicas,
    ...(replicas > 0 ? { unavailableReplicas: replicas } : {}),
    conditions: [
      {
        type: "Available",
        status: "False",
        reason: "MinimumReplicasUnavailable",
        message: "Deployment does not have minimum availability.",
        lastUpdateTime: since("Available", "False"),
        lastTransitionTime: since("Available", "False"),
      },
      {
        type: "Progressing",
        status: "True",
        reason: "ReplicaSetUpdated",
        message: `ReplicaSet "${obj.metadata.name}" is progressing.`,
        lastUpdateTime: since("Progressing", "True"),
        lastTransitionTime: since("Progressing", "True"),
      },
    ],
  };
}

export interface WorkloadPlayerOptions {
  /** While this returns false, Deployments get heldStatus instead of settledStatus (default: always ready). */
  ready?: () => boolean;
}

function sameStatus(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Start playing the cluster behind `rest` (all namespaces). */
export function startWorkloadPlayer(
  rest: RestClient,
  ref: ResourceRef = DEPLOYMENTS,
  opts: WorkloadPlayerOptions = {},
): WorkloadPlayer {
  const client: ResourceClient = new DynamicClient(rest).resource(ref);
  const abort = new AbortController();
  let writes = 0;
  const settle = async (obj: KObject) => {
    const want = opts.ready && !opts.ready() ? heldStatus(obj, obj.status) : settledStatus(obj, obj.status);
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
    async resettle() {
      const list = await client.list();
      for (const obj of list.items) await settle(obj);
    },
    async stop() {
      abort.abort();
      await Promise.race([done, Bun.sleep(1000)]);
    },
  };
}
