// Each kcp server on a shared etcd says, on a Lease of its own (admin|kube-system/kcp-replica-…,
// label tenancy.kcp.io/replica), that it is alive and up to which revision of the LogicalCluster
// markers its admitted writes have drained (src/apis/admitted-writes.ts; annotation
// tenancy.kcp.io/drained-revision). Before it deletes a terminating cluster's data, the
// LogicalCluster controller's leader waits until every live server says a revision at or past the
// one that marked the cluster: none of them has a write on its way that was admitted without
// knowing of the deletion. A server renews every quarter of the lease duration (40 s), and at once
// when it has drained past a cluster it saw turn Terminating, so the wait is short. A server whose
// Lease has not been renewed for the duration is taken for gone (killed: its requests went with
// it); one that stops cleanly deletes its Lease.

import { hostname } from "node:os";
import type { AdmittedWrites } from "../apis/admitted-writes.ts";
import type { ResourceClient } from "../client/dynamic-client.ts";
import { log } from "../log.ts";
import type { KObject } from "../machinery/object.ts";
import { isStatusError } from "../machinery/status.ts";

export const REPLICA_LABEL = "tenancy.kcp.io/replica";
export const DRAINED_ANNOTATION = "tenancy.kcp.io/drained-revision";
const NAMESPACE = "kube-system";
/** kube's node leases: 40 s, renewed every 10 s. */
export const DEFAULT_REPLICA_LEASE_MS = 40_000;
/** How often a server waiting to acknowledge a Terminating cluster looks at its writes again. */
const ACK_POLL_MS = 50;
/** A gone server's Lease is deleted (by any other) this long after it expired. */
const FORGET_AFTER_MS = 10 * 60_000;

/** metav1.MicroTime: RFC 3339 with microseconds. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  renewTime?: string;
}

const specOf = (lease: KObject) => ((lease as { spec?: LeaseSpec }).spec ?? {}) as LeaseSpec;

/** How long ago `lease` was renewed past its duration (negative while it is live). */
function expiredFor(lease: KObject, now: number): number {
  const s = specOf(lease);
  const renewed = s.renewTime ? Date.parse(s.renewTime) : 0;
  return now - renewed - (s.leaseDurationSeconds ?? 0) * 1000;
}

export class ReplicaLease {
  readonly name: string;
  private readonly durationMs: number;
  private timer?: ReturnType<typeof setInterval>;
  private ackTimer?: ReturnType<typeof setTimeout>;
  /** The highest revision of a Terminating cluster not yet acknowledged. */
  private pendingAck = 0;
  private publishing: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly leases: ResourceClient,
    private readonly writes: AdmittedWrites,
    opts: { durationMs?: number } = {},
  ) {
    this.durationMs = opts.durationMs ?? DEFAULT_REPLICA_LEASE_MS;
    const host = hostname()
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 40);
    this.name = `kcp-replica-${host || "host"}-${process.pid}-${crypto.randomUUID().slice(0, 8)}`;
  }

  /** Publish the Lease (before the server serves), then renew it; forget servers long gone. */
  async start(): Promise<void> {
    await this.publish();
    this.timer = setInterval(() => void this.publish(), Math.max(50, Math.floor(this.durationMs / 4)));
    this.forgetGone().catch((e) => log.debug(`replica lease: ${e}`));
  }

  /** A cluster turned Terminating at `revision`: renew as soon as this server has drained past it. */
  acknowledge(revision: number): void {
    if (revision <= this.pendingAck) return;
    this.pendingAck = revision;
    this.waitAndAck();
  }

  private waitAndAck(): void {
    if (this.stopped || this.ackTimer) return;
    if (this.writes.drainedAll() >= this.pendingAck) {
      void this.publish();
      return;
    }
    this.ackTimer = setTimeout(() => {
      this.ackTimer = undefined;
      this.waitAndAck();
    }, ACK_POLL_MS);
  }

  /** One write of the Lease with the drained revision of now; writes never overlap. */
  private publish(): Promise<void> {
    this.publishing = this.publishing.then(async () => {
      if (this.stopped) return;
      try {
        await this.write();
      } catch (e) {
        log.warn(`replica lease ${this.name}: ${(e as Error).message}`);
      }
    });
    return this.publishing;
  }

  private async write(): Promise<void> {
    const lease = {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: {
        name: this.name,
        namespace: NAMESPACE,
        labels: { [REPLICA_LABEL]: "true" },
        annotations: { [DRAINED_ANNOTATION]: String(this.writes.drainedAll()) },
      },
      spec: {
        holderIdentity: this.name,
        leaseDurationSeconds: Math.max(1, Math.ceil(this.durationMs / 1000)),
        renewTime: microTime(Date.now()),
      },
    } as unknown as KObject;
    try {
      const current = await this.leases.get(this.name, NAMESPACE);
      await this.leases.update({
        ...lease,
        metadata: { ...lease.metadata, resourceVersion: current.metadata.resourceVersion },
      } as KObject);
    } catch (e) {
      if (!isStatusError(e) || e.code !== 404) throw e;
      await this.leases.create(lease, { namespace: NAMESPACE });
    }
  }

  /** Delete the Leases of servers gone for long (killed ones never delete their own). */
  private async forgetGone(): Promise<void> {
    const now = Date.now();
    const list = await this.leases.list({ namespace: NAMESPACE, labelSelector: `${REPLICA_LABEL}=true` });
    for (const lease of list.items) {
      if (expiredFor(lease, now) < FORGET_AFTER_MS) continue;
      await this.leases
        .delete(lease.metadata.name as string, {
          namespace: NAMESPACE,
          preconditions: { resourceVersion: lease.metadata.resourceVersion as string },
        })
        .catch(() => {});
    }
  }

  /**
   * Stop renewing and delete the Lease: the others need not wait for this server any more. Call it
   * once the server's requests have finished (its shutdown grace), or a deleter might stop waiting
   * for a write of this server still on its way; one still in flight then is written down.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.ackTimer) clearTimeout(this.ackTimer);
    const left = this.writes.inflightTotal();
    if (left > 0) log.warn(`replica lease ${this.name}: leaving with ${left} writes still in flight`);
    await this.leases.delete(this.name, { namespace: NAMESPACE }).catch(() => {});
  }
}

/**
 * The other live servers that have not yet drained past `revision` (empty: none is left to wait
 * for). `self` is this server's own Lease, which the caller checks in memory.
 */
export async function replicasBehind(leases: ResourceClient, self: string, revision: number): Promise<string[]> {
  const list = await leases.list({ namespace: NAMESPACE, labelSelector: `${REPLICA_LABEL}=true` });
  const now = Date.now();
  const behind: string[] = [];
  for (const lease of list.items) {
    const name = lease.metadata.name as string;
    if (name === self || expiredFor(lease, now) >= 0) continue;
    const drained = Number(lease.metadata.annotations?.[DRAINED_ANNOTATION] ?? 0);
    if (!(drained >= revision)) behind.push(name);
  }
  return behind;
}
