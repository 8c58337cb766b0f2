// The splitter with real "physical clusters": two more kcp processes attached through the cluster
// controller (push-mode syncers), the workload player playing their kubelets. A Deployment of 10
// in kcp becomes a leaf of 5 in each; their status comes up through the syncers and is summed
// into the root; when one cluster dies, its replicas move to the other.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join, resolve } from "node:path";
import { loadClientConfig } from "../../src/client/kubeconfig-loader.ts";
import { RestClient } from "../../src/client/rest-client.ts";
import { api, type KcpProcess, kubectl, removeDir, startKcp } from "../helpers/kcp-process.ts";
import { startWorkloadPlayer, type WorkloadPlayer } from "../helpers/workload-player.ts";

const REPO = resolve(import.meta.dir, "../..");
let kcp: KcpProcess;
let east: KcpProcess;
let west: KcpProcess;
const players: WorkloadPlayer[] = [];

type Obj = {
  spec?: { replicas?: number };
  status?: { readyReplicas?: number; conditions?: { type: string; status: string }[] };
};

async function get(k: KcpProcess, path: string): Promise<Obj | undefined> {
  const res = await api(k, path);
  return res.status === 200 ? ((await res.json()) as Obj) : undefined;
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(100);
  }
}

async function kcpCli(args: string[]): Promise<{ code: number; out: string }> {
  const proc = Bun.spawn([process.execPath, join(REPO, "src/main.ts"), ...args], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, KUBECONFIG: kcp.kubeconfig, NO_COLOR: "1" },
  });
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, out: out + err };
}

beforeAll(async () => {
  [kcp, east, west] = await Promise.all([
    startKcp({ args: ["--install-workload-crds", "--cluster-heartbeat-timeout", "10s"] }),
    startKcp({ args: ["--install-workload-crds"] }),
    startKcp({ args: ["--install-workload-crds"] }),
  ]);
  for (const k of [east, west]) {
    players.push(startWorkloadPlayer(new RestClient(await loadClientConfig({ kubeconfig: k.kubeconfig }))));
  }
}, 60_000);

afterAll(async () => {
  for (const p of players) await p.stop();
  for (const k of [kcp, east, west]) {
    await k?.stop();
    if (k) removeDir(k.rootDir);
  }
});

const ROOT = "/apis/apps/v1/namespaces/demo/deployments/my-deployment";

describe("deployment splitter over two physical clusters", () => {
  test("10 replicas: 5 run in each cluster, the root shows 10 ready", async () => {
    const added = await Promise.all([
      kcpCli(["cluster", "add", "us-east1", "--cluster-kubeconfig", east.kubeconfig, "--timeout", "30s"]),
      kcpCli(["cluster", "add", "us-west1", "--cluster-kubeconfig", west.kubeconfig, "--timeout", "30s"]),
    ]);
    for (const a of added) expect(a.code, a.out).toBe(0);
    expect((await kubectl(kcp, ["create", "namespace", "demo"])).code).toBe(0);
    const manifest = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "my-deployment", namespace: "demo" },
      spec: {
        replicas: 10,
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0 } },
        selector: { matchLabels: { "app.kubernetes.io/name": "app" } },
        template: {
          metadata: { labels: { "app.kubernetes.io/name": "app" } },
          spec: { containers: [{ name: "nginx", image: "nginx" }] },
        },
      },
    };
    const applied = await kubectl(kcp, ["apply", "-f", "-"], { stdin: JSON.stringify(manifest) });
    expect(applied.code, applied.stderr).toBe(0);
    // The leaves run downstream, 5 each, and the players make them ready there.
    for (const [k, c] of [
      [east, "us-east1"],
      [west, "us-west1"],
    ] as const) {
      // (A heartbeat late on a busy machine may turn a cluster NotReady for a moment: its leaf is
      // then scaled to 0 and back, so wait for the share rather than for the first copy.)
      await eventually(`my-deployment--${c} downstream with 5`, async () => {
        const d = await get(k, `/apis/apps/v1/namespaces/demo/deployments/my-deployment--${c}`);
        return d?.spec?.replicas === 5;
      });
    }
    const waited = await kubectl(kcp, [
      "wait",
      "deployments",
      "--all",
      "-n",
      "demo",
      "--for=condition=Available",
      "--timeout=30s",
    ]);
    expect(waited.code, waited.stderr).toBe(0);
    expect(waited.stdout.match(/condition met/g)?.length).toBe(3);
    const root = await eventually("10 ready", async () => {
      const r = await get(kcp, ROOT);
      return r?.status?.readyReplicas === 10 && r;
    });
    expect(root.status?.conditions?.find((c) => c.type === "Available")?.status).toBe("True");
    for (const c of ["us-east1", "us-west1"]) {
      const leaf = await get(kcp, `/apis/apps/v1/namespaces/demo/deployments/my-deployment--${c}`);
      expect(leaf?.status?.readyReplicas).toBe(5);
    }
  });

  test("a cluster that dies goes NotReady; its replicas move to the other", async () => {
    await west.stop();
    const leaf = await eventually("us-east1 takes all 10", async () => {
      const l = await get(kcp, "/apis/apps/v1/namespaces/demo/deployments/my-deployment--us-east1");
      return l?.spec?.replicas === 10 && l;
    });
    expect(leaf.spec?.replicas).toBe(10);
    expect((await get(kcp, "/apis/apps/v1/namespaces/demo/deployments/my-deployment--us-west1"))?.spec?.replicas).toBe(
      0,
    );
    await eventually("10 running in us-east1", async () => {
      const d = await get(east, "/apis/apps/v1/namespaces/demo/deployments/my-deployment--us-east1");
      return d?.spec?.replicas === 10;
    });
    const root = await eventually("the root ready from us-east1 alone", async () => {
      const r = await get(kcp, ROOT);
      return (
        r?.status?.readyReplicas === 10 &&
        r.status.conditions?.find((c) => c.type === "Available")?.status === "True" &&
        r
      );
    });
    expect(root.spec?.replicas).toBe(10);
  });
});
