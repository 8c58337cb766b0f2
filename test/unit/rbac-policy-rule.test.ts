import { describe, expect, test } from "bun:test";
import { MAX_BREAKDOWN, type PolicyRule, ruleAllows, rulesCover } from "../../src/auth/rbac/policy-rule.ts";
import type { AuthorizationAttributes } from "../../src/auth/types.ts";

const user = { username: "alice", groups: [] };

function res(verb: string, group: string, resource: string, more: Partial<AuthorizationAttributes> = {}) {
  return { user, cluster: "c", verb, resourceRequest: true, group, version: "v1", resource, ...more };
}
function path(verb: string, p: string): AuthorizationAttributes {
  return { user, cluster: "c", verb, resourceRequest: false, path: p };
}

describe("ruleAllows", () => {
  const cm: PolicyRule = { verbs: ["get", "list"], apiGroups: [""], resources: ["configmaps"] };

  test("verbs, groups and resources must all match", () => {
    expect(ruleAllows(cm, res("get", "", "configmaps"))).toBe(true);
    expect(ruleAllows(cm, res("create", "", "configmaps"))).toBe(false);
    expect(ruleAllows(cm, res("get", "apps", "configmaps"))).toBe(false);
    expect(ruleAllows(cm, res("get", "", "secrets"))).toBe(false);
  });

  test("* matches any verb, group and resource, subresources included", () => {
    const all: PolicyRule = { verbs: ["*"], apiGroups: ["*"], resources: ["*"] };
    expect(ruleAllows(all, res("deletecollection", "rbac.authorization.k8s.io", "roles"))).toBe(true);
    expect(ruleAllows(all, res("create", "", "serviceaccounts", { subresource: "token", name: "x" }))).toBe(true);
  });

  test("a subresource is matched by res/sub or */sub, never by res alone", () => {
    const sub = { name: "n", subresource: "status" };
    expect(ruleAllows(cm, res("get", "", "configmaps", sub))).toBe(false);
    expect(ruleAllows({ ...cm, resources: ["configmaps/status"] }, res("get", "", "configmaps", sub))).toBe(true);
    expect(ruleAllows({ ...cm, resources: ["*/status"] }, res("get", "", "configmaps", sub))).toBe(true);
    expect(ruleAllows({ ...cm, resources: ["*/scale"] }, res("get", "", "configmaps", sub))).toBe(false);
    expect(ruleAllows({ ...cm, resources: ["*/status"] }, res("get", "", "configmaps", { name: "n" }))).toBe(false);
  });

  test("resourceNames restrict to those names; a request without a name does not match them", () => {
    const named: PolicyRule = { ...cm, resourceNames: ["a", "b"] };
    expect(ruleAllows(named, res("get", "", "configmaps", { name: "a" }))).toBe(true);
    expect(ruleAllows(named, res("get", "", "configmaps", { name: "c" }))).toBe(false);
    expect(ruleAllows(named, res("list", "", "configmaps"))).toBe(false);
    expect(ruleAllows({ ...cm, resourceNames: [] }, res("list", "", "configmaps"))).toBe(true);
  });

  test("nonResourceURLs: exact, * and a trailing * prefix; never for resource requests", () => {
    const r: PolicyRule = { verbs: ["get"], nonResourceURLs: ["/healthz", "/apis/*"] };
    expect(ruleAllows(r, path("get", "/healthz"))).toBe(true);
    expect(ruleAllows(r, path("get", "/healthz/ping"))).toBe(false);
    expect(ruleAllows(r, path("get", "/apis/apps/v1"))).toBe(true);
    expect(ruleAllows(r, path("get", "/api"))).toBe(false);
    expect(ruleAllows(r, path("post", "/healthz"))).toBe(false);
    expect(ruleAllows({ verbs: ["get"], nonResourceURLs: ["*"] }, path("get", "/anything"))).toBe(true);
    expect(ruleAllows(r, res("get", "", "healthz"))).toBe(false);
    expect(ruleAllows(cm, path("get", "/api"))).toBe(false);
  });
});

describe("rulesCover", () => {
  const owner: PolicyRule[] = [
    { verbs: ["get", "list", "watch"], apiGroups: [""], resources: ["configmaps", "secrets"] },
    { verbs: ["*"], apiGroups: ["apps"], resources: ["*/scale"] },
    { verbs: ["update"], apiGroups: [""], resources: ["configmaps"], resourceNames: ["one"] },
    { verbs: ["get"], nonResourceURLs: ["/metrics/*"] },
  ];

  test("a subset is covered", () => {
    expect(rulesCover(owner, [{ verbs: ["get"], apiGroups: [""], resources: ["secrets"] }])).toEqual([]);
    expect(rulesCover(owner, [{ verbs: ["patch"], apiGroups: ["apps"], resources: ["deployments/scale"] }])).toEqual(
      [],
    );
    expect(rulesCover(owner, [{ verbs: ["get"], nonResourceURLs: ["/metrics/x"] }])).toEqual([]);
    expect(rulesCover(owner, [])).toEqual([]);
  });

  test("the atoms not covered are returned, one verb × group × resource each", () => {
    const missing = rulesCover(owner, [
      { verbs: ["get", "create"], apiGroups: ["", "apps"], resources: ["configmaps"] },
    ]);
    expect(missing).toEqual([
      { verbs: ["create"], apiGroups: [""], resources: ["configmaps"] },
      { verbs: ["get"], apiGroups: ["apps"], resources: ["configmaps"] },
      { verbs: ["create"], apiGroups: ["apps"], resources: ["configmaps"] },
    ]);
  });

  test("resourceNames: a named owner rule covers only those names, never all names", () => {
    expect(
      rulesCover(owner, [{ verbs: ["update"], apiGroups: [""], resources: ["configmaps"], resourceNames: ["one"] }]),
    ).toEqual([]);
    expect(rulesCover(owner, [{ verbs: ["update"], apiGroups: [""], resources: ["configmaps"] }])).toHaveLength(1);
    expect(
      rulesCover(owner, [{ verbs: ["update"], apiGroups: [""], resources: ["configmaps"], resourceNames: ["two"] }]),
    ).toEqual([{ verbs: ["update"], apiGroups: [""], resources: ["configmaps"], resourceNames: ["two"] }]);
    // An owner rule without names covers any names.
    expect(
      rulesCover(owner, [{ verbs: ["get"], apiGroups: [""], resources: ["secrets"], resourceNames: ["s"] }]),
    ).toEqual([]);
  });

  test("a wildcard in the wanted rule needs a wildcard in the owner's", () => {
    expect(rulesCover(owner, [{ verbs: ["*"], apiGroups: [""], resources: ["configmaps"] }])).toHaveLength(1);
    expect(rulesCover(owner, [{ verbs: ["get"], apiGroups: [""], resources: ["*"] }])).toHaveLength(1);
    expect(rulesCover(owner, [{ verbs: ["get"], nonResourceURLs: ["/metrics"] }])).toHaveLength(1);
    const admin: PolicyRule[] = [
      { verbs: ["*"], apiGroups: ["*"], resources: ["*"] },
      { verbs: ["*"], nonResourceURLs: ["*"] },
    ];
    expect(rulesCover(admin, [...owner, { verbs: ["*"], apiGroups: ["*"], resources: ["*"] }])).toEqual([]);
  });

  test("hostile sizes are bounded: a huge rule is judged whole", () => {
    const many = Array.from({ length: 1000 }, (_, i) => `r${i}`);
    const huge: PolicyRule = { verbs: many, apiGroups: many, resources: many };
    expect(1000 ** 3).toBeGreaterThan(MAX_BREAKDOWN);
    expect(rulesCover(owner, [huge])).toEqual([huge]);
    expect(rulesCover([{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }], [huge])).toEqual([]);
  });
});
