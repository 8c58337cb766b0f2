// The `default` ServiceAccount with kubectl, as on a kube cluster: there right after `kcp start`
// (so `kubectl create token default` works at once), in a namespace soon after `kubectl create ns`,
// back after `kubectl delete sa default`, and in every namespace of a logical cluster first used
// later.
import { describe, expect, test } from "bun:test";
import { type KcpProcess, kubeconfigWithPath, kubectl, useKcp } from "../helpers/kcp-process.ts";

let kcp: KcpProcess;
// The first test must be the first thing to talk to the server after it is up.
useKcp((k) => (kcp = k));

type Obj = Record<string, any>;

async function ok(args: string[], kubeconfig?: string): Promise<string> {
  const r = await kubectl(kcp, args, { kubeconfig });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return r.stdout;
}

/** Runs kubectl until it succeeds, for at most `ms`; returns its output. */
async function soon(args: string[], ms: number, kubeconfig?: string): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const r = await kubectl(kcp, args, { kubeconfig });
    if (r.code === 0) return r.stdout;
    if (Date.now() > deadline) throw new Error(`kubectl ${args.join(" ")} still failing: ${r.stderr}`);
    await Bun.sleep(50);
  }
}

describe("the default service account", () => {
  test("`kubectl -n default create token default` works right after start", async () => {
    const token = (await ok(["-n", "default", "create", "token", "default"])).trim();
    expect(token.split(".")).toHaveLength(3);
    const who = JSON.parse(await ok(["--token", token, "auth", "whoami", "-o", "json"])).status.userInfo;
    expect(who.username).toBe("system:serviceaccount:default:default");
    const names = (
      await ok(["get", "sa", "-A", "-o", "jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name} {end}"])
    )
      .trim()
      .split(" ");
    expect(names).toEqual(["default/default", "kube-node-lease/default", "kube-public/default", "kube-system/default"]);
  });

  test("a new namespace has it within a couple of seconds; deleted, it comes back", async () => {
    expect(await ok(["create", "ns", "sa-x"])).toBe("namespace/sa-x created\n");
    const first = JSON.parse(await soon(["-n", "sa-x", "get", "sa", "default", "-o", "json"], 2000)) as Obj;
    expect(first).toMatchObject({
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: "default", namespace: "sa-x" },
    });
    const table = await ok(["-n", "sa-x", "get", "sa"]);
    expect(table.split("\n")[1]).toMatch(/^default\s+0\s+\S+$/);

    expect(await ok(["-n", "sa-x", "delete", "sa", "default"])).toBe('serviceaccount "default" deleted\n');
    const second = JSON.parse(await soon(["-n", "sa-x", "get", "sa", "default", "-o", "json"], 2000)) as Obj;
    expect(second.metadata.uid).not.toBe(first.metadata.uid);
  });

  test("every namespace of a logical cluster used for the first time gets one", async () => {
    const kubeconfig = await kubeconfigWithPath(kcp, "/clusters/sa-team");
    await ok(["get", "ns"], kubeconfig);
    // The four namespaces are created one after the other; their service accounts follow.
    const deadline = Date.now() + 2000;
    let all = "";
    while ((all = await ok(["get", "sa", "-A", "-o", "name"], kubeconfig)).split("\n").length < 5) {
      if (Date.now() > deadline) break;
      await Bun.sleep(50);
    }
    expect(all).toBe("serviceaccount/default\n".repeat(4));
    const token = (await ok(["-n", "kube-public", "create", "token", "default"], kubeconfig)).trim();
    expect(token.split(".")).toHaveLength(3);
  });
});
