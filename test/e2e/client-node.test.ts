// @kubernetes/client-node against a real server: the generated kubeconfig, CoreV1Api CRUD with a
// merge patch, and a Watch that sees ADDED, MODIFIED and DELETED.
import { describe, expect, test } from "bun:test";
import * as k8s from "@kubernetes/client-node";
import { type KcpProcess, useKcp } from "../helpers/kcp-process.ts";

let kcp: KcpProcess;
let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
const NS = "client-node";

useKcp((k) => (kcp = k), {
  setup: async () => {
    kc = new k8s.KubeConfig();
    kc.loadFromFile(kcp.kubeconfig);
    core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: NS } } });
  },
});

interface Seen {
  type: string;
  name: string;
  data?: Record<string, string>;
}

describe("@kubernetes/client-node", () => {
  test("the generated kubeconfig: current context admin, server with the CA", () => {
    expect(kc.getCurrentContext()).toBe("admin");
    expect(kc.getCurrentCluster()?.server).toBe(kcp.url);
    expect(kc.getCurrentCluster()?.caData).toBeTruthy();
    expect(kc.getCurrentUser()?.token).toBe(kcp.token);
  });

  test("CoreV1Api create, read, list, patch (merge) and delete a configmap, seen by a Watch", async () => {
    const start = await core.listNamespacedConfigMap({ namespace: NS });
    const seen: Seen[] = [];
    let ended: unknown = "not yet";
    const watch = new k8s.Watch(kc);
    const controller = await watch.watch(
      `/api/v1/namespaces/${NS}/configmaps`,
      { resourceVersion: start.metadata?.resourceVersion },
      (type, obj: k8s.V1ConfigMap) => seen.push({ type, name: obj.metadata?.name ?? "", data: obj.data }),
      (err) => {
        ended = err;
      },
    );
    try {
      const created = await core.createNamespacedConfigMap({
        namespace: NS,
        body: { metadata: { name: "from-node", labels: { via: "client-node" } }, data: { a: "1" } },
      });
      expect(created.metadata?.uid).toBeTruthy();
      expect(created.metadata?.resourceVersion).toBeTruthy();

      const read = await core.readNamespacedConfigMap({ name: "from-node", namespace: NS });
      expect(read.data).toEqual({ a: "1" });
      expect(read.metadata?.uid).toBe(created.metadata?.uid);

      const list = await core.listNamespacedConfigMap({ namespace: NS, labelSelector: "via=client-node" });
      expect(list.items.map((i) => i.metadata?.name)).toEqual(["from-node"]);
      const all = await core.listConfigMapForAllNamespaces();
      expect(all.items.some((i) => i.metadata?.namespace === NS && i.metadata?.name === "from-node")).toBe(true);

      const patched = await core.patchNamespacedConfigMap(
        { name: "from-node", namespace: NS, body: { data: { b: "2", a: null } } },
        k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
      );
      expect(patched.data).toEqual({ b: "2" });
      expect(Number(patched.metadata?.resourceVersion)).toBeGreaterThan(Number(created.metadata?.resourceVersion));

      await core.deleteNamespacedConfigMap({ name: "from-node", namespace: NS });
      const gone = await core.readNamespacedConfigMap({ name: "from-node", namespace: NS }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(gone).toBeInstanceOf(k8s.ApiException);
      const apiErr = gone as k8s.ApiException<string>;
      expect(apiErr.code).toBe(404);
      expect(JSON.parse(apiErr.body).reason).toBe("NotFound");

      const deadline = Date.now() + 10_000;
      while (seen.length < 3 && Date.now() < deadline) await Bun.sleep(20);
      expect(seen).toEqual([
        { type: "ADDED", name: "from-node", data: { a: "1" } },
        { type: "MODIFIED", name: "from-node", data: { b: "2" } },
        { type: "DELETED", name: "from-node", data: { b: "2" } },
      ]);
      expect(ended).toBe("not yet");
    } finally {
      controller.abort();
    }
  });

  test("a duplicate create surfaces the server's 409 Status", async () => {
    await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: "twice" } } });
    const err = await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: "twice" } } }).then(
      () => null,
      (e: unknown) => e as k8s.ApiException<string>,
    );
    expect(err?.code).toBe(409);
    const status = JSON.parse(err?.body ?? "{}");
    expect(status.reason).toBe("AlreadyExists");
    expect(status.message).toBe('configmaps "twice" already exists');
  });
});
