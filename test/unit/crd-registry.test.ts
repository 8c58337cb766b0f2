// The resource registry with CRD-defined resources: per-cluster serving, inheritance from admin,
// a cluster's own CRD winning over admin's, the `*` union, and identity-stable lists.

import { describe, expect, test } from "bun:test";
import { ResourceRegistry } from "../../src/apis/registry.ts";
import type { ResourceDef } from "../../src/apis/types.ts";

function def(
  group: string,
  plural: string,
  kind: string,
  source: "builtin" | "crd" = "crd",
  version = "v1",
): ResourceDef {
  return {
    group,
    version,
    plural,
    singular: plural.slice(0, -1),
    kind,
    listKind: `${kind}List`,
    namespaced: true,
    verbs: ["get", "list"],
    subresources: [],
    mode: "stored",
    strategy: { hasStatus: false, tracksGeneration: true },
    source,
  };
}

const builtins = [def("", "configmaps", "ConfigMap", "builtin")];

describe("ResourceRegistry with CRDs", () => {
  test("a cluster's CRDs are served there only", () => {
    const r = new ResourceRegistry(builtins);
    r.setClusterResources("team-a", [def("example.com", "widgets", "Widget")]);
    expect(r.lookup("team-a", "example.com", "v1", "widgets")?.kind).toBe("Widget");
    expect(r.lookup("team-b", "example.com", "v1", "widgets")).toBeUndefined();
    expect(r.lookup("admin", "example.com", "v1", "widgets")).toBeUndefined();
    expect(r.lookup("team-b", "", "v1", "configmaps")?.kind).toBe("ConfigMap");
  });

  test("admin's CRDs are inherited; clusters without CRDs share one list", () => {
    const r = new ResourceRegistry(builtins);
    const widget = def("example.com", "widgets", "Widget");
    r.setClusterResources("admin", [widget]);
    expect(r.lookup("anything", "example.com", "v1", "widgets")).toBe(widget);
    expect(r.resources("one")).toBe(r.resources("two"));
    expect(r.resources("one")).toBe(r.resources("admin"));
    expect(r.resources("one").map((d) => d.plural)).toEqual(["configmaps", "widgets"]);
  });

  test("a cluster's own CRD for the same group and resource wins there", () => {
    const r = new ResourceRegistry(builtins);
    const adminWidget = def("example.com", "widgets", "Widget");
    const adminGadget = def("example.com", "gadgets", "Gadget");
    const ownWidget = def("example.com", "widgets", "Widget");
    r.setClusterResources("admin", [adminWidget, adminGadget]);
    r.setClusterResources("team-a", [ownWidget]);
    expect(r.lookup("team-a", "example.com", "v1", "widgets")).toBe(ownWidget);
    expect(r.lookup("team-a", "example.com", "v1", "gadgets")).toBe(adminGadget);
    expect(r.resources("team-a").filter((d) => d.plural === "widgets")).toEqual([ownWidget]);
    expect(r.lookup("team-b", "example.com", "v1", "widgets")).toBe(adminWidget);
    // Admin changes reach clusters with their own CRDs too.
    r.setClusterResources("admin", [adminWidget]);
    expect(r.lookup("team-a", "example.com", "v1", "gadgets")).toBeUndefined();
  });

  test("the wildcard serves every cluster's CRDs", () => {
    const r = new ResourceRegistry(builtins);
    r.setClusterResources("team-a", [def("a.example.com", "things", "Thing")]);
    r.setClusterResources("team-b", [def("b.example.com", "things", "Thing")]);
    expect(r.lookup("*", "a.example.com", "v1", "things")).toBeDefined();
    expect(r.lookup("*", "b.example.com", "v1", "things")).toBeDefined();
    r.setClusterResources("team-a", []);
    expect(r.lookup("*", "a.example.com", "v1", "things")).toBeUndefined();
  });

  test("lists change identity exactly when the served set changes, and listeners hear of it", () => {
    const r = new ResourceRegistry(builtins);
    const heard: string[] = [];
    r.onChange((c) => heard.push(c));
    const before = r.resources("team-a");
    expect(r.resources("team-a")).toBe(before);
    r.setClusterResources("team-a", [def("example.com", "widgets", "Widget")]);
    const after = r.resources("team-a");
    expect(after).not.toBe(before);
    expect(r.resources("team-a")).toBe(after);
    r.setClusterResources("admin", [def("example.com", "gadgets", "Gadget")]);
    expect(r.resources("team-a")).not.toBe(after);
    expect(heard).toEqual(["team-a", "admin", "*"]);
  });

  test("namespaced storage resources include custom resources once per key space", () => {
    const r = new ResourceRegistry(builtins);
    const v1 = { ...def("example.com", "widgets", "Widget"), storage: { group: "example.com", resource: "widgets" } };
    const v2 = { ...v1, version: "v2" };
    r.setClusterResources("team-a", [v1, v2]);
    expect(r.namespacedStorageResources("team-a").map((d) => `${d.group}/${d.plural}`)).toEqual([
      "/configmaps",
      "example.com/widgets",
    ]);
  });
});
