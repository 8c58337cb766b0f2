// Identities end to end: the static token file's users through a real kcp and the real kubectl.

import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { api, type KcpProcess, kubectl, removeDir, startKcp, tempDir, useKcp } from "../helpers/kcp-process.ts";

const TOKENS = ['alice-secret-token,alice,alice-uid,"dev,ops"', "bob-secret-token,bob,bob-uid"].join("\n");

let kcp: KcpProcess;
useKcp((k) => (kcp = k), {
  rootDir: (() => {
    const dir = tempDir();
    writeFileSync(join(dir, "tokens.csv"), `${TOKENS}\n`);
    return dir;
  })(),
  args: ["--token-auth-file", "tokens.csv", "--audit-log-path", "audit.log"],
});

// RBAC decides what these users may do: alice may impersonate (users, groups, service accounts),
// and bob may read in default. (test/e2e/rbac-identities.test.ts checks the refusals.)
beforeAll(async () => {
  const grants = [
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "impersonator" },
      rules: [{ apiGroups: [""], resources: ["users", "groups", "serviceaccounts"], verbs: ["impersonate"] }],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "alice-impersonates" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "impersonator" },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "alice" }],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "bob-view", namespace: "default" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "bob" }],
    },
  ];
  const r = await kubectl(kcp, ["apply", "-f", "-"], {
    stdin: JSON.stringify({ apiVersion: "v1", kind: "List", items: grants }),
  });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
});

async function whoami(
  token: string,
  extra: string[] = [],
): Promise<{ username: string; uid?: string; groups: string[] }> {
  const r = await kubectl(kcp, ["--token", token, ...extra, "auth", "whoami", "-o", "json"]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout).status.userInfo;
}

describe("--token-auth-file", () => {
  test("its users authenticate with their groups and system:authenticated, in any logical cluster", async () => {
    expect(await whoami("alice-secret-token")).toEqual({
      username: "alice",
      uid: "alice-uid",
      groups: ["dev", "ops", "system:authenticated"],
    });
    expect(await whoami("bob-secret-token", ["--server", `${kcp.url}/clusters/admin`])).toEqual({
      username: "bob",
      uid: "bob-uid",
      groups: ["system:authenticated"],
    });
  });

  test("an unknown token is 401", async () => {
    const r = await api(kcp, "/api/v1/namespaces", { token: "alice-secret-tokenX" });
    expect(r.status).toBe(401);
  });

  test("a bad file stops kcp start with the line at fault, exit code 1", async () => {
    const dir = tempDir();
    try {
      await Bun.write(join(dir, "bad.csv"), "t,u,1\n# who may do what\n");
      const err = await startKcp({ rootDir: dir, args: ["--token-auth-file", "bad.csv"] }).then(
        () => "started",
        (e: Error) => e.message,
      );
      expect(err).toContain("kcp exited with 1");
      expect(err).toContain("bad.csv line 2: comments are not allowed");
    } finally {
      removeDir(dir);
    }
  });
});

describe("identity headers and impersonation", () => {
  test("X-Remote-User/-Group/-Extra from a client are ignored: whoami shows the token's user", async () => {
    const r = await api(kcp, "/apis/authentication.k8s.io/v1/selfsubjectreviews", {
      method: "POST",
      token: "bob-secret-token",
      headers: {
        "content-type": "application/json",
        "X-Remote-User": "kcp-admin",
        "X-Remote-Group": "system:masters",
        "X-Remote-Extra-Scopes": "all",
      },
      body: JSON.stringify({ apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" }),
    });
    expect(r.status).toBe(201);
    expect(((await r.json()) as { status: { userInfo: unknown } }).status.userInfo).toEqual({
      username: "bob",
      uid: "bob-uid",
      groups: ["system:authenticated"],
    });
  });

  test("kubectl --as/--as-group: whoami tells the impersonated user (RBAC allows it here)", async () => {
    expect(await whoami(kcp.token, ["--as", "bob", "--as-group", "g1", "--as-group", "g2"])).toEqual({
      username: "bob",
      groups: ["g1", "g2", "system:authenticated"],
    });
    expect(await whoami("alice-secret-token", ["--as", "system:serviceaccount:default:default"])).toEqual({
      username: "system:serviceaccount:default:default",
      groups: ["system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"],
    });
  });

  test("Impersonate-Group without Impersonate-User is 400", async () => {
    const r = await api(kcp, "/api/v1/namespaces", { headers: { "Impersonate-Group": "g" } });
    expect(r.status).toBe(400);
  });
});

describe("--audit-log-path", () => {
  /** The audit events so far (the log is written shortly after each request: poll). */
  async function eventsUntil(found: (e: Record<string, unknown>[]) => boolean): Promise<Record<string, unknown>[]> {
    const path = join(kcp.rootDir, "audit.log");
    const deadline = Date.now() + 10_000;
    for (;;) {
      const events = existsSync(path)
        ? readFileSync(path, "utf8")
            .split("\n")
            .filter(Boolean)
            .map((l) => JSON.parse(l) as Record<string, unknown>)
        : [];
      if (found(events) || Date.now() > deadline) return events;
      await Bun.sleep(50);
    }
  }

  test("kubectl's requests: who, as whom, from where, what, the code, the logical cluster", async () => {
    const r = await kubectl(kcp, [
      "--token",
      "alice-secret-token",
      "--as",
      "bob",
      "get",
      "configmaps",
      "-n",
      "default",
    ]);
    expect(r.code).toBe(0);
    const events = await eventsUntil((es) => es.some((e) => e.impersonatedUser !== undefined && e.verb === "list"));
    const list = events.find((e) => e.impersonatedUser !== undefined && e.verb === "list");
    expect(list).toMatchObject({
      kind: "Event",
      apiVersion: "audit.k8s.io/v1",
      level: "Metadata",
      stage: "ResponseComplete",
      verb: "list",
      user: { username: "alice", uid: "alice-uid", groups: ["dev", "ops", "system:authenticated"] },
      impersonatedUser: { username: "bob", groups: ["system:authenticated"] },
      sourceIPs: ["127.0.0.1"],
      objectRef: { resource: "configmaps", namespace: "default", apiVersion: "v1" },
      responseStatus: { code: 200 },
      annotations: { "authorization.k8s.io/decision": "allow", "kcp.io/cluster": "admin" },
    });
    expect(String(list?.userAgent)).toStartWith("kubectl");
    expect(String(list?.requestURI)).toStartWith("/api/v1/namespaces/default/configmaps");
  });

  test("a response's Audit-ID names its event; a 401 is logged with an empty user", async () => {
    const res = await api(kcp, "/clusters/admin/api/v1/namespaces", { token: "wrong" });
    expect(res.status).toBe(401);
    const id = res.headers.get("audit-id");
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const events = await eventsUntil((es) => es.some((e) => e.auditID === id));
    expect(events.find((e) => e.auditID === id)).toMatchObject({
      user: {},
      requestURI: "/clusters/admin/api/v1/namespaces",
      responseStatus: { code: 401 },
    });
  });
});

test("--audit-log-path -: events as JSON lines on stdout", async () => {
  const k = await startKcp({ args: ["--audit-log-path", "-"] });
  try {
    const res = await api(k, "/api/v1/namespaces/default");
    expect(res.status).toBe(200);
    const id = res.headers.get("audit-id") ?? "none";
    expect(await k.stop()).toBe(0);
    const line = k
      .output()
      .split("\n")
      .find((l) => l.includes(id));
    expect(JSON.parse(line ?? "{}")).toMatchObject({
      apiVersion: "audit.k8s.io/v1",
      auditID: id,
      objectRef: { resource: "namespaces", name: "default" },
    });
  } finally {
    removeDir(k.rootDir);
  }
});
