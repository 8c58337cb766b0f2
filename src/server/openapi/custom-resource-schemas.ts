// The components.schemas entries of a CRD-defined kind, as apiextensions-apiserver publishes them:
// the version's openAPIV3Schema (x-kubernetes-* extensions kept) with apiVersion, kind and a
// reference to ObjectMeta on top, plus the `<Kind>List` type, each tagged with its group-version-kind.

import type { ResourceDef } from "../../apis/types.ts";
import {
  apiVersionProperty,
  kindProperty,
  META,
  OBJECT_METADATA_DESCRIPTION,
  type Schema,
  schemaRef,
} from "../../apis/schema-builders.ts";

/** `example.com` → `com.example`: kube-openapi names CR types after the reversed group (`core` for ""). */
function reversedGroup(group: string): string {
  if (group === "") return "core";
  return group.split(".").reverse().join(".");
}

export function customResourceSchemaName(def: Pick<ResourceDef, "group" | "version" | "kind">): string {
  return `${reversedGroup(def.group)}.${def.version}.${def.kind}`;
}

export function gvkExtension(group: string, version: string, kind: string): Schema {
  return { "x-kubernetes-group-version-kind": [{ group, kind, version }] };
}

export function customResourceSchemas(def: ResourceDef): Record<string, Schema> {
  const name = customResourceSchemaName(def);
  const raw = (
    def.openAPISchema
      ? structuredClone(def.openAPISchema)
      : { type: "object", "x-kubernetes-preserve-unknown-fields": true }
  ) as Schema;
  const own = (raw.properties ?? {}) as Record<string, Schema>;
  const { apiVersion: _a, kind: _k, metadata: _m, ...rest } = own;
  const schema: Schema = {
    ...raw,
    type: raw.type ?? "object",
    properties: {
      apiVersion: apiVersionProperty(),
      kind: kindProperty(),
      metadata: { description: OBJECT_METADATA_DESCRIPTION, allOf: [schemaRef(`${META}ObjectMeta`)] },
      ...rest,
    },
    ...gvkExtension(def.group, def.version, def.kind),
  };
  const list: Schema = {
    description: `${def.kind}List is a list of ${def.kind}`,
    type: "object",
    required: ["items"],
    properties: {
      apiVersion: apiVersionProperty(),
      items: {
        description: `List of ${def.plural}. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md`,
        type: "array",
        items: schemaRef(name),
      },
      kind: kindProperty(),
      metadata: {
        description:
          "Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds",
        allOf: [schemaRef(`${META}ListMeta`)],
      },
    },
    ...gvkExtension(def.group, def.version, def.listKind),
  };
  return { [name]: schema, [`${name}List`]: list };
}
