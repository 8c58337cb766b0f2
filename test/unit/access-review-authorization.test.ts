// Token minting, TokenReview and the access reviews go through authorization like any other request
// (the attributes the authorizer is asked about are exactly kube's), and the access reviews answer
// every status field from the authorizer: allowed, denied, reason, evaluationError; for
// SelfSubjectRulesReview the rules, incomplete and evaluationError. Through the real app
// (test/helpers/in-memory-app.ts) with a test authorizer that records what it is asked.

import { afterEach, describe, expect, test } from "bun:test";
import { generateKeyPairSync } from "node:crypto";
import type { UserInfo } from "../../src/apis/types.ts";
import { ServiceAccountJWT } from "../../src/auth/service-account-jwt.ts";
import type { AuthorizationAttributes, AuthorizationDecision, Authorizer } from "../../src/auth/types.ts";
import { type InMemoryApp, inMemoryApp, TEST_TOKEN } from "../helpers/in-memory-app.ts";

const HEADERS = { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json" };
const AUTHZ = "authorization.k8s.io";

/** Allows what `allow` says, denies the rest (explicitly when `deny` says so), and records every question. */
class ScriptedAuthorizer implements Authorizer {
  readonly asked: AuthorizationAttributes[] = [];
  rulesAnswer: ReturnType<Authorizer["rulesFor"]> = { resourceRules: [], nonResourceRules: [], incomplete: false };
  readonly rulesAsked: [UserInfo, string, string][] = [];
  constructor(private readonly decide: (a: AuthorizationAttributes) => AuthorizationDecision) {}
  authorize(attrs: AuthorizationAttributes): AuthorizationDecision {
    this.asked.push(attrs);
    return this.decide(attrs);
  }
  rulesFor(user: UserInfo, cluster: string, namespace: string) {
    this.rulesAsked.push([user, cluster, namespace]);
    return this.rulesAnswer;
  }
}

const opened: InMemoryApp[] = [];
afterEach(async () => {
  for (const a of opened.splice(0)) await a.close();
});

async function open(authorizer: Authorizer): Promise<InMemoryApp> {
  const key = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" });
  const a = await inMemoryApp({ authorizer, serviceAccountTokens: new ServiceAccountJWT(key as string) });
  opened.push(a);
  return a;
}

async function post(a: InMemoryApp, path: string, body: unknown) {
  const res = await a.app.request(path, { method: "POST", headers: HEADERS, body: JSON.stringify(body) });
  return { code: res.status, body: (await res.json()) as Record<string, any> };
}

/** The requests' own authorization: everything but the review's question (those carry a version "*"). */
function requestChecks(z: ScriptedAuthorizer) {
  return z.asked.filter((q) => q.version !== "*");
}

describe("what the authorization filter is asked", () => {
  test("minting a service account token is create on serviceaccounts/token, named, in its namespace", async () => {
    const z = new ScriptedAuthorizer(() => ({ allowed: true, reason: "" }));
    const a = await open(z);
    expect(
      (await post(a, "/clusters/team-a/api/v1/namespaces/default/serviceaccounts", { metadata: { name: "robot" } }))
        .code,
    ).toBe(201);
    z.asked.length = 0;
    const minted = await post(a, "/clusters/team-a/api/v1/namespaces/default/serviceaccounts/robot/token", {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenRequest",
      spec: {},
    });
    expect(minted.code).toBe(201);
    expect(z.asked).toEqual([
      {
        user: expect.objectContaining({ username: "kcp-admin" }),
        cluster: "team-a",
        verb: "create",
        resourceRequest: true,
        group: "",
        version: "v1",
        resource: "serviceaccounts",
        subresource: "token",
        namespace: "default",
        name: "robot",
      },
    ]);
  });

  test("without create on serviceaccounts/token no token is minted: 403", async () => {
    const z = new ScriptedAuthorizer((q) =>
      q.subresource === "token" ? { allowed: false, reason: "" } : { allowed: true, reason: "" },
    );
    const a = await open(z);
    await post(a, "/clusters/team-a/api/v1/namespaces/kube-system/serviceaccounts", { metadata: { name: "robot" } });
    const minted = await post(a, "/clusters/team-a/api/v1/namespaces/kube-system/serviceaccounts/robot/token", {
      spec: {},
    });
    expect(minted.code).toBe(403);
    expect(minted.body.reason).toBe("Forbidden");
    expect(minted.body.status?.token).toBeUndefined();
    expect(JSON.stringify(minted.body)).not.toContain("eyJ");
  });

  test("TokenReview and SubjectAccessReview are creates of their resources, refused without permission", async () => {
    const z = new ScriptedAuthorizer((q) =>
      q.version === "*" ? { allowed: true, reason: "" } : { allowed: false, reason: "" },
    );
    const a = await open(z);
    const tr = await post(a, "/clusters/team-a/apis/authentication.k8s.io/v1/tokenreviews", {
      spec: { token: TEST_TOKEN },
    });
    expect(tr.code).toBe(403);
    // The oracle stays shut: a refused review says nothing about the token.
    expect(tr.body.status).toBe("Failure");
    expect(JSON.stringify(tr.body)).not.toContain('kcp-admin"');
    const sar = await post(a, `/clusters/team-a/apis/${AUTHZ}/v1/subjectaccessreviews`, {
      spec: { user: "bob", resourceAttributes: { verb: "get", resource: "pods" } },
    });
    expect(sar.code).toBe(403);
    expect(requestChecks(z).map((q) => [q.verb, q.group, q.resource, q.subresource, q.cluster])).toEqual([
      ["create", "authentication.k8s.io", "tokenreviews", undefined, "team-a"],
      ["create", AUTHZ, "subjectaccessreviews", undefined, "team-a"],
    ]);
    // The refused review asked the authorizer nothing on bob's behalf.
    expect(z.asked.filter((q) => q.user.username === "bob")).toEqual([]);
  });
});

describe("the access reviews answer from the authorizer", () => {
  test("SubjectAccessReview passes user, uid, groups, extra and every resource attribute", async () => {
    const z = new ScriptedAuthorizer((q) =>
      q.user.username === "bob"
        ? { allowed: false, denied: true, reason: "no", evaluationError: 'clusterrole "gone" not found' }
        : { allowed: true, reason: "" },
    );
    const a = await open(z);
    const r = await post(a, `/clusters/team-a/apis/${AUTHZ}/v1/subjectaccessreviews`, {
      spec: {
        user: "bob",
        uid: "u-7",
        groups: ["dev", "system:authenticated"],
        extra: { scopes: ["a", "b"] },
        resourceAttributes: {
          namespace: "ns1",
          verb: "update",
          group: "apps",
          version: "v1",
          resource: "deployments",
          subresource: "scale",
          name: "web",
        },
      },
    });
    expect(r.code).toBe(201);
    expect(r.body.status).toEqual({
      allowed: false,
      denied: true,
      reason: "no",
      evaluationError: 'clusterrole "gone" not found',
    });
    expect(z.asked.filter((q) => q.user.username === "bob")).toEqual([
      {
        user: { username: "bob", uid: "u-7", groups: ["dev", "system:authenticated"], extra: { scopes: ["a", "b"] } },
        cluster: "team-a",
        resourceRequest: true,
        verb: "update",
        namespace: "ns1",
        group: "apps",
        version: "v1",
        resource: "deployments",
        subresource: "scale",
        name: "web",
      },
    ]);
  });

  test("non-resource attributes and LocalSubjectAccessReview's namespace reach the authorizer", async () => {
    const z = new ScriptedAuthorizer((q) =>
      q.user.username === "carol"
        ? { allowed: q.path === "/healthz", reason: "by path" }
        : { allowed: true, reason: "" },
    );
    const a = await open(z);
    const nr = await post(a, `/clusters/team-a/apis/${AUTHZ}/v1/subjectaccessreviews`, {
      spec: { user: "carol", nonResourceAttributes: { path: "/healthz", verb: "get" } },
    });
    expect(nr.body.status).toEqual({ allowed: true, reason: "by path" });
    const no = await post(a, `/clusters/team-a/apis/${AUTHZ}/v1/subjectaccessreviews`, {
      spec: { user: "carol", nonResourceAttributes: { path: "/metrics", verb: "get" } },
    });
    // Not allowed, not explicitly denied: RBAC's "no opinion".
    expect(no.body.status).toEqual({ allowed: false, reason: "by path" });
    const local = await post(a, `/clusters/team-a/apis/${AUTHZ}/v1/namespaces/ns2/localsubjectaccessreviews`, {
      spec: {
        groups: ["ops"],
        user: "carol",
        resourceAttributes: { namespace: "ns2", verb: "list", resource: "secrets" },
      },
    });
    expect(local.code).toBe(201);
    const asked = z.asked.filter((q) => q.user.username === "carol");
    expect(
      asked.map((q) => (q.resourceRequest ? `${q.verb} ${q.resource} in ${q.namespace}` : `${q.verb} ${q.path}`)),
    ).toEqual(["get /healthz", "get /metrics", "list secrets in ns2"]);
    expect(asked.every((q) => q.cluster === "team-a")).toBe(true);
  });

  test("SelfSubjectAccessReview asks about the requester in the request's logical cluster", async () => {
    const z = new ScriptedAuthorizer(() => ({ allowed: true, reason: "fine" }));
    const a = await open(z);
    const r = await post(a, `/clusters/team-b/apis/${AUTHZ}/v1/selfsubjectaccessreviews`, {
      spec: { resourceAttributes: { verb: "delete", resource: "configmaps", namespace: "x", name: "c" } },
    });
    expect(r.body.status).toEqual({ allowed: true, reason: "fine" });
    const question = z.asked.find((q) => q.verb === "delete");
    expect(question).toMatchObject({
      cluster: "team-b",
      resource: "configmaps",
      namespace: "x",
      name: "c",
      version: "*",
    });
    expect(question?.user.groups).toContain("system:masters");
  });

  test("SelfSubjectRulesReview answers the authorizer's rules, incomplete and evaluationError", async () => {
    const z = new ScriptedAuthorizer(() => ({ allowed: true, reason: "" }));
    z.rulesAnswer = {
      resourceRules: [{ verbs: ["get"], apiGroups: [""], resources: ["pods"], resourceNames: ["p1"] }],
      nonResourceRules: [{ verbs: ["get"], nonResourceURLs: ["/api", "/api/*"] }],
      incomplete: true,
      evaluationError: 'role.rbac.authorization.k8s.io "missing" not found',
    };
    const a = await open(z);
    const r = await post(a, `/clusters/team-c/apis/${AUTHZ}/v1/selfsubjectrulesreviews`, {
      spec: { namespace: "ns3" },
    });
    expect(r.code).toBe(201);
    expect(r.body.status).toEqual({
      resourceRules: [{ verbs: ["get"], apiGroups: [""], resources: ["pods"], resourceNames: ["p1"] }],
      nonResourceRules: [{ verbs: ["get"], nonResourceURLs: ["/api", "/api/*"] }],
      incomplete: true,
      evaluationError: 'role.rbac.authorization.k8s.io "missing" not found',
    });
    expect(z.rulesAsked.map(([u, c, ns]) => [u.username, c, ns])).toEqual([["kcp-admin", "team-c", "ns3"]]);
  });
});
