// Requests that once broke the server, replayed exactly on every run: the cases the fuzzer found
// (each fixed in the server) and the hostile requests issue 16 lists. A regression is a few steps
// in the logical cluster `{c}` stands for; every answer must have the expected status and pass the
// fuzz oracle (2xx/4xx, a Status for every 4xx).

export interface Step {
  method: string;
  /** `{c}` is replaced by the regression cluster's name. */
  target: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Send raw bytes over TLS (the target must reach the server as written). */
  raw?: boolean;
  /** Send no Authorization header. */
  anonymous?: boolean;
  expect: number;
  /** More to check in the answer's JSON body; returns what is wrong. */
  check?: (body: any, headers: Record<string, string>) => string | undefined;
}

export interface Regression {
  name: string;
  steps: Step[];
}

const JSON_TYPE = { "Content-Type": "application/json" };
const CM = "/clusters/{c}/api/v1/namespaces/default/configmaps";
const cm = (name: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data: { a: "1" }, ...extra });
const bytes = (...parts: (string | number[])[]) =>
  new Uint8Array(parts.flatMap((p) => (typeof p === "string" ? [...new TextEncoder().encode(p)] : p)));

export const REGRESSIONS: Regression[] = [
  // Found by the fuzzer.
  {
    name: "a body whose kind is an object with toString: null is 400, not 500 (String() threw)",
    steps: [
      {
        method: "POST",
        target: "/clusters/{c}/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        headers: { "Content-Type": "application/yaml" },
        body: "apiVersion: authorization.k8s.io/v1\nkind:\n  toString: null\nspec: {nonResourceAttributes: {path: /x, verb: get}}\n",
        expect: 400,
        check: (b) =>
          b.message?.includes("cannot unmarshal object into Go struct field .kind") ? undefined : b.message,
      },
      {
        method: "POST",
        target: CM,
        headers: JSON_TYPE,
        body: '{"apiVersion":["v1"],"metadata":{"name":"x"}}',
        expect: 400,
      },
      {
        method: "POST",
        target: "/clusters/{c}/api/v1/namespaces/default/serviceaccounts/fuzz-sa/token",
        headers: JSON_TYPE,
        body: '{"apiVersion":"authentication.k8s.io/v1","kind":{"toString":null}}',
        expect: 400,
      },
    ],
  },
  {
    name: "a list limit past int64 is 400, not a storage 'datatype mismatch' 500; int64's largest is no limit",
    steps: [
      { method: "GET", target: "/clusters/{c}/api/v1/secrets?limit=99999999999999999999", expect: 400 },
      { method: "GET", target: "/clusters/{c}/api/v1/secrets?limit=9223372036854775807", expect: 200 },
      { method: "GET", target: `${CM}?limit=9007199254740993`, expect: 200 },
    ],
  },
  {
    name: "a warning that quotes an invalid UTF-8 field name is sent as bytes, not a 500 (header value check)",
    steps: [
      {
        method: "POST",
        target: "/clusters/{c}/apis/coordination.k8s.io/v1/namespaces/default/leases?fieldValidation=Warn",
        headers: JSON_TYPE,
        body: bytes(
          '{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"warned"},"spec":{"',
          [0xc0, 0xaf],
          'x":1,"ünï😀":2}}',
        ),
        expect: 201,
        check: (_b, h) => (h.warning?.includes("unknown field") ? undefined : `no warning: ${JSON.stringify(h)}`),
      },
    ],
  },
  {
    name: "server-side apply of a field the schema does not declare is 400 (kube: 500)",
    steps: [
      {
        method: "PATCH",
        target: `/clusters/{c}/apis/coordination.k8s.io/v1/namespaces/default/leases/applied?fieldManager=fuzz`,
        headers: { "Content-Type": "application/apply-patch+yaml" },
        body: "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {name: applied}\nspec: {holderIdentity: h}\ndup: 1\n",
        expect: 400,
        check: (b) => (b.message?.startsWith("failed to create typed patch object") ? undefined : b.message),
      },
    ],
  },
  {
    name: "strategic merge patch: an unknown $patch directive and a list item without its merge key are 400 (kube: 500)",
    steps: [
      { method: "POST", target: CM, headers: JSON_TYPE, body: cm("smp-errors"), expect: 201 },
      {
        method: "PATCH",
        target: `${CM}/smp-errors`,
        headers: { "Content-Type": "application/strategic-merge-patch+json" },
        body: '{"metadata":{"$patch":"bogus"}}',
        expect: 400,
      },
      {
        method: "PATCH",
        target: `${CM}/smp-errors`,
        headers: { "Content-Type": "application/strategic-merge-patch+json" },
        body: '{"metadata":{"ownerReferences":[{"name":"x","kind":"K","apiVersion":"v1"}]}}',
        expect: 400,
      },
    ],
  },
  {
    name: "metadata strings and string maps of another JSON type are 400, not a 500 in name validation or admission",
    steps: [
      { method: "POST", target: CM, headers: JSON_TYPE, body: '{"metadata":{"name":{"a":1}}}', expect: 400 },
      {
        method: "POST",
        target: "/clusters/{c}/apis/cluster.example.dev/v1alpha1/clusters",
        headers: JSON_TYPE,
        body: '{"metadata":{"name":"x","generateName":[1]},"spec":{"kubeconfig":"x"}}',
        expect: 400,
      },
      {
        method: "POST",
        target: "/clusters/{c}/api/v1/namespaces/default/serviceaccounts",
        headers: JSON_TYPE,
        body: '{"metadata":{"name":"sa","annotations":"-Infinity"}}',
        expect: 400,
      },
      {
        method: "POST",
        target: CM,
        headers: JSON_TYPE,
        body: '{"metadata":{"name":"x","labels":{"a":1}}}',
        expect: 400,
      },
      { method: "POST", target: CM, headers: JSON_TYPE, body: cm("typed-meta"), expect: 201 },
      {
        method: "PATCH",
        target: `${CM}/typed-meta`,
        headers: { "Content-Type": "application/merge-patch+json" },
        body: '{"metadata":{"namespace":5}}',
        expect: 400,
      },
    ],
  },
  {
    name: "DeleteOptions fields of the wrong JSON type are 400, not a 500 (dryRun: All as a string)",
    steps: [
      { method: "POST", target: CM, headers: JSON_TYPE, body: cm("typed-delete"), expect: 201 },
      {
        method: "DELETE",
        target: `${CM}/typed-delete`,
        headers: { "Content-Type": "application/yaml" },
        body: "apiVersion: v1\nkind: DeleteOptions\npropagationPolicy: Background\ndryRun: All\n",
        expect: 400,
      },
      {
        method: "DELETE",
        target: `${CM}/typed-delete`,
        headers: JSON_TYPE,
        body: '{"gracePeriodSeconds":"30","preconditions":{"uid":1}}',
        expect: 400,
      },
      { method: "GET", target: `${CM}/typed-delete`, expect: 200 },
    ],
  },
  {
    name: "a CRD schema field of another JSON type (list-map-keys: false) is 400, not a 500 in schema checks",
    steps: [
      {
        method: "POST",
        target: "/clusters/{c}/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
        headers: JSON_TYPE,
        body: JSON.stringify({
          apiVersion: "apiextensions.k8s.io/v1",
          kind: "CustomResourceDefinition",
          metadata: { name: "things.reg.example.com" },
          spec: {
            group: "reg.example.com",
            scope: "Namespaced",
            names: { plural: "things", kind: "Thing" },
            versions: [
              {
                name: "v1",
                served: true,
                storage: true,
                schema: {
                  openAPIV3Schema: {
                    type: "object",
                    properties: {
                      ports: {
                        type: "array",
                        "x-kubernetes-list-type": "map",
                        "x-kubernetes-list-map-keys": false,
                        items: { type: "object", properties: { name: { type: "string" } } },
                      },
                      n: { type: "integer", maximum: "a" },
                    },
                  },
                },
              },
            ],
          },
        }),
        expect: 400,
      },
    ],
  },
  // Issue 16's list (most are also tested in test/e2e/limits.test.ts and request-paths.test.ts).
  {
    name: "JSON Patch copying an array into itself 30 times is 422 at once",
    steps: [
      {
        method: "POST",
        target: CM,
        headers: JSON_TYPE,
        body: cm("doubling", {
          metadata: { name: "doubling", finalizers: Array.from({ length: 1000 }, (_, i) => `example.com/f${i}`) },
        }),
        expect: 201,
      },
      {
        method: "PATCH",
        target: `${CM}/doubling`,
        headers: { "Content-Type": "application/json-patch+json" },
        body: JSON.stringify(
          Array.from({ length: 30 }, () => ({
            op: "copy",
            from: "/metadata/finalizers",
            path: "/metadata/finalizers/-",
          })),
        ),
        expect: 422,
      },
    ],
  },
  {
    name: "JSON nested 100,000 deep is 400, not a stack overflow 500",
    steps: [
      {
        method: "POST",
        target: CM,
        headers: JSON_TYPE,
        body: `{"metadata":{"name":"deep"},"x":${"[".repeat(100_000)}${"]".repeat(100_000)}}`,
        expect: 400,
      },
    ],
  },
  {
    name: "YAML aliases that expand past the decoded limit are 413",
    steps: [
      {
        method: "POST",
        target: CM,
        headers: { "Content-Type": "application/yaml" },
        body: [
          "apiVersion: v1",
          "kind: ConfigMap",
          "metadata: {name: laughs}",
          "data:",
          `  a: &a "${"x".repeat(100_000)}"`,
          ...Array.from({ length: 99 }, (_, i) => `  b${i}: *a`),
        ].join("\n"),
        expect: 413,
      },
    ],
  },
  {
    name: "server-side apply nested 1,500 deep is 400 and 500 deep 422; 100,001 finalizers by strategic merge are 422",
    steps: [
      {
        method: "PATCH",
        target: `${CM}/ssa-deep?fieldManager=fuzz`,
        headers: { "Content-Type": "application/apply-patch+yaml" },
        body: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"ssa-deep"},"x":${'{"a":'.repeat(1500)}1${"}".repeat(1500)}}`,
        expect: 400,
      },
      {
        method: "PATCH",
        target: `${CM}/ssa-deep?fieldManager=fuzz`,
        headers: { "Content-Type": "application/apply-patch+yaml" },
        body: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"ssa-deep"},"x":${'{"a":'.repeat(500)}1${"}".repeat(500)}}`,
        expect: 422,
      },
      { method: "POST", target: CM, headers: JSON_TYPE, body: cm("fin"), expect: 201 },
      {
        method: "PATCH",
        target: `${CM}/fin`,
        headers: { "Content-Type": "application/strategic-merge-patch+json" },
        body: JSON.stringify({
          metadata: { finalizers: Array.from({ length: 100_001 }, (_, i) => `example.com/f${i}`) },
        }),
        expect: 422,
      },
    ],
  },
  {
    name: "a malformed escape in the cluster name is 400 before authentication",
    steps: [{ method: "GET", target: "/clusters/%E0%A4%A/api/v1/configmaps", raw: true, anonymous: true, expect: 400 }],
  },
  {
    name: "dot segments, plain or escaped, and an escaped cluster name are 400",
    steps: [
      { method: "GET", target: "/clusters/fuzz-victim/../{c}/api/v1/configmaps", raw: true, expect: 400 },
      {
        method: "DELETE",
        target: "/clusters/{c}/%2e%2e/fuzz-victim/api/v1/namespaces/default/configmaps",
        raw: true,
        expect: 400,
      },
      { method: "GET", target: "/clusters/fuzz-%76ictim/api/v1/configmaps", raw: true, expect: 400 },
      { method: "GET", target: "/api/v1/namespaces/default/./configmaps", raw: true, expect: 400 },
    ],
  },
  {
    name: "a name with escaped dots is decoded once",
    steps: [
      { method: "POST", target: CM, headers: JSON_TYPE, body: cm("cm.with.dots"), expect: 201 },
      { method: "GET", target: `${CM}/cm%2Ewith%2Edots`, raw: true, expect: 200 },
    ],
  },
  {
    name: "Object.prototype names are ConfigMap data keys and Secret stringData keys like any other",
    steps: [
      {
        method: "POST",
        target: CM,
        headers: JSON_TYPE,
        body: '{"metadata":{"name":"proto"},"data":{"constructor":"1","toString":"2","valueOf":"3","hasOwnProperty":"4","__proto__":"5"}}',
        expect: 201,
        check: (b) => (Object.keys(b.data ?? {}).length === 5 ? undefined : `data ${JSON.stringify(b.data)}`),
      },
      {
        method: "POST",
        target: "/clusters/{c}/api/v1/namespaces/default/secrets",
        headers: JSON_TYPE,
        body: '{"metadata":{"name":"proto"},"stringData":{"__proto__":"x","constructor":"y"}}',
        expect: 201,
        check: (b) =>
          Object.keys(b.data ?? {})
            .sort()
            .join() === "__proto__,constructor"
            ? undefined
            : `data ${JSON.stringify(b.data)}`,
      },
    ],
  },
  {
    name: "deletecollection on the all-namespaces path is 405",
    steps: [
      { method: "DELETE", target: "/clusters/{c}/api/v1/configmaps", expect: 405 },
      { method: "DELETE", target: "/clusters/{c}/apis/fuzz.example.com/v1/widgets", expect: 405 },
    ],
  },
  {
    name: "the cross-cluster view honours the namespace in its path",
    steps: [
      {
        method: "GET",
        target: "/clusters/*/api/v1/namespaces/no-such-ns/secrets",
        expect: 200,
        check: (b) => (b.items?.length === 0 ? undefined : `${b.items?.length} items`),
      },
    ],
  },
];
