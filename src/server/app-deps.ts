// What the HTTP layer is given by the composition root (src/app/): the registry, the store, the
// authenticator and authorizer, health checks and watch settings.

import type { ResourceRegistry } from "../apis/registry.ts";
import type { ObjectStore } from "../apis/store.ts";
import type { LogicalClusters } from "../apis/logical-clusters.ts";
import type { ClientCertAuthenticator } from "../auth/client-cert-authenticator.ts";
import type { Authenticator, Authorizer, UserInfo } from "../auth/types.ts";
import type { AuditBackend } from "./audit/audit-log.ts";
import type { HealthCheck } from "./health.ts";
import type { ServerMetrics } from "./metrics/metrics-endpoint.ts";
import type { WatchSettings } from "./rest/watch.ts";
import type { FlowControl } from "./fairness/flow-control.ts";
import type { WatchesPerUser } from "./rest/watch-limit.ts";

export interface AppDeps {
  registry: ResourceRegistry;
  store: ObjectStore;
  clusters: LogicalClusters;
  authenticator: Authenticator;
  /** Users of verified TLS client certificates; absent: certificates authenticate no one. */
  clientCertAuthenticator?: ClientCertAuthenticator;
  authorizer: Authorizer;
  /** host:port clients use, for APIVersions.serverAddressByClientCIDRs. */
  serverAddress: string;
  readyChecks: HealthCheck[];
  liveChecks: HealthCheck[];
  watch?: WatchSettings;
  /** Each user's cap on concurrent watches (`--max-watches-per-user`); absent: no cap. */
  watchLimit?: WatchesPerUser;
  /** A request that is not a watch and has no answer within this gets 504 (`--request-timeout`); absent: no limit. */
  requestTimeoutMs?: number;
  /**
   * Called when a user who is not in system:masters created a logical cluster by a request (the
   * logical cluster filter): the app gives the creator its rights there before the request goes on.
   */
  clusterCreated?: (cluster: string, creator: UserInfo) => Promise<void>;
  /** Where each request's audit event goes (`--audit-log-path`); absent: no audit log. */
  audit?: AuditBackend;
  /** Seats per flow for requests that are not watches (`--max-requests-inflight` and friends); absent: no limits. */
  flowControl?: FlowControl;
  /** What GET /metrics serves, and where requests are recorded; absent: no /metrics. */
  metrics?: ServerMetrics;
}
