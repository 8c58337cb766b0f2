// Escalation prevention and the access reviews with the real kubectl and RBAC enforced, in a logical
// cluster of its own: a service account that is `admin` of one namespace may hand out what it holds
// there but not cluster-admin (403 in kube's words), may not write a role beyond its own rules, and
// `kubectl auth can-i` (--list too) tells the truth about it; a service account with no bindings
// (the hostile tenant) can neither bind itself to cluster-admin, nor mint tokens of
// kube-system's service accounts, nor use TokenReview as an oracle.

import { beforeAll, describe, expect, test } from "bun:test";
import { type KcpProcess, kubeconfigWithPath, kubectl, useKcp } from "../helpers/kcp-process.ts";

let kcp: KcpProcess;
useKcp((k) => (kcp = k));

const CLUSTER = "esc";
let kubeconfig = "";
let adminToken = "";
let loneToken = "";

async function run(args: string[], token?: string) {
  return kubectl(kcp, token ? ["--token", token, ...args] : args, { kubeconfig });
}

async function ok(args: string[], token?: string): Promise<string> {
  const r = await run(args, token);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return r.stdout;
}

/** Runs kubectl until it exits with `code` (RBAC's index follows a watch), for at most `ms`. */
async function until(code: number, args: string[], token: string, ms = 5000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const r = await run(args, token);
    if (r.code === code) return r;
    if (Date.now() > deadline) throw new Error(`kubectl ${args.join(" ")}: exit ${r.code}: ${r.stderr}`);
    await Bun.sleep(50);
  }
}

const SA_GROUPS = (ns: string) => `["system:serviceaccounts" "system:serviceaccounts:${ns}" "system:authenticated"]`;

beforeAll(async () => {
  kubeconfig = await kubeconfigWithPath(kcp, `/clusters/${CLUSTER}`);
  await ok(["create", "namespace", "team"]);
  await ok(["-n", "team", "create", "serviceaccount", "lead"]);
  await ok(["-n", "team", "create", "rolebinding", "lead-admin", "--clusterrole=admin", "--serviceaccount=team:lead"]);
  await ok(["-n", "team", "create", "serviceaccount", "lone"]);
  adminToken = (await ok(["-n", "team", "create", "token", "lead"])).trim();
  loneToken = (await ok(["-n", "team", "create", "token", "lone"])).trim();
  await until(0, ["-n", "team", "get", "rolebindings"], adminToken);
});

describe("escalation prevention", () => {
  test("a namespace admin cannot bind cluster-admin: 403 in kube's words, nothing created", async () => {
    const r = await run(
      ["-n", "team", "create", "rolebinding", "grab", "--clusterrole=cluster-admin", "--serviceaccount=team:lead"],
      adminToken,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'error: failed to create rolebinding: rolebindings.rbac.authorization.k8s.io "grab" is forbidden: ' +
        `user "system:serviceaccount:team:lead" (groups=${SA_GROUPS("team")}) is attempting to grant RBAC permissions not currently held:\n` +
        '{APIGroups:["*"], Resources:["*"], Verbs:["*"]}\n{NonResourceURLs:["*"], Verbs:["*"]}\n',
    );
    const gone = await run(["-n", "team", "get", "rolebinding", "grab"]);
    expect(gone.stderr).toContain('rolebindings.rbac.authorization.k8s.io "grab" not found');
  });

  test("it can hand out what it holds: edit and view in its namespace, a role within its rules", async () => {
    expect(
      await ok(["-n", "team", "create", "rolebinding", "dev-edit", "--clusterrole=edit", "--user=dev"], adminToken),
    ).toBe("rolebinding.rbac.authorization.k8s.io/dev-edit created\n");
    expect(
      await ok(["-n", "team", "create", "role", "cm-reader", "--verb=get,list", "--resource=configmaps"], adminToken),
    ).toBe("role.rbac.authorization.k8s.io/cm-reader created\n");
    expect(
      await ok(["-n", "team", "create", "rolebinding", "cm", "--role=cm-reader", "--user=auditor"], adminToken),
    ).toBe("rolebinding.rbac.authorization.k8s.io/cm created\n");
  });

  test("a role beyond its rules is 403; so is a binding elsewhere", async () => {
    const big = await run(["-n", "team", "create", "role", "all", "--verb=*", "--resource=*.*"], adminToken);
    expect(big.code).toBe(1);
    expect(big.stderr).toContain(
      'roles.rbac.authorization.k8s.io "all" is forbidden: user "system:serviceaccount:team:lead"',
    );
    expect(big.stderr).toContain("is attempting to grant RBAC permissions not currently held:\n");
    // Its admin rights stop at its namespace: in default the authorizer refuses the write itself.
    const elsewhere = await run(
      ["-n", "default", "create", "rolebinding", "x", "--clusterrole=view", "--user=dev"],
      adminToken,
    );
    expect(elsewhere.stderr).toContain(
      'cannot create resource "rolebindings" in API group "rbac.authorization.k8s.io" in the namespace "default"',
    );
  });

  test("every way of writing is checked: apply, server-side apply, patch, server dry run", async () => {
    const role = (verbs: string[]) =>
      JSON.stringify({
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "Role",
        metadata: { name: "via-apply", namespace: "team" },
        rules: [{ apiGroups: [""], resources: ["secrets"], verbs }],
      });
    const held = await kubectl(kcp, ["--token", adminToken, "apply", "--validate=false", "-f", "-"], {
      kubeconfig,
      stdin: role(["get"]),
    });
    expect(held.stdout).toBe("role.rbac.authorization.k8s.io/via-apply created\n");
    for (const args of [
      ["apply", "--validate=false", "-f", "-"],
      ["apply", "--server-side", "--validate=false", "-f", "-"],
    ]) {
      const r = await kubectl(kcp, ["--token", adminToken, ...args], { kubeconfig, stdin: role(["get", "escalate"]) });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        'is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["secrets"], Verbs:["escalate"]}',
      );
    }
    const patch = await run(
      [
        "-n",
        "team",
        "patch",
        "role",
        "via-apply",
        "--type=json",
        '-p=[{"op":"add","path":"/rules/0/verbs/-","value":"impersonate"}]',
      ],
      adminToken,
    );
    expect(patch.code).toBe(1);
    expect(patch.stderr).toContain('Verbs:["impersonate"]}');
    expect(await ok(["-n", "team", "get", "role", "via-apply", "-o", "jsonpath={.rules[0].verbs}"])).toBe('["get"]');
    const dry = await run(
      ["-n", "team", "create", "rolebinding", "dry", "--clusterrole=cluster-admin", "--user=x", "--dry-run=server"],
      adminToken,
    );
    expect(dry.code).toBe(1);
    expect(dry.stderr).toContain('rolebindings.rbac.authorization.k8s.io "dry" is forbidden');
  });

  test("bind on a named ClusterRole lets it bind that role, and only that one", async () => {
    await ok([
      "create",
      "clusterrole",
      "bind-secret-admin",
      "--verb=bind",
      "--resource=clusterroles",
      "--resource-name=secret-admin",
    ]);
    await ok(["create", "clusterrole", "secret-admin", "--verb=*", "--resource=secrets"]);
    await ok([
      "-n",
      "team",
      "create",
      "rolebinding",
      "lead-bind",
      "--clusterrole=bind-secret-admin",
      "--serviceaccount=team:lead",
    ]);
    // Secrets' `*` is beyond `admin` (which has no escalate/impersonate…): allowed through bind alone.
    await until(
      0,
      ["-n", "team", "create", "rolebinding", "sa", "--clusterrole=secret-admin", "--user=ops"],
      adminToken,
    );
    const other = await run(
      ["-n", "team", "create", "rolebinding", "ca", "--clusterrole=cluster-admin", "--user=ops"],
      adminToken,
    );
    expect(other.code).toBe(1);
    expect(other.stderr).toContain("is attempting to grant RBAC permissions not currently held");
  });
});

describe("a service account with no bindings", () => {
  test("cannot bind itself to cluster-admin, mint kube-system tokens or ask TokenReview", async () => {
    const crb = await run(
      ["create", "clusterrolebinding", "mine", "--clusterrole=cluster-admin", "--serviceaccount=team:lone"],
      loneToken,
    );
    expect(crb.code).toBe(1);
    expect(crb.stderr).toContain("forbidden");
    const mint = await run(["-n", "kube-system", "create", "token", "default"], loneToken);
    expect(mint.code).toBe(1);
    expect(mint.stderr).toContain(
      'serviceaccounts "default" is forbidden: User "system:serviceaccount:team:lone" cannot create resource "serviceaccounts/token" in API group "" in the namespace "kube-system"',
    );
    const tr = await kubectl(kcp, ["--token", loneToken, "create", "--validate=false", "-o", "json", "-f", "-"], {
      kubeconfig,
      stdin: JSON.stringify({
        apiVersion: "authentication.k8s.io/v1",
        kind: "TokenReview",
        spec: { token: adminToken },
      }),
    });
    expect(tr.code).toBe(1);
    expect(tr.stdout).toBe("");
    expect(tr.stderr).toContain(
      'cannot create resource "tokenreviews" in API group "authentication.k8s.io" at the cluster scope',
    );
    expect((await run(["get", "clusterrolebinding", "mine"])).code).toBe(1);
  });
});

describe("the access reviews tell the truth", () => {
  test("kubectl auth can-i, with and without --list, for the namespace admin", async () => {
    expect(await ok(["-n", "team", "auth", "can-i", "create", "rolebindings"], adminToken)).toBe("yes\n");
    const no = await run(["-n", "kube-system", "auth", "can-i", "create", "rolebindings"], adminToken);
    expect(no.stdout).toBe("no\n");
    expect((await run(["auth", "can-i", "*", "*"], adminToken)).stdout).toBe("no\n");
    // As kube's admin role: no escalate, but bind through its own binding of bind-secret-admin.
    expect((await run(["-n", "team", "auth", "can-i", "escalate", "roles"], adminToken)).stdout).toBe("no\n");
    // (kubectl warns that clusterroles are not namespaced; the question is asked in team all the same.)
    const bind = await run(["-n", "team", "auth", "can-i", "bind", "clusterroles/secret-admin"], adminToken);
    expect(bind.stdout).toBe("yes\n");

    const list = await ok(["-n", "team", "auth", "can-i", "--list"], adminToken);
    const rows = list.split("\n");
    expect(rows[0]).toMatch(/^Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs$/);
    expect(list).toMatch(
      /\nrolebindings\.rbac\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create delete deletecollection get list patch update watch\]\n/,
    );
    expect(list).toMatch(/\nclusterroles\.rbac\.authorization\.k8s\.io\s+\[\]\s+\[secret-admin\]\s+\[bind\]\n/);
    expect(list).toMatch(/\nselfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]\n/);
    // Elsewhere only what every authenticated user has.
    const elsewhere = await ok(["-n", "kube-system", "auth", "can-i", "--list"], adminToken);
    expect(elsewhere).not.toContain("rolebindings");
    expect(elsewhere).toContain("selfsubjectrulesreviews.authorization.k8s.io");
  });

  test("SubjectAccessReview and LocalSubjectAccessReview answer from RBAC, and need permission", async () => {
    const review = (kind: string, spec: object, namespace?: string) =>
      JSON.stringify({
        apiVersion: "authorization.k8s.io/v1",
        kind,
        ...(namespace ? { metadata: { namespace } } : {}),
        spec,
      });
    const ask = async (body: string, token?: string) => {
      const r = await kubectl(
        kcp,
        [...(token ? ["--token", token] : []), "create", "--validate=false", "-o", "json", "-f", "-"],
        { kubeconfig, stdin: body },
      );
      return { code: r.code, stderr: r.stderr, status: r.code === 0 ? JSON.parse(r.stdout).status : undefined };
    };
    const about = (user: string, verb: string, resource: string) => ({
      user,
      groups: ["system:serviceaccounts", "system:serviceaccounts:team", "system:authenticated"],
      resourceAttributes: { namespace: "team", verb, resource, group: "rbac.authorization.k8s.io" },
    });
    // The admin token asks about the namespace admin: allowed, with the binding that allows it.
    const yes = await ask(
      review("SubjectAccessReview", about("system:serviceaccount:team:lead", "create", "rolebindings")),
    );
    expect(yes.status).toEqual({
      allowed: true,
      reason: 'RBAC: allowed by RoleBinding "lead-admin/team" of ClusterRole "admin" to ServiceAccount "lead/team"',
    });
    const no = await ask(
      review("SubjectAccessReview", about("system:serviceaccount:team:lone", "create", "rolebindings")),
    );
    expect(no.status.allowed).toBe(false);
    // A namespace admin may ask about others in its namespace (kube's admin role), not cluster-wide.
    const local = await ask(
      review("LocalSubjectAccessReview", about("system:serviceaccount:team:lone", "get", "roles"), "team"),
      adminToken,
    );
    expect(local.status.allowed).toBe(false);
    const cluster = await ask(
      review("SubjectAccessReview", about("system:serviceaccount:team:lone", "get", "roles")),
      adminToken,
    );
    expect(cluster.code).toBe(1);
    expect(cluster.stderr).toContain(
      'cannot create resource "subjectaccessreviews" in API group "authorization.k8s.io" at the cluster scope',
    );
  });

  test("SelfSubjectRulesReview reports a binding whose role is missing", async () => {
    // Only a system:masters user may bind a role that does not exist.
    await ok(["-n", "team", "create", "rolebinding", "ghostly", "--clusterrole=ghost", "--serviceaccount=team:lone"]);
    const review = JSON.stringify({
      apiVersion: "authorization.k8s.io/v1",
      kind: "SelfSubjectRulesReview",
      spec: { namespace: "team" },
    });
    const deadline = Date.now() + 5000;
    let status: Record<string, any> = {};
    while (!status.evaluationError && Date.now() < deadline) {
      const r = await kubectl(kcp, ["--token", loneToken, "create", "--validate=false", "-o", "json", "-f", "-"], {
        kubeconfig,
        stdin: review,
      });
      expect(r.code).toBe(0);
      status = JSON.parse(r.stdout).status;
      if (!status.evaluationError) await Bun.sleep(50);
    }
    expect(status.evaluationError).toBe('clusterrole.rbac.authorization.k8s.io "ghost" not found');
    expect(status.incomplete).toBe(true);
    // What it does hold is still listed: every authenticated user's questions about itself.
    expect(status.resourceRules).toContainEqual({
      verbs: ["create"],
      apiGroups: ["authorization.k8s.io"],
      resources: ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
    });
  });
});
