// Serving a CRD: names acceptance and conditions, the ResourceDefs built per served version, and
// the custom resource strategy (pruning with fieldValidation, defaulting, status split, scale).

import { describe, expect, test } from "bun:test";
import { CUSTOM_RESOURCE_CAPABILITIES } from "../../src/apis/capabilities.ts";
import { compileSchema } from "../../src/apis/crd/compiled-schema.ts";
import { acceptedNamesOf, conditionsOf } from "../../src/apis/crd/crd-spec.ts";
import { customResourceDefs, defaultDeprecationWarning } from "../../src/apis/crd/custom-resource-defs.ts";
import { crdSpec } from "../../src/apis/crd/crd-spec.ts";
import type { KObject, RequestContext, ResourceDef } from "../../src/apis/types.ts";
import { acceptNames, claimedNames } from "../../src/controllers/crd/names-acceptance.ts";
import { fieldErrorText, StatusError } from "../../src/machinery/status.ts";

function crd(name: string, names: Record<string, unknown>, versions?: Record<string, unknown>[]): KObject {
  return {
    metadata: { name: `${name}.example.com`, uid: `uid-${name}`, generation: 1 },
    spec: {
      group: "example.com",
      scope: "Namespaced",
      names: { listKind: `${names.kind}List`, singular: String(names.kind).toLowerCase(), ...names },
      versions: versions ?? [
        { name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object" } } },
      ],
    },
    status: { acceptedNames: { plural: "", kind: "" }, storedVersions: ["v1"] },
  };
}

describe("names acceptance", () => {
  test("fresh names are accepted and the CRD is established", () => {
    const c = crd("widgets", { plural: "widgets", kind: "Widget", shortNames: ["wd"], categories: ["all"] });
    acceptNames(c, claimedNames([]));
    expect((c.status as Record<string, unknown>).acceptedNames).toEqual({
      plural: "widgets",
      singular: "widget",
      shortNames: ["wd"],
      kind: "Widget",
      listKind: "WidgetList",
      categories: ["all"],
    });
    expect(conditionsOf(c).map((x) => [x.type, x.status, x.reason, x.message])).toEqual([
      ["NamesAccepted", "True", "NoConflicts", "no conflicts found"],
      ["Established", "True", "InitialNamesAccepted", "the initial names have been accepted"],
    ]);
  });

  test("names held by another CRD of the group conflict", () => {
    const first = crd("widgets", { plural: "widgets", kind: "Widget", shortNames: ["w"] });
    const firstNames = acceptNames(first, claimedNames([]));
    const second = crd("gadgets", { plural: "gadgets", kind: "Widget", shortNames: ["w", "g"] });
    acceptNames(second, claimedNames([firstNames]));
    expect(conditionsOf(second).map((x) => [x.type, x.status, x.reason, x.message])).toEqual([
      ["NamesAccepted", "False", "ListKindConflict", '"WidgetList" is already in use'],
      ["Established", "False", "NotAccepted", "not all names are accepted"],
    ]);
    // What did not conflict is still granted.
    expect(acceptedNamesOf(second).plural).toBe("gadgets");
    expect(acceptedNamesOf(second).kind).toBe("");
    const third = crd("things", { plural: "things", kind: "Thing", shortNames: ["w"] });
    acceptNames(third, claimedNames([firstNames]));
    expect(conditionsOf(third)[0]?.message).toBe('"w" is already in use');
  });
});

const ctx = (over: Partial<RequestContext> = {}): RequestContext => ({
  cluster: "admin",
  user: { username: "u", groups: [] },
  dryRun: false,
  warnings: [],
  fieldValidation: "Warn",
  ...over,
});

function served(versions: Record<string, unknown>[]): ResourceDef[] {
  const c = crd("widgets", { plural: "widgets", kind: "Widget", shortNames: ["wd"] }, versions);
  acceptNames(c, claimedNames([]));
  return customResourceDefs(c, (_crd, v) => compileSchema(v.schema ?? { type: "object" }));
}

const schema = {
  type: "object",
  properties: {
    spec: {
      type: "object",
      properties: { replicas: { type: "integer", minimum: 0 }, color: { type: "string", default: "blue" } },
    },
    status: { type: "object", properties: { replicas: { type: "integer" } } },
  },
};

describe("custom resource definitions per version", () => {
  const defs = served([
    {
      name: "v1",
      served: true,
      storage: true,
      schema: { openAPIV3Schema: schema },
      subresources: {
        status: {},
        scale: { specReplicasPath: ".spec.replicas", statusReplicasPath: ".status.replicas" },
      },
      additionalPrinterColumns: [{ name: "Replicas", type: "integer", jsonPath: ".spec.replicas" }],
    },
    {
      name: "v1beta1",
      served: true,
      storage: false,
      deprecated: true,
      schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
    },
    { name: "v1alpha1", served: false, storage: false, schema: { openAPIV3Schema: { type: "object" } } },
  ]);
  const v1 = defs[0] as ResourceDef;

  test("served versions, names, subresources, columns, deprecation", () => {
    expect(defs.map((d) => d.version)).toEqual(["v1", "v1beta1"]);
    expect(v1).toMatchObject({
      group: "example.com",
      plural: "widgets",
      kind: "Widget",
      namespaced: true,
      shortNames: ["wd"],
      storageVersion: true,
      source: "crd",
    });
    expect(v1.storage).toEqual({ group: "example.com", resource: "widgets" });
    expect(v1.capabilities).toBe(CUSTOM_RESOURCE_CAPABILITIES);
    expect(v1.subresources.map((s) => s.name)).toEqual(["status", "scale"]);
    expect(v1.printerColumns).toEqual([{ name: "Replicas", type: "integer", jsonPath: ".spec.replicas" }]);
    expect(defs[1]?.deprecationWarning).toBe("example.com/v1beta1 Widget is deprecated; use example.com/v1 Widget");
    expect((v1.openAPISchema as Record<string, unknown>)["x-kubernetes-group-version-kind"]).toEqual([
      { group: "example.com", kind: "Widget", version: "v1" },
    ]);
  });

  test("create: unknown fields pruned and reported per fieldValidation, defaults applied", () => {
    const obj = (): KObject => ({
      apiVersion: "example.com/v1",
      kind: "Widget",
      metadata: { name: "w", bogus: 1 },
      spec: { replicas: 1, extra: 2 },
    });
    const warn = ctx();
    const o = obj();
    v1.strategy.prepareForCreate?.(o, warn);
    expect(o).toEqual({
      apiVersion: "example.com/v1",
      kind: "Widget",
      metadata: { name: "w" },
      spec: { replicas: 1, color: "blue" },
    } as never);
    expect(warn.warnings).toEqual(['unknown field "metadata.bogus"', 'unknown field "spec.extra"']);
    const ignore = ctx({ fieldValidation: "Ignore" });
    v1.strategy.prepareForCreate?.(obj(), ignore);
    expect(ignore.warnings).toEqual([]);
    try {
      v1.strategy.prepareForCreate?.(obj(), ctx({ fieldValidation: "Strict" }));
      throw new Error("expected a strict decoding error");
    } catch (e) {
      expect(e).toBeInstanceOf(StatusError);
      expect((e as StatusError).code).toBe(400);
      expect((e as StatusError).message).toBe(
        'Widget in version "v1" cannot be handled as a Widget: strict decoding error: unknown field "metadata.bogus", unknown field "spec.extra"',
      );
    }
  });

  test("validation covers the schema and the scale paths", () => {
    const o: KObject = { metadata: { name: "w" }, spec: { replicas: -1 } };
    expect((v1.strategy.validate?.(o, ctx()) ?? []).map(fieldErrorText)).toEqual([
      "spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or equal to 0",
      ".spec.replicas: Invalid value: -1: should be a non-negative integer",
    ]);
  });

  test("/status changes only status; the scale view", () => {
    const old: KObject = {
      apiVersion: "example.com/v1",
      kind: "Widget",
      metadata: { name: "w", namespace: "default", uid: "u", resourceVersion: "5", labels: { a: "b" } },
      spec: { replicas: 2, color: "red" },
    };
    const desired: KObject = {
      ...structuredClone(old),
      metadata: { name: "w", labels: { changed: "yes" } },
      spec: { replicas: 9 },
      status: { replicas: 2 },
    };
    v1.strategy.prepareForStatusUpdate?.(desired, old, ctx());
    expect(desired.spec).toEqual({ replicas: 2, color: "red" });
    expect(desired.metadata.labels).toEqual({ a: "b" });
    expect(desired.status).toEqual({ replicas: 2 });
    const scale = v1.subresources.find((s) => s.name === "scale");
    expect(scale?.view?.(desired) as unknown).toEqual({
      kind: "Scale",
      apiVersion: "autoscaling/v1",
      metadata: { name: "w", namespace: "default", uid: "u", resourceVersion: "5", creationTimestamp: null },
      spec: { replicas: 2 },
      status: { replicas: 2 },
    });
    const next = scale?.fromView?.({ metadata: { name: "w" }, spec: { replicas: 4 } } as KObject, desired);
    expect(next?.spec).toEqual({ replicas: 4, color: "red" });
  });

  test("reads are defaulted and pruned by the storage schema", () => {
    const read = v1.onRead?.({ metadata: { name: "w" }, spec: { stray: 1 } } as KObject);
    expect(read?.spec).toEqual({ color: "blue" });
  });
});

describe("deprecation warnings", () => {
  test("kube's default text names the best served, non-deprecated version", () => {
    const c = crd("widgets", { plural: "widgets", kind: "Widget" }, [
      { name: "v1alpha1", served: true, deprecated: true },
      { name: "v1beta2", served: true },
      { name: "v1", served: false },
      { name: "v2", served: true, deprecated: true },
    ]);
    const spec = crdSpec(c);
    expect(defaultDeprecationWarning(spec, "v1alpha1")).toBe(
      "example.com/v1alpha1 Widget is deprecated; use example.com/v1beta2 Widget",
    );
    expect(defaultDeprecationWarning(spec, "v2")).toBe("example.com/v2 Widget is deprecated");
  });
});

describe("conversion and deletion", () => {
  test("webhook conversion is not supported: only the storage version serves objects", () => {
    const c = crd("widgets", { plural: "widgets", kind: "Widget" }, [
      { name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object" } } },
      { name: "v2", served: true, storage: false, schema: { openAPIV3Schema: { type: "object" } } },
    ]);
    (c.spec as Record<string, unknown>).conversion = {
      strategy: "Webhook",
      webhook: { clientConfig: { url: "https://x" }, conversionReviewVersions: ["v1"] },
    };
    acceptNames(c, claimedNames([]));
    const [v1, v2] = customResourceDefs(c, (_crd, v) => compileSchema(v.schema ?? { type: "object" }));
    expect(v1?.onRead?.({ metadata: { name: "a" } } as KObject).metadata.name).toBe("a");
    try {
      v2?.onRead?.({ metadata: { name: "a" } } as KObject);
      throw new Error("expected a conversion error");
    } catch (e) {
      expect((e as StatusError).code).toBe(500);
      expect((e as StatusError).message).toBe(
        "Internal error occurred: conversion webhook for example.com/v1, Kind=Widget failed: webhook conversion is not supported by this server",
      );
    }
  });

  test("deleting a CRD adds the cleanup finalizer and a Terminating condition", async () => {
    const { apiextensionsResources } = await import("../../src/apis/builtin/apiextensions.ts");
    const def = apiextensionsResources()[0] as ResourceDef;
    const c = crd("widgets", { plural: "widgets", kind: "Widget" });
    def.strategy.prepareForDelete?.(c);
    expect(c.metadata.finalizers).toEqual(["customresourcecleanup.apiextensions.k8s.io"]);
    expect(conditionsOf(c).map((x) => [x.type, x.status, x.reason])).toEqual([
      ["Terminating", "True", "InstanceDeletionPending"],
    ]);
  });
});
