// The API importer's pure parts: the APIResourceImport made of a pulled CRD (name, owner, spec),
// the digest that decides whether an import must be written again, and the gate that decides what
// a Cluster's syncer gets from its imports' conditions.
import { describe, expect, test } from "bun:test";
import type { KObject } from "../../src/apis/types.ts";
import { gateResources, waitingMessage } from "../../src/controllers/cluster/api-gating.ts";
import { importedDigest, importFromCrd, ownedBy } from "../../src/controllers/cluster/api-import-object.ts";
import { importSummary } from "../../src/controllers/cluster/api-importer.ts";

const owner = { name: "us-east1", uid: "0f3c-uid" };

function crd(over: Record<string, unknown> = {}, version: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "deployments.apps" },
    spec: {
      group: "apps",
      scope: "Namespaced",
      names: {
        plural: "deployments",
        singular: "deployment",
        kind: "Deployment",
        listKind: "DeploymentList",
        shortNames: ["deploy"],
        categories: ["all"],
      },
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: "object", properties: { spec: { type: "object" } } } },
          subresources: { status: {}, scale: { specReplicasPath: ".spec.replicas" } },
          additionalPrinterColumns: [
            { name: "Ready", type: "string", jsonPath: ".status.readyReplicas", priority: 0 },
            { name: "Images", type: "string", jsonPath: ".spec.template.spec.containers[*].image", priority: 1 },
          ],
          ...version,
        },
      ],
      ...over,
    },
  };
}

describe("importFromCrd", () => {
  test("names the import <plural>.<location>.<version>.<group>, owned by the Cluster, with the CRD's spec", () => {
    const imp = importFromCrd(crd(), owner) as KObject;
    expect(imp.apiVersion).toBe("apiresource.kcp.dev/v1alpha1");
    expect(imp.kind).toBe("APIResourceImport");
    expect(imp.metadata).toEqual({
      name: "deployments.us-east1.v1.apps",
      annotations: { "apiresource.kcp.dev/apiVersion": "apps/v1" },
      ownerReferences: [
        {
          apiVersion: "cluster.example.dev/v1alpha1",
          kind: "Cluster",
          name: "us-east1",
          uid: "0f3c-uid",
          controller: true,
        },
      ],
    });
    expect(imp.spec).toEqual({
      groupVersion: { group: "apps", version: "v1" },
      scope: "Namespaced",
      plural: "deployments",
      singular: "deployment",
      kind: "Deployment",
      listKind: "DeploymentList",
      shortNames: ["deploy"],
      categories: ["all"],
      openAPIV3Schema: { type: "object", properties: { spec: { type: "object" } } },
      subResources: [{ name: "status" }, { name: "scale" }],
      columnDefinitions: [
        { name: "Ready", type: "string", jsonPath: ".status.readyReplicas", priority: 0 },
        { name: "Images", type: "string", jsonPath: ".spec.template.spec.containers[*].image", priority: 1 },
      ],
      location: "us-east1",
      schemaUpdateStrategy: "UpdateUnpublished",
    });
    expect(ownedBy(imp, owner)).toBe(true);
    expect(ownedBy(imp, { ...owner, uid: "another" })).toBe(false);
  });

  test("the core group: `core` in the name, a bare version in the annotation; no subresources or columns", () => {
    const imp = importFromCrd(
      crd(
        { group: "", names: { plural: "pods", kind: "Pod" } },
        { subresources: undefined, additionalPrinterColumns: undefined },
      ),
      owner,
    ) as KObject;
    expect(imp.metadata.name).toBe("pods.us-east1.v1.core");
    expect(imp.metadata.annotations).toEqual({ "apiresource.kcp.dev/apiVersion": "v1" });
    const spec = imp.spec as Record<string, unknown>;
    expect(spec.groupVersion).toEqual({ version: "v1" });
    expect(spec.singular).toBe("pod");
    expect(spec.listKind).toBe("PodList");
    expect(spec).not.toContainKey("subResources");
    expect(spec).not.toContainKey("columnDefinitions");
    expect(spec).not.toContainKey("shortNames");
  });

  test("a CRD without names, versions or a schema makes no import", () => {
    expect(importFromCrd(crd({ names: {} }), owner)).toBeUndefined();
    expect(importFromCrd(crd({ versions: [] }), owner)).toBeUndefined();
    expect(importFromCrd(crd({}, { schema: undefined }), owner)).toBeUndefined();
    expect(importFromCrd({}, owner)).toBeUndefined();
  });
});

describe("importedDigest", () => {
  const base = importFromCrd(crd(), owner) as KObject;
  test("ignores key order, empty lists, the location and the strategy", () => {
    const spec = base.spec as Record<string, unknown>;
    const reordered: Record<string, unknown> = {};
    for (const k of Object.keys(spec).reverse()) reordered[k] = spec[k];
    reordered.schemaUpdateStrategy = "UpdatePublished";
    reordered.categories = ["all"];
    const other = { ...base, spec: { ...reordered, shortNames: ["deploy"], extra: undefined } };
    expect(importedDigest(other)).toBe(importedDigest(base));
    const noLists = importFromCrd(crd({ names: { plural: "deployments", kind: "Deployment", shortNames: [] } }), owner);
    const noListsAtAll = importFromCrd(crd({ names: { plural: "deployments", kind: "Deployment" } }), owner);
    expect(importedDigest(noLists as KObject)).toBe(importedDigest(noListsAtAll as KObject));
  });

  test("changes with the schema, the names, the scope", () => {
    const d = importedDigest(base);
    const schema = importFromCrd(crd({}, { schema: { openAPIV3Schema: { type: "object" } } }), owner) as KObject;
    expect(importedDigest(schema)).not.toBe(d);
    expect(importedDigest(importFromCrd(crd({ scope: "Cluster" }), owner) as KObject)).not.toBe(d);
    const names = crd({ names: { plural: "deployments", kind: "Deployment", shortNames: ["dp"] } });
    expect(importedDigest(importFromCrd(names, owner) as KObject)).not.toBe(d);
  });

  test("the cache's summary keeps the digest, not the schema", () => {
    const summary = importSummary({ ...base, metadata: { ...base.metadata, uid: "u", resourceVersion: "7" } });
    expect((summary.spec as Record<string, unknown>).openAPIV3Schema).toBeUndefined();
    expect(summary.importedDigest).toBe(importedDigest(base));
    expect(summary.metadata).toMatchObject({ name: "deployments.us-east1.v1.apps", uid: "u", resourceVersion: "7" });
  });
});

describe("gateResources", () => {
  const native = (group: string, resource: string) => group === "" && resource === "configmaps";
  function imp(name: string, group: string, plural: string, conditions: Record<string, unknown>[]): KObject {
    return {
      metadata: { name },
      spec: { groupVersion: group ? { group, version: "v1" } : { version: "v1" }, plural, location: "east" },
      status: { conditions },
    };
  }
  const T = (type: string) => ({ type, status: "True" });

  test("native resources and Compatible+Available imports go to the syncer; the rest wait, saying why", () => {
    const gate = gateResources({
      requested: [
        "deployments.apps",
        "configmaps",
        "widgets.example.com",
        "gadgets.example.com",
        "pods",
        "ingresses.x",
        "sprockets.example.com",
      ],
      native,
      imports: [
        imp("deployments.east.v1.apps", "apps", "deployments", [T("Compatible"), T("Available")]),
        imp("widgets.east.v1.example.com", "example.com", "widgets", [
          { type: "Compatible", status: "False", reason: "IncompatibleSchema", message: "spec.size: type differs" },
          T("Available"),
        ]),
        imp("gadgets.east.v1.example.com", "example.com", "gadgets", [T("Compatible")]),
        imp("pods.east.v1.core", "core", "pods", [T("Compatible"), T("Available")]),
        imp("sprockets.east.v1.example.com", "example.com", "sprockets", []),
      ],
      skipped: new Map([["ingresses.x", "the physical cluster does not serve it"]]),
    });
    expect(gate.synced).toEqual(["configmaps", "deployments.apps", "pods"]);
    expect(gate.waiting).toEqual([
      {
        resource: "widgets.example.com",
        why: "import widgets.east.v1.example.com: Compatible=False (IncompatibleSchema: spec.size: type differs)",
      },
      { resource: "gadgets.example.com", why: "import gadgets.east.v1.example.com: no Available condition yet" },
      { resource: "ingresses.x", why: "not imported: the physical cluster does not serve it" },
      { resource: "sprockets.example.com", why: "import sprockets.east.v1.example.com: not negotiated yet" },
    ]);
    expect(waitingMessage(gate.waiting)).toStartWith(
      "APIs not negotiated yet: widgets.example.com, gadgets.example.com, ingresses.x, sprockets.example.com (widgets.example.com: import",
    );
  });

  test("no import yet; an import of another group does not count", () => {
    const gate = gateResources({
      requested: ["deployments.apps"],
      native,
      imports: [imp("deployments.east.v1.other", "other", "deployments", [T("Compatible"), T("Available")])],
    });
    expect(gate).toEqual({ synced: [], waiting: [{ resource: "deployments.apps", why: "not imported yet" }] });
  });
});
