// Decoding protobuf request bodies: hand-built messages (as gogo-protobuf writes them) for several
// kinds must become the JSON object a JSON client would have sent, and malformed bodies must give
// kube-apiserver's 400 answers.
import { describe, expect, test } from "bun:test";
import { decodeMessage } from "../../src/apis/protobuf/decode-message.ts";
import { decodeProtobufObject, protobufSupported } from "../../src/apis/protobuf/decode-object.ts";
import {
  bytes,
  int32,
  int64,
  map,
  message,
  msg as msgField,
  msgs,
  string,
  strings,
} from "../../src/apis/protobuf/schema.ts";
import { IntOrString, Quantity, RawExtension } from "../../src/apis/protobuf/messages/values.ts";
import { StatusError } from "../../src/machinery/status.ts";
import {
  bool,
  double,
  entry,
  envelope,
  fixed32,
  int,
  kubectlMeta,
  len,
  msg,
  str,
  stringMap,
  tag,
  time,
  varint,
} from "../helpers/protobuf-encoder.ts";

const V1 = { group: "", version: "v1" };

function decode(apiVersion: string, kind: string, raw: number[], expected = { ...V1, kind }) {
  return decodeProtobufObject(envelope(apiVersion, kind, raw), expected);
}

function status400(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof StatusError) {
      expect(e.code).toBe(400);
      expect(e.reason).toBe("BadRequest");
      return e.message;
    }
    throw e;
  }
  throw new Error("expected a 400");
}

describe("kinds kubectl sends", () => {
  test("ConfigMap from `create configmap`: empty metadata strings and generation 0 are unset, maps sorted", () => {
    const raw = [
      ...kubectlMeta("foo"),
      ...stringMap(2, { c: "d", a: "b" }),
      ...entry(3, "bin", len(2, [0, 1, 2, 255])),
    ];
    const obj = decode("v1", "ConfigMap", raw);
    expect(obj).toEqual({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "foo", creationTimestamp: null },
      data: { a: "b", c: "d" },
      binaryData: { bin: "AAEC/w==" },
    });
    expect(Object.keys(obj.data as object)).toEqual(["a", "c"]);
  });

  test("Namespace from `create namespace`: spec and status are written as {} like Go's JSON", () => {
    expect(decode("v1", "Namespace", [...kubectlMeta("tmpns"), ...msg(2), ...msg(3, str(1, ""))])).toEqual({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "tmpns", creationTimestamp: null },
      spec: {},
      status: {},
    });
  });

  test("Secret: a pointer bool keeps false, empty type is left out, data is base64", () => {
    const raw = [
      ...kubectlMeta("s1"),
      ...bool(5, false),
      ...entry(2, "x", len(2, "y")),
      ...stringMap(4, { plain: "text" }),
      ...str(3, ""),
    ];
    expect(decode("v1", "Secret", raw)).toEqual({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "s1", creationTimestamp: null },
      immutable: false,
      data: { x: "eQ==" },
      stringData: { plain: "text" },
    });
  });

  test("ServiceAccount with labels, annotations, owner references, finalizers and managed fields", () => {
    const meta = msg(
      1,
      str(1, "sa1"),
      str(3, "ns1"),
      ...stringMap(11, { app: "x" }),
      ...stringMap(12, { note: "n" }),
      msg(13, str(1, "ConfigMap"), str(3, "owner"), str(4, "u-1"), str(5, "v1"), bool(6, true)),
      str(14, "example.com/f"),
      msg(
        17,
        str(1, "kubectl"),
        str(2, "Update"),
        str(3, "v1"),
        time(4, 1700000000),
        str(6, "FieldsV1"),
        msg(7, len(1, '{"f:metadata":{}}')),
      ),
    );
    const raw = [...meta, ...msg(2, str(3, "tok")), ...msg(3, str(1, "pull")), ...bool(4, true)];
    expect(decode("v1", "ServiceAccount", raw)).toEqual({
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: {
        name: "sa1",
        namespace: "ns1",
        creationTimestamp: null,
        labels: { app: "x" },
        annotations: { note: "n" },
        ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "owner", uid: "u-1", controller: true }],
        finalizers: ["example.com/f"],
        managedFields: [
          {
            manager: "kubectl",
            operation: "Update",
            apiVersion: "v1",
            time: "2023-11-14T22:13:20Z",
            fieldsType: "FieldsV1",
            fieldsV1: { "f:metadata": {} },
          },
        ],
      },
      secrets: [{ name: "tok" }],
      imagePullSecrets: [{ name: "pull" }],
      automountServiceAccountToken: true,
    });
  });

  test("ResourceQuota from `create quota`: quantities in a map, an absent pointer selector stays absent", () => {
    const q = (k: string, v: string) => entry(1, k, msg(2, str(1, v)));
    const raw = [
      ...kubectlMeta("q1"),
      ...msg(2, ...q("cpu", "1"), ...q("memory", "1Gi"), ...str(2, "BestEffort")),
      ...msg(3),
    ];
    expect(decode("v1", "ResourceQuota", raw)).toEqual({
      apiVersion: "v1",
      kind: "ResourceQuota",
      metadata: { name: "q1", creationTimestamp: null },
      spec: { hard: { cpu: "1", memory: "1Gi" }, scopes: ["BestEffort"] },
      status: {},
    });
  });

  test("LimitRange: limits are always written; a quantity entry without a value is the zero quantity", () => {
    const item = msg(1, str(1, "Container"), ...entry(2, "cpu", msg(2, str(1, "2"))), ...entry(3, "memory", []));
    expect(decode("v1", "LimitRange", [...kubectlMeta("lr"), ...msg(2, item)]).spec).toEqual({
      limits: [{ type: "Container", max: { cpu: "2" }, min: { memory: "0" } }],
    });
    expect(decode("v1", "LimitRange", [...kubectlMeta("lr"), ...msg(2)]).spec).toEqual({ limits: null });
  });

  test("Role from `create role`: repeated rules, verbs always written", () => {
    const rule = msg(2, str(1, "get"), str(1, "list"), str(2, ""), str(3, "configmaps"), str(4, "cm1"));
    const bare = msg(2, str(5, "/healthz"));
    expect(
      decode("rbac.authorization.k8s.io/v1", "Role", [...kubectlMeta("r1"), ...rule, ...bare], {
        group: "rbac.authorization.k8s.io",
        version: "v1",
        kind: "Role",
      }),
    ).toEqual({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: "r1", creationTimestamp: null },
      rules: [
        { verbs: ["get", "list"], apiGroups: [""], resources: ["configmaps"], resourceNames: ["cm1"] },
        { verbs: null, nonResourceURLs: ["/healthz"] },
      ],
    });
  });

  test("ClusterRoleBinding: subjects and roleRef; ClusterRole aggregation with a label selector", () => {
    const rbac = { group: "rbac.authorization.k8s.io", version: "v1" };
    const crb = decode(
      "rbac.authorization.k8s.io/v1",
      "ClusterRoleBinding",
      [
        ...kubectlMeta("crb"),
        ...msg(2, str(1, "Group"), str(2, "rbac.authorization.k8s.io"), str(3, "g1"), str(4, "")),
        ...msg(3, str(1, "rbac.authorization.k8s.io"), str(2, "ClusterRole"), str(3, "cr1")),
      ],
      { ...rbac, kind: "ClusterRoleBinding" },
    );
    expect(crb.subjects).toEqual([{ kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: "g1" }]);
    expect(crb.roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cr1" });
    const selector = msg(
      1,
      ...stringMap(1, { agg: "true" }),
      msg(2, str(1, "tier"), str(2, "In"), str(3, "a"), str(3, "b")),
    );
    const cr = decode("rbac.authorization.k8s.io/v1", "ClusterRole", [...kubectlMeta("cr"), ...msg(3, selector)], {
      ...rbac,
      kind: "ClusterRole",
    });
    expect(cr.rules).toBeNull();
    expect(cr.aggregationRule).toEqual({
      clusterRoleSelectors: [
        { matchLabels: { agg: "true" }, matchExpressions: [{ key: "tier", operator: "In", values: ["a", "b"] }] },
      ],
    });
  });

  test("SelfSubjectAccessReview from `auth can-i`: empty attributes left out, status always has allowed", () => {
    const ra = msg(
      1,
      str(1, "default"),
      str(2, "create"),
      str(3, ""),
      str(4, ""),
      str(5, "configmaps"),
      str(6, ""),
      str(7, ""),
    );
    const obj = decode(
      "authorization.k8s.io/v1",
      "SelfSubjectAccessReview",
      [...msg(1, len(8, [])), ...msg(2, ra), ...msg(3, bool(1, false), str(2, ""))],
      {
        group: "authorization.k8s.io",
        version: "v1",
        kind: "SelfSubjectAccessReview",
      },
    );
    expect(obj).toEqual({
      apiVersion: "authorization.k8s.io/v1",
      kind: "SelfSubjectAccessReview",
      metadata: { creationTimestamp: null },
      spec: { resourceAttributes: { namespace: "default", verb: "create", resource: "configmaps" } },
      status: { allowed: false },
    });
  });

  test("SubjectAccessReview with extra (map of ExtraValue) and a field selector", () => {
    const fs = msg(8, msg(2, str(1, "metadata.name"), str(2, "In"), str(3, "x")));
    const spec = msg(
      2,
      msg(1, str(2, "get"), str(5, "pods"), fs),
      str(3, "bob"),
      str(4, "g"),
      ...entry(5, "scopes", msg(2, str(1, "a"), str(1, "b"))),
      ...entry(5, "none", []),
    );
    const obj = decode("authorization.k8s.io/v1", "SubjectAccessReview", [...msg(1), ...spec], {
      group: "authorization.k8s.io",
      version: "v1",
      kind: "SubjectAccessReview",
    });
    expect(obj.spec).toEqual({
      resourceAttributes: {
        verb: "get",
        resource: "pods",
        fieldSelector: { requirements: [{ key: "metadata.name", operator: "In", values: ["x"] }] },
      },
      user: "bob",
      groups: ["g"],
      extra: { none: null, scopes: ["a", "b"] },
    });
    expect(obj.status).toEqual({ allowed: false });
  });

  test("SelfSubjectRulesReview and SelfSubjectReview", () => {
    const authz = { group: "authorization.k8s.io", version: "v1" };
    const ssrr = decode(
      "authorization.k8s.io/v1",
      "SelfSubjectRulesReview",
      [...msg(1), ...msg(2, str(1, "default"))],
      { ...authz, kind: "SelfSubjectRulesReview" },
    );
    expect(ssrr.spec).toEqual({ namespace: "default" });
    expect(ssrr.status).toEqual({ resourceRules: null, nonResourceRules: null, incomplete: false });
    const ssr = decode("authentication.k8s.io/v1", "SelfSubjectReview", [...msg(1)], {
      group: "authentication.k8s.io",
      version: "v1",
      kind: "SelfSubjectReview",
    });
    expect(ssr).toEqual({
      apiVersion: "authentication.k8s.io/v1",
      kind: "SelfSubjectReview",
      metadata: { creationTimestamp: null },
      status: { userInfo: {} },
    });
  });

  test("TokenRequest from `create token`: audiences always written, boundObjectRef null, expirationSeconds a pointer", () => {
    const authn = { group: "authentication.k8s.io", version: "v1", kind: "TokenRequest" };
    const plain = decode(
      "authentication.k8s.io/v1",
      "TokenRequest",
      [...kubectlMeta("sa1"), ...msg(2), ...msg(3, str(1, ""), len(2, []))],
      authn,
    );
    expect(plain.spec).toEqual({ audiences: null, boundObjectRef: null });
    expect(plain.status).toEqual({ token: "", expirationTimestamp: null });
    const full = decode(
      "authentication.k8s.io/v1",
      "TokenRequest",
      [...msg(2, str(1, "api"), int(4, 600), msg(3, str(1, "Secret"), str(2, "v1"), str(3, "s"), str(4, "u")))],
      authn,
    );
    expect(full.spec).toEqual({
      audiences: ["api"],
      expirationSeconds: 600,
      boundObjectRef: { kind: "Secret", apiVersion: "v1", name: "s", uid: "u" },
    });
    expect(full.metadata).toEqual({ creationTimestamp: null });
  });

  test("CertificateSigningRequest from `certificate approve`: request bytes, extra, conditions with times", () => {
    const csr = { group: "certificates.k8s.io", version: "v1", kind: "CertificateSigningRequest" };
    const spec = msg(
      2,
      len(1, "PEM"),
      str(7, "kubernetes.io/kube-apiserver-client"),
      str(5, "client auth"),
      str(2, "admin"),
      ...entry(6, "k", msg(2, str(1, "v"))),
    );
    const cond = msg(
      1,
      str(1, "Approved"),
      str(6, "True"),
      str(2, "KubectlApprove"),
      str(3, "ok"),
      time(4, 1700000000, 999),
      len(5, []),
    );
    const obj = decode(
      "certificates.k8s.io/v1",
      "CertificateSigningRequest",
      [...kubectlMeta("csr1"), ...spec, ...msg(3, cond)],
      csr,
    );
    expect(obj.spec).toEqual({
      request: "UEVN",
      signerName: "kubernetes.io/kube-apiserver-client",
      usages: ["client auth"],
      username: "admin",
      extra: { k: ["v"] },
    });
    expect(obj.status).toEqual({
      conditions: [
        {
          type: "Approved",
          status: "True",
          reason: "KubectlApprove",
          message: "ok",
          lastUpdateTime: "2023-11-14T22:13:20Z",
          lastTransitionTime: null,
        },
      ],
    });
    // A request field that is absent is a nil []byte: null, as Go writes it.
    expect(decode("certificates.k8s.io/v1", "CertificateSigningRequest", [...kubectlMeta("c2")], csr).spec).toEqual({
      request: null,
      signerName: "",
    });
  });

  test("Lease from client-go leader election: MicroTime keeps microseconds, pointer int32 zero is kept", () => {
    const spec = msg(2, str(1, "holder-1"), int(2, 15), time(3, 1700000000, 123456789), time(4, 1700000001), int(5, 0));
    expect(
      decode("coordination.k8s.io/v1", "Lease", [...kubectlMeta("lock"), ...spec], {
        group: "coordination.k8s.io",
        version: "v1",
        kind: "Lease",
      }).spec,
    ).toEqual({
      holderIdentity: "holder-1",
      leaseDurationSeconds: 15,
      acquireTime: "2023-11-14T22:13:20.123456Z",
      renewTime: "2023-11-14T22:13:21.000000Z",
      leaseTransitions: 0,
    });
  });

  test("core Event from a client-go recorder: Time drops nanos, absent MicroTime is null, reporting fields always written", () => {
    const raw = [
      ...kubectlMeta("ev.1"),
      ...msg(2, str(1, "ConfigMap"), str(2, "default"), str(3, "cm"), str(4, "uid-1"), str(5, "v1")),
      ...str(3, "Created"),
      ...str(4, "made it"),
      ...msg(5, str(1, "ctrl")),
      ...time(6, 1700000000, 5),
      ...time(7, 1700000060),
      ...int(8, 2),
      ...str(9, "Normal"),
    ];
    expect(decode("v1", "Event", raw)).toEqual({
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: "ev.1", creationTimestamp: null },
      involvedObject: { kind: "ConfigMap", namespace: "default", name: "cm", uid: "uid-1", apiVersion: "v1" },
      reason: "Created",
      message: "made it",
      source: { component: "ctrl" },
      firstTimestamp: "2023-11-14T22:13:20Z",
      lastTimestamp: "2023-11-14T22:14:20Z",
      count: 2,
      type: "Normal",
      eventTime: null,
      reportingComponent: "",
      reportingInstance: "",
    });
  });

  test("events.k8s.io Event with a series", () => {
    const raw = [
      ...kubectlMeta("e"),
      ...time(2, 1700000000, 1000),
      ...msg(3, int(1, 3), time(2, 1700000001)),
      ...str(4, "ctrl"),
      ...str(5, "ctrl-1"),
      ...str(6, "Act"),
      ...str(7, "Why"),
      ...msg(8, str(1, "Lease")),
      ...str(11, "Normal"),
    ];
    expect(decode("events.k8s.io/v1", "Event", raw, { group: "events.k8s.io", version: "v1", kind: "Event" })).toEqual({
      apiVersion: "events.k8s.io/v1",
      kind: "Event",
      metadata: { name: "e", creationTimestamp: null },
      eventTime: "2023-11-14T22:13:20.000001Z",
      series: { count: 3, lastObservedTime: "2023-11-14T22:13:21.000000Z" },
      reportingController: "ctrl",
      reportingInstance: "ctrl-1",
      action: "Act",
      reason: "Why",
      regarding: { kind: "Lease" },
      type: "Normal",
      deprecatedSource: {},
      deprecatedFirstTimestamp: null,
      deprecatedLastTimestamp: null,
    });
  });

  test("APIService: a pointer port, priorities always written, caBundle base64", () => {
    const spec = msg(
      2,
      msg(1, str(1, "ns"), str(2, "svc"), int(3, 443)),
      str(2, "example.com"),
      str(3, "v1"),
      bool(4, false),
      len(5, "CA"),
      int(7, 100),
    );
    expect(
      decode("apiregistration.k8s.io/v1", "APIService", [...kubectlMeta("v1.example.com"), ...spec], {
        group: "apiregistration.k8s.io",
        version: "v1",
        kind: "APIService",
      }),
    ).toMatchObject({
      spec: {
        service: { namespace: "ns", name: "svc", port: 443 },
        group: "example.com",
        version: "v1",
        caBundle: "Q0E=",
        groupPriorityMinimum: 100,
        versionPriority: 0,
      },
      status: {},
    });
  });

  test("CustomResourceDefinition: nested schemas, doubles, JSON defaults and the either-or wrappers", () => {
    const props = (name: string, ...schema: number[][]) => entry(29, name, msg(2, ...schema));
    const schema = msg(
      1,
      str(5, "object"),
      ...props("size", str(5, "integer"), double(9, 10.5), msg(8, len(1, "3"))),
      ...props("tags", str(5, "array"), msg(24, msg(1, str(5, "string")))),
      ...props("labels", str(5, "object"), msg(30, msg(2, str(5, "string")))),
      ...props("free", bool(38, true)),
      msg(30, bool(1, false)),
      msg(20, len(1, '"a"')),
      msg(44, str(1, "self.size > 0"), str(2, "")),
    );
    const version = msg(
      7,
      str(1, "v1"),
      bool(2, true),
      bool(3, true),
      msg(4, schema),
      msg(5, msg(1)),
      msg(6, str(1, "Size"), str(2, "integer"), str(6, ".spec.size")),
    );
    const spec = msg(
      2,
      str(1, "example.com"),
      msg(3, str(1, "widgets"), str(4, "Widget")),
      str(4, "Namespaced"),
      version,
    );
    const obj = decode(
      "apiextensions.k8s.io/v1",
      "CustomResourceDefinition",
      [...kubectlMeta("widgets.example.com"), ...spec],
      {
        group: "apiextensions.k8s.io",
        version: "v1",
        kind: "CustomResourceDefinition",
      },
    );
    expect(obj.spec).toEqual({
      group: "example.com",
      names: { plural: "widgets", kind: "Widget" },
      scope: "Namespaced",
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: "object",
              enum: ["a"],
              properties: {
                free: { "x-kubernetes-preserve-unknown-fields": true },
                labels: { type: "object", additionalProperties: { type: "string" } },
                size: { type: "integer", default: 3, maximum: 10.5 },
                tags: { type: "array", items: { type: "string" } },
              },
              additionalProperties: false,
              "x-kubernetes-validations": [{ rule: "self.size > 0" }],
            },
          },
          subresources: { status: {} },
          additionalPrinterColumns: [{ name: "Size", type: "integer", jsonPath: ".spec.size" }],
        },
      ],
    });
    expect(obj.status).toEqual({ acceptedNames: { plural: "", kind: "" }, storedVersions: null });
  });

  test("DeleteOptions in any group version, with preconditions and a propagation policy", () => {
    const raw = [...int(1, 0), ...msg(2, str(1, "u-1")), ...str(4, "Foreground"), ...str(5, "All")];
    const expected = { group: "meta.k8s.io", version: "v1", kind: "DeleteOptions" };
    for (const apiVersion of ["v1", "meta.k8s.io/v1", "coordination.k8s.io/v1", ""]) {
      const obj = decodeProtobufObject(envelope(apiVersion, "DeleteOptions", raw), expected);
      expect(obj).toMatchObject({
        kind: "DeleteOptions",
        gracePeriodSeconds: 0,
        preconditions: { uid: "u-1" },
        propagationPolicy: "Foreground",
        dryRun: ["All"],
      });
    }
  });

  test("every built-in kind kcp serves has a schema; custom kinds do not", () => {
    const kinds: [string, string, string][] = [
      ["", "v1", "ConfigMap"],
      ["", "v1", "Secret"],
      ["", "v1", "Namespace"],
      ["", "v1", "ServiceAccount"],
      ["", "v1", "Event"],
      ["", "v1", "LimitRange"],
      ["", "v1", "ResourceQuota"],
      ["coordination.k8s.io", "v1", "Lease"],
      ["events.k8s.io", "v1", "Event"],
      ["rbac.authorization.k8s.io", "v1", "Role"],
      ["rbac.authorization.k8s.io", "v1", "ClusterRole"],
      ["rbac.authorization.k8s.io", "v1", "RoleBinding"],
      ["rbac.authorization.k8s.io", "v1", "ClusterRoleBinding"],
      ["certificates.k8s.io", "v1", "CertificateSigningRequest"],
      ["apiregistration.k8s.io", "v1", "APIService"],
      ["apiextensions.k8s.io", "v1", "CustomResourceDefinition"],
      ["authentication.k8s.io", "v1", "TokenReview"],
      ["authentication.k8s.io", "v1", "TokenRequest"],
      ["authentication.k8s.io", "v1", "SelfSubjectReview"],
      ["authorization.k8s.io", "v1", "SubjectAccessReview"],
      ["authorization.k8s.io", "v1", "LocalSubjectAccessReview"],
      ["authorization.k8s.io", "v1", "SelfSubjectAccessReview"],
      ["authorization.k8s.io", "v1", "SelfSubjectRulesReview"],
    ];
    for (const [group, version, kind] of kinds) expect(protobufSupported({ group, version, kind })).toBe(true);
    expect(protobufSupported({ group: "example.com", version: "v1", kind: "Widget" })).toBe(false);
    expect(protobufSupported({ group: "", version: "v1", kind: "Pod" })).toBe(false);
    expect(protobufSupported({ group: "", version: "v1", kind: "toString" })).toBe(false);
  });
});

describe("the generic decoder", () => {
  const Thing = message("Thing", [
    msgField(1, "port", () => IntOrString),
    msgField(2, "name", () => IntOrString),
    msgField(3, "object", () => RawExtension, "pointer"),
    msgField(4, "size", () => Quantity),
    int32(5, "small"),
    int64(6, "big"),
    strings(7, "list", "always"),
    map(8, "bin", "bytes"),
    bytes(9, "blob", "always"),
    msgs(10, "children", () => Thing),
    string(11, "text", "nullable"),
  ]);

  test("IntOrString, RawExtension, Quantity and zero values", () => {
    const raw = [
      ...msg(1, int(1, 0), int(2, 8080)),
      ...msg(2, int(1, 1), str(3, "http")),
      ...msg(3, len(1, '{"kind":"X","n":[1,2]}')),
      ...msg(4, str(1, "500m")),
    ];
    expect(decodeMessage(Thing, new Uint8Array(raw))).toEqual({
      port: 8080,
      name: "http",
      object: { kind: "X", n: [1, 2] },
      size: "500m",
      list: null,
      blob: null,
      text: null,
    });
  });

  test("negative int32 (ten-byte varints), int64 beyond 32 bits, empty map bytes, packed repeated numbers", () => {
    const raw = [...int(5, -2), ...int(6, 2 ** 40 + 1), ...entry(8, "e", len(2, [])), ...len(9, [])];
    expect(varint(-2)).toHaveLength(10);
    expect(decodeMessage(Thing, new Uint8Array(raw))).toMatchObject({
      small: -2,
      big: 2 ** 40 + 1,
      bin: { e: "" },
      blob: "",
    });
    const Nums = message("Nums", [
      { number: 1, name: "n", type: "int32", cardinality: "repeated", presence: "omitempty" },
    ]);
    expect(decodeMessage(Nums, new Uint8Array([...len(1, [...varint(1), ...varint(300)]), ...int(1, 7)]))).toEqual({
      n: [1, 300, 7],
    });
  });

  test("unknown fields of every wire type are skipped", () => {
    const group = [...tag(50, 3), ...int(1, 5), ...str(2, "in group"), ...tag(50, 4)];
    const raw = [...int(99, 1), ...fixed32(98, 7), ...double(97, 1.5), ...str(96, "x"), ...group, ...int(5, 3)];
    expect(decodeMessage(Thing, new Uint8Array(raw))).toMatchObject({ small: 3 });
  });

  test("a singular message sent twice is merged; repeated messages append; the last scalar wins", () => {
    const raw = [...msg(10, int(5, 1)), ...msg(10, int(5, 2), msg(10, int(5, 3))), ...int(5, 4), ...int(5, 5)];
    const out = decodeMessage(Thing, new Uint8Array(raw)) as {
      small: number;
      children: { small: number; children?: unknown[] }[];
    };
    expect(out.small).toBe(5);
    expect(out.children.map((c) => c.small)).toEqual([1, 2]);
    expect(out.children[1]?.children).toHaveLength(1);
    const meta = decode("v1", "ConfigMap", [
      ...msg(1, str(1, "a")),
      ...msg(1, str(3, "ns")),
      ...msg(1, ...stringMap(11, { x: "1" })),
    ]);
    expect(meta.metadata).toEqual({ name: "a", namespace: "ns", labels: { x: "1" }, creationTimestamp: null });
  });

  test("malformed messages are errors worded like gogo-protobuf's", () => {
    const err = (raw: number[]) => {
      try {
        decodeMessage(Thing, new Uint8Array(raw));
      } catch (e) {
        return (e as Error).message;
      }
      return "no error";
    };
    expect(err([...tag(5, 2), 1, 1])).toBe("proto: wrong wireType = 2 for field Small");
    expect(err([...tag(11, 2), 5, 0x61])).toBe("unexpected EOF");
    expect(err([...tag(5, 0), 0xff])).toBe("unexpected EOF");
    expect(err([...tag(5, 0), ...new Array(10).fill(0xff), 1])).toBe("proto: integer overflow");
    expect(err([0x00])).toBe("proto: Thing: illegal tag 0 (wire type 0)");
    expect(err([...tag(5, 4)])).toBe("proto: Thing: wiretype end group for non-group");
    expect(err([...tag(11, 2), ...varint(-1)])).toBe("proto: negative length found during unmarshaling");
    expect(err([...msg(3, len(1, "{not json"))])).toStartWith(
      "json: error calling MarshalJSON for type *runtime.RawExtension",
    );
    expect(err([...tag(50, 7)])).toBe("proto: illegal wireType 7");
    let deep: number[] = [];
    for (let i = 0; i < 300; i++) deep = msg(10, deep);
    expect(err(deep)).toContain("exceeded maximum nesting depth");
  });

  test("times: the zero time and an empty message are null; years past 9999 cannot be written", () => {
    const ev = (t: number[]) => decode("v1", "Event", [...kubectlMeta("e"), ...t]).firstTimestamp;
    expect(ev(time(6, -62135596800))).toBeNull();
    expect(ev(len(6, []))).toBeNull();
    expect(ev(time(6, 0))).toBe("1970-01-01T00:00:00Z");
    expect(status400(() => ev(time(6, 253402300800)))).toBe(
      'Event in version "v1" cannot be handled as a Event: Time.MarshalJSON: year outside of range [0,9999]',
    );
  });
});

describe("the envelope", () => {
  const cm = { ...V1, kind: "ConfigMap" };

  test("type meta left out is taken from the URL's kind", () => {
    expect(decodeProtobufObject(envelope("", "", kubectlMeta("x")), cm)).toMatchObject({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "x" },
    });
  });

  test("a body that is not a protobuf message, or an empty one", () => {
    expect(
      status400(() =>
        decodeProtobufObject(new TextEncoder().encode('{"kind":"ConfigMap","apiVersion":"v1","metadata":{}}'), cm),
      ),
    ).toBe(
      'the object provided is unrecognized (must be of type ConfigMap): provided data does not appear to be a protobuf message, expected prefix [107 56 115 0] ({"kind":"ConfigMap","apiVersio ...)',
    );
    expect(status400(() => decodeProtobufObject(new Uint8Array([1, 2, 3, 4, 5]), cm))).toBe(
      "the object provided is unrecognized (must be of type ConfigMap): provided data does not appear to be a protobuf message, expected prefix [107 56 115 0] (0102030405)",
    );
    expect(status400(() => decodeProtobufObject(new Uint8Array([0x6b, 0x38, 0x73, 0]), cm))).toBe(
      "the object provided is unrecognized (must be of type ConfigMap): empty body (6b387300)",
    );
    expect(status400(() => decodeProtobufObject(new Uint8Array(0), cm))).toBe(
      "the object provided is unrecognized (must be of type ConfigMap): empty data (<empty>)",
    );
    expect(status400(() => decodeProtobufObject(new Uint8Array([0x6b, 0x38, 0x73, 0, ...tag(2, 2), 9, 1]), cm))).toBe(
      "the object provided is unrecognized (must be of type ConfigMap): unexpected EOF (6b387300120901)",
    );
  });

  test("type meta naming another kind, an unknown kind or another group version", () => {
    expect(status400(() => decodeProtobufObject(envelope("v1", "Secret", []), cm))).toBe(
      'Secret in version "v1" cannot be handled as a ConfigMap: the kind in the data (Secret) does not match the expected kind (ConfigMap)',
    );
    expect(status400(() => decodeProtobufObject(envelope("v1", "Node", []), cm))).toBe(
      'Node in version "v1" cannot be handled as a ConfigMap: no kind "Node" is registered for version "v1" in scheme "pkg/api/legacyscheme/scheme.go:30"',
    );
    expect(status400(() => decodeProtobufObject(envelope("v2", "ConfigMap", []), cm))).toBe(
      'ConfigMap in version "v2" cannot be handled as a ConfigMap: no kind "ConfigMap" is registered for version "v2" in scheme "pkg/api/legacyscheme/scheme.go:30"',
    );
    expect(
      status400(() => decodeProtobufObject(envelope("events.k8s.io/v1", "Event", []), { ...V1, kind: "Event" })),
    ).toBe("the API version in the data (events.k8s.io/v1) does not match the expected API version (v1)");
  });

  test("a malformed object is a 400 naming the kind", () => {
    expect(status400(() => decode("v1", "ConfigMap", [...int(1, 5)]))).toBe(
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: proto: wrong wireType = 0 for field Metadata',
    );
  });
});

describe("bounds", () => {
  test("a message that decodes past the decoded-document limit (defaults filled in) is 413", () => {
    // 600,000 empty ServicePorts: 1.2 MB sent, each decoded with its port and targetPort.
    const emptyPort = msg(1);
    const ports: number[] = [];
    for (let i = 0; i < 600_000; i++) ports.push(...emptyPort);
    const raw = [...kubectlMeta("many-ports"), ...len(2, ports)];
    let err: unknown;
    try {
      decode("v1", "Service", raw);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StatusError);
    expect({ code: (err as StatusError).code, reason: (err as StatusError).reason }).toEqual({
      code: 413,
      reason: "RequestEntityTooLarge",
    });
    // A few empty ports decode as before.
    const few = decode("v1", "Service", [...kubectlMeta("few"), ...msg(2, ...emptyPort, ...emptyPort)]) as {
      spec: { ports: unknown[] };
    };
    expect(few.spec.ports).toHaveLength(2);
  });
});
