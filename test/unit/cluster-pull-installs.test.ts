// Pull installs are never forgotten: the cluster controller records where it installed a Cluster's
// syncer (a Secret in kcp) before it applies anything, and removes an install elsewhere — after the
// kubeconfig moved to another cluster, after an invalid kubeconfig was fixed to another cluster, or
// when the mode left pull — as soon as that cluster answers; each fresh install recreates the
// syncer's service account so earlier tokens die. A new credential for the same cluster updates
// the install in place. kcp and the physical clusters are in-memory apps; a physical cluster "does
// not answer" while the test refuses its connections.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { generateKeyPairSync } from "node:crypto";
import { DEFAULT_CLUSTER } from "../../src/apis/logical-clusters.ts";
import { loopbackClientConfig } from "../../src/app/loopback-client.ts";
import { ServiceAccountJWT } from "../../src/auth/service-account-jwt.ts";
import { RestClient } from "../../src/client/rest-client.ts";
import { ClusterController } from "../../src/controllers/cluster/cluster-controller.ts";
import { installRecordName } from "../../src/controllers/cluster/install-records.ts";
import { syncerId, syncerInstallName } from "../../src/controllers/cluster/pull-manifests.ts";
import { CrdController } from "../../src/controllers/crd/crd-controller.ts";
import { installWorkloadCRDs } from "../../src/apis/workload-crds/install.ts";
import { type InMemoryApp, inMemoryApp, TEST_TOKEN } from "../helpers/in-memory-app.ts";

const LC = "team";
let kcp: InMemoryApp;
const physical: Record<string, InMemoryApp> = {};
const stoppers: (() => unknown)[] = [];
/** Physical clusters whose connections are refused. */
const down = new Set<string>();
/** Requests refused, per physical cluster. */
const refused: Record<string, number> = { A: 0, B: 0 };
let controller: ClusterController<RestClient>;

beforeAll(async () => {
  const pem = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({
    type: "pkcs8",
    format: "pem",
  }) as string;
  kcp = await inMemoryApp({ serviceAccountTokens: new ServiceAccountJWT(pem) });
  for (const name of ["A", "B"]) {
    const mem = await inMemoryApp();
    const crdDef = mem.deps.registry.lookup(DEFAULT_CLUSTER, "apiextensions.k8s.io", "v1", "customresourcedefinitions");
    if (!crdDef) throw new Error("no CRDs");
    const crds = new CrdController(mem.deps.store, mem.deps.registry, crdDef);
    await crds.start();
    stoppers.push(() => crds.stop());
    await installWorkloadCRDs(mem.deps.store, mem.deps.registry, crdDef, DEFAULT_CLUSTER);
    physical[name] = mem;
  }
  const kcpClient = new RestClient(loopbackClientConfig(kcp.app, TEST_TOKEN));
  controller = new ClusterController<RestClient>(
    {
      store: kcp.deps.store,
      registry: kcp.deps.registry,
      // "A", "A#2" (another credential for A) and "B" name the physical clusters; anything else is invalid.
      parseKubeconfig: async (text) => {
        const target = text.split("#")[0] ?? "";
        if (!Object.hasOwn(physical, target)) throw new Error(`no cluster in ${JSON.stringify(text)}`);
        return { target };
      },
      clientFor: (config) => {
        const { target } = config as { target: string };
        const app = physical[target] as InMemoryApp;
        return new RestClient({
          ...loopbackClientConfig(app.app, TEST_TOKEN),
          fetch: async (req) => {
            if (down.has(target)) {
              refused[target] = (refused[target] ?? 0) + 1;
              throw new Error(`connect ECONNREFUSED (cluster ${target})`);
            }
            return app.app.fetch(req);
          },
        });
      },
      targetOf: (config) => (config as { target: string }).target,
      upstreamFor: (lc) => kcpClient.forCluster(lc),
      // configmaps only: kcp serves them itself, so nothing is ever pulled (or negotiated).
      newCrdPuller: () => {
        throw new Error("nothing to import here");
      },
      startSyncer: () => {
        throw new Error("no push mode here");
      },
    },
    {
      defaultMode: "pull",
      // Natively served: the syncer gets it without API negotiation (no negotiation controller runs here).
      defaultResources: ["configmaps"],
      heartbeatTimeoutMs: 30_000,
      syncerImage: "kcp:test",
      kcp: { url: "https://kcp.example:6443" },
      staleRetryMs: 100,
      pullRecheckMs: 300,
    },
  );
  await controller.start();
}, 60_000);

afterAll(async () => {
  await controller?.stop();
  for (const s of stoppers) await s();
  for (const m of [kcp, ...Object.values(physical)]) await m?.close();
});

async function call(app: InMemoryApp, method: string, path: string, body?: unknown, type = "application/json") {
  return app.app.request(path, {
    method,
    headers: { authorization: `Bearer ${TEST_TOKEN}`, "content-type": type },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

const clusters = `/clusters/${LC}/apis/cluster.example.dev/v1alpha1/clusters`;

async function createCluster(name: string, spec: Record<string, unknown>): Promise<void> {
  const res = await call(kcp, "POST", clusters, {
    apiVersion: "cluster.example.dev/v1alpha1",
    kind: "Cluster",
    metadata: { name },
    spec,
  });
  expect(res.status).toBe(201);
}

async function patchSpec(name: string, spec: Record<string, unknown>): Promise<void> {
  const res = await call(kcp, "PATCH", `${clusters}/${name}`, { spec }, "application/merge-patch+json");
  expect(res.status).toBe(200);
}

/** Whether the ClusterRole pull mode installs for `name` is in physical cluster `target` (asked directly). */
async function installedIn(target: string, name: string): Promise<boolean> {
  const path = `/apis/rbac.authorization.k8s.io/v1/clusterroles/${syncerInstallName(LC, name)}`;
  const res = await call(physical[target] as InMemoryApp, "GET", path);
  if (res.status !== 200 && res.status !== 404) throw new Error(`GET ${path}: ${res.status}`);
  return res.status === 200;
}

async function syncerAccountUid(name: string): Promise<string | undefined> {
  const res = await call(kcp, "GET", `/clusters/${LC}/api/v1/namespaces/kcp-system/serviceaccounts/kcp-syncer-${name}`);
  return res.status === 200 ? ((await res.json()) as { metadata: { uid: string } }).metadata.uid : undefined;
}

async function recordedTargets(name: string): Promise<string[]> {
  const res = await call(kcp, "GET", `/clusters/${LC}/api/v1/namespaces/kcp-system/secrets/${installRecordName(name)}`);
  if (res.status === 404) return [];
  return Object.keys(((await res.json()) as { data?: Record<string, string> }).data ?? {}).sort();
}

async function until(what: string, probe: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}

test("moved to another cluster while the old one does not answer: removed there once it answers", async () => {
  await createCluster("moved", { kubeconfig: "A" });
  await until("the install in A", () => installedIn("A", "moved"));
  expect(await recordedTargets("moved")).toEqual(["A"]);
  const uid1 = await syncerAccountUid("moved");
  expect(uid1).toBeString();

  down.add("A");
  await patchSpec("moved", { kubeconfig: "B" });
  await until("the install in B", () => installedIn("B", "moved"));
  // A new service account: the token A's syncer holds no longer works.
  const uid2 = await syncerAccountUid("moved");
  expect(uid2).toBeString();
  expect(uid2).not.toBe(uid1);
  expect(await installedIn("A", "moved")).toBe(true);
  expect(await recordedTargets("moved")).toEqual(["A", "B"]);

  down.delete("A");
  await until("the install in A removed", async () => !(await installedIn("A", "moved")));
  await until("A dropped from the record", async () => (await recordedTargets("moved")).join() === "B");
  expect(await installedIn("B", "moved")).toBe(true);
}, 30_000);

test("an invalid kubeconfig, then another cluster: the first install goes", async () => {
  await createCluster("typo", { kubeconfig: "A" });
  await until("the install in A", () => installedIn("A", "typo"));
  await patchSpec("typo", { kubeconfig: "nonsense" });
  await patchSpec("typo", { kubeconfig: "B" });
  await until("the install in B", () => installedIn("B", "typo"));
  await until("the install in A removed", async () => !(await installedIn("A", "typo")));
  await until("A dropped from the record", async () => (await recordedTargets("typo")).join() === "B");
}, 30_000);

test("out of pull mode while the cluster does not answer: token revoked, install removed on delete", async () => {
  await createCluster("left", { kubeconfig: "A" });
  await until("the install in A", () => installedIn("A", "left"));
  down.add("A");
  await patchSpec("left", { mode: "none" });
  await until("the syncer's service account gone", async () => (await syncerAccountUid("left")) === undefined);
  expect(await installedIn("A", "left")).toBe(true);
  // Deleted while A still does not answer: the finalizer waits for A (mode none, but the record says pull installed there).
  expect((await call(kcp, "DELETE", `${clusters}/left`)).status).toBe(200);
  await Bun.sleep(300);
  expect((await call(kcp, "GET", `${clusters}/left`)).status).toBe(200);
  down.delete("A");
  await until("the install in A removed", async () => !(await installedIn("A", "left")));
  await until("the Cluster gone", async () => (await call(kcp, "GET", `${clusters}/left`)).status === 404);
  expect(await recordedTargets("left")).toEqual([]);
}, 30_000);

test("another credential for the same cluster updates the install in place", async () => {
  await createCluster("rotated", { kubeconfig: "A" });
  await until("the install in A", () => installedIn("A", "rotated"));
  const nsPath = `/api/v1/namespaces/${syncerInstallName(LC, "rotated")}`;
  const before = (await (await call(physical.A as InMemoryApp, "GET", nsPath)).json()) as { metadata: { uid: string } };
  const uid1 = await syncerAccountUid("rotated");
  await patchSpec("rotated", { kubeconfig: "A#2" });
  await until("a fresh token", async () => {
    const uid = await syncerAccountUid("rotated");
    return uid !== undefined && uid !== uid1;
  });
  await until("the record updated", async () => {
    const res = await call(
      kcp,
      "GET",
      `/clusters/${LC}/api/v1/namespaces/kcp-system/secrets/${installRecordName("rotated")}`,
    );
    const data = ((await res.json()) as { data: Record<string, string> }).data;
    return Buffer.from(data.A ?? "", "base64").toString() === "A#2";
  });
  const after = (await (await call(physical.A as InMemoryApp, "GET", nsPath)).json()) as {
    metadata: { uid: string; deletionTimestamp?: string };
  };
  expect(after.metadata.uid).toBe(before.metadata.uid);
  expect(after.metadata.deletionTimestamp).toBeUndefined();
  expect(await installedIn("A", "rotated")).toBe(true);
}, 30_000);

test("a Cluster whose kubeconfig never parses is released at once on delete (nothing to remove)", async () => {
  await createCluster("garbled", { kubeconfig: "nonsense" });
  await until("the finalizer", async () => {
    const obj = (await (await call(kcp, "GET", `${clusters}/garbled`)).json()) as {
      metadata: { finalizers?: string[] };
    };
    return (obj.metadata.finalizers ?? []).length > 0;
  });
  expect((await call(kcp, "DELETE", `${clusters}/garbled`)).status).toBe(200);
  // The controller used to retry for a minute before it gave up.
  await until("the Cluster gone", async () => (await call(kcp, "GET", `${clusters}/garbled`)).status === 404, 20_000);
}, 30_000);

test("a failed re-apply leaves a syncer whose heartbeat is fresh Ready", async () => {
  await createCluster("steady", { kubeconfig: "A" });
  await until("the install in A", () => installedIn("A", "steady"));
  // The syncer in A renews its heartbeat in kcp (as `kcp sync` does).
  const lease = await call(kcp, "POST", `/clusters/${LC}/apis/coordination.k8s.io/v1/namespaces/kcp-system/leases`, {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: {
      name: "kcp-syncer-steady",
      annotations: { "kcp.dev/syncer-status": "ok", "kcp.dev/synced-resources": "configmaps" },
    },
    spec: { holderIdentity: "syncer", renewTime: new Date().toISOString().replace("Z", "000Z") },
  });
  expect(lease.status).toBe(201);
  const ready = async () => {
    const obj = (await (await call(kcp, "GET", `${clusters}/steady`)).json()) as {
      status?: { conditions?: { type: string; status: string; reason: string }[] };
    };
    return obj.status?.conditions?.find((c) => c.type === "Ready");
  };
  await until("Ready", async () => (await ready())?.status === "True");
  // kcp cannot reach A for a while: its re-applies fail.
  const before = refused.A ?? 0;
  down.add("A");
  await until("two failed re-applies", async () => (refused.A ?? 0) >= before + 2);
  expect(await ready()).toMatchObject({ status: "True", reason: "SyncerReady" });
  down.delete("A");
}, 30_000);

test("an install into a cluster that does not answer: ErrorInstallingSyncer, then installed once it answers", async () => {
  down.add("B");
  await createCluster("late", { kubeconfig: "B" });
  const reason = async () => {
    const obj = (await (await call(kcp, "GET", `${clusters}/late`)).json()) as {
      status?: { conditions?: { type: string; reason: string; message: string }[] };
    };
    return obj.status?.conditions?.find((c) => c.type === "Ready");
  };
  await until("ErrorInstallingSyncer", async () => (await reason())?.reason === "ErrorInstallingSyncer");
  expect((await reason())?.message).toContain("ECONNREFUSED");
  down.delete("B");
  await until("the install in B", () => installedIn("B", "late"));
}, 30_000);

test("the syncer's service account deleted in kcp: a new token is minted and installed", async () => {
  await createCluster("reminted", { kubeconfig: "A" });
  const secretPath = `/api/v1/namespaces/${syncerInstallName(LC, "reminted")}/secrets/kcp-kubeconfig`;
  // The Secret, not the ClusterRole (applied before it): the install may still be under way.
  await until(
    "the install in A",
    async () => (await call(physical.A as InMemoryApp, "GET", secretPath)).status === 200,
  );
  const kubeconfigInA = async () =>
    ((await (await call(physical.A as InMemoryApp, "GET", secretPath)).json()) as { data: { kubeconfig: string } }).data
      .kubeconfig;
  const first = await kubeconfigInA();
  const uid1 = await syncerAccountUid("reminted");
  // Someone deletes the account: the installed token is dead from now on.
  const del = await call(
    kcp,
    "DELETE",
    `/clusters/${LC}/api/v1/namespaces/kcp-system/serviceaccounts/kcp-syncer-reminted`,
  );
  expect(del.status).toBe(200);
  await until("a new token in A", async () => (await kubeconfigInA()) !== first);
  const uid2 = await syncerAccountUid("reminted");
  expect(uid2).toBeString();
  expect(uid2).not.toBe(uid1);
}, 30_000);

test("no heartbeat from an installed syncer: the Ready message says what its pod says", async () => {
  await createCluster("stuck", { kubeconfig: "A" });
  await until("the install in A", () => installedIn("A", "stuck"));
  const message = async () => {
    const obj = (await (await call(kcp, "GET", `${clusters}/stuck`)).json()) as {
      status?: { conditions?: { type: string; message: string }[] };
    };
    return obj.status?.conditions?.find((c) => c.type === "Ready")?.message ?? "";
  };
  const ns = syncerInstallName(LC, "stuck");
  await until("no pod yet", async () => (await message()).includes(`no syncer pod in namespace ${ns}`));
  // The kubelet's part, played here: a pod of the Deployment whose image cannot be pulled.
  const A = physical.A as InMemoryApp;
  const pod = await call(A, "POST", `/api/v1/namespaces/${ns}/pods`, {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "kcp-syncer-1", labels: { app: "kcp-syncer", "kcp.dev/syncer-id": syncerId(LC, "stuck") } },
    spec: { containers: [{ name: "syncer", image: "kcp:test" }] },
  });
  expect(pod.status).toBe(201);
  const body = (await pod.json()) as Record<string, any>;
  const status = await call(A, "PUT", `/api/v1/namespaces/${ns}/pods/kcp-syncer-1/status`, {
    ...body,
    status: {
      phase: "Pending",
      containerStatuses: [
        {
          name: "syncer",
          image: "kcp:test",
          imageID: "",
          ready: false,
          restartCount: 0,
          state: { waiting: { reason: "ImagePullBackOff", message: 'Back-off pulling image "kcp:test"\nagain' } },
        },
      ],
    },
  });
  expect(status.status).toBe(200);
  await until("the pod's reason", async () => (await message()).includes("ImagePullBackOff"));
  expect(await message()).toBe(
    `waiting for the syncer's first heartbeat; syncer pod kcp-syncer-1: Pending (ImagePullBackOff: Back-off pulling image "kcp:test" again)`,
  );
}, 30_000);
