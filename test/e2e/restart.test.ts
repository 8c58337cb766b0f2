// Restarting `kcp start` on the same root directory: a clean stop (SIGTERM, exit 0, open watches
// ended), then everything survives: objects, resourceVersions, the CA, the token. A write that was
// acknowledged survives `kill -9` too.
import { afterAll, describe, expect, test } from "bun:test";
import { stringify as stringifyYaml } from "yaml";
import { api, type KcpProcess, kubectl, removeDir, spawnKubectl, startKcp, tempDir } from "../helpers/kcp-process.ts";

type Obj = Record<string, any>;
const JSON_HEADERS = { "Content-Type": "application/json" };

const rootDir = tempDir("kcp-restart-");
let current: KcpProcess | undefined;

afterAll(async () => {
  await current?.stop();
  removeDir(rootDir);
});

/** The certificate-authority-data of the kubeconfig's clusters. */
async function kubeconfigCAs(kcp: KcpProcess): Promise<string[]> {
  const text = await Bun.file(kcp.kubeconfig).text();
  return [...text.matchAll(/certificate-authority-data: (\S+)/g)].map((m) => m[1]);
}

async function getObj(kcp: KcpProcess, path: string): Promise<Obj> {
  const res = await api(kcp, path);
  expect(res.status).toBe(200);
  return (await res.json()) as Obj;
}

describe("restart on the same root directory", () => {
  test("SIGTERM stops cleanly; data, CA and token survive", async () => {
    const first = await startKcp({ rootDir });
    current = first;
    const manifests = [
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "keep" } },
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "settings", namespace: "keep", labels: { a: "b" } },
        data: { k: "v" },
      },
      { apiVersion: "v1", kind: "Secret", metadata: { name: "creds", namespace: "keep" }, stringData: { p: "w" } },
      {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: { name: "leader", namespace: "keep" },
        spec: { holderIdentity: "me" },
      },
    ];
    const created = await kubectl(first, ["create", "--validate=false", "-f", "-"], {
      stdin: manifests.map((m) => stringifyYaml(m)).join("---\n"),
    });
    expect(created.code).toBe(0);
    const userCm = await kubectl(first, ["create", "--validate=false", "-f", "-"], {
      context: "user",
      stdin: stringifyYaml({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "in-user" } }),
    });
    expect(userCm.code).toBe(0);
    const before = {
      cm: await getObj(first, "/api/v1/namespaces/keep/configmaps/settings"),
      secret: await getObj(first, "/api/v1/namespaces/keep/secrets/creds"),
      lease: await getObj(first, "/apis/coordination.k8s.io/v1/namespaces/keep/leases/leader"),
      list: await getObj(first, "/api/v1/configmaps"),
    };
    const ca = await Bun.file(`${rootDir}/data/ca.crt`).text();
    const kubeconfigCA = await kubeconfigCAs(first);
    expect(kubeconfigCA.length).toBeGreaterThan(0);

    // An open watch must not keep the server from stopping.
    const watcher = spawnKubectl(first, ["get", "cm", "-A", "-w", "-o", "name"]);
    await watcher.waitFor((out) => out.includes("configmap/settings"));

    expect(await first.stop("SIGTERM")).toBe(0);
    expect(await watcher.exited).toBe(0);
    expect(first.output()).toContain("kcp stopped");

    const second = await startKcp({ rootDir });
    current = second;
    expect(second.token).toBe(first.token);
    expect(await Bun.file(`${rootDir}/data/ca.crt`).text()).toBe(ca);
    expect(await kubeconfigCAs(second)).toEqual(kubeconfigCA);

    // The same objects, with the same uid and resourceVersion.
    expect(await getObj(second, "/api/v1/namespaces/keep/configmaps/settings")).toEqual(before.cm);
    expect(await getObj(second, "/api/v1/namespaces/keep/secrets/creds")).toEqual(before.secret);
    expect(await getObj(second, "/apis/coordination.k8s.io/v1/namespaces/keep/leases/leader")).toEqual(before.lease);
    const list = await getObj(second, "/api/v1/configmaps");
    expect(list.items).toEqual(before.list.items);
    expect(Number(list.metadata.resourceVersion)).toBeGreaterThanOrEqual(Number(before.list.metadata.resourceVersion));

    // kubectl with the rewritten kubeconfig (new port, same CA and token) works, in both clusters.
    const r = await kubectl(second, ["get", "cm", "settings", "-n", "keep", "-o", "jsonpath={.data.k}"]);
    expect(r.stdout).toBe("v");
    const u = await kubectl(second, ["get", "cm", "-o", "name"], { context: "user" });
    expect(u.stdout).toBe("configmap/in-user\n");

    // Writes after the restart get newer resourceVersions than anything before it.
    const res = await api(second, "/api/v1/namespaces/keep/configmaps", {
      method: "POST",
      body: JSON.stringify({ metadata: { name: "after" } }),
      headers: JSON_HEADERS,
    });
    expect(res.status).toBe(201);
    const after = (await res.json()) as Obj;
    expect(Number(after.metadata.resourceVersion)).toBeGreaterThan(Number(before.list.metadata.resourceVersion));
  });

  test("writes acknowledged right before kill -9 survive", async () => {
    const kcp = current as KcpProcess;
    const names = Array.from({ length: 20 }, (_, i) => `acked-${i}`);
    const acked = await Promise.all(
      names.map(async (name) => {
        const res = await api(kcp, "/api/v1/namespaces/keep/configmaps", {
          method: "POST",
          body: JSON.stringify({ metadata: { name }, data: { n: name } }),
          headers: JSON_HEADERS,
        });
        expect(res.status).toBe(201);
        return (await res.json()) as Obj;
      }),
    );
    const updated = await api(kcp, "/api/v1/namespaces/keep/configmaps/settings", {
      method: "PATCH",
      body: JSON.stringify({ data: { k: "last-write" } }),
      headers: { "Content-Type": "application/merge-patch+json" },
    });
    expect(updated.status).toBe(200);
    const lastRV = ((await updated.json()) as Obj).metadata.resourceVersion;
    await kcp.kill9();

    const again = await startKcp({ rootDir });
    current = again;
    for (const obj of acked) {
      const got = await getObj(again, `/api/v1/namespaces/keep/configmaps/${obj.metadata.name}`);
      expect(got).toEqual(obj);
    }
    const settings = await getObj(again, "/api/v1/namespaces/keep/configmaps/settings");
    expect(settings.data).toEqual({ k: "last-write" });
    expect(settings.metadata.resourceVersion).toBe(lastRV);
    expect(await again.stop()).toBe(0);
    current = undefined;
  });
});
