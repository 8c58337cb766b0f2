// The CRD puller: a cluster's resources as CustomResourceDefinitions kcp can serve. For each
// resource (named, or every one the cluster serves), in the version discovery prefers:
//
// - the cluster's own CRD when the resource is one (a CRD-based API, or any resource of another
//   kcp): returned as it is, server-written fields removed, the discovered version only; a schema
//   that is not structural (the NonStructuralSchema condition, or kcp's own check) is replaced by
//   one that preserves everything, with a warning;
// - otherwise its OpenAPI model converted to a structural schema (src/apis/crd-pull/), with the
//   status and scale subresources discovery lists, names, short names and categories from
//   discovery, and no printer columns (OpenAPI has none to give).
//
// Skipped, with the reason: resources kcp serves natively (opts.servedNatively), resources that
// cannot be objects (no create/get/list: tokenreviews, bindings), resources without a model, and
// any result that kcp's own CRD validation would refuse (so whatever is returned can be applied).
// Subresources are never resources. The output is deterministic: the same cluster state gives
// byte-identical CRDs, sorted by name.

import { convertModel, SchemaConversionError, type ConvertOptions } from "../../apis/crd-pull/openapi-to-structural.ts";
import { gvkKey } from "../../apis/crd-pull/openapi-models.ts";
import {
  API_APPROVED_ANNOTATION,
  API_APPROVED_VALUE,
  buildPulledCRD,
  cleanPulledCRD,
  isProtectedGroup,
  pulledCRDName,
} from "../../apis/crd-pull/pulled-crd.ts";
import { validateAPIApproval, validateCRD } from "../../apis/crd/crd-validation.ts";
import type { JSONSchemaProps } from "../../apis/crd/schema-types.ts";
import type { KObject } from "../../apis/types.ts";
import type { RestClient } from "../../client/rest-client.ts";
import { fieldErrorText, isStatusError } from "../../machinery/status.ts";
import { isObject } from "../../machinery/object.ts";
import { OpenAPISource } from "./openapi-source.ts";
import { type DiscoveredResource, discoverForPull, findRequested, groupResourceOf } from "./pull-discovery.ts";
import { listRemoteCRDs } from "./remote-crds.ts";

type Json = Record<string, unknown>;

export interface PullSkip {
  resource: string;
  reason: string;
  /** The resource was named but the cluster does not serve it (the CLI exits 1 for this). */
  notFound?: boolean;
}

export interface PullResult {
  /** apiextensions.k8s.io/v1 CRDs, one version each, sorted by name. */
  crds: Record<string, unknown>[];
  skipped: PullSkip[];
  /** Things pulled, but not quite as the cluster has them (a non-structural schema made permissive). */
  warnings?: string[];
  /**
   * Groups ("" for core) whose discovery failed for some version: a resource of theirs missing from
   * `crds` may well exist (an importer must not take that as gone).
   */
  incompleteGroups?: string[];
}

export interface CrdPullerOptions {
  /** true when kcp serves group/version/resource natively (skipped) */
  servedNatively?(group: string, version: string, resource: string): boolean;
  /** Bounds of the OpenAPI conversion (tests). */
  convert?: ConvertOptions;
}

/** What a CRD of a schema that cannot be trusted gets: every field kept, nothing validated. */
export const PERMISSIVE_SCHEMA: JSONSchemaProps = { type: "object", "x-kubernetes-preserve-unknown-fields": true };

/** The verbs without which a resource is not an object kcp could store (tokenreviews: create only). */
const OBJECT_VERBS = ["create", "get", "list"];

export class CrdPuller {
  private openapi?: OpenAPISource;

  constructor(
    private readonly client: RestClient,
    private readonly opts: CrdPullerOptions = {},
  ) {}

  /** Pulls `resources` ("deployments.apps", "pods", "leases.coordination.k8s.io"), or all when none. */
  async pull(resources?: string[]): Promise<PullResult> {
    const discovery = await discoverForPull(this.client);
    const skipped: PullSkip[] = [];
    // A group-version discovery could not read (an aggregated API that is down) is not an error:
    // the rest is pulled, and its resources are missing from the result.
    const warnings = discovery.failed.map((f) => `discovery of ${f}: its resources are not pulled`);
    let chosen: DiscoveredResource[];
    if (resources && resources.length > 0) {
      chosen = [];
      const seen = new Set<DiscoveredResource>();
      for (const name of resources) {
        const r = findRequested(discovery.resources, name);
        if (!r) {
          const why = discovery.failed.length > 0 ? ` (discovery failed for ${discovery.failed.join("; ")})` : "";
          skipped.push({ resource: name, reason: `the server has no resource "${name}"${why}`, notFound: true });
        } else if (!seen.has(r)) {
          seen.add(r);
          chosen.push(r);
        }
      }
    } else chosen = discovery.resources;

    const crdAPI = this.crdAPIVersion(discovery.resources);
    let remote: Promise<Map<string, Json>> | undefined;
    const remoteCRDs = () => {
      remote ??= crdAPI
        ? listRemoteCRDs(this.client, crdAPI).catch((e) => {
            // Credentials that may not list CRDs still pull: CRD-based kinds from OpenAPI instead.
            if (!isStatusError(e) || (e.code !== 403 && e.code !== 404)) throw e;
            warnings.push(`the cluster's CRDs cannot be read (${e.message}); every schema comes from OpenAPI`);
            return new Map<string, Json>();
          })
        : Promise.resolve(new Map<string, Json>());
      return remote;
    };

    const crds: Json[] = [];
    for (const r of chosen) {
      const gr = groupResourceOf(r);
      const skip = (reason: string) => skipped.push({ resource: gr, reason });
      if (this.opts.servedNatively?.(r.group, r.version, r.plural)) {
        skip("kcp serves it natively");
        continue;
      }
      const missing = OBJECT_VERBS.filter((v) => !r.verbs.includes(v));
      if (missing.length > 0) {
        skip(`not an object kcp can store (verbs: ${r.verbs.join(", ") || "none"})`);
        continue;
      }
      const own = (await remoteCRDs()).get(pulledCRDName(r.group, r.plural));
      const result = own ? this.fromCRD(r, own, warnings) : await this.fromOpenAPI(r);
      if ("reason" in result) skip(result.reason);
      else crds.push(result.crd);
    }
    crds.sort((a, b) => {
      const x = String((a.metadata as Json).name);
      const y = String((b.metadata as Json).name);
      return x < y ? -1 : x > y ? 1 : 0;
    });
    const out: PullResult = { crds, skipped };
    if (warnings.length > 0) out.warnings = warnings;
    if (discovery.failedGroups.length > 0) out.incompleteGroups = [...discovery.failedGroups];
    return out;
  }

  /** The apiextensions version to read CRDs through, from discovery (undefined: the cluster has no CRDs). */
  private crdAPIVersion(resources: DiscoveredResource[]): "v1" | "v1beta1" | undefined {
    const r = resources.find((x) => x.group === "apiextensions.k8s.io" && x.plural === "customresourcedefinitions");
    if (!r) return undefined;
    return r.version === "v1beta1" ? "v1beta1" : "v1";
  }

  private fromCRD(r: DiscoveredResource, own: Json, warnings: string[]): { crd: Json } | { reason: string } {
    const gr = groupResourceOf(r);
    const spec = isObject(own.spec) ? own.spec : {};
    const names = isObject(spec.names) ? spec.names : {};
    if (spec.group !== r.group || names.plural !== r.plural) {
      return { reason: `the cluster's CRD ${pulledCRDName(r.group, r.plural)} does not define ${gr}` };
    }
    const versions = Array.isArray(spec.versions) ? spec.versions.filter(isObject) : [];
    const version = versions.find((v) => v.name === r.version);
    let crd: Json;
    if (!version) {
      warnings.push(`${gr}: the cluster's CRD has no version ${r.version}; its schema is permissive`);
      crd = cleanPulledCRD(own, r.version, PERMISSIVE_SCHEMA);
    } else if (conditionTrue(own, "NonStructuralSchema")) {
      warnings.push(`${gr}: the cluster's CRD has a non-structural schema; its schema is permissive`);
      crd = cleanPulledCRD(own, r.version, PERMISSIVE_SCHEMA);
    } else {
      crd = cleanPulledCRD(own, r.version);
      if (!isObject(isObject(version.schema) ? version.schema.openAPIV3Schema : undefined)) {
        warnings.push(`${gr}: the cluster's CRD has no schema; its schema is permissive`);
        crd = cleanPulledCRD(own, r.version, PERMISSIVE_SCHEMA);
      }
    }
    if (isProtectedGroup(r.group)) {
      const meta = crd.metadata as Json;
      const annotations = isObject(meta.annotations) ? meta.annotations : {};
      if (!Object.hasOwn(annotations, API_APPROVED_ANNOTATION)) {
        meta.annotations = { ...annotations, [API_APPROVED_ANNOTATION]: API_APPROVED_VALUE };
      }
    }
    let errs = invalidities(crd);
    if (errs && !hasPermissiveSchema(crd)) {
      // kcp's structural check is kube 1.3x's: an older cluster may hold a CRD it would refuse.
      warnings.push(`${gr}: the cluster's CRD schema is not valid in kcp (${errs}); its schema is permissive`);
      crd = withSchema(crd, PERMISSIVE_SCHEMA);
      errs = invalidities(crd);
    }
    return errs ? { reason: `the cluster's CRD is not valid in kcp: ${errs}` } : { crd };
  }

  private async fromOpenAPI(r: DiscoveredResource): Promise<{ crd: Json } | { reason: string }> {
    this.openapi ??= new OpenAPISource(this.client);
    const { models, from } = await this.openapi.modelsFor(r.group, r.version);
    const name = models.byGVK.get(gvkKey(r.group, r.version, r.kind));
    const gv = r.group ? `${r.group}/${r.version}` : r.version;
    if (!name) return { reason: `the OpenAPI ${from} document has no schema for ${gv} ${r.kind}` };
    let schema: JSONSchemaProps;
    try {
      schema = convertModel(models, name, this.opts.convert);
    } catch (e) {
      if (e instanceof SchemaConversionError) return { reason: `its OpenAPI schema cannot be converted: ${e.message}` };
      throw e;
    }
    const subresources: Json = {};
    if (r.subresources.includes("status")) subresources.status = {};
    if (r.subresources.includes("scale")) {
      const scale: Json = { specReplicasPath: ".spec.replicas", statusReplicasPath: ".status.replicas" };
      if (propertyType(schema, ["status", "selector"]) === "string") scale.labelSelectorPath = ".status.selector";
      subresources.scale = scale;
    }
    const crd = buildPulledCRD(r, { schema, subresources });
    const errs = invalidities(crd);
    return errs ? { reason: `the converted schema is not valid in kcp: ${errs}` } : { crd };
  }
}

function conditionTrue(crd: Json, type: string): boolean {
  const status = isObject(crd.status) ? crd.status : {};
  const conditions = Array.isArray(status.conditions) ? status.conditions : [];
  return conditions.some((c) => isObject(c) && c.type === type && c.status === "True");
}

/** kcp's own CRD checks, as one line; undefined when the CRD would be accepted. */
function invalidities(crd: Json): string | undefined {
  const errs = [...validateCRD(crd as unknown as KObject), ...validateAPIApproval(crd as unknown as KObject)];
  if (errs.length === 0) return undefined;
  const shown = errs.slice(0, 3).map(fieldErrorText);
  return errs.length > 3 ? `${shown.join("; ")}; and ${errs.length - 3} more` : shown.join("; ");
}

function withSchema(crd: Json, schema: JSONSchemaProps): Json {
  const spec = crd.spec as Json;
  const versions = (spec.versions as Json[]).map((v) => ({ ...v, schema: { openAPIV3Schema: schema } }));
  return { ...crd, spec: { ...spec, versions } };
}

function hasPermissiveSchema(crd: Json): boolean {
  const v = ((crd.spec as Json).versions as Json[])[0];
  const s = isObject(v?.schema) ? v.schema.openAPIV3Schema : undefined;
  return isObject(s) && s["x-kubernetes-preserve-unknown-fields"] === true && !isObject(s.properties);
}

/** The type of the property at `path` (names below the root), or undefined. */
function propertyType(schema: JSONSchemaProps, path: string[]): string | undefined {
  let s: JSONSchemaProps | undefined = schema;
  for (const p of path) {
    const props: Record<string, JSONSchemaProps> | undefined = s?.properties;
    s = props && Object.hasOwn(props, p) ? props[p] : undefined;
  }
  return s?.type;
}
