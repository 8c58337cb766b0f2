// The syncer end to end: one kcp process is kcp (logical cluster `team`), another stands in for
// the physical clusters (its logical clusters `east` and `west` are two clusters). Syncers run in
// this process (as push mode runs them) and as `kcp sync`; a workload player sets the status a
// real cluster's controllers would. Synced types: ConfigMaps (native, no status) and Widgets (a
// CRD with a status subresource, installed on both sides).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { ClientConfig } from "../../src/client/client-config.ts";
import { DynamicClient, type ResourceClient, type ResourceRef } from "../../src/client/dynamic-client.ts";
import { loadClientConfig } from "../../src/client/kubeconfig-loader.ts";
import { RestClient } from "../../src/client/rest-client.ts";
import {
  LOGICAL_CLUSTER_ANNOTATION,
  SYNCED_RESOURCES_ANNOTATION,
  SYNCER_STATUS_ANNOTATION,
  UPSTREAM_UID_ANNOTATION,
} from "../../src/controllers/syncer/labels.ts";
import {
  HEARTBEAT_NAMESPACE,
  heartbeatLeaseName,
  type Syncer,
  startSyncer,
} from "../../src/controllers/syncer/syncer.ts";
import { selectWorkloadCRDs } from "../../src/apis/workload-crds/workload-crds.ts";
import type { KObject } from "../../src/machinery/object.ts";
import { isStatusError } from "../../src/machinery/status.ts";
import { type KcpProcess, kubeconfigWithPath, kubectl, removeDir, startKcp } from "../helpers/kcp-process.ts";
import { DEPLOYMENTS, startWorkloadPlayer, type WorkloadPlayer } from "../helpers/workload-player.ts";

const REPO = join(import.meta.dir, "../..");
const LC = "team";

const CONFIGMAPS: ResourceRef = {
  group: "",
  version: "v1",
  resource: "configmaps",
  namespaced: true,
  kind: "ConfigMap",
};
const WIDGETS: ResourceRef = {
  group: "example.com",
  version: "v1",
  resource: "widgets",
  namespaced: true,
  kind: "Widget",
};
const GADGETS: ResourceRef = {
  group: "example.com",
  version: "v1",
  resource: "gadgets",
  namespaced: true,
  kind: "Gadget",
};
const EVENTS: ResourceRef = { group: "", version: "v1", resource: "events", namespaced: true, kind: "Event" };
const NAMESPACES: ResourceRef = {
  group: "",
  version: "v1",
  resource: "namespaces",
  namespaced: false,
  kind: "Namespace",
};
const CRDS: ResourceRef = {
  group: "apiextensions.k8s.io",
  version: "v1",
  resource: "customresourcedefinitions",
  namespaced: false,
  kind: "CustomResourceDefinition",
};
const LEASES: ResourceRef = {
  group: "coordination.k8s.io",
  version: "v1",
  resource: "leases",
  namespaced: true,
  kind: "Lease",
};

let kcp: KcpProcess;
let phys: KcpProcess;
/** kcp's logical cluster `team`; the physical clusters east and west. */
let up: DynamicClient;
let upRest: RestClient;
let eastRest: RestClient;
let westRest: RestClient;
let east: DynamicClient;
let west: DynamicClient;
let syncEast: Syncer;
let syncWest: Syncer;
const players: WorkloadPlayer[] = [];

function crd(plural: string, kind: string): KObject {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${plural}.example.com` },
    spec: {
      group: "example.com",
      scope: "Namespaced",
      names: { plural, singular: kind.toLowerCase(), kind, listKind: `${kind}List` },
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
  };
}

async function clientFor(k: KcpProcess, cluster: string): Promise<RestClient> {
  const config: ClientConfig = await loadClientConfig({ kubeconfig: k.kubeconfig });
  return new RestClient(config).forCluster(cluster);
}

/** Poll `fn` until it returns something other than undefined, or fail after `ms`. */
async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}

async function getOrUndefined(c: ResourceClient, name: string, namespace: string): Promise<KObject | undefined> {
  try {
    return await c.get(name, namespace);
  } catch (e) {
    if (isStatusError(e) && e.code === 404) return undefined;
    throw e;
  }
}

async function ensureNamespace(c: DynamicClient, name: string): Promise<void> {
  try {
    await c.resource(NAMESPACES).create({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
  } catch (e) {
    if (!isStatusError(e) || e.code !== 409) throw e;
  }
}

function configMap(
  name: string,
  namespace: string,
  cluster: string | undefined,
  data: Record<string, string>,
): KObject {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace, ...(cluster ? { labels: { "kcp.dev/cluster": cluster } } : {}) },
    data,
  };
}

async function waitEstablished(c: DynamicClient, plural: string, ref: ResourceRef, ns = "default"): Promise<void> {
  await until(`${plural} served`, async () => {
    try {
      await c.resource(ref).list({ namespace: ns });
      return true;
    } catch {
      return undefined;
    }
  });
}

beforeAll(async () => {
  [kcp, phys] = await Promise.all([startKcp(), startKcp()]);
  upRest = await clientFor(kcp, LC);
  up = new DynamicClient(upRest);
  eastRest = await clientFor(phys, "east");
  westRest = await clientFor(phys, "west");
  east = new DynamicClient(eastRest);
  west = new DynamicClient(westRest);
  // The CRD in the physical kcp's admin cluster is served in every one of its logical clusters.
  const physAdmin = new DynamicClient(await clientFor(phys, "admin"));
  const [deploymentsCRD] = selectWorkloadCRDs(["deployments.apps"]);
  for (const c of [physAdmin, up]) {
    await c.resource(CRDS).create(crd("widgets", "Widget"));
    await c.resource(CRDS).create(deploymentsCRD as KObject);
  }
  await Promise.all([
    waitEstablished(up, "widgets", WIDGETS),
    waitEstablished(east, "widgets", WIDGETS),
    waitEstablished(up, "deployments", DEPLOYMENTS),
    waitEstablished(east, "deployments", DEPLOYMENTS),
  ]);
  for (const c of [up, east, west]) await ensureNamespace(c, "default");
  syncEast = startSyncer({
    upstream: upRest,
    downstream: eastRest,
    clusterName: "east",
    logicalCluster: LC,
    resources: ["configmaps", "widgets.example.com", "deployments.apps"],
    heartbeatIntervalMs: 500,
  });
  syncWest = startSyncer({
    upstream: upRest,
    downstream: westRest,
    clusterName: "west",
    logicalCluster: LC,
    resources: ["configmaps", "widgets.example.com", "deployments.apps"],
    heartbeatIntervalMs: 500,
  });
  players.push(
    startWorkloadPlayer(eastRest, WIDGETS),
    startWorkloadPlayer(westRest, WIDGETS),
    startWorkloadPlayer(eastRest, DEPLOYMENTS),
  );
  await Promise.all([syncEast.started, syncWest.started]);
}, 60_000);

afterAll(async () => {
  await Promise.all([syncEast?.stop(), syncWest?.stop(), ...players.map((p) => p.stop())]);
  for (const k of [kcp, phys]) {
    if (!k) continue;
    await k.stop();
    removeDir(k.rootDir);
  }
});

describe("syncer", () => {
  test("syncs every requested type it finds", () => {
    expect(syncEast.syncedResources()).toEqual(["configmaps", "deployments.apps", "widgets.example.com"]);
  });

  test("a labelled object appears downstream without server-set fields, with ownership annotations", async () => {
    await ensureNamespace(up, "meta");
    const cms = up.resource(CONFIGMAPS);
    const owner = await cms.create(configMap("owner", "meta", undefined, { a: "b" }), { namespace: "meta" });
    const obj = configMap("app", "meta", "east", { key: "value" });
    obj.metadata.annotations = { note: "kept" };
    obj.metadata.ownerReferences = [
      { apiVersion: "v1", kind: "ConfigMap", name: "owner", uid: owner.metadata.uid, controller: false },
    ];
    const created = await cms.create(obj, { namespace: "meta", fieldManager: "a-kcp-user" });
    await cms.create(configMap("unlabelled", "meta", undefined, { x: "y" }), { namespace: "meta" });
    await cms.create(configMap("elsewhere", "meta", "north", { x: "y" }), { namespace: "meta" });

    const down = await until("the copy", () => getOrUndefined(east.resource(CONFIGMAPS), "app", "meta"));
    expect(down.data).toEqual({ key: "value" });
    expect(down.metadata.labels).toEqual({ "kcp.dev/cluster": "east" });
    expect(down.metadata.annotations?.note).toBe("kept");
    expect(down.metadata.annotations?.[LOGICAL_CLUSTER_ANNOTATION]).toBe(LC);
    expect(down.metadata.annotations?.[UPSTREAM_UID_ANNOTATION]).toBe(created.metadata.uid as string);
    expect(down.metadata.uid).not.toBe(created.metadata.uid);
    expect(down.metadata.ownerReferences).toBeUndefined();
    const managers = ((down.metadata.managedFields ?? []) as { manager: string }[]).map((m) => m.manager);
    expect(managers).not.toContain("a-kcp-user");
    // Only what is labelled for this cluster goes there, in the namespace of the same name.
    await until("the namespace downstream", () => getOrUndefined(east.resource(NAMESPACES), "meta", ""));
    expect(await getOrUndefined(east.resource(CONFIGMAPS), "unlabelled", "meta")).toBeUndefined();
    expect(await getOrUndefined(east.resource(CONFIGMAPS), "elsewhere", "meta")).toBeUndefined();
    expect(await getOrUndefined(east.resource(CONFIGMAPS), "owner", "meta")).toBeUndefined();
  });

  test("a spec update flows down", async () => {
    await ensureNamespace(up, "upd");
    const cms = up.resource(CONFIGMAPS);
    await cms.create(configMap("cfg", "upd", "east", { v: "1" }), { namespace: "upd" });
    await until("the copy", () => getOrUndefined(east.resource(CONFIGMAPS), "cfg", "upd"));
    await cms.patch("cfg", { data: { v: "2" } }, "merge", { namespace: "upd" });
    await until("the update downstream", async () => {
      const d = await getOrUndefined(east.resource(CONFIGMAPS), "cfg", "upd");
      return (d?.data as { v?: string } | undefined)?.v === "2" ? true : undefined;
    });
  });

  test("status flows up, with kcp's generation as observedGeneration", async () => {
    await ensureNamespace(up, "stat");
    const widgets = up.resource(WIDGETS);
    const w = {
      apiVersion: "example.com/v1",
      kind: "Widget",
      metadata: { name: "w1", namespace: "stat", labels: { "kcp.dev/cluster": "east" } },
      spec: { replicas: 3 },
    };
    await widgets.create(w, { namespace: "stat" });
    const withStatus = await until("status in kcp", async () => {
      const o = await widgets.get("w1", "stat");
      return (o.status as { readyReplicas?: number } | undefined)?.readyReplicas === 3 ? o : undefined;
    });
    expect((withStatus.status as { observedGeneration: number }).observedGeneration).toBe(
      withStatus.metadata.generation as number,
    );
    // The copy went down without status (it has a status subresource); the player set it there.
    await widgets.patch("w1", { spec: { replicas: 5 } }, "merge", { namespace: "stat" });
    const after = await until("the new status in kcp", async () => {
      const o = await widgets.get("w1", "stat");
      return (o.status as { readyReplicas?: number }).readyReplicas === 5 ? o : undefined;
    });
    expect((after.status as { observedGeneration: number }).observedGeneration).toBe(
      after.metadata.generation as number,
    );
  });

  test("a Deployment made with kubectl runs downstream, and kubectl in kcp shows it ready", async () => {
    const team = { kubeconfig: await kubeconfigWithPath(kcp, `/clusters/${LC}`) };
    expect((await kubectl(kcp, ["create", "namespace", "apps"], team)).code).toBe(0);
    const created = await kubectl(
      kcp,
      ["-n", "apps", "create", "deployment", "web", "--image=nginx", "--replicas=3"],
      team,
    );
    expect(created.stderr).toBe("");
    expect((await kubectl(kcp, ["-n", "apps", "label", "deployment", "web", "kcp.dev/cluster=east"], team)).code).toBe(
      0,
    );
    const down = await until("the Deployment downstream", () =>
      getOrUndefined(east.resource(DEPLOYMENTS), "web", "apps"),
    );
    expect((down.spec as { replicas: number }).replicas).toBe(3);
    await until(
      "3 ready replicas in kcp",
      async () => {
        const jsonpath = "-o=jsonpath={.status.readyReplicas}/{.status.availableReplicas}";
        const r = await kubectl(kcp, ["-n", "apps", "get", "deployment", "web", jsonpath], team);
        return r.stdout === "3/3" ? r.stdout : undefined;
      },
      15_000,
    );
    const inKcp = await up.resource(DEPLOYMENTS).get("web", "apps");
    const conditions = (inKcp.status as { conditions: { type: string; status: string }[] }).conditions;
    expect(conditions.find((c) => c.type === "Available")?.status).toBe("True");
  }, 30_000);

  test("relabelling moves the object to the other cluster", async () => {
    await ensureNamespace(up, "move");
    const cms = up.resource(CONFIGMAPS);
    await cms.create(configMap("mover", "move", "east", { a: "1" }), { namespace: "move" });
    await until("in east", () => getOrUndefined(east.resource(CONFIGMAPS), "mover", "move"));
    await cms.patch("mover", { metadata: { labels: { "kcp.dev/cluster": "west" } } }, "merge", { namespace: "move" });
    await until("in west", () => getOrUndefined(west.resource(CONFIGMAPS), "mover", "move"));
    await until("gone from east", async () =>
      (await getOrUndefined(east.resource(CONFIGMAPS), "mover", "move")) ? undefined : true,
    );
    const inWest = await west.resource(CONFIGMAPS).get("mover", "move");
    expect(inWest.metadata.labels?.["kcp.dev/cluster"]).toBe("west");
  });

  test("removing the label or deleting the object deletes the copy", async () => {
    await ensureNamespace(up, "del");
    const cms = up.resource(CONFIGMAPS);
    await cms.create(configMap("unlabel-me", "del", "east", {}), { namespace: "del" });
    await cms.create(configMap("delete-me", "del", "east", {}), { namespace: "del" });
    await until("copies", async () =>
      (await getOrUndefined(east.resource(CONFIGMAPS), "unlabel-me", "del")) &&
      (await getOrUndefined(east.resource(CONFIGMAPS), "delete-me", "del"))
        ? true
        : undefined,
    );
    await cms.patch("unlabel-me", { metadata: { labels: { "kcp.dev/cluster": null } } }, "merge", { namespace: "del" });
    await cms.delete("delete-me", { namespace: "del" });
    await until("both copies gone", async () =>
      (await getOrUndefined(east.resource(CONFIGMAPS), "unlabel-me", "del")) ||
      (await getOrUndefined(east.resource(CONFIGMAPS), "delete-me", "del"))
        ? undefined
        : true,
    );
    // The unlabelled object itself stays in kcp.
    expect(await getOrUndefined(cms, "unlabel-me", "del")).toBeDefined();
  });

  test("drift is corrected: a downstream edit is overwritten, a downstream delete recreated", async () => {
    await ensureNamespace(up, "drift");
    const widgets = up.resource(WIDGETS);
    await widgets.create(
      {
        apiVersion: "example.com/v1",
        kind: "Widget",
        metadata: { name: "w", namespace: "drift", labels: { "kcp.dev/cluster": "east" } },
        spec: { replicas: 2, color: "blue" },
      },
      { namespace: "drift" },
    );
    const downWidgets = east.resource(WIDGETS);
    const first = await until("the copy", () => getOrUndefined(downWidgets, "w", "drift"));
    await downWidgets.patch("w", { spec: { color: "red" } }, "merge", { namespace: "drift" });
    await until("the edit overwritten", async () => {
      const d = await downWidgets.get("w", "drift");
      return (d.spec as { color: string }).color === "blue" && (d.metadata.generation as number) > 1 ? d : undefined;
    });
    // The downstream generation moved on; kcp's object still speaks of its own.
    const upNow = await widgets.get("w", "drift");
    await until("status with kcp's generation", async () => {
      const o = await widgets.get("w", "drift");
      const s = o.status as { observedGeneration?: number; readyReplicas?: number } | undefined;
      return s?.readyReplicas === 2 && s.observedGeneration === upNow.metadata.generation ? true : undefined;
    });
    await downWidgets.delete("w", { namespace: "drift" });
    const again = await until("recreated", async () => {
      const d = await getOrUndefined(downWidgets, "w", "drift");
      return d && d.metadata.uid !== first.metadata.uid ? d : undefined;
    });
    expect((again.spec as { color: string }).color).toBe("blue");
  });

  test("a downstream object that is not ours is never touched, and the error shows in kcp", async () => {
    await ensureNamespace(up, "taken");
    await ensureNamespace(east, "taken");
    const theirs = await east
      .resource(CONFIGMAPS)
      .create(configMap("occupied", "taken", "east", { owner: "someone else" }), { namespace: "taken" });
    const mine = await up
      .resource(CONFIGMAPS)
      .create(configMap("occupied", "taken", "east", { owner: "kcp" }), { namespace: "taken" });
    const event = await until("a SyncFailed event", async () => {
      const list = await up.resource(EVENTS).list({ namespace: "taken" });
      return list.items.find(
        (e) =>
          (e.involvedObject as { uid?: string }).uid === mine.metadata.uid &&
          (e as { reason?: string }).reason === "SyncFailed",
      );
    });
    expect((event as { type?: string }).type).toBe("Warning");
    expect((event as { message?: string }).message).toContain("not created by kcp");
    const still = await east.resource(CONFIGMAPS).get("occupied", "taken");
    expect(still.metadata.resourceVersion).toBe(theirs.metadata.resourceVersion as string);
    expect(still.data).toEqual({ owner: "someone else" });
    // Deleting ours in kcp does not delete theirs either.
    await up.resource(CONFIGMAPS).delete("occupied", { namespace: "taken" });
    await Bun.sleep(300);
    expect((await east.resource(CONFIGMAPS).get("occupied", "taken")).data).toEqual({ owner: "someone else" });
  });

  test("an object the physical cluster refuses shows the cluster's reason in kcp", async () => {
    // The physical cluster's Gizmo schema is stricter than kcp's: size at most 5.
    const strict = crd("gizmos", "Gizmo");
    const version = (strict.spec as { versions: { schema: { openAPIV3Schema: any } }[] }).versions[0];
    (version as { schema: { openAPIV3Schema: any } }).schema.openAPIV3Schema.properties.spec = {
      type: "object",
      properties: { size: { type: "integer", maximum: 5 } },
    };
    const GIZMOS: ResourceRef = { ...GADGETS, resource: "gizmos", kind: "Gizmo" };
    await east.resource(CRDS).create(strict);
    await up.resource(CRDS).create(crd("gizmos", "Gizmo"));
    await Promise.all([waitEstablished(up, "gizmos", GIZMOS), waitEstablished(east, "gizmos", GIZMOS)]);
    const s = startSyncer({
      upstream: upRest,
      downstream: eastRest,
      clusterName: "east",
      logicalCluster: LC,
      resources: ["gizmos.example.com"],
      heartbeatIntervalMs: 300,
    });
    try {
      await s.started;
      await ensureNamespace(up, "refused");
      const big = await up.resource(GIZMOS).create(
        {
          apiVersion: "example.com/v1",
          kind: "Gizmo",
          metadata: { name: "big", namespace: "refused", labels: { "kcp.dev/cluster": "east" } },
          spec: { size: 10 },
        },
        { namespace: "refused" },
      );
      const event = await until("a SyncFailed event", async () => {
        const list = await up.resource(EVENTS).list({ namespace: "refused" });
        return list.items.find((e) => (e.involvedObject as { uid?: string }).uid === big.metadata.uid);
      });
      expect((event as { reason?: string }).reason).toBe("SyncFailed");
      expect((event as { message?: string }).message).toContain("spec.size");
      expect(await getOrUndefined(east.resource(GIZMOS), "big", "refused")).toBeUndefined();
    } finally {
      await s.stop();
    }
  });

  test("two logical clusters attached to one physical cluster never touch each other's objects", async () => {
    const otherRest = await clientFor(kcp, "team2");
    const other = new DynamicClient(otherRest);
    const s = startSyncer({
      upstream: otherRest,
      downstream: eastRest,
      clusterName: "east",
      logicalCluster: "team2",
      resources: ["configmaps"],
      heartbeatIntervalMs: 300,
    });
    try {
      await s.started;
      await ensureNamespace(up, "shared");
      await ensureNamespace(other, "shared");
      const mine = await up
        .resource(CONFIGMAPS)
        .create(configMap("same", "shared", "east", { from: "team" }), { namespace: "shared" });
      await until("team's copy", () => getOrUndefined(east.resource(CONFIGMAPS), "same", "shared"));
      const theirs = await other
        .resource(CONFIGMAPS)
        .create(configMap("same", "shared", "east", { from: "team2" }), { namespace: "shared" });
      await other
        .resource(CONFIGMAPS)
        .create(configMap("own", "shared", "east", { from: "team2" }), { namespace: "shared" });
      const own = await until("team2's own copy", () => getOrUndefined(east.resource(CONFIGMAPS), "own", "shared"));
      expect(own.metadata.annotations?.[LOGICAL_CLUSTER_ANNOTATION]).toBe("team2");
      const event = await until("team2 told of the conflict", async () => {
        const list = await other.resource(EVENTS).list({ namespace: "shared" });
        return list.items.find((e) => (e.involvedObject as { uid?: string }).uid === theirs.metadata.uid);
      });
      expect((event as { message?: string }).message).toContain("belongs to logical cluster team");
      // team2 deleting its object of that name leaves team's copy; team's stays team's.
      await other.resource(CONFIGMAPS).delete("same", { namespace: "shared" });
      await Bun.sleep(300);
      const copy = await east.resource(CONFIGMAPS).get("same", "shared");
      expect(copy.data).toEqual({ from: "team" });
      expect(copy.metadata.annotations?.[UPSTREAM_UID_ANNOTATION]).toBe(mine.metadata.uid as string);
    } finally {
      await s.stop();
    }
  });

  test("heartbeat lease is renewed and names the synced types", async () => {
    const leases = up.resource(LEASES);
    const first = await until("the lease", () =>
      getOrUndefined(leases, heartbeatLeaseName("east"), HEARTBEAT_NAMESPACE),
    );
    expect(first.metadata.annotations?.[SYNCER_STATUS_ANNOTATION]).toBe("ok");
    expect(first.metadata.annotations?.[SYNCED_RESOURCES_ANNOTATION]).toBe(
      "configmaps,deployments.apps,widgets.example.com",
    );
    const renewed = await until("a renewal", async () => {
      const l = await leases.get(heartbeatLeaseName("east"), HEARTBEAT_NAMESPACE);
      return (l.spec as { renewTime: string }).renewTime !== (first.spec as { renewTime: string }).renewTime
        ? l
        : undefined;
    });
    expect(Date.parse((renewed.spec as { renewTime: string }).renewTime)).toBeGreaterThan(
      Date.parse((first.spec as { renewTime: string }).renewTime),
    );
  });

  test("the heartbeat says when the physical cluster cannot be reached", async () => {
    const unreachable = new RestClient({ ...eastRest.config, server: "https://127.0.0.1:9/clusters/east" });
    const s = startSyncer({
      upstream: upRest,
      downstream: unreachable,
      clusterName: "nowhere",
      logicalCluster: LC,
      resources: ["configmaps"],
      heartbeatIntervalMs: 300,
    });
    try {
      const lease = await until("the lease", () =>
        getOrUndefined(up.resource(LEASES), heartbeatLeaseName("nowhere"), HEARTBEAT_NAMESPACE),
      );
      expect(lease.metadata.annotations?.[SYNCER_STATUS_ANNOTATION]).toStartWith(
        "cannot reach the physical cluster at https://127.0.0.1:9/clusters/east",
      );
    } finally {
      await s.stop();
    }
  });

  test("a type created in kcp after the syncer started is picked up without a restart", async () => {
    const s = startSyncer({
      upstream: upRest,
      downstream: eastRest,
      clusterName: "east",
      logicalCluster: LC,
      resources: ["gadgets.example.com"],
      heartbeatIntervalMs: 300,
      // No timer tick within the test: the CRD watch must start the discovery pass.
      rediscoverMs: 60_000,
    });
    try {
      await s.started;
      expect(s.syncedResources()).toEqual([]);
      const physAdmin = new DynamicClient(await clientFor(phys, "admin"));
      await physAdmin.resource(CRDS).create(crd("gadgets", "Gadget"));
      await up.resource(CRDS).create(crd("gadgets", "Gadget"));
      await waitEstablished(up, "gadgets", GADGETS);
      await ensureNamespace(up, "late");
      await up.resource(GADGETS).create(
        {
          apiVersion: "example.com/v1",
          kind: "Gadget",
          metadata: { name: "g", namespace: "late", labels: { "kcp.dev/cluster": "east" } },
          spec: { size: 1 },
        },
        { namespace: "late" },
      );
      await until("the gadget downstream", () => getOrUndefined(east.resource(GADGETS), "g", "late"));
      expect(s.syncedResources()).toEqual(["gadgets.example.com"]);
    } finally {
      await s.stop();
    }
  });
});

describe("restart", () => {
  test("changes made while the syncer was down converge, deletes included, without duplicates", async () => {
    await ensureNamespace(up, "rs");
    const cms = up.resource(CONFIGMAPS);
    const downCms = east.resource(CONFIGMAPS);
    for (const n of ["keep", "change", "remove", "unlabel"]) {
      await cms.create(configMap(n, "rs", "east", { v: "1" }), { namespace: "rs" });
    }
    await until("four copies", async () =>
      (await downCms.list({ namespace: "rs" })).items.length === 4 ? true : undefined,
    );
    await syncEast.stop();
    await cms.patch("change", { data: { v: "2" } }, "merge", { namespace: "rs" });
    await cms.delete("remove", { namespace: "rs" });
    await cms.patch("unlabel", { metadata: { labels: { "kcp.dev/cluster": null } } }, "merge", { namespace: "rs" });
    await cms.create(configMap("new", "rs", "east", { v: "1" }), { namespace: "rs" });
    // Meanwhile downstream: a copy deleted by hand.
    await downCms.delete("keep", { namespace: "rs" });
    await Bun.sleep(200);
    expect(await getOrUndefined(downCms, "new", "rs")).toBeUndefined();

    syncEast = startSyncer({
      upstream: upRest,
      downstream: eastRest,
      clusterName: "east",
      logicalCluster: LC,
      resources: ["configmaps", "widgets.example.com", "deployments.apps"],
      heartbeatIntervalMs: 500,
    });
    await syncEast.started;
    await until("converged", async () => {
      const items = (await downCms.list({ namespace: "rs" })).items;
      const names = items.map((i) => i.metadata.name).sort();
      const change = items.find((i) => i.metadata.name === "change");
      return names.join(",") === "change,keep,new" && (change?.data as { v?: string } | undefined)?.v === "2"
        ? true
        : undefined;
    });
    // What the restarted syncer did: the new object and the hand-deleted copy created, the
    // changed one updated, the deleted and the unlabelled one's copies deleted.
    const c = syncEast.counts();
    expect(c.created).toBeGreaterThanOrEqual(2);
    expect(c.updated).toBeGreaterThanOrEqual(1);
    expect(c.deleted).toBeGreaterThanOrEqual(2);
  });

  test("the physical cluster restarted: the syncer reconnects and catches up", async () => {
    await ensureNamespace(up, "phys-restart");
    const cms = up.resource(CONFIGMAPS);
    await cms.create(configMap("before", "phys-restart", "east", {}), { namespace: "phys-restart" });
    await until("before", () => getOrUndefined(east.resource(CONFIGMAPS), "before", "phys-restart"));
    await phys.stop();
    await cms.create(configMap("during", "phys-restart", "east", {}), { namespace: "phys-restart" });
    await cms.delete("before", { namespace: "phys-restart" });
    const lease = up.resource(LEASES);
    await until("the heartbeat says so", async () => {
      const l = await lease.get(heartbeatLeaseName("east"), HEARTBEAT_NAMESPACE);
      return l.metadata.annotations?.[SYNCER_STATUS_ANNOTATION]?.startsWith("cannot reach the physical cluster")
        ? true
        : undefined;
    });
    phys = await startKcp({ rootDir: phys.rootDir, args: ["--listen", `127.0.0.1:${phys.port}`] });
    await until(
      "caught up",
      async () => {
        const d = east.resource(CONFIGMAPS);
        return (await getOrUndefined(d, "during", "phys-restart").catch(() => undefined)) &&
          !(await getOrUndefined(d, "before", "phys-restart").catch(() => ({ metadata: {} })))
          ? true
          : undefined;
      },
      30_000,
    );
    await until("healthy again", async () => {
      const l = await lease.get(heartbeatLeaseName("east"), HEARTBEAT_NAMESPACE);
      return l.metadata.annotations?.[SYNCER_STATUS_ANNOTATION] === "ok" ? true : undefined;
    });
  }, 60_000);
});

describe("kcp restarted", () => {
  test("the syncer follows kcp again after its restart, deletes included", async () => {
    await ensureNamespace(up, "kcp-restart");
    const cms = up.resource(CONFIGMAPS);
    await cms.create(configMap("old", "kcp-restart", "east", {}), { namespace: "kcp-restart" });
    await until("old", () => getOrUndefined(east.resource(CONFIGMAPS), "old", "kcp-restart"));
    await kcp.stop();
    kcp = await startKcp({ rootDir: kcp.rootDir, args: ["--listen", `127.0.0.1:${kcp.port}`] });
    await cms.delete("old", { namespace: "kcp-restart" });
    await cms.create(configMap("fresh", "kcp-restart", "east", {}), { namespace: "kcp-restart" });
    await until(
      "converged",
      async () => {
        const d = east.resource(CONFIGMAPS);
        return (await getOrUndefined(d, "fresh", "kcp-restart")) && !(await getOrUndefined(d, "old", "kcp-restart"))
          ? true
          : undefined;
      },
      30_000,
    );
  }, 60_000);
});

describe("kcp sync", () => {
  test("runs a syncer from kubeconfigs until SIGTERM", async () => {
    const from = await kubeconfigWithPath(kcp, "/clusters/cli-team");
    const to = await kubeconfigWithPath(phys, "/clusters/cli-phys");
    const cliUp = new DynamicClient(await clientFor(kcp, "cli-team"));
    const cliDown = new DynamicClient(await clientFor(phys, "cli-phys"));
    await ensureNamespace(cliUp, "demo");
    const proc = Bun.spawn(
      [
        process.execPath,
        join(REPO, "src/main.ts"),
        "sync",
        "--from-kubeconfig",
        from,
        "--to-kubeconfig",
        to,
        "--cluster",
        "laptop",
        "--heartbeat-interval",
        "500ms",
        "configmaps",
      ],
      { stdout: "pipe", stderr: "pipe" },
    );
    let out = "";
    const pump = async (s: ReadableStream<Uint8Array>) => {
      const d = new TextDecoder();
      for await (const c of s) out += d.decode(c);
    };
    const pumped = Promise.all([pump(proc.stdout), pump(proc.stderr)]);
    try {
      await until("the syncer running", async () => (out.includes("Syncer running") ? true : undefined), 20_000);
      expect(out).toContain("from logical cluster cli-team");
      await cliUp.resource(CONFIGMAPS).create(configMap("hello", "demo", "laptop", { a: "b" }), { namespace: "demo" });
      const copy = await until("the copy", () => getOrUndefined(cliDown.resource(CONFIGMAPS), "hello", "demo"));
      expect(copy.metadata.annotations?.[LOGICAL_CLUSTER_ANNOTATION]).toBe("cli-team");
      const lease = await until("the lease", () =>
        getOrUndefined(cliUp.resource(LEASES), heartbeatLeaseName("laptop"), HEARTBEAT_NAMESPACE),
      );
      expect(lease.metadata.annotations?.[SYNCER_STATUS_ANNOTATION]).toBe("ok");
    } finally {
      proc.kill("SIGTERM");
    }
    expect(await proc.exited).toBe(0);
    await pumped;
  }, 30_000);

  test("exits non-zero with the reason when it cannot start", async () => {
    const from = await kubeconfigWithPath(kcp, "/clusters/cli-team");
    const run = async (...args: string[]) => {
      const p = Bun.spawn([process.execPath, join(REPO, "src/main.ts"), "sync", ...args], {
        stdout: "pipe",
        stderr: "pipe",
      });
      const [stdout, stderr, code] = await Promise.all([
        new Response(p.stdout).text(),
        new Response(p.stderr).text(),
        p.exited,
      ]);
      return { code, text: stdout + stderr };
    };
    const missing = await run(
      "--from-kubeconfig",
      from,
      "--to-kubeconfig",
      "/nonexistent/kubeconfig",
      "--cluster",
      "x",
    );
    expect(missing.code).not.toBe(0);
    expect(missing.text).toContain("cannot load the physical cluster's kubeconfig");
    const down = await kubeconfigWithPath(kcp, "/clusters/x", "kubeconfig-dead");
    await Bun.write(down, (await Bun.file(down).text()).replace(`127.0.0.1:${kcp.port}`, "127.0.0.1:9"));
    const dead = await run("--from-kubeconfig", from, "--to-kubeconfig", down, "--cluster", "x");
    expect(dead.code).not.toBe(0);
    expect(dead.text).toContain("cannot reach the physical cluster at https://127.0.0.1:9");
    const bad = await run("--from-kubeconfig", from, "--to-kubeconfig", from, "--cluster", "not a label!");
    expect(bad.code).not.toBe(0);
    expect(bad.text).toContain("--cluster");
  }, 30_000);
});
