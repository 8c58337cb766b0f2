import { describe, expect, test } from "bun:test";
import { builtinResources } from "../../src/apis/builtin/index.ts";
import type { KObject, RequestContext, ResourceDef } from "../../src/apis/types.ts";
import { checkBuiltinFields, pruneUnknownFields } from "../../src/apis/builtin/builtin-unknown-fields.ts";
import { StatusError } from "../../src/machinery/status.ts";

const defs = builtinResources({} as never);
const def = (group: string, plural: string) =>
  defs.find((d) => d.group === group && d.plural === plural) as ResourceDef;

function ctx(fieldValidation?: RequestContext["fieldValidation"]): RequestContext {
  return { cluster: "admin", user: { username: "u", groups: [] }, dryRun: false, warnings: [], fieldValidation };
}

describe("unknown fields of built-in objects", () => {
  test("found at any depth, through references, map values and list items, and removed", () => {
    const role: Record<string, unknown> = {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: {
        name: "r",
        labels: { a: "b" },
        extra: 1,
        ownerReferences: [{ apiVersion: "v1", kind: "X", name: "n", uid: "u", colour: "red" }],
      },
      rules: [
        { verbs: ["get"], resources: ["pods"] },
        { verbs: ["list"], verb: "typo" },
      ],
      bogus: true,
    };
    expect(pruneUnknownFields("io.k8s.api.rbac.v1.Role", role).sort()).toEqual([
      "bogus",
      "metadata.extra",
      "metadata.ownerReferences[0].colour",
      "rules[1].verb",
    ]);
    expect(role.bogus).toBeUndefined();
    expect((role.rules as Record<string, unknown>[])[1]).toEqual({ verbs: ["list"] });
    expect((role.metadata as Record<string, unknown>).labels).toEqual({ a: "b" });
  });

  test("maps of structs and free-form fields", () => {
    const crd = {
      spec: {
        group: "g",
        versions: [
          {
            name: "v1",
            schema: {
              openAPIV3Schema: {
                type: "object",
                properties: { a: { type: "string", descripton: "typo" } },
                default: { anything: 1 },
              },
            },
          },
        ],
      },
      metadata: { managedFields: [{ manager: "m", fieldsV1: { "f:data": {} } }] },
    };
    expect(
      pruneUnknownFields("io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition", crd),
    ).toEqual(["spec.versions[0].schema.openAPIV3Schema.properties[a].descripton"]);
  });

  test("Strict fails as kube's strict decoder does; Warn warns; Ignore drops silently", () => {
    const body = (): KObject => ({ metadata: { name: "c" }, data: { a: "b" }, spec: {} });
    expect(() => checkBuiltinFields(def("", "configmaps"), body(), ctx("Strict"))).toThrow(StatusError);
    try {
      checkBuiltinFields(def("", "configmaps"), body(), ctx("Strict"));
    } catch (e) {
      expect((e as StatusError).code).toBe(400);
      expect((e as StatusError).message).toBe(
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "spec"',
      );
    }
    const warn = ctx();
    const obj = body();
    checkBuiltinFields(def("", "configmaps"), obj, warn);
    expect(warn.warnings).toEqual(['unknown field "spec"']);
    expect(obj.spec).toBeUndefined();
    const ignore = ctx("Ignore");
    checkBuiltinFields(def("", "configmaps"), body(), ignore);
    expect(ignore.warnings).toEqual([]);
  });

  test("a known body passes untouched", () => {
    const lease: KObject = {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name: "l" },
      spec: { holderIdentity: "h", leaseDurationSeconds: 10 },
    };
    const c = ctx("Strict");
    checkBuiltinFields(def("coordination.k8s.io", "leases"), lease, c);
    expect(lease.spec).toEqual({ holderIdentity: "h", leaseDurationSeconds: 10 });
  });

  test("built-in strategies check bodies on create and update", () => {
    const cms = def("", "configmaps");
    expect(() => cms.strategy.prepareForCreate?.({ metadata: { name: "c" }, nope: 1 }, ctx("Strict"))).toThrow(
      StatusError,
    );
    expect(() =>
      cms.strategy.prepareForUpdate?.({ metadata: { name: "c" }, nope: 1 }, { metadata: { name: "c" } }, ctx("Strict")),
    ).toThrow(StatusError);
  });
});
