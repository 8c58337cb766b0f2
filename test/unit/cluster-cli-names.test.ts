// `kcp cluster add|remove NAME`: the name is a DNS label, checked before kcp is asked anything, so
// a name like `../../api/v1/namespaces/default/secrets/x` can never reach another resource's path.
import { expect, test } from "bun:test";
import { join } from "node:path";

const MAIN = join(import.meta.dir, "../../src/main.ts");

async function kcp(...args: string[]): Promise<{ code: number; stderr: string }> {
  const proc = Bun.spawn([process.execPath, MAIN, ...args], {
    stdout: "pipe",
    stderr: "pipe",
    // No kcp to reach: a request would fail with "cannot load the kcp kubeconfig".
    env: { ...process.env, NO_COLOR: "1", KUBECONFIG: "/nonexistent/kubeconfig", HOME: "/nonexistent" },
  });
  const stderr = await new Response(proc.stderr).text();
  return { code: await proc.exited, stderr };
}

test("remove refuses a name that is not a DNS label, before it loads the kubeconfig", async () => {
  for (const name of ["../../api/v1/namespaces/default/secrets/x", "East", "a/b", "x?dryRun=All"]) {
    const r = await kcp("cluster", "remove", name);
    expect({ name, code: r.code }).toEqual({ name, code: 1 });
    expect(r.stderr).toContain("is not a valid cluster name");
    expect(r.stderr).not.toContain("kubeconfig");
  }
});

test("add refuses it too", async () => {
  const r = await kcp("cluster", "add", "../x", "--cluster-kubeconfig", "/nonexistent/c");
  expect(r.code).toBe(1);
  expect(r.stderr).toContain("is not a valid cluster name");
});
