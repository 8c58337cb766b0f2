// Valid objects the fuzzer starts from, one per kind kcp serves (and the custom resource of the
// fuzzer's own CRD), so that mutations begin at an object the server accepts and reach the code
// past decoding: validation, admission, patch engines, the field manager, storage.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** The fuzzer's CRD, created in every fuzz cluster: status and scale subresources, typed and free fields. */
export const WIDGET_GROUP = "fuzz.example.com";
export function widgetCrd(): JsonObject {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `widgets.${WIDGET_GROUP}` },
    spec: {
      group: WIDGET_GROUP,
      scope: "Namespaced",
      names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList", shortNames: ["wd"] },
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          subresources: {
            status: {},
            scale: {
              specReplicasPath: ".spec.replicas",
              statusReplicasPath: ".status.replicas",
              labelSelectorPath: ".status.selector",
            },
          },
          additionalPrinterColumns: [{ name: "Size", type: "string", jsonPath: ".spec.size" }],
          schema: {
            openAPIV3Schema: {
              type: "object",
              properties: {
                spec: {
                  type: "object",
                  properties: {
                    replicas: { type: "integer", minimum: 0, maximum: 1000 },
                    size: { type: "string", enum: ["s", "m", "l"] },
                    ports: {
                      type: "array",
                      "x-kubernetes-list-type": "map",
                      "x-kubernetes-list-map-keys": ["name"],
                      items: {
                        type: "object",
                        required: ["name"],
                        properties: { name: { type: "string" }, port: { type: "integer" } },
                      },
                    },
                    tags: { type: "array", "x-kubernetes-list-type": "set", items: { type: "string" } },
                    target: { "x-kubernetes-int-or-string": true },
                    free: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
                    limit: { type: "string", maxLength: 20 },
                  },
                  "x-kubernetes-validations": [{ rule: "!has(self.replicas) || self.replicas < 900" }],
                },
                status: {
                  type: "object",
                  properties: { replicas: { type: "integer" }, selector: { type: "string" } },
                },
              },
            },
          },
        },
      ],
    },
  };
}

const PEM_CSR =
  "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0KTUlJQlZqQ0IvUUlCQURBUk1ROHdEUVlEVlFRRERBWmhiR2xqWlRCWk1CTUdCeXFHU000OUFnRUdDQ3FHU000OQpBd0VIQTBJQUJGdz0KLS0tLS1FTkQgQ0VSVElGSUNBVEUgUkVRVUVTVC0tLS0tCg==";

const KUBECONFIG = [
  "apiVersion: v1",
  "kind: Config",
  "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:1', insecure-skip-tls-verify: true}}]",
  "users: [{name: u, user: {token: t}}]",
  "contexts: [{name: c, context: {cluster: c, user: u}}]",
  "current-context: c",
].join("\n");

type Build = (name: string, namespace: string | undefined) => JsonObject;

const meta = (name: string, namespace: string | undefined, extra: JsonObject = {}): JsonObject => ({
  name,
  ...(namespace === undefined ? {} : { namespace }),
  labels: { app: "fuzz", tier: "x" },
  annotations: { "fuzz.example.com/note": "n" },
  ...extra,
});

const rule = { apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list"] };

/** By "group/resource" (core: "/resource"). */
const FIXTURES: Record<string, Build> = {
  "/configmaps": (n, ns) => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: meta(n, ns, { finalizers: ["fuzz.example.com/f"] }),
    data: { a: "1", "b.txt": "two" },
    binaryData: { c: "AAEC" },
  }),
  "/secrets": (n, ns) => ({
    apiVersion: "v1",
    kind: "Secret",
    metadata: meta(n, ns),
    type: "Opaque",
    data: { a: "YQ==" },
    stringData: { b: "bee" },
  }),
  "/serviceaccounts": (n, ns) => ({
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: meta(n, ns),
    secrets: [{ name: "s" }],
    automountServiceAccountToken: false,
  }),
  "/namespaces": (n) => ({ apiVersion: "v1", kind: "Namespace", metadata: meta(n, undefined), spec: {} }),
  "/events": (n, ns) => ({
    apiVersion: "v1",
    kind: "Event",
    metadata: meta(n, ns),
    involvedObject: { kind: "ConfigMap", name: "a", namespace: ns ?? "default", apiVersion: "v1" },
    reason: "Fuzzed",
    message: "m",
    type: "Normal",
    count: 1,
    firstTimestamp: "2026-01-01T00:00:00Z",
    lastTimestamp: "2026-01-01T00:00:00Z",
    source: { component: "fuzz" },
  }),
  "/limitranges": (n, ns) => ({
    apiVersion: "v1",
    kind: "LimitRange",
    metadata: meta(n, ns),
    spec: { limits: [{ type: "Container", max: { cpu: "2", memory: "1Gi" }, default: { cpu: "500m" } }] },
  }),
  "/resourcequotas": (n, ns) => ({
    apiVersion: "v1",
    kind: "ResourceQuota",
    metadata: meta(n, ns),
    spec: { hard: { configmaps: "1000", "count/secrets": "1000" } },
  }),
  "events.k8s.io/events": (n, ns) => ({
    apiVersion: "events.k8s.io/v1",
    kind: "Event",
    metadata: meta(n, ns),
    eventTime: "2026-01-01T00:00:00.000000Z",
    reportingController: "fuzz.example.com/c",
    reportingInstance: "i",
    action: "Fuzz",
    reason: "Fuzzed",
    type: "Normal",
    regarding: { kind: "ConfigMap", name: "a", namespace: ns ?? "default", apiVersion: "v1" },
    note: "n",
  }),
  "coordination.k8s.io/leases": (n, ns) => ({
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: meta(n, ns),
    spec: { holderIdentity: "h", leaseDurationSeconds: 15, renewTime: "2026-01-01T00:00:00.000000Z" },
  }),
  "rbac.authorization.k8s.io/roles": (n, ns) => ({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: meta(n, ns),
    rules: [rule],
  }),
  "rbac.authorization.k8s.io/clusterroles": (n) => ({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: meta(n, undefined),
    rules: [rule, { nonResourceURLs: ["/healthz"], verbs: ["get"] }],
  }),
  "rbac.authorization.k8s.io/rolebindings": (n, ns) => ({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: meta(n, ns),
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
    subjects: [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "alice" }],
  }),
  "rbac.authorization.k8s.io/clusterrolebindings": (n) => ({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: meta(n, undefined),
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
    subjects: [{ kind: "ServiceAccount", name: "fuzz-sa", namespace: "default" }],
  }),
  "certificates.k8s.io/certificatesigningrequests": (n) => ({
    apiVersion: "certificates.k8s.io/v1",
    kind: "CertificateSigningRequest",
    metadata: meta(n, undefined),
    spec: { request: PEM_CSR, signerName: "kubernetes.io/kube-apiserver-client", usages: ["client auth"] },
  }),
  "apiregistration.k8s.io/apiservices": () => ({
    apiVersion: "apiregistration.k8s.io/v1",
    kind: "APIService",
    metadata: { name: "v1.fuzz.example.com" },
    spec: { group: "fuzz.example.com", version: "v1", groupPriorityMinimum: 100, versionPriority: 10 },
  }),
  "apiextensions.k8s.io/customresourcedefinitions": (n) => {
    const crd = widgetCrd();
    const plural = /^[a-z0-9-]+$/.test(n) ? n.replace(/-/g, "") || "things" : "things";
    const spec = crd.spec as JsonObject;
    spec.group = `g${plural.length}.fuzz.example.com`;
    spec.names = { plural, singular: `${plural}one`, kind: "Thing", listKind: "ThingList" };
    (crd.metadata as JsonObject).name = `${plural}.${spec.group}`;
    return crd;
  },
  "authentication.k8s.io/tokenreviews": () => ({
    apiVersion: "authentication.k8s.io/v1",
    kind: "TokenReview",
    spec: { token: "not-a-token", audiences: ["a"] },
  }),
  "authentication.k8s.io/selfsubjectreviews": () => ({
    apiVersion: "authentication.k8s.io/v1",
    kind: "SelfSubjectReview",
  }),
  "authorization.k8s.io/subjectaccessreviews": () => ({
    apiVersion: "authorization.k8s.io/v1",
    kind: "SubjectAccessReview",
    spec: { user: "alice", groups: ["g"], resourceAttributes: { verb: "get", resource: "configmaps", namespace: "d" } },
  }),
  "authorization.k8s.io/localsubjectaccessreviews": (_n, ns) => ({
    apiVersion: "authorization.k8s.io/v1",
    kind: "LocalSubjectAccessReview",
    metadata: { namespace: ns ?? "default" },
    spec: { user: "alice", resourceAttributes: { verb: "list", resource: "secrets", namespace: ns ?? "default" } },
  }),
  "authorization.k8s.io/selfsubjectaccessreviews": () => ({
    apiVersion: "authorization.k8s.io/v1",
    kind: "SelfSubjectAccessReview",
    spec: { nonResourceAttributes: { path: "/healthz", verb: "get" } },
  }),
  "authorization.k8s.io/selfsubjectrulesreviews": (_n, ns) => ({
    apiVersion: "authorization.k8s.io/v1",
    kind: "SelfSubjectRulesReview",
    spec: { namespace: ns ?? "default" },
  }),
  "cluster.example.dev/clusters": (n) => ({
    apiVersion: "cluster.example.dev/v1alpha1",
    kind: "Cluster",
    metadata: meta(n, undefined),
    spec: { kubeconfig: KUBECONFIG, mode: "none" },
  }),
  [`${WIDGET_GROUP}/widgets`]: (n, ns) => ({
    apiVersion: `${WIDGET_GROUP}/v1`,
    kind: "Widget",
    metadata: meta(n, ns),
    spec: {
      replicas: 2,
      size: "m",
      ports: [
        { name: "http", port: 80 },
        { name: "https", port: 443 },
      ],
      tags: ["a", "b"],
      target: "50%",
      free: { any: { thing: [1, "two", { three: 3 }] } },
    },
    status: { replicas: 1, selector: "app=fuzz" },
  }),
};

/** A valid object of the resource (group "" for core), or a plausible one built from its kind. */
export function fixtureFor(
  group: string,
  resource: string,
  version: string,
  kind: string,
  name: string,
  namespace: string | undefined,
): JsonObject {
  const key = `${group}/${resource}`;
  const build = Object.hasOwn(FIXTURES, key) ? FIXTURES[key] : undefined;
  if (build) return build(name, namespace);
  return {
    apiVersion: group ? `${group}/${version}` : version,
    kind,
    metadata: meta(name, namespace),
    spec: { replicas: 1, free: { a: "b" } },
  };
}

/** The body of a subresource: Scale for scale, a TokenRequest for token, else the parent object. */
export function subresourceFixture(
  sub: string,
  parent: JsonObject,
  name: string,
  namespace: string | undefined,
): JsonObject {
  if (sub === "scale")
    return {
      apiVersion: "autoscaling/v1",
      kind: "Scale",
      metadata: { name, ...(namespace === undefined ? {} : { namespace }) },
      spec: { replicas: 3 },
    };
  if (sub === "token")
    return {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenRequest",
      spec: { audiences: ["fuzz"], expirationSeconds: 3600 },
    };
  if (sub === "finalize") return { ...parent, spec: { finalizers: ["kubernetes"] } };
  return parent;
}
