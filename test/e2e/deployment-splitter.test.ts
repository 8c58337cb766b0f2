// The deployment splitter inside `kcp start`, against a real kcp: Clusters whose Ready condition
// the test sets by hand through the status subresource (no cluster controller, no physical
// cluster), leaves' status written by hand as a syncer would. kcp starts without Deployments: the
// CRD is created afterwards, so the splitter must load when they appear.
import { beforeAll, describe, expect, test } from "bun:test";
import { join, resolve } from "node:path";
import { api, type KcpProcess, kubeconfigWithPath, kubectl, useKcp } from "../helpers/kcp-process.ts";

const REPO = resolve(import.meta.dir, "../..");
let kcp: KcpProcess;
useKcp((k) => (kcp = k), { args: ["--no-cluster-controller"] });

type Obj = {
  metadata: {
    name: string;
    uid: string;
    resourceVersion: string;
    generation?: number;
    labels?: Record<string, string>;
    ownerReferences?: Record<string, unknown>[];
  };
  spec?: { replicas?: number; template?: unknown };
  status?: {
    replicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    updatedReplicas?: number;
    unavailableReplicas?: number;
    observedGeneration?: number;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
};

const NS = "demo";
const DEPLOYMENTS = `/apis/apps/v1/namespaces/${NS}/deployments`;

async function get(path: string, cluster = "admin"): Promise<Obj | undefined> {
  const res = await api(kcp, `/clusters/${cluster}${path}`);
  if (res.status === 404) return undefined;
  expect(res.status).toBe(200);
  return (await res.json()) as Obj;
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
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

async function ok(args: string[], opts: { stdin?: string; kubeconfig?: string } = {}): Promise<string> {
  const r = await kubectl(kcp, args, opts);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

async function setCluster(name: string, ready: boolean, kubeconfig?: string): Promise<void> {
  const manifest = JSON.stringify({
    apiVersion: "cluster.example.dev/v1alpha1",
    kind: "Cluster",
    metadata: { name },
    spec: { kubeconfig: "apiVersion: v1\nkind: Config\n" },
  });
  await ok(["apply", "-f", "-"], { stdin: manifest, kubeconfig });
  const status = {
    status: {
      conditions: [
        {
          type: "Ready",
          status: ready ? "True" : "False",
          reason: ready ? "SyncerReady" : "SyncerNotReady",
          message: ready ? "Syncer ready" : "set by the test",
          lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
        },
      ],
    },
  };
  await ok(
    [
      "patch",
      "clusters.cluster.example.dev",
      name,
      "--subresource=status",
      "--type=merge",
      "-p",
      JSON.stringify(status),
    ],
    {
      kubeconfig,
    },
  );
}

function deployment(name: string, replicas: number | undefined): string {
  return JSON.stringify({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: NS, labels: { app: name } },
    spec: {
      ...(replicas === undefined ? {} : { replicas }),
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "c", image: "nginx" }] } },
    },
  });
}

/** The replicas of each leaf of `root`, by cluster. */
async function shares(root: string, cluster = "admin"): Promise<Record<string, number>> {
  const res = await api(kcp, `/clusters/${cluster}${DEPLOYMENTS}?labelSelector=kcp.dev/owned-by=${root}`);
  const list = (await res.json()) as { items: Obj[] };
  const out: Record<string, number> = {};
  for (const d of list.items) out[d.metadata.labels?.["kcp.dev/cluster"] as string] = d.spec?.replicas as number;
  return out;
}

async function sharesBecome(root: string, want: Record<string, number>, cluster = "admin"): Promise<void> {
  let last: Record<string, number> = {};
  await eventually(`leaves of ${root} ${JSON.stringify(want)} (last ${JSON.stringify(last)})`, async () => {
    last = await shares(root, cluster);
    return JSON.stringify(Object.entries(last).sort()) === JSON.stringify(Object.entries(want).sort());
  }).catch((e) => {
    throw new Error(`${(e as Error).message}; last ${JSON.stringify(last)}`);
  });
}

function condition(d: Obj | undefined, type: string) {
  return d?.status?.conditions?.find((c) => c.type === type);
}

async function writeLeafStatus(name: string, status: Record<string, unknown>): Promise<void> {
  const leaf = (await get(`${DEPLOYMENTS}/${name}`)) as Obj;
  const res = await api(kcp, `/clusters/admin${DEPLOYMENTS}/${name}/status`, {
    method: "PUT",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ ...leaf, status: { observedGeneration: leaf.metadata.generation, ...status } }),
  });
  expect(res.status).toBe(200);
}

const available = (s: string) => ({
  type: "Available",
  status: s,
  reason: s === "True" ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
  message: "m",
});
const progressing = (reason: string) => ({ type: "Progressing", status: "True", reason, message: "p" });

beforeAll(async () => {
  // Deployments come into being after start: the splitter must load when they do.
  const crds = Bun.spawn([process.execPath, join(REPO, "src/main.ts"), "crds", "print", "deployments"], {
    stdout: "pipe",
  });
  const text = await new Response(crds.stdout).text();
  await ok(["apply", "-f", "-"], { stdin: text });
  await ok(["wait", "--for=condition=Established", "crd/deployments.apps", "--timeout=30s"]);
  await ok(["create", "namespace", NS]);
  await setCluster("east", true);
  await setCluster("west", true);
}, 60_000);

describe("deployment splitter (in kcp start)", () => {
  test("10 replicas over two Ready clusters: 5/5 leaves, labelled and owned by the root", async () => {
    await ok(["apply", "-f", "-"], { stdin: deployment("web", 10) });
    await sharesBecome("web", { east: 5, west: 5 });
    const root = (await get(`${DEPLOYMENTS}/web`)) as Obj;
    const leaf = (await get(`${DEPLOYMENTS}/web--east`)) as Obj;
    expect(leaf.metadata.labels).toEqual({ app: "web", "kcp.dev/cluster": "east", "kcp.dev/owned-by": "web" });
    expect(leaf.metadata.ownerReferences).toEqual([
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        name: "web",
        uid: root.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(leaf.spec?.template).toEqual(root.spec?.template);
    expect(leaf.status?.replicas ?? 0).toBe(0);
    const split = await eventually("Split condition", async () => condition(await get(`${DEPLOYMENTS}/web`), "Split"));
    expect(split).toMatchObject({
      status: "True",
      reason: "Split",
      message: "10 replicas over 2 clusters: east=5, west=5",
    });
  });

  test("nothing is written again once the split is done", async () => {
    await eventually("a settled root", async () => condition(await get(`${DEPLOYMENTS}/web`), "Available"));
    const before = await Promise.all(["web", "web--east", "web--west"].map((n) => get(`${DEPLOYMENTS}/${n}`)));
    await Bun.sleep(1500);
    const after = await Promise.all(["web", "web--east", "web--west"].map((n) => get(`${DEPLOYMENTS}/${n}`)));
    expect(after.map((d) => d?.metadata.resourceVersion)).toEqual(before.map((d) => d?.metadata.resourceVersion));
  });

  test("scaling the root rebalances: 15 → 8/7; the template follows", async () => {
    await ok(["scale", "deployment", "web", "-n", NS, "--replicas=15"]);
    await sharesBecome("web", { east: 8, west: 7 });
    await ok(["set", "image", "deployment/web", "-n", NS, "c=nginx:1.27"]);
    await eventually("the new image on the leaves", async () => {
      const leaf = (await get(`${DEPLOYMENTS}/web--west`)) as {
        spec: { template: { spec: { containers: { image: string }[] } } };
      } & Obj;
      return leaf.spec.template.spec.containers[0]?.image === "nginx:1.27";
    });
  });

  test("a third cluster joins: 5/5/5", async () => {
    await setCluster("north", true);
    await sharesBecome("web", { east: 5, north: 5, west: 5 });
  });

  test("a cluster going NotReady is scaled to 0, its replicas move to the Ready ones", async () => {
    await setCluster("west", false);
    await sharesBecome("web", { east: 8, north: 7, west: 0 });
  });

  test("a deleted leaf is recreated", async () => {
    const old = (await get(`${DEPLOYMENTS}/web--east`)) as Obj;
    await ok(["delete", "deployment", "web--east", "-n", NS]);
    await eventually("web--east again", async () => {
      const d = await get(`${DEPLOYMENTS}/web--east`);
      return d && d.metadata.uid !== old.metadata.uid && d.spec?.replicas === 8;
    });
  });

  test("the root's status is summed up from its leaves", async () => {
    const root = (await get(`${DEPLOYMENTS}/web`)) as Obj;
    // Not yet: the leaves have no status.
    expect(condition(root, "Available")?.status).toBe("False");
    const counts = (n: number) => ({ replicas: n, updatedReplicas: n, readyReplicas: n, availableReplicas: n });
    await writeLeafStatus("web--east", {
      ...counts(8),
      conditions: [available("True"), progressing("NewReplicaSetAvailable")],
    });
    // north: partial status (no conditions, some counts missing).
    await writeLeafStatus("web--north", { replicas: 7, unavailableReplicas: 7 });
    let d = await eventually("partial sums", async () => {
      const r = await get(`${DEPLOYMENTS}/web`);
      return r?.status?.replicas === 15 && r;
    });
    expect(d.status).toMatchObject({ replicas: 15, readyReplicas: 8, availableReplicas: 8, unavailableReplicas: 7 });
    expect(condition(d, "Available")).toMatchObject({ status: "False", reason: "MinimumReplicasUnavailable" });
    expect(condition(d, "Available")?.message).toContain("north: no status yet");
    expect(condition(d, "Progressing")).toMatchObject({ status: "True", reason: "ReplicaSetUpdated" });
    expect(condition(d, "Progressing")?.message).toBe("east: NewReplicaSetAvailable; north: no status yet");
    await writeLeafStatus("web--north", {
      ...counts(7),
      conditions: [available("True"), progressing("NewReplicaSetAvailable")],
    });
    d = await eventually("all available", async () => {
      const r = await get(`${DEPLOYMENTS}/web`);
      return condition(r, "Available")?.status === "True" && r;
    });
    expect(d.status).toMatchObject({
      replicas: 15,
      readyReplicas: 15,
      availableReplicas: 15,
      updatedReplicas: 15,
      unavailableReplicas: 0,
      observedGeneration: d.metadata.generation,
    });
    expect(condition(d, "Progressing")).toMatchObject({ status: "True", reason: "NewReplicaSetAvailable" });
    // What the kubecon demo waits on.
    const waited = await ok(["wait", "deployment/web", "-n", NS, "--for=condition=Available", "--timeout=10s"]);
    expect(waited).toContain("condition met");
    // One leaf failing: Progressing False with its reason.
    await writeLeafStatus("web--north", {
      ...counts(7),
      conditions: [
        available("False"),
        { type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded", message: "stuck" },
      ],
    });
    d = await eventually("north failing", async () => {
      const r = await get(`${DEPLOYMENTS}/web`);
      return condition(r, "Progressing")?.status === "False" && r;
    });
    expect(condition(d, "Progressing")).toMatchObject({
      reason: "ProgressDeadlineExceeded",
      message: "north: ProgressDeadlineExceeded: stuck",
    });
    expect(condition(d, "Available")?.status).toBe("False");
  });

  test("weights from the annotation; a bad value is a condition, the leaves stay", async () => {
    await ok(["annotate", "deployment", "web", "-n", NS, "kcp.dev/split-weights=east=2,north=1"]);
    await sharesBecome("web", { east: 10, north: 5, west: 0 });
    await ok(["annotate", "deployment", "web", "-n", NS, "--overwrite", "kcp.dev/split-weights=east=lots"]);
    const split = await eventually("InvalidSplitWeights", async () => {
      const c = condition(await get(`${DEPLOYMENTS}/web`), "Split");
      return c?.reason === "InvalidSplitWeights" && c;
    });
    expect(split.status).toBe("False");
    expect(split.message).toContain("east");
    expect(await shares("web")).toEqual({ east: 10, north: 5, west: 0 });
    await ok(["annotate", "deployment", "web", "-n", NS, "kcp.dev/split-weights-"]);
    await sharesBecome("web", { east: 8, north: 7, west: 0 });
  });

  test("a Deployment holding a leaf's name is left alone", async () => {
    await ok(["apply", "-f", "-"], {
      stdin: JSON.stringify({
        ...JSON.parse(deployment("api--east", 1)),
        metadata: { name: "api--east", namespace: NS, labels: { "kcp.dev/cluster": "east" } },
      }),
    });
    await ok(["apply", "-f", "-"], { stdin: deployment("api", undefined) });
    // nil replicas: 1, which goes to east; east's name is taken, so nothing is created there.
    const split = await eventually("LeafNameTaken", async () => {
      const c = condition(await get(`${DEPLOYMENTS}/api`), "Split");
      return c?.reason === "LeafNameTaken" && c;
    });
    expect(split.message).toContain("api--east");
    const squatter = (await get(`${DEPLOYMENTS}/api--east`)) as Obj;
    expect(squatter.metadata.ownerReferences).toBeUndefined();
    expect(squatter.spec?.replicas).toBe(1);
    // Once the name is free, the leaf is made.
    await ok(["delete", "deployment", "api--east", "-n", NS]);
    await eventually("api's own leaf on east", async () => {
      const leaf = await get(`${DEPLOYMENTS}/api--east`);
      return leaf?.metadata.ownerReferences?.[0]?.name === "api";
    });
    await ok(["delete", "deployment", "api", "-n", NS]);
  });

  test("a Cluster being deleted counts as not Ready; once gone, its leaf is deleted", async () => {
    const hold = JSON.stringify({ metadata: { finalizers: ["example.com/hold"] } });
    await ok(["patch", "clusters.cluster.example.dev", "north", "--type=merge", "-p", hold]);
    await ok(["delete", "clusters.cluster.example.dev", "north", "--wait=false"]);
    await sharesBecome("web", { east: 15, north: 0, west: 0 });
    await ok([
      "patch",
      "clusters.cluster.example.dev",
      "north",
      "--type=merge",
      "-p",
      '{"metadata":{"finalizers":null}}',
    ]);
    await sharesBecome("web", { east: 15, west: 0 });
    await ok(["delete", "clusters.cluster.example.dev", "west"]);
    await sharesBecome("web", { east: 15 });
  });

  test("a root labelled for one cluster loses its leaves; unlabelled, it is split again", async () => {
    await ok(["create", "-f", "-"], { stdin: deployment("pinned", 4) });
    await sharesBecome("pinned", { east: 4 });
    await ok(["label", "deployment", "pinned", "-n", NS, "kcp.dev/cluster=east"]);
    await eventually("no leaves of pinned", async () => Object.keys(await shares("pinned")).length === 0);
    await ok(["label", "deployment", "pinned", "-n", NS, "kcp.dev/cluster-"]);
    await sharesBecome("pinned", { east: 4 });
    await ok(["delete", "deployment", "pinned", "-n", NS]);
  });

  test("deleting the root deletes its leaves (garbage collector)", async () => {
    await ok(["delete", "deployment", "web", "-n", NS]);
    await eventually("no leaves", async () => Object.keys(await shares("web")).length === 0);
  });

  test("another logical cluster with no Ready cluster: NoRegisteredClusters, stored", async () => {
    const lonely = await kubeconfigWithPath(kcp, "/clusters/lonely");
    await ok(["create", "namespace", NS], { kubeconfig: lonely });
    // A Cluster that is not Ready does not count.
    await setCluster("far", false, lonely);
    await ok(["apply", "-f", "-"], { stdin: deployment("solo", 3), kubeconfig: lonely });
    const d = await eventually("NoRegisteredClusters", async () => {
      const r = await get(`${DEPLOYMENTS}/solo`, "lonely");
      return condition(r, "Progressing")?.reason === "NoRegisteredClusters" && r;
    });
    expect(condition(d, "Progressing")).toMatchObject({
      status: "False",
      message: "kcp has no clusters registered to receive Deployments",
    });
    expect(await shares("solo", "lonely")).toEqual({});
    // The cluster turns Ready: all 3 go there; admin's clusters are not this logical cluster's.
    await setCluster("far", true, lonely);
    await sharesBecome("solo", { far: 3 }, "lonely");
  });
});
