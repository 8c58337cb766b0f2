// The negotiation of one resource (src/controllers/negotiation/negotiate.ts) over the real LCD:
// who defines the schema, who may narrow it (schemaUpdateStrategy and published), what a
// contributor leaving does (the schema widens), and the checks against a user's CRD.
import { describe, expect, test } from "bun:test";
import type { APIResourceImportSpec, CommonAPIResourceSpec } from "../../src/apis/builtin/apiresource.ts";
import {
  contributorToken,
  type ImportInput,
  negotiate,
  type NegotiationInput,
} from "../../src/controllers/negotiation/negotiate.ts";

type Json = Record<string, any>;

/** A schema with spec.<fields>, each a string. */
function schema(...fields: string[]): Json {
  const props: Json = {};
  for (const f of fields) props[f] = { type: "string" };
  return { type: "object", properties: { spec: { type: "object", properties: props } } };
}

const base: CommonAPIResourceSpec = {
  groupVersion: { group: "example.com", version: "v1" },
  scope: "Namespaced",
  plural: "widgets",
  singular: "widget",
  kind: "Widget",
  listKind: "WidgetList",
  openAPIV3Schema: schema("a", "b"),
};

function imp(
  location: string,
  fields: string[],
  strategy?: string,
  edit: Partial<APIResourceImportSpec> = {},
): ImportInput {
  return {
    name: `widgets.${location}.v1.example.com`,
    uid: `uid-${location}`,
    generation: 1,
    spec: {
      ...structuredClone(base),
      openAPIV3Schema: schema(...fields),
      location,
      ...(strategy ? { schemaUpdateStrategy: strategy as APIResourceImportSpec["schemaUpdateStrategy"] } : {}),
      ...edit,
    },
  };
}

function specFields(spec: CommonAPIResourceSpec | undefined): string[] {
  if (!spec) throw new Error("no spec");
  return Object.keys((spec.openAPIV3Schema as Json).properties.spec.properties).sort();
}

function verdicts(r: ReturnType<typeof negotiate>): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const [k, v] of r?.verdicts ?? []) out[k.split(".")[1]] = v.compatible;
  return out;
}

/** The NAR a previous negotiation left, as the controller would read it back. */
function current(r: ReturnType<typeof negotiate>, published: boolean): NegotiationInput["current"] {
  if (!r) throw new Error("no result");
  return { spec: r.spec, published, contributors: r.contributors };
}

describe("negotiate", () => {
  test("no imports: nothing to negotiate", () => {
    expect(negotiate({ imports: [] })).toBeUndefined();
  });

  test("the first import defines the resource and contributes", () => {
    const east = imp("east", ["a", "b"]);
    const r = negotiate({ imports: [east] });
    expect(r?.spec).toEqual({ ...base, openAPIV3Schema: schema("a", "b") });
    expect(r?.contributors).toEqual([contributorToken(east)]);
    expect(r?.verdicts.get(east.name)).toEqual({ compatible: true, message: "" });
  });

  test("while unpublished, UpdateUnpublished narrows; once published it is only checked", () => {
    const east = imp("east", ["a", "b"], "UpdateUnpublished");
    const west = imp("west", ["a"], "UpdateUnpublished");
    const unpublished = negotiate({ imports: [east, west] });
    expect(specFields(unpublished?.spec)).toEqual(["a"]);
    expect(verdicts(unpublished)).toEqual({ east: true, west: true });

    const first = negotiate({ imports: [east] });
    const published = negotiate({ imports: [east, west], current: current(first, true) });
    expect(specFields(published?.spec)).toEqual(["a", "b"]);
    expect(verdicts(published)).toEqual({ east: true, west: false });
    expect(published?.verdicts.get(west.name)?.message).toMatch(/Widget\.properties\[spec\].*"b"/);
    expect(published?.contributors).toEqual([contributorToken(east)]);
  });

  test("UpdatePublished narrows a published resource; UpdateNever never narrows", () => {
    const east = imp("east", ["a", "b", "c"]);
    const first = negotiate({ imports: [east] });
    const never = negotiate({
      imports: [east, imp("west", ["a", "b"], "UpdateNever")],
      current: current(first, false),
    });
    expect(specFields(never?.spec)).toEqual(["a", "b", "c"]);
    expect(verdicts(never)).toEqual({ east: true, west: false });
    const west = imp("west", ["a", "b"], "UpdatePublished");
    const always = negotiate({ imports: [east, west], current: current(first, true) });
    expect(specFields(always?.spec)).toEqual(["a", "b"]);
    expect(verdicts(always)).toEqual({ east: true, west: true });
    expect(always?.contributors).toEqual([contributorToken(east), contributorToken(west)]);
  });

  test("an unknown or empty strategy never narrows", () => {
    const east = imp("east", ["a", "b"]);
    const first = negotiate({ imports: [east] });
    const r = negotiate({ imports: [east, imp("west", ["a"], "")], current: current(first, false) });
    expect(specFields(r?.spec)).toEqual(["a", "b"]);
  });

  test("the limiting cluster leaving widens the schema again (a rebuild from what remains)", () => {
    const east = imp("east", ["a", "b"]);
    const west = imp("west", ["a"], "UpdatePublished");
    const both = negotiate({ imports: [east, west], current: current(negotiate({ imports: [east] }), true) });
    expect(specFields(both?.spec)).toEqual(["a"]);
    const after = negotiate({ imports: [east], current: current(both, true) });
    expect(specFields(after?.spec)).toEqual(["a", "b"]);
    expect(after?.contributors).toEqual([contributorToken(east)]);
  });

  test("a rebuild does not let an import narrow a published resource its strategy forbids", () => {
    // east and c shaped it; west (UpdateUnpublished, narrower) was refused; c leaves.
    const east = imp("east", ["a", "b", "c"]);
    const c = imp("c", ["a", "b", "c"], "UpdatePublished");
    const west = imp("west", ["a"], "UpdateUnpublished");
    const shaped = negotiate({ imports: [east, c], current: current(negotiate({ imports: [east] }), true) });
    const refused = negotiate({ imports: [east, c, west], current: current(shaped, true) });
    expect(verdicts(refused)).toEqual({ east: true, c: true, west: false });
    const rebuilt = negotiate({ imports: [east, west], current: current(refused, true) });
    expect(specFields(rebuilt?.spec)).toEqual(["a", "b", "c"]);
    expect(verdicts(rebuilt)).toEqual({ east: true, west: false });
  });

  test("a contributor that changed (new generation) rebuilds: a cluster upgrade widens the schema", () => {
    const east = imp("east", ["a", "b"]);
    const west = imp("west", ["a"], "UpdatePublished");
    const narrowed = negotiate({ imports: [east, west], current: current(negotiate({ imports: [east] }), true) });
    const upgraded = { ...imp("west", ["a", "b"], "UpdatePublished"), generation: 2 };
    const r = negotiate({ imports: [east, upgraded], current: current(narrowed, true) });
    expect(specFields(r?.spec)).toEqual(["a", "b"]);
  });

  test("names and scope are compared: a mismatch is incompatible and never narrows", () => {
    const east = imp("east", ["a", "b"]);
    const west = imp("west", ["a"], "UpdatePublished", { scope: "Cluster" });
    const r = negotiate({ imports: [east, west], current: current(negotiate({ imports: [east] }), false) });
    expect(specFields(r?.spec)).toEqual(["a", "b"]);
    expect(verdicts(r)).toEqual({ east: true, west: false });
    expect(r?.verdicts.get(west.name)?.message).toContain("scope");
  });

  test("a user's CRD dictates: imports are checked, nothing narrows, nothing contributes", () => {
    const enforced = { ...base, openAPIV3Schema: schema("a", "b") };
    const r = negotiate({
      imports: [imp("east", ["a", "b", "c"]), imp("west", ["a"], "UpdatePublished")],
      enforced,
    });
    expect(r?.spec).toEqual(enforced);
    expect(r?.contributors).toEqual([]);
    expect(verdicts(r)).toEqual({ east: true, west: false });
  });

  test("inputs are not changed", () => {
    const east = imp("east", ["a", "b"]);
    const west = imp("west", ["a"], "UpdatePublished");
    const copy = structuredClone([east, west]);
    negotiate({ imports: [east, west] });
    expect([east, west]).toEqual(copy);
  });
});
