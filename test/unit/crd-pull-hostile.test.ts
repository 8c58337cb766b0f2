// The CRD puller against what a hostile cluster may send: names that are JavaScript's own
// (__proto__, constructor) and answers without end.
import { describe, expect, test } from "bun:test";
import { cleanPulledCRD } from "../../src/apis/crd-pull/pulled-crd.ts";

describe("a cluster's own CRD with hostile keys", () => {
  test("a spec key __proto__ stays a key: the spec inherits nothing from the cluster", () => {
    // As it comes off the wire: JSON.parse makes "__proto__" an own key.
    const crd = JSON.parse(
      JSON.stringify({
        apiVersion: "apiextensions.k8s.io/v1",
        kind: "CustomResourceDefinition",
        metadata: { name: "widgets.example.com" },
        spec: {
          group: "example.com",
          names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList" },
          versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object" } } }],
        },
      }).replace('"group"', '"__proto__":{"scope":"Namespaced"},"group"'),
    );
    expect(Object.hasOwn(crd.spec, "__proto__")).toBe(true);
    const out = cleanPulledCRD(crd, "v1") as { spec: Record<string, unknown> };
    expect(Object.getPrototypeOf(out.spec)).toBe(Object.prototype);
    // What kcp's validation reads is what the printed CRD says: no scope from a prototype.
    expect(out.spec.scope).toBeUndefined();
    expect(JSON.parse(JSON.stringify(out)).spec.scope).toBeUndefined();
  });
});
