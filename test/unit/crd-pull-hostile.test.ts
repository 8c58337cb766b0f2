// The CRD puller against what a hostile cluster may send: names that are JavaScript's own
// (__proto__, constructor) and answers without end.
import { describe, expect, test } from "bun:test";
import { cleanPulledCRD } from "../../src/apis/crd-pull/pulled-crd.ts";
import { RestClient } from "../../src/client/rest-client.ts";
import { listRemoteCRDs } from "../../src/controllers/crd-puller/remote-crds.ts";

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

describe("a cluster whose CRD list never ends", () => {
  test("the pages are bounded in all, not only one by one", async () => {
    let pages = 0;
    const filler = "x".repeat(50_000);
    // Every page holds one large CRD and promises another page.
    const rest = new RestClient({
      server: "https://hostile.example",
      qps: 0,
      fetch: async () => {
        pages++;
        const item = { metadata: { name: `w${pages}.example.com`, annotations: { filler } }, spec: {} };
        const body = JSON.stringify({
          kind: "CustomResourceDefinitionList",
          metadata: { continue: `p${pages}` },
          items: [item],
        });
        return new Response(body, { headers: { "Content-Type": "application/json" } });
      },
    });
    await expect(listRemoteCRDs(rest, "v1", 1024 * 1024)).rejects.toThrow(/CustomResourceDefinitions/);
    // About 1 MiB read (21 pages of 50 kB), not the 1000 pages × 256 MiB each allowed before.
    expect(pages).toBeLessThanOrEqual(22);
  });
});
