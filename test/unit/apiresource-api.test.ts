// The apiresource.kcp.dev kinds (APIResourceImport, NegotiatedAPIResource) served in every logical
// cluster without a CRD: spec validation, names tied to the resource they describe, the status
// split, pruning outside the schema while the schema itself is kept whole, and the name helpers.
import { afterAll, beforeAll, expect, test } from "bun:test";
import {
  apiVersionOf,
  crdNameFor,
  importName,
  negotiatedName,
  strategyAllowsUpdate,
} from "../../src/apis/builtin/apiresource.ts";
import { type InMemoryApp, inMemoryApp, TEST_TOKEN } from "../helpers/in-memory-app.ts";

const headers = { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json" };
let a: InMemoryApp;

beforeAll(async () => {
  a = await inMemoryApp();
});
afterAll(() => a.close());

const base = (lc: string, res: string) => `/clusters/${lc}/apis/apiresource.kcp.dev/v1alpha1/${res}`;

async function call(method: string, path: string, body?: unknown, extra: Record<string, string> = {}) {
  const res = await a.app.request(path, {
    method,
    headers: { ...headers, ...extra },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any>, warning: res.headers.get("warning") };
}

const schema = {
  type: "object",
  properties: { spec: { type: "object", properties: { replicas: { type: "integer" } } } },
};

const common = {
  groupVersion: { group: "apps", version: "v1" },
  scope: "Namespaced",
  plural: "deployments",
  singular: "deployment",
  kind: "Deployment",
  listKind: "DeploymentList",
  shortNames: ["deploy"],
  openAPIV3Schema: schema,
  subResources: [{ name: "status" }, { name: "scale" }],
};

const anImport = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: "apiresource.kcp.dev/v1alpha1",
  kind: "APIResourceImport",
  metadata: { name },
  spec,
});

test("names follow the seed's conventions; the core group is spelt core", () => {
  expect(importName("deployments", "us-east1", "v1", "apps")).toBe("deployments.us-east1.v1.apps");
  expect(importName("pods", "east", "v1", "")).toBe("pods.east.v1.core");
  expect(negotiatedName("pods", "v1", "core")).toBe("pods.v1.core");
  expect(negotiatedName("deployments", "v1", "apps")).toBe("deployments.v1.apps");
  expect(crdNameFor("pods", undefined)).toBe("pods.core");
  expect(apiVersionOf("core", "v1")).toBe("v1");
  expect(apiVersionOf("apps", "v1")).toBe("apps/v1");
});

test("the strategies: never, only while unpublished, always; anything else never", () => {
  expect([false, true].map((p) => strategyAllowsUpdate("UpdateNever", p))).toEqual([false, false]);
  expect([false, true].map((p) => strategyAllowsUpdate("UpdateUnpublished", p))).toEqual([true, false]);
  expect([false, true].map((p) => strategyAllowsUpdate("UpdatePublished", p))).toEqual([true, true]);
  expect(strategyAllowsUpdate("", false)).toBe(false);
  expect(strategyAllowsUpdate(undefined, false)).toBe(false);
});

test("an import is created in any logical cluster; status on create is dropped; its schema is kept whole", async () => {
  const odd = { ...schema, "x-kubernetes-whatever": { deep: [1, 2] } };
  const r = await call("POST", base("team-a", "apiresourceimports"), {
    ...anImport("deployments.east.v1.apps", { ...common, openAPIV3Schema: odd, location: "east" }),
    status: { conditions: [{ type: "Compatible", status: "True" }] },
  });
  expect(r.status).toBe(201);
  expect(r.body.status).toBeUndefined();
  expect(r.body.spec.openAPIV3Schema).toEqual(odd);
  expect((await call("GET", `${base("team-b", "apiresourceimports")}/deployments.east.v1.apps`)).status).toBe(404);
  // The status subresource sets conditions; the main resource cannot.
  const put = await call("PUT", `${base("team-a", "apiresourceimports")}/deployments.east.v1.apps/status`, {
    ...r.body,
    status: { conditions: [{ type: "Compatible", status: "True", reason: "SchemaCompatible", message: "" }] },
  });
  expect(put.status).toBe(200);
  expect(put.body.status.conditions[0].type).toBe("Compatible");
  const main = await call("PUT", `${base("team-a", "apiresourceimports")}/deployments.east.v1.apps`, {
    ...put.body,
    status: {},
  });
  expect(main.status).toBe(200);
  expect(main.body.status.conditions).toHaveLength(1);
});

test("bad specs are refused with field causes", async () => {
  const r = await call(
    "POST",
    base("team-a", "apiresourceimports"),
    anImport("x", {
      groupVersion: { group: "apps" },
      scope: "Everywhere",
      plural: "Deployments",
      openAPIV3Schema: "no",
      subResources: [{ name: "logs" }],
      schemaUpdateStrategy: "Sometimes",
    }),
  );
  expect(r.status).toBe(422);
  expect(r.body.reason).toBe("Invalid");
  const causes = (r.body.details.causes as { field: string; reason: string }[]).map((c) => `${c.field} ${c.reason}`);
  expect(causes).toEqual([
    "spec.groupVersion.version FieldValueRequired",
    "spec.scope FieldValueNotSupported",
    "spec.kind FieldValueRequired",
    "spec.plural FieldValueInvalid",
    "spec.openAPIV3Schema FieldValueTypeInvalid",
    "spec.subResources[0].name FieldValueNotSupported",
    "spec.location FieldValueRequired",
    "spec.schemaUpdateStrategy FieldValueNotSupported",
  ]);
});

test("the name must say which location and resource: one import per location and GVR", async () => {
  const r = await call(
    "POST",
    base("team-a", "apiresourceimports"),
    anImport("my-import", { ...common, location: "west" }),
  );
  expect(r.status).toBe(422);
  expect(r.body.details.causes).toEqual([
    {
      field: "metadata.name",
      reason: "FieldValueInvalid",
      message:
        'Invalid value: "my-import": must be <plural>.<location>.<version>.<group|core>: "deployments.west.v1.apps"',
    },
  ]);
});

test("a negotiated resource: publish is a boolean, its name is <plural>.<version>.<group|core>", async () => {
  const nar = (name: string, spec: Record<string, unknown>) => ({
    apiVersion: "apiresource.kcp.dev/v1alpha1",
    kind: "NegotiatedAPIResource",
    metadata: { name },
    spec,
  });
  const bad = await call(
    "POST",
    base("team-a", "negotiatedapiresources"),
    nar("deployments.v1.apps", { ...common, publish: "yes" }),
  );
  expect(bad.status).toBe(422);
  const wrong = await call("POST", base("team-a", "negotiatedapiresources"), nar("deployments.apps", { ...common }));
  expect(wrong.status).toBe(422);
  const core = await call(
    "POST",
    base("team-a", "negotiatedapiresources"),
    nar("configmaps.v1.core", {
      ...common,
      groupVersion: { group: "core", version: "v1" },
      plural: "configmaps",
      kind: "ConfigMap",
      singular: "configmap",
      listKind: "ConfigMapList",
      shortNames: ["cm"],
    }),
  );
  expect(core.status).toBe(201);
  // Unknown fields outside the schema are dropped with a warning.
  const ok = await call(
    "POST",
    base("team-a", "negotiatedapiresources"),
    nar("deployments.v1.apps", { ...common, publish: true, extra: 1 }),
  );
  expect(ok.status).toBe(201);
  expect(ok.body.spec.extra).toBeUndefined();
  expect(ok.warning).toContain('unknown field \\"spec.extra\\"');
});
