// The impersonation filter through the whole app, with a test authorizer that allows every request
// but `impersonate`, which only the listed parts may do.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { AuthorizationAttributes, Authorizer } from "../../src/auth/types.ts";
import { type InMemoryApp, inMemoryApp } from "../helpers/in-memory-app.ts";

const ALICE = { username: "alice", uid: "alice-uid", groups: ["dev", "system:authenticated"] };

/** `group/resource[/subresource]/namespace/name` of each impersonation alice may do. */
const allowed = new Set<string>();
/** Every non-impersonate request's user, as authorization saw it. */
const seen: AuthorizationAttributes[] = [];

const authorizer: Authorizer = {
  authorize(attrs) {
    if (attrs.resource === "widgets") return { allowed: attrs.user.username === "bob", reason: "" };
    if (attrs.verb !== "impersonate") {
      seen.push(attrs);
      return { allowed: true, reason: "" };
    }
    const res = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
    const key = `${attrs.group}/${res}/${attrs.namespace ?? ""}/${attrs.name}`;
    if (attrs.user.username === "alice" && allowed.has(key)) return { allowed: true, reason: "" };
    return { allowed: false, reason: "" };
  },
  rulesFor: () => ({ resourceRules: [], nonResourceRules: [], incomplete: false }),
};

let env: InMemoryApp;
beforeAll(async () => {
  env = await inMemoryApp({ authorizer, tokens: [{ token: "alice-token", user: ALICE }] });
});
afterAll(() => env.close());

async function whoami(headers: Record<string, string> | [string, string][]): Promise<Response> {
  const h = new Headers(headers);
  h.set("authorization", "Bearer alice-token");
  h.set("content-type", "application/json");
  return env.app.request("/apis/authentication.k8s.io/v1/selfsubjectreviews", {
    method: "POST",
    headers: h,
    body: JSON.stringify({ apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" }),
  });
}

interface Body {
  message?: string;
  reason?: string;
  status?: { userInfo?: unknown };
}

async function bodyOf(res: Response): Promise<Body> {
  return (await res.json()) as Body;
}

async function userInfo(res: Response): Promise<unknown> {
  const body = await bodyOf(res);
  expect(res.status, JSON.stringify(body)).toBe(201);
  return body.status?.userInfo;
}

describe("impersonation filter", () => {
  test("without Impersonate-* the authenticated user acts; X-Remote-* identity headers are ignored", async () => {
    seen.length = 0;
    const res = await whoami({
      "X-Remote-User": "kcp-admin",
      "X-Remote-Group": "system:masters",
      "X-Remote-Extra-Scopes": "all",
    });
    expect(await userInfo(res)).toEqual(ALICE);
    expect(seen.map((a) => a.user.username)).toEqual(["alice"]);
  });

  test("a user without the impersonate permission gets kube's 403", async () => {
    allowed.clear();
    const res = await whoami({ "Impersonate-User": "bob" });
    expect(res.status).toBe(403);
    expect(await bodyOf(res)).toMatchObject({
      kind: "Status",
      reason: "Forbidden",
      code: 403,
      message:
        'users "bob" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope',
      details: { name: "bob", kind: "users" },
    });
  });

  test("allowed user and groups: later filters and the handler see the impersonated user", async () => {
    allowed.clear();
    allowed.add("/users//bob").add("/groups//g1").add("/groups//g2");
    seen.length = 0;
    const res = await whoami([
      ["Impersonate-User", "bob"],
      ["Impersonate-Group", "g1"],
      ["Impersonate-Group", "g2"],
    ]);
    expect(await userInfo(res)).toEqual({ username: "bob", groups: ["g1", "g2", "system:authenticated"] });
    // Authorization judged bob, not alice.
    expect(seen.map((a) => [a.user.username, a.verb, a.resource])).toEqual([["bob", "create", "selfsubjectreviews"]]);
  });

  test("each group is checked: one not allowed is 403 naming it", async () => {
    allowed.clear();
    allowed.add("/users//bob").add("/groups//g1");
    const res = await whoami([
      ["Impersonate-User", "bob"],
      ["Impersonate-Group", "g1"],
      ["Impersonate-Group", "system:masters"],
    ]);
    expect(res.status).toBe(403);
    expect((await bodyOf(res)).message).toBe(
      'groups "system:masters" is forbidden: User "alice" cannot impersonate resource "groups" in API group "" at the cluster scope',
    );
  });

  test("a service account: checked on serviceaccounts in its namespace; its groups filled in", async () => {
    allowed.clear();
    const denied = await whoami({ "Impersonate-User": "system:serviceaccount:team:robot" });
    expect(denied.status).toBe(403);
    expect((await bodyOf(denied)).message).toBe(
      'serviceaccounts "robot" is forbidden: User "alice" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "team"',
    );
    allowed.add("/serviceaccounts/team/robot");
    expect(await userInfo(await whoami({ "Impersonate-User": "system:serviceaccount:team:robot" }))).toEqual({
      username: "system:serviceaccount:team:robot",
      groups: ["system:serviceaccounts", "system:serviceaccounts:team", "system:authenticated"],
    });
  });

  test("uid and extra: uids and userextras/<key> in authentication.k8s.io, keys percent-decoded and lower-cased", async () => {
    allowed.clear();
    allowed.add("/users//bob");
    const headers: [string, string][] = [
      ["Impersonate-User", "bob"],
      ["Impersonate-Uid", "u-1"],
      ["Impersonate-Extra-acme.com%2FProject", "p1"],
      ["Impersonate-Extra-Scopes", "view"],
      ["Impersonate-Extra-Scopes", "edit"],
    ];
    const noUid = await whoami(headers);
    expect(noUid.status).toBe(403);
    const msg = (await bodyOf(noUid)).message;
    expect(msg).toContain('cannot impersonate resource "userextras/');
    expect(msg).toContain('in API group "authentication.k8s.io"');
    allowed
      .add("authentication.k8s.io/userextras/acme.com/project//p1")
      .add("authentication.k8s.io/userextras/scopes//view")
      .add("authentication.k8s.io/userextras/scopes//edit");
    const uidDenied = await whoami(headers);
    expect((await bodyOf(uidDenied)).message).toBe(
      'uids.authentication.k8s.io "u-1" is forbidden: User "alice" cannot impersonate resource "uids" in API group "authentication.k8s.io" at the cluster scope',
    );
    allowed.add("authentication.k8s.io/uids//u-1");
    expect(await userInfo(await whoami(headers))).toEqual({
      username: "bob",
      uid: "u-1",
      groups: ["system:authenticated"],
      extra: { "acme.com/project": ["p1"], scopes: ["view", "edit"] },
    });
  });

  test("two spellings of one extra key add up, each value checked", async () => {
    allowed.clear();
    allowed.add("/users//bob").add("authentication.k8s.io/userextras/scopes//a");
    const headers: [string, string][] = [
      ["Impersonate-User", "bob"],
      ["Impersonate-Extra-Scopes", "a"],
      ["Impersonate-Extra-%73copes", "b"],
    ];
    expect((await whoami(headers)).status).toBe(403);
    allowed.add("authentication.k8s.io/userextras/scopes//b");
    const info = (await userInfo(await whoami(headers))) as { extra: { scopes: string[] } };
    // Headers iterate sorted by name: the order of the two spellings is fetch's, not the client's.
    expect(info.extra.scopes.sort()).toEqual(["a", "b"]);
  });

  test("kubectl auth can-i --as: a SelfSubjectAccessReview answers for the impersonated user", async () => {
    allowed.clear();
    allowed.add("/users//bob");
    const canI = async (headers: Record<string, string>) => {
      const res = await env.app.request("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", {
        method: "POST",
        headers: { authorization: "Bearer alice-token", "content-type": "application/json", ...headers },
        body: JSON.stringify({
          apiVersion: "authorization.k8s.io/v1",
          kind: "SelfSubjectAccessReview",
          spec: {
            resourceAttributes: { verb: "get", group: "example.com", resource: "widgets", namespace: "default" },
          },
        }),
      });
      expect(res.status).toBe(201);
      return ((await res.json()) as { status: { allowed: boolean } }).status.allowed;
    };
    expect(await canI({})).toBe(false);
    expect(await canI({ "Impersonate-User": "bob" })).toBe(true);
  });

  test("an extra key named __proto__ stays an ordinary key", async () => {
    allowed.clear();
    allowed.add("/users//bob").add("authentication.k8s.io/userextras/__proto__//x");
    const info = (await userInfo(
      await whoami({ "Impersonate-User": "bob", "Impersonate-Extra-__proto__": "x" }),
    )) as Record<string, unknown>;
    expect(Object.keys(info.extra as object)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  test("system:anonymous gets system:unauthenticated; given groups decide otherwise", async () => {
    allowed.clear();
    allowed.add("/users//system:anonymous").add("/users//bob").add("/groups//system:unauthenticated");
    expect(await userInfo(await whoami({ "Impersonate-User": "system:anonymous" }))).toEqual({
      username: "system:anonymous",
      groups: ["system:unauthenticated"],
    });
    expect(
      await userInfo(await whoami({ "Impersonate-User": "bob", "Impersonate-Group": "system:unauthenticated" })),
    ).toEqual({ username: "bob", groups: ["system:unauthenticated"] });
  });

  test("groups, uid or extra without a user is 400", async () => {
    const alone: Record<string, string>[] = [
      { "Impersonate-Group": "g" },
      { "Impersonate-Uid": "u" },
      { "Impersonate-Extra-Scopes": "s" },
    ];
    for (const h of alone) {
      const res = await whoami(h);
      expect(res.status).toBe(400);
      expect((await bodyOf(res)).reason).toBe("BadRequest");
    }
  });
});
