// The Ready gate in pull mode: the syncer installed in the physical cluster is told (its args, its
// RBAC) only the resources kcp serves natively or whose import is Compatible and Available; the
// install follows the imports' conditions, and a Cluster with nothing to sync has no install at
// all. kcp and the physical cluster are in-memory apps; the importer pulls the physical cluster's
// Deployment CRD with the real CrdPuller; the test plays the negotiation controller's part.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { generateKeyPairSync } from "node:crypto";
import { DEFAULT_CLUSTER } from "../../src/apis/logical-clusters.ts";
import { installWorkloadCRDs } from "../../src/apis/workload-crds/install.ts";
import { loopbackClientConfig } from "../../src/app/loopback-client.ts";
import { ServiceAccountJWT } from "../../src/auth/service-account-jwt.ts";
import { RestClient } from "../../src/client/rest-client.ts";
import { ClusterController } from "../../src/controllers/cluster/cluster-controller.ts";
import { syncerInstallName } from "../../src/controllers/cluster/pull-manifests.ts";
import { CrdController } from "../../src/controllers/crd/crd-controller.ts";
import { CrdPuller } from "../../src/controllers/crd-puller/crd-puller.ts";
import { type InMemoryApp, inMemoryApp, TEST_TOKEN } from "../helpers/in-memory-app.ts";

const LC = "team";
let kcp: InMemoryApp;
let physical: InMemoryApp;
let crds: CrdController;
let controller: ClusterController<RestClient>;

beforeAll(async () => {
  const pem = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({
    type: "pkcs8",
    format: "pem",
  }) as string;
  kcp = await inMemoryApp({ serviceAccountTokens: new ServiceAccountJWT(pem) });
  physical = await inMemoryApp();
  const crdDef = physical.deps.registry.lookup(
    DEFAULT_CLUSTER,
    "apiextensions.k8s.io",
    "v1",
    "customresourcedefinitions",
  );
  if (!crdDef) throw new Error("no CRDs");
  crds = new CrdController(physical.deps.store, physical.deps.registry, crdDef);
  await crds.start();
  await installWorkloadCRDs(physical.deps.store, physical.deps.registry, crdDef, DEFAULT_CLUSTER);
  const kcpClient = new RestClient(loopbackClientConfig(kcp.app, TEST_TOKEN));
  const physicalClient = new RestClient(loopbackClientConfig(physical.app, TEST_TOKEN));
  controller = new ClusterController<RestClient>(
    {
      store: kcp.deps.store,
      registry: kcp.deps.registry,
      parseKubeconfig: async () => ({}),
      clientFor: () => physicalClient,
      targetOf: () => "physical",
      upstreamFor: (lc) => kcpClient.forCluster(lc),
      startSyncer: () => {
        throw new Error("no push mode here");
      },
      newCrdPuller: (client, opts) => new CrdPuller(client, opts),
    },
    {
      defaultMode: "pull",
      defaultResources: ["configmaps"],
      heartbeatTimeoutMs: 30_000,
      syncerImage: "kcp:test",
      kcp: { url: "https://kcp.example:6443" },
      pullRecheckMs: 60_000,
    },
  );
  await controller.start();
}, 60_000);

afterAll(async () => {
  await controller?.stop();
  crds?.stop();
  for (const m of [kcp, physical]) await m?.close();
});

async function call(app: InMemoryApp, method: string, path: string, body?: unknown, type = "application/json") {
  return app.app.request(path, {
    method,
    headers: { authorization: `Bearer ${TEST_TOKEN}`, "content-type": type },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function until(what: string, probe: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}

const clusters = `/clusters/${LC}/apis/cluster.example.dev/v1alpha1/clusters`;
const imports = `/clusters/${LC}/apis/apiresource.kcp.dev/v1alpha1/apiresourceimports`;

async function createCluster(name: string, resources: string[]): Promise<void> {
  const res = await call(kcp, "POST", clusters, {
    apiVersion: "cluster.example.dev/v1alpha1",
    kind: "Cluster",
    metadata: { name },
    spec: { kubeconfig: "physical", resources },
  });
  expect(res.status).toBe(201);
}

async function ready(name: string): Promise<{ status: string; reason: string; message: string } | undefined> {
  const obj = (await (await call(kcp, "GET", `${clusters}/${name}`)).json()) as {
    status?: { conditions?: { type: string; status: string; reason: string; message: string }[] };
  };
  return obj.status?.conditions?.find((c) => c.type === "Ready");
}

/** The args of the installed syncer's container, or undefined when nothing is installed. */
async function syncerArgs(name: string): Promise<string[] | undefined> {
  const res = await call(
    physical,
    "GET",
    `/apis/apps/v1/namespaces/${syncerInstallName(LC, name)}/deployments/kcp-syncer`,
  );
  if (res.status === 404) return undefined;
  const dep = (await res.json()) as { spec: { template: { spec: { containers: { args: string[] }[] } } } };
  return dep.spec.template.spec.containers[0]?.args;
}

async function clusterRoleResources(name: string): Promise<string[] | undefined> {
  const res = await call(
    physical,
    "GET",
    `/apis/rbac.authorization.k8s.io/v1/clusterroles/${syncerInstallName(LC, name)}`,
  );
  if (res.status === 404) return undefined;
  const role = (await res.json()) as { rules: { resources: string[] }[] };
  return role.rules.flatMap((r) => r.resources).sort();
}

async function setConditions(importName: string, available: "True" | "False"): Promise<void> {
  const cur = (await (await call(kcp, "GET", `${imports}/${importName}`)).json()) as Record<string, unknown>;
  const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const res = await call(kcp, "PUT", `${imports}/${importName}/status`, {
    ...cur,
    status: {
      conditions: [
        { type: "Compatible", status: "True", reason: "ByHand", lastTransitionTime: now },
        { type: "Available", status: available, reason: "ByHand", lastTransitionTime: now },
      ],
    },
  });
  expect(res.status).toBe(200);
}

test("the installed syncer is told only the native and the negotiated resources, and follows the conditions", async () => {
  await createCluster("mixed", ["configmaps", "deployments.apps"]);
  await until(
    "the deployments import",
    async () => (await call(kcp, "GET", `${imports}/deployments.mixed.v1.apps`)).status === 200,
  );
  await until("the install with configmaps only", async () => (await syncerArgs("mixed"))?.at(-1) === "configmaps");
  expect(await syncerArgs("mixed")).not.toContain("deployments.apps");
  expect(await clusterRoleResources("mixed")).toEqual(["configmaps", "namespaces"]);
  // No heartbeat yet (nothing runs the installed syncer here): that first, the APIs after.
  await until(
    "not Ready, naming the import",
    async () => (await ready("mixed"))?.message.includes("import deployments.mixed.v1.apps") === true,
  );
  const r = await ready("mixed");
  expect(r?.reason).toBe("SyncerNotReady");
  expect(r?.status).toBe("False");
  expect(r?.message).toStartWith("waiting for the syncer's first heartbeat; ");
  expect(r?.message).toContain(
    "; APIs not negotiated yet: deployments.apps (deployments.apps: import deployments.mixed.v1.apps: not negotiated yet)",
  );

  await setConditions("deployments.mixed.v1.apps", "True");
  await until(
    "the install with deployments too",
    async () => (await syncerArgs("mixed"))?.at(-1) === "deployments.apps",
  );
  expect((await syncerArgs("mixed"))?.slice(-2)).toEqual(["configmaps", "deployments.apps"]);
  expect(await clusterRoleResources("mixed")).toEqual(["configmaps", "deployments", "namespaces"]);

  await setConditions("deployments.mixed.v1.apps", "False");
  await until(
    "the install with configmaps only again",
    async () => (await syncerArgs("mixed"))?.at(-1) === "configmaps",
  );
  await until("Ready names the API", async () => (await ready("mixed"))?.message.includes("Available=False") === true);
}, 30_000);

test("nothing negotiated to sync: nothing installed, APIsNotNegotiated; installed once negotiated, removed after", async () => {
  await createCluster("only", ["deployments.apps"]);
  await until("APIsNotNegotiated", async () => (await ready("only"))?.reason === "APIsNotNegotiated");
  const r = await ready("only");
  expect(r?.status).toBe("False");
  expect(r?.message).toStartWith("APIs not negotiated yet: deployments.apps (deployments.apps: ");
  expect(await syncerArgs("only")).toBeUndefined();
  await until(
    "the deployments import",
    async () => (await call(kcp, "GET", `${imports}/deployments.only.v1.apps`)).status === 200,
  );

  await setConditions("deployments.only.v1.apps", "True");
  await until("installed", async () => (await syncerArgs("only"))?.at(-1) === "deployments.apps");
  // Now the heartbeat decides: none yet.
  await until("waiting for the heartbeat", async () => (await ready("only"))?.reason === "SyncerNotReady");

  await setConditions("deployments.only.v1.apps", "False");
  await until("the install removed", async () => (await clusterRoleResources("only")) === undefined);
  await until("APIsNotNegotiated again", async () => (await ready("only"))?.reason === "APIsNotNegotiated");
  // The syncer's credential in kcp went with it.
  const sa = await call(kcp, "GET", `/clusters/${LC}/api/v1/namespaces/kcp-system/serviceaccounts/kcp-syncer-only`);
  expect(sa.status).toBe(404);
}, 30_000);
