// CRDs for Kubernetes' own kinds: the dotless groups Kubernetes uses (apps, batch, …) and the core
// group (`<plural>.core`, spec.group "") are accepted; other dotless groups are not; and no CRD may
// shadow a resource kcp serves natively, checked through the real CRD strategy. CRs of Kubernetes'
// kinds take strategic merge patches, their lists merged by keys derived from the CRD schema.

import { describe, expect, test } from "bun:test";
import { builtinResources } from "../../src/apis/builtin/index.ts";
import { validateCRD, validateCRDUpdate } from "../../src/apis/crd/crd-validation.ts";
import { isKubernetesGroup } from "../../src/apis/crd/kube-groups.ts";
import { validateNotShadowingNative } from "../../src/apis/crd/native-shadowing.ts";
import { withDerivedPatchStrategies } from "../../src/apis/crd/strategic-merge-schema.ts";
import type { KObject, ResourceDef } from "../../src/apis/types.ts";
import { fieldErrorText } from "../../src/machinery/status.ts";

const defs = builtinResources({} as never);
const crdStrategy = (defs.find((d) => d.plural === "customresourcedefinitions") as ResourceDef).strategy;

function crd(group: string, plural: string, kind: string, extra: { name?: string; versions?: string[] } = {}): KObject {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: extra.name ?? `${plural}.${group || "core"}` },
    spec: {
      group,
      scope: "Namespaced",
      names: { plural, singular: plural.replace(/s$/, ""), kind, listKind: `${kind}List` },
      versions: (extra.versions ?? ["v1"]).map((name, i) => ({
        name,
        served: true,
        storage: i === 0,
        schema: { openAPIV3Schema: { type: "object" } },
      })),
    },
    status: { storedVersions: ["v1"] },
  };
}

const texts = (o: KObject) => validateCRD(o).map(fieldErrorText);
const strategyTexts = (o: KObject) => (crdStrategy.validate?.(o, {} as never) ?? []).map(fieldErrorText);

describe("groups of Kubernetes' own APIs", () => {
  test("dotless Kubernetes groups are accepted", () => {
    for (const [group, plural, kind] of [
      ["apps", "deployments", "Deployment"],
      ["batch", "jobs", "Job"],
      ["policy", "poddisruptionbudgets", "PodDisruptionBudget"],
      ["autoscaling", "horizontalpodautoscalers", "HorizontalPodAutoscaler"],
      ["extensions", "ingresses", "Ingress"],
    ] as const) {
      expect(texts(crd(group, plural, kind))).toEqual([]);
    }
  });

  test("other dotless groups stay refused", () => {
    expect(texts(crd("widgets", "things", "Thing"))).toEqual([
      'spec.group: Invalid value: "widgets": should be a domain with at least one dot',
    ]);
    // `core` is the name segment of the core group, not a group of its own.
    expect(texts(crd("core", "pods", "Pod"))).toEqual([
      'spec.group: Invalid value: "core": should be a domain with at least one dot',
    ]);
  });

  test('the core group is spec.group "" with metadata.name <plural>.core, version v1 only', () => {
    expect(texts(crd("", "pods", "Pod"))).toEqual([]);
    expect(texts(crd("", "pods", "Pod", { name: "pods" }))).toEqual([
      'metadata.name: Invalid value: "pods": must be spec.names.plural+"."+spec.group',
      "spec.group: Required value",
    ]);
    expect(texts(crd("", "pods", "Pod", { versions: ["v1", "v2"] }))).toEqual([
      'spec.versions[1].name: Invalid value: "v2": the core group (spec.group "") is served only in version v1, under /api/v1',
    ]);
  });

  test("the group stays immutable, the core group included", () => {
    const before = crd("", "pods", "Pod");
    const after = crd("apps", "pods", "Pod", { name: "pods.core" });
    expect(validateCRDUpdate(after, before).map(fieldErrorText)).toContain(
      'spec.group: Invalid value: "apps": field is immutable',
    );
  });
});

describe("no CRD shadows a native resource", () => {
  test("configmaps.core is refused by the CRD strategy, naming the built-in once", () => {
    expect(strategyTexts(crd("", "configmaps", "ConfigMap"))).toEqual([
      'spec.names.plural: Invalid value: "configmaps": must not shadow the built-in resource "configmaps" (v1 ConfigMap) that kcp serves natively: a CustomResourceDefinition cannot redefine it',
    ]);
  });

  test("natives of other groups, by resource name or by kind", () => {
    expect(strategyTexts(crd("coordination.k8s.io", "leases", "Lease"))).toContain(
      'spec.names.plural: Invalid value: "leases": must not shadow the built-in resource "leases" (coordination.k8s.io/v1 Lease) that kcp serves natively: a CustomResourceDefinition cannot redefine it',
    );
    expect(strategyTexts(crd("rbac.authorization.k8s.io", "myroles", "Role"))).toContain(
      'spec.names.kind: Invalid value: "Role": must not shadow the built-in resource "roles" (rbac.authorization.k8s.io/v1 Role) that kcp serves natively: a CustomResourceDefinition cannot redefine it',
    );
    const shortName = crd("", "things", "Thing");
    (shortName.spec as { names: Record<string, unknown> }).names.shortNames = ["th", "ns"];
    expect(strategyTexts(shortName)).toEqual([
      'spec.names.shortNames[1]: Invalid value: "ns": must not shadow the built-in resource "namespaces" (v1 Namespace) that kcp serves natively: a CustomResourceDefinition cannot redefine it',
    ]);
  });

  test("the same names in another group are fine, and so are Kubernetes kinds kcp does not serve", () => {
    expect(validateNotShadowingNative(crd("example.com", "configmaps", "ConfigMap"), defs)).toEqual([]);
    expect(strategyTexts(crd("", "pods", "Pod"))).toEqual([]);
    expect(strategyTexts(crd("apps", "deployments", "Deployment"))).toEqual([]);
  });

  test("an update is checked too", () => {
    const old = crd("", "things", "Thing");
    const next = crd("", "things", "Secret");
    expect((crdStrategy.validateUpdate?.(next, old, {} as never) ?? []).map(fieldErrorText)).toContain(
      'spec.names.kind: Invalid value: "Secret": must not shadow the built-in resource "secrets" (v1 Secret) that kcp serves natively: a CustomResourceDefinition cannot redefine it',
    );
  });
});

describe("strategic merge patch for Kubernetes kinds served by CRDs", () => {
  test("map lists merge by their first key, set lists as unions, others stay replaced", () => {
    const s = withDerivedPatchStrategies({
      type: "object",
      properties: {
        containers: {
          type: "array",
          "x-kubernetes-list-type": "map",
          "x-kubernetes-list-map-keys": ["name"],
          items: {
            type: "object",
            properties: {
              ports: {
                type: "array",
                "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["containerPort", "protocol"],
                items: { type: "object" },
              },
              args: { type: "array", items: { type: "string" } },
            },
          },
        },
        finalizers: { type: "array", "x-kubernetes-list-type": "set", items: { type: "string" } },
      },
    }) as Record<string, any>;
    const containers = s.properties.containers;
    expect([containers["x-kubernetes-patch-strategy"], containers["x-kubernetes-patch-merge-key"]]).toEqual([
      "merge",
      "name",
    ]);
    const ports = containers.items.properties.ports;
    expect([ports["x-kubernetes-patch-strategy"], ports["x-kubernetes-patch-merge-key"]]).toEqual([
      "merge",
      "containerPort",
    ]);
    expect(containers.items.properties.args["x-kubernetes-patch-strategy"]).toBeUndefined();
    expect(s.properties.finalizers["x-kubernetes-patch-strategy"]).toBe("merge");
  });

  test("only CRDs in Kubernetes' groups take strategic merge patches", () => {
    expect(["", "apps", "batch", "networking.k8s.io"].map(isKubernetesGroup)).toEqual([true, true, true, true]);
    expect(["example.com", "widgets", "k8s.io.example.com"].map(isKubernetesGroup)).toEqual([false, false, false]);
  });
});

test("a CRD stored before the no-shadowing rule can still be updated (the finalizer removed)", () => {
  const old = crd("coordination.k8s.io", "leases", "Lease");
  const next = structuredClone(old);
  next.metadata.finalizers = [];
  expect((crdStrategy.validateUpdate?.(next, old, {} as never) ?? []).map(fieldErrorText)).not.toContainEqual(
    expect.stringContaining("must not shadow"),
  );
});
