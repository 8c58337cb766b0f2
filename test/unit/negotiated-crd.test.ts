// The CRD side of negotiation (src/controllers/negotiation/negotiated-crd.ts) and the conditions
// helper: the CRD built from a negotiated resource, versions added and removed with the storage
// version decided in Kubernetes' version order, a user's CRD read back as the enforced spec, and
// what a CRD's state says about publishing.
import { describe, expect, test } from "bun:test";
import type { NegotiatedAPIResourceSpec } from "../../src/apis/builtin/apiresource.ts";
import type { KObject } from "../../src/apis/types.ts";
import { workloadCRDs } from "../../src/apis/workload-crds/workload-crds.ts";
import { withCondition } from "../../src/controllers/negotiation/conditions.ts";
import {
  enforcedSpecOf,
  isManualCRD,
  newCRDFor,
  publishingState,
  withNegotiatedVersion,
  withoutNegotiatedVersion,
} from "../../src/controllers/negotiation/negotiated-crd.ts";

type Json = Record<string, any>;

const schema = { type: "object", properties: { spec: { type: "object" } } };

function spec(version: string, group = "example.com"): NegotiatedAPIResourceSpec {
  return {
    groupVersion: { group, version },
    scope: "Namespaced",
    plural: "widgets",
    singular: "widget",
    kind: "Widget",
    listKind: "WidgetList",
    shortNames: ["wd"],
    openAPIV3Schema: schema,
    subResources: [{ name: "status" }, { name: "scale" }],
    columnDefinitions: [
      { name: "Ready", type: "string", jsonPath: ".status.ready", priority: 0 },
      { name: "Broken", type: "string", jsonPath: "" },
    ],
    publish: true,
  };
}

const owner = (version: string) => ({ name: `widgets.${version}.example.com`, uid: `uid-${version}` });

function versions(crd: KObject | undefined): [string, boolean][] {
  if (!crd) throw new Error("no CRD");
  return ((crd.spec as Json).versions as Json[]).map((v) => [v.name, v.storage]);
}

describe("the CRD of a negotiated resource", () => {
  test("a new CRD: one version, owned by the NAR (controller), columns with a jsonPath only", () => {
    const crd = newCRDFor(owner("v1"), spec("v1"));
    expect(crd.metadata).toEqual({
      name: "widgets.example.com",
      ownerReferences: [
        {
          apiVersion: "apiresource.kcp.dev/v1alpha1",
          kind: "NegotiatedAPIResource",
          name: "widgets.v1.example.com",
          uid: "uid-v1",
          controller: true,
        },
      ],
    });
    expect(crd.spec).toEqual({
      group: "example.com",
      scope: "Namespaced",
      names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList", shortNames: ["wd"] },
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          schema: { openAPIV3Schema: schema },
          subresources: {
            status: {},
            scale: { specReplicasPath: ".spec.replicas", statusReplicasPath: ".status.replicas" },
          },
          additionalPrinterColumns: [{ name: "Ready", type: "string", jsonPath: ".status.ready" }],
        },
      ],
    });
    expect(isManualCRD(crd)).toBe(false);
  });

  test('the core group\'s CRD is <plural>.core with group ""; protected groups get the approval annotation', () => {
    const core = newCRDFor({ name: "widgets.v1.core", uid: "u" }, spec("v1", "core"));
    expect(core.metadata.name).toBe("widgets.core");
    expect((core.spec as Json).group).toBe("");
    const k8s = newCRDFor({ name: "widgets.v1.x.k8s.io", uid: "u" }, spec("v1", "x.k8s.io"));
    expect(k8s.metadata.annotations).toEqual({
      "api-approved.kubernetes.io": "https://github.com/kcp-dev/kubernetes/pull/4",
    });
  });

  test("an older version joins without taking storage; a newer one takes it", () => {
    const v1 = newCRDFor(owner("v1"), spec("v1"));
    const withBeta = withNegotiatedVersion(v1, owner("v1beta1"), spec("v1beta1"));
    expect(versions(withBeta)).toEqual([
      ["v1", true],
      ["v1beta1", false],
    ]);
    // Only one reference is the controller.
    expect(((withBeta.metadata.ownerReferences ?? []) as Json[]).map((r) => [r.name, r.controller ?? false])).toEqual([
      ["widgets.v1.example.com", true],
      ["widgets.v1beta1.example.com", false],
    ]);
    const beta = newCRDFor(owner("v1beta1"), spec("v1beta1"));
    expect(versions(withNegotiatedVersion(beta, owner("v1"), spec("v1")))).toEqual([
      ["v1beta1", false],
      ["v1", true],
    ]);
    // The input is not changed.
    expect(versions(v1)).toEqual([["v1", true]]);
  });

  test("the same version is replaced in place, keeping the CRD's other versions", () => {
    const crd = withNegotiatedVersion(newCRDFor(owner("v1"), spec("v1")), owner("v1beta1"), spec("v1beta1"));
    const narrower = { ...spec("v1beta1"), openAPIV3Schema: { type: "object" } };
    const next = withNegotiatedVersion(crd, { ...owner("v1beta1"), uid: "new-uid" }, narrower);
    expect(versions(next)).toEqual([
      ["v1", true],
      ["v1beta1", false],
    ]);
    expect((next.spec as Json).versions[1].schema.openAPIV3Schema).toEqual({ type: "object" });
    expect((next.metadata.ownerReferences as Json[]).map((r) => r.uid)).toEqual(["uid-v1", "new-uid"]);
  });

  test("submitting each version again changes nothing: the references keep their order", () => {
    // Moving a resubmitted reference to the end handed the controller flag back and forth, two
    // negotiated resources rewriting the CRD after each other without end.
    const both = withNegotiatedVersion(newCRDFor(owner("v1"), spec("v1")), owner("v1beta1"), spec("v1beta1"));
    const again = withNegotiatedVersion(both, owner("v1"), spec("v1"));
    expect(again.metadata).toEqual(both.metadata);
    expect(again.spec).toEqual(both.spec);
    expect(withNegotiatedVersion(again, owner("v1beta1"), spec("v1beta1")).metadata).toEqual(both.metadata);
  });

  test("removing a version: the newest remaining one becomes storage; the last one goes with the CRD", () => {
    const both = withNegotiatedVersion(newCRDFor(owner("v1"), spec("v1")), owner("v1beta1"), spec("v1beta1"));
    const left = withoutNegotiatedVersion(both, owner("v1").name, "v1");
    expect(versions(left)).toEqual([["v1beta1", true]]);
    expect(left?.metadata.ownerReferences).toEqual([
      {
        apiVersion: "apiresource.kcp.dev/v1alpha1",
        kind: "NegotiatedAPIResource",
        name: "widgets.v1beta1.example.com",
        uid: "uid-v1beta1",
        controller: true,
      },
    ]);
    expect(withoutNegotiatedVersion(newCRDFor(owner("v1"), spec("v1")), owner("v1").name, "v1")).toBeUndefined();
  });
});

describe("a user's CRD", () => {
  const deployments = workloadCRDs().find((c) => c.metadata.name === "deployments.apps") as KObject;

  test("is manual, and its version is read back as the negotiated spec", () => {
    expect(isManualCRD(deployments)).toBe(true);
    const s = enforcedSpecOf(deployments, "v1");
    expect(s?.groupVersion).toEqual({ group: "apps", version: "v1" });
    expect([s?.plural, s?.kind, s?.scope, s?.shortNames]).toEqual([
      "deployments",
      "Deployment",
      "Namespaced",
      ["deploy"],
    ]);
    expect(s?.subResources).toEqual([{ name: "status" }, { name: "scale" }]);
    // The ready-made Deployment CRD declares no columns (kcp prints kube's); a CRD's columns are read back.
    expect(s?.columnDefinitions ?? []).toEqual([]);
    const cronJobs = workloadCRDs().find((c) => c.metadata.name === "cronjobs.batch") as KObject;
    expect(enforcedSpecOf(cronJobs, "v1")?.columnDefinitions?.[0]).toEqual({
      name: "Schedule",
      type: "string",
      jsonPath: ".spec.schedule",
    });
    expect(s?.openAPIV3Schema).toEqual((deployments.spec as Json).versions[0].schema.openAPIV3Schema);
    expect(enforcedSpecOf(deployments, "v1beta1")).toBeUndefined();
  });
});

describe("publishing state", () => {
  const crd = (conditions: Json[], extra: Json = {}): KObject => ({
    ...newCRDFor(owner("v1"), spec("v1")),
    status: { conditions },
    ...extra,
  });
  const ok = [
    { type: "NamesAccepted", status: "True" },
    { type: "Established", status: "True" },
  ];

  test("Published only when Established, NamesAccepted, structural, not terminating, version served", () => {
    expect(publishingState(crd(ok), "v1").status).toBe("True");
    expect(publishingState(crd(ok), "v2")).toMatchObject({ status: "False", reason: "VersionNotServed" });
    expect(publishingState(crd([ok[0]]), "v1")).toMatchObject({ status: "False", reason: "NotEstablished" });
    expect(
      publishingState(crd([{ type: "NamesAccepted", status: "False", message: "taken" }, ok[1]]), "v1"),
    ).toMatchObject({ status: "False", reason: "NamesNotAccepted", message: "taken" });
    expect(publishingState(crd([...ok, { type: "NonStructuralSchema", status: "True" }]), "v1").reason).toBe(
      "NonStructuralSchema",
    );
    const terminating = crd(ok);
    terminating.metadata.deletionTimestamp = "2026-01-01T00:00:00Z";
    expect(publishingState(terminating, "v1").reason).toBe("Terminating");
  });
});

describe("conditions", () => {
  test("lastTransitionTime moves with the status only", () => {
    const one = withCondition([], { type: "Compatible", status: "True", reason: "R", message: "" }, "t1");
    const same = withCondition(one, { type: "Compatible", status: "True", reason: "R2", message: "m" }, "t2");
    expect(same).toEqual([
      { type: "Compatible", status: "True", lastTransitionTime: "t1", reason: "R2", message: "m" },
    ]);
    const flipped = withCondition(same, { type: "Compatible", status: "False", reason: "R", message: "" }, "t3");
    expect(flipped[0].lastTransitionTime).toBe("t3");
    expect(one[0].lastTransitionTime).toBe("t1");
  });
});
