// Discovery as kubectl sees it: `api-resources` (aggregated v2 and, for kubectl 1.27, v2beta1),
// `api-versions`, `version`, and the error for a resource the server does not serve.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { parseTable } from "../helpers/kubectl-table.ts";
import { type KcpProcess, kubectl, useKcp } from "../helpers/kcp-process.ts";

let kcp: KcpProcess;

useKcp((k) => (kcp = k));

// NAME, SHORTNAMES, APIVERSION, NAMESPACED, KIND — in kubectl's order (by group, then name).
const EXPECTED_RESOURCES = [
  ["configmaps", "cm", "v1", "true", "ConfigMap"],
  ["events", "ev", "v1", "true", "Event"],
  ["limitranges", "limits", "v1", "true", "LimitRange"],
  ["namespaces", "ns", "v1", "false", "Namespace"],
  ["resourcequotas", "quota", "v1", "true", "ResourceQuota"],
  ["secrets", "", "v1", "true", "Secret"],
  ["serviceaccounts", "sa", "v1", "true", "ServiceAccount"],
  ["customresourcedefinitions", "crd,crds", "apiextensions.k8s.io/v1", "false", "CustomResourceDefinition"],
  ["apiservices", "", "apiregistration.k8s.io/v1", "false", "APIService"],
  ["apiresourceimports", "", "apiresource.kcp.dev/v1alpha1", "false", "APIResourceImport"],
  ["negotiatedapiresources", "", "apiresource.kcp.dev/v1alpha1", "false", "NegotiatedAPIResource"],
  ["selfsubjectreviews", "", "authentication.k8s.io/v1", "false", "SelfSubjectReview"],
  ["tokenreviews", "", "authentication.k8s.io/v1", "false", "TokenReview"],
  ["localsubjectaccessreviews", "", "authorization.k8s.io/v1", "true", "LocalSubjectAccessReview"],
  ["selfsubjectaccessreviews", "", "authorization.k8s.io/v1", "false", "SelfSubjectAccessReview"],
  ["selfsubjectrulesreviews", "", "authorization.k8s.io/v1", "false", "SelfSubjectRulesReview"],
  ["subjectaccessreviews", "", "authorization.k8s.io/v1", "false", "SubjectAccessReview"],
  ["certificatesigningrequests", "csr", "certificates.k8s.io/v1", "false", "CertificateSigningRequest"],
  ["clusters", "", "cluster.example.dev/v1alpha1", "false", "Cluster"],
  ["leases", "", "coordination.k8s.io/v1", "true", "Lease"],
  ["events", "ev", "events.k8s.io/v1", "true", "Event"],
  ["clusterrolebindings", "", "rbac.authorization.k8s.io/v1", "false", "ClusterRoleBinding"],
  ["clusterroles", "", "rbac.authorization.k8s.io/v1", "false", "ClusterRole"],
  ["rolebindings", "", "rbac.authorization.k8s.io/v1", "true", "RoleBinding"],
  ["roles", "", "rbac.authorization.k8s.io/v1", "true", "Role"],
  // Served in admin alone (docs/logical-clusters.md).
  ["logicalclusters", "lc", "tenancy.kcp.io/v1alpha1", "false", "LogicalCluster"],
];

const CRUD_VERBS = "create,delete,deletecollection,get,list,patch,update,watch";

function resourceRows(stdout: string): string[][] {
  return parseTable(stdout).map((r) => [r.NAME, r.SHORTNAMES, r.APIVERSION, r.NAMESPACED, r.KIND]);
}

/** The request paths a `-v=6` kubectl run logged. */
function requestedPaths(stderr: string, port: number): string[] {
  const re = new RegExp(`(?:GET|url=")\\s*https://127\\.0\\.0\\.1:${port}(/[^\\s?"]*)`, "g");
  return [...stderr.matchAll(re)].map((m) => m[1]);
}

describe("kubectl api-resources", () => {
  test("lists exactly the served resources (default kubectl, aggregated discovery v2)", async () => {
    const cache = join(kcp.rootDir, "cache-default");
    const r = await kubectl(kcp, ["api-resources", "-v=6"], { cacheDir: cache });
    expect(r.code).toBe(0);
    expect(resourceRows(r.stdout)).toEqual(EXPECTED_RESOURCES);
    // Two requests and no per-group-version fallback: the aggregated answer was accepted.
    expect(requestedPaths(r.stderr, kcp.port).filter((p) => p.startsWith("/api"))).toEqual(["/api", "/apis"]);
  });

  test("kubectl 1.27 (aggregated discovery v2beta1) sees the same table", async () => {
    const cache = join(kcp.rootDir, "cache-1.27");
    const r = await kubectl(kcp, ["api-resources", "-v=6"], { version: "1.27", cacheDir: cache });
    expect(r.code).toBe(0);
    expect(resourceRows(r.stdout)).toEqual(EXPECTED_RESOURCES);
    expect(requestedPaths(r.stderr, kcp.port).filter((p) => p.startsWith("/api"))).toEqual(["/api", "/apis"]);
  });

  test("-o wide shows each resource's verbs", async () => {
    const r = await kubectl(kcp, ["api-resources", "-o", "wide"]);
    expect(r.code).toBe(0);
    const verbs = new Map(parseTable(r.stdout).map((row) => [`${row.NAME}.${row.APIVERSION}`, row.VERBS]));
    expect(verbs.get("configmaps.v1")).toBe(CRUD_VERBS);
    expect(verbs.get("leases.coordination.k8s.io/v1")).toBe(CRUD_VERBS);
    expect(verbs.get("namespaces.v1")).toBe("create,delete,get,list,patch,update,watch");
    expect(verbs.get("tokenreviews.authentication.k8s.io/v1")).toBe("create");
    expect(verbs.get("selfsubjectaccessreviews.authorization.k8s.io/v1")).toBe("create");
  });

  test("--api-group and --namespaced filter the same data", async () => {
    const r = await kubectl(kcp, [
      "api-resources",
      "--api-group=rbac.authorization.k8s.io",
      "--namespaced=true",
      "-o",
      "name",
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split("\n")).toEqual([
      "rolebindings.rbac.authorization.k8s.io",
      "roles.rbac.authorization.k8s.io",
    ]);
  });
});

describe("other discovery commands", () => {
  test("kubectl get pods: the server doesn't have that resource type", async () => {
    const r = await kubectl(kcp, ["get", "pods"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the server doesn\'t have a resource type "pods"');
  });

  test("kubectl version shows server v1.32", async () => {
    const r = await kubectl(kcp, ["version"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Server Version: v1\.32\.\d+/m);
    const json = await kubectl(kcp, ["version", "-o", "json"]);
    expect(json.code).toBe(0);
    const server = JSON.parse(json.stdout).serverVersion;
    expect(server.major).toBe("1");
    expect(server.minor).toBe("32");
    expect(server.gitVersion).toStartWith("v1.32.");
  });

  test("kubectl api-versions lists every served group-version", async () => {
    const r = await kubectl(kcp, ["api-versions"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split("\n")).toEqual([
      "apiextensions.k8s.io/v1",
      "apiregistration.k8s.io/v1",
      "apiresource.kcp.dev/v1alpha1",
      "authentication.k8s.io/v1",
      "authorization.k8s.io/v1",
      "certificates.k8s.io/v1",
      "cluster.example.dev/v1alpha1",
      "coordination.k8s.io/v1",
      "events.k8s.io/v1",
      "rbac.authorization.k8s.io/v1",
      "tenancy.kcp.io/v1alpha1",
      "v1",
    ]);
  });

  test("kubectl get by short name and by resource.group", async () => {
    const ns = await kubectl(kcp, ["get", "ns", "-o", "name"]);
    expect(ns.code).toBe(0);
    expect(ns.stdout.trim().split("\n")).toEqual([
      "namespace/default",
      "namespace/kube-node-lease",
      "namespace/kube-public",
      "namespace/kube-system",
    ]);
    const ev = await kubectl(kcp, ["get", "events.events.k8s.io", "-A", "-o", "name"]);
    expect(ev.code).toBe(0);
    expect(ev.stderr).toBe("");
  });
});
