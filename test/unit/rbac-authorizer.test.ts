import { describe, expect, test } from "bun:test";
import { defaultPolicy } from "../../src/auth/rbac/default-policy.ts";
import { PolicyIndex } from "../../src/auth/rbac/policy-index.ts";
import { RBACAuthorizer } from "../../src/auth/rbac/rbac-authorizer.ts";
import type { AuthorizationAttributes, UserInfo } from "../../src/auth/types.ts";
import type { KObject } from "../../src/machinery/object.ts";

const alice: UserInfo = { username: "alice", groups: ["devs", "system:authenticated"] };
const sa: UserInfo = {
  username: "system:serviceaccount:ns1:robot",
  groups: ["system:serviceaccounts", "system:serviceaccounts:ns1", "system:authenticated"],
};

function attrs(user: UserInfo, verb: string, resource: string, more: Partial<AuthorizationAttributes> = {}) {
  return { user, cluster: "a", verb, resourceRequest: true, group: "", version: "v1", resource, ...more };
}

function role(name: string, namespace: string | undefined, rules: unknown[], extra: Record<string, unknown> = {}) {
  return { metadata: { name, ...(namespace ? { namespace } : {}) }, rules, ...extra } as KObject;
}

function binding(name: string, namespace: string | undefined, roleKind: string, roleName: string, subjects: unknown[]) {
  return {
    metadata: { name, ...(namespace ? { namespace } : {}) },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: roleKind, name: roleName },
    subjects,
  } as KObject;
}

const user = (name: string) => ({ kind: "User", apiGroup: "rbac.authorization.k8s.io", name });

describe("RBACAuthorizer", () => {
  test("system:masters is allowed everything, in every cluster and on /clusters/*", () => {
    const authz = new RBACAuthorizer(new PolicyIndex());
    const admin = { username: "x", groups: ["system:masters"] };
    expect(authz.authorize(attrs(admin, "delete", "secrets", { cluster: "anything" })).allowed).toBe(true);
    expect(authz.authorize(attrs(admin, "list", "secrets", { cluster: "*" })).allowed).toBe(true);
  });

  test("nothing bound: denied, except discovery and the basic-user reviews", () => {
    const authz = new RBACAuthorizer(new PolicyIndex());
    expect(authz.authorize(attrs(alice, "get", "configmaps", { namespace: "d", name: "c" })).allowed).toBe(false);
    const disc = { user: alice, cluster: "a", verb: "get", resourceRequest: false, path: "/apis/apps/v1" };
    expect(authz.authorize(disc).allowed).toBe(true);
    const ssar = attrs(alice, "create", "selfsubjectaccessreviews", { group: "authorization.k8s.io" });
    expect(authz.authorize(ssar).allowed).toBe(true);
    const anon = { username: "system:anonymous", groups: ["system:unauthenticated"] };
    expect(authz.authorize({ ...disc, user: anon }).allowed).toBe(false);
    expect(authz.authorize({ ...disc, user: anon, path: "/healthz" }).allowed).toBe(true);
  });

  test("/metrics: the system:monitoring group may get it, other users may not", () => {
    const authz = new RBACAuthorizer(new PolicyIndex());
    const scrape = { user: alice, cluster: "a", verb: "get", resourceRequest: false, path: "/metrics" };
    expect(authz.authorize(scrape).allowed).toBe(false);
    const prometheus = { username: "prometheus", groups: ["system:monitoring", "system:authenticated"] };
    expect(authz.authorize({ ...scrape, user: prometheus }).allowed).toBe(true);
    expect(authz.authorize({ ...scrape, user: prometheus, verb: "post" }).allowed).toBe(false);
  });

  test("a RoleBinding to a Role allows in its namespace and its cluster only", () => {
    const index = new PolicyIndex();
    const authz = new RBACAuthorizer(index);
    index.upsert(
      "Role",
      "a",
      role("cm-reader", "ns1", [{ verbs: ["get"], apiGroups: [""], resources: ["configmaps"] }]),
    );
    index.upsert("RoleBinding", "a", binding("rb", "ns1", "Role", "cm-reader", [user("alice")]));
    const get = attrs(alice, "get", "configmaps", { namespace: "ns1", name: "c" });
    const d = authz.authorize(get);
    expect(d).toEqual({
      allowed: true,
      reason: 'RBAC: allowed by RoleBinding "rb/ns1" of Role "cm-reader" to User "alice"',
    });
    expect(authz.authorize({ ...get, namespace: "ns2" }).allowed).toBe(false);
    expect(authz.authorize({ ...get, cluster: "b" }).allowed).toBe(false);
    expect(authz.authorize({ ...get, verb: "create" }).allowed).toBe(false);
    expect(authz.authorize({ ...get, namespace: undefined }).allowed).toBe(false);
    index.remove("RoleBinding", "a", "ns1", "rb");
    expect(authz.authorize(get).allowed).toBe(false);
    expect(index.clusterCount).toBe(1);
    index.remove("Role", "a", "ns1", "cm-reader");
    expect(index.clusterCount).toBe(0);
  });

  test("a missing role is reported as kube does", () => {
    const index = new PolicyIndex();
    index.upsert("RoleBinding", "a", binding("rb", "ns1", "ClusterRole", "nope", [user("alice")]));
    const d = new RBACAuthorizer(index).authorize(attrs(alice, "get", "configmaps", { namespace: "ns1" }));
    expect(d).toEqual({ allowed: false, reason: 'RBAC: clusterrole.rbac.authorization.k8s.io "nope" not found' });
  });

  test("groups and service accounts (namespace defaulted from the RoleBinding)", () => {
    const index = new PolicyIndex();
    const authz = new RBACAuthorizer(index);
    index.upsert(
      "ClusterRoleBinding",
      "a",
      binding("devs", undefined, "ClusterRole", "view", [{ kind: "Group", name: "devs" }]),
    );
    index.upsert(
      "RoleBinding",
      "a",
      binding("robot", "ns1", "ClusterRole", "edit", [{ kind: "ServiceAccount", name: "robot" }]),
    );
    expect(authz.authorize(attrs(alice, "list", "configmaps", { namespace: "x" })).allowed).toBe(true);
    expect(authz.authorize(attrs(alice, "create", "configmaps", { namespace: "x" })).allowed).toBe(false);
    expect(authz.authorize(attrs(sa, "create", "configmaps", { namespace: "ns1" })).allowed).toBe(true);
    expect(authz.authorize(attrs(sa, "create", "configmaps", { namespace: "ns2" })).allowed).toBe(false);
  });

  test("default roles: view reads but not secrets, edit writes, admin manages RBAC in a namespace", () => {
    const index = new PolicyIndex();
    const authz = new RBACAuthorizer(index);
    const bindAs = (role: string) => {
      index.upsert("RoleBinding", "a", binding("b", "ns", "ClusterRole", role, [user("alice")]));
    };
    const can = (verb: string, resource: string, group = "") =>
      authz.authorize(attrs(alice, verb, resource, { namespace: "ns", group })).allowed;
    bindAs("view");
    expect([can("get", "configmaps"), can("list", "secrets"), can("create", "configmaps")]).toEqual([
      true,
      false,
      false,
    ]);
    bindAs("edit");
    expect([
      can("list", "secrets"),
      can("create", "configmaps"),
      can("create", "roles", "rbac.authorization.k8s.io"),
    ]).toEqual([true, true, false]);
    bindAs("admin");
    expect([
      can("create", "roles", "rbac.authorization.k8s.io"),
      can("watch", "leases", "coordination.k8s.io"),
    ]).toEqual([true, true]);
  });

  test("aggregation: a cluster's own role labelled aggregate-to-view extends view there only", () => {
    const index = new PolicyIndex();
    const authz = new RBACAuthorizer(index);
    const widgets = role(
      "widgets-view",
      undefined,
      [{ verbs: ["get"], apiGroups: ["ex.io"], resources: ["widgets"] }],
      {},
    );
    widgets.metadata.labels = { "rbac.authorization.k8s.io/aggregate-to-view": "true" };
    for (const c of ["a", "b"])
      index.upsert("RoleBinding", c, binding("b", "ns", "ClusterRole", "admin", [user("alice")]));
    const get = attrs(alice, "get", "widgets", { namespace: "ns", group: "ex.io" });
    expect(authz.authorize(get).allowed).toBe(false);
    index.upsert("ClusterRole", "a", widgets);
    expect(authz.authorize(get).allowed).toBe(true); // view → edit → admin
    expect(authz.authorize({ ...get, cluster: "b" }).allowed).toBe(false);
    index.remove("ClusterRole", "a", undefined, "widgets-view");
    expect(authz.authorize(get).allowed).toBe(false);
  });

  test("a stored object of a default's name wins in its cluster", () => {
    const index = new PolicyIndex();
    const authz = new RBACAuthorizer(index);
    index.upsert(
      "ClusterRole",
      "a",
      role("view", undefined, [{ verbs: ["get"], apiGroups: [""], resources: ["secrets"] }]),
    );
    index.upsert("RoleBinding", "a", binding("b", "ns", "ClusterRole", "view", [user("alice")]));
    expect(authz.authorize(attrs(alice, "get", "secrets", { namespace: "ns" })).allowed).toBe(true);
    expect(authz.authorize(attrs(alice, "get", "configmaps", { namespace: "ns" })).allowed).toBe(false);
    // Overriding the system:basic-user binding with one for nobody takes the reviews away there.
    index.upsert(
      "ClusterRoleBinding",
      "a",
      binding("system:basic-user", undefined, "ClusterRole", "system:basic-user", []),
    );
    const ssar = attrs(alice, "create", "selfsubjectaccessreviews", { group: "authorization.k8s.io" });
    expect(authz.authorize(ssar).allowed).toBe(false);
    expect(authz.authorize({ ...ssar, cluster: "b" }).allowed).toBe(true);
  });

  test("/clusters/* needs clusters/wildcard of tenancy.kcp.io in admin", () => {
    const index = new PolicyIndex();
    const authz = new RBACAuthorizer(index);
    const list = attrs(alice, "list", "configmaps", { cluster: "*" });
    index.upsert("ClusterRoleBinding", "a", binding("all", undefined, "ClusterRole", "cluster-admin", [user("alice")]));
    expect(authz.authorize(list).allowed).toBe(false);
    index.upsert(
      "ClusterRole",
      "admin",
      role("wildcard-reader", undefined, [
        { verbs: ["list"], apiGroups: ["tenancy.kcp.io"], resources: ["clusters/wildcard"] },
      ]),
    );
    index.upsert(
      "ClusterRoleBinding",
      "admin",
      binding("w", undefined, "ClusterRole", "wildcard-reader", [user("alice")]),
    );
    expect(authz.authorize(list).allowed).toBe(true);
    expect(authz.authorize({ ...list, verb: "watch" }).allowed).toBe(false);
  });

  test("rulesFor lists the rules of cluster and namespace bindings, incomplete on a missing role", () => {
    const index = new PolicyIndex();
    const authz = new RBACAuthorizer(index);
    index.upsert(
      "Role",
      "a",
      role("r", "ns", [{ verbs: ["get"], apiGroups: [""], resources: ["configmaps"], resourceNames: ["x"] }]),
    );
    index.upsert("RoleBinding", "a", binding("rb", "ns", "Role", "r", [user("alice")]));
    const rules = authz.rulesFor(alice, "a", "ns");
    expect(rules.incomplete).toBe(false);
    expect(rules.resourceRules).toContainEqual({
      verbs: ["get"],
      apiGroups: [""],
      resources: ["configmaps"],
      resourceNames: ["x"],
    });
    expect(rules.resourceRules).toContainEqual({
      verbs: ["create"],
      apiGroups: ["authorization.k8s.io"],
      resources: ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
    });
    expect(rules.nonResourceRules.some((r) => r.nonResourceURLs?.includes("/apis/*"))).toBe(true);
    expect(authz.rulesFor(alice, "a", "other").resourceRules.some((r) => r.resources?.includes("configmaps"))).toBe(
      false,
    );
    index.upsert("RoleBinding", "a", binding("rb2", "ns", "Role", "gone", [user("alice")]));
    expect(authz.rulesFor(alice, "a", "ns").incomplete).toBe(true);
  });

  test("rulesOfRole: a Role's rules, a ClusterRole's aggregate, undefined when missing", () => {
    const index = new PolicyIndex();
    const r = [{ verbs: ["get"], apiGroups: [""], resources: ["configmaps"] }];
    index.upsert("Role", "a", role("r", "ns", r));
    expect(index.rulesOfRole("a", "Role", "ns", "r")).toEqual(r);
    expect(index.rulesOfRole("a", "Role", "other", "r")).toBeUndefined();
    expect(index.rulesOfRole("b", "ClusterRole", "", "nope")).toBeUndefined();
    const admin = index.rulesOfRole("b", "ClusterRole", "", "admin") ?? [];
    expect(admin.some((x) => x.resources?.includes("rolebindings"))).toBe(true);
    expect(admin.some((x) => x.resources?.includes("secrets") && x.verbs.includes("create"))).toBe(true);
  });

  test("the index keys list what is stored, for relists", () => {
    const index = new PolicyIndex();
    index.upsert("Role", "a", role("r", "ns", []));
    index.upsert("RoleBinding", "b", binding("rb", "ns", "Role", "r", []));
    index.upsert("ClusterRoleBinding", "b", binding("crb", undefined, "ClusterRole", "view", []));
    expect([...index.keys("Role")]).toEqual([["a", "ns", "r"]]);
    expect([...index.keys("RoleBinding")]).toEqual([["b", "ns", "rb"]]);
    expect([...index.keys("ClusterRoleBinding")]).toEqual([["b", "", "crb"]]);
    expect([...index.keys("ClusterRole")]).toEqual([]);
  });

  test("the defaults are kube's names", () => {
    const { clusterRoles, clusterRoleBindings } = defaultPolicy();
    const names = clusterRoles.map((r) => r.metadata.name);
    for (const n of [
      "cluster-admin",
      "admin",
      "edit",
      "view",
      "system:discovery",
      "system:basic-user",
      "system:public-info-viewer",
      "system:monitoring",
    ])
      expect(names).toContain(n);
    expect(clusterRoleBindings.find((b) => b.metadata.name === "cluster-admin")?.subjects).toEqual([
      { apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: "system:masters" },
    ]);
  });
});
