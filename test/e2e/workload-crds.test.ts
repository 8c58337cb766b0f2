// The ready-made workload CRDs end to end: `kcp crds print | kubectl apply -f -` installs them in a
// real kcp, and the real kubectl of every version 1.27–1.33 then works with Deployments, Pods,
// Services and Jobs as with kube-apiserver: typed `create deployment|job`, `scale` (the scale
// subresource), `run`, `expose`, `get` with printer columns, `apply -f` of a realistic manifest
// twice (create, then a strategic merge patch), `set image`, server-side validation that refuses a
// bad manifest, and `explain`. kubectl 1.32 and 1.33 send protobuf bodies for the typed commands
// (decoded by src/apis/protobuf/, tested in depth by workload-protobuf.test.ts). Last, `kcp start
// --install-workload-crds` installs them itself, once.
import { beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { stringify as stringifyYaml } from "yaml";
import {
  type KcpProcess,
  kubeconfigWithPath,
  kubectl,
  type KubectlOptions,
  removeDir,
  startKcp,
  tempDir,
  useKcp,
} from "../helpers/kcp-process.ts";
import { parseTable } from "../helpers/kubectl-table.ts";

let kcp: KcpProcess;
type Obj = Record<string, any>;
const VERSIONS = ["1.27", "1.28", "1.29", "1.30", "1.31", "1.32", "1.33"] as const;
const MAIN = join(import.meta.dir, "../../src/main.ts");
/** Per test: several kubectl runs, the first of a version cold (discovery, OpenAPI) on a shared machine. */
const TIMEOUT = 30_000;

/** kubectl that must succeed; its stdout. */
async function ok(args: string[], opts: KubectlOptions = {}): Promise<string> {
  const r = await kubectl(kcp, args, opts);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed (${r.code}):\n${r.stderr}`);
  return r.stdout;
}

async function getJson(args: string[], opts: KubectlOptions = {}): Promise<Obj> {
  return JSON.parse(await ok(["get", ...args, "-o", "json"], opts));
}

useKcp((k) => (kcp = k));

// The install path the README gives: the CLI's YAML into kubectl apply (some seconds: 2.4 MB of CRDs).
beforeAll(async () => {
  const print = Bun.spawn([process.execPath, MAIN, "crds", "print"], { stdout: "pipe", stderr: "pipe" });
  const yaml = await new Response(print.stdout).text();
  if ((await print.exited) !== 0) throw new Error("kcp crds print failed");
  await ok(["apply", "-f", "-"], { stdin: yaml, timeoutMs: 60_000 });
  await ok(["wait", "--for=condition=established", "crd", "--all", "--timeout=30s"]);
}, 90_000);

/** A Deployment as people write them: named probe ports, quantities, percentages, env from fields. */
function apiDeployment(image: string, maxSurge = "25%"): Obj {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "api", labels: { app: "api" } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: "api" } },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge, maxUnavailable: 0 } },
      template: {
        metadata: { labels: { app: "api" } },
        spec: {
          containers: [
            {
              name: "api",
              image,
              ports: [
                { name: "http", containerPort: 8080 },
                { name: "metrics", containerPort: 9090, protocol: "TCP" },
              ],
              env: [
                { name: "LOG_LEVEL", value: "info" },
                { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
              ],
              resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: 1, memory: "1Gi" } },
              readinessProbe: { httpGet: { path: "/ready", port: "http" }, periodSeconds: 5 },
              livenessProbe: { tcpSocket: { port: 8080 } },
              volumeMounts: [{ name: "cache", mountPath: "/cache" }],
            },
          ],
          volumes: [{ name: "cache", emptyDir: { sizeLimit: "500Mi" } }],
        },
      },
    },
  };
}

describe("installed with kcp crds print | kubectl apply -f -", () => {
  test(
    "discovery lists the kinds in their groups, the core ones under v1",
    async () => {
      const rows = parseTable(await ok(["api-resources", "--no-headers=false"]));
      const row = (name: string) => rows.find((r) => r.NAME === name);
      expect(row("pods")).toMatchObject({ SHORTNAMES: "po", APIVERSION: "v1", KIND: "Pod" });
      expect(row("services")).toMatchObject({ SHORTNAMES: "svc", APIVERSION: "v1", KIND: "Service" });
      expect(row("deployments")).toMatchObject({ SHORTNAMES: "deploy", APIVERSION: "apps/v1" });
      expect(row("cronjobs")).toMatchObject({ SHORTNAMES: "cj", APIVERSION: "batch/v1" });
      const legacy = JSON.parse(await ok(["get", "--raw", "/api/v1"]));
      expect(legacy.resources.map((r: Obj) => r.name)).toEqual(
        expect.arrayContaining(["pods", "pods/status", "services", "services/status", "configmaps"]),
      );
      const v3 = JSON.parse(await ok(["get", "--raw", "/openapi/v3/api/v1"]));
      expect(Object.keys(v3.components.schemas)).toEqual(expect.arrayContaining(["core.v1.Pod", "core.v1.Service"]));
    },
    TIMEOUT,
  );

  test(
    "kubectl explain reads the schemas (descriptions from Kubernetes' OpenAPI)",
    async () => {
      const spec = await ok(["explain", "deployment.spec"]);
      expect(spec).toContain("DeploymentSpec is the specification of the desired behavior of the");
      expect(spec).toMatch(/replicas\s+<integer>/);
      expect(spec).toMatch(/template\s+<Object> -required-/);
      const ports = await ok(["explain", "pods.spec.containers.ports"]);
      expect(ports).toContain("VERSION:    v1");
      expect(ports).toMatch(/containerPort\s+<integer> -required-/);
    },
    TIMEOUT,
  );

  test(
    "a CRD may not shadow a kind kcp serves natively",
    async () => {
      const crd = {
        apiVersion: "apiextensions.k8s.io/v1",
        kind: "CustomResourceDefinition",
        metadata: { name: "configmaps.core" },
        spec: {
          group: "",
          scope: "Namespaced",
          names: { plural: "configmaps", kind: "ConfigMap" },
          versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object" } } }],
        },
      };
      const r = await kubectl(kcp, ["create", "-f", "-"], { stdin: JSON.stringify(crd) });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        'spec.names.plural: Invalid value: "configmaps": must not shadow the built-in resource "configmaps" (v1 ConfigMap) that kcp serves natively',
      );
    },
    TIMEOUT,
  );

  test(
    "a bad manifest is refused by server-side validation, naming each bad field",
    async () => {
      await ok(["create", "namespace", "invalid"]);
      const bad = apiDeployment("example.com/api:1");
      const c = bad.spec.template.spec.containers[0];
      c.resources.limits.memory = "1Gigs";
      c.ports[0].containerPort = "eighty";
      const r = await kubectl(kcp, ["-n", "invalid", "apply", "-f", "-"], {
        stdin: stringifyYaml(bad),
        version: "1.31",
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('The Deployment "api" is invalid');
      expect(r.stderr).toContain("spec.template.spec.containers[0].ports[0].containerPort: Invalid value");
      expect(r.stderr).toContain("must be of type integer");
      expect(r.stderr).toContain('spec.template.spec.containers[0].resources.limits.memory: Invalid value: "1Gigs"');
      const typo = apiDeployment("example.com/api:1");
      typo.spec.replics = 3;
      const t = await kubectl(kcp, ["-n", "invalid", "apply", "-f", "-"], {
        stdin: stringifyYaml(typo),
        version: "1.31",
      });
      expect(t.code).toBe(1);
      expect(t.stderr).toContain('unknown field "spec.replics"');
      const missing = apiDeployment("example.com/api:1");
      delete missing.spec.template.spec.containers[0].name;
      const m = await kubectl(kcp, ["-n", "invalid", "create", "-f", "-"], { stdin: JSON.stringify(missing) });
      expect(m.code).toBe(1);
      expect(m.stderr).toContain("spec.template.spec.containers[0].name: Required value");
    },
    TIMEOUT,
  );
});

describe("server-side apply", () => {
  test(
    "two managers' containers, env and ports merge by the list-map keys",
    async () => {
      const mine = {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "ssa", namespace: "default" },
        spec: {
          selector: { matchLabels: { app: "ssa" } },
          template: {
            metadata: { labels: { app: "ssa" } },
            spec: {
              containers: [
                { name: "main", image: "nginx", env: [{ name: "A", value: "1" }], ports: [{ containerPort: 80 }] },
              ],
            },
          },
        },
      };
      const theirs = {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "ssa", namespace: "default" },
        spec: {
          template: {
            spec: {
              containers: [
                { name: "main", env: [{ name: "B", value: "2" }], ports: [{ containerPort: 443 }] },
                { name: "sidecar", image: "envoy" },
              ],
            },
          },
        },
      };
      await ok(["apply", "--server-side", "--field-manager=team-a", "-f", "-"], { stdin: JSON.stringify(mine) });
      await ok(["apply", "--server-side", "--field-manager=team-b", "-f", "-"], { stdin: JSON.stringify(theirs) });
      const d = await getJson(["-n", "default", "deploy", "ssa"]);
      expect(d.spec.template.spec.containers).toEqual([
        {
          name: "main",
          image: "nginx",
          env: [
            { name: "A", value: "1" },
            { name: "B", value: "2" },
          ],
          ports: [
            { containerPort: 80, protocol: "TCP" },
            { containerPort: 443, protocol: "TCP" },
          ],
        },
        { name: "sidecar", image: "envoy" },
      ]);
      expect(d.spec.replicas).toBe(1); // the CRD's default, as kube defaults it
    },
    TIMEOUT,
  );
});

for (const version of VERSIONS) {
  describe(`kubectl ${version}`, () => {
    const ns = `k${version.replace(".", "-")}`;
    const opts: KubectlOptions = { version };
    const k = (args: string[]) => ok(["-n", ns, ...args], opts);

    test(
      "create deployment, get, scale, run, expose, create job",
      async () => {
        await ok(["create", "namespace", ns]);
        await k(["create", "deployment", "web", "--image=nginx", "--replicas=3"]);
        const table = parseTable(await k(["get", "deploy"]));
        // kube's own columns (READY ready/desired), which no JSONPath printer column can give.
        expect(table).toEqual([
          expect.objectContaining({ NAME: "web", READY: "0/3", "UP-TO-DATE": "0", AVAILABLE: "0" }),
        ]);
        const wide = parseTable(await k(["get", "deploy", "-o", "wide"]));
        expect(wide).toEqual([expect.objectContaining({ CONTAINERS: "nginx", IMAGES: "nginx", SELECTOR: "app=web" })]);
        expect(await k(["scale", "deployment", "web", "--replicas=5"])).toContain("deployment.apps/web scaled");
        const scale = JSON.parse(await k(["get", "--raw", `/apis/apps/v1/namespaces/${ns}/deployments/web/scale`]));
        expect([scale.kind, scale.spec.replicas]).toEqual(["Scale", 5]);
        await k(["run", "p1", "--image=nginx", "--labels=app=p1"]);
        expect((await getJson(["-n", ns, "pod", "p1"], opts)).spec.containers).toEqual([
          expect.objectContaining({ name: "p1", image: "nginx" }),
        ]);
        await k(["expose", "deployment", "web", "--port=80"]);
        const svc = await getJson(["-n", ns, "svc", "web"], opts);
        expect([svc.apiVersion, svc.spec.selector, svc.spec.ports[0].port, svc.spec.type]).toEqual([
          "v1",
          { app: "web" },
          80,
          "ClusterIP",
        ]);
        await k(["create", "job", "once", "--image=busybox"]);
        const job = await getJson(["-n", ns, "job", "once"], opts);
        expect(job.spec.template.spec.containers[0].image).toBe("busybox");
        const names = (await k(["get", "deploy,svc,po,job", "-o", "name"])).trim().split("\n");
        expect(names.sort()).toEqual(["deployment.apps/web", "job.batch/once", "pod/p1", "service/web"]);
      },
      TIMEOUT,
    );

    test(
      "apply a realistic manifest, apply it changed (strategic merge), set image",
      async () => {
        const first = await kubectl(kcp, ["-n", ns, "apply", "-f", "-"], {
          ...opts,
          stdin: stringifyYaml(apiDeployment("example.com/api:1.0")),
        });
        expect([first.code, first.stdout.trim()]).toEqual([0, "deployment.apps/api created"]);
        const second = await kubectl(kcp, ["-n", ns, "apply", "-f", "-"], {
          ...opts,
          stdin: stringifyYaml(apiDeployment("example.com/api:1.1", "50%")),
        });
        expect([second.code, second.stdout.trim(), second.stderr]).toEqual([0, "deployment.apps/api configured", ""]);
        await k(["set", "image", "deployment/api", "api=example.com/api:2"]);
        const d = await getJson(["-n", ns, "deploy", "api"], opts);
        const c = d.spec.template.spec.containers;
        expect(c.map((x: Obj) => x.image)).toEqual(["example.com/api:2"]);
        expect(c[0].ports).toEqual([
          { name: "http", containerPort: 8080, protocol: "TCP" },
          { name: "metrics", containerPort: 9090, protocol: "TCP" },
        ]);
        expect(c[0].resources).toEqual({
          requests: { cpu: "100m", memory: "128Mi" },
          limits: { cpu: 1, memory: "1Gi" },
        });
        expect(c[0].readinessProbe.httpGet.port).toBe("http");
        expect(d.spec.strategy.rollingUpdate).toEqual({ maxSurge: "50%", maxUnavailable: 0 });
      },
      TIMEOUT,
    );
  });
}

describe("the other kinds: ingresses, poddisruptionbudgets, horizontalpodautoscalers, priorityclasses", () => {
  for (const version of ["1.31", "1.33"]) {
    test(
      `kubectl ${version} creates them with its typed commands`,
      async () => {
        const ns = `other-${version.replace(".", "-")}`;
        const opts: KubectlOptions = { version };
        const k = (args: string[]) => ok(["-n", ns, ...args], opts);
        await ok(["create", "namespace", ns]);
        await k(["create", "deployment", "web", "--image=nginx"]);
        await k(["create", "pdb", "web", "--selector=app=web", "--min-available=50%"]);
        await k(["create", "ingress", "web", "--rule=web.example.com/*=web:80"]);
        await ok(["create", "priorityclass", `high-${ns}`, "--value=1000"], opts);
        expect((await getJson(["-n", ns, "pdb", "web"], opts)).spec).toEqual({
          minAvailable: "50%",
          selector: { matchLabels: { app: "web" } },
        });
        const ing = await getJson(["-n", ns, "ingress", "web"], opts);
        expect(ing.spec.rules[0].http.paths[0].backend.service).toEqual({ name: "web", port: { number: 80 } });
        expect((await getJson(["priorityclass", `high-${ns}`], opts)).value).toBe(1000);
        // kubectl 1.33 creates autoscaling/v2 HPAs; older ones ask for autoscaling/v1, which the CRD does not serve.
        if (version === "1.33") {
          await k(["autoscale", "deployment", "web", "--min=2", "--max=5", "--cpu-percent=80"]);
          const hpa = await getJson(["-n", ns, "hpa", "web"], opts);
          expect([hpa.apiVersion, hpa.spec.minReplicas, hpa.spec.maxReplicas]).toEqual(["autoscaling/v2", 2, 5]);
        }
      },
      TIMEOUT,
    );
  }
});

describe("kcp start --install-workload-crds", () => {
  test("installs them in admin for every logical cluster, once, leaving a changed one alone", async () => {
    const rootDir = tempDir("kcp-workload-crds-");
    const args = ["--install-workload-crds"];
    try {
      const first = await startKcp({ rootDir, args });
      try {
        expect(first.output()).toContain("Installed workload CRDs in admin: deployments.apps, replicasets.apps");
        // Ready means served: no wait for establishment.
        const other = { kubeconfig: await kubeconfigWithPath(first, "/clusters/team-x") };
        const r = await kubectl(first, ["create", "deployment", "web", "--image=nginx"], other);
        expect([r.code, r.stdout.trim()]).toEqual([0, "deployment.apps/web created"]);
        const shortNames = await kubectl(first, [
          "patch",
          "crd",
          "services.core",
          "--type=merge",
          "-p",
          '{"spec":{"names":{"shortNames":["s"]}}}',
        ]);
        expect(shortNames.code).toBe(0);
      } finally {
        await first.stop();
      }
      const second = await startKcp({ rootDir, args });
      try {
        expect(second.output()).not.toContain("Installed workload CRDs");
        const svc = JSON.parse((await kubectl(second, ["get", "crd", "services.core", "-o", "json"])).stdout);
        expect(svc.spec.names.shortNames).toEqual(["s"]);
      } finally {
        await second.stop();
      }
    } finally {
      removeDir(rootDir);
    }
  }, 60_000);
});
