// Kubernetes' workload kinds served by kcp through CRDs, driven by kubectl 1.32 and 1.33, whose typed
// commands (`create deployment|service|job|cronjob`, `create job --from`) send protobuf bodies.
//
// 1. What kubectl sends: a recording server captures the protobuf bodies; each must decode to the
//    JSON the same kubectl prints for the same object (`--dry-run=client -o json`), so that no field
//    is lost or invented (explicit zeros of pointers kept, zero value fields dropped).
// 2. Against kcp with its ready-made CRDs for deployments.apps, pods, services, jobs.batch and
//    cronjobs.batch: the commands succeed (plus `run` and `expose`, which send JSON) and the objects
//    read back as sent, after the CRD path's validation, pruning and defaulting.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { stringify as stringifyYaml } from "yaml";
import { api, type KcpProcess, kubectl, type KubectlOptions, useKcp } from "../helpers/kcp-process.ts";
import { selectWorkloadCRDs } from "../../src/apis/workload-crds/workload-crds.ts";
import { envelope, int, msg, str, time } from "../helpers/protobuf-encoder.ts";
import { decodeProtobufObject } from "../../src/apis/protobuf/decode-object.ts";

let kcp: KcpProcess;
type Obj = Record<string, any>;
const PROTOBUF = "application/vnd.kubernetes.protobuf";
const VERSIONS = ["1.32", "1.33"] as const;

/** kcp's ready-made CRDs (structural schemas from Kubernetes' OpenAPI) for the kinds used here. */
const CRDS = selectWorkloadCRDs(["deployments", "pods", "services", "jobs", "cronjobs"]);

useKcp((k) => (kcp = k));

// Creating the big structural CRDs takes a few seconds, more than a hook's default timeout.
beforeAll(async () => {
  for (const crd of CRDS) {
    const r = await api(kcp, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(crd),
    });
    if (r.status !== 201) throw new Error(`creating ${crd.metadata.name}: ${r.status} ${await r.text()}`);
  }
  const names = CRDS.map((c) => `crd/${c.metadata.name}`);
  const w = await kubectl(kcp, ["wait", "--for=condition=established", ...names, "--timeout=20s"]);
  if (w.code !== 0) throw new Error(`the workload CRDs were not established:\n${w.stderr}`);
}, 60_000);

// ---------------------------------------------------------------------------------------------
// 1. A recording server in place of kube-apiserver: discovery for the workload groups, a rich
//    CronJob for `create job --from`, and a 400 for every write (kubectl then stops).

/** A pod spec using much of the PodSpec tree (1.33 fields included), as a user would write it. */
const RICH_POD_SPEC: Obj = {
  initContainers: [{ name: "init", image: "busybox", command: ["sh", "-c", "true"], restartPolicy: "Always" }],
  containers: [
    {
      name: "app",
      image: "nginx:1.27",
      args: ["-g", "daemon off;"],
      ports: [{ name: "http", containerPort: 80, protocol: "TCP" }, { containerPort: 8443 }],
      env: [
        { name: "PLAIN", value: "v" },
        { name: "EMPTY" },
        { name: "POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
        { name: "MEM", valueFrom: { resourceFieldRef: { resource: "limits.memory" } } },
        { name: "SEC", valueFrom: { secretKeyRef: { name: "s", key: "k", optional: false } } },
      ],
      envFrom: [{ prefix: "P_", configMapRef: { name: "cm" } }, { secretRef: { name: "s", optional: true } }],
      resources: { limits: { cpu: "500m", memory: "128Mi" }, requests: { cpu: "0" }, claims: [{ name: "gpu" }] },
      resizePolicy: [{ resourceName: "cpu", restartPolicy: "NotRequired" }],
      volumeMounts: [
        { name: "data", mountPath: "/data", readOnly: true, recursiveReadOnly: "Disabled" },
        { name: "cfg", mountPath: "/cfg", subPath: "a", mountPropagation: "None" },
      ],
      livenessProbe: {
        httpGet: { path: "/healthz", port: 8080, httpHeaders: [{ name: "X", value: "y" }] },
        initialDelaySeconds: 3,
        terminationGracePeriodSeconds: 0,
      },
      readinessProbe: { tcpSocket: { port: "http" }, timeoutSeconds: 2 },
      startupProbe: { grpc: { port: 9000 } },
      lifecycle: {
        postStart: { sleep: { seconds: 1 } },
        preStop: { exec: { command: ["stop"] } },
        stopSignal: "SIGTERM",
      },
      imagePullPolicy: "IfNotPresent",
      securityContext: {
        capabilities: { add: ["NET_ADMIN"], drop: ["ALL"] },
        privileged: false,
        runAsUser: 0,
        allowPrivilegeEscalation: false,
        seccompProfile: { type: "RuntimeDefault" },
        appArmorProfile: { type: "Localhost", localhostProfile: "p" },
      },
    },
  ],
  volumes: [
    { name: "data", emptyDir: { medium: "Memory", sizeLimit: "1Gi" } },
    { name: "cfg", configMap: { name: "cm", items: [{ key: "a", path: "a", mode: 420 }], defaultMode: 420 } },
    { name: "host", hostPath: { path: "/var/log", type: "" } },
    {
      name: "dapi",
      downwardAPI: {
        items: [{ path: "cpu", resourceFieldRef: { containerName: "app", resource: "limits.cpu", divisor: "1m" } }],
      },
    },
    {
      name: "proj",
      projected: {
        sources: [
          { serviceAccountToken: { path: "token", expirationSeconds: 3600 } },
          { clusterTrustBundle: { signerName: "x/y", path: "ca.pem", labelSelector: {} } },
        ],
      },
    },
    { name: "csi", csi: { driver: "d.example.com", readOnly: true, volumeAttributes: { k: "v" } } },
    {
      name: "eph",
      ephemeral: {
        volumeClaimTemplate: {
          spec: {
            accessModes: ["ReadWriteOnce"],
            resources: { requests: { storage: "1Gi" } },
            dataSource: { kind: "PersistentVolumeClaim", name: "src" },
          },
        },
      },
    },
    { name: "img", image: { reference: "quay.io/x:1" } },
    { name: "scale", scaleIO: { gateway: "g", system: "s" } },
  ],
  restartPolicy: "Never",
  activeDeadlineSeconds: 600,
  nodeSelector: { disk: "ssd" },
  automountServiceAccountToken: false,
  securityContext: {
    runAsUser: 1000,
    supplementalGroups: [1, 2],
    supplementalGroupsPolicy: "Strict",
    sysctls: [{ name: "net.ipv4.ip_forward", value: "1" }],
    seLinuxChangePolicy: "Recursive",
  },
  hostAliases: [{ hostnames: ["no-ip"] }],
  affinity: {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/os", operator: "In", values: ["linux"] }] }],
      },
    },
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        { weight: 100, podAffinityTerm: { namespaceSelector: {}, topologyKey: "kubernetes.io/hostname" } },
      ],
    },
  },
  tolerations: [
    { key: "k", operator: "Equal", value: "v", effect: "NoExecute", tolerationSeconds: 0 },
    { operator: "Exists" },
  ],
  priority: 0,
  dnsConfig: { nameservers: ["1.1.1.1"], options: [{ name: "ndots", value: "2" }, { name: "edns0" }] },
  readinessGates: [{ conditionType: "example.com/ready" }],
  topologySpreadConstraints: [
    { maxSkew: 1, topologyKey: "zone", whenUnsatisfiable: "DoNotSchedule", minDomains: 2, matchLabelKeys: ["v"] },
  ],
  os: { name: "linux" },
  schedulingGates: [{ name: "gate" }],
  resourceClaims: [{ name: "gpu", resourceClaimTemplateName: "gpu-template" }],
  resources: { limits: { cpu: "1" } },
};

const RICH_CRONJOB: Obj = {
  kind: "CronJob",
  apiVersion: "batch/v1",
  metadata: { name: "rich", namespace: "default", uid: "6d1f1c4e-0000-4000-8000-000000000001" },
  spec: {
    schedule: "0 * * * *",
    jobTemplate: {
      metadata: { labels: { tier: "batch" } },
      spec: {
        parallelism: 0,
        completions: 4,
        backoffLimit: 0,
        backoffLimitPerIndex: 1,
        podFailurePolicy: {
          rules: [
            { action: "FailJob", onExitCodes: { operator: "In", values: [1, 42] } },
            { action: "Ignore", onPodConditions: [{ type: "DisruptionTarget", status: "True" }] },
          ],
        },
        successPolicy: { rules: [{ succeededIndexes: "0-2" }] },
        ttlSecondsAfterFinished: 0,
        completionMode: "Indexed",
        suspend: false,
        template: { metadata: { labels: { app: "job" } }, spec: RICH_POD_SPEC },
      },
    },
  },
};

const WEB_DEPLOYMENT: Obj = {
  kind: "Deployment",
  apiVersion: "apps/v1",
  metadata: { name: "web", namespace: "default", labels: { app: "web" } },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: "web" } },
    template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "nginx", image: "nginx" }] } },
  },
};

interface Recorded {
  path: string;
  contentType: string;
  body: Uint8Array;
}

let recorder: ReturnType<typeof Bun.serve>;
const recorded: Recorded[] = [];

function discovery(path: string): Obj | undefined {
  const res = (name: string, kind: string) => ({
    name,
    singularName: "",
    namespaced: true,
    kind,
    verbs: ["create", "get"],
  });
  const group = (name: string) => ({
    name,
    versions: [{ groupVersion: `${name}/v1`, version: "v1" }],
    preferredVersion: { groupVersion: `${name}/v1`, version: "v1" },
  });
  const lists: Record<string, Obj> = {
    "/api": { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [] },
    "/apis": {
      kind: "APIGroupList",
      apiVersion: "v1",
      groups: [
        ...["apps", "batch", "policy", "networking.k8s.io", "scheduling.k8s.io"].map(group),
        {
          name: "autoscaling",
          versions: [
            { groupVersion: "autoscaling/v2", version: "v2" },
            { groupVersion: "autoscaling/v1", version: "v1" },
          ],
          preferredVersion: { groupVersion: "autoscaling/v2", version: "v2" },
        },
      ],
    },
    "/api/v1": {
      kind: "APIResourceList",
      groupVersion: "v1",
      resources: [res("pods", "Pod"), res("services", "Service")],
    },
    "/apis/apps/v1": {
      kind: "APIResourceList",
      groupVersion: "apps/v1",
      resources: [
        res("deployments", "Deployment"),
        { ...res("deployments/scale", "Scale"), group: "autoscaling", version: "v1", verbs: ["get", "update"] },
      ],
    },
    "/apis/autoscaling/v2": {
      kind: "APIResourceList",
      groupVersion: "autoscaling/v2",
      resources: [res("horizontalpodautoscalers", "HorizontalPodAutoscaler")],
    },
    "/apis/autoscaling/v1": {
      kind: "APIResourceList",
      groupVersion: "autoscaling/v1",
      resources: [res("horizontalpodautoscalers", "HorizontalPodAutoscaler")],
    },
    "/apis/policy/v1": {
      kind: "APIResourceList",
      groupVersion: "policy/v1",
      resources: [res("poddisruptionbudgets", "PodDisruptionBudget")],
    },
    "/apis/networking.k8s.io/v1": {
      kind: "APIResourceList",
      groupVersion: "networking.k8s.io/v1",
      resources: [res("ingresses", "Ingress")],
    },
    "/apis/scheduling.k8s.io/v1": {
      kind: "APIResourceList",
      groupVersion: "scheduling.k8s.io/v1",
      resources: [{ ...res("priorityclasses", "PriorityClass"), namespaced: false }],
    },
    "/apis/batch/v1": {
      kind: "APIResourceList",
      groupVersion: "batch/v1",
      resources: [res("jobs", "Job"), res("cronjobs", "CronJob")],
    },
  };
  return Object.hasOwn(lists, path) ? lists[path] : undefined;
}

beforeAll(() => {
  recorder = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const url = new URL(req.url);
      const json = (o: unknown, status = 200) =>
        new Response(JSON.stringify(o), { status, headers: { "content-type": "application/json" } });
      const found = discovery(url.pathname);
      if (req.method === "GET" && found) return json(found);
      if (req.method === "GET" && url.pathname === "/apis/batch/v1/namespaces/default/cronjobs/rich")
        return json(RICH_CRONJOB);
      if (req.method === "GET" && url.pathname === "/apis/apps/v1/namespaces/default/deployments/web")
        return json(WEB_DEPLOYMENT);
      if (req.method === "POST") {
        recorded.push({
          path: url.pathname,
          contentType: req.headers.get("content-type") ?? "",
          body: new Uint8Array(await req.arrayBuffer()),
        });
        // An HPA is answered as created: after an error kubectl 1.33 retries autoscaling/v1.
        const [, group, version] = url.pathname.split("/").slice(1);
        if (url.pathname.endsWith("/horizontalpodautoscalers"))
          return json(
            { kind: "HorizontalPodAutoscaler", apiVersion: `${group}/${version}`, metadata: { name: "web" } },
            201,
          );
        return json(
          { kind: "Status", apiVersion: "v1", status: "Failure", reason: "BadRequest", code: 400, message: "recorded" },
          400,
        );
      }
      return json(
        { kind: "Status", apiVersion: "v1", status: "Failure", reason: "NotFound", code: 404, message: "no" },
        404,
      );
    },
  });
});

afterAll(() => recorder?.stop(true));

async function recorderKubeconfig(): Promise<string> {
  const path = join(kcp.rootDir, "recorder.kubeconfig");
  await Bun.write(
    path,
    stringifyYaml({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "rec", cluster: { server: `http://127.0.0.1:${recorder.port}` } }],
      users: [{ name: "rec", user: {} }],
      contexts: [{ name: "rec", context: { cluster: "rec", user: "rec", namespace: "default" } }],
      "current-context": "rec",
    }),
  );
  return path;
}

const COMMANDS: { name: string; args: string[]; kind: string }[] = [
  {
    name: "create deployment --replicas=3",
    args: ["create", "deployment", "web", "--image=nginx", "--replicas=3"],
    kind: "Deployment",
  },
  {
    name: "create deployment --replicas=0 with two images and a port",
    args: ["create", "deployment", "zero", "--image=nginx", "--image=busybox", "--replicas=0", "--port=8080"],
    kind: "Deployment",
  },
  {
    name: "create service clusterip",
    args: ["create", "service", "clusterip", "svc", "--tcp=80:8080", "--tcp=9090"],
    kind: "Service",
  },
  {
    name: "create job",
    args: ["create", "job", "j", "--image=busybox", "--", "echo", "hi"],
    kind: "Job",
  },
  {
    name: "create cronjob",
    args: ["create", "cronjob", "c", "--image=busybox", "--schedule=*/5 * * * *", "--restart=OnFailure", "--", "date"],
    kind: "CronJob",
  },
  {
    name: "create job --from a CronJob using much of the PodSpec",
    args: ["create", "job", "from-rich", "--from=cronjob/rich"],
    kind: "Job",
  },
  {
    name: "create poddisruptionbudget",
    args: ["create", "poddisruptionbudget", "pdb", "--selector=app=web", "--min-available=50%"],
    kind: "PodDisruptionBudget",
  },
  {
    name: "create ingress with rules, TLS and a default backend",
    args: [
      "create",
      "ingress",
      "ing",
      "--class=nginx",
      "--rule=foo.com/bar*=svc1:8080,tls=my-cert",
      "--rule=/path=svc2:http",
      "--default-backend=defsvc:80",
      "--annotation=a=b",
    ],
    kind: "Ingress",
  },
  {
    name: "autoscale a Deployment (through its scale subresource)",
    args: ["autoscale", "deployment", "web", "--min=2", "--max=5", "--cpu-percent=80"],
    kind: "HorizontalPodAutoscaler",
  },
  {
    name: "create priorityclass",
    args: ["create", "priorityclass", "high", "--value=0", "--description=top", "--preemption-policy=Never"],
    kind: "PriorityClass",
  },
];

for (const version of VERSIONS) {
  describe(`what kubectl ${version} sends`, () => {
    for (const c of COMMANDS) {
      test(`${c.name}: the protobuf body decodes to the JSON kubectl prints for it`, async () => {
        const opts: KubectlOptions = { version, kubeconfig: await recorderKubeconfig() };
        recorded.length = 0;
        const sent = await kubectl(kcp, c.args, opts);
        expect(sent.stdout + sent.stderr).toMatch(/recorded|autoscaled/);
        expect(recorded).toHaveLength(1);
        const { path, contentType, body } = recorded[0] as Recorded;
        expect(contentType).toBe(PROTOBUF);
        // The group version the command chose (kubectl 1.33 autoscales with v2, 1.32 with v1).
        const parts = path.split("/");
        const gv = parts[1] === "api" ? { group: "", version: parts[2] } : { group: parts[2], version: parts[3] };
        if (c.kind === "HorizontalPodAutoscaler") expect(gv.version).toBe(version === "1.33" ? "v2" : "v1");

        // The same command printing the object instead of sending it (its flags before any `--`).
        const dash = c.args.indexOf("--") < 0 ? c.args.length : c.args.indexOf("--");
        const dryRun = [...c.args.slice(0, dash), "--dry-run=client", "-o", "json", ...c.args.slice(dash)];
        const printed = await kubectl(kcp, dryRun, opts);
        expect(printed.code).toBe(0);
        expect(decodeProtobufObject(body, { ...gv, kind: c.kind })).toEqual(JSON.parse(printed.stdout));
      });
    }
  });
}

// ---------------------------------------------------------------------------------------------
// 2. Against kcp with the ready-made workload CRDs.

async function getJSON(args: string[], opts: KubectlOptions): Promise<Obj> {
  const r = await kubectl(kcp, ["get", ...args, "-o", "json"], opts);
  if (r.code !== 0) throw new Error(`kubectl get ${args.join(" ")} exited ${r.code}\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

for (const version of VERSIONS) {
  const ns = `wl-${version.replace(".", "-")}`;
  const opts: KubectlOptions = { version };
  const run = async (args: string[]) => {
    const r = await kubectl(kcp, ["-n", ns, ...args], opts);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} exited ${r.code}\n${r.stderr}`);
    return r;
  };

  describe(`kubectl ${version} against kcp with workload CRDs`, () => {
    beforeAll(async () => {
      const r = await kubectl(kcp, ["create", "namespace", ns], opts);
      expect(r.code).toBe(0);
    });

    test("create deployment sends protobuf and the Deployment reads back as sent", async () => {
      const r = await run(["create", "deployment", "web", "--image=nginx", "--replicas=3", "-v=8"]);
      expect(r.stderr).toContain(`Content-Type: ${PROTOBUF}`);
      expect(r.stdout).toContain("deployment.apps/web created");
      const d = await getJSON(["-n", ns, "deployment", "web"], opts);
      expect(d.metadata.labels).toEqual({ app: "web" });
      expect(d.spec).toEqual({
        replicas: 3,
        selector: { matchLabels: { app: "web" } },
        template: {
          metadata: { labels: { app: "web" }, creationTimestamp: null },
          spec: { containers: [{ name: "nginx", image: "nginx", resources: {} }] },
        },
        strategy: {},
      });
    });

    test("replicas: 0 survives the trip (a pointer field in Go)", async () => {
      await run(["create", "deployment", "zero", "--image=nginx", "--replicas=0"]);
      const d = await getJSON(["-n", ns, "deployment", "zero"], opts);
      expect(d.spec.replicas).toBe(0);
      const container = d.spec.template.spec.containers[0];
      for (const junk of ["stdin", "tty", "workingDir", "imagePullPolicy", "terminationMessagePath"])
        expect(Object.hasOwn(container, junk)).toBe(false);
    });

    test("run (a JSON body) creates a Pod through the pods CRD", async () => {
      await run(["run", "nginx", "--image=nginx", "--port=80", "--labels=app=nginx", "--env=A=B"]);
      const p = await getJSON(["-n", ns, "pod", "nginx"], opts);
      expect(p.apiVersion).toBe("v1");
      // protocol: the CRD defaults the list-map key, as kube-apiserver defaults it
      expect(p.spec.containers).toEqual([
        {
          name: "nginx",
          image: "nginx",
          ports: [{ containerPort: 80, protocol: "TCP" }],
          env: [{ name: "A", value: "B" }],
          resources: {},
        },
      ]);
    });

    test("expose reads the Deployment back and creates a Service through the services CRD", async () => {
      await run(["expose", "deployment", "web", "--port=80", "--target-port=8080"]);
      const s = await getJSON(["-n", ns, "service", "web"], opts);
      expect(s.spec.selector).toEqual({ app: "web" });
      expect(s.spec.ports).toEqual([{ protocol: "TCP", port: 80, targetPort: 8080 }]);
    });

    test("create service sends protobuf; ports, selector and type read back", async () => {
      const r = await run(["create", "service", "clusterip", "svc", "--tcp=80:8080", "-v=8"]);
      expect(r.stderr).toContain(`Content-Type: ${PROTOBUF}`);
      const s = await getJSON(["-n", ns, "service", "svc"], opts);
      expect(s.spec).toEqual({
        ports: [{ name: "80-8080", protocol: "TCP", port: 80, targetPort: 8080 }],
        selector: { app: "svc" },
        type: "ClusterIP",
      });
      // The CRD has a status subresource: a create's status is dropped, as kube drops it.
      expect(s.status).toBeUndefined();
    });

    test("create job and create cronjob send protobuf; create job --from reads the CronJob back", async () => {
      const j = await run(["create", "job", "once", "--image=busybox", "-v=8", "--", "echo", "hi"]);
      expect(j.stderr).toContain(`Content-Type: ${PROTOBUF}`);
      const job = await getJSON(["-n", ns, "job", "once"], opts);
      expect(job.spec.template.spec).toEqual({
        containers: [{ name: "once", image: "busybox", command: ["echo", "hi"], resources: {} }],
        restartPolicy: "Never",
      });

      await run(["create", "cronjob", "tick", "--image=busybox", "--schedule=*/5 * * * *", "--", "date"]);
      const cj = await getJSON(["-n", ns, "cronjob", "tick"], opts);
      expect(cj.spec.schedule).toBe("*/5 * * * *");
      expect(cj.spec.jobTemplate.metadata.name).toBe("tick");
      expect(cj.spec.jobTemplate.spec.template.spec.restartPolicy).toBe("OnFailure");

      await run(["create", "job", "tick-now", "--from=cronjob/tick"]);
      const fromCron = await getJSON(["-n", ns, "job", "tick-now"], opts);
      expect(fromCron.metadata.annotations).toEqual({ "cronjob.kubernetes.io/instantiate": "manual" });
      expect(fromCron.metadata.ownerReferences?.[0]).toMatchObject({ kind: "CronJob", name: "tick", controller: true });
      expect(fromCron.spec.template.spec.containers[0].command).toEqual(["date"]);
    });
  });
}

describe("a client-go controller's protobuf status update", () => {
  test("PUT /status with a protobuf Deployment sets status through the CRD's status subresource", async () => {
    const ns = "wl-status";
    expect((await kubectl(kcp, ["create", "namespace", ns])).code).toBe(0);
    expect((await kubectl(kcp, ["-n", ns, "create", "deployment", "web", "--image=nginx", "--replicas=3"])).code).toBe(
      0,
    );
    // Labelled for a cluster, the Deployment is no root of the deployment splitter, which would
    // otherwise own its status (as kube's deployment controller does).
    expect((await kubectl(kcp, ["-n", ns, "label", "deployment", "web", "kcp.dev/cluster=elsewhere"])).code).toBe(0);
    const before = await getJSON(["-n", ns, "deployment", "web"], {});
    const path = `/apis/apps/v1/namespaces/${ns}/deployments/web/status`;
    const raw = [
      ...msg(1, str(1, "web"), str(3, ns), str(6, before.metadata.resourceVersion)),
      ...msg(2, int(1, 3)),
      ...msg(
        3,
        int(1, before.metadata.generation),
        int(2, 3),
        int(3, 3),
        int(7, 3),
        int(4, 3),
        int(5, 0),
        msg(
          6,
          str(1, "Available"),
          str(2, "True"),
          time(6, 1_700_000_000),
          time(7, 1_700_000_000),
          str(4, "MinimumReplicasAvailable"),
          str(5, "Deployment has minimum availability."),
        ),
      ),
    ];
    const r = await api(kcp, path, {
      method: "PUT",
      headers: { "Content-Type": PROTOBUF, Accept: `${PROTOBUF}, application/json` },
      body: envelope("apps/v1", "Deployment", raw),
    });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toContain("application/json");
    const after = await getJSON(["-n", ns, "deployment", "web"], {});
    expect(after.status).toEqual({
      observedGeneration: before.metadata.generation,
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      conditions: [
        {
          type: "Available",
          status: "True",
          lastUpdateTime: "2023-11-14T22:13:20Z",
          lastTransitionTime: "2023-11-14T22:13:20Z",
          reason: "MinimumReplicasAvailable",
          message: "Deployment has minimum availability.",
        },
      ],
    });
    expect(after.spec).toEqual(before.spec);
  });
});

describe("kinds without a ready-made CRD", () => {
  test("a CRD of one's own for poddisruptionbudgets.policy takes kubectl's protobuf PodDisruptionBudget", async () => {
    const open = { type: "object", "x-kubernetes-preserve-unknown-fields": true };
    const crd = {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: "poddisruptionbudgets.policy" },
      spec: {
        group: "policy",
        scope: "Namespaced",
        names: {
          plural: "poddisruptionbudgets",
          singular: "poddisruptionbudget",
          kind: "PodDisruptionBudget",
          shortNames: ["pdb"],
        },
        versions: [
          {
            name: "v1",
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: "object", properties: { spec: open, status: open } } },
          },
        ],
      },
    };
    const r = await api(kcp, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(crd),
    });
    expect(r.status).toBe(201);
    const w = await kubectl(kcp, ["wait", "--for=condition=established", "crd/poddisruptionbudgets.policy"]);
    expect(w.code).toBe(0);

    const created = await kubectl(
      kcp,
      ["create", "poddisruptionbudget", "web", "--selector=app=web", "--max-unavailable=0", "-v=8"],
      { version: "1.33" },
    );
    expect(created.code).toBe(0);
    expect(created.stderr).toContain(`Content-Type: ${PROTOBUF}`);
    const pdb = await getJSON(["poddisruptionbudget", "web"], { version: "1.33" });
    expect(pdb.spec).toEqual({ selector: { matchLabels: { app: "web" } }, maxUnavailable: 0 });
    expect(pdb.status).toEqual({ disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 });
  });
});
