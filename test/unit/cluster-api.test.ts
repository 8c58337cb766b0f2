// The Cluster kind (cluster.example.dev/v1alpha1) served in every logical cluster without a CRD:
// validation of spec, the status split, pruning of unknown fields, and its printer columns.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { type InMemoryApp, inMemoryApp, TEST_TOKEN } from "../helpers/in-memory-app.ts";

const headers = { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json" };
let a: InMemoryApp;

beforeAll(async () => {
  a = await inMemoryApp();
});
afterAll(() => a.close());

const base = (lc: string) => `/clusters/${lc}/apis/cluster.example.dev/v1alpha1/clusters`;

async function call(method: string, path: string, body?: unknown, extra: Record<string, string> = {}) {
  const res = await a.app.request(path, {
    method,
    headers: { ...headers, ...extra },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

const cluster = (name: string, spec: unknown, status?: unknown) => ({
  apiVersion: "cluster.example.dev/v1alpha1",
  kind: "Cluster",
  metadata: { name },
  spec,
  ...(status ? { status } : {}),
});

test("a Cluster is created in any logical cluster, and its status set on create is dropped", async () => {
  const r = await call("POST", base("team-a"), cluster("east", { kubeconfig: "hello" }, { syncedResources: ["x"] }));
  expect(r.status).toBe(201);
  expect(r.body.status).toBeUndefined();
  expect(r.body.metadata.generation).toBe(1);
  // Another logical cluster does not see it.
  expect((await call("GET", `${base("team-b")}/east`)).status).toBe(404);
});

test("bad specs are refused with field causes", async () => {
  const r = await call(
    "POST",
    base("team-a"),
    cluster("bad", { mode: "sideways", resources: ["Deployments", "configmaps", "configmaps"] }),
  );
  expect(r.status).toBe(422);
  expect(r.body.reason).toBe("Invalid");
  const causes = (r.body.details.causes as { field: string; reason: string }[]).map((c) => `${c.field} ${c.reason}`);
  expect(causes).toEqual([
    "spec.kubeconfig FieldValueRequired",
    "spec.mode FieldValueNotSupported",
    "spec.resources[0] FieldValueInvalid",
    "spec.resources[2] FieldValueDuplicate",
  ]);
  // Names are label values (kcp.dev/cluster=<name>).
  const dotted = await call("POST", base("team-a"), cluster("a.b", { kubeconfig: "x" }));
  expect(dotted.status).toBe(422);
});

test("a bare resource name must be a core resource: others need their group (pull mode's RBAC is per group)", async () => {
  const r = await call(
    "POST",
    base("team-a"),
    cluster("bare", { kubeconfig: "k", resources: ["configmaps", "deployments", "deployments.apps", "pods.core"] }),
  );
  expect(r.status).toBe(422);
  expect(r.body.details.causes).toEqual([
    {
      field: "spec.resources[1]",
      reason: "FieldValueInvalid",
      message:
        'Invalid value: "deployments": a resource outside the core group needs its group, e.g. deployments.apps or deployments.example.com',
    },
  ]);
  const ok = await call(
    "POST",
    base("team-a"),
    cluster("bare", { kubeconfig: "k", resources: ["configmaps", "deployments.apps", "pods.core"] }),
  );
  expect(ok.status).toBe(201);
});

test("unknown fields: a warning by default, 400 under Strict", async () => {
  const res = await a.app.request(base("team-a"), {
    method: "POST",
    headers,
    body: JSON.stringify(cluster("west", { kubeconfig: "k", colour: "blue" })),
  });
  expect(res.status).toBe(201);
  expect(res.headers.get("warning")).toContain('unknown field \\"spec.colour\\"');
  expect(((await res.json()) as any).spec).toEqual({ kubeconfig: "k" });
  const strict = await call(
    "POST",
    `${base("team-a")}?fieldValidation=Strict`,
    cluster("w2", { kubeconfig: "k", x: 1 }),
  );
  expect(strict.status).toBe(400);
});

test("status goes through /status only; spec changes bump the generation", async () => {
  const got = (await call("GET", `${base("team-a")}/east`)).body;
  const status = {
    conditions: [{ type: "Ready", status: "True", reason: "SyncerReady", lastTransitionTime: "2026-01-01T00:00:00Z" }],
    syncedResources: ["configmaps"],
  };
  const viaMain = await call("PUT", `${base("team-a")}/east`, { ...got, status });
  expect(viaMain.status).toBe(200);
  expect(viaMain.body.status).toBeUndefined();
  const viaStatus = await call("PUT", `${base("team-a")}/east/status`, { ...viaMain.body, status });
  expect(viaStatus.status).toBe(200);
  expect(viaStatus.body.status.syncedResources).toEqual(["configmaps"]);
  expect(viaStatus.body.metadata.generation).toBe(1);
  const badStatus = await call("PUT", `${base("team-a")}/east/status`, {
    ...viaStatus.body,
    status: { conditions: [{ type: "Ready", status: "maybe" }] },
  });
  expect(badStatus.status).toBe(422);
  const spec = await call("PUT", `${base("team-a")}/east`, { ...viaStatus.body, spec: { kubeconfig: "other" } });
  expect(spec.body.metadata.generation).toBe(2);
  expect(spec.body.status.syncedResources).toEqual(["configmaps"]);
});

test("kubectl's table: Location, Ready, Synced API resources", async () => {
  const r = await call("GET", base("team-a"), undefined, { accept: "application/json;as=Table;v=v1;g=meta.k8s.io" });
  expect(r.status).toBe(200);
  expect(r.body.columnDefinitions.map((c: { name: string }) => c.name)).toEqual([
    "Name",
    "Location",
    "Ready",
    "Synced API resources",
    "Age",
  ]);
  const east = r.body.rows.find((row: { cells: unknown[] }) => row.cells[0] === "east");
  expect(east.cells.slice(0, 4)).toEqual(["east", "east", "True", '["configmaps"]']);
});
