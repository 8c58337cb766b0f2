// `kcp split --kubeconfig …` against a kcp started with --no-deployment-splitter: the same
// splitting for one logical cluster, over the client library; it stops cleanly on SIGTERM.
import { describe, expect, test } from "bun:test";
import { join, resolve } from "node:path";
import { api, type KcpProcess, kubeconfigWithPath, kubectl, useKcp } from "../helpers/kcp-process.ts";

const REPO = resolve(import.meta.dir, "../..");
let kcp: KcpProcess;
useKcp((k) => (kcp = k), { args: ["--no-cluster-controller", "--no-deployment-splitter", "--install-workload-crds"] });

type Obj = {
  metadata: { generation?: number; labels?: Record<string, string> };
  spec?: { replicas?: number };
  status?: { readyReplicas?: number; conditions?: { type: string; status: string; reason?: string }[] };
};

async function ok(args: string[], kubeconfig: string, stdin?: string): Promise<string> {
  const r = await kubectl(kcp, args, { kubeconfig, stdin });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(100);
  }
}

async function leaves(root: string): Promise<Record<string, number>> {
  const res = await api(
    kcp,
    `/clusters/team/apis/apps/v1/namespaces/default/deployments?labelSelector=kcp.dev/owned-by=${root}`,
  );
  const out: Record<string, number> = {};
  for (const d of ((await res.json()) as { items: Obj[] }).items) {
    out[d.metadata.labels?.["kcp.dev/cluster"] as string] = d.spec?.replicas as number;
  }
  return out;
}

function split(args: string[]) {
  const proc = Bun.spawn([process.execPath, join(REPO, "src/main.ts"), "split", ...args], {
    stdout: "pipe",
    stderr: "pipe",
  });
  let out = "";
  const decoder = new TextDecoder();
  const pump = async (s: ReadableStream<Uint8Array>) => {
    for await (const chunk of s) out += decoder.decode(chunk);
  };
  void pump(proc.stdout);
  void pump(proc.stderr);
  return { proc, output: () => out };
}

describe("kcp split", () => {
  test("splits one logical cluster's Deployments, sums their status, stops on SIGTERM with 0", async () => {
    const team = await kubeconfigWithPath(kcp, "/clusters/team");
    for (const name of ["east", "west"]) {
      await ok(
        ["apply", "-f", "-"],
        team,
        JSON.stringify({
          apiVersion: "cluster.example.dev/v1alpha1",
          kind: "Cluster",
          metadata: { name },
          spec: { kubeconfig: "apiVersion: v1\nkind: Config\n" },
        }),
      );
      const ready = {
        status: {
          conditions: [
            {
              type: "Ready",
              status: "True",
              reason: "SyncerReady",
              message: "ok",
              lastTransitionTime: "2026-01-01T00:00:00Z",
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
          JSON.stringify(ready),
        ],
        team,
      );
    }
    await ok(["create", "deployment", "web", "--image=nginx", "--replicas=10"], team);
    // kcp itself does not split (--no-deployment-splitter).
    await Bun.sleep(1000);
    expect(await leaves("web")).toEqual({});

    const s = split(["--kubeconfig", team]);
    try {
      await eventually(
        "5/5 leaves",
        async () => JSON.stringify(await leaves("web")) === JSON.stringify({ east: 5, west: 5 }),
      );
      for (const c of ["east", "west"]) {
        const path = `/clusters/team/apis/apps/v1/namespaces/default/deployments/web--${c}`;
        const leaf = (await (await api(kcp, path)).json()) as Obj;
        const status = {
          observedGeneration: leaf.metadata.generation,
          replicas: 5,
          readyReplicas: 5,
          availableReplicas: 5,
          updatedReplicas: 5,
          conditions: [
            { type: "Available", status: "True", reason: "MinimumReplicasAvailable" },
            { type: "Progressing", status: "True", reason: "NewReplicaSetAvailable" },
          ],
        };
        const res = await api(kcp, `${path}/status`, {
          method: "PUT",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ ...leaf, status }),
        });
        expect(res.status).toBe(200);
      }
      const waited = await ok(["wait", "deployment/web", "--for=condition=Available", "--timeout=20s"], team);
      expect(waited).toContain("condition met");
      // kubectl's rollout status reads the root as kube's own (observedGeneration, counts).
      const rollout = await ok(["rollout", "status", "deployment/web", "--timeout=20s"], team);
      expect(rollout).toContain('deployment "web" successfully rolled out');
      const root = JSON.parse(await ok(["get", "deployment", "web", "-o", "json"], team)) as Obj;
      expect(root.status?.readyReplicas).toBe(10);
      // Only its logical cluster: admin has no leaves.
      const admin = await api(kcp, "/clusters/admin/apis/apps/v1/deployments?labelSelector=kcp.dev/owned-by");
      expect(((await admin.json()) as { items: unknown[] }).items).toEqual([]);
    } finally {
      s.proc.kill("SIGTERM");
    }
    expect(await s.proc.exited).toBe(0);
    expect(s.output()).toContain("SIGTERM received; stopping");
  });

  test("a kubeconfig that does not reach kcp exits 1 with the reason", async () => {
    const bad = join(kcp.rootDir, "bad.kubeconfig");
    await Bun.write(
      bad,
      "apiVersion: v1\nkind: Config\nclusters:\n- name: x\n  cluster: {server: 'https://127.0.0.1:1'}\ncontexts:\n- name: x\n  context: {cluster: x, user: u}\nusers:\n- name: u\n  user: {token: t}\ncurrent-context: x\n",
    );
    const s = split(["--kubeconfig", bad]);
    expect(await s.proc.exited).toBe(1);
    expect(s.output()).toContain("cannot reach kcp at https://127.0.0.1:1");
  });

  test("--help names the flags", async () => {
    const s = split(["--help"]);
    expect(await s.proc.exited).toBe(0);
    for (const f of ["--kubeconfig", "--context", "--workers", "--log-level"]) expect(s.output()).toContain(f);
  });
});
