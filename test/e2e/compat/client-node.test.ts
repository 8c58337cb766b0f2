// @kubernetes/client-node 1.4 beyond test/e2e/client-node.test.ts (which has CoreV1Api CRUD and a
// Watch): a CRD through ApiextensionsV1Api, the generic KubernetesObjectApi (its own legacy discovery
// per kind) with server-side apply, CustomObjectsApi's status and scale subresources, and an
// informer (makeInformer: list, then watch) that sees add/update/delete and relists after a 410.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { SqliteStorage } from "../../../src/storage/sqlite/sqlite-storage.ts";
import { type KcpProcess, startKcp, useKcp } from "../../helpers/kcp-process.ts";

type Obj = Record<string, any>;

const NS = "client-node";
const GROUP = "compat.example.com";

let kcp: KcpProcess;
let kc: k8s.KubeConfig;

function connect(): void {
  kc = new k8s.KubeConfig();
  kc.loadFromFile(kcp.kubeconfig);
}

useKcp((k) => (kcp = k), {
  setup: async () => {
    connect();
    await kc.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name: NS } } });
  },
});

/** Poll until `check` is true; fail with `describe()` after the deadline. */
async function until(
  check: () => boolean | Promise<boolean>,
  describe: () => unknown,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met; state: ${JSON.stringify(describe())}`);
    await Bun.sleep(20);
  }
}

const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => e as k8s.ApiException<string>,
  );

describe("@kubernetes/client-node: CRDs, KubernetesObjectApi, custom objects", () => {
  test("ApiextensionsV1Api creates a CRD that becomes Established", async () => {
    const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
    await ext.createCustomResourceDefinition({
      body: {
        metadata: { name: `widgets.${GROUP}` },
        spec: {
          group: GROUP,
          scope: "Namespaced",
          names: { plural: "widgets", singular: "widget", kind: "Widget" },
          versions: [
            {
              name: "v1",
              served: true,
              storage: true,
              subresources: {
                status: {},
                scale: { specReplicasPath: ".spec.replicas", statusReplicasPath: ".status.replicas" },
              },
              schema: {
                openAPIV3Schema: {
                  type: "object",
                  properties: {
                    spec: { type: "object", properties: { replicas: { type: "integer" }, color: { type: "string" } } },
                    status: {
                      type: "object",
                      properties: { replicas: { type: "integer" }, phase: { type: "string" } },
                    },
                  },
                },
              },
            },
          ],
        },
      },
    });
    let conditions: k8s.V1CustomResourceDefinitionCondition[] = [];
    await until(
      async () => {
        const crd = await ext.readCustomResourceDefinition({ name: `widgets.${GROUP}` });
        conditions = crd.status?.conditions ?? [];
        return conditions.some((c) => c.type === "Established" && c.status === "True");
      },
      () => conditions,
    );
    expect(conditions.find((c) => c.type === "NamesAccepted")?.status).toBe("True");
  });

  test("KubernetesObjectApi: server-side apply creates and updates, then read, list, replace, delete", async () => {
    const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    const spec = {
      apiVersion: `${GROUP}/v1`,
      kind: "Widget",
      metadata: { name: "node-widget", namespace: NS },
      spec: { replicas: 1, color: "red" },
    };
    const created = (await objects.patch(
      spec,
      undefined,
      undefined,
      "node-test",
      true,
      k8s.PatchStrategy.ServerSideApply,
    )) as Obj;
    expect(created.metadata.uid).toBeTruthy();
    expect(created.metadata.managedFields.map((m: Obj) => `${m.manager}/${m.operation}`)).toEqual(["node-test/Apply"]);
    const applied = (await objects.patch(
      { ...spec, spec: { replicas: 1, color: "blue" } },
      undefined,
      undefined,
      "node-test",
      true,
      k8s.PatchStrategy.ServerSideApply,
    )) as Obj;
    expect(applied.spec).toEqual({ replicas: 1, color: "blue" });
    expect(applied.metadata.generation).toBe(2);

    const read = (await objects.read({
      apiVersion: `${GROUP}/v1`,
      kind: "Widget",
      metadata: { name: "node-widget", namespace: NS },
    })) as Obj;
    expect(read.spec.color).toBe("blue");
    const list = await objects.list(`${GROUP}/v1`, "Widget", NS);
    expect(list.items.map((i) => i.metadata?.name)).toEqual(["node-widget"]);

    // A ConfigMap the same way: the generic client finds configmaps through /api/v1.
    const cm = (await objects.create({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "node-cm", namespace: NS },
      data: { a: "1" },
    } as Obj)) as Obj;
    const replaced = (await objects.replace({ ...cm, data: { a: "2" } } as k8s.V1ConfigMap)) as Obj;
    expect(replaced.data).toEqual({ a: "2" });
    // The stale resourceVersion of `cm` makes a second replace a conflict.
    const stale = await errorOf(objects.replace({ ...cm, data: { a: "3" } } as k8s.V1ConfigMap));
    expect(stale?.code).toBe(409);
    expect(JSON.parse(stale?.body ?? "{}").reason).toBe("Conflict");

    const status = await objects.delete({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "node-cm", namespace: NS },
    });
    expect(status.status).toBe("Success");
    const gone = await errorOf(
      objects.read({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "node-cm", namespace: NS } }),
    );
    expect(gone?.code).toBe(404);
  });

  test("CustomObjectsApi: status and scale subresources", async () => {
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const where = { group: GROUP, version: "v1", namespace: NS, plural: "widgets", name: "node-widget" };
    const withStatus = (await custom.patchNamespacedCustomObjectStatus(
      { ...where, body: { status: { replicas: 1, phase: "Ready" }, spec: { color: "ignored" } } },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
    )) as Obj;
    // /status takes status only.
    expect(withStatus.status).toEqual({ replicas: 1, phase: "Ready" });
    expect(withStatus.spec.color).toBe("blue");

    const scale = (await custom.getNamespacedCustomObjectScale(where)) as Obj;
    expect(scale.kind).toBe("Scale");
    expect(scale.apiVersion).toBe("autoscaling/v1");
    expect(scale.spec).toEqual({ replicas: 1 });
    expect(scale.status.replicas).toBe(1);
    // The generated client's default patch type for custom objects is a JSON patch.
    const scaled = (await custom.patchNamespacedCustomObjectScale({
      ...where,
      body: [{ op: "replace", path: "/spec/replicas", value: 4 }],
    })) as Obj;
    expect(scaled.spec.replicas).toBe(4);
    const after = (await custom.getNamespacedCustomObject(where)) as Obj;
    expect(after.spec).toEqual({ replicas: 4, color: "blue" });
  });
});

describe("@kubernetes/client-node informer", () => {
  test("makeInformer lists, then watches: add, update and delete, and keeps the cache", async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: "before" }, data: { v: "0" } } });
    const informer = k8s.makeInformer<k8s.V1ConfigMap>(kc, `/api/v1/namespaces/${NS}/configmaps`, () =>
      core.listNamespacedConfigMap({ namespace: NS }),
    );
    const seen: string[] = [];
    const errors: unknown[] = [];
    informer.on("add", (o) => seen.push(`add ${o.metadata?.name} ${o.data?.v}`));
    informer.on("update", (o) => seen.push(`update ${o.metadata?.name} ${o.data?.v}`));
    informer.on("delete", (o) => seen.push(`delete ${o.metadata?.name}`));
    informer.on("error", (e) => errors.push(e));
    await informer.start();
    try {
      // From the list.
      await until(
        () => seen.length >= 1,
        () => seen,
      );
      expect(seen).toEqual(["add before 0"]);
      // From the watch.
      await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: "live" }, data: { v: "1" } } });
      await until(
        () => seen.length >= 2,
        () => seen,
      );
      await core.patchNamespacedConfigMap(
        { name: "live", namespace: NS, body: { data: { v: "2" } } },
        k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
      );
      await until(
        () => seen.length >= 3,
        () => seen,
      );
      await core.deleteNamespacedConfigMap({ name: "before", namespace: NS });
      await until(
        () => seen.length >= 4,
        () => seen,
      );
      expect(seen).toEqual(["add before 0", "add live 1", "update live 2", "delete before"]);
      expect(informer.list(NS).map((o) => [o.metadata?.name, o.data?.v])).toEqual([["live", "2"]]);
      expect(informer.get("live", NS)?.data).toEqual({ v: "2" });
      expect(errors).toEqual([]);
    } finally {
      await informer.stop();
    }
  });

  test("a watch from a compacted resourceVersion gets 410, and the informer relists", async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const ns = "relist";
    await core.createNamespace({ body: { metadata: { name: ns } } });
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: "keep" }, data: { v: "1" } } });
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: "gone" }, data: { v: "1" } } });
    // What an informer that fell behind still holds: this list, at its resourceVersion.
    const stale = await core.listNamespacedConfigMap({ namespace: ns });
    await core.deleteNamespacedConfigMap({ name: "gone", namespace: ns });
    await core.replaceNamespacedConfigMap({
      name: "keep",
      namespace: ns,
      body: { metadata: { name: "keep" }, data: { v: "2" } },
    });
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: "new" }, data: { v: "1" } } });

    // The server compacts history only every 5 minutes; compact it now, offline, and restart on the same data.
    expect(await kcp.stop()).toBe(0);
    const storage = SqliteStorage.open(join(kcp.rootDir, "data", "kcp.db"));
    await storage.compact(await storage.currentRevision());
    await storage.close();
    kcp = await startKcp({ rootDir: kcp.rootDir });
    connect();
    const core2 = kc.makeApiClient(k8s.CoreV1Api);

    let lists = 0;
    const informer = k8s.makeInformer<k8s.V1ConfigMap>(kc, `/api/v1/namespaces/${ns}/configmaps`, async () => {
      lists++;
      return lists === 1 ? stale : await core2.listNamespacedConfigMap({ namespace: ns });
    });
    const seen: string[] = [];
    const errors: unknown[] = [];
    informer.on("add", (o) => seen.push(`add ${o.metadata?.name} ${o.data?.v}`));
    informer.on("update", (o) => seen.push(`update ${o.metadata?.name} ${o.data?.v}`));
    informer.on("delete", (o) => seen.push(`delete ${o.metadata?.name}`));
    informer.on("error", (e) => errors.push(e));
    await informer.start();
    try {
      // The stale list, then the watch from its resourceVersion: an ERROR event with a 410 Status and
      // the end of the stream, after which the informer lists again and reconciles its cache.
      await until(
        () => seen.length >= 5,
        () => ({ seen, lists }),
      );
      expect(lists).toBe(2);
      expect(seen).toEqual(["add gone 1", "add keep 1", "delete gone", "update keep 2", "add new 1"]);
      // And it watches from the new list on.
      await core2.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: "later" }, data: { v: "1" } } });
      await until(
        () => seen.length >= 6,
        () => seen,
      );
      expect(seen[5]).toBe("add later 1");
      expect(informer.list(ns).map((o) => o.metadata?.name)).toEqual(["keep", "new", "later"]);
      expect(errors).toEqual([]);
    } finally {
      await informer.stop();
    }
  });
});
