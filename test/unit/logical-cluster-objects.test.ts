// LogicalCluster objects without a server process: markers of the old layout are moved on start
// (creation time kept, a cluster named "cluster" included), the kind is served in admin alone, a
// terminating cluster refuses writes but not reads, and how `kcp workspace use` edits a kubeconfig.
import { describe, expect, test } from "bun:test";
import { startApiCore } from "../../src/app/api-core.ts";
import { AllowAllAuthorizer } from "../../src/auth/allow-all-authorizer.ts";
import { adminUser, StaticTokenAuthenticator } from "../../src/auth/token-authenticator.ts";
import {
  CURRENT_CONTEXT,
  currentWorkspace,
  PREVIOUS_CONTEXT,
  serverOfWorkspace,
  usePrevious,
  useWorkspace,
} from "../../src/cli/workspace-kubeconfig.ts";
import { DEFAULT_PREFIX } from "../../src/storage/keys.ts";
import { SqliteStorage } from "../../src/storage/sqlite/sqlite-storage.ts";
import { inMemoryApp, TEST_TOKEN } from "../helpers/in-memory-app.ts";

const OLD = `${DEFAULT_PREFIX}/tenancy.kcp.io/logicalclusters`;

describe("markers of the old layout", () => {
  test("become LogicalCluster objects in admin with their creation time; the old keys go", async () => {
    const storage = SqliteStorage.open(":memory:", { progressIntervalMs: 0 });
    const old = (name: string) => JSON.stringify({ name, creationTimestamp: "2026-01-02T03:04:05Z" });
    await storage.create(`${OLD}/admin/cluster`, old("admin"));
    await storage.create(`${OLD}/team-a/cluster`, old("team-a"));
    // Its new key is admin's old one.
    await storage.create(`${OLD}/cluster/cluster`, old("cluster"));
    const authenticator = new StaticTokenAuthenticator([{ token: TEST_TOKEN, user: adminUser() }]);
    const core = await startApiCore({
      storage,
      keyPrefix: DEFAULT_PREFIX,
      authenticator,
      authorizer: new AllowAllAuthorizer(),
    });
    try {
      expect((await core.clusters.list()).sort()).toEqual(["admin", "cluster", "team-a"]);
      const keys = (await storage.list({ prefix: `${OLD}/` })).items.map((kv) => kv.key).sort();
      expect(keys).toEqual([`${OLD}/admin/admin`, `${OLD}/admin/cluster`, `${OLD}/admin/team-a`]);
      const def = core.registry.lookup("admin", "tenancy.kcp.io", "v1alpha1", "logicalclusters");
      if (!def) throw new Error("logicalclusters is not served in admin");
      const teamA = await core.store.get(def, "admin", undefined, "team-a");
      expect(teamA).toMatchObject({
        apiVersion: "tenancy.kcp.io/v1alpha1",
        kind: "LogicalCluster",
        metadata: { name: "team-a", creationTimestamp: "2026-01-02T03:04:05Z" },
        status: { phase: "Ready" },
      });
      expect(core.clusters.isKnown("cluster")).toBe(true);
    } finally {
      core.stop();
      await storage.close();
    }
  });

  test("two servers starting at once on one store both move them, and keep every marker", async () => {
    const storage = SqliteStorage.open(":memory:", { progressIntervalMs: 0 });
    const old = (name: string) => JSON.stringify({ name, creationTimestamp: "2026-01-02T03:04:05Z" });
    await storage.create(`${OLD}/admin/cluster`, old("admin"));
    await storage.create(`${OLD}/team-a/cluster`, old("team-a"));
    await storage.create(`${OLD}/cluster/cluster`, old("cluster"));
    const authenticator = new StaticTokenAuthenticator([{ token: TEST_TOKEN, user: adminUser() }]);
    const start = () =>
      startApiCore({ storage, keyPrefix: DEFAULT_PREFIX, authenticator, authorizer: new AllowAllAuthorizer() });
    const results = await Promise.allSettled([start(), start()]);
    try {
      expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled"]);
      const keys = (await storage.list({ prefix: `${OLD}/` })).items.map((kv) => kv.key).sort();
      expect(keys).toEqual([`${OLD}/admin/admin`, `${OLD}/admin/cluster`, `${OLD}/admin/team-a`]);
      for (const kv of (await storage.list({ prefix: `${OLD}/` })).items)
        expect(JSON.parse(kv.value).kind).toBe("LogicalCluster");
    } finally {
      for (const r of results) if (r.status === "fulfilled") r.value.stop();
      await storage.close();
    }
  });
});

describe("following the markers", () => {
  test("a failed list after the watch was lost is tried again: a deletion is still noticed", async () => {
    const storage = SqliteStorage.open(":memory:", { progressIntervalMs: 0 });
    const markers = `${OLD}/admin/`;
    // The real store, but the marker watch can be broken and the next lists of markers made to fail.
    let failLists = 0;
    let breakWatch: ((err: Error) => void) | undefined;
    const flaky = Object.create(storage) as SqliteStorage;
    flaky.list = (opts) => {
      if (opts.prefix === markers && failLists > 0) {
        failLists--;
        return Promise.reject(new Error("etcd unavailable"));
      }
      return storage.list(opts);
    };
    flaky.watch = (opts) => {
      const w = storage.watch(opts);
      if (opts.prefix === markers)
        breakWatch = (err) => {
          w.stop();
          opts.onError(err);
        };
      return w;
    };
    const authenticator = new StaticTokenAuthenticator([{ token: TEST_TOKEN, user: adminUser() }]);
    const core = await startApiCore({
      storage: flaky,
      keyPrefix: DEFAULT_PREFIX,
      authenticator,
      authorizer: new AllowAllAuthorizer(),
    });
    try {
      await core.clusters.ensure("team-a");
      expect(core.clusters.isKnown("team-a")).toBe(true);
      failLists = 1;
      breakWatch?.(new Error("watch lost"));
      await storage.delete(core.clusters.markerKey("team-a"));
      const deadline = Date.now() + 10_000;
      while (core.clusters.isKnown("team-a") && Date.now() < deadline) await Bun.sleep(50);
      expect(failLists).toBe(0);
      expect(core.clusters.isKnown("team-a")).toBe(false);
    } finally {
      core.stop();
      await storage.close();
    }
  }, 15_000);
});

describe("the LogicalCluster API in one process", () => {
  test("a cluster first seen through a storage read (its marker watch behind) is refused writes when terminating", async () => {
    const env = await inMemoryApp();
    try {
      // As a replica whose marker watch has not delivered the cluster yet: it reads the marker.
      env.deps.clusters.stop();
      const marker = {
        apiVersion: "tenancy.kcp.io/v1alpha1",
        kind: "LogicalCluster",
        metadata: { name: "t2", uid: "u", deletionTimestamp: "2026-01-02T03:04:05Z", finalizers: ["x"] },
        status: { phase: "Terminating" },
      };
      await env.storage.create(env.deps.clusters.markerKey("t2"), JSON.stringify(marker));
      const res = await env.app.request("/clusters/t2/api/v1/namespaces", {
        method: "POST",
        headers: { Authorization: `Bearer ${TEST_TOKEN}`, "Content-Type": "application/json" },
        body: JSON.stringify({ metadata: { name: "late" } }),
      });
      expect(res.status).toBe(403);
      expect(env.deps.clusters.isTerminating("t2")).toBe(true);
    } finally {
      await env.close();
    }
  });

  test("served in admin only; a terminating cluster refuses writes with 403 and still reads", async () => {
    const env = await inMemoryApp();
    const req = (method: string, path: string, body?: unknown) =>
      env.app.request(path, {
        method,
        headers: { Authorization: `Bearer ${TEST_TOKEN}`, "Content-Type": "application/json" },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    try {
      expect(env.deps.registry.lookup("admin", "tenancy.kcp.io", "v1alpha1", "logicalclusters")).toBeDefined();
      expect(env.deps.registry.lookup("other", "tenancy.kcp.io", "v1alpha1", "logicalclusters")).toBeUndefined();
      expect(env.deps.registry.lookup("*", "tenancy.kcp.io", "v1alpha1", "logicalclusters")).toBeUndefined();
      const lc = "/apis/tenancy.kcp.io/v1alpha1/logicalclusters";
      expect((await req("POST", lc, { metadata: { name: "Not_A_Name" } })).status).toBe(422);
      expect((await req("POST", lc, { metadata: { name: "t1" } })).status).toBe(201);
      // Created as first use creates: the namespaces are there.
      expect((await req("GET", "/clusters/t1/api/v1/namespaces/kube-system")).status).toBe(200);
      const cm = { metadata: { name: "x" } };
      expect((await req("POST", "/clusters/t1/api/v1/namespaces/default/configmaps", cm)).status).toBe(201);
      // Nothing here removes the data (the controller runs with `kcp start`): it stays Terminating.
      const del = await req("DELETE", `${lc}/t1`);
      expect(del.status).toBe(200);
      for (let i = 0; i < 100 && !env.deps.clusters.isTerminating("t1"); i++) await Bun.sleep(10);
      const refused = await req("POST", "/clusters/t1/api/v1/namespaces/default/configmaps", {
        metadata: { name: "y" },
      });
      expect(refused.status).toBe(403);
      expect(await refused.json()).toMatchObject({
        reason: "Forbidden",
        details: { name: "t1", group: "tenancy.kcp.io", kind: "logicalclusters" },
      });
      // Reviews store nothing: `kubectl auth can-i` and whoami still work there.
      const review = await req("POST", "/clusters/t1/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", {
        apiVersion: "authorization.k8s.io/v1",
        kind: "SelfSubjectAccessReview",
        spec: { resourceAttributes: { verb: "get", resource: "configmaps", namespace: "default" } },
      });
      expect(review.status).toBe(201);
      expect(await review.json()).toMatchObject({ status: { allowed: true } });
      const whoami = await req("POST", "/clusters/t1/apis/authentication.k8s.io/v1/selfsubjectreviews", {
        apiVersion: "authentication.k8s.io/v1",
        kind: "SelfSubjectReview",
      });
      expect(whoami.status).toBe(201);
      // Only the deletion controller, once the data is gone, may let the object go.
      const unfinalize = await env.app.request(`${lc}/t1`, {
        method: "PATCH",
        headers: { Authorization: `Bearer ${TEST_TOKEN}`, "Content-Type": "application/merge-patch+json" },
        body: JSON.stringify({ metadata: { finalizers: null } }),
      });
      expect(unfinalize.status).toBe(422);
      expect(((await unfinalize.json()) as { details: { causes: { field: string }[] } }).details.causes).toEqual([
        expect.objectContaining({ field: "metadata.finalizers" }),
      ]);
      expect((await req("GET", "/clusters/t1/api/v1/namespaces/default/configmaps/x")).status).toBe(200);
      expect((await req("DELETE", "/clusters/t1/api/v1/namespaces/default/configmaps/x")).status).toBe(200);
      expect((await req("POST", lc, { metadata: { name: "t1" } })).status).toBe(409);
    } finally {
      await env.close();
    }
  });
});

describe("kcp workspace use: the kubeconfig", () => {
  const kubeconfig = () => ({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "kcp", cluster: { server: "https://h:6443", "certificate-authority-data": "Q0E=" } }],
    users: [{ name: "me", user: { token: "t" } }],
    contexts: [{ name: "mine", context: { cluster: "kcp", user: "me", namespace: "apps" } }],
    "current-context": "mine",
  });
  type Doc = ReturnType<typeof kubeconfig>;
  const serverOf = (doc: Doc, name: string) => doc.clusters.find((c) => c.name === name)?.cluster.server;

  test("server URLs: /clusters/<name>, none for admin", () => {
    expect(serverOfWorkspace("https://h:6443", "a")).toBe("https://h:6443/clusters/a");
    expect(serverOfWorkspace("https://h:6443/clusters/a", "b")).toBe("https://h:6443/clusters/b");
    expect(serverOfWorkspace("https://h:6443/clusters/a", "admin")).toBe("https://h:6443");
    expect(serverOfWorkspace("https://h/proxy/clusters/a/", "b")).toBe("https://h/proxy/clusters/b");
  });

  test("use writes current and previous, keeps the user's contexts; use - swaps them", () => {
    const doc = kubeconfig();
    expect(currentWorkspace(doc)).toBe("admin");
    expect(useWorkspace(doc, "team-a")).toBe("admin");
    expect(doc["current-context"]).toBe(CURRENT_CONTEXT);
    expect(currentWorkspace(doc)).toBe("team-a");
    expect(serverOf(doc, CURRENT_CONTEXT)).toBe("https://h:6443/clusters/team-a");
    expect(serverOf(doc, PREVIOUS_CONTEXT)).toBe("https://h:6443");
    expect(serverOf(doc, "kcp")).toBe("https://h:6443");
    const current = doc.contexts.find((c) => c.name === CURRENT_CONTEXT)?.context;
    expect(current).toEqual({ cluster: CURRENT_CONTEXT, user: "me", namespace: "apps" });
    const ca = doc.clusters.find((c) => c.name === CURRENT_CONTEXT)?.cluster["certificate-authority-data"];
    expect(ca).toBe("Q0E=");
    useWorkspace(doc, "team-b");
    expect(serverOf(doc, PREVIOUS_CONTEXT)).toBe("https://h:6443/clusters/team-a");
    expect(usePrevious(doc)).toBe("team-a");
    expect(currentWorkspace(doc)).toBe("team-a");
    expect(usePrevious(doc)).toBe("team-b");
    expect(doc.contexts.map((c) => c.name)).toEqual(["mine", PREVIOUS_CONTEXT, CURRENT_CONTEXT]);
  });

  test("use - without a previous workspace, or a kubeconfig without a current context, is an error", () => {
    expect(() => usePrevious(kubeconfig())).toThrow("there is no previous workspace");
    const doc: Record<string, unknown> = { ...kubeconfig(), "current-context": "" };
    expect(() => useWorkspace(doc, "a")).toThrow("the kubeconfig has no current-context");
  });
});
