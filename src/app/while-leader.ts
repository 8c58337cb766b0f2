// One component that runs only on the server holding a Lease in logical cluster admin: the cluster
// controller, the deployment splitter and the LogicalCluster controller, when several kcp servers
// share one etcd. This server campaigns (src/client/leader-election.ts); while it leads, a fresh
// component runs; when it stops leading, or stops, the component stops before the Lease is given
// up, so two servers never run it at once.

import { hostname } from "node:os";
import { DEFAULT_CLUSTER } from "../apis/logical-clusters.ts";
import { DynamicClient, type ResourceClient } from "../client/dynamic-client.ts";
import { type LeaderElector, runLeaderElection } from "../client/leader-election.ts";
import type { RestClient } from "../client/rest-client.ts";
import { log } from "../log.ts";

export interface LeaderElectionTimings {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

/** client-go's proportions (15 s, 10 s, 2 s) for a lease of `leaseDurationMs`. */
export function electionTimings(leaseDurationMs: number): LeaderElectionTimings {
  return {
    leaseDurationMs,
    renewDeadlineMs: Math.floor((leaseDurationMs * 2) / 3),
    retryPeriodMs: Math.max(50, Math.floor((leaseDurationMs * 2) / 15)),
  };
}

/** A component that starts and stops. */
export interface Startable {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface WhileLeader<T> {
  /** The component while this server leads, else undefined. */
  readonly active: T | undefined;
  isLeader(): boolean;
  /** Stops the component (its work in flight finishes), then gives up the Lease. */
  stop(): Promise<void>;
}

export interface WhileLeaderOptions<T> {
  /** The component's name in the log: "deployment splitter". */
  name: string;
  /** The Lease, in logical cluster admin. */
  lease: { namespace: string; name: string };
  /** coordination.k8s.io/v1 leases of logical cluster admin (leasesOf). */
  leases: ResourceClient;
  election?: LeaderElectionTimings | undefined;
  /** A new component for each term. */
  build: () => T;
  /** Wait for start() before the term may end (the cluster controller's syncers); else it runs on. */
  awaitStart?: boolean;
  /** How start() failing is logged. */
  startFailure?: "warn" | "error";
  /** The longest giving up the Lease may take on stop (unreachable storage must not hold up SIGTERM). */
  releaseWithinMs?: number;
  /** Runs first in stop(). */
  onStop?: () => void;
}

/** The leases of logical cluster admin, through `rest` (the server's loopback client). */
export function leasesOf(rest: RestClient): ResourceClient {
  return new DynamicClient(rest.forCluster(DEFAULT_CLUSTER)).resource({
    group: "coordination.k8s.io",
    version: "v1",
    resource: "leases",
    namespaced: true,
  });
}

/** `p`, or nothing after `ms` (it goes on in the background). */
export async function atMost(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([p.catch(() => {}), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** Campaigns for the Lease and runs a component built by `build` while this server holds it. */
export function runWhileLeader<T extends Startable>(opts: WhileLeaderOptions<T>): WhileLeader<T> {
  const { name } = opts;
  let active: T | undefined;
  let stopped = false;
  // Starting and stopping happen one after the other, never interleaved: a new term's component
  // starts only once the last term's has stopped.
  let transitions: Promise<void> = Promise.resolve();
  const stopActive = async () => {
    const c = active;
    active = undefined;
    if (c) {
      await c.stop();
      log.info(`${name}: stopped`);
    }
  };
  const failed = (e: unknown) => {
    const msg = `${name}: cannot start: ${(e as Error).stack ?? e}`;
    if (opts.startFailure === "warn") log.warn(msg);
    else log.error(msg);
  };
  const elector: LeaderElector = runLeaderElection({
    client: opts.leases,
    ...opts.lease,
    identity: `${hostname()}_${process.pid}_${crypto.randomUUID().slice(0, 8)}`,
    ...opts.election,
    onStartedLeading(signal) {
      transitions = transitions.then(async () => {
        if (stopped || signal.aborted) return;
        const c = opts.build();
        active = c;
        if (opts.awaitStart) {
          try {
            await c.start();
          } catch (e) {
            failed(e);
            return;
          }
        } else c.start().catch(failed);
        log.info(`${name}: started (this server is the leader)`);
      });
      signal.addEventListener("abort", () => (transitions = transitions.then(stopActive)), { once: true });
    },
  });
  return {
    get active() {
      return active;
    },
    isLeader: () => elector.isLeader(),
    async stop() {
      stopped = true;
      opts.onStop?.();
      transitions = transitions.then(stopActive);
      await transitions;
      if (opts.releaseWithinMs !== undefined) await atMost(elector.stop(), opts.releaseWithinMs);
      else await elector.stop();
      await transitions;
    },
  };
}
