// Who brings a logical cluster into being: through the whole app, with a test authorizer that
// allows every request but creating logical clusters, which only carol may do.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { AuthorizationAttributes, Authorizer } from "../../src/auth/types.ts";
import { type InMemoryApp, inMemoryApp, TEST_TOKEN } from "../helpers/in-memory-app.ts";

const asked: AuthorizationAttributes[] = [];
const authorizer: Authorizer = {
  authorize(attrs) {
    if (attrs.resource !== "logicalclusters") return { allowed: true, reason: "" };
    asked.push(attrs);
    return { allowed: attrs.user.username === "carol", reason: "" };
  },
  rulesFor: () => ({ resourceRules: [], nonResourceRules: [], incomplete: false }),
};

let env: InMemoryApp;
beforeAll(async () => {
  env = await inMemoryApp({
    authorizer,
    tokens: [
      { token: "alice-token", user: { username: "alice", groups: ["system:authenticated"] } },
      { token: "carol-token", user: { username: "carol", groups: ["system:authenticated"] } },
    ],
  });
});
afterAll(() => env.close());

function get(path: string, token: string): Promise<Response> {
  return Promise.resolve(env.app.request(path, { headers: { authorization: `Bearer ${token}` } }));
}

async function clusterNames(): Promise<string[]> {
  return (await env.deps.clusters.list()).sort();
}

async function storedKeysOf(cluster: string): Promise<number> {
  const all = await env.storage.list({ prefix: "/" });
  return all.items.filter((kv) => kv.key.includes(`/${cluster}/`)).length;
}

describe("logical cluster creation", () => {
  test("300 requests of a user who may not create logical clusters: 403 each, nothing created", async () => {
    const before = await clusterNames();
    asked.length = 0;
    for (let i = 0; i < 300; i++) {
      const paths = [
        `/clusters/tenant-${i}/api/v1/namespaces`,
        `/clusters/tenant-${i}/apis/authorization.k8s.io/v1/selfsubjectaccessreviews`,
        `/clusters/tenant-${i}/api`,
      ];
      const res = await get(paths[i % 3], "alice-token");
      expect(res.status).toBe(403);
    }
    expect(await clusterNames()).toEqual(before);
    expect(await storedKeysOf("tenant-0")).toBe(0);
    // The permission is asked in the admin logical cluster, by the cluster's name.
    expect(asked[0]).toMatchObject({
      cluster: "admin",
      verb: "create",
      group: "tenancy.kcp.io",
      resource: "logicalclusters",
      name: "tenant-0",
      user: { username: "alice" },
    });
    const res = await get("/clusters/tenant-7/api/v1/namespaces", "alice-token");
    expect(await res.json()).toMatchObject({
      kind: "Status",
      code: 403,
      reason: "Forbidden",
      message:
        'logicalclusters.tenancy.kcp.io "tenant-7" is forbidden: User "alice" cannot create resource "logicalclusters" in API group "tenancy.kcp.io" at the cluster scope: logical cluster "tenant-7" does not exist',
      details: { name: "tenant-7", group: "tenancy.kcp.io", kind: "logicalclusters" },
    });
  });

  test("a user allowed to create logical clusters creates one with its first resource request", async () => {
    // Discovery alone passes and creates nothing.
    expect((await get("/clusters/by-carol/api", "carol-token")).status).toBe(200);
    expect(await clusterNames()).not.toContain("by-carol");
    const res = await get("/clusters/by-carol/api/v1/namespaces", "carol-token");
    expect(res.status).toBe(200);
    const names = ((await res.json()) as { items: { metadata: { name: string } }[] }).items.map((n) => n.metadata.name);
    expect(names.sort()).toEqual(["default", "kube-node-lease", "kube-public", "kube-system"]);
    expect(await clusterNames()).toContain("by-carol");
    // Once it exists, others' requests go on to authorization as in any cluster.
    asked.length = 0;
    expect((await get("/clusters/by-carol/api/v1/namespaces", "alice-token")).status).toBe(200);
    expect(asked).toEqual([]);
  });

  test("system:masters creates without asking the authorizer", async () => {
    asked.length = 0;
    expect((await get("/clusters/by-admin/api/v1/namespaces/default", TEST_TOKEN)).status).toBe(200);
    expect(asked).toEqual([]);
    expect(await clusterNames()).toContain("by-admin");
  });

  test("a cluster created by another server on the same storage is found there, not re-created", async () => {
    const marker = env.deps.clusters.markerKey("elsewhere");
    await env.storage.create(marker, JSON.stringify({ name: "elsewhere" }));
    expect((await get("/clusters/elsewhere/api/v1/namespaces", "alice-token")).status).toBe(200);
    // Found, not bootstrapped: no namespaces were written for it here (its marker is admin's).
    expect(await storedKeysOf("elsewhere")).toBe(0);
  });
});

describe("LogicalClusters.create", () => {
  test("of creators racing for one name exactly one makes it; later calls make nothing", async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => env.deps.clusters.create("raced")));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await env.deps.clusters.create("raced")).toBe(false);
    expect(await clusterNames()).toContain("raced");
  });
});
