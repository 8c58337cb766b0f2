// The OpenAPI → structural-schema conversion of the CRD puller, on kube-apiserver's own OpenAPI v2
// documents (1.13, from kubernetes-client@9.0.0) and on small v3 documents written as kube writes
// them: the result passes kcp's CRD validation and validates real manifests as kube would.

import { describe, expect, test } from "bun:test";
import { gvkKey, modelsFromV2, modelsFromV3, type OpenAPIModels } from "../../src/apis/crd-pull/openapi-models.ts";
import { convertModel, SchemaConversionError } from "../../src/apis/crd-pull/openapi-to-structural.ts";
import { buildPulledCRD } from "../../src/apis/crd-pull/pulled-crd.ts";
import { QUANTITY_PATTERN } from "../../src/apis/crd-pull/well-known-types.ts";
import { validateCRD } from "../../src/apis/crd/crd-validation.ts";
import { validateListTypes } from "../../src/apis/crd/list-types.ts";
import { compileSchemaValidator } from "../../src/apis/crd/schema-validator.ts";
import type { JSONSchemaProps } from "../../src/apis/crd/schema-types.ts";
import type { KObject } from "../../src/apis/types.ts";
import { kubeSwagger } from "../helpers/legacy-kube-server.ts";

type Json = Record<string, any>;

const v113 = modelsFromV2(kubeSwagger("1.13"));

function schemaOf(models: OpenAPIModels, group: string, version: string, kind: string): Json {
  const name = models.byGVK.get(gvkKey(group, version, kind));
  if (!name) throw new Error(`no model for ${group}/${version} ${kind}`);
  return convertModel(models, name) as Json;
}

/** Every key anywhere in a schema tree. */
function allKeys(v: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(v)) for (const x of v) allKeys(x, out);
  else if (v && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) {
      out.add(k);
      allKeys(x, out);
    }
  }
  return out;
}

const validators = new WeakMap<Json, ReturnType<typeof compileSchemaValidator>>();

function errorsOf(schema: Json, obj: unknown): string[] {
  let v = validators.get(schema);
  if (!v) validators.set(schema, (v = compileSchemaValidator(schema as JSONSchemaProps)));
  const errs = v.validate(obj);
  errs.push(...validateListTypes(obj, schema as JSONSchemaProps, ""));
  return errs.map((e) => `${e.field}: ${e.type ?? ""} ${e.detail ?? ""}`);
}

const deployment = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web" },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: "web" } },
    strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 1 } },
    template: {
      metadata: { labels: { app: "web" }, creationTimestamp: null },
      spec: {
        containers: [
          {
            name: "web",
            image: "nginx:1.25",
            ports: [
              { name: "http", containerPort: 80 },
              { name: "dns-tcp", containerPort: 53, protocol: "TCP" },
              { name: "dns-udp", containerPort: 53, protocol: "UDP" },
            ],
            livenessProbe: { httpGet: { path: "/healthz", port: "http" }, initialDelaySeconds: 5 },
            readinessProbe: { tcpSocket: { port: 80 } },
            resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: 1, memory: "1Gi" } },
          },
        ],
      },
    },
  },
};

describe("kube-apiserver's own OpenAPI v2 (1.13, and 1.10 for every kind)", () => {
  test("Deployment: a structural schema kcp accepts, with kube's list types and int-or-string fields", () => {
    const s = schemaOf(v113, "apps", "v1", "Deployment");
    expect(s.type).toBe("object");
    expect(s.description).toBe("Deployment enables declarative updates for Pods and ReplicaSets.");
    expect(s.properties.metadata).toEqual({ type: "object" });
    const spec = s.properties.spec;
    // The field's own description wins over the referenced model's.
    expect(spec.description).toBe("Specification of the desired behavior of the Deployment.");
    const template = spec.properties.template;
    expect(template.properties.metadata["x-kubernetes-preserve-unknown-fields"]).toBe(true);
    const pod = template.properties.spec;
    expect(pod.required).toEqual(["containers"]);
    const containers = pod.properties.containers;
    expect(containers["x-kubernetes-list-type"]).toBe("map");
    expect(containers["x-kubernetes-list-map-keys"]).toEqual(["name"]);
    const ports = containers.items.properties.ports;
    expect(ports["x-kubernetes-list-map-keys"]).toEqual(["containerPort", "protocol"]);
    // protocol is a map key that is neither required nor defaulted in 1.13's document: kube's default.
    expect(ports.items.properties.protocol.default).toBe("TCP");
    expect(ports.items.required).toEqual(["containerPort"]);
    const maxSurge = spec.properties.strategy.properties.rollingUpdate.properties.maxSurge;
    expect(maxSurge.anyOf).toEqual([{ type: "integer" }, { type: "string" }]);
    expect(maxSurge["x-kubernetes-int-or-string"]).toBe(true);
    expect(maxSurge.description).toContain("maximum number of pods");
    const cpu = containers.items.properties.resources.properties.requests.additionalProperties;
    expect(cpu["x-kubernetes-int-or-string"]).toBe(true);
    expect(cpu.pattern).toBe(QUANTITY_PATTERN);
    const httpPort = containers.items.properties.livenessProbe.properties.httpGet.properties.port;
    expect(httpPort["x-kubernetes-int-or-string"]).toBe(true);
    // No extension a CRD schema may not carry, no $ref, no other default than the map key's.
    const keys = allKeys(s);
    for (const k of keys) {
      if (k.startsWith("x-kubernetes-")) {
        expect([
          "x-kubernetes-list-type",
          "x-kubernetes-list-map-keys",
          "x-kubernetes-map-type",
          "x-kubernetes-int-or-string",
          "x-kubernetes-preserve-unknown-fields",
          "x-kubernetes-embedded-resource",
        ]).toContain(k);
      }
    }
    expect(keys.has("$ref")).toBe(false);
    expect(keys.has("allOf")).toBe(false);

    const crd = buildPulledCRD(
      { group: "apps", version: "v1", plural: "deployments", kind: "Deployment", namespaced: true },
      {
        schema: s,
        subresources: {
          status: {},
          scale: { specReplicasPath: ".spec.replicas", statusReplicasPath: ".status.replicas" },
        },
      },
    );
    expect(validateCRD(crd as unknown as KObject)).toEqual([]);
  });

  test("Deployment: a real manifest validates, a wrong one does not", () => {
    const s = schemaOf(v113, "apps", "v1", "Deployment");
    expect(errorsOf(s, deployment)).toEqual([]);
    const bad = structuredClone(deployment) as Json;
    bad.spec.replicas = "ten";
    expect(errorsOf(s, bad).join("\n")).toContain("spec.replicas");
    const badQuantity = structuredClone(deployment) as Json;
    badQuantity.spec.template.spec.containers[0].resources.requests.cpu = "a lot";
    expect(errorsOf(s, badQuantity).join("\n")).toContain("requests.cpu");
    const dupPorts = structuredClone(deployment) as Json;
    dupPorts.spec.template.spec.containers[0].ports.push({ containerPort: 53, protocol: "UDP" });
    expect(errorsOf(s, dupPorts).join("\n")).toContain("Duplicate");
  });

  test("Pod: status with Go's null times and quantities as numbers", () => {
    const s = schemaOf(v113, "", "v1", "Pod");
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p" },
      spec: { containers: [{ name: "c", image: "busybox", resources: { limits: { memory: 1073741824 } } }] },
      status: {
        phase: "Running",
        conditions: [
          { type: "Ready", status: "True", lastProbeTime: null, lastTransitionTime: "2024-01-01T00:00:00Z" },
        ],
      },
    };
    expect(errorsOf(s, pod)).toEqual([]);
    expect(s.properties.status.properties.conditions["x-kubernetes-list-map-keys"]).toEqual(["type"]);
    const crd = buildPulledCRD(
      { group: "", version: "v1", plural: "pods", kind: "Pod", namespaced: true },
      { schema: s },
    );
    expect((crd.metadata as Json).name).toBe("pods.core");
    expect(validateCRD(crd as unknown as KObject)).toEqual([]);
  });

  test("ports are told apart by number and protocol, as kube's later documents say (1.13 Service, 1.10 pods)", () => {
    const svc = schemaOf(v113, "", "v1", "Service");
    const ports = svc.properties.spec.properties.ports;
    expect(ports["x-kubernetes-list-map-keys"]).toEqual(["port", "protocol"]);
    expect(ports.items.properties.protocol.default).toBe("TCP");
    const dns = {
      spec: {
        ports: [
          { name: "dns", port: 53, protocol: "UDP" },
          { name: "dns-tcp", port: 53, protocol: "TCP" },
        ],
      },
    };
    expect(errorsOf(svc, dns)).toEqual([]);
    expect(errorsOf(svc, { spec: { ports: [{ port: 53 }, { port: 53, protocol: "TCP" }] } }).join()).toContain(
      "Duplicate",
    );
    // 1.10's document names only containerPort (its strategic-merge key).
    const v110 = modelsFromV2(kubeSwagger("1.10"));
    const pod = schemaOf(v110, "", "v1", "Pod");
    const containerPorts = pod.properties.spec.properties.containers.items.properties.ports;
    expect(containerPorts["x-kubernetes-list-map-keys"]).toEqual(["containerPort", "protocol"]);
  });

  test("CronJob (batch/v1beta1): the job template nests a whole pod spec", () => {
    const s = schemaOf(v113, "batch", "v1beta1", "CronJob");
    const podSpec = s.properties.spec.properties.jobTemplate.properties.spec.properties.template.properties.spec;
    expect(podSpec.properties.containers["x-kubernetes-list-type"]).toBe("map");
    expect(s.properties.spec.required).toEqual(["schedule", "jobTemplate"]);
    const cj = {
      spec: {
        schedule: "*/5 * * * *",
        jobTemplate: {
          spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "x" }] } } },
        },
      },
    };
    expect(errorsOf(s, cj)).toEqual([]);
    expect(errorsOf(s, { spec: { jobTemplate: {} } }).join("\n")).toContain("schedule");
  });

  test("a recursive model (apiextensions JSONSchemaProps): the recursion point preserves unknown fields", () => {
    const s = schemaOf(v113, "apiextensions.k8s.io", "v1beta1", "CustomResourceDefinition");
    const root = s.properties.spec.properties.validation.properties.openAPIV3Schema;
    expect(root.type).toBe("object");
    expect(root.properties.properties.additionalProperties).toMatchObject({
      type: "object",
      "x-kubernetes-preserve-unknown-fields": true,
    });
    // JSON (any value) and the …OrArray unions are untyped: any JSON accepted there.
    expect(root.properties.default).toMatchObject({ "x-kubernetes-preserve-unknown-fields": true });
    expect(root.properties.default.type).toBeUndefined();
    expect(root.properties.items["x-kubernetes-preserve-unknown-fields"]).toBe(true);
    const crd = {
      spec: {
        group: "example.io",
        scope: "Namespaced",
        names: { plural: "things", kind: "Thing" },
        validation: { openAPIV3Schema: { type: "object", properties: { a: { type: "string", default: "x" } } } },
      },
    };
    expect(errorsOf(s, crd)).toEqual([]);
  });

  test.each(["1.10", "1.13"] as const)("every kind of %s converts to a CRD that kcp's validation accepts", (v) => {
    const models = v === "1.13" ? v113 : modelsFromV2(kubeSwagger(v));
    let kinds = 0;
    for (const [key, name] of models.byGVK) {
      const [group = "", version = "", kind = ""] = key.split("/");
      if (kind.endsWith("List")) continue;
      const crd = buildPulledCRD(
        { group, version, plural: `${kind.toLowerCase()}s`, kind, namespaced: true },
        { schema: convertModel(models, name) },
      );
      expect({ key, errors: validateCRD(crd as unknown as KObject) }).toEqual({ key, errors: [] });
      kinds++;
    }
    expect(kinds).toBeGreaterThan(140);
  });

  test("deterministic: the same document, in any key order, gives the same schema", () => {
    const a = JSON.stringify(schemaOf(v113, "apps", "v1", "Deployment"));
    expect(JSON.stringify(schemaOf(v113, "apps", "v1", "Deployment"))).toBe(a);
    const reversed = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(reversed)
        : v && typeof v === "object"
          ? Object.fromEntries(
              Object.entries(v)
                .reverse()
                .map(([k, x]) => [k, reversed(x)]),
            )
          : v;
    const shuffled = modelsFromV2(reversed(kubeSwagger("1.13")));
    expect(JSON.stringify(schemaOf(shuffled, "apps", "v1", "Deployment"))).toBe(a);
  });
});

describe("synthetic models", () => {
  const v3 = (schemas: Json) => modelsFromV3([{ openapi: "3.0.0", components: { schemas } }]);
  const ref = (n: string) => `#/components/schemas/${n}`;

  test("v3 refs wrapped in allOf, with the sibling description winning; Go zero defaults dropped", () => {
    const models = v3({
      "io.example.v1.Thing": {
        type: "object",
        "x-kubernetes-group-version-kind": [{ group: "example.io", version: "v1", kind: "Thing" }],
        properties: {
          spec: { allOf: [{ $ref: ref("io.example.v1.ThingSpec") }], default: {}, description: "The thing's spec." },
          other: { allOf: [{ $ref: ref("io.example.v1.ThingSpec") }] },
        },
      },
      "io.example.v1.ThingSpec": {
        type: "object",
        description: "ThingSpec is a spec.",
        required: ["name"],
        properties: {
          name: { type: "string", default: "" },
          mode: { type: "string", enum: ["A", "B"] },
          labels: { type: "object", additionalProperties: { type: "string" }, "x-kubernetes-map-type": "atomic" },
          tags: { type: "array", items: { type: "string" }, "x-kubernetes-list-type": "set" },
          size: { type: "string", format: "int-or-string" },
        },
        "x-kubernetes-unions": [{ fields: ["a"] }],
      },
    });
    const s = convertModel(models, "io.example.v1.Thing") as Json;
    expect(s.properties.spec.description).toBe("The thing's spec.");
    expect(s.properties.other.description).toBe("ThingSpec is a spec.");
    const spec = s.properties.spec;
    expect(spec.default).toBeUndefined();
    expect(spec.properties.name).toEqual({ type: "string" });
    expect(spec.properties.mode.enum).toEqual(["A", "B"]);
    expect(spec.properties.labels["x-kubernetes-map-type"]).toBe("atomic");
    expect(spec.properties.tags["x-kubernetes-list-type"]).toBe("set");
    expect(spec.properties.size).toEqual({
      anyOf: [{ type: "integer" }, { type: "string" }],
      "x-kubernetes-int-or-string": true,
    });
    expect(spec["x-kubernetes-unions"]).toBeUndefined();
    expect(errorsOf(s, { spec: { name: "a", size: "50%", tags: ["x", "x"] } }).join()).toContain("Duplicate");
    expect(errorsOf(s, { spec: { name: "a", size: 3, mode: "C" } }).join()).toContain("mode");
  });

  test("cycles through several models, and through array items, end in objects that keep their fields", () => {
    const models = v3({
      A: { type: "object", properties: { b: { $ref: ref("B") }, self: { type: "array", items: { $ref: ref("A") } } } },
      B: {
        type: "object",
        properties: { a: { allOf: [{ $ref: ref("A") }], description: "back to A" }, n: { type: "integer" } },
      },
    });
    const s = convertModel(models, "A") as Json;
    expect(s.properties.b.properties.a).toEqual({
      description: "back to A",
      type: "object",
      "x-kubernetes-preserve-unknown-fields": true,
    });
    expect(s.properties.self.items).toEqual({ type: "object", "x-kubernetes-preserve-unknown-fields": true });
    expect(s.properties.b.properties.n).toEqual({ type: "integer" });
  });

  test("the work is bounded: a model that explodes when inlined is refused, not converted forever", () => {
    // 30 levels, each referring to the next twice: 2^30 nodes once inlined, no cycle anywhere.
    const schemas: Json = {};
    for (let i = 0; i < 30; i++) {
      schemas[`L${i}`] =
        i === 29
          ? { type: "string" }
          : { type: "object", properties: { x: { $ref: ref(`L${i + 1}`) }, y: { $ref: ref(`L${i + 1}`) } } };
    }
    expect(() => convertModel(v3(schemas), "L0")).toThrow(SchemaConversionError);
    expect(() => convertModel(v3({}), "Missing")).toThrow("no model Missing");
    expect(() => convertModel(v3({ A: { type: "object", properties: { b: { $ref: ref("Nope") } } } }), "A")).toThrow(
      "no model Nope",
    );
  });

  test("strategic-merge tags become list types only where the items can carry them", () => {
    const models = v3({
      T: {
        type: "object",
        properties: {
          merged: {
            type: "array",
            items: { $ref: ref("Item") },
            "x-kubernetes-patch-strategy": "merge",
            "x-kubernetes-patch-merge-key": "key",
          },
          finalizers: { type: "array", items: { type: "string" }, "x-kubernetes-patch-strategy": "merge" },
          replaced: { type: "array", items: { $ref: ref("Item") }, "x-kubernetes-patch-strategy": "retainKeys" },
          badKey: {
            type: "array",
            items: { $ref: ref("Item") },
            "x-kubernetes-patch-strategy": "merge",
            "x-kubernetes-patch-merge-key": "nested",
          },
        },
      },
      Item: { type: "object", properties: { key: { type: "string" }, nested: { $ref: ref("Item2") } } },
      Item2: { type: "object", properties: { z: { type: "string" } } },
    });
    const s = convertModel(models, "T") as Json;
    expect(s.properties.merged["x-kubernetes-list-type"]).toBe("map");
    // A key that is neither required nor defaulted becomes required (kube's rule for map keys).
    expect(s.properties.merged.items.required).toEqual(["key"]);
    expect(s.properties.finalizers["x-kubernetes-list-type"]).toBe("set");
    expect(s.properties.replaced["x-kubernetes-list-type"]).toBeUndefined();
    // An object key cannot be a map key: the list stays atomic rather than the CRD being refused.
    expect(s.properties.badKey["x-kubernetes-list-type"]).toBeUndefined();
    const crd = buildPulledCRD(
      { group: "example.io", version: "v1", plural: "ts", kind: "T", namespaced: true },
      { schema: s },
    );
    expect(validateCRD(crd as unknown as KObject)).toEqual([]);
  });

  test("property names from the document stay names (no prototype pollution)", () => {
    const models = v3({
      T: { type: "object", properties: JSON.parse('{"__proto__": {"type": "string"}, "a": {"type": "integer"}}') },
    });
    const s = convertModel(models, "T") as Json;
    expect(Object.hasOwn(s.properties, "__proto__")).toBe(true);
    expect(Object.getPrototypeOf(s.properties)).toBe(Object.prototype);
  });
});
