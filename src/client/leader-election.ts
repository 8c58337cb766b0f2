// Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it: a
// candidate takes the Lease when nobody holds it or the holder has not renewed it for
// leaseDuration (measured on the candidate's own clock, from when it last saw the record change,
// so clock skew between candidates does not matter), then renews it every retryPeriod. Every
// write carries the resourceVersion read just before (optimistic concurrency): of two candidates
// racing, one gets 409 Conflict and stays a candidate. A leader that cannot renew within
// renewDeadline stops leading (its signal aborts) and becomes a candidate again. stop() releases
// the Lease (empty holder) so another candidate takes over at once instead of after expiry.
//
// The deadline is kept by the clock, not by the requests: each attempt is aborted when the time
// left until lastRenew + renewDeadline runs out, and a timer stops leading at that instant even if
// an attempt is still in flight. lastRenew is when the successful attempt began (its renewTime),
// never later, so a leader always stops before another candidate (which waits leaseDuration from
// when it saw the renewal) can take over.

import type { KObject } from "../machinery/object.ts";
import { isStatusError } from "../machinery/status.ts";
import { log } from "../log.ts";
import type { ResourceClient } from "./dynamic-client.ts";

export interface LeaderElectionOptions {
  /** A client for coordination.k8s.io/v1 leases. */
  client: ResourceClient;
  namespace: string;
  name: string;
  /** Unique among candidates (e.g. host name + process id). */
  identity: string;
  /** How long a Lease not renewed stays its holder's (default 15 s). */
  leaseDurationMs?: number;
  /** How long a leader keeps trying to renew before it gives up leading (default 10 s). */
  renewDeadlineMs?: number;
  /** How often candidates try to acquire and the leader renews (default 2 s). */
  retryPeriodMs?: number;
  /** Called when this candidate becomes the leader; `signal` aborts when it stops being one. */
  onStartedLeading(signal: AbortSignal): void;
  onStoppedLeading?(): void;
  /** Called when the observed leader changes (any identity, "" when released). */
  onNewLeader?(identity: string): void;
}

export interface LeaderElector {
  /** Stop campaigning; a leader releases the Lease first. */
  stop(): Promise<void>;
  isLeader(): boolean;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

/** metav1.MicroTime: RFC 3339 with microseconds. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

export function runLeaderElection(opts: LeaderElectionOptions): LeaderElector {
  const leaseDurationMs = opts.leaseDurationMs ?? 15_000;
  const renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
  const retryPeriodMs = opts.retryPeriodMs ?? 2_000;
  if (!(leaseDurationMs > renewDeadlineMs && renewDeadlineMs > retryPeriodMs)) {
    throw new Error("leader election: leaseDuration must exceed renewDeadline, which must exceed retryPeriod");
  }
  const what = `lease ${opts.namespace}/${opts.name} (${opts.identity})`;
  const { client, namespace, name, identity } = opts;
  let stopped = false;
  let leading: AbortController | undefined;
  let lastRenew = 0;
  /** The record last seen (its holder and renewTime) and when it was seen to change, on our clock. */
  let observed: { key: string; at: number } | undefined;
  let observedHolder: string | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let wake: (() => void) | undefined;
  /** Stops leading at lastRenew + renewDeadline unless a renewal moves it on. */
  let deadlineTimer: ReturnType<typeof setTimeout> | undefined;
  /** Aborts the attempt in flight when stop() is called. */
  const stopping = new AbortController();

  const spec = (lease: KObject) => ((lease as { spec?: LeaseSpec }).spec ?? {}) as LeaseSpec;

  function observe(lease: KObject, now: number): void {
    const s = spec(lease);
    const key = `${s.holderIdentity ?? ""}|${s.renewTime ?? ""}|${lease.metadata.resourceVersion ?? ""}`;
    if (observed?.key !== key) observed = { key, at: now };
    const holder = s.holderIdentity ?? "";
    if (holder !== observedHolder) {
      observedHolder = holder;
      opts.onNewLeader?.(holder);
    }
  }

  /** One round, begun at `now`: true when we hold the Lease afterwards. */
  async function tryAcquireOrRenew(now: number, signal: AbortSignal): Promise<boolean> {
    const desired = (prev: LeaseSpec | undefined): LeaseSpec => {
      const ours = prev?.holderIdentity === identity;
      return {
        holderIdentity: identity,
        leaseDurationSeconds: Math.max(1, Math.ceil(leaseDurationMs / 1000)),
        acquireTime: ours && prev?.acquireTime ? prev.acquireTime : microTime(now),
        renewTime: microTime(now),
        leaseTransitions: ours ? (prev?.leaseTransitions ?? 0) : (prev?.leaseTransitions ?? -1) + 1,
      };
    };
    let lease: KObject;
    try {
      lease = await client.get(name, namespace, { signal });
    } catch (e) {
      if (!isStatusError(e) || e.code !== 404) throw e;
      const created = await client.create(
        {
          apiVersion: "coordination.k8s.io/v1",
          kind: "Lease",
          metadata: { name, namespace },
          spec: desired(undefined),
        } as unknown as KObject,
        { namespace, signal },
      );
      observe(created, now);
      return true;
    }
    observe(lease, now);
    const s = spec(lease);
    const holder = s.holderIdentity ?? "";
    if (holder !== "" && holder !== identity) {
      const duration = (s.leaseDurationSeconds ?? leaseDurationMs / 1000) * 1000;
      if ((observed?.at ?? now) + duration > now) return false; // held, and renewed within its duration
    }
    const updated = await client.update({ ...lease, spec: desired(s) } as KObject, { signal });
    observe(updated, now);
    return true;
  }

  async function release(): Promise<void> {
    try {
      const lease = await client.get(name, namespace);
      if (spec(lease).holderIdentity !== identity) return;
      const now = Date.now();
      await client.update({
        ...lease,
        spec: { ...spec(lease), holderIdentity: "", leaseDurationSeconds: 1, renewTime: microTime(now) },
      } as KObject);
    } catch (e) {
      log.warn(`${what}: could not release: ${(e as Error).message}`);
    }
  }

  function stopLeading(): void {
    if (deadlineTimer) clearTimeout(deadlineTimer);
    deadlineTimer = undefined;
    if (!leading) return;
    const c = leading;
    leading = undefined;
    c.abort(new Error("leadership lost"));
    try {
      opts.onStoppedLeading?.();
    } catch (e) {
      log.error(`${what}: onStoppedLeading failed: ${(e as Error).stack ?? e}`);
    }
  }

  const loop = (async () => {
    while (!stopped) {
      let held = false;
      const began = Date.now();
      // A leader's attempt may take only what is left of its renew deadline; a candidate's, one deadline.
      const budget = leading ? lastRenew + renewDeadlineMs - began : renewDeadlineMs;
      try {
        if (budget <= 0) throw new Error(`could not renew within ${renewDeadlineMs} ms`);
        held = await tryAcquireOrRenew(began, AbortSignal.any([AbortSignal.timeout(budget), stopping.signal]));
      } catch (e) {
        // A Conflict is a lost race for the Lease; other errors (unreachable server) are retried.
        if (!(isStatusError(e) && e.code === 409) && !stopped) log.warn(`${what}: ${(e as Error).message}`);
      }
      if (stopped) break;
      const now = Date.now();
      if (held) {
        lastRenew = began;
        if (deadlineTimer) clearTimeout(deadlineTimer);
        deadlineTimer = setTimeout(
          () => {
            deadlineTimer = undefined;
            if (!leading) return;
            log.warn(`${what}: could not renew within ${renewDeadlineMs} ms; no longer the leader`);
            stopLeading();
          },
          Math.max(0, lastRenew + renewDeadlineMs - Date.now()),
        );
        if (!leading) {
          leading = new AbortController();
          log.info(`${what}: became the leader`);
          try {
            opts.onStartedLeading(leading.signal);
          } catch (e) {
            log.error(`${what}: onStartedLeading failed: ${(e as Error).stack ?? e}`);
          }
        }
      } else if (leading && observedHolder && observedHolder !== identity) {
        log.warn(`${what}: ${observedHolder} holds the lease now; no longer the leader`);
        stopLeading();
      } else if (leading && now - lastRenew > renewDeadlineMs) {
        log.warn(`${what}: could not renew within ${renewDeadlineMs} ms; no longer the leader`);
        stopLeading();
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, retryPeriodMs);
      });
    }
  })();

  return {
    isLeader: () => leading !== undefined,
    async stop() {
      if (stopped) return loop;
      stopped = true;
      if (timer) clearTimeout(timer);
      stopping.abort();
      wake?.();
      await loop;
      if (leading) {
        await release();
        stopLeading();
      }
    },
  };
}
