// The syncer's heartbeat: Lease `kcp-syncer-<cluster>` in namespace `kcp-system` of the upstream
// logical cluster, renewed every interval. The cluster controller reads it to tell a live syncer
// from a dead one (the seed reported Ready for push syncers that had died), and its annotations
// say how the syncer is doing: `kcp.dev/syncer-status` is "ok" or a message for people (the
// physical cluster cannot be reached, a resource type is missing), `kcp.dev/synced-resources`
// the GRs being synced.
//
// Each beat first asks the physical cluster something cheap (GET /api), so an unreachable cluster
// is said within one interval even when nothing is being synced.

import type { DynamicClient, ResourceClient } from "../../client/dynamic-client.ts";
import type { RestClient } from "../../client/rest-client.ts";
import { log } from "../../log.ts";
import { isStatusError } from "../../machinery/status.ts";
import {
  SYNCED_RESOURCES_ANNOTATION,
  SYNCER_STATUS_ANNOTATION,
  SYNCER_STATUS_OK,
  SYNCER_STATUS_STARTING,
} from "./labels.ts";

export const HEARTBEAT_NAMESPACE = "kcp-system";

export function heartbeatLeaseName(clusterName: string): string {
  return `kcp-syncer-${clusterName}`;
}

export interface HeartbeatOptions {
  /** Names the syncer in logs. */
  tag: string;
  upstream: DynamicClient;
  downstream: RestClient;
  clusterName: string;
  intervalMs: number;
  /** What else is wrong (missing types, …); undefined when nothing. */
  problems(): string | undefined;
  syncedResources(): string[];
}

/** MicroTime, as Lease.spec.renewTime wants it: RFC 3339 with microseconds. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/(\.\d{3})Z$/, "$1000Z");
}

/**
 * Why a server is not usable, or undefined when it answers GET /api. `what` names it for people
 * ("the physical cluster", "kcp").
 */
export async function probeServer(client: RestClient, what: string, timeoutMs: number): Promise<string | undefined> {
  try {
    // /api is a few hundred bytes: a server answering more is not read whole every beat.
    await client.request({
      method: "GET",
      path: "/api",
      signal: AbortSignal.timeout(timeoutMs),
      maxResponseBytes: 64 * 1024,
    });
    return undefined;
  } catch (e) {
    const server = client.config.server;
    if (isStatusError(e)) {
      // A server that is not a Kubernetes API server (no Status in its answer) is named by its code
      // only: the status goes into the Cluster's Ready message, and echoing the body of whatever a
      // kubeconfig points at would read it out for whoever wrote the kubeconfig.
      const said = /^the server answered \d+/.exec(e.message)?.[0] ?? e.message;
      return `${what} at ${server} refused the syncer: ${said}`;
    }
    const message = (e as Error).name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : (e as Error).message;
    // The client names the request ("GET https://…/api: …"); the server is named here already.
    const cause = /^GET \S+: ([\s\S]*)$/.exec(message)?.[1] ?? message;
    return `cannot reach ${what} at ${server}: ${cause}`;
  }
}

export class Heartbeat {
  private readonly leases: ResourceClient;
  private timer?: ReturnType<typeof setTimeout>;
  private stopped = false;
  private namespaceReady = false;
  private lastStatus?: string;
  private lastWriteError?: string;
  private queue: Promise<void> = Promise.resolve();
  /** Resolves after the first Lease write that succeeded. */
  readonly firstWrite: Promise<void>;
  private markWritten!: () => void;
  readonly identity = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;

  constructor(private readonly opts: HeartbeatOptions) {
    this.leases = opts.upstream.resource({
      group: "coordination.k8s.io",
      version: "v1",
      resource: "leases",
      namespaced: true,
      kind: "Lease",
    });
    this.firstWrite = new Promise((resolve) => {
      this.markWritten = resolve;
    });
  }

  start(): void {
    const loop = async () => {
      await this.beat();
      if (!this.stopped) this.timer = setTimeout(loop, this.opts.intervalMs);
    };
    void loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.queue;
  }

  /**
   * One renewal (also called when the status changes, so the controller hears it soon). Renewals
   * run one after another, never two writes of the Lease at once.
   */
  beat(): Promise<void> {
    const next = this.queue.then(() => this.beatOnce());
    this.queue = next;
    return next;
  }

  private async beatOnce(): Promise<void> {
    if (this.stopped) return;
    const { tag, intervalMs } = this.opts;
    const unreachable = await probeServer(
      this.opts.downstream,
      "the physical cluster",
      Math.max(1000, Math.min(intervalMs, 5000)),
    );
    const status = unreachable ?? this.opts.problems() ?? SYNCER_STATUS_OK;
    if (status !== this.lastStatus) {
      if (status === SYNCER_STATUS_OK) log.info(`${tag}: healthy`);
      else if (status === SYNCER_STATUS_STARTING) log.info(`${tag}: ${status}`);
      else log.warn(`${tag}: ${status}`);
      this.lastStatus = status;
    }
    try {
      await this.write(status);
      this.markWritten();
      this.lastWriteError = undefined;
    } catch (e) {
      const message = (e as Error).message;
      // Once per new message: kcp being down would otherwise log on every beat.
      if (!this.stopped && message !== this.lastWriteError) {
        log.warn(`${tag}: could not renew the heartbeat in kcp: ${message}`);
      }
      this.lastWriteError = message;
    }
  }

  private async write(status: string): Promise<void> {
    const { clusterName, intervalMs } = this.opts;
    const name = heartbeatLeaseName(clusterName);
    const annotations = {
      [SYNCER_STATUS_ANNOTATION]: status,
      [SYNCED_RESOURCES_ANNOTATION]: this.opts.syncedResources().join(","),
    };
    const now = microTime(Date.now());
    // Three missed beats and the lease has expired, as a leader-election lease would.
    const spec = {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.max(1, Math.ceil((3 * intervalMs) / 1000)),
      renewTime: now,
    };
    try {
      await this.leases.patch(name, { metadata: { annotations }, spec }, "merge", { namespace: HEARTBEAT_NAMESPACE });
      return;
    } catch (e) {
      if (!isStatusError(e) || e.code !== 404) throw e;
    }
    const lease = {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name, namespace: HEARTBEAT_NAMESPACE, annotations },
      spec: { ...spec, acquireTime: now },
    };
    for (let attempt = 0; ; attempt++) {
      await this.ensureNamespace();
      try {
        await this.leases.create(lease, { namespace: HEARTBEAT_NAMESPACE });
        return;
      } catch (e) {
        if (!isStatusError(e)) throw e;
        // The namespace was deleted since we made it (someone cleaned up kcp-system): make it again, once per beat.
        if (e.code === 404 && attempt === 0) {
          this.namespaceReady = false;
          continue;
        }
        // Created meanwhile (a previous syncer of this cluster still running): renew it.
        if (e.code !== 409) throw e;
        await this.leases.patch(name, { metadata: { annotations }, spec }, "merge", {
          namespace: HEARTBEAT_NAMESPACE,
        });
        return;
      }
    }
  }

  private async ensureNamespace(): Promise<void> {
    if (this.namespaceReady) return;
    const namespaces = this.opts.upstream.resource({
      group: "",
      version: "v1",
      resource: "namespaces",
      namespaced: false,
      kind: "Namespace",
    });
    try {
      await namespaces.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: HEARTBEAT_NAMESPACE } });
    } catch (e) {
      if (!isStatusError(e) || e.code !== 409) throw e;
    }
    this.namespaceReady = true;
  }
}
