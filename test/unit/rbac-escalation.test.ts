// RBAC escalation prevention (src/admission/plugins/rbac-escalation.ts) as the API core wires it:
// the real object store and admission chain (test/helpers/in-memory-app.ts), roles read from
// storage, and a small test authorizer: each user holds the rules the test gives it, cluster-wide
// or in a namespace, matched by ruleAllows. Writes go through the store as the user's would.

import { afterEach, describe, expect, test } from "bun:test";
import type { KObject, ResourceDef, UserInfo } from "../../src/apis/types.ts";
import { type PolicyRule, ruleAllows } from "../../src/auth/rbac/policy-rule.ts";
import { adminUser } from "../../src/auth/token-authenticator.ts";
import type { AuthorizationAttributes, Authorizer } from "../../src/auth/types.ts";
import { StatusError } from "../../src/machinery/status.ts";
import { requestContext } from "../../src/server/rest/request-context.ts";
import { type InMemoryApp, inMemoryApp } from "../helpers/in-memory-app.ts";

const RBAC = "rbac.authorization.k8s.io";
const CLUSTER = "team-a";

/** Rules per user: "" for cluster-wide, else per namespace. */
class HeldRules implements Authorizer {
  readonly held = new Map<string, Map<string, PolicyRule[]>>();
  grant(user: string, namespace: string, ...rules: PolicyRule[]): void {
    let byNs = this.held.get(user);
    if (!byNs) this.held.set(user, (byNs = new Map()));
    byNs.set(namespace, [...(byNs.get(namespace) ?? []), ...rules]);
  }
  private rules(user: UserInfo, cluster: string, namespace: string): PolicyRule[] {
    if (cluster !== CLUSTER) return [];
    const byNs = this.held.get(user.username);
    return [...(byNs?.get("") ?? []), ...(namespace ? (byNs?.get(namespace) ?? []) : [])];
  }
  authorize(a: AuthorizationAttributes) {
    const allowed = this.rules(a.user, a.cluster, a.namespace ?? "").some((r) => ruleAllows(r, a));
    return { allowed, reason: "" };
  }
  rulesFor(user: UserInfo, cluster: string, namespace: string) {
    const rules = this.rules(user, cluster, namespace);
    return {
      resourceRules: rules.filter((r) => r.resources),
      nonResourceRules: rules.filter((r) => r.nonResourceURLs),
      incomplete: false,
    };
  }
}

const alice: UserInfo = { username: "alice", groups: ["dev", "system:authenticated"] };

interface Setup {
  app: InMemoryApp;
  authz: HeldRules;
  def(resource: string): ResourceDef;
  create(user: UserInfo, resource: string, obj: KObject, namespace?: string): Promise<KObject>;
  failure(p: Promise<unknown>): Promise<StatusError>;
}

const opened: InMemoryApp[] = [];
afterEach(async () => {
  for (const a of opened.splice(0)) await a.close();
});

async function setup(): Promise<Setup> {
  const authz = new HeldRules();
  // The app's own escalation plugin asks this authorizer; roles are read from storage.
  const app = await inMemoryApp({ authorizer: authz });
  opened.push(app);
  await app.deps.clusters.ensure(CLUSTER);
  const def = (resource: string) => {
    const d = app.deps.registry.lookup(CLUSTER, RBAC, "v1", resource);
    if (!d) throw new Error(`no ${resource}`);
    return d;
  };
  return {
    app,
    authz,
    def,
    create: (user, resource, obj, namespace) =>
      app.deps.store.create(
        def(resource),
        requestContext(CLUSTER, user, new URLSearchParams(), namespace),
        obj,
        namespace,
      ),
    async failure(p) {
      const e = await p.then(
        () => undefined,
        (err: unknown) => err,
      );
      if (!(e instanceof StatusError)) throw new Error(`expected a StatusError, got ${e}`);
      return e;
    },
  };
}

function role(name: string, rules: PolicyRule[], namespace = "default"): KObject {
  return { apiVersion: `${RBAC}/v1`, kind: "Role", metadata: { name, namespace }, rules } as KObject;
}

function clusterRole(name: string, rules: PolicyRule[], extra: Record<string, unknown> = {}): KObject {
  return { apiVersion: `${RBAC}/v1`, kind: "ClusterRole", metadata: { name }, rules, ...extra } as KObject;
}

function binding(name: string, kind: "Role" | "ClusterRole", roleName: string, namespace?: string): KObject {
  return {
    apiVersion: `${RBAC}/v1`,
    kind: namespace ? "RoleBinding" : "ClusterRoleBinding",
    metadata: namespace ? { name, namespace } : { name },
    roleRef: { apiGroup: RBAC, kind, name: roleName },
    subjects: [{ kind: "User", apiGroup: RBAC, name: "bob" }],
  } as KObject;
}

const podsRead: PolicyRule = { verbs: ["get", "list"], apiGroups: [""], resources: ["pods"] };
const writeRoles: PolicyRule = { verbs: ["create", "update"], apiGroups: [RBAC], resources: ["*"] };

async function stored(s: Setup, resource: string, namespace: string | undefined, name: string) {
  return s.app.deps.store.tryGet(s.def(resource), CLUSTER, namespace, name);
}

describe("roles", () => {
  test("a role within what the requester holds is created; one beyond it is 403 in kube's words", async () => {
    const s = await setup();
    s.authz.grant("alice", "default", podsRead, writeRoles);
    await s.create(
      alice,
      "roles",
      role("reader", [{ verbs: ["get"], apiGroups: [""], resources: ["pods"] }]),
      "default",
    );
    expect(await stored(s, "roles", "default", "reader")).toBeTruthy();

    const e = await s.failure(
      s.create(
        alice,
        "roles",
        role("deleter", [
          { verbs: ["get", "delete", "patch"], apiGroups: [""], resources: ["pods"] },
          { verbs: ["get"], apiGroups: [""], resources: ["secrets"], resourceNames: ["s1"] },
        ]),
        "default",
      ),
    );
    expect(e.code).toBe(403);
    expect(e.reason).toBe("Forbidden");
    expect(e.message).toBe(
      'roles.rbac.authorization.k8s.io "deleter" is forbidden: user "alice" (groups=["dev" "system:authenticated"]) ' +
        "is attempting to grant RBAC permissions not currently held:\n" +
        '{APIGroups:[""], Resources:["pods"], Verbs:["delete" "patch"]}\n' +
        '{APIGroups:[""], Resources:["secrets"], ResourceNames:["s1"], Verbs:["get"]}',
    );
    expect(e.details).toMatchObject({ name: "deleter", group: RBAC, kind: "roles" });
    expect(await stored(s, "roles", "default", "deleter")).toBeNull();
  });

  test("rules held in one namespace do not let a role grant them in another", async () => {
    const s = await setup();
    s.authz.grant("alice", "default", podsRead);
    s.authz.grant("alice", "", writeRoles);
    const e = await s.failure(s.create(alice, "roles", role("reader", [podsRead], "kube-system"), "kube-system"));
    expect(e.code).toBe(403);
    expect(e.message).toContain('{APIGroups:[""], Resources:["pods"], Verbs:["get" "list"]}');
  });

  test("a ClusterRole needs the rules cluster-wide", async () => {
    const s = await setup();
    s.authz.grant("alice", "default", podsRead);
    s.authz.grant("alice", "", writeRoles);
    const e = await s.failure(s.create(alice, "clusterroles", clusterRole("reader", [podsRead])));
    expect(e.message).toStartWith('clusterroles.rbac.authorization.k8s.io "reader" is forbidden: user "alice"');
    s.authz.grant("alice", "", podsRead);
    await s.create(alice, "clusterroles", clusterRole("reader", [podsRead]));
    expect(await stored(s, "clusterroles", undefined, "reader")).toBeTruthy();
  });

  test("escalate on roles lifts the check; system:masters needs nothing", async () => {
    const s = await setup();
    s.authz.grant("alice", "", writeRoles, { verbs: ["escalate"], apiGroups: [RBAC], resources: ["roles"] });
    const all: PolicyRule = { verbs: ["*"], apiGroups: ["*"], resources: ["*"] };
    await s.create(alice, "roles", role("everything", [all]), "default");
    // escalate on roles is not escalate on clusterroles.
    expect((await s.failure(s.create(alice, "clusterroles", clusterRole("everything", [all])))).code).toBe(403);
    await s.create(adminUser(), "clusterroles", clusterRole("everything", [all]));
    expect(await stored(s, "clusterroles", undefined, "everything")).toBeTruthy();
  });

  test("an aggregationRule takes cluster-admin's rules", async () => {
    const s = await setup();
    s.authz.grant("alice", "", writeRoles, podsRead);
    const aggregated = clusterRole("gathers", [], {
      aggregationRule: { clusterRoleSelectors: [{ matchLabels: { "example.com/aggregate": "true" } }] },
    });
    const e = await s.failure(s.create(alice, "clusterroles", aggregated));
    expect(e.code).toBe(403);
    expect(e.message).toBe(
      'clusterroles.rbac.authorization.k8s.io "gathers" is forbidden: must have cluster-admin privileges to use the aggregationRule',
    );
    s.authz.grant(
      "alice",
      "",
      { verbs: ["*"], apiGroups: ["*"], resources: ["*"] },
      { verbs: ["*"], nonResourceURLs: ["*"] },
    );
    await s.create(alice, "clusterroles", aggregated);
  });

  test("updating an aggregated ClusterRole needs cluster-admin only when the aggregationRule changes", async () => {
    const s = await setup();
    const selectors = (value: string) => ({ clusterRoleSelectors: [{ matchLabels: { "example.com/agg": value } }] });
    await s.create(adminUser(), "clusterroles", clusterRole("gathers", [], { aggregationRule: selectors("a") }));
    s.authz.grant("alice", "", writeRoles, podsRead);
    const ctx = requestContext(CLUSTER, alice, new URLSearchParams());
    const update = (change: (cur: KObject) => KObject) =>
      s.app.deps.store.update(s.def("clusterroles"), ctx, undefined, "gathers", change);
    // A label and rules alice holds: the aggregationRule stays as it was, so only the rules are checked.
    await update((cur) => ({ ...cur, metadata: { ...cur.metadata, labels: { team: "x" } }, rules: [podsRead] }));
    const e = await s.failure(update((cur) => ({ ...cur, aggregationRule: selectors("b") })));
    expect(e.code).toBe(403);
    expect(e.message).toEndWith("must have cluster-admin privileges to use the aggregationRule");
  });

  test("an update is checked too, unless it only touches finalizers or ownerReferences", async () => {
    const s = await setup();
    await s.create(
      adminUser(),
      "roles",
      role("big", [{ verbs: ["*"], apiGroups: [""], resources: ["secrets"] }]),
      "default",
    );
    s.authz.grant("alice", "default", writeRoles, podsRead);
    const store = s.app.deps.store;
    const ctx = requestContext(CLUSTER, alice, new URLSearchParams(), "default");
    const e = await s.failure(
      store.update(s.def("roles"), ctx, "default", "big", (cur) => ({
        ...cur,
        rules: [{ verbs: ["*"], apiGroups: [""], resources: ["secrets", "pods"] }],
      })),
    );
    expect(e.code).toBe(403);
    expect(e.message).toContain('{APIGroups:[""], Resources:["secrets"], Verbs:["*"]}');
    // The garbage collector (or a user) finishing a deletion holds no rights to the role's rules.
    const done = await store.update(s.def("roles"), ctx, "default", "big", (cur) => ({
      ...cur,
      metadata: { ...cur.metadata, finalizers: ["example.com/hold"] },
    }));
    expect(done.object.metadata.finalizers).toEqual(["example.com/hold"]);
  });
});

describe("bindings", () => {
  test("binding a role the requester does not hold is 403; one it holds is fine", async () => {
    const s = await setup();
    await s.create(
      adminUser(),
      "clusterroles",
      clusterRole("cluster-admin", [
        { verbs: ["*"], apiGroups: ["*"], resources: ["*"] },
        { verbs: ["*"], nonResourceURLs: ["*"] },
      ]),
    );
    await s.create(adminUser(), "clusterroles", clusterRole("pod-reader", [podsRead]));
    s.authz.grant("alice", "default", writeRoles, podsRead);
    const e = await s.failure(
      s.create(alice, "rolebindings", binding("b1", "ClusterRole", "cluster-admin", "default"), "default"),
    );
    expect(e.code).toBe(403);
    expect(e.message).toBe(
      'rolebindings.rbac.authorization.k8s.io "b1" is forbidden: user "alice" (groups=["dev" "system:authenticated"]) ' +
        "is attempting to grant RBAC permissions not currently held:\n" +
        '{APIGroups:["*"], Resources:["*"], Verbs:["*"]}\n{NonResourceURLs:["*"], Verbs:["*"]}',
    );
    expect(await stored(s, "rolebindings", "default", "b1")).toBeNull();
    await s.create(alice, "rolebindings", binding("b2", "ClusterRole", "pod-reader", "default"), "default");
    expect(await stored(s, "rolebindings", "default", "b2")).toBeTruthy();
    // Held in default only: a ClusterRoleBinding of the same role grants it everywhere.
    s.authz.grant("alice", "", writeRoles);
    const crb = await s.failure(s.create(alice, "clusterrolebindings", binding("b3", "ClusterRole", "pod-reader")));
    expect(crb.message).toStartWith('clusterrolebindings.rbac.authorization.k8s.io "b3" is forbidden: user "alice"');
  });

  test("bind on the role lifts the check, by name", async () => {
    const s = await setup();
    await s.create(
      adminUser(),
      "clusterroles",
      clusterRole("admin", [{ verbs: ["*"], apiGroups: [""], resources: ["secrets"] }]),
    );
    await s.create(
      adminUser(),
      "clusterroles",
      clusterRole("edit", [{ verbs: ["update"], apiGroups: [""], resources: ["secrets"] }]),
    );
    s.authz.grant("alice", "default", writeRoles, {
      verbs: ["bind"],
      apiGroups: [RBAC],
      resources: ["clusterroles"],
      resourceNames: ["admin"],
    });
    await s.create(alice, "rolebindings", binding("admins", "ClusterRole", "admin", "default"), "default");
    expect(await stored(s, "rolebindings", "default", "admins")).toBeTruthy();
    const e = await s.failure(
      s.create(alice, "rolebindings", binding("editors", "ClusterRole", "edit", "default"), "default"),
    );
    expect(e.code).toBe(403);
  });

  test("a binding to a missing role is 404 unless the requester may bind it", async () => {
    const s = await setup();
    s.authz.grant("alice", "default", writeRoles);
    const e = await s.failure(s.create(alice, "rolebindings", binding("b", "Role", "nope", "default"), "default"));
    expect(e.code).toBe(404);
    expect(e.message).toBe('roles.rbac.authorization.k8s.io "nope" not found');
    s.authz.grant("alice", "default", { verbs: ["bind"], apiGroups: [RBAC], resources: ["roles"] });
    await s.create(alice, "rolebindings", binding("b", "Role", "nope", "default"), "default");
  });

  test("a Role is looked up in the binding's namespace", async () => {
    const s = await setup();
    await s.create(
      adminUser(),
      "roles",
      role("secrets", [{ verbs: ["get"], apiGroups: [""], resources: ["secrets"] }]),
      "default",
    );
    s.authz.grant("alice", "default", writeRoles, { verbs: ["get"], apiGroups: [""], resources: ["secrets"] });
    await s.create(alice, "rolebindings", binding("ok", "Role", "secrets", "default"), "default");
    s.authz.grant("alice", "kube-system", writeRoles);
    const e = await s.failure(
      s.create(alice, "rolebindings", binding("ok", "Role", "secrets", "kube-system"), "kube-system"),
    );
    expect(e.code).toBe(404);
  });
});
