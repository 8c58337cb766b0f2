// Physical clusters end to end: a kcp with the cluster controller, other kcp processes standing in
// for physical clusters, `kcp cluster add|list|remove` and `kcp sync` run as a user would run them.
// Push (the syncer in kcp), none (the test runs `kcp sync`) and pull (the controller installs the
// syncer in the cluster; the test runs it as the pod would, from the Secret it was given), Ready
// from the heartbeat (a killed cluster goes NotReady with a message and comes back), two logical
// clusters attaching one physical cluster, and removal through the finalizer.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { RestClient } from "../../src/client/rest-client.ts";
import { syncerId, syncerInstallName } from "../../src/controllers/cluster/pull-manifests.ts";
import { api, type KcpProcess, kubeconfigWithPath, kubectl, removeDir, startKcp } from "../helpers/kcp-process.ts";
import { startWorkloadPlayer, type WorkloadPlayer } from "../helpers/workload-player.ts";

const REPO = resolve(import.meta.dir, "../..");
const HEARTBEAT_TIMEOUT = "2s";

let kcp: KcpProcess;
let east: KcpProcess;
let west: KcpProcess;
let edge: KcpProcess;
const background: { kill(): void; exited: Promise<number> }[] = [];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `kcp <args>` from the checkout, against `kubeconfig` (KUBECONFIG, as a user's shell has it). */
function spawnKcp(args: string[], kubeconfig: string) {
  const proc = Bun.spawn([process.execPath, join(REPO, "src/main.ts"), ...args], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, KUBECONFIG: kubeconfig, NO_COLOR: "1" },
  });
  const out = Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  const handle = { kill: () => proc.kill("SIGTERM"), exited: proc.exited, proc };
  background.push(handle);
  return {
    ...handle,
    result: out.then(([stdout, stderr, code]): Run => ({ stdout, stderr, code })),
  };
}

function cli(args: string[], kubeconfig = kcp.kubeconfig): Promise<Run> {
  return spawnKcp(args, kubeconfig).result;
}

/**
 * PUT of a Cluster built from its current state; the controller updates its status meanwhile, so
 * read and write again on a conflict, as client-go's RetryOnConflict does. The last status.
 */
async function updateCluster(path: string, change: (cur: any) => unknown): Promise<number> {
  let status = 0;
  for (let attempt = 0; attempt < 10; attempt++) {
    status = (await send(kcp, "PUT", path, change(await getJson(kcp, path)))).status;
    if (status !== 409) break;
  }
  return status;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ""}`);
    await Bun.sleep(100);
  }
}

async function getJson(k: KcpProcess, path: string): Promise<any> {
  const res = await api(k, path);
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

async function send(k: KcpProcess, method: string, path: string, body: unknown): Promise<Response> {
  return api(k, path, { method, body: JSON.stringify(body), headers: { "content-type": "application/json" } });
}

const clusterPath = (lc: string, name = "") =>
  `/clusters/${lc}/apis/cluster.example.dev/v1alpha1/clusters${name ? `/${name}` : ""}`;

async function ready(
  lc: string,
  name: string,
): Promise<{ status: string; reason: string; message: string } | undefined> {
  const c = await getJson(kcp, clusterPath(lc, name));
  return c?.status?.conditions?.find((x: { type: string }) => x.type === "Ready");
}

function configMap(name: string, cluster: string, data: Record<string, string> = { k: "v" }) {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace: "default", labels: { "kcp.dev/cluster": cluster } },
    data,
  };
}

const cmPath = (lc: string | undefined, name = "") =>
  `${lc ? `/clusters/${lc}` : ""}/api/v1/namespaces/default/configmaps${name ? `/${name}` : ""}`;

/** A Deployment CRD (structural, any fields), as k1's ready-made ones stand for. */
const DEPLOYMENT_CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: deployments.apps}
spec:
  group: apps
  scope: Namespaced
  names: {plural: deployments, singular: deployment, kind: Deployment, listKind: DeploymentList}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
`;

async function installDeployments(k: KcpProcess): Promise<void> {
  const r = await kubectl(k, ["apply", "-f", "-"], { stdin: DEPLOYMENT_CRD });
  expect(r.code).toBe(0);
  await waitFor("deployments.apps served", async () => (await api(k, "/apis/apps/v1/deployments")).status === 200);
}

beforeAll(async () => {
  [kcp, east, west, edge] = await Promise.all([
    startKcp({
      args: ["--cluster-heartbeat-timeout", HEARTBEAT_TIMEOUT, "--cluster-resources", "configmaps,deployments.apps"],
    }),
    startKcp(),
    startKcp(),
    startKcp(),
  ]);
  await Promise.all([kcp, east, west, edge].map(installDeployments));
}, 60_000);

afterAll(async () => {
  for (const b of background) b.kill();
  await Promise.all(background.map((b) => b.exited));
  for (const k of [kcp, east, west, edge]) {
    if (!k) continue;
    await k.stop();
    removeDir(k.rootDir);
  }
});

test("a Cluster whose kubeconfig is `hello` is not Ready: InvalidKubeConfig", async () => {
  const res = await send(kcp, "POST", clusterPath("admin"), {
    apiVersion: "cluster.example.dev/v1alpha1",
    kind: "Cluster",
    metadata: { name: "my-cluster" },
    spec: { kubeconfig: "hello" },
  });
  expect(res.status).toBe(201);
  const cond = await waitFor("InvalidKubeConfig", () => ready("admin", "my-cluster"));
  expect(cond).toMatchObject({ status: "False", reason: "InvalidKubeConfig" });
  expect(cond?.message).toStartWith("Invalid kubeconfig: ");
  const first = (await getJson(kcp, clusterPath("admin", "my-cluster"))).status.conditions[0].lastTransitionTime;
  // A kubeconfig that would make kcp run a program is refused the same way.
  const exec = `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/touch, args: [/tmp/pwned]}}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`;
  const upd = await updateCluster(clusterPath("admin", "my-cluster"), (cur) => ({
    ...cur,
    spec: { kubeconfig: exec },
  }));
  expect(upd).toBe(200);
  const execCond = await waitFor("exec refused", async () => {
    const c = await ready("admin", "my-cluster");
    return c?.message?.includes("uses an exec credential plugin, which is not allowed here") && c;
  });
  expect(execCond).toMatchObject({ status: "False", reason: "InvalidKubeConfig" });
  // The status did not change (False → False): the transition time stays.
  const again = (await getJson(kcp, clusterPath("admin", "my-cluster"))).status.conditions[0].lastTransitionTime;
  expect(again).toBe(first);
  expect(await send(kcp, "DELETE", clusterPath("admin", "my-cluster"), {}).then((r) => r.status)).toBe(200);
  await waitFor("my-cluster gone", async () => (await getJson(kcp, clusterPath("admin", "my-cluster"))) === undefined);
});

describe("push mode", () => {
  let player: WorkloadPlayer | undefined;
  afterAll(async () => {
    await player?.stop();
  });

  test("kcp cluster add attaches two clusters; a labelled object goes to its cluster only, status flows up", async () => {
    const [a, b] = await Promise.all([
      cli(["cluster", "add", "east", "--cluster-kubeconfig", east.kubeconfig, "--timeout", "30s"]),
      cli(["cluster", "register", "west", "--cluster-kubeconfig", west.kubeconfig, "--resources", "configmaps"]),
    ]);
    expect(a.code).toBe(0);
    expect(a.stdout).toContain("Cluster east is Ready");
    expect(b.code).toBe(0);
    const list = await cli(["cluster", "list"]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^east\s+\(default\)\s+True\s+SyncerReady\s+configmaps,deployments\.apps/m);
    expect(list.stdout).toMatch(/^west\s+\(default\)\s+True\s+SyncerReady\s+configmaps\s/m);

    expect((await send(kcp, "POST", cmPath(undefined), configMap("to-east", "east"))).status).toBe(201);
    const down = await waitFor("to-east in east", () => getJson(east, cmPath(undefined, "to-east")));
    expect(down.data).toEqual({ k: "v" });
    expect(await getJson(west, cmPath(undefined, "to-east"))).toBeUndefined();

    // A Deployment goes down; the workload player (the kubelet) sets its status there; it comes back up.
    player = startWorkloadPlayer(new RestClient(await clientConfigOf(east)));
    const deployment = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: "default", labels: { "kcp.dev/cluster": "east" } },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: "web" } },
        template: { metadata: { labels: { app: "web" } } },
      },
    };
    expect((await send(kcp, "POST", "/apis/apps/v1/namespaces/default/deployments", deployment)).status).toBe(201);
    const up = await waitFor("status up", async () => {
      const d = await getJson(kcp, "/apis/apps/v1/namespaces/default/deployments/web");
      return d?.status?.readyReplicas === 3 && d;
    });
    expect(up.status.availableReplicas).toBe(3);
    // As long as `cluster add --timeout 30s` may wait: east's deployments.apps is negotiated first.
  }, 30_000);

  test("relabelling moves an object between the clusters; deleting it removes the copy", async () => {
    const cur = await getJson(kcp, cmPath(undefined, "to-east"));
    cur.metadata.labels["kcp.dev/cluster"] = "west";
    expect((await send(kcp, "PUT", cmPath(undefined, "to-east"), cur)).status).toBe(200);
    await waitFor("in west", () => getJson(west, cmPath(undefined, "to-east")));
    await waitFor("gone from east", async () => (await getJson(east, cmPath(undefined, "to-east"))) === undefined);
    expect((await api(kcp, cmPath(undefined, "to-east"), { method: "DELETE" })).status).toBe(200);
    await waitFor("gone from west", async () => (await getJson(west, cmPath(undefined, "to-east"))) === undefined);
  });

  test("changing a Cluster's resources restarts its syncer with them", async () => {
    const status = await updateCluster(clusterPath("admin", "west"), (cur) => ({
      ...cur,
      spec: { ...cur.spec, resources: ["configmaps", "deployments.apps"] },
    }));
    expect(status).toBe(200);
    // The new syncer says "starting" in its first heartbeat, then Ready with both types.
    const c = await waitFor("west syncs deployments too, Ready", async () => {
      const c = await getJson(kcp, clusterPath("admin", "west"));
      const r = c.status?.conditions?.find((x: { type: string }) => x.type === "Ready");
      return c.status?.syncedResources?.includes("deployments.apps") && r?.status === "True" && c;
    });
    expect(c.status.syncedResources).toEqual(["configmaps", "deployments.apps"]);
  });

  test("the physical cluster killed → NotReady with a message; restarted → Ready and converged", async () => {
    const port = east.port;
    const root = east.rootDir;
    await east.stop();
    const down = await waitFor("NotReady", async () => {
      const c = await ready("admin", "east");
      return c?.status === "False" && c;
    });
    expect(down.reason).toBe("SyncerNotReady");
    expect(down.message).toContain(`127.0.0.1:${port}`);
    // Written while the cluster is away: it arrives once it is back.
    expect((await send(kcp, "POST", cmPath(undefined), configMap("while-down", "east"))).status).toBe(201);
    east = await startKcp({ rootDir: root, args: ["--listen", `127.0.0.1:${port}`] });
    expect(east.port).toBe(port);
    const back = await waitFor("Ready again", async () => {
      const c = await ready("admin", "east");
      return c?.status === "True" && c;
    });
    expect(back.reason).toBe("SyncerReady");
    await waitFor("converged", () => getJson(east, cmPath(undefined, "while-down")));
  });
});

async function clientConfigOf(k: KcpProcess) {
  const { loadClientConfig } = await import("../../src/client/kubeconfig-loader.ts");
  return loadClientConfig({ kubeconfig: k.kubeconfig });
}

test("none mode: Ready while `kcp sync` runs, NotReady with a message when it stops", async () => {
  const sync = spawnKcp(
    [
      "sync",
      "--from-kubeconfig",
      kcp.kubeconfig,
      "--to-kubeconfig",
      west.kubeconfig,
      "--cluster",
      "manual",
      "--heartbeat-interval",
      "500ms",
      "configmaps",
    ],
    kcp.kubeconfig,
  );
  const add = await cli(["cluster", "add", "manual", "--mode", "none", "--cluster-kubeconfig", west.kubeconfig]);
  expect(add.code).toBe(0);
  expect((await send(kcp, "POST", cmPath(undefined), configMap("by-hand", "manual"))).status).toBe(201);
  await waitFor("by-hand in west", () => getJson(west, cmPath(undefined, "by-hand")));
  sync.kill();
  expect(await sync.exited).toBe(0);
  const gone = await waitFor("NotReady", async () => {
    const c = await ready("admin", "manual");
    return c?.status === "False" && c;
  });
  expect(gone).toMatchObject({ reason: "SyncerNotReady" });
  expect(gone.message).toMatch(/^no heartbeat from the syncer for \d+s$/);
});

describe("pull mode", () => {
  let teamA: string;
  let teamB: string;

  beforeAll(async () => {
    teamA = await kubeconfigWithPath(kcp, "/clusters/team-a");
    teamB = await kubeconfigWithPath(kcp, "/clusters/team-b");
  });

  test("two logical clusters install their own syncers; running one from its Secret makes it Ready", async () => {
    // team-a waits for Ready in the background; team-b attaches the same physical cluster.
    const addA = spawnKcp(
      [
        "cluster",
        "add",
        "edge",
        "--mode",
        "pull",
        "--resources",
        "configmaps",
        "--cluster-kubeconfig",
        edge.kubeconfig,
      ],
      teamA,
    );
    const addB = await cli(
      [
        "cluster",
        "add",
        "edge",
        "--mode",
        "pull",
        "--resources",
        "configmaps",
        "--cluster-kubeconfig",
        edge.kubeconfig,
        "--timeout",
        "1s",
      ],
      teamB,
    );
    // Nothing runs the installed syncer yet: team-b's add times out, saying why.
    expect(addB.code).toBe(1);
    expect(addB.stderr + addB.stdout).toContain("cluster edge is not Ready after 1s");

    const nsA = syncerInstallName("team-a", "edge");
    const nsB = syncerInstallName("team-b", "edge");
    expect(nsA).not.toBe(nsB);
    const installed = async (ns: string) => {
      const dep = await getJson(edge, `/apis/apps/v1/namespaces/${ns}/deployments/kcp-syncer`);
      return dep && dep;
    };
    const depA = await waitFor("team-a's syncer installed", () => installed(nsA));
    await waitFor("team-b's syncer installed", () => installed(nsB));
    const container = depA.spec.template.spec.containers[0];
    expect(container.image).toBe("kcp:0.1.0");
    // The heartbeat interval is a third of kcp's heartbeat timeout (2 s here).
    expect(container.args).toEqual([
      "sync",
      "--from-kubeconfig",
      "/kcp/kubeconfig",
      "--cluster",
      "edge",
      "--heartbeat-interval",
      "666ms",
      "configmaps",
    ]);
    expect(depA.spec.template.spec.serviceAccountName).toBe("kcp-syncer");
    expect(depA.metadata.labels).toEqual({
      "kcp.dev/syncer-for": "edge",
      "kcp.dev/syncer-id": syncerId("team-a", "edge"),
    });
    expect(await getJson(edge, `/api/v1/namespaces/${nsA}/serviceaccounts/kcp-syncer`)).toBeDefined();
    const role = await getJson(edge, `/apis/rbac.authorization.k8s.io/v1/clusterroles/${nsA}`);
    expect(role.rules).toEqual([
      { apiGroups: [""], resources: ["namespaces"], verbs: ["create", "get"] },
      { apiGroups: [""], resources: ["configmaps"], verbs: ["create", "delete", "get", "list", "update", "watch"] },
    ]);
    const binding = await getJson(edge, `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${nsA}`);
    expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: "kcp-syncer", namespace: nsA }]);

    // The Secret: a kubeconfig for team-a with a service account's token, not the admin token.
    const secret = await getJson(edge, `/api/v1/namespaces/${nsA}/secrets/kcp-kubeconfig`);
    const kubeconfigText = Buffer.from(secret.data.kubeconfig, "base64").toString();
    const doc = parseYaml(kubeconfigText);
    expect(doc.clusters[0].cluster.server).toBe(`${kcp.url}/clusters/team-a`);
    const token = doc.users[0].user.token as string;
    expect(token).not.toBe(kcp.token);
    const who = await api(kcp, "/clusters/team-a/apis/authentication.k8s.io/v1/selfsubjectreviews", {
      method: "POST",
      token,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" }),
    });
    expect(who.status).toBe(201);
    expect(((await who.json()) as any).status.userInfo.username).toBe(
      "system:serviceaccount:kcp-system:kcp-syncer-edge",
    );

    // Run the syncer as the pod would: its args, the kubeconfig from the Secret (the physical side
    // is the admin kubeconfig here, where the pod would use its service account).
    const file = join(kcp.rootDir, "edge-syncer.kubeconfig");
    await Bun.write(file, kubeconfigText);
    const pod = spawnKcp(
      [
        ...container.args.map((a: string) => (a === "/kcp/kubeconfig" ? file : a)),
        "--to-kubeconfig",
        edge.kubeconfig,
        "--heartbeat-interval",
        "500ms",
      ],
      kcp.kubeconfig,
    );
    const a = await addA.result;
    expect(a.code).toBe(0);
    expect(a.stdout).toContain("Cluster edge is Ready");
    expect((await send(kcp, "POST", cmPath("team-a"), configMap("from-team-a", "edge"))).status).toBe(201);
    const copy = await waitFor("team-a's object in edge", () => getJson(edge, cmPath(undefined, "from-team-a")));
    expect(copy.metadata.annotations["kcp.dev/logical-cluster"]).toBe("team-a");
    // team-b's Cluster is still waiting for its own syncer.
    expect(await ready("team-b", "edge")).toMatchObject({ status: "False", reason: "SyncerNotReady" });
    pod.kill();
    await pod.exited;
  });

  test("remove: the finalizer removes only this Cluster's installed objects and credential", async () => {
    const nsA = syncerInstallName("team-a", "edge");
    const nsB = syncerInstallName("team-b", "edge");
    const r = await cli(["cluster", "remove", "edge"], teamA);
    expect(r.code).toBe(0);
    expect(await getJson(kcp, clusterPath("team-a", "edge"))).toBeUndefined();
    expect(await getJson(edge, `/apis/rbac.authorization.k8s.io/v1/clusterroles/${nsA}`)).toBeUndefined();
    expect(await getJson(edge, `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${nsA}`)).toBeUndefined();
    await waitFor(
      "team-a's namespace gone",
      async () => (await getJson(edge, `/api/v1/namespaces/${nsA}`)) === undefined,
    );
    expect(
      await getJson(kcp, "/clusters/team-a/api/v1/namespaces/kcp-system/serviceaccounts/kcp-syncer-edge"),
    ).toBeUndefined();
    // team-b's are untouched; the synced workload stays.
    expect(await getJson(edge, `/apis/apps/v1/namespaces/${nsB}/deployments/kcp-syncer`)).toBeDefined();
    expect(await getJson(edge, `/apis/rbac.authorization.k8s.io/v1/clusterroles/${nsB}`)).toBeDefined();
    expect(await getJson(edge, cmPath(undefined, "from-team-a"))).toBeDefined();
    const again = await cli(["cluster", "remove", "edge"], teamA);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("cluster edge does not exist");
  });

  test("--print-manifests prints the same objects, with a syncer token", async () => {
    const r = await cli(
      [
        "cluster",
        "add",
        "printed",
        "--mode",
        "pull",
        "--print-manifests",
        "--syncer-image",
        "registry.example/kcp:test",
        "--resources",
        "configmaps,configmaps",
        "--kcp-url",
        "https://kcp.example:6443",
        "--cluster-kubeconfig",
        edge.kubeconfig,
      ],
      teamB,
    );
    expect(r.code).toBe(0);
    // The CLI's kcp URL is 127.0.0.1 here, but --kcp-url names the one pods reach.
    expect(r.stderr).not.toContain("an address of this machine only");
    const docs = r.stdout
      .split(/^---$/m)
      .map((d) => d.trim())
      .filter((d) => d !== "")
      .map((d) => parseYaml(d));
    expect(docs.map((d) => d.kind)).toEqual([
      "Namespace",
      "ServiceAccount",
      "ClusterRole",
      "ClusterRoleBinding",
      "Secret",
      "Deployment",
    ]);
    expect(docs[0].metadata.name).toBe(syncerInstallName("team-b", "printed"));
    expect(docs[5].spec.template.spec.containers[0].image).toBe("registry.example/kcp:test");
    const kc = parseYaml(Buffer.from(docs[4].data.kubeconfig, "base64").toString());
    expect(kc.users[0].user.token).not.toBe(kcp.token);
    expect(kc.clusters[0].cluster.server).toBe("https://kcp.example:6443/clusters/team-b");
    expect(docs[5].spec.template.spec.containers[0].args.slice(-1)).toEqual(["configmaps"]);
    // Applying them is the user's part; kubectl takes them as printed.
    const applied = await kubectl(edge, ["apply", "-f", "-"], { stdin: r.stdout });
    expect(applied.code).toBe(0);
    const cluster = await getJson(kcp, clusterPath("team-b", "printed"));
    expect(cluster.spec.mode).toBe("none");
    expect(cluster.spec.resources).toEqual(["configmaps"]);
    // Again with the same name: refused before any token is minted or printed.
    const tokensBefore = await getJson(kcp, "/clusters/team-b/api/v1/namespaces/kcp-system/serviceaccounts");
    const again = await cli(
      ["cluster", "add", "printed", "--mode", "pull", "--print-manifests", "--cluster-kubeconfig", edge.kubeconfig],
      teamB,
    );
    expect(again.code).toBe(1);
    expect(again.stdout).toBe("");
    expect(again.stderr).toContain("already exists");
    const tokensAfter = await getJson(kcp, "/clusters/team-b/api/v1/namespaces/kcp-system/serviceaccounts");
    expect(tokensAfter.items.map((a: any) => a.metadata.uid)).toEqual(
      tokensBefore.items.map((a: any) => a.metadata.uid),
    );
  });
});

test("kcp cluster add --help describes add's own flags; bad input exits 1 before anything is written", async () => {
  const help = await cli(["cluster", "add", "--help"]);
  expect(help.code).toBe(0);
  expect(help.stdout).toContain("--cluster-kubeconfig");
  expect(help.stdout).toContain("--print-manifests");
  const badName = await cli(["cluster", "add", "Bad_Name", "--cluster-kubeconfig", east.kubeconfig]);
  expect(badName.code).toBe(1);
  expect(badName.stderr).toContain("is not a valid cluster name");
  const unreachable = join(kcp.rootDir, "unreachable.kubeconfig");
  await Bun.write(
    unreachable,
    (await Bun.file(east.kubeconfig).text()).replace(/server: .*/, "server: https://127.0.0.1:1"),
  );
  const noAnswer = await cli(["cluster", "add", "nowhere", "--cluster-kubeconfig", unreachable]);
  expect(noAnswer.code).toBe(1);
  expect(noAnswer.stderr).toContain("cannot reach the cluster at https://127.0.0.1:1");
  expect(await getJson(kcp, clusterPath("admin", "nowhere"))).toBeUndefined();
});

test("kcp cluster remove: a Cluster that stays Terminating gets a hint, not just a timeout", async () => {
  const created = await send(kcp, "POST", clusterPath("team-c"), {
    apiVersion: "cluster.example.dev/v1alpha1",
    kind: "Cluster",
    metadata: { name: "held", finalizers: ["example.com/hold"] },
    spec: { kubeconfig: "hello" },
  });
  expect(created.status).toBe(201);
  const r = await cli(
    ["cluster", "remove", "held", "--timeout", "1s"],
    await kubeconfigWithPath(kcp, "/clusters/team-c"),
  );
  expect(r.code).toBe(1);
  expect(r.stderr).toContain("is still being removed after 1s");
  expect(r.stderr).toContain("cluster.example.dev/syncer-cleanup");
  expect(r.stderr).toContain(`kubectl patch clusters.cluster.example.dev held --type=merge`);
  // Release it as the hint says (here the finalizer holding it is the test's own).
  const released = await api(kcp, clusterPath("team-c", "held"), {
    method: "PATCH",
    body: JSON.stringify({ metadata: { finalizers: null } }),
    headers: { "content-type": "application/merge-patch+json" },
  });
  expect(released.status).toBe(200);
  await waitFor("the Cluster gone", async () => (await getJson(kcp, clusterPath("team-c", "held"))) === undefined);
});
