import { beforeAll, describe, expect, test } from "bun:test";
import { builtinResources } from "../../src/apis/builtin/index.ts";
import type { KObject, RequestContext, ResourceDef, UserInfo } from "../../src/apis/types.ts";
import type { AuthorizationAttributes, Authenticator, Authorizer } from "../../src/auth/types.ts";
import { apiGroupList, apiResourceList } from "../../src/server/discovery.ts";
import { type FieldError, fieldErrorText, StatusError } from "../../src/machinery/status.ts";

// @peculiar/x509 needs the Reflect polyfill evaluated first; static imports do not guarantee the order.
await import("../../src/pki/reflect-polyfill.ts");
const x509 = await import("@peculiar/x509");

// ---- fixtures ----

const alice: UserInfo = { username: "alice", uid: "u-1", groups: ["dev", "system:authenticated"] };

const authenticator: Authenticator = {
  authenticateToken: (token) => (token === "good-token" ? alice : null),
};

/** Allows everything and remembers what it was asked. */
const asked: AuthorizationAttributes[] = [];
const authorizer: Authorizer = {
  authorize(attrs) {
    asked.push(attrs);
    if (attrs.verb === "escalate") return { allowed: false, denied: true, reason: "never" };
    return { allowed: true, reason: "allowed by test" };
  },
  rulesFor: (_user, _cluster, namespace) => ({
    resourceRules: [
      { verbs: ["get", "list"], apiGroups: [""], resources: ["configmaps"] },
      { verbs: ["*"], apiGroups: ["*"], resources: ["*"], resourceNames: [namespace] },
    ],
    nonResourceRules: [{ verbs: ["get"], nonResourceURLs: ["/healthz"] }],
    incomplete: false,
  }),
};

const defs = builtinResources({ authenticator, authorizer });

function def(plural: string, group = ""): ResourceDef {
  const d = defs.find((x) => x.plural === plural && x.group === group);
  if (!d) throw new Error(`no ${group}/${plural}`);
  return d;
}

function ctx(over: Partial<RequestContext> = {}): RequestContext {
  return { cluster: "root", user: alice, dryRun: false, warnings: [], ...over };
}

const texts = (errs: FieldError[]) => errs.map(fieldErrorText);

function obj(body: Record<string, unknown>, meta: Record<string, unknown> = {}): KObject {
  return { metadata: { name: "x", namespace: "default", ...meta }, ...body } as KObject;
}

/** The create path as the store runs it: prepare, then validate. */
function create(d: ResourceDef, o: KObject, c = ctx()): { obj: KObject; errs: string[] } {
  const o2 = structuredClone(o);
  if (d.strategy.hasStatus) delete o2.status;
  d.strategy.prepareForCreate?.(o2, c);
  return { obj: o2, errs: texts(d.strategy.validate?.(o2, c) ?? []) };
}

/** The main-resource update path: status carried over, prepare, validate. */
function update(d: ResourceDef, o: KObject, old: KObject, c = ctx()): { obj: KObject; errs: string[] } {
  const o2 = structuredClone(o);
  if (d.strategy.hasStatus) {
    if (old.status === undefined) delete o2.status;
    else o2.status = structuredClone(old.status);
  }
  d.strategy.prepareForUpdate?.(o2, old, c);
  return { obj: o2, errs: texts(d.strategy.validateUpdate?.(o2, old, c) ?? []) };
}

function statusUpdate(d: ResourceDef, o: KObject, old: KObject, c = ctx()): { obj: KObject; errs: string[] } {
  const o2 = structuredClone(o);
  d.strategy.prepareForStatusUpdate?.(o2, old, c);
  const v = d.strategy.validateStatusUpdate ?? d.strategy.validateUpdate;
  return { obj: o2, errs: texts(v?.(o2, old, c) ?? []) };
}

function subUpdate(
  d: ResourceDef,
  name: string,
  o: KObject,
  old: KObject,
  c = ctx(),
): { obj: KObject; errs: string[] } {
  const sub = d.subresources.find((s) => s.name === name);
  if (!sub?.prepare || !sub.validate) throw new Error(`no hooks for ${name}`);
  const o2 = structuredClone(o);
  sub.prepare(o2, old, c);
  return { obj: o2, errs: texts(sub.validate(o2, old, c)) };
}

/** The 400 a decode-time problem raises. */
function badRequest(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof StatusError && e.code === 400) return e.message;
    throw e;
  }
  throw new Error("expected a 400");
}

function invalidError(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (e) {
    if (e instanceof StatusError && e.code === 422) return e;
    throw e;
  }
  throw new Error("expected a 422");
}

const b64 = (s: string) => Buffer.from(s).toString("base64");

// ---- the resource table ----

const CRUD = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
const RW = ["get", "patch", "update"];

interface Row {
  group: string;
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  subresources?: { name: string; verbs: string[]; kind?: string; group?: string; version?: string }[];
  mode?: "virtual";
}

const TABLE: Row[] = [
  {
    group: "",
    plural: "configmaps",
    singular: "configmap",
    kind: "ConfigMap",
    namespaced: true,
    verbs: CRUD,
    shortNames: ["cm"],
  },
  { group: "", plural: "events", singular: "event", kind: "Event", namespaced: true, verbs: CRUD, shortNames: ["ev"] },
  {
    group: "",
    plural: "limitranges",
    singular: "limitrange",
    kind: "LimitRange",
    namespaced: true,
    verbs: CRUD,
    shortNames: ["limits"],
  },
  {
    group: "",
    plural: "namespaces",
    singular: "namespace",
    kind: "Namespace",
    namespaced: false,
    verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
    shortNames: ["ns"],
    subresources: [
      { name: "finalize", verbs: ["update"] },
      { name: "status", verbs: RW },
    ],
  },
  {
    group: "",
    plural: "resourcequotas",
    singular: "resourcequota",
    kind: "ResourceQuota",
    namespaced: true,
    verbs: CRUD,
    shortNames: ["quota"],
    subresources: [{ name: "status", verbs: RW }],
  },
  { group: "", plural: "secrets", singular: "secret", kind: "Secret", namespaced: true, verbs: CRUD },
  {
    group: "",
    plural: "serviceaccounts",
    singular: "serviceaccount",
    kind: "ServiceAccount",
    namespaced: true,
    verbs: CRUD,
    shortNames: ["sa"],
    subresources: [
      { name: "token", verbs: ["create"], kind: "TokenRequest", group: "authentication.k8s.io", version: "v1" },
    ],
  },
  {
    group: "apiregistration.k8s.io",
    plural: "apiservices",
    singular: "apiservice",
    kind: "APIService",
    namespaced: false,
    verbs: CRUD,
    categories: ["api-extensions"],
    subresources: [{ name: "status", verbs: RW }],
  },
  {
    group: "events.k8s.io",
    plural: "events",
    singular: "event",
    kind: "Event",
    namespaced: true,
    verbs: CRUD,
    shortNames: ["ev"],
  },
  {
    group: "authentication.k8s.io",
    plural: "selfsubjectreviews",
    singular: "selfsubjectreview",
    kind: "SelfSubjectReview",
    namespaced: false,
    verbs: ["create"],
    mode: "virtual",
  },
  {
    group: "authentication.k8s.io",
    plural: "tokenreviews",
    singular: "tokenreview",
    kind: "TokenReview",
    namespaced: false,
    verbs: ["create"],
    mode: "virtual",
  },
  {
    group: "authorization.k8s.io",
    plural: "localsubjectaccessreviews",
    singular: "localsubjectaccessreview",
    kind: "LocalSubjectAccessReview",
    namespaced: true,
    verbs: ["create"],
    mode: "virtual",
  },
  {
    group: "authorization.k8s.io",
    plural: "selfsubjectaccessreviews",
    singular: "selfsubjectaccessreview",
    kind: "SelfSubjectAccessReview",
    namespaced: false,
    verbs: ["create"],
    mode: "virtual",
  },
  {
    group: "authorization.k8s.io",
    plural: "selfsubjectrulesreviews",
    singular: "selfsubjectrulesreview",
    kind: "SelfSubjectRulesReview",
    namespaced: false,
    verbs: ["create"],
    mode: "virtual",
  },
  {
    group: "authorization.k8s.io",
    plural: "subjectaccessreviews",
    singular: "subjectaccessreview",
    kind: "SubjectAccessReview",
    namespaced: false,
    verbs: ["create"],
    mode: "virtual",
  },
  {
    group: "certificates.k8s.io",
    plural: "certificatesigningrequests",
    singular: "certificatesigningrequest",
    kind: "CertificateSigningRequest",
    namespaced: false,
    verbs: CRUD,
    shortNames: ["csr"],
    subresources: [
      { name: "approval", verbs: RW },
      { name: "status", verbs: RW },
    ],
  },
  {
    group: "rbac.authorization.k8s.io",
    plural: "clusterrolebindings",
    singular: "clusterrolebinding",
    kind: "ClusterRoleBinding",
    namespaced: false,
    verbs: CRUD,
  },
  {
    group: "rbac.authorization.k8s.io",
    plural: "clusterroles",
    singular: "clusterrole",
    kind: "ClusterRole",
    namespaced: false,
    verbs: CRUD,
  },
  {
    group: "rbac.authorization.k8s.io",
    plural: "rolebindings",
    singular: "rolebinding",
    kind: "RoleBinding",
    namespaced: true,
    verbs: CRUD,
  },
  {
    group: "rbac.authorization.k8s.io",
    plural: "roles",
    singular: "role",
    kind: "Role",
    namespaced: true,
    verbs: CRUD,
  },
  {
    group: "apiextensions.k8s.io",
    plural: "customresourcedefinitions",
    singular: "customresourcedefinition",
    kind: "CustomResourceDefinition",
    namespaced: false,
    verbs: CRUD,
    shortNames: ["crd", "crds"],
    categories: ["api-extensions"],
    subresources: [{ name: "status", verbs: RW }],
  },
  { group: "coordination.k8s.io", plural: "leases", singular: "lease", kind: "Lease", namespaced: true, verbs: CRUD },
];

describe("the resource table", () => {
  test("exactly the in-scope resources, once each", () => {
    const got = defs.map((d) => `${d.group}/${d.version}/${d.plural}`).sort();
    const want = TABLE.map((r) => `${r.group}/v1/${r.plural}`).sort();
    expect(got).toEqual(want);
  });

  for (const row of TABLE) {
    test(`${row.group || "core"}/${row.plural}`, () => {
      const d = def(row.plural, row.group);
      expect(d.version).toBe("v1");
      expect(d.source).toBe("builtin");
      expect(d.singular).toBe(row.singular);
      expect(d.kind).toBe(row.kind);
      expect(d.listKind).toBe(`${row.kind}List`);
      expect(d.namespaced).toBe(row.namespaced);
      expect([...d.verbs].sort() as string[]).toEqual(row.verbs);
      expect(d.shortNames ?? []).toEqual(row.shortNames ?? []);
      // None of these is in "all" on kube 1.32, so `kubectl get all` lists none of them.
      expect(d.categories ?? []).toEqual(row.categories ?? []);
      expect(d.mode).toBe(row.mode ?? "stored");
      if (row.mode === "virtual") expect(typeof d.handleCreate).toBe("function");
      const subs = [...d.subresources]
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((s) => ({
          name: s.name,
          verbs: [...s.verbs].sort() as string[],
          kind: s.kind,
          group: s.group,
          version: s.version,
        }));
      expect(subs).toEqual(
        (row.subresources ?? []).map((s) => ({ kind: undefined, group: undefined, version: undefined, ...s })),
      );
    });
  }

  test("only CRDs track generation; kinds with /status split it off", () => {
    expect(defs.filter((d) => d.strategy.tracksGeneration).map((d) => d.plural)).toEqual(["customresourcedefinitions"]);
    const withStatus = defs.filter((d) => d.subresources.some((s) => s.name === "status")).map((d) => d.plural);
    expect(defs.filter((d) => d.strategy.hasStatus).map((d) => d.plural)).toEqual(withStatus);
  });

  test("create on PUT as kube allows it", () => {
    const allowed = defs
      .filter((d) => d.allowCreateOnUpdate)
      .map((d) => `${d.group}/${d.plural}`)
      .sort();
    expect(allowed).toEqual([
      "/events",
      "/limitranges",
      "coordination.k8s.io/leases",
      "events.k8s.io/events",
      "rbac.authorization.k8s.io/clusterrolebindings",
      "rbac.authorization.k8s.io/clusterroles",
      "rbac.authorization.k8s.io/rolebindings",
      "rbac.authorization.k8s.io/roles",
    ]);
  });

  test("name rules per kind", () => {
    expect(def("namespaces").strategy.nameValidation).toBe("label");
    for (const p of ["roles", "rolebindings", "clusterroles", "clusterrolebindings"])
      expect(def(p, "rbac.authorization.k8s.io").strategy.nameValidation).toBe("path-segment");
    expect(def("events").strategy.nameValidation).toBe("path-segment");
    expect(def("events", "events.k8s.io").strategy.nameValidation).toBe("subdomain");
    expect(def("configmaps").strategy.nameValidation ?? "subdomain").toBe("subdomain");
  });

  test("events.k8s.io events share core/v1's key space", () => {
    expect(def("events", "events.k8s.io").storage).toEqual({ group: "", resource: "events" });
    expect(def("events").storage ?? { group: "", resource: "events" }).toEqual({ group: "", resource: "events" });
  });

  test("legacy discovery of /api/v1 lists the core kinds and their subresources", () => {
    const list = apiResourceList(defs, "", "v1");
    expect(list?.resources.map((r) => r.name)).toEqual([
      "configmaps",
      "events",
      "limitranges",
      "namespaces",
      "namespaces/finalize",
      "namespaces/status",
      "resourcequotas",
      "resourcequotas/status",
      "secrets",
      "serviceaccounts",
      "serviceaccounts/token",
    ]);
    const token = list?.resources.find((r) => r.name === "serviceaccounts/token");
    expect(token).toMatchObject({
      group: "authentication.k8s.io",
      version: "v1",
      kind: "TokenRequest",
      verbs: ["create"],
      namespaced: true,
    });
  });

  test("groups come in kube-apiserver's priority order", () => {
    expect(apiGroupList(defs).groups.map((g) => g.name)).toEqual([
      "apiregistration.k8s.io",
      "events.k8s.io",
      "authentication.k8s.io",
      "authorization.k8s.io",
      "certificates.k8s.io",
      "rbac.authorization.k8s.io",
      "apiextensions.k8s.io",
      "coordination.k8s.io",
    ]);
  });
});

// ---- core/v1 ----

describe("ConfigMap", () => {
  const cm = def("configmaps");

  test("valid data and binaryData", () => {
    expect(create(cm, obj({ data: { "app.conf": "x=1" }, binaryData: { blob: b64("\u0000\u0001") } })).errs).toEqual(
      [],
    );
  });

  test("bad keys, a key in both maps, and the size limit", () => {
    const { errs } = create(cm, obj({ data: { "a b": "1", dup: "2" }, binaryData: { dup: b64("3") } }));
    expect(errs).toEqual([
      `data[a b]: Invalid value: "a b": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
      'data[dup]: Invalid value: "dup": duplicate of key present in binaryData',
    ]);
    const big = "x".repeat(1024 * 1024);
    expect(create(cm, obj({ data: { a: big, b: "y" } })).errs).toEqual([
      "[]: Too long: may not be more than 1048576 bytes",
    ]);
    expect(create(cm, obj({ data: { a: big } })).errs).toEqual([]);
  });

  test("binaryData must be base64 and data strings (400s, as kube's decoder)", () => {
    expect(badRequest(() => create(cm, obj({ binaryData: { a: "YWJj!" } })))).toBe(
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: illegal base64 data at input byte 4',
    );
    expect(badRequest(() => create(cm, obj({ binaryData: { a: "YWJ" } })))).toBe(
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: illegal base64 data at input byte 0',
    );
    expect(badRequest(() => create(cm, obj({ data: { a: 1 } })))).toBe(
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ConfigMap.data of type string',
    );
  });

  test("binaryData comes back in canonical base64", () => {
    expect(create(cm, obj({ binaryData: { a: "YW\nJj" } })).obj.binaryData).toEqual({ a: "YWJj" });
  });

  test("immutable freezes data, binaryData and the flag", () => {
    const old = obj({ immutable: true, data: { a: "1" } });
    expect(update(cm, obj({ immutable: true, data: { a: "1" } }), old).errs).toEqual([]);
    expect(update(cm, obj({ immutable: true, data: { a: "2" } }), old).errs).toEqual([
      "data: Forbidden: field is immutable when `immutable` is set",
    ]);
    expect(update(cm, obj({ data: { a: "1" }, binaryData: { b: b64("x") } }), old).errs).toEqual([
      "immutable: Forbidden: field is immutable when `immutable` is set",
      "binaryData: Forbidden: field is immutable when `immutable` is set",
    ]);
    // Not yet immutable: anything goes.
    expect(update(cm, obj({ immutable: true, data: { a: "2" } }), obj({ data: { a: "1" } })).errs).toEqual([]);
  });
});

describe("Secret", () => {
  const secret = def("secrets");

  test("stringData is folded into data and dropped; type defaults to Opaque", () => {
    const { obj: o, errs } = create(secret, obj({ data: { a: b64("1") }, stringData: { user: "admin", a: "2" } }));
    expect(errs).toEqual([]);
    expect(o.data).toEqual({ a: b64("2"), user: b64("admin") });
    expect(o.stringData).toBeUndefined();
    expect(o.type).toBe("Opaque");
  });

  test("per-type required keys", () => {
    expect(create(secret, obj({ type: "kubernetes.io/tls", data: {} })).errs).toEqual([
      "data[tls.crt]: Required value",
      "data[tls.key]: Required value",
    ]);
    expect(
      create(secret, obj({ type: "kubernetes.io/tls", stringData: { "tls.crt": "c", "tls.key": "k" } })).errs,
    ).toEqual([]);
    expect(create(secret, obj({ type: "kubernetes.io/service-account-token" })).errs).toEqual([
      "metadata.annotations[kubernetes.io/service-account.name]: Required value",
    ]);
    expect(
      create(
        secret,
        obj(
          { type: "kubernetes.io/service-account-token" },
          { annotations: { "kubernetes.io/service-account.name": "default" } },
        ),
      ).errs,
    ).toEqual([]);
    expect(create(secret, obj({ type: "kubernetes.io/basic-auth" })).errs).toEqual([
      "data[username]: Required value",
      "data[password]: Required value",
    ]);
    expect(create(secret, obj({ type: "kubernetes.io/basic-auth", stringData: { password: "" } })).errs).toEqual([]);
    expect(create(secret, obj({ type: "kubernetes.io/ssh-auth", stringData: { "ssh-privatekey": "" } })).errs).toEqual([
      "data[ssh-privatekey]: Required value",
    ]);
    expect(create(secret, obj({ type: "kubernetes.io/dockerconfigjson" })).errs).toEqual([
      "data[.dockerconfigjson]: Required value",
    ]);
    expect(
      create(secret, obj({ type: "kubernetes.io/dockerconfigjson", stringData: { ".dockerconfigjson": "nope" } })).errs,
    ).toEqual([
      `data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": invalid character 'n' looking for beginning of value`,
    ]);
    expect(
      create(
        secret,
        obj({ type: "kubernetes.io/dockerconfigjson", stringData: { ".dockerconfigjson": '{"auths":{}}' } }),
      ).errs,
    ).toEqual([]);
  });

  test("size is counted on decoded bytes", () => {
    const big = Buffer.alloc(1024 * 1024 + 1).toString("base64");
    expect(create(secret, obj({ data: { a: big } })).errs).toEqual([
      "data: Too long: may not be more than 1048576 bytes",
    ]);
  });

  test("type never changes; immutable freezes data", () => {
    const old = obj({ type: "Opaque", immutable: true, data: { a: b64("1") } });
    expect(
      update(
        secret,
        obj({ type: "kubernetes.io/tls", immutable: true, data: { a: b64("1"), "tls.crt": "", "tls.key": "" } }),
        old,
      ).errs,
    ).toEqual([
      'type: Invalid value: "kubernetes.io/tls": field is immutable',
      "data: Forbidden: field is immutable when `immutable` is set",
    ]);
    // An update without a type gets the default, which matches.
    expect(update(secret, obj({ immutable: true, data: { a: b64("1") } }), old).errs).toEqual([]);
  });

  test("field selector on type", () => {
    expect(secret.selectableFields?.type?.(obj({ type: "kubernetes.io/tls" }))).toBe("kubernetes.io/tls");
  });
});

describe("Namespace", () => {
  const ns = def("namespaces");
  const nsObj = (body: Record<string, unknown> = {}, meta: Record<string, unknown> = {}) =>
    ({ metadata: { name: "team-a", ...meta }, ...body }) as KObject;

  test("born Active, with the kubernetes finalizer and its name label", () => {
    const { obj: o, errs } = create(
      ns,
      nsObj({ spec: { finalizers: ["example.com/cleanup"] }, status: { phase: "Terminating" } }),
    );
    expect(errs).toEqual([]);
    expect(o.spec).toEqual({ finalizers: ["example.com/cleanup", "kubernetes"] });
    expect(o.status).toEqual({ phase: "Active" });
    expect(o.metadata.labels).toEqual({ "kubernetes.io/metadata.name": "team-a" });
    expect(create(ns, nsObj()).obj.spec).toEqual({ finalizers: ["kubernetes"] });
  });

  test("finalizer names", () => {
    expect(create(ns, nsObj({ spec: { finalizers: ["foo", "bad/name/x"] } })).errs).toEqual([
      'spec.finalizers: Invalid value: "foo": name is neither a standard finalizer name nor is it fully qualified',
      `spec.finalizers: Invalid value: "bad/name/x": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ]);
  });

  test("a main-resource update changes neither spec nor status, and the label follows the name", () => {
    const old = nsObj(
      { spec: { finalizers: ["kubernetes"] }, status: { phase: "Active" } },
      { labels: { "kubernetes.io/metadata.name": "team-a" } },
    );
    const { obj: o } = update(
      ns,
      nsObj({ spec: { finalizers: [] }, status: { phase: "Terminating" } }, { labels: { env: "prod" } }),
      old,
    );
    expect(o.spec).toEqual({ finalizers: ["kubernetes"] });
    expect(o.status).toEqual({ phase: "Active" });
    expect(o.metadata.labels).toEqual({ env: "prod", "kubernetes.io/metadata.name": "team-a" });
  });

  test("/status: phase must agree with deletion", () => {
    const old = nsObj({ spec: { finalizers: ["kubernetes"] }, status: { phase: "Active" } });
    const r = statusUpdate(ns, nsObj({ spec: { finalizers: [] }, status: { phase: "Terminating" } }), old);
    expect(r.obj.spec).toEqual({ finalizers: ["kubernetes"] });
    expect(r.errs).toEqual([
      "status.Phase: Invalid value: \"Terminating\": may only be 'Active' if `deletionTimestamp` is empty",
    ]);
    expect(
      statusUpdate(ns, nsObj({ status: { phase: "Terminating" } }, { deletionTimestamp: "2024-01-01T00:00:00Z" }), old)
        .errs,
    ).toEqual([]);
  });

  test("/finalize: spec from the request, status kept, finalizers checked with their index", () => {
    const old = nsObj({ spec: { finalizers: ["kubernetes"] }, status: { phase: "Terminating" } });
    const r = subUpdate(ns, "finalize", nsObj({ spec: { finalizers: [] }, status: { phase: "Active" } }), old);
    expect(r.obj.spec).toEqual({ finalizers: [] });
    expect(r.obj.status).toEqual({ phase: "Terminating" });
    expect(r.errs).toEqual([]);
    expect(subUpdate(ns, "finalize", nsObj({ spec: { finalizers: ["kubernetes", "nope"] } }), old).errs).toEqual([
      'spec.finalizers[1]: Invalid value: "nope": name is neither a standard finalizer name nor is it fully qualified',
    ]);
  });

  test("field selectors status.phase and name", () => {
    const o = nsObj({ status: { phase: "Active" } });
    expect(ns.selectableFields?.["status.phase"]?.(o)).toBe("Active");
    expect(ns.selectableFields?.name?.(o)).toBe("team-a");
  });
});

describe("ServiceAccount", () => {
  const sa = def("serviceaccounts");

  test("secret references keep only their names", () => {
    const { obj: o, errs } = create(
      sa,
      obj({ secrets: [{ name: "tok", namespace: "other", uid: "1" }], automountServiceAccountToken: false }),
    );
    expect(errs).toEqual([]);
    expect(o.secrets).toEqual([{ name: "tok" }]);
  });

  test("types are checked at decode", () => {
    expect(badRequest(() => create(sa, obj({ automountServiceAccountToken: "yes" })))).toBe(
      'ServiceAccount in version "v1" cannot be handled as a ServiceAccount: json: cannot unmarshal string into Go struct field ServiceAccount.automountServiceAccountToken of type bool',
    );
  });

  test("setting enforce-mountable-secrets warns", () => {
    const c = ctx();
    create(sa, obj({}, { annotations: { "kubernetes.io/enforce-mountable-secrets": "true" } }), c);
    expect(c.warnings).toEqual([
      "metadata.annotations[kubernetes.io/enforce-mountable-secrets]: deprecated in v1.32+; prefer separate namespaces to isolate access to mounted secrets",
    ]);
  });
});

describe("Event (core/v1)", () => {
  const ev = def("events");

  test("old-style events: namespaces must agree", () => {
    expect(
      create(ev, obj({ involvedObject: { kind: "Pod", name: "p", namespace: "default" }, reason: "Started" })).errs,
    ).toEqual([]);
    expect(create(ev, obj({ involvedObject: { kind: "Pod", name: "p", namespace: "other" } })).errs).toEqual([
      'involvedObject.namespace: Invalid value: "other": does not match event.namespace',
    ]);
    // A cluster-scoped object's events live in "default".
    expect(create(ev, obj({ involvedObject: { kind: "Node", name: "n" } })).errs).toEqual([]);
  });

  test("new-style events need the reporting fields, named as core/v1 names them", () => {
    const { errs } = create(
      ev,
      obj({
        involvedObject: { kind: "Pod", name: "p", namespace: "default" },
        eventTime: "2024-05-06T07:08:09.123456Z",
      }),
    );
    // kube also runs the qualified-name check on the empty value, hence three complaints about it.
    expect(errs.filter((e) => !e.startsWith("reportingComponent: Invalid value"))).toEqual([
      "reportingComponent: Required value",
      "reportingInstance: Required value",
      "action: Required value",
      "reason: Required value",
    ]);
    expect(errs.filter((e) => e.startsWith("reportingComponent: Invalid value"))).toHaveLength(2);
  });

  test("timestamps come back as kube writes them", () => {
    const { obj: o } = create(
      ev,
      obj({ involvedObject: { namespace: "default" }, firstTimestamp: "2024-05-06T09:08:09.5+02:00", eventTime: null }),
    );
    expect(o.firstTimestamp).toBe("2024-05-06T07:08:09Z");
    expect(badRequest(() => create(ev, obj({ lastTimestamp: "yesterday" })))).toBe(
      'Event in version "v1" cannot be handled as a Event: parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"',
    );
  });

  test("the field selectors kubectl describe sends", () => {
    const o = obj({
      involvedObject: {
        kind: "ConfigMap",
        name: "c",
        namespace: "default",
        uid: "u-9",
        apiVersion: "v1",
        resourceVersion: "7",
        fieldPath: "",
      },
      reason: "Synced",
      type: "Normal",
      reportingComponent: "ctrl",
    });
    const f = ev.selectableFields ?? {};
    expect(f["involvedObject.kind"]?.(o)).toBe("ConfigMap");
    expect(f["involvedObject.uid"]?.(o)).toBe("u-9");
    expect(f["involvedObject.namespace"]?.(o)).toBe("default");
    expect(f["involvedObject.resourceVersion"]?.(o)).toBe("7");
    expect(f.reason?.(o)).toBe("Synced");
    expect(f.type?.(o)).toBe("Normal");
    // source falls back to the reporting controller.
    expect(f.source?.(o)).toBe("ctrl");
    expect(f.source?.(obj({ source: { component: "kubelet" } }))).toBe("kubelet");
    expect(Object.keys(f).sort()).toEqual([
      "involvedObject.apiVersion",
      "involvedObject.fieldPath",
      "involvedObject.kind",
      "involvedObject.name",
      "involvedObject.namespace",
      "involvedObject.resourceVersion",
      "involvedObject.uid",
      "reason",
      "reportingComponent",
      "source",
      "type",
    ]);
  });
});

describe("LimitRange", () => {
  const lr = def("limitranges");

  test("quantities are canonicalised and ordered", () => {
    const { obj: o, errs } = create(
      lr,
      obj({ spec: { limits: [{ type: "Container", max: { cpu: "2000m", memory: "1.5Gi" }, min: { cpu: "100m" } }] } }),
    );
    expect(errs).toEqual([]);
    expect((o.spec as { limits: Record<string, unknown>[] }).limits[0]?.max).toEqual({ cpu: "2", memory: "1536Mi" });
    expect(
      create(lr, obj({ spec: { limits: [{ type: "Container", max: { cpu: "1" }, min: { cpu: "2" } }] } })).errs,
    ).toEqual(['spec.limits[0].min[cpu]: Invalid value: "2": min value 2 is greater than max value 1']);
  });

  test("types and Pod-level defaults", () => {
    expect(
      create(
        lr,
        obj({ spec: { limits: [{ type: "Pod", default: { cpu: "1" } }, { type: "Pod" }, { type: "Bogus" }] } }),
      ).errs,
    ).toEqual([
      "spec.limits[0].default: Forbidden: may not be specified when `type` is 'Pod'",
      'spec.limits[1].type: Duplicate value: "Pod"',
      'spec.limits[2].type: Invalid value: "Bogus": must be a standard limit type or fully qualified',
    ]);
  });
});

describe("ResourceQuota", () => {
  const rq = def("resourcequotas");

  test("status is the controller's: reset on create, kept on update", () => {
    const { obj: o, errs } = create(
      rq,
      obj({ spec: { hard: { pods: "10", "requests.cpu": "1000m" } }, status: { used: { pods: "3" } } }),
    );
    expect(errs).toEqual([]);
    expect(o.status).toEqual({});
    expect(o.spec).toEqual({ hard: { pods: "10", "requests.cpu": "1" } });
    const old = obj({ spec: { hard: { pods: "10" } }, status: { used: { pods: "3" } } });
    expect(update(rq, obj({ spec: { hard: { pods: "5" } }, status: {} }), old).obj.status).toEqual({
      used: { pods: "3" },
    });
    const s = statusUpdate(
      rq,
      obj({ spec: { hard: { pods: "1" } }, status: { hard: { pods: "10" }, used: { pods: "4" } } }),
      old,
    );
    expect(s.obj.spec).toEqual({ hard: { pods: "10" } });
    expect(s.errs).toEqual([]);
  });

  test("resource names and values", () => {
    expect(
      create(rq, obj({ spec: { hard: { pods: "1.5", cpu: "-1", foo: "1", "count/deployments.apps": "2" } } })).errs,
    ).toEqual([
      'spec.hard[pods]: Invalid value: "1500m": must be an integer',
      'spec.hard[cpu]: Invalid value: "-1": must be greater than or equal to 0',
      'spec.hard[foo]: Invalid value: "foo": must be a standard resource type or fully qualified',
      'spec.hard[foo]: Invalid value: "foo": must be a standard resource for quota',
    ]);
    expect(badRequest(() => create(rq, obj({ spec: { hard: { pods: "ten" } } })))).toBe(
      `ResourceQuota in version "v1" cannot be handled as a ResourceQuota: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
    );
  });

  test("scopes", () => {
    expect(create(rq, obj({ spec: { hard: { pods: "1" }, scopes: ["BestEffort", "NotBestEffort"] } })).errs).toEqual([
      'spec.scopes: Invalid value: []core.ResourceQuotaScope{"BestEffort", "NotBestEffort"}: conflicting scopes',
    ]);
    expect(create(rq, obj({ spec: { hard: { cpu: "1" }, scopes: ["BestEffort"] } })).errs).toEqual([
      'spec.scopes: Invalid value: []core.ResourceQuotaScope{"BestEffort"}: unsupported scope applied to resource',
    ]);
    const old = obj({ spec: { hard: { pods: "1" }, scopes: ["Terminating"] } });
    expect(update(rq, obj({ spec: { hard: { pods: "1" } } }), old).errs).toEqual([
      "spec.scopes: Invalid value: []core.ResourceQuotaScope(nil): field is immutable",
    ]);
  });
});

// ---- other groups ----

describe("events.k8s.io Event", () => {
  const ev = def("events", "events.k8s.io");
  const good = {
    regarding: { kind: "Pod", name: "p", namespace: "default" },
    reason: "Started",
    note: "started container",
    type: "Normal",
    action: "Start",
    reportingController: "example.com/ctrl",
    reportingInstance: "ctrl-1",
    eventTime: "2024-01-02T03:04:05.123456+01:00",
  };

  test("a new-style event passes, with its time in UTC", () => {
    const { obj: o, errs } = create(ev, obj(good));
    expect(errs).toEqual([]);
    expect(o.eventTime).toBe("2024-01-02T02:04:05.123456Z");
  });

  test("strict rules for events.k8s.io", () => {
    const { eventTime: _t, ...noTime } = good;
    expect(create(ev, obj({ ...noTime, type: "Bogus", deprecatedCount: 3 })).errs).toEqual([
      "eventTime: Required value",
      'type: Invalid value: "": has invalid value: Bogus',
      'deprecatedCount: Invalid value: "": needs to be unset',
    ]);
    const empty = create(ev, obj({ ...good, reportingController: "" })).errs;
    expect(empty.slice(0, 2)).toEqual([
      "reportingController: Required value",
      'reportingController: Invalid value: "": name part must be non-empty',
    ]);
    expect(badRequest(() => create(ev, obj({ ...good, eventTime: "2024-01-02T03:04:05Z" })))).toBe(
      'Event in version "v1" cannot be handled as a Event: parsing time "2024-01-02T03:04:05Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse "Z" as ".000000"',
    );
  });

  test("updates may grow a series but change nothing else", () => {
    const old = create(ev, obj(good)).obj;
    const series = {
      ...structuredClone(old),
      series: { count: 2, lastObservedTime: "2024-01-02T02:05:00.000000Z" },
    } as KObject;
    expect(update(ev, series, old).errs).toEqual([]);
    expect(update(ev, { ...structuredClone(old), note: "changed" } as KObject, old).errs).toEqual([
      'message: Invalid value: "changed": field is immutable',
    ]);
    expect(update(ev, { ...structuredClone(old), series: { count: 1 } } as KObject, old).errs).toEqual([
      'series.count: Invalid value: "": should be at least 2',
      "series.lastObservedTime: Required value",
    ]);
  });

  test("field selectors on regarding.*", () => {
    const f = ev.selectableFields ?? {};
    expect(Object.keys(f).sort()).toEqual([
      "reason",
      "regarding.apiVersion",
      "regarding.fieldPath",
      "regarding.kind",
      "regarding.name",
      "regarding.namespace",
      "regarding.resourceVersion",
      "regarding.uid",
      "reportingController",
      "type",
    ]);
    expect(f["regarding.name"]?.(obj(good))).toBe("p");
  });
});

describe("Lease", () => {
  const lease = def("leases", "coordination.k8s.io");

  test("valid lease with MicroTime fields", () => {
    const { obj: o, errs } = create(
      lease,
      obj({
        spec: {
          holderIdentity: "me",
          leaseDurationSeconds: 15,
          renewTime: "2024-01-01T00:00:00.000001Z",
          strategy: "OldestEmulationVersion",
        },
      }),
    );
    expect(errs).toEqual([]);
    // The alpha CoordinatedLeaderElection fields are dropped, as on a 1.32 server.
    expect(o.spec).toEqual({
      holderIdentity: "me",
      leaseDurationSeconds: 15,
      renewTime: "2024-01-01T00:00:00.000001Z",
    });
    expect(create(lease, obj({})).obj.spec).toEqual({});
  });

  test("bad values", () => {
    expect(create(lease, obj({ spec: { leaseDurationSeconds: 0, leaseTransitions: -1 } })).errs).toEqual([
      "spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0",
      "spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0",
    ]);
    expect(badRequest(() => create(lease, obj({ spec: { leaseDurationSeconds: "15" } })))).toBe(
      'Lease in version "v1" cannot be handled as a Lease: json: cannot unmarshal string into Go struct field LeaseSpec.spec.leaseDurationSeconds of type int32',
    );
    expect(badRequest(() => create(lease, obj({ spec: { leaseDurationSeconds: 1.5 } })))).toBe(
      'Lease in version "v1" cannot be handled as a Lease: json: cannot unmarshal number 1.5 into Go struct field LeaseSpec.spec.leaseDurationSeconds of type int32',
    );
  });
});

describe("RBAC", () => {
  const G = "rbac.authorization.k8s.io";
  const role = def("roles", G);
  const clusterRole = def("clusterroles", G);
  const rb = def("rolebindings", G);
  const crb = def("clusterrolebindings", G);

  test("rules", () => {
    expect(create(role, obj({ rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }] })).errs).toEqual([]);
    expect(create(role, obj({ rules: [{ apiGroups: [""], resources: ["pods"] }, { verbs: ["get"] }] })).errs).toEqual([
      "rules[0].verbs: Required value: verbs must contain at least one value",
      "rules[1].apiGroups: Required value: resource rules must supply at least one api group",
      "rules[1].resources: Required value: resource rules must supply at least one resource",
    ]);
    expect(create(role, obj({ rules: [{ verbs: ["get"], nonResourceURLs: ["/healthz"] }] })).errs).toEqual([
      'rules[0].nonResourceURLs: Invalid value: []string{"/healthz"}: namespaced rules cannot apply to non-resource URLs',
    ]);
    expect(
      create(clusterRole, obj({ rules: [{ verbs: ["get"], nonResourceURLs: ["/healthz"] }] }, { namespace: undefined }))
        .errs,
    ).toEqual([]);
    expect(create(role, obj({})).obj.rules).toBeNull();
  });

  test("aggregation rules", () => {
    expect(create(clusterRole, obj({ aggregationRule: {} }, { namespace: undefined })).errs).toEqual([
      "aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if aggregationRule is non-nil",
    ]);
    expect(
      create(
        clusterRole,
        obj(
          { aggregationRule: { clusterRoleSelectors: [{ matchExpressions: [{ key: "a", operator: "In" }] }] } },
          { namespace: undefined },
        ),
      ).errs,
    ).toEqual([
      "aggregationRule.clusterRoleSelectors[0].matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
    ]);
  });

  test("bindings: defaults and roleRef", () => {
    const { obj: o, errs } = create(
      rb,
      obj({
        roleRef: { kind: "Role", name: "r" },
        subjects: [
          { kind: "User", name: "bob" },
          { kind: "ServiceAccount", name: "sa" },
        ],
      }),
    );
    expect(errs).toEqual([]);
    expect(o.roleRef).toEqual({ apiGroup: G, kind: "Role", name: "r" });
    expect(o.subjects).toEqual([
      { kind: "User", name: "bob", apiGroup: G },
      { kind: "ServiceAccount", name: "sa" },
    ]);
    expect(create(rb, obj({})).errs).toEqual([
      'roleRef.kind: Unsupported value: "": supported values: "Role", "ClusterRole"',
      "roleRef.name: Required value",
    ]);
    expect(
      create(
        crb,
        obj(
          {
            roleRef: { kind: "Role", name: "r" },
            subjects: [
              { kind: "ServiceAccount", name: "sa" },
              { kind: "Robot", name: "x" },
            ],
          },
          { namespace: undefined },
        ),
      ).errs,
    ).toEqual([
      'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
      "subjects[0].namespace: Required value",
      'subjects[1].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"',
    ]);
    expect(
      create(
        rb,
        obj({
          roleRef: { apiGroup: "x.io", kind: "Role", name: "r" },
          subjects: [{ kind: "ServiceAccount", name: "sa", apiGroup: G }],
        }),
      ).errs,
    ).toEqual([
      'roleRef.apiGroup: Unsupported value: "x.io": supported values: "rbac.authorization.k8s.io"',
      `subjects[0].apiGroup: Unsupported value: "rbac.authorization.k8s.io": supported values: ""`,
    ]);
  });

  test("roleRef cannot change", () => {
    const old = create(crb, obj({ roleRef: { kind: "ClusterRole", name: "edit" } }, { namespace: undefined })).obj;
    expect(
      update(crb, obj({ roleRef: { kind: "ClusterRole", name: "view" } }, { namespace: undefined }), old).errs,
    ).toEqual([
      'roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"view"}: cannot change roleRef',
    ]);
    // The defaulted apiGroup is no change.
    expect(
      update(
        crb,
        obj(
          { roleRef: { kind: "ClusterRole", name: "edit" }, subjects: [{ kind: "Group", name: "g" }] },
          { namespace: undefined },
        ),
        old,
      ).errs,
    ).toEqual([]);
  });
});

describe("CertificateSigningRequest", () => {
  const csr = def("certificatesigningrequests", "certificates.k8s.io");
  let requestPem = "";
  let certPem = "";

  beforeAll(async () => {
    const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
    const keys = await crypto.subtle.generateKey(alg, true, ["sign", "verify"]);
    requestPem = (
      await x509.Pkcs10CertificateRequestGenerator.create({ name: "CN=alice", keys, signingAlgorithm: alg })
    ).toString("pem");
    certPem = (
      await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: "01",
        name: "CN=alice",
        keys,
        signingAlgorithm: alg,
      })
    ).toString("pem");
  });

  const csrObj = (spec: Record<string, unknown>, status?: Record<string, unknown>) =>
    ({
      metadata: { name: "req" },
      spec: { request: b64(requestPem), signerName: "example.com/signer", usages: ["client auth"], ...spec },
      ...(status ? { status } : {}),
    }) as KObject;

  test("create stamps the requester and clears status", () => {
    const { obj: o, errs } = create(
      csr,
      csrObj(
        { username: "mallory", groups: ["system:masters"] },
        { conditions: [{ type: "Approved", status: "True" }] },
      ),
    );
    expect(errs).toEqual([]);
    expect(o.spec).toMatchObject({ username: "alice", uid: "u-1", groups: ["dev", "system:authenticated"] });
    expect(o.status).toEqual({});
  });

  test("spec validation", () => {
    const { errs } = create(csr, csrObj({ request: b64("--"), signerName: "", usages: [] }));
    expect(errs).toEqual([
      "spec.request: Invalid value: []byte{0x2d, 0x2d}: PEM block type must be CERTIFICATE REQUEST",
      "spec.usages: Required value",
      "spec.signerName: Required value",
    ]);
    const notDer = b64("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n");
    expect(create(csr, csrObj({ request: notDer })).errs[0]).toEndWith(": asn1: syntax error: trailing data");
    expect(
      create(csr, csrObj({ request: b64(certPem.replaceAll("CERTIFICATE", "CERTIFICATE REQUEST")) })).errs[0],
    ).toEndWith(": asn1: structure error: tags don't match");
    expect(
      create(
        csr,
        csrObj({ signerName: "nodomain", usages: ["client auth", "client auth", "flying"], expirationSeconds: 60 }),
      ).errs,
    ).toEqual([
      'spec.usages[2]: Unsupported value: "flying": supported values: "any", "cert sign", "client auth", "code signing", "content commitment", "crl sign", "data encipherment", "decipher only", "digital signature", "email protection", "encipher only", "ipsec end system", "ipsec tunnel", "ipsec user", "key agreement", "key encipherment", "microsoft sgc", "netscape sgc", "ocsp signing", "s/mime", "server auth", "signing", "timestamping"',
      'spec.usages[1]: Duplicate value: "client auth"',
      `spec.signerName: Invalid value: "nodomain": must be a fully qualified domain and path of the form 'example.com/signer-name'`,
      "spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 600 seconds (10 minutes)",
    ]);
  });

  test("the main resource changes neither spec nor status", () => {
    const old = create(csr, csrObj({})).obj;
    const { obj: o, errs } = update(
      csr,
      csrObj({ signerName: "other.io/x" }, { conditions: [{ type: "Approved", status: "True" }] }),
      old,
    );
    expect(errs).toEqual([]);
    expect(o.spec).toEqual(old.spec);
    expect(o.status).toEqual({});
  });

  test("/approval sets conditions only; Approved and Denied exclude each other", () => {
    const old = create(csr, csrObj({})).obj;
    const approve = {
      ...structuredClone(old),
      spec: { request: "" },
      status: { conditions: [{ type: "Approved", status: "True", reason: "KubectlApprove" }] },
    } as KObject;
    const r = subUpdate(csr, "approval", approve, old);
    expect(r.errs).toEqual([]);
    expect(r.obj.spec).toEqual(old.spec);
    const cond = (r.obj.status as { conditions: Record<string, unknown>[] }).conditions[0];
    expect(cond).toMatchObject({ type: "Approved", status: "True", reason: "KubectlApprove" });
    expect(cond?.lastUpdateTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const both = {
      ...structuredClone(old),
      status: {
        conditions: [
          { type: "Approved", status: "True" },
          { type: "Denied", status: "True" },
        ],
      },
    } as KObject;
    expect(subUpdate(csr, "approval", both, old).errs).toEqual([
      'status.conditions[1].type: Invalid value: "Denied": Approved and Denied conditions are mutually exclusive',
    ]);
    const falseApproved = {
      ...structuredClone(old),
      status: { conditions: [{ type: "Approved", status: "False" }] },
    } as KObject;
    expect(subUpdate(csr, "approval", falseApproved, old).errs).toEqual([
      'status.conditions[0].status: Unsupported value: "False": supported values: "True"',
    ]);
  });

  test("/status sets the certificate but may not approve", () => {
    const old = create(csr, csrObj({})).obj;
    const signed = { ...structuredClone(old), status: { certificate: b64(certPem) } } as KObject;
    expect(statusUpdate(csr, signed, old).errs).toEqual([]);
    const approving = {
      ...structuredClone(old),
      status: { conditions: [{ type: "Approved", status: "True" }] },
    } as KObject;
    expect(statusUpdate(csr, approving, old).errs).toEqual([
      'status.conditions: Forbidden: updates may not add a condition of type "Approved"',
    ]);
    const junk = { ...structuredClone(old), status: { certificate: b64("junk") } } as KObject;
    expect(statusUpdate(csr, junk, old).errs).toEqual([
      'status.certificate: Invalid value: "<certificate data>": must contain at least one CERTIFICATE PEM block',
    ]);
    // The main resource may not set it.
    expect(csr.strategy.validateUpdate?.(signed, old, ctx()).map(fieldErrorText)).toEqual([
      "status.certificate: Forbidden: updates may not set certificate content",
    ]);
  });

  test("field selector spec.signerName", () => {
    expect(csr.selectableFields?.["spec.signerName"]?.(csrObj({}))).toBe("example.com/signer");
  });
});

describe("APIService", () => {
  const svc = def("apiservices", "apiregistration.k8s.io");
  const local = (name: string, spec: Record<string, unknown>) =>
    ({
      metadata: { name },
      spec: { group: "example.com", version: "v1", groupPriorityMinimum: 1000, versionPriority: 15, ...spec },
    }) as KObject;

  test("a local APIService", () => {
    expect(create(svc, local("v1.example.com", {})).errs).toEqual([]);
    expect(
      create(svc, {
        metadata: { name: "v1." },
        spec: { version: "v1", groupPriorityMinimum: 18000, versionPriority: 1 },
      } as KObject).errs,
    ).toEqual([]);
  });

  test("names and priorities", () => {
    expect(create(svc, local("v2.example.com", { groupPriorityMinimum: 0, versionPriority: 1001 })).errs).toEqual([
      'metadata.name: Invalid value: "v2.example.com": must be `spec.version+"."+spec.group`: "v1.example.com"',
      "spec.groupPriorityMinimum: Invalid value: 0: must be positive and less than 20000",
      "spec.versionPriority: Invalid value: 1001: must be positive and less than 1000",
    ]);
    expect(create(svc, local("V1.example.com", { version: "V1" })).errs[0]).toStartWith(
      'spec.version: Invalid value: "V1": a DNS-1035 label must consist of',
    );
  });

  test("a service reference is defaulted and checked", () => {
    const { obj: o, errs } = create(svc, local("v1.example.com", { service: { name: "api" } }));
    expect(errs).toEqual(["spec.service.namespace: Required value"]);
    expect((o.spec as { service: unknown }).service).toEqual({ name: "api", port: 443 });
  });

  test("status writers may change only status", () => {
    const old = create(svc, local("v1.example.com", {})).obj;
    const r = statusUpdate(
      svc,
      {
        ...local("v1.example.com", { versionPriority: 99 }),
        metadata: { name: "v1.example.com", labels: { a: "b" } },
        status: { conditions: [{ type: "Available", status: "Maybe" }] },
      } as KObject,
      old,
    );
    expect(r.obj.spec).toEqual(old.spec);
    expect(r.obj.metadata.labels).toBeUndefined();
    expect(r.errs).toEqual([
      'status.conditions[0].status: Unsupported value: "Maybe": supported values: "True", "False", "Unknown"',
    ]);
  });
});

describe("CustomResourceDefinition", () => {
  const crd = def("customresourcedefinitions", "apiextensions.k8s.io");
  const widget = (over: Record<string, unknown> = {}, name = "widgets.example.com") =>
    ({
      metadata: { name },
      spec: {
        group: "example.com",
        scope: "Namespaced",
        names: { plural: "widgets", kind: "Widget" },
        versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object" } } }],
        ...over,
      },
    }) as KObject;

  test("defaults, status and stored versions", () => {
    const { obj: o, errs } = create(crd, widget());
    expect(errs).toEqual([]);
    expect((o.spec as { names: unknown }).names).toEqual({
      plural: "widgets",
      kind: "Widget",
      singular: "widget",
      listKind: "WidgetList",
    });
    expect((o.spec as { conversion: unknown }).conversion).toEqual({ strategy: "None" });
    expect(o.status).toEqual({ acceptedNames: { plural: "", kind: "" }, storedVersions: ["v1"] });
  });

  test("basic shape", () => {
    expect(create(crd, widget({ group: "", scope: "Galaxy", versions: [] }, "widgets.")).errs).toEqual([
      "spec.group: Required value",
      'spec.scope: Unsupported value: "Galaxy": supported values: "Cluster", "Namespaced"',
      "spec.versions: Invalid value: []apiextensions.CustomResourceDefinitionVersion{}: must have exactly one version marked as storage version",
      "spec.versions: Required value: must have at least one version",
      "status.storedVersions: Invalid value: []string{}: must have at least one stored version",
    ]);
    expect(create(crd, widget({}, "gadgets.example.com")).errs).toEqual([
      'metadata.name: Invalid value: "gadgets.example.com": must be spec.names.plural+"."+spec.group',
    ]);
    expect(create(crd, widget({ group: "example" }, "widgets.example")).errs).toEqual([
      'spec.group: Invalid value: "example": should be a domain with at least one dot',
    ]);
    expect(create(crd, widget({ versions: [{ name: "v1", served: true, storage: true }] })).errs).toEqual([
      "spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required",
    ]);
  });

  test("a new storage version is recorded; group and plural never change", () => {
    const old = create(crd, widget()).obj;
    const v2 = widget({
      versions: [
        { name: "v1", served: true, storage: false, schema: { openAPIV3Schema: { type: "object" } } },
        { name: "v2", served: true, storage: true, schema: { openAPIV3Schema: { type: "object" } } },
      ],
    });
    const r = update(crd, v2, old);
    expect(r.errs).toEqual([]);
    expect((r.obj.status as { storedVersions: string[] }).storedVersions).toEqual(["v1", "v2"]);
    expect(update(crd, widget({ group: "example.org" }), old).errs).toContain(
      'spec.group: Invalid value: "example.org": field is immutable',
    );
  });
});

// ---- review APIs ----

describe("review APIs", () => {
  const call = (plural: string, group: string, body: Record<string, unknown>, c = ctx()) => {
    const d = def(plural, group);
    return d.handleCreate?.({ metadata: {}, ...body } as KObject, c) as KObject;
  };
  const AUTHZ = "authorization.k8s.io";

  test("TokenReview authenticates spec.token", async () => {
    const ok = await call("tokenreviews", "authentication.k8s.io", {
      spec: { token: "good-token", audiences: ["api"] },
    });
    expect(ok).toEqual({
      kind: "TokenReview",
      apiVersion: "authentication.k8s.io/v1",
      metadata: { creationTimestamp: null },
      spec: { token: "good-token", audiences: ["api"] },
      status: {
        authenticated: true,
        user: { username: "alice", uid: "u-1", groups: ["dev", "system:authenticated"] },
        audiences: ["api"],
      },
    } as unknown as KObject);
    const bad = await call("tokenreviews", "authentication.k8s.io", { spec: { token: "nope" } });
    expect(bad.status).toEqual({ user: {}, error: "invalid bearer token" });
    const missing = await Promise.resolve(call("tokenreviews", "authentication.k8s.io", { spec: {} })).catch(
      (e: unknown) => e,
    );
    expect(missing instanceof StatusError && missing.code === 400 ? missing.message : missing).toBe(
      "token is required for TokenReview in authentication",
    );
  });

  test("SelfSubjectReview answers with the caller", () => {
    const r = call("selfsubjectreviews", "authentication.k8s.io", {});
    expect(r.kind).toBe("SelfSubjectReview");
    expect(r.status).toEqual({ userInfo: { username: "alice", uid: "u-1", groups: ["dev", "system:authenticated"] } });
    expect(r.metadata.creationTimestamp).toMatch(/Z$/);
  });

  test("SubjectAccessReview asks the authorizer about spec's subject", () => {
    asked.length = 0;
    const r = call("subjectaccessreviews", AUTHZ, {
      spec: {
        user: "bob",
        groups: ["g"],
        resourceAttributes: {
          namespace: "default",
          verb: "get",
          group: "",
          version: "",
          resource: "pods",
          subresource: "",
          name: "",
        },
      },
    });
    expect(asked).toEqual([
      {
        user: { username: "bob", uid: undefined, groups: ["g"], extra: undefined },
        cluster: "root",
        resourceRequest: true,
        verb: "get",
        namespace: "default",
        group: "",
        version: "*",
        resource: "pods",
        subresource: "",
        name: "",
      },
    ]);
    expect(r.spec).toEqual({
      user: "bob",
      groups: ["g"],
      resourceAttributes: { namespace: "default", verb: "get", resource: "pods" },
    });
    expect(r.status).toEqual({ allowed: true, reason: "allowed by test" });
    const denied = call("subjectaccessreviews", AUTHZ, {
      spec: { user: "bob", nonResourceAttributes: { path: "/x", verb: "escalate" } },
    });
    expect(denied.status).toEqual({ allowed: false, denied: true, reason: "never" });
  });

  test("SubjectAccessReview validation", () => {
    const e = invalidError(() => call("subjectaccessreviews", AUTHZ, { spec: {} }));
    expect(e.details?.causes?.map((c) => `${c.field}: ${c.message}`)).toEqual([
      "spec.resourceAttributes: Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified",
      'spec.user: Invalid value: "": at least one of user or group must be specified',
    ]);
    const both = invalidError(() =>
      call("subjectaccessreviews", AUTHZ, { spec: { user: "u", resourceAttributes: {}, nonResourceAttributes: {} } }),
    );
    expect(both.details?.causes?.map((c) => c.field)).toEqual(["spec.nonResourceAttributes"]);
    const meta = invalidError(() =>
      call("subjectaccessreviews", AUTHZ, { metadata: { name: "x" }, spec: { user: "u", nonResourceAttributes: {} } }),
    );
    expect(meta.details?.causes?.[0]?.message).toEndWith("must be empty");
  });

  test("SelfSubjectAccessReview uses the caller", () => {
    asked.length = 0;
    const r = call("selfsubjectaccessreviews", AUTHZ, {
      spec: { nonResourceAttributes: { path: "/healthz", verb: "get" } },
    });
    expect(asked[0]).toEqual({ user: alice, cluster: "root", resourceRequest: false, verb: "get", path: "/healthz" });
    expect(r.status).toEqual({ allowed: true, reason: "allowed by test" });
  });

  test("LocalSubjectAccessReview is bound to the URL namespace", () => {
    const c = ctx({ namespace: "team" });
    const r = call(
      "localsubjectaccessreviews",
      AUTHZ,
      { spec: { user: "u", resourceAttributes: { namespace: "team", verb: "list", resource: "secrets" } } },
      c,
    );
    expect(r.metadata as unknown).toEqual({ namespace: "team", creationTimestamp: null });
    expect(r.status).toMatchObject({ allowed: true });
    const e = invalidError(() =>
      call(
        "localsubjectaccessreviews",
        AUTHZ,
        { spec: { user: "u", resourceAttributes: { namespace: "other", verb: "list" } } },
        c,
      ),
    );
    expect(e.details?.causes?.map((x) => `${x.field}: ${x.message}`)).toEqual([
      'spec.resourceAttributes.namespace: Invalid value: "other": must match metadata.namespace',
    ]);
    expect(
      badRequest(() => call("localsubjectaccessreviews", AUTHZ, { metadata: { namespace: "x" }, spec: {} }, c)),
    ).toBe("the namespace of the provided object does not match the namespace sent on the request");
  });

  test("SelfSubjectRulesReview lists the caller's rules", () => {
    const r = call("selfsubjectrulesreviews", AUTHZ, { spec: { namespace: "team" } });
    expect(r).toEqual({
      kind: "SelfSubjectRulesReview",
      apiVersion: "authorization.k8s.io/v1",
      metadata: { creationTimestamp: null },
      spec: {},
      status: {
        resourceRules: [
          { verbs: ["get", "list"], apiGroups: [""], resources: ["configmaps"] },
          { verbs: ["*"], apiGroups: ["*"], resources: ["*"], resourceNames: ["team"] },
        ],
        nonResourceRules: [{ verbs: ["get"], nonResourceURLs: ["/healthz"] }],
        incomplete: false,
      },
    } as unknown as KObject);
    expect(badRequest(() => call("selfsubjectrulesreviews", AUTHZ, { spec: {} }))).toBe("no namespace on request");
  });
});
