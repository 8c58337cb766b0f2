// The API importer against a cluster whose discovery fails for a group (a 503 on /apis/apps/v1,
// as an overloaded or restarting apiserver answers): the group's imports stay as they are. Deleting
// the last import of a resource deletes its negotiated resource, the CRD published from it and
// every object of that kind in kcp; moving the import to another version of the group (apps/v1beta2,
// which discovery still lists) would do the same to the v1 CRD. Real store, real informer, the
// real CRD puller over the real client against a stand-in for a Kubernetes 1.13 apiserver.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { APIRESOURCE_GROUP, APIRESOURCE_VERSION, IMPORT_RESOURCE } from "../../src/apis/builtin/apiresource.ts";
import { DEFAULT_CLUSTER } from "../../src/apis/logical-clusters.ts";
import type { KObject, ResourceDef } from "../../src/apis/types.ts";
import { Informer } from "../../src/client/informer.ts";
import { loadClientConfig } from "../../src/client/kubeconfig-loader.ts";
import { RestClient } from "../../src/client/rest-client.ts";
import { ApiImporter, importSummary } from "../../src/controllers/cluster/api-importer.ts";
import { CrdPuller } from "../../src/controllers/crd-puller/crd-puller.ts";
import { type InMemoryApp, inMemoryApp } from "../helpers/in-memory-app.ts";
import { removeDir, tempDir } from "../helpers/kcp-process.ts";
import { type LegacyKubeServer, startLegacyKube } from "../helpers/legacy-kube-server.ts";

let dir: string;
let server: LegacyKubeServer;
let client: RestClient;
let mem: InMemoryApp;
let imports: Informer;
let importer: ApiImporter;
let importDef: ResourceDef;
const unavailable = new Set<string>();

const CLUSTER: KObject = {
  apiVersion: "cluster.example.dev/v1alpha1",
  kind: "Cluster",
  metadata: { name: "east", uid: "5e1f-east" },
  spec: {},
};

beforeAll(async () => {
  dir = tempDir("api-importer-discovery-");
  server = await startLegacyKube({ kubeconfigPath: join(dir, "old.kubeconfig"), unavailable });
  client = new RestClient(await loadClientConfig({ kubeconfig: server.kubeconfig }));
  mem = await inMemoryApp();
  const def = mem.deps.registry.lookup(DEFAULT_CLUSTER, APIRESOURCE_GROUP, APIRESOURCE_VERSION, IMPORT_RESOURCE);
  if (!def) throw new Error("apiresourceimports not registered");
  importDef = def;
  imports = new Informer(mem.deps.store, importDef, { name: "test: imports", transform: importSummary });
  await imports.start();
  importer = new ApiImporter({
    store: mem.deps.store,
    importDef,
    cluster: (lc, name) => (lc === DEFAULT_CLUSTER && name === "east" ? CLUSTER : undefined),
    importsOf: (lc) => imports.list(lc),
    toImport: () => ["deployments.apps"],
    servedNatively: () => false,
    changed: () => {},
    intervalMs: 100,
  });
});

afterAll(async () => {
  await importer?.stopAll(5000);
  imports?.stop();
  await mem?.close();
  server?.stop();
  removeDir(dir);
});

async function importNames(): Promise<string[]> {
  const { items } = await mem.deps.store.list(importDef, DEFAULT_CLUSTER, undefined, {});
  return items.map((i) => i.metadata.name ?? "").sort();
}

async function waitFor(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

const appsV1Reads = () => server.requests.filter((r) => r === "GET /apis/apps/v1").length;

test("a group whose discovery fails keeps its imports: none deleted, none moved to another version", async () => {
  importer.ensure(DEFAULT_CLUSTER, "east", "kubeconfig text", ["deployments.apps"], () => new CrdPuller(client));
  await waitFor("the deployments import", async () => (await importNames()).includes("deployments.east.v1.apps"));

  unavailable.add("/apis/apps/v1");
  const before = appsV1Reads();
  // Three more reads of /apis/apps/v1 (each answered 503): at least two passes finished meanwhile.
  await waitFor("passes with apps/v1 failing", () => appsV1Reads() >= before + 3);
  expect(await importNames()).toEqual(["deployments.east.v1.apps"]);

  // Discovery whole again: nothing changed, nothing to write.
  unavailable.clear();
  const again = appsV1Reads();
  await waitFor("passes with apps/v1 back", () => appsV1Reads() >= again + 2);
  expect(await importNames()).toEqual(["deployments.east.v1.apps"]);
});
