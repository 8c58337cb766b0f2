// `kcp workspace` (alias `kcp ws`) against a real kcp with a real kubeconfig: create and enter a
// workspace, kubectl then works in it through the switched context, `use -` goes back and forth,
// list shows counts, delete waits until the data is gone; every failure exits 1 and leaves the
// kubeconfig as it was.
import { describe, expect, test } from "bun:test";
import { copyFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { call, until } from "../helpers/etcd-kcp.ts";
import { type KcpProcess, kubectl, useKcp } from "../helpers/kcp-process.ts";

const MAIN = join(import.meta.dir, "../../src/main.ts");

let kcp: KcpProcess;
let kc: string;
useKcp((k) => (kcp = k), {
  env: { KCP_LOGICAL_CLUSTER_REFRESH_MS: "300" },
  setup: async () => {
    kc = join(kcp.rootDir, "my.kubeconfig");
    copyFileSync(kcp.kubeconfig, kc);
  },
});

/** `kcp <args>` with KUBECONFIG set to the test's own kubeconfig (or --kubeconfig among args). */
async function ws(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn([process.execPath, MAIN, ...args], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NO_COLOR: "1", KUBECONFIG: kc, HOME: kcp.rootDir },
  });
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  return { code: await proc.exited, stdout, stderr };
}

const mine = (args: string[]) => kubectl(kcp, args, { kubeconfig: kc });

describe("kcp workspace", () => {
  test("current is admin on the admin kubeconfig", async () => {
    const r = await ws("ws", "current");
    expect(r).toMatchObject({ code: 0, stdout: "admin\n" });
  });

  test("create --enter switches the kubeconfig; kubectl then works in the workspace", async () => {
    const r = await ws("workspace", "create", "team-a", "--enter");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Workspace "team-a" created.');
    expect((await ws("ws", "current")).stdout).toBe("team-a\n");
    const doc = parse(readFileSync(kc, "utf8"));
    expect(doc["current-context"]).toBe("workspace.kcp.io/current");
    const server = doc.clusters.find((c: { name: string }) => c.name === "workspace.kcp.io/current").cluster.server;
    expect(server).toBe(`${kcp.url}/clusters/team-a`);
    // The contexts the file had are untouched.
    expect(doc.clusters.find((c: { name: string }) => c.name === "admin").cluster.server).toBe(kcp.url);
    const made = await mine(["create", "configmap", "in-team-a", "--from-literal=a=b"]);
    expect(made.stdout).toBe("configmap/in-team-a created\n");
    expect((await call(kcp, "GET", "/clusters/team-a/api/v1/namespaces/default/configmaps/in-team-a")).status).toBe(
      200,
    );
    expect((await call(kcp, "GET", "/api/v1/namespaces/default/configmaps/in-team-a")).status).toBe(404);
    expect((await mine(["config", "current-context"])).stdout).toBe("workspace.kcp.io/current\n");
  });

  test("use - goes back and forth; use ~ and use admin go to admin", async () => {
    expect((await ws("ws", "use", "-")).code).toBe(0);
    expect((await ws("ws", "current")).stdout).toBe("admin\n");
    expect((await mine(["get", "configmap", "in-team-a"])).code).toBe(1);
    expect((await ws("ws", "use", "-")).code).toBe(0);
    expect((await ws("ws", "current")).stdout).toBe("team-a\n");
    expect((await mine(["get", "configmap", "in-team-a", "-o", "name"])).stdout).toBe("configmap/in-team-a\n");
    expect((await ws("ws", "use", "~")).code).toBe(0);
    expect((await ws("ws", "current")).stdout).toBe("admin\n");
    expect((await ws("ws", "use", "team-a")).code).toBe(0);
    expect((await ws("ws", "use", "admin")).code).toBe(0);
    expect((await ws("ws", "current")).stdout).toBe("admin\n");
    expect((await ws("ws", "use", "team-a")).code).toBe(0);
  });

  test("failures exit 1 and leave the kubeconfig alone", async () => {
    const before = readFileSync(kc, "utf8");
    const missing = await ws("ws", "use", "nowhere");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('workspace "nowhere" does not exist');
    const bad = await ws("ws", "use", "Bad_Name");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('invalid workspace name "Bad_Name"');
    expect(readFileSync(kc, "utf8")).toBe(before);
    const again = await ws("ws", "create", "team-a");
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("already exists");
    expect((await ws("ws", "create", "team-a", "--ignore-existing")).code).toBe(0);
    const admin = await ws("ws", "delete", "admin");
    expect(admin.code).toBe(1);
    expect(admin.stderr).toContain("this logical cluster may not be deleted");
    // --kubeconfig names the file instead of KUBECONFIG.
    const flagged = await ws("ws", "current", "--kubeconfig", kcp.kubeconfig);
    expect(flagged.stdout).toBe("admin\n");
  });

  test("list shows name, phase, objects, size and age", async () => {
    // 4 namespaces, their 4 default service accounts, the configmap.
    const row = await until("team-a counted", async () => {
      const r = await ws("ws", "list");
      expect(r.code).toBe(0);
      return r.stdout.split("\n").find((l) => /^team-a\s+Ready\s+9\s/.test(l));
    });
    expect(row).toMatch(/^team-a\s+Ready\s+9\s+\d+(\.\d)?KiB\s+\d+s$/);
    const r = await ws("ws", "list");
    expect(r.stdout.split("\n")[0]).toMatch(/^NAME\s+PHASE\s+OBJECTS\s+SIZE\s+AGE$/);
    expect((await ws("ws", "list", "-o", "name")).stdout.split("\n")).toEqual(
      expect.arrayContaining(["admin", "team-a"]),
    );
  });

  test("delete waits until the data is gone; the name can be used again, empty", async () => {
    const r = await ws("ws", "delete", "team-a");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Workspace "team-a" deleted.');
    expect((await call(kcp, "GET", "/apis/tenancy.kcp.io/v1alpha1/logicalclusters/team-a")).status).toBe(404);
    expect((await ws("ws", "delete", "team-a")).code).toBe(1);
    expect((await ws("ws", "create", "team-a")).code).toBe(0);
    // The kubeconfig still points at team-a: kubectl finds it empty.
    const cms = await mine(["get", "configmaps", "-o", "name"]);
    expect(cms).toMatchObject({ code: 0, stdout: "" });
  });
});
