// Names, scope, subresources and printer columns of a cluster's resource against the negotiated one.

import { describe, expect, test } from "bun:test";
import { type CommonSpecLike, compareCommonSpecs } from "../../src/apis/negotiation/common-spec-compat.ts";

const deployments: CommonSpecLike = {
  scope: "Namespaced",
  plural: "deployments",
  singular: "deployment",
  kind: "Deployment",
  listKind: "DeploymentList",
  shortNames: ["deploy"],
  categories: ["all"],
  subResources: [{ name: "status" }, { name: "scale" }],
  columnDefinitions: [
    { name: "Ready", type: "string", jsonPath: ".status.readyReplicas" },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
  ],
};

const fields = (e: CommonSpecLike, n: CommonSpecLike) =>
  compareCommonSpecs(e, n).map((x) => [x.reason, x.field, x.message]);

describe("compareCommonSpecs", () => {
  test("the same resource is compatible, and order of lists does not matter", () => {
    expect(
      compareCommonSpecs(deployments, {
        ...deployments,
        subResources: [{ name: "scale" }, { name: "status" }],
        columnDefinitions: [...(deployments.columnDefinitions ?? [])].reverse(),
      }),
    ).toEqual([]);
  });

  test("singular and listKind are compared after kube's defaults", () => {
    expect(compareCommonSpecs(deployments, { ...deployments, singular: undefined, listKind: undefined })).toEqual([]);
    expect(fields(deployments, { ...deployments, singular: "deploymentx" })).toEqual([
      [
        "FieldValueInvalid",
        "spec.singular",
        'singular has been changed in an incompatible way (was "deployment", now "deploymentx")',
      ],
    ]);
  });

  test("plural, kind, listKind and scope must be equal", () => {
    expect(
      fields(deployments, {
        ...deployments,
        plural: "deploys",
        kind: "Deploy",
        listKind: "DeployList",
        scope: "Cluster",
      }),
    ).toEqual([
      [
        "FieldValueInvalid",
        "spec.plural",
        'plural has been changed in an incompatible way (was "deployments", now "deploys")',
      ],
      [
        "FieldValueInvalid",
        "spec.kind",
        'kind has been changed in an incompatible way (was "Deployment", now "Deploy")',
      ],
      [
        "FieldValueInvalid",
        "spec.listKind",
        'listKind has been changed in an incompatible way (was "DeploymentList", now "DeployList")',
      ],
      [
        "FieldValueInvalid",
        "spec.scope",
        'scope has been changed in an incompatible way (was "Namespaced", now "Cluster")',
      ],
    ]);
  });

  test("short names and categories are compared as sets; differences are reported", () => {
    expect(fields(deployments, { ...deployments, shortNames: ["dep", "deploy"], categories: [] })).toEqual([
      ["FieldValueInvalid", "spec.shortNames", 'shortNames have been changed in an incompatible way: added ["dep"]'],
      ["FieldValueInvalid", "spec.categories", 'categories have been changed in an incompatible way: removed ["all"]'],
    ]);
  });

  test("a missing subresource is incompatible, an extra one is not", () => {
    expect(fields(deployments, { ...deployments, subResources: [{ name: "status" }] })).toEqual([
      ["FieldValueInvalid", "spec.subResources", 'subresources have been removed in an incompatible way: ["scale"]'],
    ]);
    expect(fields({ ...deployments, subResources: [] }, deployments)).toEqual([]);
  });

  test("printer columns: matched by name, type and jsonPath compared", () => {
    expect(
      fields(deployments, {
        ...deployments,
        columnDefinitions: [
          { name: "Ready", type: "integer", jsonPath: ".status.readyReplicas" },
          { name: "Extra", type: "string", jsonPath: ".spec.x" },
        ],
      }),
    ).toEqual([
      [
        "FieldValueInvalid",
        "spec.columnDefinitions[Ready]",
        'printer column has been changed in an incompatible way (was type "string" at ".status.readyReplicas", now type "integer" at ".status.readyReplicas")',
      ],
      ["FieldValueInvalid", "spec.columnDefinitions[Age]", "printer column has been removed in an incompatible way"],
    ]);
  });

  test("lists that are not lists of names are reported, not trusted", () => {
    const bad = { ...deployments, shortNames: "deploy" } as unknown as CommonSpecLike;
    expect(fields(deployments, bad)).toEqual([
      ["FieldValueForbidden", "spec.shortNames", "is not a list of names the negotiation understands"],
    ]);
  });
});
