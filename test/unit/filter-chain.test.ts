// The filter chain of createApp (src/server/app.ts, src/server/filters/) through `app.request(...)`,
// with no socket, on a real object store over SQLite in memory: request info → authentication →
// authorization → logical cluster → handler, each filter's answers, their order, and the handler at
// the end (resources in logical clusters, non-resource endpoints).

import { afterEach, describe, expect, test } from "bun:test";
import type { UserInfo } from "../../src/apis/types.ts";
import type { AuthorizationAttributes, AuthorizationDecision, Authorizer } from "../../src/auth/types.ts";
import { type InMemoryApp, inMemoryApp, TEST_TOKEN } from "../helpers/in-memory-app.ts";

const AUTH = { authorization: `Bearer ${TEST_TOKEN}` };
const JSON_HEADERS = { ...AUTH, "content-type": "application/json" };

/** Denies (or allows) everything, and remembers what it was asked. */
class RecordingAuthorizer implements Authorizer {
  readonly asked: AuthorizationAttributes[] = [];
  constructor(private readonly decision: AuthorizationDecision) {}
  authorize(attrs: AuthorizationAttributes): AuthorizationDecision {
    this.asked.push(attrs);
    return this.decision;
  }
  rulesFor(_user: UserInfo, _cluster: string, _namespace: string) {
    return { resourceRules: [], nonResourceRules: [], incomplete: false };
  }
}

const opened: InMemoryApp[] = [];

async function open(authorizer?: Authorizer): Promise<InMemoryApp> {
  const a = await inMemoryApp(authorizer ? { authorizer } : {});
  opened.push(a);
  return a;
}

afterEach(async () => {
  for (const a of opened.splice(0)) await a.close();
});

/** A JSON response body, loosely typed for the assertions. */
async function json(res: Response): Promise<Record<string, any>> {
  return (await res.json()) as Record<string, any>;
}

function configMap(name: string, data: Record<string, string>) {
  return JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data });
}

describe("request info", () => {
  test("a malformed /clusters/<name> prefix is 404 before credentials are looked at", async () => {
    const { app } = await open();
    for (const path of [
      "/clusters/Bad_Name/api/v1/configmaps",
      "/clusters/x/api/v1/configmaps",
      "/clusters/admin",
      "/clusters/*/",
    ]) {
      const res = await app.request(path);
      expect(res.status).toBe(404);
      const body = await json(res);
      expect(body.kind).toBe("Status");
      expect(body.reason).toBe("NotFound");
      expect(body.message).toStartWith("Unknown cluster ");
    }
  });

  test("the authorizer sees the request info of a resource request", async () => {
    const authz = new RecordingAuthorizer({ allowed: true, reason: "" });
    const { app } = await open(authz);
    const res = await app.request("/clusters/team-a/apis/apps/v1/namespaces/web/deployments/front/scale", {
      headers: AUTH,
    });
    expect(res.status).toBe(404);
    expect(authz.asked).toHaveLength(1);
    expect(authz.asked[0]).toEqual({
      user: { username: "kcp-admin", uid: "kcp-admin", groups: ["system:masters", "system:authenticated"] },
      cluster: "team-a",
      verb: "get",
      resourceRequest: true,
      group: "apps",
      version: "v1",
      resource: "deployments",
      subresource: "scale",
      namespace: "web",
      name: "front",
    });
  });

  test("and of a non-resource request, the path without the cluster prefix", async () => {
    const authz = new RecordingAuthorizer({ allowed: true, reason: "" });
    const { app } = await open(authz);
    expect((await app.request("/clusters/team-a/apis", { method: "HEAD", headers: AUTH })).status).toBe(200);
    expect(authz.asked).toEqual([
      {
        user: { username: "kcp-admin", uid: "kcp-admin", groups: ["system:masters", "system:authenticated"] },
        cluster: "team-a",
        verb: "head",
        resourceRequest: false,
        path: "/apis",
      },
    ]);
  });
});

describe("authentication", () => {
  test("a resource request without a token is 401 with an Unauthorized Status", async () => {
    const { app } = await open();
    const res = await app.request("/api/v1/namespaces/default/configmaps");
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await json(res)).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: "Unauthorized",
      reason: "Unauthorized",
      code: 401,
    });
  });

  test("an unknown token, or an authorization header that is not a bearer token, is 401 even on public paths", async () => {
    const { app } = await open();
    for (const authorization of ["Bearer nope", "Basic a2NwOmtjcA==", `Bearer ${TEST_TOKEN} extra`]) {
      for (const path of ["/api/v1/namespaces", "/readyz", "/version"]) {
        const res = await app.request(path, { headers: { authorization } });
        expect(res.status).toBe(401);
        expect((await json(res)).reason).toBe("Unauthorized");
      }
    }
  });

  test("the bearer scheme is case-insensitive and trailing blanks are allowed", async () => {
    const { app } = await open();
    expect(
      (await app.request("/api/v1/namespaces", { headers: { authorization: `bearer ${TEST_TOKEN}  ` } })).status,
    ).toBe(200);
  });

  test("health and version endpoints answer without credentials, as system:anonymous", async () => {
    const authz = new RecordingAuthorizer({ allowed: true, reason: "" });
    const { app } = await open(authz);
    const ready = await app.request("/readyz");
    expect(ready.status).toBe(200);
    expect(await ready.text()).toBe("ok");
    const version = await app.request("/version/");
    expect(version.status).toBe(200);
    expect(typeof (await json(version)).gitVersion).toBe("string");
    for (const path of ["/livez", "/healthz", "/readyz/ping", "/livez/ping", "/healthz/ping", "/readyz?verbose"]) {
      expect((await app.request(path)).status).toBe(200);
    }
    expect(authz.asked.map((a) => a.user.username)).toEqual(Array(8).fill("system:anonymous"));
    expect(authz.asked[0].user.groups).toEqual(["system:unauthenticated"]);
  });

  test("discovery, OpenAPI and unknown paths need credentials", async () => {
    const { app } = await open();
    for (const path of ["/api", "/apis", "/openapi/v2", "/nope", "/versions", "/readyzz"]) {
      expect((await app.request(path)).status).toBe(401);
    }
  });
});

describe("authorization", () => {
  test("a denied resource request is 403 with kube's message", async () => {
    const { app } = await open(new RecordingAuthorizer({ allowed: false, reason: "no RBAC rule" }));
    const res = await app.request("/api/v1/namespaces/default/configmaps", {
      method: "POST",
      headers: JSON_HEADERS,
      body: configMap("x", {}),
    });
    expect(res.status).toBe(403);
    expect(await json(res)).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message:
        'configmaps is forbidden: User "kcp-admin" cannot create resource "configmaps" in API group "" in the namespace "default": no RBAC rule',
      reason: "Forbidden",
      details: { kind: "configmaps" },
      code: 403,
    });
    // Named, cluster-scoped, in a group, with a subresource; a namespace is in its own namespace.
    const cases: [string, string][] = [
      [
        "/apis/rbac.authorization.k8s.io/v1/clusterroles/admin",
        'clusterroles.rbac.authorization.k8s.io "admin" is forbidden: User "kcp-admin" cannot get resource "clusterroles" in API group "rbac.authorization.k8s.io" at the cluster scope: no RBAC rule',
      ],
      [
        "/api/v1/namespaces/d/serviceaccounts/sa/token",
        'serviceaccounts "sa" is forbidden: User "kcp-admin" cannot get resource "serviceaccounts/token" in API group "" in the namespace "d": no RBAC rule',
      ],
      [
        "/api/v1/namespaces/d",
        'namespaces "d" is forbidden: User "kcp-admin" cannot get resource "namespaces" in API group "" in the namespace "d": no RBAC rule',
      ],
    ];
    for (const [path, message] of cases) {
      const r = await app.request(path, { headers: AUTH });
      expect(r.status).toBe(403);
      expect((await json(r)).message).toBe(message);
    }
    const named = await json(await app.request(cases[0][0], { headers: AUTH }));
    expect(named.details).toEqual({ name: "admin", group: "rbac.authorization.k8s.io", kind: "clusterroles" });
  });

  test("a denied non-resource request names the path; without a reason the message ends there", async () => {
    const { app } = await open(new RecordingAuthorizer({ allowed: false, reason: "" }));
    const res = await app.request("/version");
    expect(res.status).toBe(403);
    expect((await json(res)).message).toBe('forbidden: User "system:anonymous" cannot get path "/version"');
    const apis = await app.request("/clusters/team-a/apis/apps", { headers: AUTH });
    expect(apis.status).toBe(403);
    expect((await json(apis)).message).toBe('forbidden: User "kcp-admin" cannot get path "/apis/apps"');
  });

  test("the authorizer is not asked about an unauthenticated request", async () => {
    const authz = new RecordingAuthorizer({ allowed: false, reason: "denied" });
    const { app } = await open(authz);
    expect((await app.request("/api/v1/namespaces/default/configmaps")).status).toBe(401);
    expect(
      (await app.request("/api/v1/namespaces/default/configmaps", { headers: { authorization: "Bearer wrong" } }))
        .status,
    ).toBe(401);
    expect(authz.asked).toHaveLength(0);
  });

  test("a denied request does not create its logical cluster", async () => {
    const { app, deps } = await open(new RecordingAuthorizer({ allowed: false, reason: "" }));
    expect((await app.request("/clusters/denied/api/v1/namespaces/default/configmaps", { headers: AUTH })).status).toBe(
      403,
    );
    expect(await deps.clusters.list()).toEqual(["admin"]);
  });
});

describe("logical cluster and handler", () => {
  test("a configmap created and read back in admin, and another under /clusters/other", async () => {
    const { app } = await open();
    const created = await app.request("/api/v1/namespaces/default/configmaps", {
      method: "POST",
      headers: JSON_HEADERS,
      body: configMap("settings", { tier: "admin" }),
    });
    expect(created.status).toBe(201);
    const got = await app.request("/api/v1/namespaces/default/configmaps/settings", { headers: AUTH });
    expect(got.status).toBe(200);
    expect((await json(got)).data).toEqual({ tier: "admin" });
    // The default cluster by its name: the same object.
    expect(
      (
        await json(
          await app.request("/clusters/admin/api/v1/namespaces/default/configmaps/settings", { headers: AUTH }),
        )
      ).data,
    ).toEqual({ tier: "admin" });

    // Not in other, until created there.
    const missing = await app.request("/clusters/other/api/v1/namespaces/default/configmaps/settings", {
      headers: AUTH,
    });
    expect(missing.status).toBe(404);
    expect((await json(missing)).message).toBe('configmaps "settings" not found');
    const createdOther = await app.request("/clusters/other/api/v1/namespaces/default/configmaps", {
      method: "POST",
      headers: JSON_HEADERS,
      body: configMap("settings", { tier: "other" }),
    });
    expect(createdOther.status).toBe(201);
    const gotOther = await app.request("/clusters/other/api/v1/namespaces/default/configmaps/settings", {
      headers: AUTH,
    });
    expect(gotOther.status).toBe(200);
    expect((await json(gotOther)).data).toEqual({ tier: "other" });
    // admin's copy is untouched.
    expect(
      (await json(await app.request("/api/v1/namespaces/default/configmaps/settings", { headers: AUTH }))).data,
    ).toEqual({ tier: "admin" });
  });

  test("a list across /clusters/* has the objects of every cluster, each with its cluster", async () => {
    const { app } = await open();
    for (const [prefix, name] of [
      ["", "in-admin"],
      ["/clusters/one", "in-one"],
      ["/clusters/two", "in-two"],
    ]) {
      const res = await app.request(`${prefix}/api/v1/namespaces/default/configmaps`, {
        method: "POST",
        headers: JSON_HEADERS,
        body: configMap(name, {}),
      });
      expect(res.status).toBe(201);
    }
    const res = await app.request("/clusters/*/api/v1/configmaps", { headers: AUTH });
    expect(res.status).toBe(200);
    const list = await json(res);
    expect(list.kind).toBe("ConfigMapList");
    const seen = list.items.map(
      (i: { metadata: { name: string; annotations: Record<string, string> } }) =>
        `${i.metadata.annotations["kcp.io/cluster"]}/${i.metadata.name}`,
    );
    expect(seen.sort()).toEqual(["admin/in-admin", "one/in-one", "two/in-two"]);
  });

  test("a logical cluster comes into being, with its namespace default, on its first resource request", async () => {
    const { app, deps } = await open();
    expect(await deps.clusters.list()).toEqual(["admin"]);
    // Neither a wildcard read nor a non-resource request creates one.
    expect((await app.request("/clusters/*/api/v1/namespaces", { headers: AUTH })).status).toBe(200);
    expect((await app.request("/clusters/fresh/api", { headers: AUTH })).status).toBe(200);
    expect((await app.request("/clusters/fresh/version")).status).toBe(200);
    expect(await deps.clusters.list()).toEqual(["admin"]);

    // The first request reads the namespace the cluster's creation makes.
    const ns = await app.request("/clusters/fresh/api/v1/namespaces/default", { headers: AUTH });
    expect(ns.status).toBe(200);
    expect((await json(ns)).status.phase).toBe("Active");
    expect((await deps.clusters.list()).sort()).toEqual(["admin", "fresh"]);
    const names = await json(await app.request("/clusters/fresh/api/v1/namespaces", { headers: AUTH }));
    expect(names.items.map((n: { metadata: { name: string } }) => n.metadata.name).sort()).toEqual([
      "default",
      "kube-node-lease",
      "kube-public",
      "kube-system",
    ]);
  });

  test("non-resource endpoints: discovery, 405 on a write to it, 404 elsewhere", async () => {
    const { app } = await open();
    const api = await app.request("/api", { headers: { ...AUTH, accept: "application/json" } });
    expect(api.status).toBe(200);
    expect((await json(api)).kind).toBe("APIVersions");
    const post = await app.request("/apis", { method: "POST", headers: AUTH });
    expect(post.status).toBe(405);
    expect((await json(post)).reason).toBe("MethodNotAllowed");
    const nope = await app.request("/nope", { headers: AUTH });
    expect(nope.status).toBe(404);
    expect(await json(nope)).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: "the server could not find the requested resource",
      reason: "NotFound",
      details: {},
      code: 404,
    });
  });

  test("a watch switches off the idle timeout of its own request through the server binding", async () => {
    const { app } = await open();
    const calls: [Request, number][] = [];
    const res = await app.request(
      "/api/v1/namespaces/default/configmaps?watch=true",
      { headers: AUTH },
      { timeout: (req: Request, seconds: number) => calls.push([req, seconds]) },
    );
    expect(res.status).toBe(200);
    await res.body?.cancel();
    expect(calls).toHaveLength(1);
    expect(calls[0][1]).toBe(0);
    expect(new URL(calls[0][0].url).pathname).toBe("/api/v1/namespaces/default/configmaps");
  });

  test("an unexpected error in a filter is a 500 Status through onError", async () => {
    const { app, deps } = await open();
    deps.authenticator.authenticateToken = () => {
      throw new Error("token backend exploded");
    };
    const res = await app.request("/api/v1/namespaces", { headers: AUTH });
    expect(res.status).toBe(500);
    const body = await json(res);
    expect(body.reason).toBe("InternalError");
    expect(body.message).toContain("token backend exploded");
  });
});
