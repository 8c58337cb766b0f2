// The scenarios of Kubernetes' CustomResourceDefinition conformance tests, end to end against a
// real `kcp start`: creating, listing (label selectors, deletecollection) and deleting CRDs; the
// CRD's own status subresource; defaulting on requests and from storage; discovery of a CRD's API
// (legacy and aggregated) and its removal; watches on custom resources; OpenAPI v3 and v2
// publishing (preserve-unknown-fields, several versions, groups and kinds, a renamed version, a
// version no longer served); and deleting a CRD that still has 1,000 custom resources.
import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { stringify as stringifyYaml } from "yaml";
import { api, type KcpProcess, kubectl, type KubectlOptions, useKcp } from "../helpers/kcp-process.ts";
import { parseTable } from "../helpers/kubectl-table.ts";
import { WatchStream } from "../helpers/watch-stream.ts";

type Obj = Record<string, any>;

let kcp: KcpProcess;

useKcp((k) => (kcp = k));

const CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
const AGGREGATED_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
const AGGREGATED_V2BETA1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";
/** The verbs kube's apiextensions-apiserver lists for a custom resource, in its order. */
const CR_VERBS = ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"];
const ALLOW_ALL = { type: "object", "x-kubernetes-preserve-unknown-fields": true };

/** Poll `fn` until it returns something other than undefined, or fail after `ms`. */
async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(25);
  }
}

async function json(path: string, init: RequestInit = {}): Promise<{ status: number; body: Obj; headers: Headers }> {
  const r = await api(kcp, path, init);
  const text = await r.text();
  return { status: r.status, body: text ? (JSON.parse(text) as Obj) : {}, headers: r.headers };
}

function send(method: string, path: string, body: unknown, contentType = "application/json") {
  return json(path, { method, headers: { "Content-Type": contentType }, body: JSON.stringify(body) });
}

interface CRDOptions {
  group: string;
  plural: string;
  kind: string;
  scope?: "Namespaced" | "Cluster";
  /** Version names; the first is the storage version. */
  versions?: string[];
  schema?: Obj;
  shortNames?: string[];
  categories?: string[];
  labels?: Record<string, string>;
  subresources?: Obj;
}

function crd(o: CRDOptions): Obj {
  const versions = o.versions ?? ["v1"];
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${o.plural}.${o.group}`, ...(o.labels ? { labels: o.labels } : {}) },
    spec: {
      group: o.group,
      scope: o.scope ?? "Namespaced",
      names: {
        plural: o.plural,
        singular: o.kind.toLowerCase(),
        kind: o.kind,
        listKind: `${o.kind}List`,
        ...(o.shortNames ? { shortNames: o.shortNames } : {}),
        ...(o.categories ? { categories: o.categories } : {}),
      },
      versions: versions.map((name, i) => ({
        name,
        served: true,
        storage: i === 0,
        schema: { openAPIV3Schema: structuredClone(o.schema ?? ALLOW_ALL) },
        ...(o.subresources ? { subresources: o.subresources } : {}),
      })),
    },
  };
}

function isEstablished(c: Obj): boolean {
  return (c.status?.conditions ?? []).some((x: Obj) => x.type === "Established" && x.status === "True");
}

/** Create a CRD through the API and wait until it is Established; returns it as stored then. */
async function createCRD(def: Obj): Promise<Obj> {
  const r = await send("POST", CRDS, def);
  if (r.status !== 201) throw new Error(`creating ${def.metadata.name}: ${r.status} ${JSON.stringify(r.body)}`);
  return await until(`${def.metadata.name} to be Established`, async () => {
    const g = await json(`${CRDS}/${def.metadata.name}`);
    return isEstablished(g.body) ? g.body : undefined;
  });
}

/** Delete a CRD through the API and wait until it is gone. */
async function deleteCRD(name: string): Promise<void> {
  const r = await json(`${CRDS}/${name}`, { method: "DELETE" });
  expect(r.status).toBe(200);
  await until(`${name} to go`, async () => ((await api(kcp, `${CRDS}/${name}`)).status === 404 ? true : undefined));
}

// ---- OpenAPI helpers ----

/** kube-openapi's REST-friendly definition name: the group reversed, then version and kind. */
function definitionName(group: string, version: string, kind: string): string {
  return `${group.split(".").reverse().join(".")}.${version}.${kind}`;
}

async function v2Definitions(): Promise<Obj> {
  return (await json("/openapi/v2")).body.definitions as Obj;
}

async function v3Schemas(group: string, version: string): Promise<Obj | undefined> {
  const r = await json(`/openapi/v3/apis/${group}/${version}`);
  return r.status === 200 ? (r.body.components.schemas as Obj) : undefined;
}

/** A published definition without what the server adds (apiVersion, kind, metadata, the GVK). */
function dropDefaults(s: Obj): Obj {
  const out = structuredClone(s);
  if (out.properties) {
    delete out.properties.apiVersion;
    delete out.properties.kind;
    delete out.properties.metadata;
    if (Object.keys(out.properties).length === 0) delete out.properties;
  }
  delete out["x-kubernetes-group-version-kind"];
  return out;
}

/** Wait until /openapi/v2 has `name` and, when given, its schema (without the defaults) is `expected`. */
async function waitForV2Definition(name: string, expected?: Obj): Promise<Obj> {
  let last: Obj | undefined;
  try {
    return await until(`definition ${name} in /openapi/v2`, async () => {
      last = (await v2Definitions())[name];
      if (!last) return undefined;
      if (expected && !Bun.deepEquals(dropDefaults(last), expected)) return undefined;
      return last;
    });
  } catch (e) {
    if (last) expect(dropDefaults(last)).toEqual(expected as Obj);
    throw e;
  }
}

async function waitForV2DefinitionGone(name: string): Promise<void> {
  await until(`definition ${name} to leave /openapi/v2`, async () =>
    (await v2Definitions())[name] === undefined ? true : undefined,
  );
}

/** Wait until the v3 document of group/version has `name` with `expected` (without the defaults). */
async function waitForV3Definition(group: string, version: string, name: string, expected: Obj): Promise<Obj> {
  let last: Obj | undefined;
  try {
    return await until(`definition ${name} in /openapi/v3/apis/${group}/${version}`, async () => {
      last = (await v3Schemas(group, version))?.[name];
      return last && Bun.deepEquals(dropDefaults(last), expected) ? last : undefined;
    });
  } catch (e) {
    if (last) expect(dropDefaults(last)).toEqual(expected);
    throw e;
  }
}

/** A kubectl with its own, initially empty, discovery and OpenAPI cache. */
let cacheCount = 0;
function freshCache(): KubectlOptions {
  cacheCount++;
  return { cacheDir: join(kcp.rootDir, `cache-${cacheCount}`) };
}

describe("CustomResourceDefinition resources", () => {
  test("creating and deleting a CRD with kubectl; kubectl wait --for=condition=Established on apply", async () => {
    const def = crd({ group: "lifecycle.example.com", plural: "noxus", kind: "Noxu", scope: "Cluster" });
    const applied = await kubectl(kcp, ["apply", "-f", "-"], { stdin: stringifyYaml(def) });
    expect(applied.stderr).toBe("");
    expect(applied.stdout.trim()).toBe(
      "customresourcedefinition.apiextensions.k8s.io/noxus.lifecycle.example.com created",
    );
    const waited = await kubectl(kcp, [
      "wait",
      "--for=condition=Established",
      "crd/noxus.lifecycle.example.com",
      "--timeout=10s",
    ]);
    expect(waited.stdout.trim()).toBe(
      "customresourcedefinition.apiextensions.k8s.io/noxus.lifecycle.example.com condition met",
    );
    expect(waited.code).toBe(0);
    // Established means served: the API answers at once.
    expect((await json("/apis/lifecycle.example.com/v1/noxus")).body.kind).toBe("NoxuList");
    // Applying it again changes nothing.
    const again = await kubectl(kcp, ["apply", "-f", "-"], { stdin: stringifyYaml(def) });
    expect(again.stdout.trim()).toBe(
      "customresourcedefinition.apiextensions.k8s.io/noxus.lifecycle.example.com unchanged",
    );
    const deleted = await kubectl(kcp, ["delete", "crd", "noxus.lifecycle.example.com"]);
    expect(deleted.stdout.trim()).toBe(
      'customresourcedefinition.apiextensions.k8s.io "noxus.lifecycle.example.com" deleted',
    );
    // kubectl delete waited for the CRD to be gone.
    expect((await json(`${CRDS}/noxus.lifecycle.example.com`)).status).toBe(404);
    expect((await api(kcp, "/apis/lifecycle.example.com/v1/noxus")).status).toBe(404);
  }, 30_000);

  test("listing CRDs by label selector; deletecollection removes only the labelled ones", async () => {
    const label = "e2e-list-test-uuid";
    const uuid = crypto.randomUUID();
    const labelled = Array.from({ length: 10 }, (_, i) =>
      crd({
        group: "list.example.com",
        plural: `items${i}s`,
        kind: `Item${i}`,
        scope: "Cluster",
        labels: { [label]: uuid },
      }),
    );
    const created = await Promise.all(labelled.map(createCRD));
    const other = await createCRD(
      crd({ group: "list.example.com", plural: "others", kind: "Other", scope: "Cluster" }),
    );

    const selector = `labelSelector=${encodeURIComponent(`${label}=${uuid}`)}`;
    const list = await json(`${CRDS}?${selector}`);
    expect(list.status).toBe(200);
    expect(list.body.kind).toBe("CustomResourceDefinitionList");
    expect(list.body.items).toHaveLength(10);
    for (const item of list.body.items as Obj[]) {
      const expected = created.find((c) => c.metadata.name === item.metadata.name);
      expect(expected).toBeDefined();
      expect(item.spec).toEqual(expected?.spec);
    }
    // kubectl sees the same selection.
    const names = await kubectl(kcp, ["get", "crds", "-l", `${label}=${uuid}`, "-o", "name"]);
    expect(names.stdout.trim().split("\n").sort()).toEqual(
      labelled.map((d) => `customresourcedefinition.apiextensions.k8s.io/${d.metadata.name}`).sort(),
    );
    const negated = await json(`${CRDS}?labelSelector=${encodeURIComponent(`${label}!=${uuid}`)}`);
    expect(negated.body.items.map((i: Obj) => i.metadata.name)).toEqual(["others.list.example.com"]);

    const dc = await json(`${CRDS}?${selector}`, { method: "DELETE" });
    expect(dc.status).toBe(200);
    await until("the labelled CRDs to go", async () =>
      (await json(`${CRDS}?${selector}`)).body.items.length === 0 ? true : undefined,
    );
    for (const d of labelled)
      expect((await api(kcp, `/apis/list.example.com/v1/${d.spec.names.plural}`)).status).toBe(404);
    const remaining = await json(`${CRDS}/others.list.example.com`);
    expect(remaining.status).toBe(200);
    expect(remaining.body.metadata.uid).toBe(other.metadata.uid);
    expect((await json("/apis/list.example.com/v1")).body.resources.map((r: Obj) => r.name)).toEqual(["others"]);
    await deleteCRD("others.list.example.com");
  }, 30_000);

  test("the CRD's status subresource: get, update and patch are visible to later reads", async () => {
    const created = await createCRD(
      crd({ group: "status.example.com", plural: "gauges", kind: "Gauge", scope: "Cluster" }),
    );
    const path = `${CRDS}/gauges.status.example.com/status`;
    const got = await json(path);
    expect(got.status).toBe(200);
    expect(got.body.kind).toBe("CustomResourceDefinition");
    expect(got.body.spec).toEqual(created.spec);

    // PUT /status: a new condition is kept; a spec change in the same body is ignored.
    const body = structuredClone(got.body);
    body.status.conditions.push({ message: "updated" });
    body.spec.names.shortNames = ["gg"];
    const updated = await send("PUT", path, body);
    expect(updated.status).toBe(200);
    expect(updated.body.status.conditions.some((c: Obj) => c.message === "updated")).toBe(true);
    expect(updated.body.spec).toEqual(created.spec);
    expect(updated.body.metadata.generation).toBe(created.metadata.generation);

    // A stale resourceVersion is a conflict, as for any update.
    const stale = await send("PUT", path, {
      ...body,
      metadata: { ...body.metadata, resourceVersion: created.metadata.resourceVersion },
    });
    expect(stale.status).toBe(409);

    const patched = await send(
      "PATCH",
      path,
      [{ op: "add", path: "/status/conditions", value: [{ message: "patched" }] }],
      "application/json-patch+json",
    );
    expect(patched.status).toBe(200);
    expect(patched.body.status.conditions.map((c: Obj) => c.message)).toEqual(["patched"]);
    const reread = await json(path);
    expect(reread.body.status.conditions.some((c: Obj) => c.message === "patched")).toBe(true);

    // The CRD controller restores the conditions it owns; the API stays served throughout.
    await until("Established to come back", async () =>
      isEstablished((await json(`${CRDS}/gauges.status.example.com`)).body) ? true : undefined,
    );
    expect((await json("/apis/status.example.com/v1/gauges")).status).toBe(200);

    // The main resource ignores status changes.
    const main = await send(
      "PATCH",
      `${CRDS}/gauges.status.example.com`,
      { status: { conditions: [] } },
      "application/merge-patch+json",
    );
    expect(main.status).toBe(200);
    expect(main.body.status.conditions.length).toBeGreaterThan(0);
    await deleteCRD("gauges.status.example.com");
  }, 30_000);

  test("discovery documents include customresourcedefinitions", async () => {
    const groups = await json("/apis");
    const group = (groups.body.groups as Obj[]).find((g) => g.name === "apiextensions.k8s.io");
    expect(group?.versions).toContainEqual({ groupVersion: "apiextensions.k8s.io/v1", version: "v1" });
    const one = await json("/apis/apiextensions.k8s.io");
    expect(one.body).toMatchObject({
      kind: "APIGroup",
      name: "apiextensions.k8s.io",
      preferredVersion: { groupVersion: "apiextensions.k8s.io/v1", version: "v1" },
    });
    const resources = await json("/apis/apiextensions.k8s.io/v1");
    expect(resources.body.groupVersion).toBe("apiextensions.k8s.io/v1");
    const names = (resources.body.resources as Obj[]).map((r) => r.name);
    expect(names).toEqual(["customresourcedefinitions", "customresourcedefinitions/status"]);
    expect(resources.body.resources[0]).toMatchObject({
      kind: "CustomResourceDefinition",
      namespaced: false,
      shortNames: ["crd", "crds"],
      categories: ["api-extensions"],
    });
    expect(resources.body.resources[1]).toMatchObject({
      kind: "CustomResourceDefinition",
      verbs: ["get", "patch", "update"],
    });
  }, 30_000);

  test("defaulting: applied on requests and from storage, and persisted only by writes", async () => {
    const schema = { type: "object", properties: { a: { type: "string" }, b: { type: "string" } } };
    await createCRD(
      crd({ group: "defaulting.example.com", plural: "defaulteds", kind: "Defaulted", scope: "Cluster", schema }),
    );
    const base = "/apis/defaulting.example.com/v1/defaulteds";
    const obj = (name: string) => ({ apiVersion: "defaulting.example.com/v1", kind: "Defaulted", metadata: { name } });
    const cr1 = await send("POST", base, obj("cr-1"));
    expect(cr1.status).toBe(201);
    expect(cr1.body.a).toBeUndefined();

    // A default for `a`, added once the object is stored, shows on read without a write.
    const crdPath = `${CRDS}/defaulteds.defaulting.example.com`;
    const p1 = await send(
      "PATCH",
      crdPath,
      [{ op: "add", path: "/spec/versions/0/schema/openAPIV3Schema/properties/a/default", value: "A" }],
      "application/json-patch+json",
    );
    expect(p1.status).toBe(200);
    const read1 = await until("cr-1 to be defaulted on read", async () => {
      const g = await json(`${base}/cr-1`);
      return g.body.a === undefined ? undefined : g.body;
    });
    expect(read1.a).toBe("A");
    expect(read1.metadata.resourceVersion).toBe(cr1.body.metadata.resourceVersion);
    // Lists and watches default too.
    const list = await json(base);
    expect(list.body.items.find((i: Obj) => i.metadata.name === "cr-1").a).toBe("A");
    const watch = new WatchStream(await api(kcp, `${base}?watch=true&fieldSelector=metadata.name%3Dcr-1`));
    const initial = await watch.next();
    watch.close();
    expect(initial).toMatchObject({ type: "ADDED", object: { a: "A" } });

    // A new object gets the default on create, and stores it.
    const cr2 = await send("POST", base, obj("cr-2"));
    expect(cr2.status).toBe(201);
    expect(cr2.body.a).toBe("A");

    // Swap the defaults: `b` now defaults to "B", `a` has none. cr-2 keeps its stored `a`;
    // cr-1 never stored one, so it loses it.
    const p2 = await send(
      "PATCH",
      crdPath,
      [
        { op: "remove", path: "/spec/versions/0/schema/openAPIV3Schema/properties/a/default" },
        { op: "add", path: "/spec/versions/0/schema/openAPIV3Schema/properties/b/default", value: "B" },
      ],
      "application/json-patch+json",
    );
    expect(p2.status).toBe(200);
    const read2 = await until("cr-2 to be defaulted for b", async () => {
      const g = await json(`${base}/cr-2`);
      return g.body.b === undefined ? undefined : g.body;
    });
    expect(read2).toMatchObject({ a: "A", b: "B" });
    const again1 = await json(`${base}/cr-1`);
    expect(again1.body.b).toBe("B");
    expect(again1.body.a).toBeUndefined();

    // An explicit value wins over the default; a write persists defaults applied on read.
    const cr3 = await send("POST", base, { ...obj("cr-3"), b: "explicit" });
    expect(cr3.body.b).toBe("explicit");
    const touched = await send(
      "PATCH",
      `${base}/cr-1`,
      { metadata: { labels: { touched: "yes" } } },
      "application/merge-patch+json",
    );
    expect(touched.body.b).toBe("B");
    await send(
      "PATCH",
      crdPath,
      [{ op: "remove", path: "/spec/versions/0/schema/openAPIV3Schema/properties/b/default" }],
      "application/json-patch+json",
    );
    await until("the default for b to be gone from cr-2 reads", async () => {
      const g = await json(`${base}/cr-2`);
      return g.body.b === undefined ? true : undefined;
    });
    expect((await json(`${base}/cr-1`)).body.b).toBe("B");
    await deleteCRD("defaulteds.defaulting.example.com");
  }, 30_000);
});

describe("CustomResourceDefinition watch", () => {
  test("watches on two custom resources see their own ADDED, MODIFIED and DELETED events", async () => {
    const def = crd({
      group: "mygroup.example.com",
      plural: "noxus",
      kind: "WishIHadChosenNoxu",
      scope: "Cluster",
      shortNames: ["foo", "bar"],
      categories: ["all"],
    });
    await createCRD(def);
    const base = "/apis/mygroup.example.com/v1/noxus";
    const watchOf = async (name: string) =>
      new WatchStream(await api(kcp, `${base}?watch=true&timeoutSeconds=600&fieldSelector=metadata.name%3D${name}`));
    const watchA = await watchOf("name1");
    const watchB = await watchOf("name2");
    const instance = (name: string) => ({
      apiVersion: "mygroup.example.com/v1",
      kind: "WishIHadChosenNoxu",
      metadata: { name },
      content: { key: "value" },
      num: { num1: 42 },
    });

    const a = await send("POST", base, instance("name1"));
    expect(a.status).toBe(201);
    expect(a.body.metadata.uid).toBeTruthy();
    expect(a.body).toMatchObject({ apiVersion: "mygroup.example.com/v1", kind: "WishIHadChosenNoxu" });
    expect(await watchA.next()).toMatchObject({
      type: "ADDED",
      object: { metadata: { name: "name1", uid: a.body.metadata.uid }, content: { key: "value" } },
    });
    const b = await send("POST", base, instance("name2"));
    expect(b.status).toBe(201);
    expect(await watchB.next()).toMatchObject({ type: "ADDED", object: { metadata: { name: "name2" } } });

    const patch = [{ op: "add", path: "/dummy", value: "test" }];
    expect((await send("PATCH", `${base}/name1`, patch, "application/json-patch+json")).status).toBe(200);
    expect(await watchA.next()).toMatchObject({
      type: "MODIFIED",
      object: { metadata: { name: "name1" }, dummy: "test" },
    });
    expect((await send("PATCH", `${base}/name2`, patch, "application/json-patch+json")).status).toBe(200);
    expect(await watchB.next()).toMatchObject({
      type: "MODIFIED",
      object: { metadata: { name: "name2" }, dummy: "test" },
    });

    expect((await json(`${base}/name1`, { method: "DELETE" })).status).toBe(200);
    expect(await watchA.next()).toMatchObject({
      type: "DELETED",
      object: { metadata: { name: "name1" }, dummy: "test" },
    });
    expect((await json(`${base}/name2`, { method: "DELETE" })).status).toBe(200);
    expect(await watchB.next()).toMatchObject({ type: "DELETED", object: { metadata: { name: "name2" } } });

    // Neither watch saw the other object's events.
    expect(await watchA.drain(200)).toEqual([]);
    expect(await watchB.drain(50)).toEqual([]);
    watchA.close();
    watchB.close();
    await deleteCRD(def.metadata.name);
  }, 30_000);
});

describe("discovery of a CRD's API", () => {
  const group = "stable.example.com";
  const def = crd({
    group,
    plural: "crontabs",
    kind: "CronTab",
    versions: ["v1", "v1beta1"],
    shortNames: ["ct"],
    categories: ["all"],
    subresources: { status: {}, scale: { specReplicasPath: ".spec.replicas", statusReplicasPath: ".status.replicas" } },
  });
  const hash = createHash("sha256").update(`${group}/v1/CronTab`).digest().subarray(0, 8).toString("base64");

  test("the group, versions and resource appear in /apis, /apis/<g>, /apis/<g>/<v> and aggregated discovery", async () => {
    await createCRD(def);
    const all = await json("/apis");
    const entry = (all.body.groups as Obj[]).find((g) => g.name === group);
    expect(entry).toEqual({
      name: group,
      versions: [
        { groupVersion: `${group}/v1`, version: "v1" },
        { groupVersion: `${group}/v1beta1`, version: "v1beta1" },
      ],
      preferredVersion: { groupVersion: `${group}/v1`, version: "v1" },
    });
    const one = await json(`/apis/${group}`);
    expect(one.body).toEqual({ kind: "APIGroup", apiVersion: "v1", ...entry });

    for (const version of ["v1", "v1beta1"]) {
      const list = await json(`/apis/${group}/${version}`);
      expect(list.body).toEqual({
        kind: "APIResourceList",
        apiVersion: "v1",
        groupVersion: `${group}/${version}`,
        resources: [
          {
            name: "crontabs",
            singularName: "crontab",
            namespaced: true,
            kind: "CronTab",
            verbs: CR_VERBS,
            shortNames: ["ct"],
            categories: ["all"],
            storageVersionHash: hash,
          },
          {
            name: "crontabs/scale",
            singularName: "",
            namespaced: true,
            group: "autoscaling",
            version: "v1",
            kind: "Scale",
            verbs: ["get", "patch", "update"],
          },
          {
            name: "crontabs/status",
            singularName: "",
            namespaced: true,
            kind: "CronTab",
            verbs: ["get", "patch", "update"],
          },
        ],
      });
    }

    for (const accept of [AGGREGATED_V2, AGGREGATED_V2BETA1]) {
      const agg = await json("/apis", { headers: { Accept: accept } });
      expect(agg.headers.get("content-type")).toBe(accept);
      const item = (agg.body.items as Obj[]).find((g) => g.metadata.name === group);
      expect(item?.versions.map((v: Obj) => v.version)).toEqual(["v1", "v1beta1"]);
      const resource = (version: string) => ({
        resource: "crontabs",
        responseKind: { group, version, kind: "CronTab" },
        scope: "Namespaced",
        singularResource: "crontab",
        verbs: CR_VERBS,
        shortNames: ["ct"],
        categories: ["all"],
        subresources: [
          {
            subresource: "scale",
            responseKind: { group: "autoscaling", version: "v1", kind: "Scale" },
            verbs: ["get", "patch", "update"],
          },
          {
            subresource: "status",
            responseKind: { group, version, kind: "CronTab" },
            verbs: ["get", "patch", "update"],
          },
        ],
      });
      expect(item?.versions[0]).toEqual({ version: "v1", resources: [resource("v1")], freshness: "Current" });
      expect(item?.versions[1]).toEqual({ version: "v1beta1", resources: [resource("v1beta1")], freshness: "Current" });
    }

    // kubectl, starting cold, finds it through aggregated discovery, with its verbs and categories.
    const r = await kubectl(kcp, ["api-resources", `--api-group=${group}`, "-o", "wide"], freshCache());
    expect(parseTable(r.stdout)).toEqual([
      {
        NAME: "crontabs",
        SHORTNAMES: "ct",
        APIVERSION: `${group}/v1`,
        NAMESPACED: "true",
        KIND: "CronTab",
        VERBS: CR_VERBS.join(","),
        CATEGORIES: "all",
      },
    ]);
    // The category "all" reaches it.
    const ct = await send("POST", `/apis/${group}/v1/namespaces/default/crontabs`, {
      apiVersion: `${group}/v1`,
      kind: "CronTab",
      metadata: { name: "ct1" },
    });
    expect(ct.status).toBe(201);
    const byCategory = await kubectl(kcp, ["get", "all", "-A", "-o", "name"], freshCache());
    expect(byCategory.stdout.trim()).toBe("crontab.stable.example.com/ct1");
  }, 30_000);

  test("after deletion the API is gone from every discovery document", async () => {
    const del = await kubectl(kcp, ["delete", "crd", def.metadata.name]);
    expect(del.code).toBe(0);
    expect((await api(kcp, `/apis/${group}`)).status).toBe(404);
    expect((await api(kcp, `/apis/${group}/v1`)).status).toBe(404);
    expect((await api(kcp, `/apis/${group}/v1beta1`)).status).toBe(404);
    expect(((await json("/apis")).body.groups as Obj[]).map((g) => g.name)).not.toContain(group);
    const agg = await json("/apis", { headers: { Accept: AGGREGATED_V2 } });
    expect((agg.body.items as Obj[]).map((g) => g.metadata.name)).not.toContain(group);
    const r = await kubectl(kcp, ["api-resources", `--api-group=${group}`, "-o", "name"], freshCache());
    expect(r.stdout).toBe("");
    const get = await kubectl(kcp, ["get", "crontabs"], freshCache());
    expect(get.stderr).toContain('the server doesn\'t have a resource type "crontabs"');
  }, 30_000);
});

describe("AggregatedDiscovery", () => {
  test("the raw endpoints answer both Accept forms with the built-in resources", async () => {
    const expected: [string, string, string][] = [
      ["apiextensions.k8s.io", "v1", "customresourcedefinitions"],
      ["apiregistration.k8s.io", "v1", "apiservices"],
      ["authentication.k8s.io", "v1", "tokenreviews"],
      ["authorization.k8s.io", "v1", "selfsubjectaccessreviews"],
      ["certificates.k8s.io", "v1", "certificatesigningrequests"],
      ["coordination.k8s.io", "v1", "leases"],
      ["events.k8s.io", "v1", "events"],
    ];
    const present = (items: Obj[], g: string, v: string, r: string) =>
      items.some(
        (i) =>
          (i.metadata.name ?? "") === g &&
          i.versions.some((x: Obj) => x.version === v && x.resources.some((y: Obj) => y.resource === r)),
      );
    for (const accept of [AGGREGATED_V2, AGGREGATED_V2BETA1]) {
      const apis = await json("/apis", { headers: { Accept: accept } });
      expect(apis.status).toBe(200);
      expect(apis.body.kind).toBe("APIGroupDiscoveryList");
      for (const [g, v, r] of expected) expect(present(apis.body.items, g, v, r)).toBe(true);
      const core = await json("/api", { headers: { Accept: accept } });
      expect(core.body.kind).toBe("APIGroupDiscoveryList");
      expect(present(core.body.items, "", "v1", "namespaces")).toBe(true);
    }
  }, 30_000);

  test("a CRD appears in the raw aggregated document and to a client using aggregated discovery", async () => {
    // As in the conformance test: a lower-case kind, an allow-all schema, a namespaced scope.
    const def = crd({ group: "group-x7k2q.example.com", plural: "testcrds", kind: "testcrd" });
    def.spec.names.singular = "testcrd";
    await createCRD(def);
    const agg = await json("/apis", { headers: { Accept: AGGREGATED_V2 } });
    const item = (agg.body.items as Obj[]).find((g) => g.metadata.name === "group-x7k2q.example.com");
    expect(item?.versions[0].resources[0]).toMatchObject({
      resource: "testcrds",
      responseKind: { kind: "testcrd" },
      scope: "Namespaced",
      verbs: CR_VERBS,
    });

    const cache = freshCache();
    const r = await kubectl(kcp, ["api-resources", "--api-group=group-x7k2q.example.com", "-v=6"], cache);
    expect(parseTable(r.stdout)).toEqual([
      {
        NAME: "testcrds",
        SHORTNAMES: "",
        APIVERSION: "group-x7k2q.example.com/v1",
        NAMESPACED: "true",
        KIND: "testcrd",
      },
    ]);
    // Only the two aggregated requests: no per-group-version fallback.
    const paths = [...r.stderr.matchAll(/(?:GET|url=")\s*https:\/\/127\.0\.0\.1:\d+(\/[^\s?"]*)/g)]
      .map((m) => m[1])
      .filter((p) => p.startsWith("/api"));
    expect(paths).toEqual(["/api", "/apis"]);
    // kubectl 1.27 asks for v2beta1 and finds it too; the resource works through that client.
    const old = await kubectl(kcp, ["api-resources", "--api-group=group-x7k2q.example.com", "-o", "name"], {
      ...freshCache(),
      version: "1.27",
    });
    expect(old.stdout.trim()).toBe("testcrds.group-x7k2q.example.com");
    const created = await kubectl(kcp, ["create", "-f", "-"], {
      ...cache,
      stdin: stringifyYaml({
        apiVersion: "group-x7k2q.example.com/v1",
        kind: "testcrd",
        metadata: { name: "t1" },
        any: { thing: 1 },
      }),
    });
    expect(created.stdout.trim()).toBe("testcrd.group-x7k2q.example.com/t1 created");
    await deleteCRD(def.metadata.name);
  }, 30_000);
});

// ---- OpenAPI publishing ----

const schemaFoo = {
  description: "Foo CRD for Testing",
  type: "object",
  properties: {
    spec: {
      type: "object",
      description: "Specification of Foo",
      properties: {
        bars: {
          description: "List of Bars and their specs.",
          type: "array",
          items: {
            type: "object",
            required: ["name"],
            properties: {
              name: { description: "Name of Bar.", type: "string" },
              age: { description: "Age of Bar.", type: "string" },
              feeling: { description: "Whether Bar is feeling great.", type: "string", enum: ["Great", "Down"] },
              bazs: { description: "List of Bazs.", items: { type: "string" }, type: "array" },
            },
          },
        },
      },
    },
    status: {
      description: "Status of Foo",
      type: "object",
      properties: {
        bars: {
          description: "List of Bars and their statuses.",
          type: "array",
          items: {
            type: "object",
            properties: {
              name: { description: "Name of Bar.", type: "string" },
              available: { description: "Whether the Bar is installed.", type: "boolean" },
              quxType: {
                description: "Indicates to external qux type.",
                pattern: "in-tree|out-of-tree",
                type: "string",
              },
            },
          },
        },
      },
    },
  },
};

const waldoParts = {
  spec: {
    description: "Specification of Waldo",
    type: "object",
    properties: { dummy: { description: "Dummy property.", type: "object" } },
  },
  status: {
    description: "Status of Waldo",
    type: "object",
    properties: { bars: { description: "List of Bars and their statuses.", type: "array", items: { type: "object" } } },
  },
};
const schemaWaldo = { description: "Waldo CRD for Testing", type: "object", properties: waldoParts };
const schemaPreserveRoot = {
  description: "preserve-unknown-properties at root for Testing",
  "x-kubernetes-preserve-unknown-fields": true,
  type: "object",
  properties: waldoParts,
};
const schemaPreserveNested = {
  description: "preserve-unknown-properties in nested field for Testing",
  type: "object",
  properties: { ...waldoParts, spec: { ...waldoParts.spec, "x-kubernetes-preserve-unknown-fields": true } },
};

const opaGroup = (suffix: string) => `crd-publish-openapi-test-${suffix}.example.com`;

/** A CRD for the OpenAPI tests: kind and plural from `name`, in the group of `suffix`. */
function publishCRD(suffix: string, name: string, schema: Obj, versions: string[]): Obj {
  return crd({
    group: opaGroup(suffix),
    plural: `${name}s`,
    kind: name.charAt(0).toUpperCase() + name.slice(1),
    versions,
    schema,
  });
}

/** Delete a CRD and wait until none of its versions is published any more. */
async function cleanupPublished(def: Obj): Promise<void> {
  await deleteCRD(def.metadata.name);
  for (const v of def.spec.versions as Obj[]) {
    const name = definitionName(def.spec.group, v.name, def.spec.names.kind);
    await waitForV2DefinitionGone(name);
    expect((await v3Schemas(def.spec.group, v.name))?.[name]).toBeUndefined();
  }
}

/**
 * With kubectl's default (server-side, strict) validation: create `cr`, read it back unchanged
 * but for metadata, delete it; then apply it and delete it again. All must succeed.
 */
async function createAndApply(cr: Obj, plural: string): Promise<void> {
  const name = cr.metadata.name;
  const c = await kubectl(kcp, ["create", "-f", "-"], { stdin: JSON.stringify(cr) });
  expect(c.stderr).toBe("");
  const stored = JSON.parse((await kubectl(kcp, ["get", plural, name, "-o", "json"])).stdout) as Obj;
  for (const k of Object.keys(cr)) if (k !== "metadata") expect(stored[k]).toEqual(cr[k]);
  expect((await kubectl(kcp, ["delete", plural, name])).code).toBe(0);
  const a = await kubectl(kcp, ["apply", "-f", "-"], { stdin: JSON.stringify(cr) });
  expect(a.stderr).toBe("");
  expect((await kubectl(kcp, ["delete", plural, name])).code).toBe(0);
}

async function explain(what: string, extra: string[] = []): Promise<string> {
  const r = await kubectl(kcp, ["explain", what, ...extra]);
  expect(r.stderr).toBe("");
  return r.stdout;
}

describe("CustomResourcePublishOpenAPI", () => {
  test("a CRD with a validation schema: published in v3 and v2; kubectl validates and explains with it", async () => {
    const def = publishCRD("foo", "foo", schemaFoo, ["v1"]);
    await createCRD(def);
    const group = def.spec.group;
    const name = definitionName(group, "v1", "Foo");
    expect(name).toBe("com.example.crd-publish-openapi-test-foo.v1.Foo");
    const index = await json("/openapi/v3");
    expect(index.body.paths[`apis/${group}/v1`].serverRelativeURL).toMatch(
      new RegExp(`^/openapi/v3/apis/${group}/v1\\?hash=[0-9A-F]+$`),
    );
    const v3 = await waitForV3Definition(group, "v1", name, schemaFoo);
    expect(v3["x-kubernetes-group-version-kind"]).toEqual([{ group, kind: "Foo", version: "v1" }]);
    expect(v3.properties.metadata).toMatchObject({
      allOf: [{ $ref: "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" }],
    });
    const v2 = await waitForV2Definition(name, schemaFoo);
    expect(v2.properties.metadata).toMatchObject({
      $ref: "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
    });
    expect(v2.properties.apiVersion).toMatchObject({ type: "string" });
    expect((await v2Definitions())[`${name}List`]).toMatchObject({
      properties: { items: { items: { $ref: `#/definitions/${name}` } } },
    });

    const meta = { kind: "Foo", apiVersion: `${group}/v1`, metadata: { name: "test-foo" } };
    await createAndApply({ ...meta, spec: { bars: [{ name: "test-bar" }] } }, "foos");
    // Server-side validation rejects unknown fields, values outside the enum and missing required fields.
    const unknown = await kubectl(kcp, ["create", "-f", "-"], {
      stdin: JSON.stringify({ ...meta, spec: { foo: true } }),
    });
    expect(unknown.stderr).toContain('unknown field "spec.foo"');
    const badEnum = await kubectl(kcp, ["create", "-f", "-"], {
      stdin: JSON.stringify({ ...meta, spec: { bars: [{ name: "b", feeling: "NonExistentValue" }] } }),
    });
    expect(badEnum.stderr).toContain('Unsupported value: "NonExistentValue"');
    const noRequired = await kubectl(kcp, ["apply", "-f", "-"], {
      stdin: JSON.stringify({ ...meta, spec: { bars: [{ age: "10" }] } }),
    });
    expect(noRequired.stderr).toContain("spec.bars[0].name: Required value");

    expect(await explain("foos")).toMatch(
      /DESCRIPTION:[\s\S]*Foo CRD for Testing[\s\S]*FIELDS:[\s\S]*apiVersion\s+<string>[\s\S]*APIVersion defines[\s\S]*spec\s+<Object>[\s\S]*Specification of Foo/,
    );
    expect(await explain("foos.metadata")).toMatch(
      /DESCRIPTION:[\s\S]*Standard object's metadata[\s\S]*FIELDS:[\s\S]*creationTimestamp\s+<string>[\s\S]*CreationTimestamp is a timestamp/,
    );
    expect(await explain("foos.spec")).toMatch(
      /DESCRIPTION:[\s\S]*Specification of Foo[\s\S]*FIELDS:[\s\S]*bars\s+<\[\]Object>[\s\S]*List of Bars and their specs/,
    );
    expect(await explain("foos.spec.bars")).toMatch(
      /bars <\[\]Object>[\s\S]*DESCRIPTION:[\s\S]*List of Bars and their specs[\s\S]*FIELDS:[\s\S]*bazs\s+<\[\]string>[\s\S]*List of Bazs[\s\S]*name\s+<string> -required-[\s\S]*Name of Bar/,
    );
    // The v2 document explains the same (what kubectl ≤ 1.28 and --output=plaintext-openapiv2 read).
    expect(await explain("foos.spec.bars", ["--output=plaintext-openapiv2"])).toMatch(
      /RESOURCE:\s+bars <\[\]Object>[\s\S]*DESCRIPTION:[\s\S]*List of Bars and their specs[\s\S]*FIELDS:[\s\S]*bazs\s+<\[\]string>[\s\S]*List of Bazs[\s\S]*name\s+<string> -required-[\s\S]*Name of Bar/,
    );
    const missing = await kubectl(kcp, ["explain", "foos.spec.bars2"]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('field "bars2" does not exist');
    await cleanupPublished(def);
  }, 30_000);

  test("a CRD without a validation schema accepts anything; explain shows an empty description", async () => {
    const def = publishCRD("empty", "empty", ALLOW_ALL, ["v1"]);
    await createCRD(def);
    const group = def.spec.group;
    const name = definitionName(group, "v1", "Empty");
    // kube publishes a preserve-unknown-fields root in v2 as a bare object (kubectl would reject
    // unknown fields otherwise); v3 keeps the schema as it is.
    expect(dropDefaults(await waitForV2Definition(name))).toEqual({ type: "object" });
    await waitForV3Definition(group, "v1", name, ALLOW_ALL);
    await createAndApply(
      { kind: "Empty", apiVersion: `${group}/v1`, metadata: { name: "test-cr" }, a: { b: [{ c: "d" }] } },
      "emptys",
    );
    expect(await explain("emptys")).toMatch(/DESCRIPTION:[\s\S]*<empty>/);
    expect(await explain("emptys", ["--output=plaintext-openapiv2"])).toMatch(/DESCRIPTION:[\s\S]*<empty>/);
    await cleanupPublished(def);
  }, 30_000);

  test("a CRD preserving unknown fields at the schema root", async () => {
    const def = publishCRD("unknown-at-root", "root", schemaPreserveRoot, ["v1"]);
    await createCRD(def);
    const group = def.spec.group;
    const name = definitionName(group, "v1", "Root");
    expect(dropDefaults(await waitForV2Definition(name))).toEqual({ type: "object" });
    await waitForV3Definition(group, "v1", name, schemaPreserveRoot);
    await createAndApply(
      { kind: "Root", apiVersion: `${group}/v1`, metadata: { name: "test-cr" }, a: { b: [{ c: "d" }] } },
      "roots",
    );
    expect(await explain("roots")).toMatch(/KIND:\s+Root/);
    expect(await explain("roots", ["--output=plaintext-openapiv2"])).toMatch(/KIND:\s+Root/);
    await cleanupPublished(def);
  }, 30_000);

  test("a CRD preserving unknown fields in an embedded object", async () => {
    const def = publishCRD("unknown-in-nested", "nested", schemaPreserveNested, ["v1"]);
    await createCRD(def);
    const group = def.spec.group;
    const name = definitionName(group, "v1", "Nested");
    // In v2, kube drops what it cannot express: the preserving object's fields and type, and the
    // type of an array whose items went with them.
    const v2 = dropDefaults(await waitForV2Definition(name));
    expect(v2.properties.spec).toEqual({
      description: "Specification of Waldo",
      "x-kubernetes-preserve-unknown-fields": true,
    });
    expect(v2.properties.status).toEqual(waldoParts.status);
    await waitForV3Definition(group, "v1", name, schemaPreserveNested);
    // A null among the preserved fields is kept as it is.
    await createAndApply(
      { kind: "Nested", apiVersion: `${group}/v1`, metadata: { name: "test-cr" }, spec: { a: null, b: [{ c: "d" }] } },
      "nesteds",
    );
    expect(await explain("nesteds")).toMatch(
      /DESCRIPTION:[\s\S]*preserve-unknown-properties in nested field for Testing/,
    );
    expect(await explain("nesteds.spec", ["--output=plaintext-openapiv2"])).toMatch(
      /DESCRIPTION:[\s\S]*Specification of Waldo/,
    );
    await cleanupPublished(def);
  }, 30_000);

  test("CRDs of different groups, of one group in different versions, and of one group-version in different kinds", async () => {
    const foo = publishCRD("foo", "foo", schemaFoo, ["v1"]);
    const waldo = publishCRD("waldo", "waldo", schemaWaldo, ["v1beta1"]);
    const multi = publishCRD("multi-ver", "multi", schemaFoo, ["v2", "v3"]);
    const v4 = publishCRD("common-group", "four", schemaFoo, ["v4"]);
    const v5 = publishCRD("common-group", "five", schemaWaldo, ["v5"]);
    const v6a = publishCRD("common-group", "sixa", schemaFoo, ["v6"]);
    const v6b = publishCRD("common-group", "sixb", schemaWaldo, ["v6"]);
    const all = [foo, waldo, multi, v4, v5, v6a, v6b];
    await Promise.all(all.map(createCRD));
    const expectations: [Obj, string, Obj][] = [
      [waldo, "v1beta1", schemaWaldo],
      [foo, "v1", schemaFoo],
      [multi, "v3", schemaFoo],
      [multi, "v2", schemaFoo],
      [v5, "v5", schemaWaldo],
      [v4, "v4", schemaFoo],
      [v6b, "v6", schemaWaldo],
      [v6a, "v6", schemaFoo],
    ];
    for (const [d, version, schema] of expectations) {
      const name = definitionName(d.spec.group, version, d.spec.names.kind);
      await waitForV2Definition(name, schema);
      await waitForV3Definition(d.spec.group, version, name, schema);
    }
    // One group-version document holds both kinds.
    const v6 = (await v3Schemas(opaGroup("common-group"), "v6")) as Obj;
    expect(
      Object.keys(v6)
        .filter((k) => k.startsWith("com.example"))
        .sort(),
    ).toEqual([
      "com.example.crd-publish-openapi-test-common-group.v6.Sixa",
      "com.example.crd-publish-openapi-test-common-group.v6.SixaList",
      "com.example.crd-publish-openapi-test-common-group.v6.Sixb",
      "com.example.crd-publish-openapi-test-common-group.v6.SixbList",
    ]);
    for (const d of all) await cleanupPublished(d);
  }, 30_000);

  test("renaming a version updates the published spec", async () => {
    const def = publishCRD("multi-ver", "renamed", schemaFoo, ["v2", "v3"]);
    await createCRD(def);
    const group = def.spec.group;
    const name = (v: string) => definitionName(group, v, "Renamed");
    await waitForV2Definition(name("v3"), schemaFoo);
    await waitForV2Definition(name("v2"), schemaFoo);
    const patch = [
      { op: "test", path: "/spec/versions/1/name", value: "v3" },
      { op: "replace", path: "/spec/versions/1/name", value: "v4" },
    ];
    const r = await send("PATCH", `${CRDS}/${def.metadata.name}`, patch, "application/json-patch+json");
    expect(r.status).toBe(200);
    await waitForV2Definition(name("v4"), schemaFoo);
    await waitForV2DefinitionGone(name("v3"));
    await waitForV2Definition(name("v2"), schemaFoo);
    await waitForV3Definition(group, "v4", name("v4"), schemaFoo);
    expect(await v3Schemas(group, "v3")).toBeUndefined();
    expect(Object.keys((await json("/openapi/v3")).body.paths).filter((p) => p.includes(group))).toEqual([
      `apis/${group}/v2`,
      `apis/${group}/v4`,
    ]);
    def.spec.versions[1].name = "v4";
    await cleanupPublished(def);
  }, 30_000);

  test("a version that stops being served is removed from the spec", async () => {
    const def = publishCRD("multi-to-single-ver", "single", schemaFoo, ["v5", "v6alpha1"]);
    const created = await createCRD(def);
    const group = def.spec.group;
    const name = (v: string) => definitionName(group, v, "Single");
    await waitForV2Definition(name("v6alpha1"), schemaFoo);
    await waitForV2Definition(name("v5"), schemaFoo);
    created.spec.versions[1].served = false;
    const r = await send("PUT", `${CRDS}/${def.metadata.name}`, created);
    expect(r.status).toBe(200);
    await waitForV2DefinitionGone(name("v6alpha1"));
    await waitForV2Definition(name("v5"), schemaFoo);
    expect(await v3Schemas(group, "v6alpha1")).toBeUndefined();
    await waitForV3Definition(group, "v5", name("v5"), schemaFoo);
    expect((await api(kcp, `/apis/${group}/v6alpha1/singles`)).status).toBe(404);
    await cleanupPublished(def);
  }, 30_000);
});

describe("deleting a CRD with 1,000 custom resources", () => {
  test("every object goes from storage, then the CRD, then its API", async () => {
    const def = crd({
      group: "bulk.example.com",
      plural: "bulks",
      kind: "Bulk",
      schema: { type: "object", properties: { spec: { type: "object", properties: { n: { type: "integer" } } } } },
    });
    await createCRD(def);
    const base = "/apis/bulk.example.com/v1/namespaces/default/bulks";
    const total = 1000;
    const batch = 100;
    for (let start = 0; start < total; start += batch) {
      const statuses = await Promise.all(
        Array.from({ length: batch }, (_, i) => {
          const n = start + i;
          return api(kcp, base, {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({
              apiVersion: "bulk.example.com/v1",
              kind: "Bulk",
              metadata: { name: `bulk-${n}` },
              spec: { n },
            }),
          }).then(async (r) => {
            await r.arrayBuffer();
            return r.status;
          });
        }),
      );
      expect(statuses.every((s) => s === 201)).toBe(true);
    }
    const counted = await json(`${base}?limit=1`);
    expect(counted.body.metadata.remainingItemCount).toBe(total - 1);

    // kubectl waits for the deletion to finish.
    const del = await kubectl(kcp, ["delete", "crd", def.metadata.name], { timeoutMs: 60_000 });
    expect(del.stdout.trim()).toBe(`customresourcedefinition.apiextensions.k8s.io "${def.metadata.name}" deleted`);
    expect((await json(`${CRDS}/${def.metadata.name}`)).status).toBe(404);
    expect((await api(kcp, "/apis/bulk.example.com/v1")).status).toBe(404);
    expect((await api(kcp, "/apis/bulk.example.com")).status).toBe(404);
    const agg = await json("/apis", { headers: { Accept: AGGREGATED_V2 } });
    expect((agg.body.items as Obj[]).map((g) => g.metadata.name)).not.toContain("bulk.example.com");

    // The objects are gone from storage: a CRD of the same name starts empty, in every logical cluster.
    await createCRD(def);
    const list = await json(base);
    expect(list.body.items).toEqual([]);
    const everywhere = await json("/clusters/*/apis/bulk.example.com/v1/bulks");
    expect(everywhere.body.items).toEqual([]);
    await deleteCRD(def.metadata.name);
  }, 60_000);
});
