// The client library (src/client/) against a real `kcp start` process, loaded from the admin
// kubeconfig kcp writes: dynamic CRUD, status, patches, deletes with preconditions, typed Status
// errors, watches, discovery, logical clusters, and the remote informer — including a relist after
// a real 410 (the server stopped, its SQLite history compacted while it was down, started again).

import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { builtinResources } from "../../src/apis/builtin/index.ts";
import { ResourceRegistry } from "../../src/apis/registry.ts";
import { ObjectStore } from "../../src/apis/store.ts";
import type { KObject, ResourceDef } from "../../src/apis/types.ts";
import { AllowAllAuthorizer } from "../../src/auth/allow-all-authorizer.ts";
import { adminUser, StaticTokenAuthenticator } from "../../src/auth/token-authenticator.ts";
import { DiscoveryClient } from "../../src/client/discovery-client.ts";
import { DynamicClient, type ResourceRef } from "../../src/client/dynamic-client.ts";
import { Informer, remoteSource } from "../../src/client/informer.ts";
import { inClusterClientConfig } from "../../src/client/in-cluster-config.ts";
import { loadClientConfig } from "../../src/client/kubeconfig-loader.ts";
import { runLeaderElection } from "../../src/client/leader-election.ts";
import { RestClient, type WatchEvent } from "../../src/client/rest-client.ts";
import { RESOURCES, typed } from "../../src/client/typed-client.ts";
import { isStatusError, type StatusError } from "../../src/machinery/status.ts";
import { requestContext } from "../../src/server/rest/request-context.ts";
import { DEFAULT_PREFIX } from "../../src/storage/keys.ts";
import { SqliteStorage } from "../../src/storage/sqlite/sqlite-storage.ts";
import { type KcpProcess, startKcp, useKcp } from "../helpers/kcp-process.ts";

let kcp: KcpProcess;
useKcp((k) => {
  kcp = k;
});

const CONFIGMAPS: ResourceRef = {
  group: "",
  version: "v1",
  resource: "configmaps",
  namespaced: true,
  kind: "ConfigMap",
};

async function client(): Promise<RestClient> {
  return new RestClient(await loadClientConfig({ kubeconfig: kcp.kubeconfig }));
}

async function statusErrorOf(p: Promise<unknown>): Promise<StatusError> {
  try {
    await p;
  } catch (e) {
    if (isStatusError(e)) return e;
    throw e;
  }
  throw new Error("expected a StatusError");
}

async function until<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(25);
  }
}

describe("dynamic client", () => {
  test("create, get, list, update, patches, delete with a uid precondition", async () => {
    const cms = new DynamicClient(await client()).resource(CONFIGMAPS);
    const created = await cms.create({ metadata: { name: "one", namespace: "default" }, data: { a: "1" } } as KObject);
    expect(created.metadata.uid).toBeString();
    expect(created.kind).toBe("ConfigMap");
    expect((await cms.get("one", "default")).data).toEqual({ a: "1" });
    const list = await cms.list({ namespace: "default" });
    expect(list.items.map((o) => o.metadata.name)).toContain("one");
    expect(list.metadata.resourceVersion).toBeString();

    const updated = await cms.update({ ...created, data: { a: "2" } });
    expect(updated.data).toEqual({ a: "2" });
    // An update from a stale resourceVersion is a Conflict.
    const stale = await statusErrorOf(cms.update({ ...created, data: { a: "3" } }));
    expect([stale.code, stale.reason]).toEqual([409, "Conflict"]);

    const merged = await cms.patch("one", { data: { b: "x" } }, "merge", { namespace: "default" });
    expect(merged.data).toEqual({ a: "2", b: "x" });
    const jsonPatched = await cms.patch("one", [{ op: "remove", path: "/data/a" }], "json", { namespace: "default" });
    expect(jsonPatched.data).toEqual({ b: "x" });
    const strategic = await cms.patch("one", { metadata: { labels: { l: "v" } } }, "strategic", {
      namespace: "default",
    });
    expect(strategic.metadata.labels).toEqual({ l: "v" });
    const applied = await cms.patch(
      "one",
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "one", namespace: "default" }, data: { c: "y" } },
      "apply",
      { namespace: "default", fieldManager: "client-test", force: true },
    );
    expect((applied.data as Record<string, string>).c).toBe("y");
    const managers = (applied.metadata.managedFields as { manager: string }[]).map((m) => m.manager);
    expect(managers).toContain("client-test");

    const wrongUid = await statusErrorOf(
      cms.delete("one", { namespace: "default", preconditions: { uid: "not-the-uid" } }),
    );
    expect([wrongUid.code, wrongUid.reason]).toEqual([409, "Conflict"]);
    expect(wrongUid.message).toContain("Precondition failed");
    await cms.delete("one", { namespace: "default", preconditions: { uid: created.metadata.uid as string } });

    const gone = await statusErrorOf(cms.get("one", "default"));
    expect([gone.code, gone.reason]).toEqual([404, "NotFound"]);
    expect(gone.details?.name).toBe("one");
    const deleteGone = await statusErrorOf(cms.delete("one", { namespace: "default" }));
    expect(deleteGone.code).toBe(404);
  });

  test("creating what exists is AlreadyExists; invalid objects are Invalid with causes", async () => {
    const cms = new DynamicClient(await client()).resource(CONFIGMAPS);
    await cms.create({ metadata: { name: "dup" }, data: {} } as KObject, { namespace: "default" });
    const dup = await statusErrorOf(cms.create({ metadata: { name: "dup" } } as KObject, { namespace: "default" }));
    expect([dup.code, dup.reason]).toEqual([409, "AlreadyExists"]);
    const bad = await statusErrorOf(
      cms.create({ metadata: { name: "Not_A_Name" } } as KObject, { namespace: "default" }),
    );
    expect([bad.code, bad.reason]).toEqual([422, "Invalid"]);
    expect(bad.details?.causes?.[0]?.field).toBe("metadata.name");
  });

  test("status subresource of a custom resource: updateStatus changes only status", async () => {
    const rest = await client();
    const crds = new DynamicClient(rest).resource({
      group: "apiextensions.k8s.io",
      version: "v1",
      resource: "customresourcedefinitions",
      namespaced: false,
      kind: "CustomResourceDefinition",
    });
    await crds.create({
      metadata: { name: "widgets.example.com" },
      spec: {
        group: "example.com",
        scope: "Namespaced",
        names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList", shortNames: ["wd"] },
        versions: [
          {
            name: "v1",
            served: true,
            storage: true,
            subresources: { status: {} },
            schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
          },
        ],
      },
    } as unknown as KObject);
    const discovery = new DiscoveryClient(rest);
    const info = await until("widgets in discovery", async () => {
      discovery.invalidate();
      return discovery.findResource("widgets.example.com");
    });
    expect(info).toMatchObject({ group: "example.com", version: "v1", kind: "Widget", namespaced: true });
    expect(info.subresources).toEqual(["status"]);
    expect((await discovery.findResource("wd"))?.resource).toBe("widgets");
    expect((await discovery.findResource("Widget"))?.resource).toBe("widgets");

    const widgets = new DynamicClient(rest).resource(info);
    const w = await widgets.create({
      apiVersion: "example.com/v1",
      kind: "Widget",
      metadata: { name: "w1", namespace: "default" },
      spec: { size: 1 },
    } as KObject);
    const withStatus = await widgets.updateStatus({ ...w, spec: { size: 99 }, status: { ready: true } } as KObject);
    expect(withStatus.status).toEqual({ ready: true });
    expect(withStatus.spec).toEqual({ size: 1 });
    const patched = await widgets.patch("w1", { status: { ready: false } }, "merge", {
      namespace: "default",
      subresource: "status",
    });
    expect(patched.status).toEqual({ ready: false });
  });

  test("watch: ADDED, MODIFIED, DELETED from a resourceVersion", async () => {
    const cms = new DynamicClient(await client()).resource(CONFIGMAPS);
    const from = (await cms.list({ namespace: "default" })).metadata.resourceVersion;
    const seen: WatchEvent[] = [];
    const abort = new AbortController();
    const reading = (async () => {
      for await (const ev of cms.rest.watch(
        "/api/v1/namespaces/default/configmaps",
        {
          resourceVersion: from,
          labelSelector: "watched=yes",
        },
        abort.signal,
      )) {
        seen.push(ev);
        if (ev.type === "DELETED") break;
      }
    })();
    const c = await cms.create({ metadata: { name: "w", labels: { watched: "yes" } } } as KObject, {
      namespace: "default",
    });
    await cms.patch("w", { data: { k: "v" } }, "merge", { namespace: "default" });
    await cms.delete("w", { namespace: "default" });
    await reading;
    abort.abort();
    expect(seen.map((e) => [e.type, e.object.metadata.name])).toEqual([
      ["ADDED", "w"],
      ["MODIFIED", "w"],
      ["DELETED", "w"],
    ]);
    expect(seen[0]?.object.metadata.uid).toBe(c.metadata.uid);
  });

  test("forCluster: objects of one logical cluster are not seen in another", async () => {
    const rest = await client();
    const teamA = new DynamicClient(rest.forCluster("team-a")).resource(CONFIGMAPS);
    expect(teamA.rest.config.server).toBe(`${kcp.url}/clusters/team-a`);
    expect(rest.forCluster("team-a").forCluster("team-b").config.server).toBe(`${kcp.url}/clusters/team-b`);
    await teamA.create({ metadata: { name: "only-in-a" } } as KObject, { namespace: "default" });
    expect((await teamA.get("only-in-a", "default")).metadata.name).toBe("only-in-a");
    const admin = new DynamicClient(rest).resource(CONFIGMAPS);
    expect((await statusErrorOf(admin.get("only-in-a", "default"))).code).toBe(404);
  });

  test("discovery: preferred versions, kinds, scopes, subresources folded in", async () => {
    const all = await new DiscoveryClient(await client()).serverPreferredResources();
    const ns = all.find((r) => r.resource === "namespaces" && r.group === "");
    expect(ns).toMatchObject({ version: "v1", kind: "Namespace", namespaced: false });
    expect(ns?.subresources).toContain("status");
    expect(all.some((r) => r.resource.includes("/"))).toBe(false);
    expect(all.find((r) => r.resource === "customresourcedefinitions")?.group).toBe("apiextensions.k8s.io");
  });

  test("a wrong token is a 401 StatusError; an unreachable server an Error naming it", async () => {
    const config = await loadClientConfig({ kubeconfig: kcp.kubeconfig });
    const denied = new DynamicClient(new RestClient({ ...config, token: "wrong" })).resource(CONFIGMAPS);
    expect((await statusErrorOf(denied.list({ namespace: "default" }))).code).toBe(401);
    const nowhere = new RestClient({ ...config, server: "https://127.0.0.1:1" });
    await expect(nowhere.request({ method: "GET", path: "/version" })).rejects.toThrow("https://127.0.0.1:1/version");
  });
});

describe("in-cluster configuration", () => {
  test("a pod's service account token, CA and namespace reach the server as that service account", async () => {
    const rest = await client();
    const dyn = new DynamicClient(rest);
    await dyn.resource(RESOURCES.serviceAccounts).create({ metadata: { name: "syncer" } } as KObject, {
      namespace: "default",
    });
    const request = await rest.request<{ status: { token: string } }>({
      method: "POST",
      path: "/api/v1/namespaces/default/serviceaccounts/syncer/token",
      body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: {} },
    });
    // The directory the kubelet mounts, with what it would hold.
    const dir = join(kcp.rootDir, "serviceaccount");
    await Bun.write(join(dir, "token"), request.status.token);
    await Bun.write(join(dir, "ca.crt"), await Bun.file(join(kcp.rootDir, "data", "ca.crt")).text());
    await Bun.write(join(dir, "namespace"), "default\n");
    const env = { KUBERNETES_SERVICE_HOST: "127.0.0.1", KUBERNETES_SERVICE_PORT: String(kcp.port) };
    const config = await inClusterClientConfig({ env, serviceAccountDir: dir });
    expect(config).toMatchObject({ server: kcp.url, namespace: "default", tokenFile: join(dir, "token") });
    const review = await new RestClient(config).request<{ status: { userInfo: { username: string } } }>({
      method: "POST",
      path: "/apis/authentication.k8s.io/v1/selfsubjectreviews",
      body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" },
    });
    expect(review.status.userInfo.username).toBe("system:serviceaccount:default:syncer");
    // With no kubeconfig anywhere, the loader falls back to the pod's service account directory.
    await expect(loadClientConfig({ env: { ...env, HOME: join(kcp.rootDir, "no-home") } })).rejects.toThrow(
      "in-cluster configuration: cannot read /var/run/secrets/kubernetes.io/serviceaccount/token: ENOENT",
    );
  });
});

describe("typed requests", () => {
  test("a typed client over the dynamic one; plain-text answers come back as text", async () => {
    interface ConfigMap extends KObject {
      data?: Record<string, string>;
    }
    const rest = await client();
    const cms = typed<ConfigMap>(new DynamicClient(rest).resource(RESOURCES.configMaps));
    const made = await cms.create({ metadata: { name: "typed" }, data: { k: "v" } } as ConfigMap, {
      namespace: "default",
    });
    const data: Record<string, string> | undefined = (await cms.get("typed", "default")).data;
    expect(data).toEqual({ k: "v" });
    expect(made.kind).toBe("ConfigMap");
    expect(await rest.request({ method: "GET", path: "/readyz" })).toBe("ok");
  });
});

describe("remote informer", () => {
  test("add, update, delete, an index; after a forced 410 it relists and diffs", async () => {
    const rest = await client();
    const cms = new DynamicClient(rest).resource(CONFIGMAPS);
    const ns = "informed";
    await new DynamicClient(rest)
      .resource({ group: "", version: "v1", resource: "namespaces", namespaced: false })
      .create({ metadata: { name: ns } } as KObject);
    for (const name of ["keep", "gone"]) {
      await cms.create({ metadata: { name, labels: { team: "x" } } } as KObject, { namespace: ns });
    }
    const calls: string[] = [];
    const informer = new Informer({
      name: "test remote informer",
      source: remoteSource(cms, { namespace: ns, pageSize: 1 }),
      onAdd: (o, cluster) => calls.push(`add ${o.metadata.name} ${JSON.stringify(cluster)}`),
      onUpdate: (a, b) =>
        calls.push(
          `update ${b.metadata.name} ${a === b ? "same" : a.metadata.resourceVersion === b.metadata.resourceVersion ? "relisted" : "changed"}`,
        ),
      onDelete: (o) => calls.push(`delete ${o.metadata.name}`),
    });
    informer.addIndex("team", (o) => (o.metadata.labels?.team ? [o.metadata.labels.team] : []));
    try {
      await informer.start();
      expect(informer.hasSynced()).toBe(true);
      expect(calls.sort()).toEqual(['add gone ""', 'add keep ""']);
      expect(informer.get(ns, "keep")?.metadata.name).toBe("keep");
      expect(
        informer
          .byIndex("team", "x")
          .map((o) => o.metadata.name)
          .sort(),
      ).toEqual(["gone", "keep"]);
      calls.length = 0;

      await cms.create({ metadata: { name: "new", labels: { team: "y" } } } as KObject, { namespace: ns });
      await cms.patch("keep", { metadata: { labels: { team: "y" } } }, "merge", { namespace: ns });
      await cms.delete("new", { namespace: ns });
      await until("three events", () => (calls.length >= 3 ? true : undefined));
      expect(calls).toEqual(['add new ""', "update keep changed", "delete new"]);
      expect(informer.byIndex("team", "y").map((o) => o.metadata.name)).toEqual(["keep"]);
      expect(informer.byIndex("team", "x").map((o) => o.metadata.name)).toEqual(["gone"]);
      calls.length = 0;

      // The server goes away; while it is down its history changes and is compacted, so the
      // informer's resourceVersion is gone when it comes back: its watch gets 410 and it relists.
      const { rootDir, port } = kcp;
      expect(await kcp.stop()).toBe(0);
      await offline(rootDir, async (store, def, ctx) => {
        await store.delete(def, ctx, ns, "gone");
        await store.create(def, ctx, { metadata: { name: "born" } } as KObject, ns);
      });
      kcp = await startKcp({ rootDir, args: ["--listen", `127.0.0.1:${port}`] });
      await until("the relist", () => (calls.length >= 3 ? true : undefined), 30_000);
      expect(calls.sort()).toEqual(['add born ""', "delete gone", "update keep relisted"]);
      expect(
        informer
          .list()
          .map((o) => o.metadata.name)
          .sort(),
      ).toEqual(["born", "keep"]);
      expect(informer.byIndex("team", "x")).toEqual([]);
      expect(kcp.output()).not.toContain("panic");
      // It watches again after the relist.
      calls.length = 0;
      await cms.patch("born", { data: { v: "1" } }, "merge", { namespace: ns });
      await until("the update after the relist", () => (calls.length >= 1 ? true : undefined));
      expect(calls).toEqual(["update born changed"]);
    } finally {
      informer.stop();
    }
  }, 60_000);
});

/** Changes a stopped server's SQLite store directly, then compacts its whole history. */
async function offline(
  rootDir: string,
  change: (store: ObjectStore, def: ResourceDef, ctx: ReturnType<typeof requestContext>) => Promise<void>,
): Promise<void> {
  const storage = SqliteStorage.open(join(rootDir, "data", "kcp.db"));
  try {
    const authenticator = new StaticTokenAuthenticator([{ token: "t".repeat(43), user: adminUser() }]);
    const registry = new ResourceRegistry(builtinResources({ authenticator, authorizer: new AllowAllAuthorizer() }));
    const def = registry.lookup("admin", "", "v1", "configmaps") as ResourceDef;
    const store = new ObjectStore(storage, DEFAULT_PREFIX);
    await change(store, def, requestContext("admin", adminUser(), new URLSearchParams(), "informed"));
    await storage.compact(await storage.currentRevision());
  } finally {
    await storage.close();
  }
}

describe("leader election", () => {
  const LEASES: ResourceRef = { group: "coordination.k8s.io", version: "v1", resource: "leases", namespaced: true };
  const timing = { leaseDurationMs: 2000, renewDeadlineMs: 1500, retryPeriodMs: 100 };

  test("of two electors one leads; the other takes over when it stops", async () => {
    const leases = new DynamicClient(await client()).resource(LEASES);
    const events: string[] = [];
    const signals = new Map<string, AbortSignal>();
    const elector = (identity: string) =>
      runLeaderElection({
        client: leases,
        namespace: "default",
        name: "test-election",
        identity,
        ...timing,
        onStartedLeading: (signal) => {
          events.push(`start ${identity}`);
          signals.set(identity, signal);
        },
        onStoppedLeading: () => events.push(`stop ${identity}`),
      });
    const a = elector("a");
    const b = elector("b");
    try {
      const first = await until("a leader", () => (a.isLeader() ? "a" : b.isLeader() ? "b" : undefined));
      const [leader, other] = first === "a" ? [a, b] : [b, a];
      const otherName = first === "a" ? "b" : "a";
      // Several renew periods later still exactly one leads, the same one.
      const lease = await leases.get("test-election", "default");
      expect((lease as { spec?: { holderIdentity?: string } }).spec?.holderIdentity).toBe(first);
      await until("renewals", async () => {
        const again = await leases.get("test-election", "default");
        return again.metadata.resourceVersion !== lease.metadata.resourceVersion ? true : undefined;
      });
      expect([a.isLeader(), b.isLeader()].filter(Boolean)).toHaveLength(1);
      expect(events).toEqual([`start ${first}`]);

      await leader.stop();
      expect(signals.get(first)?.aborted).toBe(true);
      await until("the other to lead", () => (other.isLeader() ? true : undefined));
      expect(events).toEqual([`start ${first}`, `stop ${first}`, `start ${otherName}`]);
      const taken = (await leases.get("test-election", "default")) as { spec?: Record<string, unknown> };
      expect(taken.spec?.holderIdentity).toBe(otherName);
      expect(taken.spec?.leaseTransitions).toBe(1);
    } finally {
      await a.stop();
      await b.stop();
    }
    // The last leader released the lease on stop.
    const released = (await leases.get("test-election", "default")) as { spec?: Record<string, unknown> };
    expect(released.spec?.holderIdentity).toBe("");
  });

  test("a lease its holder stopped renewing is taken after its duration", async () => {
    const leases = new DynamicClient(await client()).resource(LEASES);
    const now = new Date().toISOString().replace("Z", "000Z");
    await leases.create(
      {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: { name: "abandoned" },
        spec: {
          holderIdentity: "ghost",
          leaseDurationSeconds: 1,
          renewTime: now,
          acquireTime: now,
          leaseTransitions: 4,
        },
      } as unknown as KObject,
      { namespace: "default" },
    );
    const leaders: string[] = [];
    const c = runLeaderElection({
      client: leases,
      namespace: "default",
      name: "abandoned",
      identity: "c",
      ...timing,
      onNewLeader: (id) => leaders.push(id),
      onStartedLeading: () => {},
    });
    try {
      await until("c to take the lease", () => (c.isLeader() ? true : undefined));
      expect(leaders).toEqual(["ghost", "c"]);
      const taken = (await leases.get("abandoned", "default")) as { spec?: Record<string, unknown> };
      expect(taken.spec?.leaseTransitions).toBe(5);
    } finally {
      await c.stop();
    }
  });
});
