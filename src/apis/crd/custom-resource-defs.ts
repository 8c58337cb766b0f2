// The ResourceDefs a CustomResourceDefinition serves: one per served version, named by the CRD's
// accepted names, all sharing one storage key space (group/plural) whatever the version. Versions
// convert with strategy None: the stored object is served with the requested apiVersion.

import { errors } from "../../machinery/status.ts";
import { compareKubeAwareVersions } from "../../machinery/kube-aware-version.ts";
import { SUBRESOURCE_RW_VERBS } from "../builtin/strategy-helpers.ts";
import type { FieldGetter, KObject, PrinterColumn, ResourceDef, SubresourceDef, Verb } from "../types.ts";
import { CUSTOM_RESOURCE_CAPABILITIES } from "../capabilities.ts";
import type { CompiledSchema } from "./compiled-schema.ts";
import { acceptedNamesOf, type CRDSpec, type CRDVersion, crdSpec, isConditionTrue } from "./crd-spec.ts";
import { customResourceStrategy } from "./custom-resource-strategy.ts";
import { isKubernetesGroup } from "./kube-groups.ts";
import { withDerivedPatchStrategies } from "./strategic-merge-schema.ts";
import { applyDefaults, pruneNonNullableNulls } from "./defaulting.ts";
import { prune, pruneObjectMeta } from "./pruning.ts";
import { scaleSubresource } from "./scale-subresource.ts";
import type { JSONSchemaProps } from "./schema-types.ts";

const OBJECT_META_REF = "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

/** The verbs of a custom resource in the order apiextensions-apiserver lists them in discovery (unsorted). */
const CUSTOM_RESOURCE_VERBS: Verb[] = [
  "delete",
  "deletecollection",
  "get",
  "list",
  "patch",
  "create",
  "update",
  "watch",
];

/** CRs of Kubernetes' own kinds also take strategic merge patches (src/apis/crd/strategic-merge-schema.ts). */
const KUBERNETES_KIND_CAPABILITIES = Object.freeze({ ...CUSTOM_RESOURCE_CAPABILITIES, strategicMergePatch: true });

/** kube's default deprecation warning: `example.com/v1beta1 Widget is deprecated; use example.com/v1 Widget`. */
export function defaultDeprecationWarning(spec: CRDSpec, deprecated: string): string {
  const msg = `${spec.group}/${deprecated} ${spec.names.kind} is deprecated`;
  const better = spec.versions
    .filter((v) => v.served && !v.deprecated && compareKubeAwareVersions(v.name, deprecated) < 0)
    .map((v) => v.name)
    .sort(compareKubeAwareVersions);
  return better.length ? `${msg}; use ${spec.group}/${better[0]} ${spec.names.kind}` : msg;
}

/** The OpenAPI schema published for a version: the CRD's schema with kube's type and object meta. */
function publishedSchema(spec: CRDSpec, kind: string, v: CRDVersion): Record<string, unknown> {
  const s = structuredClone(v.schema ?? { type: "object" }) as Record<string, unknown>;
  const props = { ...((s.properties as Record<string, unknown>) ?? {}) };
  props.apiVersion = {
    description:
      "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources",
    type: "string",
  };
  props.kind = {
    description:
      "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds",
    type: "string",
  };
  props.metadata = {
    allOf: [{ $ref: OBJECT_META_REF }],
    description:
      "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
  };
  s.properties = props;
  s.type ??= "object";
  s["x-kubernetes-group-version-kind"] = [{ group: spec.group, kind, version: v.name }];
  return s;
}

function selectableFields(paths: string[]): Record<string, FieldGetter> | undefined {
  if (paths.length === 0) return undefined;
  const out: Record<string, FieldGetter> = {};
  for (const jp of paths) {
    const segs = jp.replace(/^\./, "").split(".");
    out[segs.join(".")] = (obj) => {
      let cur: unknown = obj;
      for (const s of segs) cur = cur && typeof cur === "object" ? (cur as Record<string, unknown>)[s] : undefined;
      return typeof cur === "string" || typeof cur === "number" || typeof cur === "boolean" ? String(cur) : "";
    };
  }
  return out;
}

/** Compiles (or finds compiled) the schema of a version. */
export type SchemaCompiler = (crd: KObject, version: CRDVersion) => CompiledSchema;

/** The definitions to serve for an Established CRD (none for one that is not). */
export function customResourceDefs(crd: KObject, compile: SchemaCompiler): ResourceDef[] {
  if (!isConditionTrue(crd, "Established")) return [];
  const spec = crdSpec(crd);
  const names = acceptedNamesOf(crd);
  if (!names.plural || !names.kind) return [];
  const terminating = crd.metadata.deletionTimestamp !== undefined || isConditionTrue(crd, "Terminating");
  const storage = spec.versions.find((v) => v.storage);
  const webhook = spec.conversionStrategy === "Webhook";
  // Reads drop what the storage version's schema does not know, as kube's storage decoder does.
  const storageSchema = storage ? compile(crd, storage).schema : undefined;
  const kubernetesKind = isKubernetesGroup(spec.group);
  const defs: ResourceDef[] = [];
  for (const v of spec.versions) {
    if (!v.served) continue;
    const compiled = compile(crd, v);
    const strategy = customResourceStrategy({
      group: spec.group,
      plural: names.plural,
      kind: names.kind,
      version: v.name,
      compiled,
      status: v.status,
      scale: v.scale,
      terminating,
    });
    // Conversion through a webhook is not implemented: only the storage version can be served.
    const conversionError =
      webhook && storage && v.name !== storage.name
        ? () =>
            errors.internal(
              `conversion webhook for ${spec.group}/${storage.name}, Kind=${names.kind} failed: webhook conversion is not supported by this server`,
            )
        : undefined;
    if (conversionError) {
      strategy.prepareForCreate = () => {
        throw conversionError();
      };
    }
    const subresources: SubresourceDef[] = [];
    if (v.status) subresources.push({ name: "status", verbs: SUBRESOURCE_RW_VERBS });
    if (v.scale) {
      subresources.push(
        scaleSubresource(v.scale, {
          prepare: (obj, old, ctx) => {
            if (v.status) {
              if (old.status === undefined) delete obj.status;
              else obj.status = structuredClone(old.status);
            }
            strategy.prepareForUpdate(obj, old, ctx);
          },
          validate: (obj, old, ctx) => strategy.validateUpdate(obj, old, ctx),
        }),
      );
    }
    const printerColumns: PrinterColumn[] = v.printerColumns.map((c) => ({
      name: c.name,
      type: c.type,
      ...(c.format !== undefined ? { format: c.format } : {}),
      ...(c.description !== undefined ? { description: c.description } : {}),
      ...(c.priority !== undefined ? { priority: c.priority } : {}),
      jsonPath: c.jsonPath,
    }));
    const schema: JSONSchemaProps = compiled.schema;
    const def: ResourceDef = {
      group: spec.group,
      version: v.name,
      plural: names.plural,
      singular: names.singular || names.kind.toLowerCase(),
      kind: names.kind,
      listKind: names.listKind || `${names.kind}List`,
      shortNames: names.shortNames.length ? names.shortNames : undefined,
      categories: names.categories.length ? names.categories : undefined,
      namespaced: spec.namespaced,
      verbs: CUSTOM_RESOURCE_VERBS,
      subresources,
      selectableFields: selectableFields(v.selectableFields),
      storage: { group: spec.group, resource: names.plural },
      mode: "stored",
      strategy,
      source: "crd",
      capabilities: kubernetesKind ? KUBERNETES_KIND_CAPABILITIES : CUSTOM_RESOURCE_CAPABILITIES,
      printerColumns,
      openAPISchema: kubernetesKind
        ? withDerivedPatchStrategies(publishedSchema(spec, names.kind, v))
        : publishedSchema(spec, names.kind, v),
      storageVersion: v.storage,
      deprecationWarning: v.deprecated ? (v.deprecationWarning ?? defaultDeprecationWarning(spec, v.name)) : undefined,
      onRead(obj) {
        if (conversionError) throw conversionError();
        if (storageSchema) {
          pruneObjectMeta(obj.metadata);
          prune(obj, storageSchema, true);
        }
        if (compiled.hasDefaults) {
          pruneNonNullableNulls(obj, schema);
          applyDefaults(obj, schema);
        }
        return obj;
      },
    };
    defs.push(def);
  }
  return defs;
}
