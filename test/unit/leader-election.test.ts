// Leader election (client/leader-election.ts) against a Lease kept by a small in-test server with
// Kubernetes' optimistic concurrency (409 on a stale resourceVersion), reached through the REST
// client's injected transport, so a test can make one candidate's server stop answering.

import { afterEach, expect, test } from "bun:test";
import { DynamicClient, type ResourceRef } from "../../src/client/dynamic-client.ts";
import { type LeaderElector, runLeaderElection } from "../../src/client/leader-election.ts";
import { RestClient } from "../../src/client/rest-client.ts";
import { setLogLevel } from "../../src/log.ts";

setLogLevel("error");

const LEASES: ResourceRef = {
  group: "coordination.k8s.io",
  version: "v1",
  resource: "leases",
  namespaced: true,
  kind: "Lease",
};

const electors: LeaderElector[] = [];
afterEach(async () => {
  await Promise.all(electors.splice(0).map((e) => e.stop()));
});

/** One Lease, stored as JSON with a resourceVersion counter. */
class LeaseServer {
  private lease?: Record<string, unknown>;
  private rv = 0;

  handle(method: string, body: string): Response {
    const status = (code: number, reason: string) =>
      Response.json(
        { kind: "Status", apiVersion: "v1", status: "Failure", code, reason, message: reason },
        { status: code },
      );
    if (method === "GET") return this.lease ? Response.json(this.lease) : status(404, "NotFound");
    const obj = JSON.parse(body) as { metadata: Record<string, unknown> };
    if (method === "POST" && this.lease) return status(409, "AlreadyExists");
    if (method === "PUT") {
      const current = (this.lease?.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
      if (!this.lease) return status(404, "NotFound");
      if (obj.metadata.resourceVersion !== current) return status(409, "Conflict");
    }
    this.lease = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++this.rv) } };
    return Response.json(this.lease);
  }
}

/** A client of `server`; while `hung()` says so, requests are never answered (until aborted). */
function clientOf(server: LeaseServer, hung: () => boolean) {
  const rest = new RestClient({
    server: "https://kcp.invalid",
    qps: 0,
    timeoutMs: 30_000,
    fetch: async (req) => {
      await Bun.sleep(1);
      if (hung()) {
        await new Promise((_, reject) => {
          req.signal.addEventListener("abort", () => reject(req.signal.reason), { once: true });
        });
      }
      return server.handle(req.method, req.method === "GET" ? "" : await req.text());
    },
  });
  return new DynamicClient(rest).resource(LEASES);
}

test("a leader whose renewals hang stops leading before another candidate can take the Lease", async () => {
  const server = new LeaseServer();
  let aHung = false;
  let aSignal: AbortSignal | undefined;
  const timing = { leaseDurationMs: 3000, renewDeadlineMs: 1000, retryPeriodMs: 200 };
  const a = runLeaderElection({
    client: clientOf(server, () => aHung),
    namespace: "kube-system",
    name: "test",
    identity: "a",
    ...timing,
    onStartedLeading: (signal) => {
      aSignal = signal;
    },
  });
  electors.push(a);
  const deadline = Date.now() + 10_000;
  while (!a.isLeader()) {
    if (Date.now() > deadline) throw new Error("a never became the leader");
    await Bun.sleep(10);
  }
  const b = runLeaderElection({
    client: clientOf(server, () => false),
    namespace: "kube-system",
    name: "test",
    identity: "b",
    ...timing,
    onStartedLeading: () => {},
  });
  electors.push(b);
  // a's server stops answering: b takes the Lease once it has not been renewed for its duration.
  aHung = true;
  let both = 0;
  while (!b.isLeader()) {
    if (Date.now() > deadline) throw new Error("b never became the leader");
    if (a.isLeader()) both += b.isLeader() ? 1 : 0;
    await Bun.sleep(5);
  }
  const overlap = a.isLeader();
  expect({ overlap, both, aborted: aSignal?.aborted }).toEqual({ overlap: false, both: 0, aborted: true });
  aHung = false;
});
