// The CRD puller over the real client against a stand-in for a Kubernetes 1.13 API server (its own
// OpenAPI v2 document, its discovery, no /openapi/v3, a v1beta1 CRD, a broken aggregated group).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { API_APPROVED_ANNOTATION } from "../../src/apis/crd-pull/pulled-crd.ts";
import { loadClientConfig } from "../../src/client/kubeconfig-loader.ts";
import { RestClient } from "../../src/client/rest-client.ts";
import { CrdPuller } from "../../src/controllers/crd-puller/crd-puller.ts";
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

let dir: string;
let server: LegacyKubeServer;
let client: RestClient;

beforeAll(async () => {
  dir = tempDir("crd-puller-");
  server = await startLegacyKube({ kubeconfigPath: join(dir, "old.kubeconfig"), crds: [widgetCRD] });
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
