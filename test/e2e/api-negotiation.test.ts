// API negotiation end to end, against a real kcp and kubectl, with APIResourceImports written by
// hand (as the cluster controller's importer writes them) from the real Deployment and Pod CRDs
// (src/apis/workload-crds/): the first import makes the NegotiatedAPIResource; publishing it makes
// the CRD; a narrower cluster narrows it only when its strategy allows, and the field comes back
// when that cluster leaves; the last import gone takes the NAR and the CRD; a user's CRD is
// enforced and never narrowed; names and scope are compared; --auto-publish-apis publishes new ones.
// Each scenario runs in a logical cluster of its own.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { workloadCRDs } from "../../src/apis/workload-crds/workload-crds.ts";
import {
  api,
  type KcpProcess,
  kubeconfigWithPath,
  kubectl,
  removeDir,
  startKcp,
  useKcp,
} from "../helpers/kcp-process.ts";

type Json = Record<string, any>;

// Steps wait for the controllers (polling with a deadline): more than bun's default 5 s per test.
setDefaultTimeout(90_000);

let kcp: KcpProcess;
useKcp((k) => (kcp = k));

const ARI = "/apis/apiresource.kcp.dev/v1alpha1/apiresourceimports";
const NAR = "/apis/apiresource.kcp.dev/v1alpha1/negotiatedapiresources";
const CRD = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";

function workloadCRD(name: string): Json {
  const crd = workloadCRDs().find((c) => c.metadata.name === name);
  if (!crd) throw new Error(`no workload CRD ${name}`);
  return crd as Json;
}

interface ImportOptions {
  strategy?: string;
  /** Drop the pod spec's ephemeralContainers, as an older cluster's Deployment lacks them. */
  withoutEphemeralContainers?: boolean;
  edit?: (spec: Json) => void;
}

/** An import of deployments.apps/v1 (or pods/v1) from `location`, shaped as the importer writes them. */
function anImport(location: string, crdName: string, o: ImportOptions = {}): Json {
  const crd = workloadCRD(crdName);
  const v = crd.spec.versions[0];
  const schema = structuredClone(v.schema.openAPIV3Schema);
  if (o.withoutEphemeralContainers)
    delete schema.properties.spec.properties.template.properties.spec.properties.ephemeralContainers;
  const group = crd.spec.group as string;
  const spec: Json = {
    location,
    schemaUpdateStrategy: o.strategy ?? "UpdateUnpublished",
    groupVersion: { group, version: v.name },
    scope: crd.spec.scope,
    ...crd.spec.names,
    openAPIV3Schema: schema,
    subResources: Object.keys(v.subresources ?? {}).map((name) => ({ name })),
    columnDefinitions: v.additionalPrinterColumns,
  };
  o.edit?.(spec);
  return {
    apiVersion: "apiresource.kcp.dev/v1alpha1",
    kind: "APIResourceImport",
    metadata: {
      name: `${spec.plural}.${location}.${v.name}.${group || "core"}`,
      annotations: { "apiresource.kcp.dev/apiVersion": group ? `${group}/${v.name}` : v.name },
    },
    spec,
  };
}

const kubeconfigs = new Map<string, string>();
async function kc(k: KcpProcess, lc: string, args: string[], stdin?: string) {
  const key = `${k.url}|${lc}`;
  let path = kubeconfigs.get(key);
  if (!path) {
    path = await kubeconfigWithPath(k, `/clusters/${lc}`);
    kubeconfigs.set(key, path);
  }
  const r = await kubectl(k, args, { kubeconfig: path, ...(stdin !== undefined ? { stdin } : {}) });
  return r;
}

async function apply(k: KcpProcess, lc: string, obj: Json): Promise<void> {
  const r = await kc(k, lc, ["apply", "-f", "-"], JSON.stringify(obj));
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
}

async function getJson(k: KcpProcess, lc: string, path: string): Promise<Json | undefined> {
  const res = await api(k, `/clusters/${lc}${path}`);
  if (res.status === 404) return undefined;
  expect(res.status).toBe(200);
  return (await res.json()) as Json;
}

/** Polls `probe` until it returns something other than undefined (a deadline, not a timing assertion). */
async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ""}`);
    await Bun.sleep(100);
  }
}

function condition(obj: Json | undefined, type: string): Json | undefined {
  return (obj?.status?.conditions as Json[] | undefined)?.find((c) => c.type === type);
}

function conditionStatuses(obj: Json | undefined, ...types: string[]): string[] {
  return types.map((t) => condition(obj, t)?.status ?? "");
}

/** The rows of `kubectl get … -o wide`, cut at the given column titles (which may hold spaces). */
function wideRows(text: string, titles: string[]): string[][] {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  const header = lines[0] ?? "";
  const starts = titles.map((t) => {
    const at = header.indexOf(t);
    if (at < 0) throw new Error(`no column ${t} in ${header}`);
    return at;
  });
  return lines.slice(1).map((line) => starts.map((at, i) => line.slice(at, starts[i + 1] ?? line.length).trim()));
}

const IMPORT_COLUMNS = [
  "NAME",
  "LOCATION",
  "SCHEMA UPDATE STRATEGY",
  "API VERSION",
  "API RESOURCE",
  "COMPATIBLE",
  "AVAILABLE",
];
const NAR_COLUMNS = ["NAME", "PUBLISH", "API VERSION", "API RESOURCE", "PUBLISHED", "ENFORCED"];

async function importRows(k: KcpProcess, lc: string): Promise<string[][]> {
  const r = await kc(k, lc, ["get", "apiresourceimports", "-o", "wide"]);
  expect(r.code).toBe(0);
  return wideRows(r.stdout, IMPORT_COLUMNS);
}

async function narRows(k: KcpProcess, lc: string): Promise<string[][]> {
  const r = await kc(k, lc, ["get", "negotiatedapiresources", "-o", "wide"]);
  expect(r.code).toBe(0);
  return wideRows(r.stdout, NAR_COLUMNS);
}

/** Waits until `kubectl get … -o wide` shows exactly `want`. */
async function expectRows(what: string, rows: () => Promise<string[][]>, want: string[][]): Promise<void> {
  let last: string[][] = [];
  try {
    await eventually(what, async () => {
      last = await rows();
      return JSON.stringify(last) === JSON.stringify(want) ? true : undefined;
    });
  } catch {
    expect(last).toEqual(want);
  }
}

function podSpecProperties(schema: Json): Json {
  return schema.properties.spec.properties.template.properties.spec.properties;
}

async function narSchema(lc: string): Promise<Json> {
  const nar = await getJson(kcp, lc, `${NAR}/deployments.v1.apps`);
  expect(nar).toBeDefined();
  return nar?.spec.openAPIV3Schema;
}

async function crdSchema(lc: string): Promise<Json> {
  const crd = await getJson(kcp, lc, `${CRD}/deployments.apps`);
  expect(crd).toBeDefined();
  return crd?.spec.versions[0].schema.openAPIV3Schema;
}

describe("negotiation from imports (spec 11.3 part 1, with a narrower cluster)", () => {
  const lc = "negotiation";

  test("the first import makes the negotiated resource, with its schema, unpublished", async () => {
    const east = anImport("us-east1", "deployments.apps");
    await apply(kcp, lc, east);
    const nar = await eventually("the NAR", () => getJson(kcp, lc, `${NAR}/deployments.v1.apps`));
    expect(nar.spec.openAPIV3Schema).toEqual(east.spec.openAPIV3Schema);
    expect(nar.spec.publish).toBeUndefined();
    expect(nar.metadata.annotations["apiresource.kcp.dev/apiVersion"]).toBe("apps/v1");
    // The columns of spec 11.3 steps 5 and 6.
    await expectRows("the import Compatible", () => importRows(kcp, lc), [
      ["deployments.us-east1.v1.apps", "us-east1", "UpdateUnpublished", "apps/v1", "deployments", "True", ""],
    ]);
    expect(await narRows(kcp, lc)).toEqual([["deployments.v1.apps", "", "apps/v1", "deployments", "", ""]]);
    // Nothing is served yet.
    const r = await kc(kcp, lc, ["api-resources", "--api-group=apps"]);
    expect(r.stdout).not.toContain("deployments");
    const imp = await getJson(kcp, lc, `${ARI}/deployments.us-east1.v1.apps`);
    expect(condition(imp, "Compatible")).toMatchObject({ status: "True", reason: "SchemaCompatible", message: "" });
    expect(condition(imp, "Compatible")?.lastTransitionTime).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  test("publish creates the CRD, owned by the NAR; the NAR is Published and the import Available", async () => {
    const p = await kc(kcp, lc, [
      "patch",
      "negotiatedapiresources",
      "deployments.v1.apps",
      "--type=merge",
      "-p",
      '{"spec":{"publish":true}}',
    ]);
    expect(p.code).toBe(0);
    await expectRows("the NAR published", () => narRows(kcp, lc), [
      ["deployments.v1.apps", "true", "apps/v1", "deployments", "True", "False"],
    ]);
    await expectRows("the import available", () => importRows(kcp, lc), [
      ["deployments.us-east1.v1.apps", "us-east1", "UpdateUnpublished", "apps/v1", "deployments", "True", "True"],
    ]);
    const nar = await getJson(kcp, lc, `${NAR}/deployments.v1.apps`);
    const crd = (await getJson(kcp, lc, `${CRD}/deployments.apps`)) as Json;
    expect(crd.metadata.ownerReferences).toEqual([
      {
        apiVersion: "apiresource.kcp.dev/v1alpha1",
        kind: "NegotiatedAPIResource",
        name: "deployments.v1.apps",
        uid: nar?.metadata.uid,
        controller: true,
      },
    ]);
    expect(conditionStatuses(crd, "Established", "NamesAccepted")).toEqual(["True", "True"]);
    expect(crd.spec.versions.map((v: Json) => [v.name, v.served, v.storage])).toEqual([["v1", true, true]]);
    expect(crd.spec.versions[0].subresources.scale).toEqual({
      specReplicasPath: ".spec.replicas",
      statusReplicasPath: ".status.replicas",
    });
    expect(podSpecProperties(crd.spec.versions[0].schema.openAPIV3Schema).ephemeralContainers).toBeDefined();
    expect(conditionStatuses(nar, "Submitted", "Published", "Enforced")).toEqual(["True", "True", "False"]);
    // Served: kubectl sees it (spec 11.3 step 10) and a Deployment can be created.
    const r = await kc(kcp, lc, ["api-resources", "--api-group=apps"]);
    expect(r.stdout).toMatch(/deployments\s+deploy\s+apps\/v1\s+true\s+Deployment/);
    await apply(kcp, lc, {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: "default" },
      spec: {
        selector: { matchLabels: { app: "web" } },
        template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image: "nginx" }] } },
      },
    });
  });

  test("a narrower import is incompatible while its strategy forbids narrowing a published NAR", async () => {
    const before = condition(await getJson(kcp, lc, `${ARI}/deployments.us-east1.v1.apps`), "Compatible");
    await apply(kcp, lc, anImport("us-west1", "deployments.apps", { withoutEphemeralContainers: true }));
    const west = await eventually("the us-west1 verdict", async () => {
      const o = await getJson(kcp, lc, `${ARI}/deployments.us-west1.v1.apps`);
      return condition(o, "Compatible") && condition(o, "Available") ? o : undefined;
    });
    expect(condition(west, "Compatible")).toMatchObject({ status: "False", reason: "IncompatibleSchema" });
    expect(condition(west, "Compatible")?.message).toContain("ephemeralContainers");
    // Available is about this cluster: kcp serves the resource, but not in a shape it accepts.
    expect(condition(west, "Available")).toMatchObject({ status: "False", reason: "IncompatibleSchema" });
    expect(podSpecProperties(await narSchema(lc)).ephemeralContainers).toBeDefined();
    // The other import's condition did not move (lastTransitionTime changes with the status only).
    expect(condition(await getJson(kcp, lc, `${ARI}/deployments.us-east1.v1.apps`), "Compatible")).toEqual(before);
  });

  test("UpdatePublished lets it narrow: the NAR and the CRD lose the field", async () => {
    const p = await kc(kcp, lc, [
      "patch",
      "apiresourceimports",
      "deployments.us-west1.v1.apps",
      "--type=merge",
      "-p",
      '{"spec":{"schemaUpdateStrategy":"UpdatePublished"}}',
    ]);
    expect(p.code).toBe(0);
    await expectRows("both imports compatible", () => importRows(kcp, lc), [
      ["deployments.us-east1.v1.apps", "us-east1", "UpdateUnpublished", "apps/v1", "deployments", "True", "True"],
      ["deployments.us-west1.v1.apps", "us-west1", "UpdatePublished", "apps/v1", "deployments", "True", "True"],
    ]);
    expect(podSpecProperties(await narSchema(lc)).ephemeralContainers).toBeUndefined();
    await eventually("the CRD republished", async () =>
      podSpecProperties(await crdSchema(lc)).ephemeralContainers === undefined ? true : undefined,
    );
    expect(podSpecProperties(await crdSchema(lc)).containers).toBeDefined();
    const r = await kc(kcp, lc, ["get", "crds", "deployments.apps", "-o", "yaml"]);
    expect(r.stdout).not.toContain("ephemeralContainers:");
  });

  test("the narrowing cluster leaving widens the schema again, in the NAR and the CRD", async () => {
    const r = await kc(kcp, lc, ["delete", "apiresourceimports", "deployments.us-west1.v1.apps"]);
    expect(r.code).toBe(0);
    await eventually("the CRD widened", async () =>
      podSpecProperties(await crdSchema(lc)).ephemeralContainers !== undefined ? true : undefined,
    );
    expect(await narSchema(lc)).toEqual(anImport("us-east1", "deployments.apps").spec.openAPIV3Schema);
    await expectRows("one import left", () => importRows(kcp, lc), [
      ["deployments.us-east1.v1.apps", "us-east1", "UpdateUnpublished", "apps/v1", "deployments", "True", "True"],
    ]);
    // The Deployment made earlier is still there: the CRD was updated, never deleted.
    expect(await getJson(kcp, lc, "/apis/apps/v1/namespaces/default/deployments/web")).toBeDefined();
  });

  test("the last import gone takes the NAR and the CRD with it (spec 11.3 step 19)", async () => {
    const r = await kc(kcp, lc, ["delete", "apiresourceimports", "deployments.us-east1.v1.apps"]);
    expect(r.code).toBe(0);
    await eventually("the NAR and CRD gone", async () => {
      const nar = await getJson(kcp, lc, `${NAR}/deployments.v1.apps`);
      const crd = await getJson(kcp, lc, `${CRD}/deployments.apps`);
      return nar === undefined && crd === undefined ? true : undefined;
    });
    const nars = await kc(kcp, lc, ["get", "negotiatedapiresources"]);
    expect(nars.stderr).toContain("No resources found");
    const res = await kc(kcp, lc, ["api-resources", "--api-group=apps"]);
    expect(res.stdout).not.toContain("deployments");
  });
});

describe("a user's CRD is enforced (spec 11.3 part 2)", () => {
  const lc = "enforced";

  test("imports are only checked against it: it is never narrowed, and new imports get Available", async () => {
    const crdYaml = Bun.spawnSync([process.execPath, "src/main.ts", "crds", "print", "deployments.apps"], {
      cwd: `${import.meta.dir}/../..`,
    });
    expect(crdYaml.exitCode).toBe(0);
    const applied = await kc(kcp, lc, ["apply", "-f", "-"], crdYaml.stdout.toString());
    expect(applied.code).toBe(0);
    await eventually("the user's CRD established", async () => {
      const crd = await getJson(kcp, lc, `${CRD}/deployments.apps`);
      return condition(crd, "Established")?.status === "True" ? crd : undefined;
    });
    const userCrd = (await getJson(kcp, lc, `${CRD}/deployments.apps`)) as Json;

    await apply(kcp, lc, anImport("us-west1", "deployments.apps", { withoutEphemeralContainers: true }));
    await expectRows("the narrower import incompatible", () => importRows(kcp, lc), [
      ["deployments.us-west1.v1.apps", "us-west1", "UpdateUnpublished", "apps/v1", "deployments", "False", "False"],
    ]);
    await expectRows("the NAR enforced", () => narRows(kcp, lc), [
      ["deployments.v1.apps", "true", "apps/v1", "deployments", "True", "True"],
    ]);
    const west = await getJson(kcp, lc, `${ARI}/deployments.us-west1.v1.apps`);
    expect(condition(west, "Compatible")?.message).toContain("ephemeralContainers");

    // Even UpdatePublished does not narrow an enforced schema (step 23).
    await kc(kcp, lc, [
      "patch",
      "apiresourceimports",
      "deployments.us-west1.v1.apps",
      "--type=merge",
      "-p",
      '{"spec":{"schemaUpdateStrategy":"UpdatePublished"}}',
    ]);
    // A compatible import arriving later gets both conditions (step 24 left Available out).
    await apply(kcp, lc, anImport("us-east1", "deployments.apps"));
    await expectRows("the imports' verdicts", () => importRows(kcp, lc), [
      ["deployments.us-east1.v1.apps", "us-east1", "UpdateUnpublished", "apps/v1", "deployments", "True", "True"],
      ["deployments.us-west1.v1.apps", "us-west1", "UpdatePublished", "apps/v1", "deployments", "False", "False"],
    ]);
    expect(await narRows(kcp, lc)).toEqual([["deployments.v1.apps", "true", "apps/v1", "deployments", "True", "True"]]);
    expect(podSpecProperties(await narSchema(lc)).ephemeralContainers).toBeDefined();
    const crd = (await getJson(kcp, lc, `${CRD}/deployments.apps`)) as Json;
    expect(crd.metadata.resourceVersion).toBe(userCrd.metadata.resourceVersion);
    expect(crd.metadata.ownerReferences).toBeUndefined();
  });

  test("when the user's CRD goes, the NAR is negotiated again from the imports, unpublished", async () => {
    const r = await kc(kcp, lc, ["delete", "crd", "deployments.apps"]);
    expect(r.code).toBe(0);
    const nar = await eventually("a negotiated NAR", async () => {
      const o = await getJson(kcp, lc, `${NAR}/deployments.v1.apps`);
      const crd = await getJson(kcp, lc, `${CRD}/deployments.apps`);
      return o && !crd && condition(o, "Enforced")?.status !== "True" && o.spec.publish === undefined ? o : undefined;
    });
    // Negotiated from both imports now: us-west1 (UpdatePublished) narrowed it.
    expect(podSpecProperties(nar.spec.openAPIV3Schema).ephemeralContainers).toBeUndefined();
    expect(await getJson(kcp, lc, `${CRD}/deployments.apps`)).toBeUndefined();
  });
});

describe("names and scope are compared", () => {
  const lc = "mismatch";

  test("an import with another scope or kind is incompatible, and says so", async () => {
    await apply(kcp, lc, anImport("east", "deployments.apps"));
    await eventually("the NAR", () => getJson(kcp, lc, `${NAR}/deployments.v1.apps`));
    await apply(
      kcp,
      lc,
      anImport("west", "deployments.apps", {
        strategy: "UpdatePublished",
        edit: (spec) => {
          spec.scope = "Cluster";
        },
      }),
    );
    const west = await eventually("the west verdict", async () => {
      const o = await getJson(kcp, lc, `${ARI}/deployments.west.v1.apps`);
      return condition(o, "Compatible") ? o : undefined;
    });
    expect(condition(west, "Compatible")).toMatchObject({ status: "False", reason: "IncompatibleSchema" });
    expect(condition(west, "Compatible")?.message).toContain("scope");
    const nar = await getJson(kcp, lc, `${NAR}/deployments.v1.apps`);
    expect(nar?.spec.scope).toBe("Namespaced");
  });
});

describe("kcp start --auto-publish-apis", () => {
  test("new negotiated resources are published at once; the core group's CRD is <plural>.core", async () => {
    let k = await startKcp({ args: ["--auto-publish-apis"] });
    try {
      const lc = "auto";
      await apply(k, lc, anImport("east", "pods.core"));
      await eventually("pods served", async () => {
        const r = await kc(k, lc, ["get", "apiresourceimports", "-o", "wide"]);
        const rows = wideRows(r.stdout, IMPORT_COLUMNS);
        return rows[0]?.[5] === "True" && rows[0]?.[6] === "True" ? true : undefined;
      });
      const nar = await getJson(k, lc, `${NAR}/pods.v1.core`);
      expect(nar?.spec.publish).toBe(true);
      expect(nar?.metadata.annotations["apiresource.kcp.dev/apiVersion"]).toBe("v1");
      const crd = await getJson(k, lc, `${CRD}/pods.core`);
      expect(crd?.spec.group).toBe("");
      const r = await kc(k, lc, ["api-resources", "--api-group="]);
      expect(r.stdout).toMatch(/pods\s+po\s+v1\s+true\s+Pod/);
      await apply(k, lc, {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "p", namespace: "default" },
        spec: { containers: [{ name: "c", image: "nginx" }] },
      });

      // A restart decides nothing before it has seen the negotiated resources: the CRD (and its
      // objects) survive, untouched.
      await k.stop();
      k = await startKcp({ rootDir: k.rootDir, args: ["--auto-publish-apis"] });
      await eventually("the controller started", async () =>
        k.output().includes("negotiation controller: started") ? true : undefined,
      );
      // Something to react to after the start: another import of the same resource.
      await apply(k, lc, anImport("west", "pods.core"));
      await eventually("the second import available", async () => {
        const o = await getJson(k, lc, `${ARI}/pods.west.v1.core`);
        return condition(o, "Available")?.status === "True" ? true : undefined;
      });
      const after = await getJson(k, lc, `${CRD}/pods.core`);
      expect(after?.metadata.uid).toBe(crd?.metadata.uid);
      expect(await getJson(k, lc, "/api/v1/namespaces/default/pods/p")).toBeDefined();
      expect(k.output()).not.toContain("deleted CRD");
    } finally {
      await k.stop();
      removeDir(k.rootDir);
    }
  });
});
