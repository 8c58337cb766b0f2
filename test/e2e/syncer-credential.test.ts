// The pull-mode syncer's kcp credential under RBAC: the token the cluster controller mints (a
// service account of the Cluster's logical cluster, with syncerPolicy's ClusterRole and Role) is
// enough for a real syncer to run — list and watch the synced types, write their status, keep its
// heartbeat Lease — and for nothing else: no secrets, no spec writes, no RBAC, no other Lease.
// One kcp process: logical cluster `team` is kcp, logical cluster `edge` stands in for the
// physical cluster.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { loadClientConfig } from "../../src/client/kubeconfig-loader.ts";
import { DynamicClient, type ResourceRef } from "../../src/client/dynamic-client.ts";
import { RestClient } from "../../src/client/rest-client.ts";
import {
  mintSyncerToken,
  removeSyncerServiceAccount,
  syncerKubeconfig,
} from "../../src/controllers/cluster/syncer-credentials.ts";
import { type Syncer, startSyncer } from "../../src/controllers/syncer/syncer.ts";
import type { KObject } from "../../src/machinery/object.ts";
import { isStatusError } from "../../src/machinery/status.ts";
import { type KcpProcess, useKcp } from "../helpers/kcp-process.ts";
import { startWorkloadPlayer, type WorkloadPlayer } from "../helpers/workload-player.ts";

let kcp: KcpProcess;
useKcp((k) => (kcp = k));

const WIDGETS: ResourceRef = {
  group: "example.com",
  version: "v1",
  resource: "widgets",
  namespaced: true,
  kind: "Widget",
};
const CONFIGMAPS: ResourceRef = {
  group: "",
  version: "v1",
  resource: "configmaps",
  namespaced: true,
  kind: "ConfigMap",
};
const CRDS: ResourceRef = {
  group: "apiextensions.k8s.io",
  version: "v1",
  resource: "customresourcedefinitions",
  namespaced: false,
  kind: "CustomResourceDefinition",
};

let admin: RestClient;
let asSyncer: RestClient;
let syncer: Syncer | undefined;
let player: WorkloadPlayer | undefined;

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}

async function statusOf(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (e) {
    if (isStatusError(e)) return e.code;
    throw e;
  }
}

beforeAll(async () => {
  admin = new RestClient(await loadClientConfig({ kubeconfig: kcp.kubeconfig }));
  const adminDyn = new DynamicClient(admin);
  // A CRD in admin is served in every logical cluster, `team` and `edge` alike.
  await adminDyn.resource(CRDS).create({
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "widgets.example.com" },
    spec: {
      group: "example.com",
      scope: "Namespaced",
      names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList" },
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: {
            openAPIV3Schema: {
              type: "object",
              properties: {
                spec: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
                status: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
              },
            },
          },
        },
      ],
    },
  } as KObject);
  const team = admin.forCluster("team");
  await until("widgets served in team", () => new DynamicClient(team).resource(WIDGETS).list({ namespace: "default" }));
  const credential = await mintSyncerToken(team, "edge", ["configmaps", "widgets.example.com"]);
  const caPem = await Bun.file(join(kcp.rootDir, "data", "ca.crt")).text();
  const path = join(kcp.rootDir, "syncer.kubeconfig");
  await Bun.write(path, syncerKubeconfig({ url: kcp.url, caPem }, "team", "edge", credential.token));
  asSyncer = new RestClient(await loadClientConfig({ kubeconfig: path }));
});

afterAll(async () => {
  await syncer?.stop();
  await player?.stop();
});

describe("the pull-mode syncer's credential", () => {
  test("is enough for a syncer: objects go down, status comes up, the heartbeat is written", async () => {
    const edge = admin.forCluster("edge");
    player = startWorkloadPlayer(edge, WIDGETS);
    syncer = startSyncer({
      upstream: asSyncer,
      downstream: edge,
      clusterName: "edge",
      logicalCluster: "team",
      resources: ["configmaps", "widgets.example.com"],
      heartbeatIntervalMs: 500,
    });
    await syncer.started;
    expect(syncer.syncedResources()).toEqual(["configmaps", "widgets.example.com"]);
    const up = new DynamicClient(admin.forCluster("team"));
    const labels = { "kcp.dev/cluster": "edge" };
    await up.resource(CONFIGMAPS).create(
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "c1", namespace: "default", labels },
        data: { a: "b" },
      },
      { namespace: "default" },
    );
    await up.resource(WIDGETS).create(
      {
        apiVersion: "example.com/v1",
        kind: "Widget",
        metadata: { name: "w1", namespace: "default", labels },
        spec: { replicas: 2 },
      },
      { namespace: "default" },
    );
    const down = await until("the configmap downstream", () =>
      new DynamicClient(edge).resource(CONFIGMAPS).get("c1", "default"),
    );
    expect(down.data).toEqual({ a: "b" });
    const withStatus = await until("the widget's status in kcp", async () => {
      const w = await up.resource(WIDGETS).get("w1", "default");
      return (w.status as { readyReplicas?: number } | undefined)?.readyReplicas === 2 ? w : undefined;
    });
    expect(withStatus.metadata.name).toBe("w1");
  });

  test("allows nothing else", async () => {
    const dyn = new DynamicClient(asSyncer);
    const secrets = dyn.resource({ group: "", version: "v1", resource: "secrets", namespaced: true, kind: "Secret" });
    expect(await statusOf(secrets.list({ namespace: "default" }))).toBe(403);
    expect(
      await statusOf(
        dyn
          .resource(CONFIGMAPS)
          .create(
            { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "mine", namespace: "default" } },
            { namespace: "default" },
          ),
      ),
    ).toBe(403);
    expect(
      await statusOf(dyn.resource(WIDGETS).patch("w1", { spec: { replicas: 9 } }, "merge", { namespace: "default" })),
    ).toBe(403);
    const roles = dyn.resource({
      group: "rbac.authorization.k8s.io",
      version: "v1",
      resource: "clusterrolebindings",
      namespaced: false,
      kind: "ClusterRoleBinding",
    });
    expect(await statusOf(roles.list())).toBe(403);
    const leases = dyn.resource({
      group: "coordination.k8s.io",
      version: "v1",
      resource: "leases",
      namespaced: true,
      kind: "Lease",
    });
    expect(await statusOf(leases.get("kcp-syncer-edge", "kcp-system"))).toBe(200);
    expect(await statusOf(leases.get("another", "kcp-system"))).toBe(403);
    // Its token is for `team` only (401 elsewhere, as before RBAC).
    expect(await statusOf(dyn.resource(CONFIGMAPS).list({ namespace: "default" }))).toBe(200);
    expect(
      await statusOf(
        new DynamicClient(asSyncer.forCluster("edge")).resource(CONFIGMAPS).list({ namespace: "default" }),
      ),
    ).toBe(401);
  });

  test("removing the service account removes its RBAC too", async () => {
    await syncer?.stop();
    syncer = undefined;
    const team = admin.forCluster("team");
    await removeSyncerServiceAccount(team, "edge");
    const rbac = new DynamicClient(team);
    const ref = (resource: string, kind: string, namespaced: boolean): ResourceRef => ({
      group: "rbac.authorization.k8s.io",
      version: "v1",
      resource,
      namespaced,
      kind,
    });
    expect(await statusOf(rbac.resource(ref("clusterroles", "ClusterRole", false)).get("kcp-syncer-edge"))).toBe(404);
    expect(
      await statusOf(rbac.resource(ref("rolebindings", "RoleBinding", true)).get("kcp-syncer-edge", "kcp-system")),
    ).toBe(404);
  });
});
