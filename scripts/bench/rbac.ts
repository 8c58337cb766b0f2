// rbac: what authorization by RBAC costs (issue 15, item 2).
//  - creates/s as a user with a RoleBinding (a service account bound to `edit` in its namespace)
//    ÷ the same creates as the admin (system:masters, allowed without a lookup), alternating
//    rounds against one server. Target ≥ 0.9. The user's path also authenticates a service
//    account token (signature check, its account read from storage), which the admin's static
//    token does not: the ratio is an upper bound on what RBAC itself costs.
//  - the RBAC decision alone, in process: µs per authorize() of that user against an index
//    holding 10,000 logical clusters' RBAC objects.
//  - memory: N logical clusters each with a namespace, a Role, a RoleBinding and a
//    ClusterRoleBinding, written to two servers, one with --authorization-mode=AlwaysAllow (no
//    index) and one with RBAC; the difference of their RSS growth per cluster (information only:
//    RSS also holds the RBAC server's not yet collected garbage of decoding the watch events). And
//    exactly, in process: the policy index's heap per cluster at 10,000 clusters, target ≤ 2 KiB.

import { PolicyIndex } from "../../src/auth/rbac/policy-index.ts";
import { RBACAuthorizer } from "../../src/auth/rbac/rbac-authorizer.ts";
import type { KObject } from "../../src/machinery/object.ts";
import { configMap, configMapsPath, ensureNamespace, KcpClient, runPool } from "./client.ts";
import { measured, type Session, withKcp } from "./harness.ts";
import { join } from "node:path";
import { launchKcp, REPO, removeDir } from "./kcp-launcher.ts";
import { memoryOf } from "./proc.ts";
import { median, mib, now } from "./stats.ts";
import type { Context, Row, Workload } from "./types.ts";
import { Failures } from "./failures.ts";

const W = "rbac";
const RBAC_PATH = "/apis/rbac.authorization.k8s.io/v1";
const INDEX_CLUSTERS = 10_000;

/** The RBAC objects each logical cluster gets: a Role, a RoleBinding to it, a ClusterRoleBinding to view. */
function rbacObjects(user: string) {
  const ref = (kind: string, name: string) => ({ apiGroup: "rbac.authorization.k8s.io", kind, name });
  const subjects = [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: user }];
  return {
    role: {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: "cm-writer", namespace: "team" },
      rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "watch", "create", "update"] }],
    },
    roleBinding: {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "cm-writer", namespace: "team" },
      roleRef: ref("Role", "cm-writer"),
      subjects,
    },
    clusterRoleBinding: {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "viewers" },
      roleRef: ref("ClusterRole", "view"),
      subjects,
    },
  };
}

/**
 * The bound user: a static token user when this kcp has `--token-auth-file` (the identity work of
 * issue 15: authenticated in memory, as the admin is, so the comparison with the admin shows RBAC
 * alone), else a service account.
 */
interface UserSpec {
  /** `kcp start` flags that make the user exist. */
  args: string[];
  /** The static token, or undefined for a service account. */
  token?: string;
}

async function userSpec(ctx: Context): Promise<UserSpec> {
  const start = await Bun.file(join(REPO, "src/cli/start.ts")).text();
  if (!start.includes('"token-auth-file"')) return { args: [] };
  const token = `bench-${crypto.randomUUID()}`;
  const file = join(ctx.scratch, "rbac-tokens.csv");
  await Bun.write(file, `${token},bench-user,bench-uid\n`);
  return { args: ["--token-auth-file", file], token };
}

/** The user bound to `edit` in namespace bench, and a client with its token. */
async function boundUser(s: Session, failures: Failures, concurrency: number, spec: UserSpec): Promise<KcpClient> {
  await ensureNamespace(s.client, "bench");
  const subject = spec.token
    ? { apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "bench-user" }
    : { kind: "ServiceAccount", name: "bencher", namespace: "bench" };
  const rb = await s.client.post(`${RBAC_PATH}/namespaces/bench/rolebindings`, {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name: "bencher-edit" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "edit" },
    subjects: [subject],
  });
  failures.check(rb.status, 201, rb.body);
  const token = spec.token ?? (await serviceAccountToken(s, failures));
  const user = new KcpClient({ url: s.kcp.url, ca: s.kcp.ca, token }, { concurrency });
  // The binding reaches the index through the server's watch: wait until the user may create.
  const deadline = now() + 10_000;
  while (now() < deadline) {
    const r = await user.post(configMapsPath("bench"), configMap("probe", "bench"));
    if (r.status === 201) return user;
    await Bun.sleep(50);
  }
  throw new Error("the user's RoleBinding did not take effect within 10 s");
}

async function serviceAccountToken(s: Session, failures: Failures): Promise<string> {
  const sa = await s.client.post("/api/v1/namespaces/bench/serviceaccounts", {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name: "bencher" },
  });
  failures.check(sa.status, 201, sa.body);
  const tr = await s.client.post("/api/v1/namespaces/bench/serviceaccounts/bencher/token", {
    apiVersion: "authentication.k8s.io/v1",
    kind: "TokenRequest",
    spec: { expirationSeconds: 3600 },
  });
  failures.check(tr.status, 201, tr.body);
  return (JSON.parse(tr.body) as { status: { token: string } }).status.token;
}

async function userVersusAdmin(ctx: Context, s: Session, spec: UserSpec): Promise<Row[]> {
  const failures = new Failures();
  const { creates, createClients } = ctx.sizes;
  // The same user on a server without RBAC: what the user's own authentication costs, RBAC apart.
  const openKcp = await launchKcp({
    label: "rbac-always-allow",
    args: ["--authorization-mode", "AlwaysAllow", ...spec.args],
    ...(ctx.profiling ? { profiling: ctx.profiling } : {}),
  });
  const open: Session = { kcp: openKcp, client: new KcpClient(openKcp, { concurrency: createClients }) };
  const user = await boundUser(s, failures, createClients, spec);
  const openUser = await boundUser(open, failures, createClients, spec);
  const perRound = Math.max(1, Math.ceil(creates / 3));
  const round = async (session: Session, client: KcpClient, prefix: string) => {
    const { usage } = await measured(session.kcp.pid, () =>
      runPool(perRound, createClients, async (i) => {
        const r = await client.post(configMapsPath("bench"), configMap(`${prefix}-${i}`, "bench"));
        failures.check(r.status, 201, r.body);
      }),
    );
    return (perRound * 1000) / usage.wallMs;
  };
  try {
    const runs: [string, Session, KcpClient, number[]][] = [
      ["admin", s, s.client, []],
      ["user", s, user, []],
      ["open", open, openUser, []],
    ];
    for (let w = 0; w < 3; w++)
      for (const [name, session, client] of runs) await round(session, client, `warm-${name}-${w}`);
    const pairs = ctx.sizeName === "tiny" ? 2 : 6;
    for (let p = 0; p < pairs; p++) {
      // Rotate which goes first, so a drift in the machine's load hits all alike.
      for (let k = 0; k < runs.length; k++) {
        const [name, session, client, rates] = runs[(p + k) % runs.length] as (typeof runs)[number];
        rates.push(await round(session, client, `${name}-${p}`));
      }
    }
    const [adminRates, userRates, openRates] = runs.map((r) => r[3]) as [number[], number[], number[]];
    const a = median(adminRates);
    const u = median(userRates);
    const o = median(openRates);
    const rate = (x: number) => `${Math.round(x).toLocaleString("en-US")}/s`;
    ctx.log(
      `  creates as admin ${rate(a)}, as a bound user ${rate(u)} (${(u / a).toFixed(2)}), without RBAC ${rate(o)}`,
    );
    const target = perRound >= 1000 ? { ratioTarget: { op: ">=" as const, value: 0.9 } } : {};
    const noise = perRound < 1000 ? "no target for rounds under 1,000 creates (noise); " : "";
    const rounds = `medians of ${pairs} rotating rounds of ${perRound}; admin ${adminRates.map(rate).join(", ")}; user ${userRates.map(rate).join(", ")}; user without RBAC ${openRates.map(rate).join(", ")}`;
    return [
      {
        workload: W,
        metric: `RBAC: creates/s as a user with a RoleBinding ÷ as the admin (${createClients} clients)`,
        value: u,
        unit: "/s",
        raw: { name: "the same creates/s as the admin (system:masters)", value: a, unit: "/s" },
        ratio: u / a,
        ...target,
        notes: `${noise}${spec.token ? "the user is a static token user (--token-auth-file) bound to edit" : "the user is a service account bound to edit: its token's signature (remembered) and its account (read from storage) are checked per request, besides RBAC"}; ${rounds}`,
        details: { adminRates, userRates, openRates, perRound },
      },
      {
        workload: W,
        metric: `RBAC: creates/s as that user ÷ the same user on a server without RBAC (${createClients} clients)`,
        value: u,
        unit: "/s",
        raw: { name: "the same user's creates/s with --authorization-mode=AlwaysAllow", value: o, unit: "/s" },
        ratio: u / o,
        ...target,
        notes: `${noise}RBAC alone: the same authentication on both servers; ${rounds}`,
      },
      {
        workload: W,
        metric: "RBAC: creates as user/admin: errors",
        value: failures.count,
        unit: "",
        target: { op: "==", value: 0 },
        notes: failures.note(),
      },
    ];
  } finally {
    user.close();
    openUser.close();
    open.client.close();
    await openKcp.stop();
    removeDir(openKcp.rootDir);
  }
}

/** N clusters, each a namespace and the three RBAC objects; returns the settled RSS growth. */
async function clustersWithRbac(ctx: Context, s: Session, n: number, failures: Failures) {
  await ensureNamespace(s.client, "team", "rbac-warm-up");
  const warm = rbacObjects("warm");
  await s.client.post(`/clusters/rbac-warm-up${RBAC_PATH}/namespaces/team/roles`, warm.role);
  const settle = ctx.sizeName === "tiny" ? 1000 : 3000;
  await Bun.sleep(settle);
  const before = memoryOf(s.kcp.pid).rss;
  await runPool(n, ctx.sizes.clusterClients, async (i) => {
    const cluster = `rbac-${i}`;
    const objs = rbacObjects(`user-${i}`);
    const ns = await s.client.post(`/clusters/${cluster}/api/v1/namespaces`, {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "team" },
    });
    failures.check(ns.status, 201, ns.body);
    const base = `/clusters/${cluster}${RBAC_PATH}`;
    for (const [path, obj] of [
      [`${base}/namespaces/team/roles`, objs.role],
      [`${base}/namespaces/team/rolebindings`, objs.roleBinding],
      [`${base}/clusterrolebindings`, objs.clusterRoleBinding],
    ] as const) {
      const r = await s.client.post(path, obj);
      failures.check(r.status, 201, r.body);
    }
  });
  await Bun.sleep(settle);
  return { before, after: memoryOf(s.kcp.pid).rss };
}

async function serverMemory(ctx: Context): Promise<Row[]> {
  const n = ctx.sizes.clusters;
  const failures = new Failures();
  const growth: Record<"off" | "on", { before: number; after: number }> = {
    off: { before: 0, after: 0 },
    on: { before: 0, after: 0 },
  };
  const offKcp = await launchKcp({
    label: "rbac-off",
    args: ["--authorization-mode", "AlwaysAllow"],
    ...(ctx.profiling ? { profiling: ctx.profiling } : {}),
  });
  const off: Session = { kcp: offKcp, client: new KcpClient(offKcp, { concurrency: ctx.sizes.clusterClients }) };
  try {
    growth.off = await clustersWithRbac(ctx, off, n, failures);
  } finally {
    off.client.close();
    await offKcp.stop();
    removeDir(offKcp.rootDir);
  }
  await withKcp(
    ctx,
    "rbac-on",
    async (on) => {
      growth.on = await clustersWithRbac(ctx, on, n, failures);
    },
    { concurrency: ctx.sizes.clusterClients },
  );
  const per = (g: { before: number; after: number }) => (g.after - g.before) / n;
  const diff = per(growth.on) - per(growth.off);
  const show = (g: { before: number; after: number }) => `${mib(g.before).toFixed(0)} → ${mib(g.after).toFixed(0)} MiB`;
  ctx.log(`  ${n} clusters with RBAC objects: ${(diff / 1024).toFixed(2)} KiB more per cluster with RBAC`);
  return [
    {
      workload: W,
      metric: `RBAC: RSS per logical cluster with RBAC objects, RBAC ÷ AlwaysAllow difference (${n.toLocaleString("en-US")})`,
      value: diff / 1024,
      unit: "KiB",
      notes: `${n < 10_000 ? `${n}, not 10,000 (--clusters 10000); ` : ""}no target: RSS also holds the garbage of decoding every RBAC watch event (not yet collected or returned), which only the RBAC server does; what the index keeps is the in-process row; each cluster: a namespace, a Role, a RoleBinding, a ClusterRoleBinding; VmRSS AlwaysAllow ${show(growth.off)}, RBAC ${show(growth.on)}; ${failures.note()}`,
      details: { growth, n },
    },
    {
      workload: W,
      metric: "RBAC: clusters with RBAC objects: errors",
      value: failures.count,
      unit: "",
      target: { op: "==", value: 0 },
      notes: failures.note(),
    },
  ];
}

/** The policy index in this process: heap per cluster at 10,000 clusters, and µs per decision. */
function inProcess(ctx: Context): Row[] {
  Bun.gc(true);
  const before = process.memoryUsage().heapUsed;
  const index = new PolicyIndex();
  for (let i = 0; i < INDEX_CLUSTERS; i++) {
    const cluster = `c-${i}`;
    // Fresh objects per cluster, as the watch decodes them (nothing shared between clusters).
    const objs = JSON.parse(JSON.stringify(rbacObjects(`user-${i}`))) as Record<string, KObject>;
    index.upsert("Role", cluster, objs.role as KObject);
    index.upsert("RoleBinding", cluster, objs.roleBinding as KObject);
    index.upsert("ClusterRoleBinding", cluster, objs.clusterRoleBinding as KObject);
  }
  Bun.gc(true);
  const perCluster = (process.memoryUsage().heapUsed - before) / INDEX_CLUSTERS;
  const authz = new RBACAuthorizer(index);
  const attrs = (i: number) => ({
    user: { username: `user-${i}`, groups: ["system:authenticated"] },
    cluster: `c-${i}`,
    verb: "create",
    resourceRequest: true,
    group: "",
    version: "v1",
    resource: "configmaps",
    namespace: "team",
  });
  const decisions = ctx.sizeName === "tiny" ? 20_000 : 200_000;
  let allowed = 0;
  const t0 = now();
  for (let i = 0; i < decisions; i++) if (authz.authorize(attrs(i % INDEX_CLUSTERS)).allowed) allowed++;
  const usPer = ((now() - t0) * 1000) / decisions;
  ctx.log(`  policy index: ${(perCluster / 1024).toFixed(2)} KiB per cluster, ${usPer.toFixed(2)} µs per decision`);
  return [
    {
      workload: W,
      metric: `RBAC: policy index heap per logical cluster (${INDEX_CLUSTERS.toLocaleString("en-US")}, in process)`,
      value: perCluster / 1024,
      unit: "KiB",
      target: { op: "<=", value: 2 },
      notes: "a Role, a RoleBinding and a ClusterRoleBinding per cluster; heapUsed after a full GC, before and after",
    },
    {
      workload: W,
      metric: "RBAC: one decision for a user with a RoleBinding (in process)",
      value: usPer,
      unit: "µs",
      notes: `${decisions.toLocaleString("en-US")} decisions over ${INDEX_CLUSTERS.toLocaleString("en-US")} clusters; ${decisions - allowed} denied (want 0)`,
    },
    {
      workload: W,
      metric: "RBAC: in-process decisions wrongly denied",
      value: decisions - allowed,
      unit: "",
      target: { op: "==", value: 0 },
    },
  ];
}

export const rbacWorkload: Workload = {
  name: "rbac",
  description: "RBAC: creates as a bound user vs the admin, memory of RBAC objects per logical cluster",
  async run(ctx: Context): Promise<Row[]> {
    const rows: Row[] = [];
    const spec = await userSpec(ctx);
    rows.push(...inProcess(ctx));
    rows.push(
      ...(await withKcp(ctx, "rbac-creates", (s) => userVersusAdmin(ctx, s, spec), {
        concurrency: ctx.sizes.createClients,
        args: spec.args,
      })),
    );
    rows.push(...(await serverMemory(ctx)));
    return rows;
  },
};
