// The API importer and the Ready gate end to end: a kcp with the cluster controller (and no
// negotiation controller), a second kcp standing in for the physical cluster with CRDs of its own. A Cluster's imports appear with the
// pulled schema and the Cluster as owner; conditions set by hand (as the negotiation controller
// would) decide what its syncer syncs, and Ready and syncedResources follow; a resource dropped
// from spec.resources loses its import; a changed schema is written again (a user's strategy
// kept, an unchanged import never rewritten); an unreachable cluster keeps its imports; a deleted
// Cluster takes its imports with it. Last, the seed's lifecycle (spec 8.7) on a third kcp whose
// negotiation controller runs with --auto-publish-apis: Cluster → import → published API → Ready,
// and back when the Cluster is deleted.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { api, type KcpProcess, kubectl, removeDir, startKcp } from "../helpers/kcp-process.ts";

let kcp: KcpProcess;
let phys: KcpProcess;

const IMPORTS = "/apis/apiresource.kcp.dev/v1alpha1/apiresourceimports";
const CLUSTERS = "/apis/cluster.example.dev/v1alpha1/clusters";
const WIDGETS_IMPORT = "widgets.east.v1.example.com";
const GADGETS_IMPORT = "gadgets.east.v1.example.com";
/** An import someone made by hand for location east: no Cluster owns it, so the importer leaves it be. */
const BY_HAND_IMPORT = "sprockets.east.v1.example.com";

function widgetsCrd(extraProperty = ""): string {
  return `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, listKind: WidgetList, shortNames: [wd]}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    additionalPrinterColumns:
    - {name: Size, type: integer, jsonPath: .spec.size}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer, minimum: 0}
              ${extraProperty || "name: {type: string}"}
          status:
            type: object
            properties:
              phase: {type: string}
`;
}

const GADGETS_CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.com}
spec:
  group: example.com
  scope: Cluster
  names: {plural: gadgets, singular: gadget, kind: Gadget, listKind: GadgetList}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, properties: {spec: {type: object, x-kubernetes-preserve-unknown-fields: true}}}
`;

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ""}`);
    await Bun.sleep(100);
  }
}

async function getJson(k: KcpProcess, path: string): Promise<any> {
  const res = await api(k, path);
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

async function send(k: KcpProcess, method: string, path: string, body: unknown, type = "application/json") {
  return api(k, path, { method, body: JSON.stringify(body), headers: { "content-type": type } });
}

async function apply(k: KcpProcess, yaml: string): Promise<void> {
  const r = await kubectl(k, ["apply", "-f", "-"], { stdin: yaml });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
}

async function cluster(): Promise<any> {
  return getJson(kcp, `${CLUSTERS}/east`);
}

async function ready(): Promise<{ status: string; reason: string; message: string } | undefined> {
  return (await cluster())?.status?.conditions?.find((c: { type: string }) => c.type === "Ready");
}

/** The names of the imports whose location is east. */
async function importNames(): Promise<string[]> {
  const list = await getJson(kcp, IMPORTS);
  return list.items
    .filter((i: any) => i.spec.location === "east")
    .map((i: any) => i.metadata.name)
    .sort();
}

/** Sets an import's Compatible and Available conditions (the negotiation controller's part). */
async function setConditions(name: string, compatible: string, available: string): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const cond = (type: string, status: string) => ({
    type,
    status,
    reason: status === "True" ? "ByHand" : "NotYet",
    message: `set by the test: ${type} ${status}`,
    lastTransitionTime: now,
  });
  const patch = { status: { conditions: [cond("Compatible", compatible), cond("Available", available)] } };
  const r = await kubectl(kcp, [
    "patch",
    "apiresourceimports",
    name,
    "--subresource=status",
    "--type=merge",
    "-p",
    JSON.stringify(patch),
  ]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
}

beforeAll(async () => {
  [kcp, phys] = await Promise.all([
    startKcp({
      // The test plays the negotiation controller: it sets the imports' conditions itself.
      args: [
        "--no-api-negotiation",
        "--cluster-import-interval",
        "1s",
        "--cluster-heartbeat-timeout",
        "3s",
        "--cluster-resources",
        "configmaps",
      ],
    }),
    startKcp(),
  ]);
  // The physical cluster serves widgets and gadgets; kcp serves widgets too (the syncer syncs what kcp has).
  await Promise.all([apply(phys, `${widgetsCrd()}---\n${GADGETS_CRD}`), apply(kcp, widgetsCrd())]);
  await waitFor("widgets served in kcp", async () => (await api(kcp, "/apis/example.com/v1/widgets")).status === 200);
}, 60_000);

afterAll(async () => {
  for (const k of [kcp, phys]) {
    if (!k) continue;
    await k.stop();
    removeDir(k.rootDir);
  }
});

test("a Cluster's imports appear with the pulled schema, owned by it; native resources need none", async () => {
  const kubeconfig = await Bun.file(phys.kubeconfig).text();
  const created = await send(kcp, "POST", CLUSTERS, {
    apiVersion: "cluster.example.dev/v1alpha1",
    kind: "Cluster",
    metadata: { name: "east" },
    spec: {
      kubeconfig,
      mode: "push",
      resources: ["configmaps", "widgets.example.com", "gadgets.example.com", "missings.example.com"],
    },
  });
  expect(created.status).toBe(201);
  const uid = ((await created.json()) as { metadata: { uid: string } }).metadata.uid;
  await waitFor("both imports", async () => (await importNames()).length === 2);
  expect(await importNames()).toEqual([GADGETS_IMPORT, WIDGETS_IMPORT]);

  const widgets = await getJson(kcp, `${IMPORTS}/${WIDGETS_IMPORT}`);
  const pulled = await getJson(phys, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com");
  expect(widgets.metadata.ownerReferences).toEqual([
    { apiVersion: "cluster.example.dev/v1alpha1", kind: "Cluster", name: "east", uid, controller: true },
  ]);
  expect(widgets.metadata.annotations["apiresource.kcp.dev/apiVersion"]).toBe("example.com/v1");
  expect(widgets.spec).toMatchObject({
    groupVersion: { group: "example.com", version: "v1" },
    scope: "Namespaced",
    plural: "widgets",
    singular: "widget",
    kind: "Widget",
    listKind: "WidgetList",
    shortNames: ["wd"],
    subResources: [{ name: "status" }],
    columnDefinitions: [{ name: "Size", type: "integer", jsonPath: ".spec.size" }],
    location: "east",
    schemaUpdateStrategy: "UpdateUnpublished",
  });
  expect(widgets.spec.openAPIV3Schema).toEqual(pulled.spec.versions[0].schema.openAPIV3Schema);
  const gadgets = await getJson(kcp, `${IMPORTS}/${GADGETS_IMPORT}`);
  expect(gadgets.spec).toMatchObject({ scope: "Cluster", kind: "Gadget" });

  // kubectl shows them with the seed's columns.
  const table = await kubectl(kcp, ["get", "apiresourceimports", WIDGETS_IMPORT]);
  expect(table.stdout).toMatch(
    /widgets\.east\.v1\.example\.com\s+east\s+UpdateUnpublished\s+example\.com\/v1\s+widgets/,
  );

  // Nothing negotiated yet: the syncer syncs the native configmaps only, and Ready says what waits.
  const waiting = await waitFor("APIsNotNegotiated with configmaps synced", async () => {
    const c = await cluster();
    const r = c?.status?.conditions?.find((x: { type: string }) => x.type === "Ready");
    return r?.reason === "APIsNotNegotiated" && c.status.syncedResources?.length === 1 && c;
  });
  expect(waiting.status.syncedResources).toEqual(["configmaps"]);
  const r = await ready();
  expect(r?.status).toBe("False");
  expect(r?.message).toStartWith(
    "APIs not negotiated yet: gadgets.example.com, missings.example.com, widgets.example.com (",
  );
  expect(r?.message).toContain(`gadgets.example.com: import ${GADGETS_IMPORT}: not negotiated yet`);
  expect(r?.message).toContain("missings.example.com: not imported: ");
  const cm = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "native", namespace: "default", labels: { "kcp.dev/cluster": "east" } },
    data: { a: "b" },
  };
  expect((await send(kcp, "POST", "/api/v1/namespaces/default/configmaps", cm)).status).toBe(201);
  await waitFor("the configmap in the cluster", () => getJson(phys, "/api/v1/namespaces/default/configmaps/native"));
}, 30_000);

test("the syncer gets a resource once its import is Compatible and Available, and loses it after", async () => {
  await setConditions(WIDGETS_IMPORT, "True", "True");
  const c = await waitFor("widgets synced", async () => {
    const c = await cluster();
    return c?.status?.syncedResources?.includes("widgets.example.com") && c;
  });
  expect(c.status.syncedResources).toEqual(["configmaps", "widgets.example.com"]);
  const widget = {
    apiVersion: "example.com/v1",
    kind: "Widget",
    metadata: { name: "w1", namespace: "default", labels: { "kcp.dev/cluster": "east" } },
    spec: { size: 3 },
  };
  expect((await send(kcp, "POST", "/apis/example.com/v1/namespaces/default/widgets", widget)).status).toBe(201);
  const down = await waitFor("the widget in the cluster", () =>
    getJson(phys, "/apis/example.com/v1/namespaces/default/widgets/w1"),
  );
  expect(down.spec).toEqual({ size: 3 });
  // Still waiting for the others; the message no longer names widgets.
  const r = await waitFor("Ready names the others only", async () => {
    const r = await ready();
    return r?.reason === "APIsNotNegotiated" && !r.message.includes("widgets") && r;
  });
  expect(r.message).toStartWith("APIs not negotiated yet: gadgets.example.com, missings.example.com (");
  expect(r.message).toContain(`gadgets.example.com: import ${GADGETS_IMPORT}: not negotiated yet`);

  const byHand = await send(kcp, "POST", IMPORTS, {
    apiVersion: "apiresource.kcp.dev/v1alpha1",
    kind: "APIResourceImport",
    metadata: { name: BY_HAND_IMPORT },
    spec: {
      groupVersion: { group: "example.com", version: "v1" },
      scope: "Namespaced",
      plural: "sprockets",
      kind: "Sprocket",
      openAPIV3Schema: { type: "object" },
      location: "east",
    },
  });
  expect(byHand.status).toBe(201);
  // The others dropped from the Cluster: the gadgets import goes, and the Cluster is Ready.
  const patched = await send(
    kcp,
    "PATCH",
    `${CLUSTERS}/east`,
    { spec: { resources: ["configmaps", "widgets.example.com"] } },
    "application/merge-patch+json",
  );
  expect(patched.status).toBe(200);
  await waitFor("the gadgets import gone", async () => !(await importNames()).includes(GADGETS_IMPORT));
  expect(await importNames()).toEqual([BY_HAND_IMPORT, WIDGETS_IMPORT]);
  await waitFor("Ready", async () => (await ready())?.status === "True");
  expect(await ready()).toMatchObject({ status: "True", reason: "SyncerReady" });

  // No longer Available: the syncer stops syncing widgets, Ready says why.
  await setConditions(WIDGETS_IMPORT, "True", "False");
  const off = await waitFor("widgets no longer synced", async () => {
    const c = await cluster();
    return c?.status?.syncedResources?.length === 1 && c;
  });
  expect(off.status.syncedResources).toEqual(["configmaps"]);
  expect(await ready()).toMatchObject({
    status: "False",
    reason: "APIsNotNegotiated",
    message: `APIs not negotiated yet: widgets.example.com (widgets.example.com: import ${WIDGETS_IMPORT}: Available=False (NotYet: set by the test: Available False))`,
  });
  // Not synced any more: a change in kcp stays in kcp.
  const w1 = await getJson(kcp, "/apis/example.com/v1/namespaces/default/widgets/w1");
  w1.spec.size = 4;
  expect((await send(kcp, "PUT", "/apis/example.com/v1/namespaces/default/widgets/w1", w1)).status).toBe(200);
  // Back: synced again, and the change arrives.
  await setConditions(WIDGETS_IMPORT, "True", "True");
  await waitFor(
    "the change in the cluster",
    async () => (await getJson(phys, "/apis/example.com/v1/namespaces/default/widgets/w1"))?.spec?.size === 4,
  );
  await waitFor("Ready again", async () => (await ready())?.status === "True");
}, 30_000);

test("a changed schema is written again, keeping a user's strategy; an unchanged import is not written", async () => {
  const strategy = await send(
    kcp,
    "PATCH",
    `${IMPORTS}/${WIDGETS_IMPORT}`,
    { spec: { schemaUpdateStrategy: "UpdatePublished" } },
    "application/merge-patch+json",
  );
  expect(strategy.status).toBe(200);
  await apply(phys, widgetsCrd("color: {type: string, enum: [red, blue]}"));
  const updated = await waitFor("the new schema imported", async () => {
    const i = await getJson(kcp, `${IMPORTS}/${WIDGETS_IMPORT}`);
    return i?.spec?.openAPIV3Schema?.properties?.spec?.properties?.color && i;
  });
  expect(updated.spec.openAPIV3Schema.properties.spec.properties.color).toEqual({
    type: "string",
    enum: ["red", "blue"],
  });
  expect(updated.spec.schemaUpdateStrategy).toBe("UpdatePublished");
  // Its conditions (status) are the negotiation's: a spec refresh keeps them.
  expect(updated.status.conditions.map((c: { type: string; status: string }) => c.status)).toEqual(["True", "True"]);
  // Several passes later (one a second), nothing was written: the import is as it was.
  await Bun.sleep(3500);
  const later = await getJson(kcp, `${IMPORTS}/${WIDGETS_IMPORT}`);
  expect(later.metadata.resourceVersion).toBe(updated.metadata.resourceVersion);
}, 30_000);

test("the physical cluster unreachable: its imports stay; back: pulled again", async () => {
  const port = phys.port;
  const root = phys.rootDir;
  await phys.stop();
  await waitFor("a failed pull logged", async () =>
    kcp.output().includes("API importer: cluster east (logical cluster admin): cannot pull its resources"),
  );
  // Passes keep failing (retried); the import stays, as it was.
  await Bun.sleep(2500);
  expect(await importNames()).toEqual([BY_HAND_IMPORT, WIDGETS_IMPORT]);
  const before = await getJson(kcp, `${IMPORTS}/${WIDGETS_IMPORT}`);
  expect(before.spec.openAPIV3Schema.properties.spec.properties.color).toBeDefined();
  phys = await startKcp({ rootDir: root, args: ["--listen", `127.0.0.1:${port}`] });
  // Back with another schema: the next pass imports it.
  await apply(phys, widgetsCrd("weight: {type: number}"));
  await waitFor("the schema pulled after the restart", async () => {
    const i = await getJson(kcp, `${IMPORTS}/${WIDGETS_IMPORT}`);
    return i?.spec?.openAPIV3Schema?.properties?.spec?.properties?.weight !== undefined;
  });
}, 30_000);

test("a deleted Cluster takes its imports with it", async () => {
  expect((await api(kcp, `${CLUSTERS}/east`, { method: "DELETE" })).status).toBe(200);
  await waitFor("the Cluster gone", async () => (await cluster()) === undefined);
  // Deleted before the finalizer let the Cluster go (not left to the garbage collector's timing);
  // the one made by hand is not the Cluster's.
  expect(await importNames()).toEqual([BY_HAND_IMPORT]);
  // The synced workload stays in the physical cluster.
  expect(await getJson(phys, "/apis/example.com/v1/namespaces/default/widgets/w1")).toBeDefined();
}, 30_000);

test("with negotiation and --auto-publish-apis: imported, published, synced, Ready; deleted: unpublished", async () => {
  const neg = await startKcp({
    args: ["--auto-publish-apis", "--cluster-heartbeat-timeout", "3s", "--cluster-resources", "widgets.example.com"],
  });
  try {
    const kubeconfig = await Bun.file(phys.kubeconfig).text();
    const created = await send(neg, "POST", CLUSTERS, {
      apiVersion: "cluster.example.dev/v1alpha1",
      kind: "Cluster",
      metadata: { name: "west" },
      spec: { kubeconfig, mode: "push" },
    });
    expect(created.status).toBe(201);
    // Spec 8.7: import → negotiated resource (published at once) → CRD → Available → syncer → Ready.
    const c = await waitFor(
      "west Ready",
      async () => {
        const c = await getJson(neg, `${CLUSTERS}/west`);
        const r = c?.status?.conditions?.find((x: { type: string }) => x.type === "Ready");
        return r?.status === "True" && c;
      },
      30_000,
    );
    expect(c.status.syncedResources).toEqual(["widgets.example.com"]);
    const imp = await getJson(neg, `${IMPORTS}/widgets.west.v1.example.com`);
    const status = Object.fromEntries(
      imp.status.conditions.map((x: { type: string; status: string }) => [x.type, x.status]),
    );
    expect(status).toMatchObject({ Compatible: "True", Available: "True" });
    const crd = await getJson(neg, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com");
    expect(crd.metadata.ownerReferences[0]).toMatchObject({
      kind: "NegotiatedAPIResource",
      name: "widgets.v1.example.com",
    });
    const widget = {
      apiVersion: "example.com/v1",
      kind: "Widget",
      metadata: { name: "w2", namespace: "default", labels: { "kcp.dev/cluster": "west" } },
      spec: { size: 5 },
    };
    expect((await send(neg, "POST", "/apis/example.com/v1/namespaces/default/widgets", widget)).status).toBe(201);
    await waitFor("w2 in the cluster", () => getJson(phys, "/apis/example.com/v1/namespaces/default/widgets/w2"));

    // The Cluster deleted: its import goes, then the negotiated resource and the CRD it published.
    expect((await api(neg, `${CLUSTERS}/west`, { method: "DELETE" })).status).toBe(200);
    await waitFor("west gone", async () => (await getJson(neg, `${CLUSTERS}/west`)) === undefined);
    expect(await getJson(neg, `${IMPORTS}/widgets.west.v1.example.com`)).toBeUndefined();
    await waitFor(
      "the CRD gone",
      async () =>
        (await getJson(neg, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com")) ===
        undefined,
    );
    expect(
      await getJson(neg, "/apis/apiresource.kcp.dev/v1alpha1/negotiatedapiresources/widgets.v1.example.com"),
    ).toBeUndefined();
  } finally {
    await neg.stop();
    removeDir(neg.rootDir);
  }
}, 60_000);
