// RBAC per logical cluster with the real kubectl: a service account bound to `view` reads but does
// not write (403 in kube's words, and `kubectl auth can-i` agrees); kube's default roles are there
// in a logical cluster nobody set up; a ClusterRole labelled to aggregate into `view` extends it in
// its own logical cluster; --authorization-mode=AlwaysAllow lets any authenticated user through.
import { describe, expect, test } from "bun:test";
import { type KcpProcess, kubectl, startKcp, useKcp } from "../helpers/kcp-process.ts";

let kcp: KcpProcess;
useKcp((k) => (kcp = k));

async function ok(args: string[], context = "user"): Promise<string> {
  const r = await kubectl(kcp, args, { context });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return r.stdout;
}

/** Runs kubectl until its exit code is `code`, for at most `ms`. */
async function until(code: number, args: string[], ms = 5000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const r = await kubectl(kcp, args, { context: "user" });
    if (r.code === code) return r;
    if (Date.now() > deadline) throw new Error(`kubectl ${args.join(" ")}: exit ${r.code}: ${r.stderr}`);
    await Bun.sleep(50);
  }
}

let token = "";
const asReader = (args: string[]) => ["--token", token, ...args];

describe("RBAC per logical cluster", () => {
  test("a service account bound to view can get but not create", async () => {
    await ok(["create", "namespace", "team"]);
    await ok(["-n", "team", "create", "serviceaccount", "reader"]);
    await ok(["-n", "team", "create", "configmap", "cfg", "--from-literal=a=b"]);
    await ok([
      "-n",
      "team",
      "create",
      "rolebinding",
      "reader-view",
      "--clusterrole=view",
      "--serviceaccount=team:reader",
    ]);
    token = (await ok(["-n", "team", "create", "token", "reader"])).trim();

    const got = await until(0, asReader(["-n", "team", "get", "configmap", "cfg", "-o", "jsonpath={.data.a}"]));
    expect(got.stdout).toBe("b");
    const create = await kubectl(kcp, asReader(["-n", "team", "create", "configmap", "x"]), { context: "user" });
    expect(create.code).toBe(1);
    expect(create.stderr).toBe(
      'error: failed to create configmap: configmaps is forbidden: User "system:serviceaccount:team:reader" cannot create resource "configmaps" in API group "" in the namespace "team"\n',
    );
    const secret = await kubectl(kcp, asReader(["-n", "team", "get", "secret", "s"]), { context: "user" });
    expect(secret.stderr).toBe(
      'Error from server (Forbidden): secrets "s" is forbidden: User "system:serviceaccount:team:reader" cannot get resource "secrets" in API group "" in the namespace "team"\n',
    );
    // Elsewhere in its cluster the binding does not reach.
    const other = await kubectl(kcp, asReader(["-n", "default", "get", "configmaps"]), { context: "user" });
    expect(other.stderr).toContain('cannot list resource "configmaps" in API group "" in the namespace "default"');
    const nodes = await kubectl(kcp, asReader(["get", "namespaces"]), { context: "user" });
    expect(nodes.stderr).toContain('cannot list resource "namespaces" in API group "" at the cluster scope');

    // The access reviews answer from the same authorizer.
    expect(await ok(asReader(["-n", "team", "auth", "can-i", "get", "configmaps"]))).toBe("yes\n");
    const canCreate = await kubectl(kcp, asReader(["-n", "team", "auth", "can-i", "create", "configmaps"]), {
      context: "user",
    });
    expect(canCreate.stdout).toBe("no\n");
    // SelfSubjectRulesReview: the rules of view in team, and the basic-user ones.
    const list = await ok(asReader(["-n", "team", "auth", "can-i", "--list"]));
    expect(list).toMatch(/^configmaps\s+\[\]\s+\[\]\s+\[get list watch\]$/m);
    expect(list).toMatch(/^selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]$/m);
    expect(list).not.toMatch(/^secrets/m);
    // Discovery and whoami need no binding (system:discovery, system:basic-user).
    expect(await ok(asReader(["auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"]))).toBe(
      "system:serviceaccount:team:reader",
    );
    expect(await ok(asReader(["api-resources", "--api-group=coordination.k8s.io", "-o", "name"]))).toBe(
      "leases.coordination.k8s.io\n",
    );

    // Deleting the binding takes the right away.
    await ok(["-n", "team", "delete", "rolebinding", "reader-view"]);
    const gone = await until(1, asReader(["-n", "team", "get", "configmap", "cfg"]));
    expect(gone.stderr).toContain('configmaps "cfg" is forbidden');
    await ok([
      "-n",
      "team",
      "create",
      "rolebinding",
      "reader-view",
      "--clusterrole=view",
      "--serviceaccount=team:reader",
    ]);
    await until(0, asReader(["-n", "team", "get", "configmap", "cfg"]));
  });

  test("kube's default roles are in a fresh logical cluster, without being stored there", async () => {
    const fresh = `${kcp.url}/clusters/fresh-one`;
    const admin = JSON.parse(await ok(["--server", fresh, "get", "clusterrole", "admin", "-o", "json"]));
    expect(admin).toMatchObject({
      kind: "ClusterRole",
      metadata: { name: "admin", labels: { "kubernetes.io/bootstrapping": "rbac-defaults" } },
      aggregationRule: {
        clusterRoleSelectors: [{ matchLabels: { "rbac.authorization.k8s.io/aggregate-to-admin": "true" } }],
      },
    });
    const roles = (await ok(["--server", fresh, "get", "clusterroles", "-o", "name"])).trim().split("\n");
    for (const r of [
      "admin",
      "cluster-admin",
      "edit",
      "view",
      "system:basic-user",
      "system:discovery",
      "system:public-info-viewer",
    ])
      expect(roles).toContain(`clusterrole.rbac.authorization.k8s.io/${r}`);
    const binding = JSON.parse(
      await ok(["--server", fresh, "get", "clusterrolebinding", "cluster-admin", "-o", "json"]),
    );
    expect(binding.subjects).toEqual([
      { apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: "system:masters" },
    ]);
    // A selector applies to them as to stored objects.
    expect(
      await ok([
        "--server",
        fresh,
        "get",
        "clusterroles",
        "-l",
        "rbac.authorization.k8s.io/aggregate-to-edit=true",
        "-o",
        "name",
      ]),
    ).toBe(
      "clusterrole.rbac.authorization.k8s.io/system:aggregate-to-edit\nclusterrole.rbac.authorization.k8s.io/view\n",
    );
    // Across all logical clusters only stored objects are listed: the defaults are nowhere stored.
    const all = await ok(["--server", `${kcp.url}/clusters/*`, "get", "clusterroles", "-o", "name"], "admin");
    expect(all).not.toContain("clusterrole.rbac.authorization.k8s.io/admin\n");
  });

  test("a ClusterRole labelled aggregate-to-view extends view in its logical cluster only", async () => {
    const leases = asReader(["-n", "team", "get", "leases"]);
    expect((await kubectl(kcp, leases, { context: "user" })).code).toBe(1);
    const r = await kubectl(kcp, ["apply", "-f", "-"], {
      context: "user",
      stdin: JSON.stringify({
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRole",
        metadata: { name: "lease-viewer", labels: { "rbac.authorization.k8s.io/aggregate-to-view": "true" } },
        rules: [{ apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "list", "watch"] }],
      }),
    });
    expect(r.stderr).toBe("");
    await until(0, leases);
    // The same labelled role in another logical cluster's view changes nothing here, and vice versa.
    expect(
      (await kubectl(kcp, ["--server", `${kcp.url}/clusters/fresh-one`, "get", "clusterrole", "lease-viewer"])).code,
    ).toBe(1);
    await ok(["delete", "clusterrole", "lease-viewer"]);
    await until(1, leases);
  });
});

describe("changing a default role in one logical cluster", () => {
  test("an object of its name wins there; deleted, the default is back", async () => {
    const own = `${kcp.url}/clusters/own-view`;
    const run = (args: string[]) => ok(["--server", own, ...args]);
    await run(["create", "clusterrole", "view", "--verb=get", "--resource=secrets"]);
    const stored = JSON.parse(await run(["get", "clusterrole", "view", "-o", "json"]));
    expect(stored.rules).toEqual([{ apiGroups: [""], resources: ["secrets"], verbs: ["get"] }]);
    expect(stored.aggregationRule).toBeUndefined();
    // Listed once, the stored one.
    const names = (await run(["get", "clusterroles", "-o", "name"])).split("\n");
    expect(names.filter((n) => n === "clusterrole.rbac.authorization.k8s.io/view")).toHaveLength(1);
    await run(["delete", "clusterrole", "view"]);
    const back = JSON.parse(await run(["get", "clusterrole", "view", "-o", "json"]));
    expect(back.aggregationRule).toBeDefined();
    // Server-side apply creates the override as well.
    const applied = await kubectl(kcp, ["--server", own, "apply", "--server-side", "-f", "-"], {
      stdin: JSON.stringify({
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRole",
        metadata: { name: "edit" },
        rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get"] }],
      }),
    });
    expect(applied.stderr).toBe("");
    expect(applied.stdout).toBe("clusterrole.rbac.authorization.k8s.io/edit serverside-applied\n");
    // A patch (client-side apply, kubectl edit) of a default changes a stored copy of it, here only.
    const patched = await kubectl(kcp, ["--server", own, "label", "clusterrole", "admin", "team=ours"]);
    expect(patched.stderr).toBe("");
    const copy = JSON.parse(await run(["get", "clusterrole", "admin", "-o", "json"]));
    expect(copy.metadata.labels.team).toBe("ours");
    expect(copy.aggregationRule).toBeDefined();
    expect(copy.metadata.uid).not.toBe(back.metadata.uid);
    const elsewhere = JSON.parse(
      await ok(["--server", `${kcp.url}/clusters/fresh-two`, "get", "clusterrole", "admin", "-o", "json"]),
    );
    expect(elsewhere.metadata.labels.team).toBeUndefined();
  });
});

describe("--authorization-mode=AlwaysAllow", () => {
  test("any authenticated user is allowed", async () => {
    const open = await startKcp({ args: ["--authorization-mode", "AlwaysAllow"] });
    try {
      const run = (args: string[]) => kubectl(open, args);
      await run(["-n", "default", "create", "serviceaccount", "anyone"]);
      const t = (await run(["-n", "default", "create", "token", "anyone"])).stdout.trim();
      const r = await run(["--token", t, "-n", "default", "create", "configmap", "free"]);
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe("configmap/free created\n");
    } finally {
      await open.stop();
    }
  });
});
