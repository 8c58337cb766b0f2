// The policy feed (src/app/policy-feed.ts) fills the RBAC index from the object store: what is
// stored before start() is in the index when start() resolves, later writes and deletes follow.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { PolicyFeed } from "../../src/app/policy-feed.ts";
import { PolicyIndex } from "../../src/auth/rbac/policy-index.ts";
import { RBACAuthorizer } from "../../src/auth/rbac/rbac-authorizer.ts";
import { type InMemoryApp, inMemoryApp, TEST_TOKEN } from "../helpers/in-memory-app.ts";

let mem: InMemoryApp;
let feed: PolicyFeed;
const index = new PolicyIndex();
const authz = new RBACAuthorizer(index);
const RBAC = "/apis/rbac.authorization.k8s.io/v1";

async function post(path: string, body: unknown): Promise<void> {
  const res = await mem.app.request(path, {
    method: "POST",
    headers: { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(201);
}

function binding(name: string, user: string) {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
    subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: user }],
  };
}

const canList = (user: string, cluster: string) =>
  authz.authorize({
    user: { username: user, groups: ["system:authenticated"] },
    cluster,
    verb: "list",
    resourceRequest: true,
    group: "",
    version: "v1",
    resource: "configmaps",
    namespace: "default",
  }).allowed;

async function until(what: string, cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

beforeAll(async () => {
  mem = await inMemoryApp();
  await post(`/clusters/team-a${RBAC}/namespaces/default/rolebindings`, binding("before", "alice"));
  feed = new PolicyFeed(mem.deps.store, mem.deps.registry, index);
  await feed.start();
});

afterAll(async () => {
  feed.stop();
  await mem.close();
});

test("what was stored before start is in the index once start resolves", () => {
  expect(canList("alice", "team-a")).toBe(true);
  expect(canList("alice", "team-b")).toBe(false);
});

test("later writes and deletes follow", async () => {
  await post(`/clusters/team-b${RBAC}/namespaces/default/rolebindings`, binding("later", "bob"));
  await until("bob's binding", () => canList("bob", "team-b"));
  const res = await mem.app.request(`/clusters/team-a${RBAC}/namespaces/default/rolebindings/before`, {
    method: "DELETE",
    headers: { authorization: `Bearer ${TEST_TOKEN}` },
  });
  expect(res.status).toBe(200);
  await until("alice's binding gone", () => !canList("alice", "team-a"));
  expect(index.clusterCount).toBe(1);
});
