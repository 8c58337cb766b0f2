// A stand-in for an old Kubernetes cluster's API server, for the CRD puller's tests: it serves
// kube-apiserver's own OpenAPI v2 document of 1.10–1.13 (the npm package kubernetes-client@9.0.0
// ships them) at /openapi/v2, answers 404 at /openapi/v3 as those versions did, and serves the
// legacy discovery documents (/api, /api/v1, /apis, /apis/<group>/<version>) derived from the
// document's paths: resources, kinds, scope, verbs and subresources as that cluster had them,
// preferred versions in kube's order. Short names and categories are not in OpenAPI: a few are
// added as 1.13 had them. Also: v1beta1 CRDs (what 1.13 served), and a broken aggregated group
// (metrics.k8s.io answering 503) as real clusters often have.

import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import { compareKubeAwareVersions } from "../../src/machinery/kube-aware-version.ts";

type Json = Record<string, unknown>;

const SPECS = resolve(import.meta.dir, "../../node_modules/kubernetes-client/lib/specs");

/** The OpenAPI v2 document of kube-apiserver `version` ("1.10" … "1.13"). */
export function kubeSwagger(version: "1.10" | "1.11" | "1.12" | "1.13"): Json {
  return JSON.parse(gunzipSync(readFileSync(join(SPECS, `swagger-${version}.json.gz`))).toString("utf8"));
}

/** Short names and categories of 1.13's discovery (not in OpenAPI). */
const EXTRA: Record<string, { shortNames?: string[]; categories?: string[] }> = {
  "apps/deployments": { shortNames: ["deploy"], categories: ["all"] },
  "extensions/deployments": { shortNames: ["deploy"], categories: ["all"] },
  "apps/replicasets": { shortNames: ["rs"], categories: ["all"] },
  "apps/statefulsets": { shortNames: ["sts"], categories: ["all"] },
  "apps/daemonsets": { shortNames: ["ds"], categories: ["all"] },
  "batch/cronjobs": { shortNames: ["cj"], categories: ["all"] },
  "batch/jobs": { categories: ["all"] },
  "/pods": { shortNames: ["po"], categories: ["all"] },
  "/services": { shortNames: ["svc"], categories: ["all"] },
  "/configmaps": { shortNames: ["cm"] },
};

const ACTION_VERBS: Record<string, string> = {
  list: "list",
  get: "get",
  post: "create",
  put: "update",
  patch: "patch",
  delete: "delete",
  deletecollection: "deletecollection",
  watch: "watch",
  watchlist: "watch",
};

interface Resource {
  name: string;
  singularName: string;
  namespaced: boolean;
  kind: string;
  verbs: Set<string>;
  shortNames?: string[];
  categories?: string[];
}

/** group → version → resource name (with subresources as "deployments/status") → resource. */
type Discovery = Map<string, Map<string, Map<string, Resource>>>;

const PATH =
  /^\/(?:api|apis\/([^/]+))\/([^/]+)\/(?:watch\/)?(?:namespaces\/\{namespace\}\/)?([a-z0-9]+)(?:\/\{name\})?(?:\/([a-z]+))?$/;

function discoveryOf(swagger: Json): Discovery {
  const out: Discovery = new Map();
  for (const [path, item] of Object.entries(swagger.paths as Record<string, Json>)) {
    const m = PATH.exec(path);
    if (!m) continue;
    const [, group = "", version = "", plural = "", sub] = m;
    if (group === "" && !path.startsWith("/api/")) continue;
    // namespaces/{name}/status is the namespace's subresource; /namespaces alone is the resource.
    const namespaced = path.includes("/namespaces/{namespace}/");
    const name = sub ? `${plural}/${sub}` : plural;
    for (const op of Object.values(item)) {
      if (typeof op !== "object" || op === null) continue;
      const o = op as Json;
      const gvk = o["x-kubernetes-group-version-kind"] as { kind?: string } | undefined;
      const verb = ACTION_VERBS[String(o["x-kubernetes-action"])];
      if (!gvk?.kind || !verb) continue;
      let versions = out.get(group);
      if (!versions) out.set(group, (versions = new Map()));
      let resources = versions.get(version);
      if (!resources) versions.set(version, (resources = new Map()));
      let r = resources.get(name);
      if (!r) {
        r = { name, singularName: "", namespaced, kind: gvk.kind, verbs: new Set() };
        const extra = sub ? undefined : EXTRA[`${group}/${plural}`];
        if (extra?.shortNames) r.shortNames = extra.shortNames;
        if (extra?.categories) r.categories = extra.categories;
        resources.set(name, r);
      }
      if (namespaced) r.namespaced = true;
      r.verbs.add(verb);
    }
  }
  return out;
}

export interface LegacyKubeServer {
  url: string;
  kubeconfig: string;
  /** Requests seen, as "GET /path". */
  requests: string[];
  stop(): void;
}

export interface LegacyKubeOptions {
  swagger?: Json;
  /** v1beta1 CRDs the cluster has (served at /apis/apiextensions.k8s.io/v1beta1/customresourcedefinitions). */
  crds?: Json[];
  /** Where to write the kubeconfig. */
  kubeconfigPath: string;
  /**
   * Serve OpenAPI v3 as newer clusters do (an index, then one document per group-version), made
   * from the v2 document as kube writes v3: references wrapped in `allOf` beside their description
   * and a Go zero-value `default: {}`, and ports' `protocol` defaulted to "TCP".
   */
  openapiV3?: boolean;
  /** The credentials may not list CRDs (403), as a narrowly bound service account. */
  forbidCRDList?: boolean;
  /** Paths that answer 503 for now (read on every request: a test may change the set). */
  unavailable?: Set<string>;
}

/** A v2 schema tree in v3's form (see LegacyKubeOptions.openapiV3). */
function toV3(v: unknown, key = ""): unknown {
  if (Array.isArray(v)) return v.map((x) => toV3(x));
  if (!v || typeof v !== "object") return v;
  const o = v as Json;
  if (typeof o.$ref === "string") {
    const ref = o.$ref.replace("#/definitions/", "#/components/schemas/");
    const { $ref: _r, ...siblings } = o;
    if (Object.keys(siblings).length === 0) return { $ref: ref };
    return { ...(toV3(siblings) as Json), allOf: [{ $ref: ref }], default: {} };
  }
  const out: Json = {};
  for (const [k, x] of Object.entries(o)) out[k] = toV3(x, k);
  if (key === "io.k8s.api.core.v1.ContainerPort") {
    const props = out.properties as Json;
    props.protocol = { ...(props.protocol as Json), default: "TCP" };
  }
  return out;
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

function resourceList(groupVersion: string, resources: Map<string, Resource>): Json {
  return {
    kind: "APIResourceList",
    groupVersion,
    resources: [...resources.values()].map((r) => ({
      name: r.name,
      singularName: r.singularName,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: [...r.verbs].sort(),
      ...(r.shortNames ? { shortNames: r.shortNames } : {}),
      ...(r.categories ? { categories: r.categories } : {}),
    })),
  };
}

/** Discovery of a v1beta1 CRD's resource (and its status subresource). */
function crdResources(crd: Json): Map<string, Resource> {
  const spec = crd.spec as Json;
  const names = spec.names as Json;
  const plural = names.plural as string;
  const r: Resource = {
    name: plural,
    singularName: (names.singular as string) ?? "",
    namespaced: spec.scope === "Namespaced",
    kind: names.kind as string,
    verbs: new Set(["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]),
  };
  const out = new Map([[plural, r]]);
  if ((spec.subresources as Json | undefined)?.status) {
    out.set(`${plural}/status`, { ...r, name: `${plural}/status`, verbs: new Set(["get", "patch", "update"]) });
  }
  return out;
}

export async function startLegacyKube(opts: LegacyKubeOptions): Promise<LegacyKubeServer> {
  const swagger = opts.swagger ?? kubeSwagger("1.13");
  const discovery = discoveryOf(swagger);
  const swaggerText = JSON.stringify(swagger);
  const v3Text = opts.openapiV3
    ? JSON.stringify({ openapi: "3.0.0", components: { schemas: toV3(swagger.definitions) } })
    : undefined;
  const requests: string[] = [];
  const groupsOrder = [...discovery.keys()].filter((g) => g !== "");
  const versionsOf = (g: string) => [...(discovery.get(g)?.keys() ?? [])].sort(compareKubeAwareVersions);
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(req) {
      const url = new URL(req.url);
      const path = url.pathname;
      requests.push(`${req.method} ${path}`);
      if (req.method !== "GET")
        return json({ kind: "Status", status: "Failure", code: 405, reason: "MethodNotAllowed" }, 405);
      if (path === "/openapi/v2") return new Response(swaggerText, { headers: { "Content-Type": "application/json" } });
      if (v3Text && path === "/openapi/v3") {
        const paths: Json = {};
        for (const [g, versions] of discovery) {
          for (const v of versions.keys()) {
            const key = g ? `apis/${g}/${v}` : `api/${v}`;
            paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=0123ABCD` };
          }
        }
        return json({ paths });
      }
      if (v3Text && path.startsWith("/openapi/v3/") && url.searchParams.get("hash") === "0123ABCD") {
        return new Response(v3Text, { headers: { "Content-Type": "application/json" } });
      }
      if (path === "/api") return json({ kind: "APIVersions", versions: ["v1"] });
      if (path === "/api/v1") return json(resourceList("v1", discovery.get("")?.get("v1") ?? new Map()));
      if (path === "/apis") {
        const groups = groupsOrder.map((g) => {
          const versions = versionsOf(g).map((v) => ({ groupVersion: `${g}/${v}`, version: v }));
          return { name: g, versions, preferredVersion: versions[0] };
        });
        const metrics = { groupVersion: "metrics.k8s.io/v1beta1", version: "v1beta1" };
        groups.push({ name: "metrics.k8s.io", versions: [metrics], preferredVersion: metrics });
        return json({ kind: "APIGroupList", groups });
      }
      if (path === "/apis/metrics.k8s.io/v1beta1" || opts.unavailable?.has(path))
        return new Response("service unavailable", { status: 503 });
      if (path === "/apis/apiextensions.k8s.io/v1beta1/customresourcedefinitions" && opts.forbidCRDList) {
        return json({ kind: "Status", status: "Failure", code: 403, reason: "Forbidden", message: "forbidden" }, 403);
      }
      if (path === "/apis/apiextensions.k8s.io/v1beta1/customresourcedefinitions") {
        return json({
          kind: "CustomResourceDefinitionList",
          apiVersion: "apiextensions.k8s.io/v1beta1",
          metadata: {},
          items: opts.crds ?? [],
        });
      }
      const gv = /^\/apis\/([^/]+)\/([^/]+)$/.exec(path);
      const crds = gv
        ? (opts.crds ?? []).filter((c) => (c.spec as Json).group === gv[1] && (c.spec as Json).version === gv[2])
        : [];
      if (gv && crds.length > 0) {
        return json(resourceList(`${gv[1]}/${gv[2]}`, new Map(crds.flatMap((c) => [...crdResources(c)]))));
      }
      const resources = gv ? discovery.get(gv[1] as string)?.get(gv[2] as string) : undefined;
      if (gv && resources) return json(resourceList(`${gv[1]}/${gv[2]}`, resources));
      // kube-apiserver 1.13 answered unknown paths (and /openapi/v3) with a plain 404.
      return new Response("404 page not found\n", { status: 404, headers: { "Content-Type": "text/plain" } });
    },
  });
  // CRD groups appear in /apis too.
  for (const c of opts.crds ?? []) {
    const spec = c.spec as Json;
    const g = spec.group as string;
    if (!discovery.has(g)) {
      groupsOrder.push(g);
      discovery.set(g, new Map([[spec.version as string, new Map()]]));
    }
  }
  const url = `http://127.0.0.1:${server.port}`;
  const kubeconfig = [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: old",
    "  cluster:",
    `    server: ${url}`,
    "users:",
    "- name: old",
    "  user:",
    "    token: old-cluster-token",
    "contexts:",
    "- name: old",
    "  context:",
    "    cluster: old",
    "    user: old",
    "current-context: old",
    "",
  ].join("\n");
  await Bun.write(opts.kubeconfigPath, kubeconfig);
  return { url, kubeconfig: opts.kubeconfigPath, requests, stop: () => server.stop(true) };
}
