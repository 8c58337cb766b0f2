// The quota bookkeeping: which objects a quota resource name counts, counts kept per logical
// cluster and namespace from informers (creates and deletes move them, updates do not), admitted
// creates reserved until seen, and the status a quota gets.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { KObject, RequestContext, ResourceDef } from "../../src/apis/types.ts";
import { type ApiCore, startApiCore } from "../../src/app/api-core.ts";
import { AllowAllAuthorizer } from "../../src/auth/allow-all-authorizer.ts";
import { adminUser, StaticTokenAuthenticator } from "../../src/auth/token-authenticator.ts";
import { countedResource } from "../../src/controllers/quota/quota-names.ts";
import { StatusError } from "../../src/machinery/status.ts";
import { DEFAULT_PREFIX } from "../../src/storage/keys.ts";
import { SqliteStorage } from "../../src/storage/sqlite/sqlite-storage.ts";

let storage: SqliteStorage;
let core: ApiCore;

const ctx = (cluster: string): RequestContext => ({ cluster, user: adminUser(), dryRun: false, warnings: [] });
const def = (resource: string, group = ""): ResourceDef => {
  const d = core.registry.lookup("admin", group, "v1", resource);
  if (!d) throw new Error(`no ${resource}`);
  return d;
};

async function until(what: string, done: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
}

async function createIn(cluster: string, namespace: string, resource: string, name: string): Promise<void> {
  await core.store.create(def(resource), ctx(cluster), { metadata: { name } }, namespace);
}

beforeAll(async () => {
  storage = SqliteStorage.open(":memory:", { progressIntervalMs: 0 });
  core = await startApiCore({
    storage,
    keyPrefix: DEFAULT_PREFIX,
    authenticator: new StaticTokenAuthenticator([]),
    authorizer: new AllowAllAuthorizer(),
  });
  await core.clusters.ensure("other");
  for (const [cluster, ns] of [
    ["admin", "a"],
    ["admin", "b"],
    ["other", "a"],
  ] as const) {
    await core.store.create(def("namespaces"), ctx(cluster), { metadata: { name: ns } }, undefined);
  }
});

afterAll(async () => {
  core.stop();
  await storage.close();
});

test("quota resource names: count/<resource>[.<group>] and kube's legacy object-count names", () => {
  expect(countedResource("count/configmaps")).toEqual({ group: "", resource: "configmaps" });
  expect(countedResource("count/widgets.example.com")).toEqual({ group: "example.com", resource: "widgets" });
  expect(countedResource("count/deployments.apps")).toEqual({ group: "apps", resource: "deployments" });
  expect(countedResource("configmaps")).toEqual({ group: "", resource: "configmaps" });
  expect(countedResource("secrets")).toEqual({ group: "", resource: "secrets" });
  expect(countedResource("resourcequotas")).toEqual({ group: "", resource: "resourcequotas" });
  for (const other of ["cpu", "requests.memory", "services.loadbalancers", "count/", "serviceaccounts", "__proto__"]) {
    expect(countedResource(other)).toBeUndefined();
  }
  // Names resolve to what is stored: events.k8s.io Events are core Events.
  const usage = core.quotaUsage;
  expect(usage.keyOf("count/events.events.k8s.io")).toBe(usage.keyOf("count/events"));
  expect(usage.keyOf("configmaps")).toBe(usage.keyOf("count/configmaps"));
  expect(usage.keyOf("cpu")).toBeUndefined();
});

test("counts per logical cluster and namespace follow creates and deletes, only while a quota names them", async () => {
  const usage = core.quotaUsage;
  const cm = def("configmaps");
  // Objects before any quota: counted from the first list.
  await createIn("admin", "a", "configmaps", "early");
  expect(usage.limits("admin", "a", cm)).toEqual([]);
  await core.store.create(
    def("resourcequotas"),
    ctx("admin"),
    { metadata: { name: "q" }, spec: { hard: { configmaps: "5", "count/configmaps": "4", cpu: "1" } } },
    "a",
  );
  await until("the quota in the cache", () => usage.limits("admin", "a", cm).length === 2);
  expect(usage.limits("admin", "a", cm).map((l) => [l.quota, l.resourceName, l.hard])).toEqual([
    ["q", "configmaps", "5"],
    ["q", "count/configmaps", "4"],
  ]);
  // No quota in namespace b, none in the other logical cluster's namespace a.
  expect(usage.limits("admin", "b", cm)).toEqual([]);
  expect(usage.limits("other", "a", cm)).toEqual([]);

  await usage.whenCounted(cm);
  expect(usage.used("admin", "a", cm)).toBe(1);
  await createIn("admin", "a", "configmaps", "second");
  await createIn("admin", "b", "configmaps", "elsewhere");
  await createIn("other", "a", "configmaps", "other-cluster");
  await until("the second configmap counted", () => usage.used("admin", "a", cm) === 2);
  expect(usage.used("admin", "b", cm)).toBe(1);
  expect(usage.used("other", "a", cm)).toBe(1);

  // An update changes nothing; a delete lowers the count.
  await core.store.update(cm, ctx("admin"), "a", "second", (cur: KObject) => ({ ...cur, data: { x: "y" } }));
  await core.store.delete(cm, ctx("admin"), "a", "early");
  await until("the delete counted", () => usage.used("admin", "a", cm) === 1);

  const quota = usage.quota("admin", "a", "q");
  expect(quota).toBeDefined();
  expect(usage.statusOf("admin", quota as KObject)).toEqual({
    hard: { configmaps: "5", "count/configmaps": "4", cpu: "1" },
    used: { configmaps: "1", "count/configmaps": "1", cpu: "0" },
  });
});

test("a reservation counts until its object is seen, and only once", async () => {
  const usage = core.quotaUsage;
  const cm = def("configmaps");
  await usage.whenCounted(cm);
  const before = usage.used("admin", "a", cm);
  usage.reserve("admin", "a", cm, "reserved");
  usage.reserve("admin", "a", cm, "reserved");
  expect(usage.used("admin", "a", cm)).toBe(before + 1);
  expect(usage.exists("admin", "a", cm, "reserved")).toBe(false);
  await createIn("admin", "a", "configmaps", "reserved");
  await until("the reserved object seen", () => usage.exists("admin", "a", cm, "reserved"));
  expect(usage.used("admin", "a", cm)).toBe(before + 1);
});

test("the quota controller's input: a quota change and a count change in its namespace are announced", async () => {
  const usage = core.quotaUsage;
  const heard: string[] = [];
  const stop = usage.onQuotaChange((cluster, namespace, quota) => heard.push(`${cluster}/${namespace}/${quota}`));
  try {
    await createIn("admin", "a", "configmaps", "announced");
    await until("the count change announced", () => heard.includes("admin/a/q"));
    heard.length = 0;
    // Not in b (no quota there), not for secrets (q does not name them).
    await createIn("admin", "b", "configmaps", "quiet");
    await createIn("admin", "a", "secrets", "quiet");
    await Bun.sleep(50);
    expect(heard).toEqual([]);
  } finally {
    stop();
  }
});

test("admission through the store: kube's message names every exceeded name; dry runs reserve nothing", async () => {
  const cm = def("configmaps");
  await core.store.create(def("namespaces"), ctx("admin"), { metadata: { name: "adm" } }, undefined);
  await core.store.create(
    def("resourcequotas"),
    ctx("admin"),
    { metadata: { name: "both" }, spec: { hard: { configmaps: "1", "count/configmaps": "1", secrets: "9" } } },
    "adm",
  );
  await until("the quota in the cache", () => core.quotaUsage.limits("admin", "adm", cm).length === 2);
  // A dry run passes and holds no slot.
  await core.store.create(cm, { ...ctx("admin"), dryRun: true }, { metadata: { name: "dry" } }, "adm");
  expect(core.quotaUsage.used("admin", "adm", cm)).toBe(0);
  await createIn("admin", "adm", "configmaps", "first");
  let refused: unknown;
  try {
    await core.store.create(cm, ctx("admin"), { metadata: { generateName: "gen-" } }, "adm");
  } catch (e) {
    refused = e;
  }
  expect(refused).toBeInstanceOf(StatusError);
  const err = refused as StatusError;
  expect(err.code).toBe(403);
  expect(err.reason).toBe("Forbidden");
  expect(err.message).toMatch(
    /^configmaps "gen-[a-z0-9]{5}" is forbidden: exceeded quota: both, requested: configmaps=1,count\/configmaps=1, used: configmaps=1,count\/configmaps=1, limited: configmaps=1,count\/configmaps=1$/,
  );
  // Secrets are under their own limit.
  await createIn("admin", "adm", "secrets", "fine");
});

test("a quota with scopes (which only pods match) neither limits nor counts other objects", async () => {
  const cm = def("configmaps");
  await core.store.create(def("namespaces"), ctx("admin"), { metadata: { name: "scoped" } }, undefined);
  await createIn("admin", "scoped", "configmaps", "one");
  await core.store.create(
    def("resourcequotas"),
    ctx("admin"),
    { metadata: { name: "s" }, spec: { hard: { "count/configmaps": "1", pods: "1" }, scopes: ["BestEffort"] } },
    "scoped",
  );
  await until("the quota in the cache", () => core.quotaUsage.quota("admin", "scoped", "s") !== undefined);
  expect(core.quotaUsage.limits("admin", "scoped", cm)).toEqual([]);
  await createIn("admin", "scoped", "configmaps", "two");
  expect(core.quotaUsage.statusOf("admin", core.quotaUsage.quota("admin", "scoped", "s") as KObject).used).toEqual({
    "count/configmaps": "0",
    pods: "0",
  });
});
