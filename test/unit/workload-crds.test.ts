// The ready-made workload CRDs (src/apis/workload-crds/): kcp's own CRD validation accepts every
// one (structural, names, columns, subresources), they carry the facts server-side apply and
// validation depend on (list-map keys, int-or-string, quantities), and `kcp crds` prints them.

import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { builtinResources } from "../../src/apis/builtin/index.ts";
import type { KObject, ResourceDef } from "../../src/apis/types.ts";
import {
  selectWorkloadCRDs,
  WORKLOAD_CRDS_KUBERNETES_VERSION,
  workloadCRDs,
} from "../../src/apis/workload-crds/workload-crds.ts";
import { fieldErrorText } from "../../src/machinery/status.ts";

const crdDef = builtinResources({} as never).find((d) => d.plural === "customresourcedefinitions") as ResourceDef;
type S = Record<string, any>;

function schemaOf(crd: KObject): S {
  return (crd.spec as S).versions[0].schema.openAPIV3Schema;
}

/** The schema at a dotted path, `[]` stepping into list items. */
function at(s: S, path: string): S {
  let cur = s;
  for (const seg of path.split(".")) cur = seg === "[]" ? cur.items : cur.properties[seg];
  return cur;
}

const byName = (n: string) => workloadCRDs().find((c) => c.metadata.name === n) as KObject;

describe("ready-made workload CRDs", () => {
  test("every CRD passes kcp's CRD validation", () => {
    const crds = workloadCRDs();
    expect(crds.map((c) => c.metadata.name)).toEqual([
      "deployments.apps",
      "replicasets.apps",
      "statefulsets.apps",
      "daemonsets.apps",
      "jobs.batch",
      "cronjobs.batch",
      "pods.core",
      "services.core",
      "ingresses.networking.k8s.io",
      "poddisruptionbudgets.policy",
      "horizontalpodautoscalers.autoscaling",
      "priorityclasses.scheduling.k8s.io",
    ]);
    for (const c of crds) {
      const crd = { ...structuredClone(c), status: { storedVersions: [(c.spec as S).versions[0].name] } };
      expect([c.metadata.name, (crdDef.strategy.validate?.(crd, {} as never) ?? []).map(fieldErrorText)]).toEqual([
        c.metadata.name,
        [],
      ]);
    }
  });

  test("list-map keys as Kubernetes has them", () => {
    const pod = at(schemaOf(byName("deployments.apps")), "spec.template.spec");
    const keys = (p: string) => [at(pod, p)["x-kubernetes-list-type"], at(pod, p)["x-kubernetes-list-map-keys"]];
    expect(keys("containers")).toEqual(["map", ["name"]]);
    expect(keys("containers.[].ports")).toEqual(["map", ["containerPort", "protocol"]]);
    expect(keys("containers.[].env")).toEqual(["map", ["name"]]);
    expect(keys("containers.[].volumeMounts")).toEqual(["map", ["mountPath"]]);
    expect(keys("volumes")).toEqual(["map", ["name"]]);
    expect(keys("topologySpreadConstraints")).toEqual(["map", ["topologyKey", "whenUnsatisfiable"]]);
    // A key an item may omit has a default, as CRD validation requires.
    expect(at(pod, "containers.[].ports.[].protocol").default).toBe("TCP");
    const svc = at(schemaOf(byName("services.core")), "spec.ports");
    expect([svc["x-kubernetes-list-type"], svc["x-kubernetes-list-map-keys"]]).toEqual(["map", ["port", "protocol"]]);
  });

  test("IntOrString and Quantity fields are int-or-string; quantities are checked by pattern", () => {
    const d = schemaOf(byName("deployments.apps"));
    expect(at(d, "spec.strategy.rollingUpdate.maxSurge")["x-kubernetes-int-or-string"]).toBe(true);
    const limits = at(d, "spec.template.spec.containers.[].resources.limits").additionalProperties;
    expect(limits["x-kubernetes-int-or-string"]).toBe(true);
    const re = new RegExp(limits.pattern);
    for (const ok of ["100m", "1Gi", "0.5", "1e3"]) expect(re.test(ok)).toBe(true);
    for (const bad of ["1Gigs", "ten", ""]) expect(re.test(bad)).toBe(false);
    expect(at(d, "spec.template.spec.containers.[].readinessProbe.httpGet.port")["x-kubernetes-int-or-string"]).toBe(
      true,
    );
  });

  test("descriptions, required fields, subresources, columns and names", () => {
    const d = byName("deployments.apps");
    const s = schemaOf(d);
    expect(at(s, "spec").required).toEqual(["selector", "template"]);
    expect(at(s, "spec.template.spec").required).toEqual(["containers"]);
    expect(at(s, "spec.replicas").description).toStartWith("Number of desired pods.");
    // No root metadata: the server owns it; templates keep theirs.
    expect(s.properties.metadata).toBeUndefined();
    expect(at(s, "spec.template.metadata.labels").type).toBe("object");
    const v = (d.spec as S).versions[0];
    expect(v.subresources).toEqual({
      status: {},
      scale: { specReplicasPath: ".spec.replicas", statusReplicasPath: ".status.replicas" },
    });
    // No columns: kcp prints the apps workloads with kube's own (src/apis/crd/kube-kind-printers.ts).
    expect(v.additionalPrinterColumns).toBeUndefined();
    const cronJobs = (byName("cronjobs.batch").spec as S).versions[0];
    expect(cronJobs.additionalPrinterColumns.map((c: S) => c.name)).toContain("Schedule");
    expect((d.spec as S).names).toMatchObject({ shortNames: ["deploy"], categories: ["all"] });
    const pods = byName("pods.core");
    expect((pods.spec as S).group).toBe("");
    expect(d.metadata.annotations?.["kcp.dev/kubernetes-version"]).toBe(WORKLOAD_CRDS_KUBERNETES_VERSION);
    // Each CRD stays below what client-side `kubectl apply` can keep in its annotation (256 KiB).
    for (const c of workloadCRDs()) expect(JSON.stringify(c).length).toBeLessThan(200 * 1024);
  });

  test("the other kinds: versions, scopes, categories, approval annotations, their facts", () => {
    const hpa = byName("horizontalpodautoscalers.autoscaling");
    expect((hpa.spec as S).versions[0].name).toBe("v2");
    expect((hpa.spec as S).names.categories).toEqual(["all"]);
    const target = at(schemaOf(hpa), "spec.metrics.[].resource.target.averageValue");
    expect(target["x-kubernetes-int-or-string"]).toBe(true);
    const pc = byName("priorityclasses.scheduling.k8s.io");
    expect([(pc.spec as S).scope, (pc.spec as S).versions[0].subresources]).toEqual(["Cluster", {}]);
    expect(schemaOf(pc).required).toEqual(["value"]);
    expect(pc.metadata.annotations?.["api-approved.kubernetes.io"]).toStartWith("https://github.com/kubernetes/api/");
    const ing = byName("ingresses.networking.k8s.io");
    expect((ing.spec as S).names.categories).toBeUndefined();
    const pdb = at(schemaOf(byName("poddisruptionbudgets.policy")), "spec.minAvailable");
    expect(pdb["x-kubernetes-int-or-string"]).toBe(true);
  });

  test("selection by name, plural, kind or short name; unknown names are refused", () => {
    expect(
      selectWorkloadCRDs(["deploy", "Pod", "services", "jobs.batch", "deploy"]).map((c) => c.metadata.name),
    ).toEqual(["deployments.apps", "pods.core", "services.core", "jobs.batch"]);
    expect(() => selectWorkloadCRDs(["gadgets"])).toThrow('no ready-made CRD for "gadgets"');
  });
});

describe("kcp crds", () => {
  const MAIN = join(import.meta.dir, "../../src/main.ts");
  async function kcp(...args: string[]) {
    const proc = Bun.spawn([process.execPath, MAIN, ...args], { stdout: "pipe", stderr: "pipe" });
    const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
    return { code: await proc.exited, stdout, stderr };
  }

  test("print writes every CRD as YAML documents, whole even through a pipe", async () => {
    const r = await kcp("crds", "print");
    expect(r.code).toBe(0);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS());
    expect(docs).toEqual(workloadCRDs());
  });

  test("print NAME… -o json writes a List of those; an unknown name exits 1", async () => {
    const r = await kcp("crds", "print", "deploy", "svc", "-o", "json");
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout);
    expect(list.kind).toBe("List");
    expect(list.items.map((c: KObject) => c.metadata.name)).toEqual(["deployments.apps", "services.core"]);
    const bad = await kcp("crds", "print", "nope");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('no ready-made CRD for "nope"');
    expect(bad.stdout).toBe("");
  });

  test("list names them", async () => {
    const r = await kcp("crds", "list");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^deployments\.apps\s+deploy\s+Deployment$/m);
    expect(r.stdout).toMatch(/^pods\.core\s+po\s+Pod$/m);
  });
});
