// The CRD puller over the real client against a stand-in for a Kubernetes 1.13 API server (its own
// OpenAPI v2 document, its discovery, no /openapi/v3, a v1beta1 CRD, a broken aggregated group).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { API_APPROVED_ANNOTATION } from "../../src/apis/crd-pull/pulled-crd.ts";
import { loadClientConfig } from "../../src/client/kubeconfig-loader.ts";
import { RestClient } from "../../src/client/rest-client.ts";
import { CrdPuller } from "../../src/controllers/crd-puller/crd-puller.ts";
import { v1beta1ToV1 } from "../../src/controllers/crd-puller/remote-crds.ts";
import { kcpServesNatively } from "../../src/cli/pull-crds.ts";
import { type LegacyKubeServer, startLegacyKube } from "../helpers/legacy-kube-server.ts";
import { removeDir, tempDir } from "../helpers/kcp-process.ts";

type Json = Record<string, any>;

const widgetCRD = {
  apiVersion: "apiextensions.k8s.io/v1beta1",
  kind: "CustomResourceDefinition",
  metadata: {
    name: "widgets.example.com",
    uid: "0d8f",
    resourceVersion: "42",
    generation: 3,
    creationTimestamp: "2019-01-01T00:00:00Z",
    annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{}", team: "blue" },
  },
  spec: {
    group: "example.com",
    version: "v1",
    scope: "Namespaced",
    names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList", shortNames: ["wd"] },
    validation: {
      openAPIV3Schema: {
        type: "object",
        properties: { spec: { type: "object", properties: { size: { type: "integer" } } } },
      },
    },
    subresources: { status: {} },
    additionalPrinterColumns: [{ name: "Size", type: "integer", JSONPath: ".spec.size" }],
  },
  status: { storedVersions: ["v1"] },
};

/** A v1beta1 CRD of the kind kube 1.13 accepted: no types, so not structural. */
const gadgetCRD = {
  apiVersion: "apiextensions.k8s.io/v1beta1",
  kind: "CustomResourceDefinition",
  metadata: { name: "gadgets.example.com" },
  spec: {
    group: "example.com",
    version: "v1",
    scope: "Cluster",
    names: { plural: "gadgets", singular: "gadget", kind: "Gadget", listKind: "GadgetList" },
    validation: { openAPIV3Schema: { properties: { spec: { properties: { size: { minimum: 1 } } } } } },
  },
};

/** A CRD the cluster itself marks NonStructuralSchema (kube 1.15+), whatever its schema looks like. */
const sprocketCRD = {
  apiVersion: "apiextensions.k8s.io/v1beta1",
  kind: "CustomResourceDefinition",
  metadata: { name: "sprockets.example.com" },
  spec: {
    group: "example.com",
    version: "v1",
    scope: "Namespaced",
    names: { plural: "sprockets", singular: "sprocket", kind: "Sprocket", listKind: "SprocketList" },
    validation: { openAPIV3Schema: { type: "object", properties: { spec: { type: "object" } } } },
  },
  status: { conditions: [{ type: "NonStructuralSchema", status: "True", reason: "Violations" }] },
};

let dir: string;
let server: LegacyKubeServer;
let client: RestClient;

beforeAll(async () => {
  dir = tempDir("crd-puller-");
  server = await startLegacyKube({
    kubeconfigPath: join(dir, "old.kubeconfig"),
    crds: [widgetCRD, gadgetCRD, sprocketCRD],
  });
  client = new RestClient(await loadClientConfig({ kubeconfig: server.kubeconfig }));
});

afterAll(() => {
  server.stop();
  removeDir(dir);
});

const names = (crds: Json[]) => crds.map((c) => c.metadata.name);

describe("CrdPuller against a 1.13 cluster", () => {
  test("named resources: preferred versions, discovery's names, subresources; OpenAPI v2 after a v3 404", async () => {
    const r = await new CrdPuller(client).pull(["deployments.apps", "pods", "cronjobs.batch"]);
    expect(r.skipped).toEqual([]);
    expect(names(r.crds)).toEqual(["cronjobs.batch", "deployments.apps", "pods.core"]);
    const [cj, deploy, pods] = r.crds as Json[];
    expect(deploy.spec.names).toEqual({
      plural: "deployments",
      singular: "deployment",
      kind: "Deployment",
      listKind: "DeploymentList",
      shortNames: ["deploy"],
      categories: ["all"],
    });
    const v = deploy.spec.versions[0];
    expect(v.name).toBe("v1");
    expect(v.subresources).toEqual({
      status: {},
      scale: { specReplicasPath: ".spec.replicas", statusReplicasPath: ".status.replicas" },
    });
    expect(v.additionalPrinterColumns).toBeUndefined();
    expect(deploy.metadata.annotations).toBeUndefined();
    // CronJob is only in batch/v1beta1 in 1.13 (batch prefers v1).
    expect(cj.spec.versions[0].name).toBe("v1beta1");
    expect(pods.spec.group).toBe("");
    expect(server.requests).toContain("GET /openapi/v3");
    expect(server.requests).toContain("GET /openapi/v2");
  });

  test("everything: no subresource names, natives and non-objects skipped with reasons, a broken group tolerated", async () => {
    const r = await new CrdPuller(client, { servedNatively: kcpServesNatively() }).pull();
    const pulled = names(r.crds);
    expect(pulled.some((n) => n.includes("/"))).toBe(false);
    expect(r.skipped.some((s) => s.resource.includes("/"))).toBe(false);
    expect(pulled).toContain("deployments.apps");
    expect(pulled).toContain("cronjobs.batch");
    // kcp serves these itself (leases in v1; 1.13 has only v1beta1: still the same resource).
    for (const gr of [
      "configmaps",
      "secrets",
      "leases.coordination.k8s.io",
      "customresourcedefinitions.apiextensions.k8s.io",
    ]) {
      expect(pulled).not.toContain(gr);
      expect(r.skipped).toContainEqual({ resource: gr, reason: "kcp serves it natively" });
    }
    expect(r.skipped).toContainEqual({ resource: "bindings", reason: "not an object kcp can store (verbs: create)" });
    // Protected groups get kube's API-approval annotation.
    const sc = (r.crds as Json[]).find((c) => c.metadata.name === "storageclasses.storage.k8s.io");
    expect(sc?.metadata.annotations[API_APPROVED_ANNOTATION]).toMatch(/^https:/);
    expect(pulled).toEqual([...pulled].sort());
  });

  test("the cluster's own CRD comes back as it is, in v1's shape, server fields dropped", async () => {
    const r = await new CrdPuller(client).pull(["widgets.example.com"]);
    expect(r.crds).toHaveLength(1);
    const w = r.crds[0] as Json;
    expect(w.metadata).toEqual({ name: "widgets.example.com", annotations: { team: "blue" } });
    expect(w.status).toBeUndefined();
    expect(w.spec.versions).toEqual([
      {
        name: "v1",
        served: true,
        storage: true,
        schema: widgetCRD.spec.validation,
        subresources: { status: {} },
        additionalPrinterColumns: [{ name: "Size", type: "integer", jsonPath: ".spec.size" }],
      },
    ]);
    expect(w.spec.names.shortNames).toEqual(["wd"]);
    // Only the aggregated group that answers 503; the widget's schema is structural, kept as it is.
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings?.[0]).toStartWith("discovery of metrics.k8s.io/v1beta1: ");
  });

  test("a CRD whose schema kcp would refuse comes back permissive, with a warning", async () => {
    const r = await new CrdPuller(client).pull(["gadgets.example.com"]);
    expect(r.skipped).toEqual([]);
    const g = r.crds[0] as Json;
    expect(g.spec.scope).toBe("Cluster");
    expect(g.spec.versions[0].schema).toEqual({
      openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
    });
    expect(
      r.warnings?.some((w) => w.startsWith("gadgets.example.com: the cluster's CRD schema is not valid in kcp")),
    ).toBe(true);
  });

  test("a CRD the cluster marks NonStructuralSchema comes back permissive, with a warning", async () => {
    const r = await new CrdPuller(client).pull(["sprockets.example.com"]);
    const s = r.crds[0] as Json;
    expect(s.spec.versions[0].schema.openAPIV3Schema).toEqual({
      type: "object",
      "x-kubernetes-preserve-unknown-fields": true,
    });
    expect(r.warnings).toContain(
      "sprockets.example.com: the cluster's CRD has a non-structural schema; its schema is permissive",
    );
  });

  test("deterministic: two pullers, byte-identical CRDs", async () => {
    const a = await new CrdPuller(client).pull(["deployments.apps", "widgets.example.com"]);
    const b = await new CrdPuller(client).pull(["widgets.example.com", "deployments.apps"]);
    expect(JSON.stringify(b.crds)).toBe(JSON.stringify(a.crds));
  });

  test("a name the cluster does not serve is reported, with the groups discovery could not read", async () => {
    const r = await new CrdPuller(client).pull(["gizmos.example.com", "deployments.apps"]);
    expect(names(r.crds)).toEqual(["deployments.apps"]);
    expect(r.skipped).toHaveLength(1);
    expect(r.skipped[0]?.notFound).toBe(true);
    expect(r.skipped[0]?.reason).toContain('no resource "gizmos.example.com"');
    expect(r.skipped[0]?.reason).toContain("metrics.k8s.io/v1beta1");
  });
});

describe("CrdPuller against a cluster with OpenAPI v3", () => {
  test("the group-version documents are read, not v2, and give the same CRDs as v2 does", async () => {
    const v3 = await startLegacyKube({ kubeconfigPath: join(dir, "v3.kubeconfig"), openapiV3: true });
    try {
      const v3Client = new RestClient(await loadClientConfig({ kubeconfig: v3.kubeconfig }));
      const fromV3 = await new CrdPuller(v3Client).pull(["deployments.apps", "pods"]);
      expect(v3.requests).toContain("GET /openapi/v3");
      expect(v3.requests).toContain("GET /openapi/v3/apis/apps/v1");
      expect(v3.requests).toContain("GET /openapi/v3/api/v1");
      expect(v3.requests).not.toContain("GET /openapi/v2");
      const fromV2 = await new CrdPuller(client).pull(["deployments.apps", "pods"]);
      expect(JSON.stringify(fromV3.crds)).toBe(JSON.stringify(fromV2.crds));
    } finally {
      v3.stop();
    }
  });
});

describe("CrdPuller with credentials that may not list CRDs", () => {
  test("built-in kinds still pull; a CRD-based kind needs an OpenAPI model, and says so", async () => {
    const limited = await startLegacyKube({
      kubeconfigPath: join(dir, "limited.kubeconfig"),
      crds: [widgetCRD],
      forbidCRDList: true,
    });
    try {
      const c = new RestClient(await loadClientConfig({ kubeconfig: limited.kubeconfig }));
      const r = await new CrdPuller(c).pull(["deployments.apps", "widgets.example.com"]);
      expect(names(r.crds)).toEqual(["deployments.apps"]);
      expect(r.skipped).toEqual([
        { resource: "widgets.example.com", reason: "the OpenAPI v2 document has no schema for example.com/v1 Widget" },
      ]);
      expect(r.warnings?.some((w) => w.startsWith("the cluster's CRDs cannot be read (forbidden)"))).toBe(true);
    } finally {
      limited.stop();
    }
  });
});

describe("v1beta1 CRDs in v1's shape", () => {
  test("per-version schema, columns and subresources; preserveUnknownFields becomes the root extension", () => {
    const v1 = v1beta1ToV1({
      metadata: { name: "things.example.com" },
      spec: {
        group: "example.com",
        preserveUnknownFields: true,
        versions: [
          { name: "v2", served: true, storage: true },
          {
            name: "v1",
            served: true,
            storage: false,
            additionalPrinterColumns: [{ name: "A", type: "string", JSONPath: ".a" }],
          },
        ],
        validation: { openAPIV3Schema: { type: "object" } },
        subresources: { status: {} },
        additionalPrinterColumns: [{ name: "B", type: "string", JSONPath: ".b" }],
      },
    }) as Json;
    expect(v1.apiVersion).toBe("apiextensions.k8s.io/v1");
    expect(v1.spec.preserveUnknownFields).toBeUndefined();
    expect(v1.spec.validation).toBeUndefined();
    expect(v1.spec.versions).toEqual([
      {
        name: "v2",
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
        subresources: { status: {} },
        additionalPrinterColumns: [{ name: "B", type: "string", jsonPath: ".b" }],
      },
      {
        name: "v1",
        served: true,
        storage: false,
        schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
        subresources: { status: {} },
        additionalPrinterColumns: [{ name: "A", type: "string", jsonPath: ".a" }],
      },
    ]);
  });
});
