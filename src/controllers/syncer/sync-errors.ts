// Sync errors made visible on the kcp object, as Events (involvedObject = the object, type
// Warning, reason SyncFailed), so `kubectl describe` and `kubectl get events` show them in kcp.
//
// Why Events and not a condition: the synced types are anyone's (Deployments, any CRD), and their
// status belongs to the physical cluster — the syncer copies it up whole, so a condition of its
// own would be overwritten by the next status update or would have to be merged into every
// kind's status; and a kind without a status subresource has nowhere to put one. An Event needs
// nothing from the kind.
//
// A failing object is retried with back-off, so the same error recurs: one Event per object and
// message is created, then its count and lastTimestamp are bumped at most once a minute. The
// memory of what was reported is bounded.

import type { DynamicClient, ResourceClient } from "../../client/dynamic-client.ts";
import { log } from "../../log.ts";
import type { KObject } from "../../machinery/object.ts";

export const SYNC_FAILED_REASON = "SyncFailed";
const COMPONENT = "kcp-syncer";
const REPEAT_EVERY_MS = 60_000;
const MAX_REMEMBERED = 2000;

/** An error the syncer reports on the kcp object (and retries). */
export class SyncError extends Error {
  override name = "SyncError";
}

interface Reported {
  eventName: string;
  namespace: string;
  message: string;
  count: number;
  at: number;
}

export class SyncErrorReporter {
  private readonly events: ResourceClient;
  private readonly reported = new Map<string, Reported>();

  constructor(
    upstream: DynamicClient,
    private readonly clusterName: string,
  ) {
    this.events = upstream.resource({ group: "", version: "v1", resource: "events", namespaced: true, kind: "Event" });
  }

  /**
   * Report `message` on kcp object `obj` (best effort: a failure to report is logged). True when
   * this is news (a new Event), false when it repeats what was reported.
   */
  async report(obj: KObject, message: string): Promise<boolean> {
    const m = obj.metadata;
    const namespace = m.namespace ?? "default";
    const key = `${m.uid}/${namespace}/${m.name}`;
    const now = Date.now();
    const last = this.reported.get(key);
    const stamp = new Date(now).toISOString().replace(/\.\d{3}Z$/, "Z");
    try {
      if (last && last.message === message) {
        if (now - last.at < REPEAT_EVERY_MS) return false;
        last.count++;
        last.at = now;
        await this.events.patch(last.eventName, { count: last.count, lastTimestamp: stamp }, "merge", { namespace });
        return false;
      }
      const eventName = `${m.name}.${now.toString(16)}${Math.floor(Math.random() * 0x10000).toString(16)}`;
      this.remember(key, { eventName, namespace, message, count: 1, at: now });
      await this.events.create(
        {
          apiVersion: "v1",
          kind: "Event",
          metadata: { name: eventName, namespace },
          involvedObject: {
            apiVersion: obj.apiVersion,
            kind: obj.kind,
            name: m.name,
            namespace,
            uid: m.uid,
            resourceVersion: m.resourceVersion,
          },
          reason: SYNC_FAILED_REASON,
          message: `cluster ${this.clusterName}: ${message}`.slice(0, 1024),
          type: "Warning",
          count: 1,
          firstTimestamp: stamp,
          lastTimestamp: stamp,
          source: { component: COMPONENT },
          reportingComponent: COMPONENT,
          reportingInstance: this.clusterName,
        },
        { namespace },
      );
      return true;
    } catch (e) {
      log.warn(
        `syncer ${this.clusterName}: could not record an event on ${namespace}/${m.name}: ${(e as Error).message}`,
      );
      // Not recorded: the next failure tries again.
      this.reported.delete(key);
      return false;
    }
  }

  /** The object synced fine: a later failure is reported afresh. */
  clear(obj: KObject): void {
    this.reported.delete(`${obj.metadata.uid}/${obj.metadata.namespace ?? "default"}/${obj.metadata.name}`);
  }

  private remember(key: string, r: Reported): void {
    this.reported.delete(key);
    this.reported.set(key, r);
    if (this.reported.size > MAX_REMEMBERED) {
      const oldest = this.reported.keys().next().value;
      if (oldest !== undefined) this.reported.delete(oldest);
    }
  }
}
