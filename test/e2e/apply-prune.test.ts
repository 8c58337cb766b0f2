// `kubectl apply --prune`: kubectl's default prune list names kinds kcp does not serve (Endpoints,
// Pods, Services, PersistentVolumes, …), so `--prune -l` alone fails after applying. The two ways
// that work, as README documents them: an explicit --prune-allowlist, and ApplySets.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { type KcpProcess, kubectl, removeDir, startKcp } from "../helpers/kcp-process.ts";

setDefaultTimeout(60_000);

let k: KcpProcess;
beforeAll(async () => {
  k = await startKcp();
});
afterAll(async () => {
  await k.stop();
  removeDir(k.rootDir);
});

function configMaps(ns: string, names: string[], label: string): string {
  return names
    .map(
      (n) =>
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${n}\n  namespace: ${ns}\n  labels: {app: ${label}}\ndata: {k: v}\n`,
    )
    .join("---\n");
}

async function names(ns: string): Promise<string[]> {
  const r = await kubectl(k, ["get", "configmaps", "-n", ns, "-o", "name"]);
  expect(r.code).toBe(0);
  return r.stdout.trim().split("\n").filter(Boolean).sort();
}

for (const version of ["1.27", "1.33"]) {
  describe(`kubectl ${version}`, () => {
    const ns = `prune-${version.replace(".", "-")}`;
    beforeAll(async () => {
      expect((await kubectl(k, ["create", "namespace", ns])).code).toBe(0);
      expect((await kubectl(k, ["create", "namespace", `${ns}-set`])).code).toBe(0);
    });

    test("--prune -l with kubectl's default list fails on a kind kcp does not serve", async () => {
      const r = await kubectl(k, ["apply", "--prune", "-l", "app=plain", "-f", "-"], {
        version,
        stdin: configMaps(ns, ["plain"], "plain"),
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("error retrieving RESTMappings to prune");
    });

    test("--prune -l with --prune-allowlist prunes what left the manifest", async () => {
      const apply = (list: string[]) =>
        kubectl(k, ["apply", "--prune", "-l", "app=web", "--prune-allowlist=core/v1/ConfigMap", "-f", "-"], {
          version,
          stdin: configMaps(ns, list, "web"),
        });
      const first = await apply(["a", "b"]);
      expect(first.stderr).toBe("");
      expect(await names(ns)).toContain("configmap/b");
      const second = await apply(["a"]);
      expect(second.code).toBe(0);
      expect(second.stdout).toContain("configmap/b pruned");
      expect((await names(ns)).filter((n) => n !== "configmap/plain" && n !== "configmap/kube-root-ca.crt")).toEqual([
        "configmap/a",
      ]);
    });

    test("ApplySets (KUBECTL_APPLYSET=true, --applyset) prune what left the set", async () => {
      const setNs = `${ns}-set`;
      const apply = (list: string[]) =>
        kubectl(k, ["apply", "--prune", "--applyset=configmaps/web-set", "-n", setNs, "-f", "-"], {
          version,
          stdin: configMaps(setNs, list, "set"),
          env: { KUBECTL_APPLYSET: "true" },
        });
      const first = await apply(["one", "two"]);
      expect(first.stderr).toBe("");
      expect(first.code).toBe(0);
      const second = await apply(["one"]);
      expect(second.code).toBe(0);
      expect(second.stdout).toContain("configmap/two pruned");
      const left = (await names(setNs)).filter((n) => n !== "configmap/kube-root-ca.crt");
      expect(left).toEqual(["configmap/one", "configmap/web-set"]);
    });
  });
}
