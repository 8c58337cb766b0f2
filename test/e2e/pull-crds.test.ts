// `kcp pull-crds` end to end: the real CLI pulls from a stand-in for a Kubernetes 1.13 cluster (its
// own OpenAPI v2 document and discovery, no /openapi/v3), the CRDs go into a real kcp through
// kubectl, and a real Deployment manifest (named probe ports, quantities, surge percentages) is
// accepted while a wrong one is refused with a 422. Then a second kcp, started with
// --install-workload-crds, is the cluster pulled from: its CRDs come back as they are, and pulling
// everything skips what kcp serves natively.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import {
  api,
  type KcpProcess,
  kubectl,
  type KubectlOptions,
  removeDir,
  startKcp,
  tempDir,
  useKcp,
} from "../helpers/kcp-process.ts";
import { type LegacyKubeServer, startLegacyKube } from "../helpers/legacy-kube-server.ts";

type Obj = Record<string, any>;
const MAIN = join(import.meta.dir, "../../src/main.ts");
const TIMEOUT = 60_000;

let kcp: KcpProcess;
let old: LegacyKubeServer;
let dir: string;

useKcp((k) => (kcp = k));

beforeAll(async () => {
  dir = tempDir("pull-crds-");
  old = await startLegacyKube({ kubeconfigPath: join(dir, "old.kubeconfig") });
});

afterAll(() => {
  old?.stop();
  if (dir) removeDir(dir);
});

async function pullCrds(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn([process.execPath, MAIN, "pull-crds", ...args], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NO_COLOR: "1" },
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, stdout, stderr };
}

async function ok(args: string[], opts: KubectlOptions = {}): Promise<string> {
  const r = await kubectl(kcp, args, opts);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed (${r.code}):\n${r.stderr}`);
  return r.stdout;
}

function deployment(replicas: unknown = 2): Obj {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "default", labels: { app: "web" } },
    spec: {
      replicas,
      selector: { matchLabels: { app: "web" } },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 } },
      template: {
        metadata: { labels: { app: "web" } },
        spec: {
          containers: [
            {
              name: "web",
              image: "nginx:1.25",
              ports: [
                { name: "http", containerPort: 8080 },
                { name: "dns", containerPort: 53, protocol: "UDP" },
                { name: "dns-tcp", containerPort: 53, protocol: "TCP" },
              ],
              resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: 1, memory: "1Gi" } },
              readinessProbe: { httpGet: { path: "/ready", port: "http" }, periodSeconds: 5 },
              livenessProbe: { tcpSocket: { port: 8080 } },
            },
          ],
        },
      },
    },
  };
}

describe("from a Kubernetes 1.13 cluster (OpenAPI v2 only)", () => {
  test(
    "deployments.apps and pods pulled, applied to kcp, and a real Deployment validated against them",
    async () => {
      const pulled = await pullCrds(["--kubeconfig", old.kubeconfig, "deployments.apps", "pods"]);
      expect(pulled.stderr).not.toContain("ERROR");
      expect(pulled.code).toBe(0);
      const docs = parseAllDocuments(pulled.stdout).map((d) => d.toJS() as Obj);
      expect(docs.map((d) => d.metadata.name)).toEqual(["deployments.apps", "pods.core"]);
      expect(old.requests).toContain("GET /openapi/v3");

      await ok(["apply", "-f", "-"], { stdin: pulled.stdout });
      await ok(["wait", "--for=condition=established", "crd/deployments.apps", "crd/pods.core", "--timeout=30s"]);

      const created = await ok(["apply", "-f", "-", "-o", "json"], { stdin: JSON.stringify(deployment()) });
      const d = JSON.parse(created);
      expect(d.spec.template.spec.containers[0].resources.requests).toEqual({ cpu: "100m", memory: "128Mi" });
      expect(d.spec.strategy.rollingUpdate.maxSurge).toBe("25%");
      // The port without a protocol got kube's default.
      expect(d.spec.template.spec.containers[0].ports[0].protocol).toBe("TCP");
      // Scale subresource from discovery.
      await ok(["scale", "deployment/web", "--replicas=4"]);
      const scaled = JSON.parse(await ok(["get", "deployment/web", "-o", "json"]));
      expect(scaled.spec.replicas).toBe(4);
      // A second client-side apply is a strategic merge patch: containers and ports merge by the
      // keys the pulled list types carry, so the change lands and nothing else is lost.
      const changed = deployment();
      changed.spec.template.spec.containers[0].image = "nginx:1.27";
      await ok(["apply", "-f", "-"], { stdin: JSON.stringify(changed) });
      const applied = JSON.parse(await ok(["get", "deployment/web", "-o", "json"]));
      expect(applied.spec.template.spec.containers).toHaveLength(1);
      expect(applied.spec.template.spec.containers[0].image).toBe("nginx:1.27");
      expect(applied.spec.template.spec.containers[0].ports).toHaveLength(3);
      expect(applied.spec.replicas).toBe(2);

      const bad = deployment("ten");
      bad.metadata.name = "bad";
      const res = await api(kcp, "/apis/apps/v1/namespaces/default/deployments", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(bad),
      });
      expect(res.status).toBe(422);
      const status = (await res.json()) as Obj;
      expect(status).toMatchObject({ kind: "Status", code: 422, reason: "Invalid" });
      expect(JSON.stringify(status.details.causes)).toContain("spec.replicas");
      const viaKubectl = await kubectl(kcp, ["create", "-f", "-"], { stdin: JSON.stringify(bad) });
      expect(viaKubectl.code).toBe(1);
      expect(viaKubectl.stderr).toContain("spec.replicas");

      const pod = {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "p", namespace: "default" },
        spec: { containers: [{ name: "c", image: "busybox", resources: { limits: { memory: "64Mi" } } }] },
      };
      await ok(["create", "-f", "-"], { stdin: JSON.stringify(pod) });
      expect(await ok(["get", "pods", "-o", "name"])).toContain("pod/p");
    },
    TIMEOUT,
  );

  test(
    "--output-dir writes one 0644 file per CRD; a resource the cluster lacks exits 1",
    async () => {
      const out = join(dir, "crds");
      const r = await pullCrds([
        "--kubeconfig",
        old.kubeconfig,
        "-o",
        "json",
        "--output-dir",
        out,
        "cronjobs.batch",
        "pods",
      ]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe("");
      expect(readdirSync(out).sort()).toEqual(["cronjobs.batch.json", "pods.core.json"]);
      expect(statSync(join(out, "pods.core.json")).mode & 0o777).toBe(0o644);
      const cj = (await Bun.file(join(out, "cronjobs.batch.json")).json()) as Obj;
      expect(cj.spec.versions[0].name).toBe("v1beta1");

      const missing = await pullCrds(["--kubeconfig", old.kubeconfig, "gizmos.example.com"]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('no resource "gizmos.example.com"');
      expect(missing.stdout).toBe("");
    },
    TIMEOUT,
  );
});

describe("from another kcp", () => {
  let other: KcpProcess;

  beforeAll(async () => {
    other = await startKcp({ args: ["--install-workload-crds"] });
    // --install-workload-crds creates them at start; wait until they serve.
    const r = await kubectl(other, ["wait", "--for=condition=established", "crd/deployments.apps", "--timeout=30s"]);
    if (r.code !== 0) throw new Error(r.stderr);
  }, TIMEOUT);

  afterAll(async () => {
    if (other) {
      await other.stop();
      removeDir(other.rootDir);
    }
  });

  test(
    "deployments.apps comes back as that kcp's CRD",
    async () => {
      const r = await pullCrds(["--kubeconfig", other.kubeconfig, "-o", "json", "deployments.apps"]);
      expect(r.code).toBe(0);
      const list = JSON.parse(r.stdout) as Obj;
      expect(list.kind).toBe("List");
      expect(list.items).toHaveLength(1);
      const pulled = list.items[0];
      const theirs = JSON.parse((await kubectl(other, ["get", "crd", "deployments.apps", "-o", "json"])).stdout) as Obj;
      expect(pulled.metadata.name).toBe("deployments.apps");
      expect(pulled.metadata.annotations).toEqual(theirs.metadata.annotations);
      expect(pulled.metadata.uid).toBeUndefined();
      expect(pulled.metadata.resourceVersion).toBeUndefined();
      expect(pulled.status).toBeUndefined();
      expect(pulled.spec.names).toEqual(theirs.spec.names);
      expect(pulled.spec.versions).toEqual(theirs.spec.versions);
      // Theirs as it is: the scale subresource kept (and no printer columns: kcp prints apps workloads as kube does).
      expect(pulled.spec.versions[0].subresources.scale.specReplicasPath).toBe(".spec.replicas");
    },
    TIMEOUT,
  );

  test(
    "from a logical cluster that inherits admin's CRDs: converted from that kcp's OpenAPI v3",
    async () => {
      // `user` serves admin's CRDs but lists none of its own: the schema comes from /clusters/user/openapi/v3.
      const r = await pullCrds([
        "--kubeconfig",
        other.kubeconfig,
        "--context",
        "user",
        "-o",
        "json",
        "deployments.apps",
      ]);
      expect(r.code).toBe(0);
      const crd = (JSON.parse(r.stdout) as Obj).items[0];
      const v = crd.spec.versions[0];
      expect(v.name).toBe("v1");
      expect(Object.keys(v.subresources).sort()).toEqual(["scale", "status"]);
      expect(v.schema.openAPIV3Schema.properties.spec.properties.replicas.type).toBe("integer");
      const ports =
        v.schema.openAPIV3Schema.properties.spec.properties.template.properties.spec.properties.containers.items
          .properties.ports;
      expect(ports["x-kubernetes-list-map-keys"]).toEqual(["containerPort", "protocol"]);
      expect(crd.spec.names.shortNames).toEqual(["deploy"]);
    },
    TIMEOUT,
  );

  test(
    "everything: kcp's native resources skipped with a message, no subresources, exit 0",
    async () => {
      const r = await pullCrds(["--kubeconfig", other.kubeconfig, "-o", "json"]);
      expect(r.code).toBe(0);
      const names = ((JSON.parse(r.stdout) as Obj).items as Obj[]).map((c) => c.metadata.name as string);
      expect(names).toContain("deployments.apps");
      expect(names).toContain("pods.core");
      expect(names.some((n) => n.includes("/"))).toBe(false);
      expect(names).not.toContain("configmaps.core");
      expect(r.stderr).toContain("skipped configmaps: kcp serves it natively");
      expect(r.stderr).toContain("skipped clusters.cluster.example.dev: kcp serves it natively");
      expect(r.stderr).not.toContain("/status");
    },
    TIMEOUT,
  );
});
