// Logical clusters as objects (tenancy.kcp.io/v1alpha1 LogicalCluster, served in admin), on both
// storage backends: the list shows every cluster with its object counts and bytes; deleting one
// refuses writes while it terminates, removes all of its data (watchers see each object go) and
// leaves other clusters alone; the name can then be created again and starts empty. On SQLite also:
// who may list them (system:masters, or whoever RBAC in admin allows), and admin is undeletable.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type EtcdCluster, etcdMissingReason, startEtcd } from "../helpers/etcd-process.ts";
import { call, configMap, etcdArgs, until } from "../helpers/etcd-kcp.ts";
import { api, type KcpProcess, kubectl, removeDir, startKcp, tempDir } from "../helpers/kcp-process.ts";
import { WatchStream } from "../helpers/watch-stream.ts";

const LC = "/apis/tenancy.kcp.io/v1alpha1/logicalclusters";
const TOKENS = "carol-token,carol,carol-uid\n";
const WIDGETS_CRD = {
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
        schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
      },
    ],
  },
};

/** Clusters seen through the cross-cluster view of `path`, by the kcp.io/cluster annotation. */
async function clustersIn(kcp: KcpProcess, path: string): Promise<string[]> {
  const r = await call(kcp, "GET", `/clusters/*${path}`);
  expect(r.status).toBe(200);
  return (r.body.items as { metadata: { annotations?: Record<string, string> } }[]).map(
    (i) => i.metadata.annotations?.["kcp.io/cluster"] ?? "",
  );
}

function lifecycle(backend: string, start: () => Promise<KcpProcess>, stop: () => Promise<void>, more?: () => void) {
  describe(`logical clusters on ${backend}`, () => {
    let kcp: KcpProcess;
    beforeAll(async () => {
      kcp = await start();
    }, 60_000);
    afterAll(stop);

    test("list shows each cluster with its creation time, object counts and bytes", async () => {
      for (let i = 0; i < 20; i++) {
        expect(
          (
            await call(
              kcp,
              "POST",
              "/clusters/doomed/api/v1/namespaces/default/configmaps",
              configMap(`c${i}`, { i: `${i}` }),
            )
          ).status,
        ).toBe(201);
      }
      expect(
        (await call(kcp, "POST", "/clusters/kept/api/v1/namespaces/default/configmaps", configMap("stays"))).status,
      ).toBe(201);
      // A CRD of the doomed cluster and one of its objects: the CRD registry must forget it too.
      expect(
        (
          await call(
            kcp,
            "POST",
            "/clusters/doomed/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
            WIDGETS_CRD,
          )
        ).status,
      ).toBe(201);
      const widget = { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" } };
      await until("the widgets resource served in doomed", async () => {
        const r = await call(kcp, "POST", "/clusters/doomed/apis/example.com/v1/namespaces/default/widgets", widget);
        return r.status === 201 ? true : undefined;
      });
      const doomed = await until("doomed's counts", async () => {
        const r = await call(kcp, "GET", `${LC}/doomed`);
        return r.body.status?.resources?.configmaps === 20 && r.body.status?.resources?.["widgets.example.com"] === 1
          ? r.body
          : undefined;
      });
      expect(doomed.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(doomed.status.phase).toBe("Ready");
      // 20 configmaps, 4 namespaces with their default service accounts, the CRD, the widget.
      expect(doomed.status.resources).toEqual({
        configmaps: 20,
        namespaces: 4,
        serviceaccounts: 4,
        "customresourcedefinitions.apiextensions.k8s.io": 1,
        "widgets.example.com": 1,
      });
      expect(doomed.status.objects).toBe(30);
      expect(doomed.status.storageBytes).toBeGreaterThan(20 * 100);
      expect(Date.parse(doomed.status.observedTime)).toBeGreaterThan(0);
      const list = await call(kcp, "GET", LC);
      expect(list.status).toBe(200);
      expect(list.body.kind).toBe("LogicalClusterList");
      const names = (list.body.items as { metadata: { name: string } }[]).map((i) => i.metadata.name);
      expect(names).toEqual(expect.arrayContaining(["admin", "doomed", "kept"]));
      // Served in admin alone.
      expect((await call(kcp, "GET", `/clusters/kept${LC}`)).status).toBe(404);
      const table = await kubectl(kcp, ["get", "logicalclusters"]);
      expect(table.stdout).toMatch(/^NAME\s+PHASE\s+OBJECTS\s+BYTES\s+AGE\n/);
      expect(table.stdout).toMatch(/\ndoomed\s+Ready\s+30\s+\d+\s+\S+\n/);
    });

    test("delete: writes refused while terminating, all data gone, watchers see it, others untouched", async () => {
      const watch = new WatchStream(
        await api(kcp, "/clusters/doomed/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=0"),
      );
      expect((await watch.take(20)).every((e) => e.type === "ADDED")).toBe(true);
      const del = await call(kcp, "DELETE", `${LC}/doomed`);
      expect(del.status).toBe(200);
      expect(del.body.metadata.deletionTimestamp).toBeString();
      expect(del.body.metadata.finalizers).toEqual(["tenancy.kcp.io/logical-cluster"]);
      expect(del.body.status.phase).toBe("Terminating");
      // Every replica learns of the deletion through its watch: poll for the refusal.
      const refused = await until("writes refused", async () => {
        const r = await call(kcp, "POST", "/clusters/doomed/api/v1/namespaces/default/configmaps", configMap("late"));
        return r.status === 403 ? r.body : undefined;
      });
      expect(refused.reason).toBe("Forbidden");
      expect(refused.message).toBe(
        "unable to create or change content in logical cluster doomed because it is being terminated",
      );
      // Reads still work while it terminates... until the data is gone; the object goes last.
      await until(
        "doomed gone",
        async () => ((await call(kcp, "GET", `${LC}/doomed`)).status === 404 ? true : undefined),
        30_000,
      );
      const seen = await watch.drain(300);
      const deleted = new Set(seen.filter((e) => e.type === "DELETED").map((e) => e.object.metadata.name));
      for (let i = 0; i < 20; i++) expect(deleted.has(`c${i}`)).toBe(true);
      watch.close();
      for (const path of [
        "/api/v1/configmaps",
        "/api/v1/namespaces",
        "/api/v1/serviceaccounts",
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
      ]) {
        const clusters = await clustersIn(kcp, path);
        expect({ path, doomed: clusters.includes("doomed") }).toEqual({ path, doomed: false });
        if (!path.includes("customresource")) expect(clusters).toContain("kept");
      }
      const kept = await call(kcp, "GET", "/clusters/kept/api/v1/namespaces/default/configmaps/stays");
      expect(kept.status).toBe(200);
    });

    test("the name is free again: a new cluster of that name starts empty", async () => {
      const created = await call(kcp, "POST", LC, {
        apiVersion: "tenancy.kcp.io/v1alpha1",
        kind: "LogicalCluster",
        metadata: { name: "doomed" },
      });
      expect(created.status).toBe(201);
      expect(created.body.status.phase).toBe("Ready");
      const cms = await call(kcp, "GET", "/clusters/doomed/api/v1/namespaces/default/configmaps");
      expect(cms.status).toBe(200);
      expect(cms.body.items).toEqual([]);
      const ns = await call(kcp, "GET", "/clusters/doomed/api/v1/namespaces");
      expect((ns.body.items as { metadata: { name: string } }[]).map((n) => n.metadata.name)).toEqual([
        "default",
        "kube-node-lease",
        "kube-public",
        "kube-system",
      ]);
      // The old cluster's CRD went with it: its resource is not served in the new one.
      expect((await call(kcp, "GET", "/clusters/doomed/apis/example.com/v1/widgets")).status).toBe(404);
      const again = await call(kcp, "POST", LC, {
        apiVersion: "tenancy.kcp.io/v1alpha1",
        kind: "LogicalCluster",
        metadata: { name: "doomed" },
      });
      expect(again.status).toBe(409);
      expect(again.body.reason).toBe("AlreadyExists");
    });
    more?.();
  });
}

// SQLite, with a token-file user who is not in system:masters.
let sqlite: KcpProcess | undefined;
lifecycle(
  "SQLite",
  async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "tokens.csv"), TOKENS);
    sqlite = await startKcp({
      rootDir: dir,
      args: ["--token-auth-file", "tokens.csv"],
      env: { KCP_LOGICAL_CLUSTER_REFRESH_MS: "300" },
    });
    return sqlite;
  },
  async () => {
    if (!sqlite) return;
    await sqlite.stop();
    removeDir(sqlite.rootDir);
  },
  () => whoMay(),
);

/** Who may see and delete logical clusters (on SQLite's server). */
function whoMay() {
  const asCarol = (method: string, path: string, body?: unknown) =>
    api(sqlite as KcpProcess, path, {
      method,
      token: "carol-token",
      ...(body ? { body: JSON.stringify(body), headers: { "Content-Type": "application/json" } } : {}),
    });

  test("admin and system- clusters cannot be deleted", async () => {
    const kcp = sqlite as KcpProcess;
    const r = await call(kcp, "DELETE", `${LC}/admin`);
    expect(r.status).toBe(403);
    expect(r.body.message).toBe(
      'logicalclusters.tenancy.kcp.io "admin" is forbidden: this logical cluster may not be deleted',
    );
    expect((await call(kcp, "GET", `${LC}/admin`)).body.metadata.deletionTimestamp).toBeUndefined();
  });

  test("a user outside system:masters may not list them until RBAC in admin allows it", async () => {
    const kcp = sqlite as KcpProcess;
    const denied = await asCarol("GET", LC);
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { message: string }).message).toBe(
      'logicalclusters.tenancy.kcp.io is forbidden: User "carol" cannot list resource "logicalclusters" in API group "tenancy.kcp.io" at the cluster scope',
    );
    const role = {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "logicalcluster-viewer" },
      rules: [{ apiGroups: ["tenancy.kcp.io"], resources: ["logicalclusters"], verbs: ["get", "list", "watch"] }],
    };
    const binding = {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "carol-views-clusters" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "logicalcluster-viewer" },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "carol" }],
    };
    expect((await call(kcp, "POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles", role)).status).toBe(201);
    expect((await call(kcp, "POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", binding)).status).toBe(
      201,
    );
    const allowed = await until("carol may list", async () => {
      const r = await asCarol("GET", LC);
      return r.status === 200 ? ((await r.json()) as { items: unknown[] }) : undefined;
    });
    expect(allowed.items.length).toBeGreaterThan(0);
    // Listing is not deleting.
    const del = await asCarol("DELETE", `${LC}/kept`);
    expect(del.status).toBe(403);
  });
}

const missing = etcdMissingReason();
if (missing) {
  test("etcd is installed", () => {
    throw new Error(missing);
  });
} else {
  let etcd: EtcdCluster | undefined;
  let onEtcd: KcpProcess | undefined;
  lifecycle(
    "etcd",
    async () => {
      etcd = await startEtcd();
      onEtcd = await startKcp({ args: etcdArgs(etcd), env: { KCP_LOGICAL_CLUSTER_REFRESH_MS: "300" } });
      return onEtcd;
    },
    async () => {
      if (onEtcd) {
        await onEtcd.stop();
        removeDir(onEtcd.rootDir);
      }
      await etcd?.stop();
    },
  );
}
