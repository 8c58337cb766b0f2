// Protobuf bodies of Kubernetes' workload kinds (served by kcp through CRDs): messages written the
// way gogo-protobuf writes them — every value field, zero or not; pointers only when set — must
// decode to the JSON a JSON client sends for the same Go object: zero value fields dropped,
// explicit zeros of pointer fields (replicas: 0) kept, embedded structs inlined.
import { describe, expect, test } from "bun:test";
import { builtinResources } from "../../src/apis/builtin/index.ts";
import { CUSTOM_RESOURCE_CAPABILITIES } from "../../src/apis/capabilities.ts";
import type { ResourceDef } from "../../src/apis/types.ts";
import { AllowAllAuthorizer } from "../../src/auth/allow-all-authorizer.ts";
import { StaticTokenAuthenticator } from "../../src/auth/token-authenticator.ts";
import { StatusError } from "../../src/machinery/status.ts";
import { decodeProtobufObject } from "../../src/apis/protobuf/decode-object.ts";
import { readObjectBody } from "../../src/server/rest/body.ts";
import {
  bool,
  type Bytes,
  entry,
  envelope,
  int,
  intOrString,
  kubectlMeta,
  len,
  msg,
  packed,
  quantity,
  quantityMap,
  str,
  stringMap,
  time,
} from "../helpers/protobuf-encoder.ts";

const APPS = { group: "apps", version: "v1" };
const CORE = { group: "", version: "v1" };

function decode(apiVersion: string, kind: string, raw: Bytes, gv: { group: string; version: string }) {
  return decodeProtobufObject(envelope(apiVersion, kind, raw), { ...gv, kind });
}

/** ObjectMeta of a pod template: no name, labels only (gogo still writes the empty strings). */
const templateMeta = (labels: Record<string, string>) =>
  msg(1, str(1, ""), str(2, ""), str(3, ""), str(5, ""), str(6, ""), int(7, 0), len(8, []), ...stringMap(11, labels));

/** A Container as gogo writes it: its value fields always, then what the test adds. */
function container(name: string, image: string, ...extra: Bytes[]): Bytes {
  return [
    ...str(1, name),
    ...str(2, image),
    ...str(5, ""),
    ...msg(8),
    ...str(13, ""),
    ...str(14, ""),
    ...bool(16, false),
    ...bool(17, false),
    ...bool(18, false),
    ...str(20, ""),
    ...extra.flat(),
  ];
}

/** A PodSpec as gogo writes it: the value fields (strings, bools) always, then the given ones. */
function podSpec(...fields: Bytes[]): Bytes {
  return [
    ...str(3, ""),
    ...str(6, ""),
    ...str(8, ""),
    ...str(9, ""),
    ...str(10, ""),
    ...bool(11, false),
    ...bool(12, false),
    ...bool(13, false),
    ...str(16, ""),
    ...str(17, ""),
    ...str(19, ""),
    ...str(24, ""),
    ...fields.flat(),
  ];
}

/** A probe: handler (inlined in JSON) plus the value thresholds gogo always writes. */
const probe = (no: number, handler: Bytes, thresholds: [number, number, number, number, number]) =>
  msg(
    no,
    len(1, handler),
    int(2, thresholds[0]),
    int(3, thresholds[1]),
    int(4, thresholds[2]),
    int(5, thresholds[3]),
    int(6, thresholds[4]),
  );

describe("apps/v1", () => {
  test("a full Deployment: probes, resources, env, volumes, affinity, tolerations, spread; explicit zeros kept", () => {
    const web = container(
      "web",
      "nginx:1.27",
      // ports: one named with hostPort 0 and protocol TCP
      msg(6, str(1, "http"), int(2, 0), int(3, 8080), str(4, "TCP"), str(5, "")),
      // env: a plain value, an empty one, a downward-API one with the default divisor
      msg(7, str(1, "MODE"), str(2, "prod")),
      msg(7, str(1, "EMPTY"), str(2, "")),
      msg(7, str(1, "CPU"), str(2, ""), msg(3, msg(2, str(1, ""), str(2, "limits.cpu"), msg(3)))),
      // envFrom a ConfigMap (LocalObjectReference inlined)
      msg(19, str(1, ""), msg(2, msg(1, str(1, "settings")))),
      // resources replace the empty resources written above (a later singular message merges)
      msg(8, ...quantityMap(1, { cpu: "500m", memory: "256Mi" }), ...quantityMap(2, { cpu: "0" })),
      msg(9, str(1, "config"), bool(2, true), str(3, "/etc/web"), str(4, ""), str(6, "")),
      probe(10, msg(2, str(1, "/healthz"), intOrString(2, 8080), str(3, ""), str(4, "HTTP")), [5, 1, 10, 1, 3]),
      probe(11, msg(3, intOrString(1, "http"), str(2, "")), [0, 0, 0, 0, 0]),
      msg(12, msg(2, msg(4, int(1, 5)))),
      msg(15, bool(2, false), int(4, 0), bool(5, true), msg(11, str(1, "RuntimeDefault"))),
    );
    const spec = podSpec(
      msg(
        1,
        str(1, "config"),
        msg(2, msg(19, msg(1, str(1, "web-config")), msg(2, str(1, "a"), str(2, "a.conf")), int(3, 420))),
      ),
      msg(1, str(1, "scratch"), msg(2, msg(2, str(1, ""), quantity(2, "1Gi")))),
      msg(2, ...web),
      int(4, 0),
      msg(
        18,
        msg(
          3,
          msg(
            2,
            int(1, 100),
            msg(2, msg(1, msg(2, str(1, "app"), str(2, "In"), str(3, "web"))), str(3, "kubernetes.io/hostname")),
          ),
        ),
      ),
      msg(22, str(1, "dedicated"), str(2, "Equal"), str(3, "web"), str(4, "NoSchedule")),
      msg(
        33,
        int(1, 1),
        str(2, "topology.kubernetes.io/zone"),
        str(3, "ScheduleAnyway"),
        msg(4, ...stringMap(1, { app: "web" })),
      ),
    );
    const raw = [
      ...kubectlMeta("web", [stringMap(11, { app: "web" })]),
      ...msg(
        2,
        int(1, 0),
        msg(2, ...stringMap(1, { app: "web" })),
        msg(3, ...templateMeta({ app: "web" }), ...msg(2, ...spec)),
        msg(4, str(1, "RollingUpdate"), msg(2, intOrString(1, "25%"), intOrString(2, 1))),
        int(5, 0),
        int(6, 0),
        bool(7, false),
        int(9, 600),
      ),
      ...msg(3, int(1, 0), int(2, 0), int(3, 0), int(4, 0), int(5, 0), int(7, 0)),
    ];
    expect(decode("apps/v1", "Deployment", raw, APPS)).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", creationTimestamp: null, labels: { app: "web" } },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: "web" } },
        template: {
          metadata: { creationTimestamp: null, labels: { app: "web" } },
          spec: {
            volumes: [
              {
                name: "config",
                configMap: { name: "web-config", items: [{ key: "a", path: "a.conf" }], defaultMode: 420 },
              },
              { name: "scratch", emptyDir: { sizeLimit: "1Gi" } },
            ],
            containers: [
              {
                name: "web",
                image: "nginx:1.27",
                ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }],
                envFrom: [{ configMapRef: { name: "settings" } }],
                env: [
                  { name: "MODE", value: "prod" },
                  { name: "EMPTY" },
                  { name: "CPU", valueFrom: { resourceFieldRef: { resource: "limits.cpu", divisor: "0" } } },
                ],
                resources: { limits: { cpu: "500m", memory: "256Mi" }, requests: { cpu: "0" } },
                volumeMounts: [{ name: "config", readOnly: true, mountPath: "/etc/web" }],
                livenessProbe: {
                  httpGet: { path: "/healthz", port: 8080, scheme: "HTTP" },
                  initialDelaySeconds: 5,
                  timeoutSeconds: 1,
                  periodSeconds: 10,
                  successThreshold: 1,
                  failureThreshold: 3,
                },
                readinessProbe: { tcpSocket: { port: "http" } },
                lifecycle: { preStop: { sleep: { seconds: 5 } } },
                securityContext: {
                  privileged: false,
                  runAsUser: 0,
                  runAsNonRoot: true,
                  seccompProfile: { type: "RuntimeDefault" },
                },
              },
            ],
            terminationGracePeriodSeconds: 0,
            affinity: {
              podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [
                  {
                    weight: 100,
                    podAffinityTerm: {
                      labelSelector: { matchExpressions: [{ key: "app", operator: "In", values: ["web"] }] },
                      topologyKey: "kubernetes.io/hostname",
                    },
                  },
                ],
              },
            },
            tolerations: [{ key: "dedicated", operator: "Equal", value: "web", effect: "NoSchedule" }],
            topologySpreadConstraints: [
              {
                maxSkew: 1,
                topologyKey: "topology.kubernetes.io/zone",
                whenUnsatisfiable: "ScheduleAnyway",
                labelSelector: { matchLabels: { app: "web" } },
              },
            ],
          },
        },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "25%", maxSurge: 1 } },
        revisionHistoryLimit: 0,
        progressDeadlineSeconds: 600,
      },
      status: {},
    });
  });

  test("a Deployment without replicas or selector: replicas absent, selector null (a pointer without omitempty)", () => {
    const raw = [
      ...kubectlMeta("d"),
      ...msg(2, msg(3, ...templateMeta({}), ...msg(2, ...podSpec())), msg(4), int(5, 0)),
    ];
    const obj = decode("apps/v1", "Deployment", raw, APPS);
    expect(obj.spec).toEqual({
      selector: null,
      template: { metadata: { creationTimestamp: null }, spec: { containers: null } },
      strategy: {},
    });
    expect(Object.hasOwn(obj.spec as object, "replicas")).toBe(false);
    expect(obj.status).toEqual({});
  });

  test("a StatefulSet: claim templates, partition 0 and ordinals.start 0 kept, status counts always written", () => {
    const claim = [
      ...kubectlMeta("data"),
      ...msg(2, str(1, "ReadWriteOnce"), msg(2, ...quantityMap(2, { storage: "10Gi" })), str(3, ""), str(5, "fast")),
      ...msg(3, str(1, "")),
    ];
    const raw = [
      ...kubectlMeta("db"),
      ...msg(
        2,
        int(1, 3),
        msg(2, ...stringMap(1, { app: "db" })),
        msg(3, ...templateMeta({ app: "db" }), ...msg(2, ...podSpec(msg(2, ...container("db", "postgres:17"))))),
        msg(4, ...claim),
        str(5, "db"),
        str(6, "Parallel"),
        msg(7, str(1, "RollingUpdate"), msg(2, int(1, 0), intOrString(2, 1))),
        int(9, 0),
        msg(10, str(1, "Delete"), str(2, "Retain")),
        msg(11, int(1, 0)),
      ),
      ...msg(3, int(1, 0), int(2, 0), int(3, 0), int(4, 0), int(5, 0), str(6, ""), str(7, ""), int(11, 0)),
    ];
    const obj = decode("apps/v1", "StatefulSet", raw, APPS);
    expect(obj.spec).toMatchObject({
      replicas: 3,
      volumeClaimTemplates: [
        {
          metadata: { name: "data", creationTimestamp: null },
          spec: {
            accessModes: ["ReadWriteOnce"],
            resources: { requests: { storage: "10Gi" } },
            storageClassName: "fast",
          },
          status: {},
        },
      ],
      serviceName: "db",
      podManagementPolicy: "Parallel",
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 0, maxUnavailable: 1 } },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: "Delete", whenScaled: "Retain" },
      ordinals: { start: 0 },
    });
    expect(Object.hasOwn(obj.spec as object, "minReadySeconds")).toBe(false);
    expect(obj.status).toEqual({ replicas: 0, availableReplicas: 0 });
  });

  test("a DaemonSet and a ReplicaSet: their status counters without omitempty are written as 0", () => {
    const ds = decode(
      "apps/v1",
      "DaemonSet",
      [
        ...kubectlMeta("agent"),
        ...msg(2, msg(1, ...stringMap(1, { app: "agent" })), msg(3, str(1, "OnDelete")), int(4, 0)),
        ...msg(3, int(1, 0), int(2, 0), int(3, 0), int(4, 0), int(5, 0), int(6, 0), int(7, 0), int(8, 0)),
      ],
      APPS,
    );
    expect(ds.spec).toEqual({
      selector: { matchLabels: { app: "agent" } },
      template: { metadata: { creationTimestamp: null }, spec: { containers: null } },
      updateStrategy: { type: "OnDelete" },
    });
    expect(ds.status).toEqual({
      currentNumberScheduled: 0,
      numberMisscheduled: 0,
      desiredNumberScheduled: 0,
      numberReady: 0,
    });
    const rs = decode(
      "apps/v1",
      "ReplicaSet",
      [...kubectlMeta("rs"), ...msg(2, int(1, 2), int(4, 0)), ...msg(3, int(1, 2), int(2, 0), int(3, 4))],
      APPS,
    );
    expect(rs.spec).toEqual({
      replicas: 2,
      selector: null,
      template: { metadata: { creationTimestamp: null }, spec: { containers: null } },
    });
    expect(rs.status).toEqual({ replicas: 2, observedGeneration: 4 });
  });
});

describe("core/v1", () => {
  test("a Pod with status: container statuses keep ready/restartCount/image, conditions keep null times", () => {
    const raw = [
      ...kubectlMeta("p", [str(3, "default")]),
      ...msg(
        2,
        ...podSpec(
          msg(2, ...container("app", "busybox", str(3, "sleep"), str(4, "3600"))),
          str(16, "h1"),
          msg(14, int(2, 1000), packed(4, [1, 2]), int(5, 0)),
          msg(26, str(1, "1.1.1.1"), msg(3, str(1, "ndots"), str(2, "2"))),
          msg(28, str(1, "example.com/ready")),
          msg(34, msg(1, ...container("debug", "busybox")), str(2, "app")),
          msg(39, str(1, "gpu"), str(4, "gpu-template")),
        ),
      ),
      ...msg(
        3,
        str(1, "Running"),
        msg(2, str(1, "Ready"), str(2, "True"), len(3, []), time(4, 1_700_000_000), str(5, ""), str(6, "")),
        str(3, ""),
        str(4, ""),
        str(5, "10.0.0.1"),
        str(6, "10.1.0.5"),
        msg(12, str(1, "10.1.0.5")),
        time(7, 1_700_000_000),
        msg(
          8,
          str(1, "app"),
          msg(2, msg(2, time(1, 1_700_000_001))),
          msg(3),
          bool(4, false),
          int(5, 0),
          str(6, "busybox"),
          str(7, ""),
          str(8, ""),
          msg(12, str(1, "data"), str(2, "/data"), bool(3, false)),
          msg(13, msg(1, int(1, 1000), int(2, 0), packed(3, [5]))),
        ),
        str(9, "BestEffort"),
        str(11, ""),
      ),
    ];
    expect(decode("v1", "Pod", raw, CORE)).toEqual({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p", namespace: "default", creationTimestamp: null },
      spec: {
        containers: [{ name: "app", image: "busybox", command: ["sleep"], args: ["3600"], resources: {} }],
        ephemeralContainers: [{ name: "debug", image: "busybox", resources: {}, targetContainerName: "app" }],
        securityContext: { runAsUser: 1000, supplementalGroups: [1, 2], fsGroup: 0 },
        hostname: "h1",
        dnsConfig: { nameservers: ["1.1.1.1"], options: [{ name: "ndots", value: "2" }] },
        readinessGates: [{ conditionType: "example.com/ready" }],
        resourceClaims: [{ name: "gpu", resourceClaimTemplateName: "gpu-template" }],
      },
      status: {
        phase: "Running",
        conditions: [
          { type: "Ready", status: "True", lastProbeTime: null, lastTransitionTime: "2023-11-14T22:13:20Z" },
        ],
        hostIP: "10.0.0.1",
        podIP: "10.1.0.5",
        podIPs: [{ ip: "10.1.0.5" }],
        startTime: "2023-11-14T22:13:20Z",
        containerStatuses: [
          {
            name: "app",
            state: { running: { startedAt: "2023-11-14T22:13:21Z" } },
            lastState: {},
            ready: false,
            restartCount: 0,
            image: "busybox",
            imageID: "",
            volumeMounts: [{ name: "data", mountPath: "/data" }],
            user: { linux: { uid: 1000, gid: 0, supplementalGroups: [5] } },
          },
        ],
        qosClass: "BestEffort",
      },
    });
  });

  test("volume sources: each is a pointer, written only when set; required strings of a source always", () => {
    const vol = (name: string, source: Bytes) => msg(1, str(1, name), msg(2, ...source));
    const raw = [
      ...kubectlMeta("v"),
      ...msg(
        2,
        ...podSpec(
          vol("host", msg(1, str(1, "/var/log"))),
          vol("pvc", msg(10, str(1, "claim"), bool(2, false))),
          vol("nfs", msg(7, str(1, "server"), str(2, "/export"), bool(3, false))),
          vol("git", msg(5, str(1, ""), str(2, ""), str(3, ""))),
          vol("proj", msg(26, msg(1, msg(4, str(1, ""), int(2, 3600), str(3, "token"))))),
          vol("eph", msg(29, msg(1, len(1, []), msg(2, msg(7, str(2, "PersistentVolumeClaim"), str(3, "src")))))),
          vol("img", msg(30, str(1, "quay.io/x:1"), str(2, ""))),
          vol("implied-empty", []),
        ),
      ),
    ];
    const obj = decode("v1", "Pod", raw, CORE) as { spec: { volumes: unknown } };
    expect(obj.spec.volumes).toEqual([
      { name: "host", hostPath: { path: "/var/log" } },
      { name: "pvc", persistentVolumeClaim: { claimName: "claim" } },
      { name: "nfs", nfs: { server: "server", path: "/export" } },
      { name: "git", gitRepo: { repository: "" } },
      { name: "proj", projected: { sources: [{ serviceAccountToken: { expirationSeconds: 3600, path: "token" } }] } },
      {
        name: "eph",
        ephemeral: {
          volumeClaimTemplate: {
            metadata: { creationTimestamp: null },
            spec: { resources: {}, dataSource: { apiGroup: null, kind: "PersistentVolumeClaim", name: "src" } },
          },
        },
      },
      { name: "img", image: { reference: "quay.io/x:1" } },
      { name: "implied-empty" },
    ]);
  });

  test("a Service: targetPort written even at 0, load-balancer status and metav1 conditions", () => {
    const raw = [
      ...kubectlMeta("web", [stringMap(11, { app: "web" })]),
      ...msg(
        2,
        msg(1, str(1, ""), str(2, "TCP"), int(3, 80), intOrString(4, 8080), int(5, 0)),
        msg(1, str(1, "metrics"), str(2, "TCP"), str(6, "http"), int(3, 9090), intOrString(4, 0), int(5, 0)),
        ...stringMap(2, { app: "web" }),
        str(3, ""),
        str(4, "LoadBalancer"),
        str(7, ""),
        str(8, ""),
        str(10, ""),
        str(11, ""),
        int(12, 0),
        bool(13, false),
        str(17, "SingleStack"),
        bool(20, false),
        str(23, "PreferClose"),
      ),
      ...msg(
        3,
        msg(1, msg(1, str(1, "203.0.113.7"), str(2, ""), msg(4, int(1, 80), str(2, "TCP")))),
        msg(2, str(1, "Ready"), str(2, "True"), int(3, 0), time(4, 1_700_000_000), str(5, ""), str(6, "")),
      ),
    ];
    expect(decode("v1", "Service", raw, CORE)).toEqual({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web", creationTimestamp: null, labels: { app: "web" } },
      spec: {
        ports: [
          { protocol: "TCP", port: 80, targetPort: 8080 },
          { name: "metrics", protocol: "TCP", appProtocol: "http", port: 9090, targetPort: 0 },
        ],
        selector: { app: "web" },
        type: "LoadBalancer",
        ipFamilyPolicy: "SingleStack",
        allocateLoadBalancerNodePorts: false,
        trafficDistribution: "PreferClose",
      },
      status: {
        loadBalancer: { ingress: [{ ip: "203.0.113.7", ports: [{ port: 80, protocol: "TCP" }] }] },
        conditions: [
          { type: "Ready", status: "True", lastTransitionTime: "2023-11-14T22:13:20Z", reason: "", message: "" },
        ],
      },
    });
  });

  test("map keys from the request become own properties, never the object's prototype", () => {
    const raw = [...kubectlMeta("p", [entry(11, "__proto__", str(2, "x"))]), ...msg(2, ...podSpec())];
    const meta = (decode("v1", "Pod", raw, CORE) as { metadata: { labels: Record<string, unknown> } }).metadata;
    expect(Object.getPrototypeOf(meta.labels)).toBe(Object.prototype);
    expect(Object.hasOwn(meta.labels, "__proto__")).toBe(true);
    expect(Object.getOwnPropertyDescriptor(meta.labels, "__proto__")?.value).toBe("x");
  });
});

describe("batch/v1", () => {
  test("a Job: pointer counts kept at 0, failure-policy rules, template", () => {
    const raw = [
      ...kubectlMeta("j"),
      ...msg(
        2,
        int(1, 0),
        int(2, 3),
        int(7, 0),
        msg(11, msg(1, str(1, "FailJob"), msg(2, str(2, "In"), packed(3, [42])))),
        msg(6, ...templateMeta({}), ...msg(2, ...podSpec(msg(2, ...container("j", "busybox")), str(3, "Never")))),
        int(8, 0),
        str(9, "NonIndexed"),
        bool(10, false),
      ),
      ...msg(3, int(4, 0), int(5, 0), int(6, 0), str(7, "")),
    ];
    expect(decode("batch/v1", "Job", raw, { group: "batch", version: "v1" })).toEqual({
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: "j", creationTimestamp: null },
      spec: {
        parallelism: 0,
        completions: 3,
        podFailurePolicy: { rules: [{ action: "FailJob", onExitCodes: { operator: "In", values: [42] } }] },
        backoffLimit: 0,
        template: {
          metadata: { creationTimestamp: null },
          spec: { containers: [{ name: "j", image: "busybox", resources: {} }], restartPolicy: "Never" },
        },
        ttlSecondsAfterFinished: 0,
        completionMode: "NonIndexed",
        suspend: false,
      },
      status: {},
    });
  });

  test("a CronJob: schedule always, jobTemplate with its own metadata", () => {
    const raw = [
      ...kubectlMeta("c"),
      ...msg(
        2,
        str(1, "*/5 * * * *"),
        str(3, "Forbid"),
        msg(5, ...kubectlMeta("c"), ...msg(2, msg(6, ...templateMeta({}), ...msg(2, ...podSpec())))),
        int(6, 0),
      ),
      ...msg(3),
    ];
    expect(decode("batch/v1", "CronJob", raw, { group: "batch", version: "v1" })).toEqual({
      apiVersion: "batch/v1",
      kind: "CronJob",
      metadata: { name: "c", creationTimestamp: null },
      spec: {
        schedule: "*/5 * * * *",
        concurrencyPolicy: "Forbid",
        jobTemplate: {
          metadata: { name: "c", creationTimestamp: null },
          spec: { template: { metadata: { creationTimestamp: null }, spec: { containers: null } } },
        },
        successfulJobsHistoryLimit: 0,
      },
      status: {},
    });
  });
});

describe("which custom resources take protobuf", () => {
  const defs = builtinResources({
    authenticator: new StaticTokenAuthenticator([]),
    authorizer: new AllowAllAuthorizer(),
  });
  const base = defs.find((d) => d.plural === "configmaps" && d.group === "") as ResourceDef;
  const crd = (group: string, plural: string, kind: string): ResourceDef => ({
    ...base,
    group,
    version: "v1",
    plural,
    singular: kind.toLowerCase(),
    kind,
    listKind: `${kind}List`,
    subresources: [],
    source: "crd",
    capabilities: CUSTOM_RESOURCE_CAPABILITIES,
  });
  const post = (body: Uint8Array, type = "application/vnd.kubernetes.protobuf") =>
    new Request("https://kcp.test/x", { method: "POST", body, headers: { "Content-Type": type } });

  test("a CRD for deployments.apps decodes a protobuf Deployment into the JSON object", async () => {
    const body = envelope("apps/v1", "Deployment", [...kubectlMeta("web"), ...msg(2, int(1, 0))]);
    expect(await readObjectBody(post(body), crd("apps", "deployments", "Deployment"))).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", creationTimestamp: null },
      spec: {
        replicas: 0,
        selector: null,
        template: { metadata: { creationTimestamp: null }, spec: { containers: null } },
        strategy: {},
      },
      status: {},
    });
  });

  test("a CRD for pods in the core group decodes a protobuf Pod", async () => {
    const body = envelope("v1", "Pod", [...kubectlMeta("p"), ...msg(2, ...podSpec(msg(2, ...container("c", "x"))))]);
    const obj = await readObjectBody(post(body), crd("", "pods", "Pod"));
    expect(obj.spec).toEqual({ containers: [{ name: "c", image: "x", resources: {} }] });
  });

  test("any CR's scale subresource takes a protobuf autoscaling/v1 Scale (client-go's scale client)", async () => {
    const widgets: ResourceDef = {
      ...crd("example.com", "widgets", "Widget"),
      subresources: [
        { name: "scale", kind: "Scale", group: "autoscaling", version: "v1", verbs: ["get", "update", "patch"] },
      ],
    };
    const body = envelope("autoscaling/v1", "Scale", [
      ...kubectlMeta("w"),
      ...msg(2, int(1, 0)),
      ...msg(3, int(1, 2), str(2, "")),
    ]);
    expect(await readObjectBody(post(body), widgets, "scale")).toEqual({
      apiVersion: "autoscaling/v1",
      kind: "Scale",
      metadata: { name: "w", creationTimestamp: null },
      spec: {},
      status: { replicas: 2 },
    });
  });

  test("any other custom resource still answers 415 to protobuf, listing JSON and YAML", async () => {
    const body = envelope("example.com/v1", "Widget", kubectlMeta("w"));
    const e = await readObjectBody(post(body), crd("example.com", "widgets", "Widget")).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(StatusError);
    expect((e as StatusError).code).toBe(415);
    expect((e as StatusError).message).toContain("application/json, application/yaml");
    expect((e as StatusError).message).not.toContain("protobuf");
  });

  test("a protobuf body naming another kind than the CRD's is a 400", async () => {
    const body = envelope("apps/v1", "StatefulSet", kubectlMeta("s"));
    const e = await readObjectBody(post(body), crd("apps", "deployments", "Deployment")).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect((e as StatusError).code).toBe(400);
    expect((e as StatusError).message).toContain("does not match the expected kind (Deployment)");
  });
});
