// The Warning Events kube's garbage collector records (since 1.20) for an owner reference that can
// never name its owner: a cluster-scoped dependent naming a namespaced kind, or a namespaced
// dependent naming an object that exists in another namespace. Reason `OwnerRefInvalidNamespace`,
// involvedObject the dependent, message "ownerRef [<apiVersion>/<kind>, namespace: <dependent's
// namespace>, name: <name>, uid: <uid>] does not exist in namespace "<dependent's namespace>"",
// source component `garbage-collector-controller`. An Event of a cluster-scoped object goes to
// the `default` namespace, as kube's recorder puts it.

import type { ResourceRegistry } from "../../apis/registry.ts";
import type { ObjectStore } from "../../apis/store.ts";
import type { KObject, RequestContext } from "../../apis/types.ts";
import { log } from "../../log.ts";
import type { OwnerRef } from "./graph.ts";

export const INVALID_OWNER_REASON = "OwnerRefInvalidNamespace";
const COMPONENT = "garbage-collector-controller";
/** Reports remembered (so each invalid reference is reported once); the oldest are forgotten beyond this. */
const REMEMBERED = 10_000;

export interface DependentIdentity {
  cluster: string;
  apiVersion: string;
  kind: string;
  namespace: string | undefined;
  name: string;
  uid: string;
}

export function invalidOwnerMessage(ref: OwnerRef, namespace: string | undefined): string {
  const ns = namespace ?? "";
  return `ownerRef [${ref.apiVersion}/${ref.kind}, namespace: ${ns}, name: ${ref.name}, uid: ${ref.uid}] does not exist in namespace "${ns}"`;
}

export class InvalidOwnerEvents {
  /** `cluster/dependent uid/owner uid` of the references already reported, oldest first. */
  private readonly reported = new Set<string>();

  constructor(
    private readonly store: ObjectStore,
    private readonly registry: ResourceRegistry,
    private readonly ctx: (cluster: string) => RequestContext,
  ) {}

  /** Record the Event once per (dependent, owner uid); best effort: a failure is logged and retried next time. */
  async report(dependent: DependentIdentity, ref: OwnerRef): Promise<void> {
    const key = `${dependent.cluster}/${dependent.uid}/${ref.uid}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    if (this.reported.size > REMEMBERED) {
      const oldest = this.reported.values().next().value;
      if (oldest !== undefined) this.reported.delete(oldest);
    }
    const def = this.registry.lookup(dependent.cluster, "", "v1", "events");
    if (!def) return;
    const namespace = dependent.namespace ?? "default";
    const now = Date.now();
    const stamp = new Date(now).toISOString().replace(/\.\d{3}Z$/, "Z");
    const event: KObject = {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: `${dependent.name}.${now.toString(16)}${Math.floor(Math.random() * 0x10000).toString(16)}` },
      involvedObject: {
        apiVersion: dependent.apiVersion,
        kind: dependent.kind,
        name: dependent.name,
        uid: dependent.uid,
        ...(dependent.namespace ? { namespace: dependent.namespace } : {}),
      },
      reason: INVALID_OWNER_REASON,
      message: invalidOwnerMessage(ref, dependent.namespace),
      type: "Warning",
      count: 1,
      firstTimestamp: stamp,
      lastTimestamp: stamp,
      source: { component: COMPONENT },
      reportingComponent: COMPONENT,
      reportingInstance: "",
    };
    try {
      await this.store.create(def, this.ctx(dependent.cluster), event, namespace);
    } catch (e) {
      this.reported.delete(key);
      log.warn(
        `garbage collector: could not record an event on ${namespace}/${dependent.name}: ${(e as Error).message}`,
      );
    }
  }
}
