// The service accounts controller over a real SQLite store and the real admission chain: every
// namespace of every logical cluster gets a `default` ServiceAccount (those existing at start-up
// before start() resolves, new ones soon after), it comes back when deleted, a create that fails is
// tried again, and a terminating namespace gets none.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { AdmissionPlugin } from "../../src/apis/admission.ts";
import { DEFAULT_CLUSTER } from "../../src/apis/logical-clusters.ts";
import type { KObject, ResourceDef } from "../../src/apis/types.ts";
import { type ApiCore, startApiCore } from "../../src/app/api-core.ts";
import { AllowAllAuthorizer } from "../../src/auth/allow-all-authorizer.ts";
import { adminUser, StaticTokenAuthenticator } from "../../src/auth/token-authenticator.ts";
import { ServiceAccountsController } from "../../src/controllers/service-accounts.ts";
import { errors } from "../../src/machinery/status.ts";
import { requestContext } from "../../src/server/rest/request-context.ts";
import { DEFAULT_PREFIX } from "../../src/storage/keys.ts";
import { SqliteStorage } from "../../src/storage/sqlite/sqlite-storage.ts";

let storage: SqliteStorage;
let core: ApiCore;
let serviceAccounts: ResourceDef;
let controller: ServiceAccountsController;
/** Service account creates in namespace `flaky` the admission chain still refuses (503). */
let flakyRefusals = 0;
const flaky: AdmissionPlugin = {
  name: "Flaky",
  handles: (op) => op === "CREATE",
  validate: (a) => {
    if (a.def.plural !== "serviceaccounts" || a.namespace !== "flaky" || flakyRefusals === 0) return;
    flakyRefusals--;
    throw errors.serviceUnavailable("try again later");
  },
};

const INITIAL = ["default", "kube-node-lease", "kube-public", "kube-system"];
const ctx = (cluster: string, namespace?: string) =>
  requestContext(cluster, adminUser(), new URLSearchParams(), namespace);

async function serviceAccountNamespaces(cluster: string): Promise<string[]> {
  const { items } = await core.store.list(serviceAccounts, cluster, undefined, {});
  return items
    .filter((sa) => sa.metadata.name === "default")
    .map((sa) => sa.metadata.namespace as string)
    .sort();
}

async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string, ms = 3000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await Bun.sleep(10);
  }
}

function createNamespace(cluster: string, name: string): Promise<KObject> {
  return core.store.create(core.namespaceDef, ctx(cluster), { metadata: { name } }, undefined);
}

beforeAll(async () => {
  storage = SqliteStorage.open(":memory:", { progressIntervalMs: 0 });
  const authenticator = new StaticTokenAuthenticator([{ token: "t".repeat(43), user: adminUser() }]);
  core = await startApiCore({
    storage,
    keyPrefix: DEFAULT_PREFIX,
    authenticator,
    authorizer: new AllowAllAuthorizer(),
    admission: [flaky],
  });
  serviceAccounts = core.registry.lookup(DEFAULT_CLUSTER, "", "v1", "serviceaccounts") as ResourceDef;
  // A namespace and a second logical cluster that exist before the controller starts.
  await createNamespace(DEFAULT_CLUSTER, "before");
  await core.clusters.ensure("early");
  controller = new ServiceAccountsController(core.store, serviceAccounts, core.namespaces);
});

afterAll(async () => {
  controller?.stop();
  core?.stop();
  await storage?.close();
});

test("namespaces that exist at start-up have their service account once start() resolves", async () => {
  expect(await serviceAccountNamespaces(DEFAULT_CLUSTER)).toEqual([]);
  await controller.start();
  expect(await serviceAccountNamespaces(DEFAULT_CLUSTER)).toEqual(["before", ...INITIAL]);
  expect(await serviceAccountNamespaces("early")).toEqual(INITIAL);
  const sa = await core.store.get(serviceAccounts, DEFAULT_CLUSTER, "default", "default");
  expect(sa).toMatchObject({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default" } });
  expect(sa.metadata.uid).toBeString();
});

test("a new namespace gets its service account", async () => {
  await createNamespace(DEFAULT_CLUSTER, "fresh");
  await eventually(
    () => serviceAccountNamespaces(DEFAULT_CLUSTER),
    (ns) => ns.includes("fresh"),
    "default service account in fresh",
  );
});

test("every namespace of a logical cluster created later gets one, in that cluster only", async () => {
  await core.clusters.ensure("late");
  expect(
    await eventually(
      () => serviceAccountNamespaces("late"),
      (ns) => ns.length === INITIAL.length,
      "one per initial namespace",
    ),
  ).toEqual(INITIAL);
  expect(await serviceAccountNamespaces(DEFAULT_CLUSTER)).toEqual(["before", "default", "fresh", ...INITIAL.slice(1)]);
});

test("a deleted default service account is created again, with a new uid", async () => {
  const before = await core.store.get(serviceAccounts, "late", "kube-system", "default");
  await core.store.delete(serviceAccounts, ctx("late", "kube-system"), "kube-system", "default");
  const after = await eventually(
    () => core.store.tryGet(serviceAccounts, "late", "kube-system", "default"),
    (sa) => sa !== undefined && sa !== null,
    "the recreated service account",
  );
  expect(after?.metadata.uid).not.toBe(before.metadata.uid);
  // Other service accounts are not the controller's business: deleting one brings nothing back.
  await core.store.create(serviceAccounts, ctx("late", "default"), { metadata: { name: "robot" } }, "default");
  await core.store.delete(serviceAccounts, ctx("late", "default"), "default", "robot");
  await Bun.sleep(100);
  expect(await core.store.tryGet(serviceAccounts, "late", "default", "robot")).toBeFalsy();
});

test("a terminating namespace gets none, and loses it for good", async () => {
  await createNamespace(DEFAULT_CLUSTER, "doomed");
  await eventually(
    () => serviceAccountNamespaces(DEFAULT_CLUSTER),
    (ns) => ns.includes("doomed"),
    "default service account in doomed",
  );
  // No namespace controller runs here: the namespace stays Terminating (its `kubernetes` finalizer).
  await core.store.delete(core.namespaceDef, ctx(DEFAULT_CLUSTER), undefined, "doomed");
  await eventually(
    async () => core.namespaces.get(undefined, "doomed", DEFAULT_CLUSTER),
    (ns) => Boolean(ns?.metadata.deletionTimestamp),
    "the terminating namespace in the cache",
  );
  await core.store.delete(serviceAccounts, ctx(DEFAULT_CLUSTER, "doomed"), "doomed", "default");
  await Bun.sleep(200);
  expect(await core.store.tryGet(serviceAccounts, DEFAULT_CLUSTER, "doomed", "default")).toBeFalsy();
  const ns = await core.store.get(core.namespaceDef, DEFAULT_CLUSTER, undefined, "doomed");
  expect((ns.status as { phase?: string }).phase).toBe("Terminating");
});

test("a create that fails is tried again, with backoff, until it succeeds", async () => {
  flakyRefusals = 3;
  await createNamespace(DEFAULT_CLUSTER, "flaky");
  await eventually(
    () => serviceAccountNamespaces(DEFAULT_CLUSTER),
    (ns) => ns.includes("flaky"),
    "default service account in flaky",
  );
  expect(flakyRefusals).toBe(0);
});

test("after stop() nothing is created", async () => {
  controller.stop();
  await createNamespace(DEFAULT_CLUSTER, "after-stop");
  await Bun.sleep(150);
  expect(await serviceAccountNamespaces(DEFAULT_CLUSTER)).not.toContain("after-stop");
});
