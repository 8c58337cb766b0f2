// Identities under RBAC, end to end with the real kubectl: a token-file user has no rights until a
// binding gives them, cannot bring a logical cluster into being, may impersonate only with the
// `impersonate` verb, and `kubectl auth can-i --as` answers for the impersonated user.

import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { api, type KcpProcess, kubectl, tempDir, useKcp } from "../helpers/kcp-process.ts";

const TOKENS = ["alice-token,alice,alice-uid,devs", "bob-token,bob,bob-uid"].join("\n");

let kcp: KcpProcess;
useKcp((k) => (kcp = k), {
  rootDir: (() => {
    const dir = tempDir();
    writeFileSync(join(dir, "tokens.csv"), `${TOKENS}\n`);
    return dir;
  })(),
  args: ["--token-auth-file", "tokens.csv"],
});

async function as(token: string, args: string[], server?: string) {
  return kubectl(kcp, ["--token", token, ...(server ? ["--server", server] : []), ...args]);
}

async function admin(args: string[], stdin?: string) {
  const r = await kubectl(kcp, args, stdin !== undefined ? { stdin } : {});
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return r.stdout;
}

/** The logical clusters that hold namespaces, seen through the cross-cluster view as the admin. */
async function clustersWithNamespaces(): Promise<Set<string>> {
  const r = await api(kcp, "/clusters/*/api/v1/namespaces");
  expect(r.status).toBe(200);
  const list = (await r.json()) as { items: { metadata: { annotations?: Record<string, string> } }[] };
  return new Set(list.items.map((i) => i.metadata.annotations?.["kcp.io/cluster"] ?? ""));
}

describe("a token-file user under RBAC", () => {
  test("without a binding: 403 in kube's words; with one to view: reads, still cannot write", async () => {
    const denied = await as("alice-token", ["get", "configmaps", "-n", "default"]);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain(
      'configmaps is forbidden: User "alice" cannot list resource "configmaps" in API group "" in the namespace "default"',
    );
    await admin(["create", "rolebinding", "alice-view", "-n", "default", "--clusterrole=view", "--user=alice"]);
    const read = await as("alice-token", ["get", "configmaps", "-n", "default", "-o", "name"]);
    expect(read.code).toBe(0);
    const write = await as("alice-token", ["create", "configmap", "nope", "-n", "default"]);
    expect(write.code).toBe(1);
    expect(write.stderr).toContain('User "alice" cannot create resource "configmaps"');
    // The binding is in one namespace only.
    const elsewhere = await as("alice-token", ["get", "configmaps", "-n", "kube-system"]);
    expect(elsewhere.code).toBe(1);
  });

  test("requests for an unknown logical cluster are refused and create nothing", async () => {
    const before = await clustersWithNamespaces();
    expect(before.has("admin")).toBe(true);
    for (const name of ["alice-new-1", "alice-new-2", "alice-new-3"]) {
      // kubectl's discovery prints a 403 as "Forbidden: unknown"; the Status itself says why.
      const r = await as("alice-token", ["get", "configmaps", "-n", "default"], `${kcp.url}/clusters/${name}`);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("Error from server (Forbidden)");
      const discovery = await api(kcp, `/clusters/${name}/api`, { token: "alice-token" });
      expect(discovery.status).toBe(403);
      expect(((await discovery.json()) as { message: string }).message).toContain(
        `logical cluster "${name}" does not exist`,
      );
      const create = await api(kcp, `/clusters/${name}/api/v1/namespaces`, {
        method: "POST",
        token: "alice-token",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: "x" } }),
      });
      expect(create.status).toBe(403);
    }
    const after = await clustersWithNamespaces();
    for (const name of ["alice-new-1", "alice-new-2", "alice-new-3"]) expect(after.has(name)).toBe(false);
    expect(after.size).toBe(before.size);
  });
});

describe("creating a logical cluster", () => {
  test("a user allowed to create one name creates it with its first request and is its admin there", async () => {
    await admin(
      ["apply", "-f", "-"],
      JSON.stringify({
        apiVersion: "v1",
        kind: "List",
        items: [
          {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "ClusterRole",
            metadata: { name: "alice-team-creator" },
            rules: [
              {
                apiGroups: ["tenancy.kcp.io"],
                resources: ["logicalclusters"],
                verbs: ["create"],
                resourceNames: ["alice-team"],
              },
            ],
          },
          {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "ClusterRoleBinding",
            metadata: { name: "alice-creates" },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "alice-team-creator" },
            subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "alice" }],
          },
        ],
      }),
    );
    const team = `${kcp.url}/clusters/alice-team`;
    const created = await as("alice-token", ["create", "configmap", "first", "-n", "default"], team);
    expect(created.stderr).toBe("");
    expect(created.stdout.trim()).toBe("configmap/first created");
    const binding = await as(
      "alice-token",
      ["get", "clusterrolebinding", "kcp:creator", "-o", "jsonpath={.roleRef.name} {.subjects[0].name}"],
      team,
    );
    expect(binding.stdout).toBe("cluster-admin alice");
    // Admin there: namespaces and RBAC of its own.
    expect((await as("alice-token", ["create", "namespace", "work"], team)).code).toBe(0);
    // Not another name, and nothing of admin's.
    const other = await api(kcp, "/clusters/alice-other/api/v1/namespaces/default/configmaps", {
      token: "alice-token",
    });
    expect(other.status).toBe(403);
    expect((await clustersWithNamespaces()).has("alice-other")).toBe(false);
    expect((await as("alice-token", ["get", "secrets", "-n", "default"])).code).toBe(1);
    // Bob, with no such permission, has nothing in alice's cluster.
    const bob = await as("bob-token", ["get", "configmaps", "-n", "default"], team);
    expect(bob.code).toBe(1);
    expect(bob.stderr).toContain('User "bob" cannot list resource "configmaps"');
  });
});

describe("the cross-cluster view", () => {
  test("/clusters/* is 403 for a user until clusters/wildcard is granted in admin; then it reads", async () => {
    const path = "/clusters/*/api/v1/configmaps";
    await admin(["create", "configmap", "seen-everywhere", "-n", "default"]);
    const before = await api(kcp, path, { token: "bob-token" });
    expect(before.status).toBe(403);
    await admin(
      ["apply", "-f", "-"],
      JSON.stringify({
        apiVersion: "v1",
        kind: "List",
        items: [
          {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "ClusterRole",
            metadata: { name: "all-clusters-reader" },
            rules: [{ apiGroups: ["tenancy.kcp.io"], resources: ["clusters/wildcard"], verbs: ["list", "watch"] }],
          },
          {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "ClusterRoleBinding",
            metadata: { name: "bob-all-clusters" },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "all-clusters-reader" },
            subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "bob" }],
          },
        ],
      }),
    );
    const after = await api(kcp, path, { token: "bob-token" });
    expect(after.status).toBe(200);
    const items = ((await after.json()) as { items: { metadata: { annotations?: Record<string, string> } }[] }).items;
    expect(
      items.some(
        (i) =>
          i.metadata.annotations?.["kcp.io/cluster"] === "admin" &&
          (i.metadata as { name?: string }).name === "seen-everywhere",
      ),
    ).toBe(true);
    // Read-only: the view takes no writes, whoever asks.
    const write = await api(kcp, "/clusters/*/api/v1/namespaces/default/configmaps", {
      method: "POST",
      token: "bob-token",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" } }),
    });
    expect(write.status).toBeGreaterThanOrEqual(400);
    expect(write.status).toBeLessThan(500);
  });
});

describe("impersonation under RBAC", () => {
  test("--as without the impersonate verb is 403; with it, whoami and can-i answer for bob", async () => {
    // (kubectl's whoami words any 403 as "not enabled"; get shows the server's message.)
    const denied = await as("alice-token", ["get", "configmaps", "-n", "default", "--as", "bob"]);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain(
      'users "bob" is forbidden: User "alice" cannot impersonate resource "users" in API group ""',
    );
    expect((await as("alice-token", ["auth", "whoami", "--as", "bob"])).code).toBe(1);

    await admin(
      ["apply", "-f", "-"],
      JSON.stringify({
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRole",
        metadata: { name: "impersonate-bob" },
        rules: [{ apiGroups: [""], resources: ["users"], verbs: ["impersonate"], resourceNames: ["bob"] }],
      }),
    );
    await admin([
      "create",
      "clusterrolebinding",
      "alice-impersonates-bob",
      "--clusterrole=impersonate-bob",
      "--user=alice",
    ]);

    const whoami = await as("alice-token", ["auth", "whoami", "--as", "bob", "-o", "json"]);
    expect(whoami.stderr).toBe("");
    expect(JSON.parse(whoami.stdout).status.userInfo).toEqual({
      username: "bob",
      groups: ["system:authenticated"],
    });
    // Only bob: impersonating someone else stays refused (resourceNames).
    const carol = await as("alice-token", ["get", "configmaps", "-n", "default", "--as", "carol"]);
    expect(carol.code).toBe(1);
    expect(carol.stderr).toContain('users "carol" is forbidden');

    // can-i answers with bob's rights, not alice's: bob has none yet, then edit in default.
    const before = await as("alice-token", ["auth", "can-i", "create", "configmaps", "-n", "default", "--as", "bob"]);
    expect(before.stdout.trim()).toBe("no");
    await admin(["create", "rolebinding", "bob-edit", "-n", "default", "--clusterrole=edit", "--user=bob"]);
    const after = await as("alice-token", ["auth", "can-i", "create", "configmaps", "-n", "default", "--as", "bob"]);
    expect(after.stdout.trim()).toBe("yes");
    // And alice herself still may not.
    const herself = await as("alice-token", ["auth", "can-i", "create", "configmaps", "-n", "default"]);
    expect(herself.stdout.trim()).toBe("no");
  });

  test("the admin's can-i --list --as alice lists alice's rules", async () => {
    const list = await kubectl(kcp, ["auth", "can-i", "--list", "-n", "default", "--as", "alice"]);
    expect(list.code).toBe(0);
    // view in default (bound above) reads configmaps; nothing lets alice create them.
    const row = list.stdout.split("\n").find((l) => /^configmaps\s/.test(l));
    expect(row).toBeDefined();
    expect(row).toContain("get");
    expect(row).not.toContain("create");
    const asAdmin = await kubectl(kcp, ["auth", "can-i", "--list", "-n", "default"]);
    expect(asAdmin.stdout).toMatch(/^\*\.\*\s+\[\]\s+\[\]\s+\[\*\]/m);
  });
});
