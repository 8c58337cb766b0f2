// What pull mode installs in a physical cluster, built in one place for the cluster controller (which
// applies it) and `kcp cluster add --mode pull --print-manifests` (which prints it):
//   - a namespace of its own per (logical cluster, Cluster): two logical clusters attaching the same
//     physical cluster, or two Clusters of one, never share or remove each other's objects (the seed
//     put every syncer in `syncer-system` and deleted that namespace, everyone's syncers with it);
//   - a ServiceAccount, and RBAC limited to what the syncer does downstream: create/get namespaces,
//     get/list/watch/create/update/delete the synced resources (it never patches there, and their
//     status flows up, never down: no patch, no <resource>/status);
//   - a Secret (not a ConfigMap: it holds a credential) with the kcp kubeconfig, whose token belongs
//     to a service account of the logical cluster (never the admin token);
//   - a Deployment running `kcp sync` from the image given, the kubeconfig mounted from the Secret.
// The ClusterRole and ClusterRoleBinding are cluster-scoped, so they carry the same unique name.

import { createHash } from "node:crypto";

export interface GroupResource {
  group: string;
  resource: string;
}

/** "deployments.apps" → apps/deployments; "configmaps" (or "configmaps.core") → the core group. */
export function parseGroupResource(gr: string): GroupResource {
  const dot = gr.indexOf(".");
  if (dot < 0) return { group: "", resource: gr };
  const group = gr.slice(dot + 1);
  return { resource: gr.slice(0, dot), group: group === "core" ? "" : group };
}

/** Label on everything pull mode installs: the Cluster's name. */
export const SYNCER_FOR_LABEL = "kcp.dev/syncer-for";
/** Label on everything pull mode installs: the hash that makes its names unique per logical cluster. */
export const SYNCER_ID_LABEL = "kcp.dev/syncer-id";
/** Annotation naming the logical cluster (its names need not be valid label values). */
export const LOGICAL_CLUSTER_ANNOTATION = "kcp.dev/logical-cluster";
const KUBECONFIG_HASH_ANNOTATION = "kcp.dev/kubeconfig-hash";

export const SYNCER_SERVICE_ACCOUNT = "kcp-syncer";
export const SYNCER_SECRET = "kcp-kubeconfig";
export const SYNCER_DEPLOYMENT = "kcp-syncer";
const KUBECONFIG_MOUNT = "/kcp";

/** A short stable id of (logical cluster, Cluster name). */
export function syncerId(logicalCluster: string, clusterName: string): string {
  return createHash("sha256").update(`${logicalCluster}/${clusterName}`).digest("hex").slice(0, 10);
}

/**
 * The name of the namespace, ClusterRole and ClusterRoleBinding of one Cluster's syncer:
 * `kcp-syncer-<name>-<id>`, the name part shortened so the whole is a DNS label (63).
 */
export function syncerInstallName(logicalCluster: string, clusterName: string): string {
  const id = syncerId(logicalCluster, clusterName);
  const room = 63 - "kcp-syncer-".length - 1 - id.length;
  const name = clusterName.slice(0, room).replace(/-+$/, "");
  return `kcp-syncer-${name}-${id}`;
}

export interface PullManifestsInput {
  logicalCluster: string;
  clusterName: string;
  /** GR strings to sync. */
  resources: string[];
  /** The image whose entrypoint is `kcp` (its first argument is the subcommand). */
  image: string;
  /** The kcp kubeconfig the syncer uses (YAML), with a service account token of the logical cluster. */
  kcpKubeconfig: string;
  /**
   * How often the syncer renews its heartbeat; absent: `kcp sync`'s default (5 s). The controller
   * passes a third of its heartbeat timeout (at most 5 s), so a short timeout does not turn a
   * healthy syncer NotReady between renewals.
   */
  heartbeatIntervalMs?: number;
}

type Manifest = Record<string, unknown> & { apiVersion: string; kind: string; metadata: Record<string, unknown> };

/** The objects, in the order to create them (and the reverse to remove them). */
export function pullManifests(input: PullManifestsInput): Manifest[] {
  const { logicalCluster, clusterName, resources, image, kcpKubeconfig, heartbeatIntervalMs } = input;
  const name = syncerInstallName(logicalCluster, clusterName);
  const id = syncerId(logicalCluster, clusterName);
  const labels = { [SYNCER_FOR_LABEL]: clusterName, [SYNCER_ID_LABEL]: id };
  const annotations = { [LOGICAL_CLUSTER_ANNOTATION]: logicalCluster };
  const meta = (extra: Record<string, unknown> = {}) => ({ labels, annotations, ...extra });

  const byGroup = new Map<string, string[]>();
  for (const gr of resources) {
    const { group, resource } = parseGroupResource(gr);
    byGroup.set(group, [...(byGroup.get(group) ?? []), resource]);
  }
  const rules: Record<string, unknown>[] = [{ apiGroups: [""], resources: ["namespaces"], verbs: ["create", "get"] }];
  for (const [group, rs] of [...byGroup].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const sorted = [...rs].sort();
    rules.push({
      apiGroups: [group],
      resources: sorted,
      verbs: ["create", "delete", "get", "list", "update", "watch"],
    });
  }
  const kubeconfigHash = createHash("sha256").update(kcpKubeconfig).digest("hex").slice(0, 16);
  const podLabels = { app: SYNCER_DEPLOYMENT, ...labels };
  return [
    { apiVersion: "v1", kind: "Namespace", metadata: meta({ name }) },
    { apiVersion: "v1", kind: "ServiceAccount", metadata: meta({ name: SYNCER_SERVICE_ACCOUNT, namespace: name }) },
    { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: meta({ name }), rules },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: meta({ name }),
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
      subjects: [{ kind: "ServiceAccount", name: SYNCER_SERVICE_ACCOUNT, namespace: name }],
    },
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: meta({ name: SYNCER_SECRET, namespace: name }),
      type: "Opaque",
      data: { kubeconfig: Buffer.from(kcpKubeconfig).toString("base64") },
    },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: meta({ name: SYNCER_DEPLOYMENT, namespace: name }),
      spec: {
        replicas: 1,
        // Never two syncers for one Cluster, even during a rollout.
        strategy: { type: "Recreate" },
        selector: { matchLabels: podLabels },
        template: {
          metadata: {
            labels: podLabels,
            // A new kubeconfig (a new token) rolls the pod.
            annotations: { [KUBECONFIG_HASH_ANNOTATION]: kubeconfigHash },
          },
          spec: {
            serviceAccountName: SYNCER_SERVICE_ACCOUNT,
            containers: [
              {
                name: "syncer",
                image,
                args: [
                  "sync",
                  "--from-kubeconfig",
                  `${KUBECONFIG_MOUNT}/kubeconfig`,
                  "--cluster",
                  clusterName,
                  ...(heartbeatIntervalMs !== undefined ? ["--heartbeat-interval", `${heartbeatIntervalMs}ms`] : []),
                  ...[...resources].sort(),
                ],
                volumeMounts: [{ name: "kcp-kubeconfig", mountPath: KUBECONFIG_MOUNT, readOnly: true }],
                terminationMessagePolicy: "FallbackToLogsOnError",
                // Nothing more than a network client needs; requests so it is scheduled sensibly
                // (no limits: the number of synced objects decides the memory it needs).
                securityContext: {
                  allowPrivilegeEscalation: false,
                  capabilities: { drop: ["ALL"] },
                  seccompProfile: { type: "RuntimeDefault" },
                },
                resources: { requests: { cpu: "50m", memory: "64Mi" } },
              },
            ],
            volumes: [{ name: "kcp-kubeconfig", secret: { secretName: SYNCER_SECRET } }],
          },
        },
      },
    },
  ];
}
