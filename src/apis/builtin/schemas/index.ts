// The catalog of built-in OpenAPI schemas, and which schema describes which built-in kind.

import type { Schema } from "../../schema-builders.ts";
import { apiextensionsSchemas } from "./apiextensions.ts";
import { apiregistrationSchemas } from "./apiregistration.ts";
import { authenticationSchemas } from "./authentication.ts";
import { authorizationSchemas } from "./authorization.ts";
import { autoscalingSchemas } from "./autoscaling.ts";
import { certificatesSchemas } from "./certificates.ts";
import { coordinationSchemas } from "./coordination.ts";
import { coreSchemas } from "./core.ts";
import { eventsSchemas } from "./events.ts";
import { metaSchemas } from "./meta.ts";
import { rbacSchemas } from "./rbac.ts";

export const BUILTIN_SCHEMAS: Readonly<Record<string, Schema>> = {
  ...metaSchemas,
  ...coreSchemas,
  ...eventsSchemas,
  ...coordinationSchemas,
  ...rbacSchemas,
  ...certificatesSchemas,
  ...apiregistrationSchemas,
  ...apiextensionsSchemas,
  ...authenticationSchemas,
  ...authorizationSchemas,
  ...autoscalingSchemas,
};

/** The Go package path kube-openapi names a group's types after. */
const PACKAGES: Record<string, string> = {
  "": "io.k8s.api.core",
  "apiextensions.k8s.io": "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions",
  "apiregistration.k8s.io": "io.k8s.kube-aggregator.pkg.apis.apiregistration",
  "authentication.k8s.io": "io.k8s.api.authentication",
  "authorization.k8s.io": "io.k8s.api.authorization",
  autoscaling: "io.k8s.api.autoscaling",
  "certificates.k8s.io": "io.k8s.api.certificates",
  "coordination.k8s.io": "io.k8s.api.coordination",
  "events.k8s.io": "io.k8s.api.events",
  "rbac.authorization.k8s.io": "io.k8s.api.rbac",
};

/** The schema name of a built-in kind (`io.k8s.api.core.v1.ConfigMap`), or undefined when there is none. */
export function builtinSchemaName(group: string, version: string, kind: string): string | undefined {
  const pkg = PACKAGES[group];
  if (!pkg) return undefined;
  const name = `${pkg}.${version}.${kind}`;
  return name in BUILTIN_SCHEMAS ? name : undefined;
}

/** The schema name of each kind definition asked about (null: none), found once per definition. */
const namesOfKinds = new WeakMap<object, string | null>();

/** builtinSchemaName of a kind definition's own group, version and kind, remembered per definition. */
export function schemaNameOfKind(def: { group: string; version: string; kind: string }): string | undefined {
  let name = namesOfKinds.get(def);
  if (name === undefined) {
    name = builtinSchemaName(def.group, def.version, def.kind) ?? null;
    namesOfKinds.set(def, name);
  }
  return name ?? undefined;
}

/** A field's description in the catalog, for Table column definitions that quote the API reference. */
export function fieldDescription(schemaName: string, field: string): string {
  const schema = BUILTIN_SCHEMAS[schemaName];
  const props = (schema?.properties ?? {}) as Record<string, Schema>;
  const d = props[field]?.description;
  return typeof d === "string" ? d : "";
}
