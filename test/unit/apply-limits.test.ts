// Server-side apply's bounds: depth and field counts of the apply configuration and of the object.
import { expect, test } from "bun:test";
import { MAX_APPLY_DEPTH, MAX_APPLY_FIELDS } from "../../src/apis/fieldmanager/apply-limits.ts";
import { trackApply, trackUpdate } from "../../src/apis/fieldmanager/field-manager.ts";
import type { KObject, ResourceDef } from "../../src/apis/types.ts";
import { StatusError } from "../../src/machinery/status.ts";

const widgets = {
  group: "example.com",
  version: "v1",
  kind: "Widget",
  plural: "widgets",
  singular: "widget",
  listKind: "WidgetList",
  namespaced: true,
  verbs: [],
  subresources: [],
  mode: "stored",
  strategy: { hasStatus: false, tracksGeneration: false },
  source: "crd",
  openAPISchema: {
    type: "object",
    properties: {
      apiVersion: { type: "string" },
      kind: { type: "string" },
      metadata: { type: "object" },
      spec: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
    },
  },
} as unknown as ResourceDef;

/** `{a: {a: … 1}}`: `levels` nested maps. */
function nested(levels: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
}

const widget = (spec: unknown): KObject =>
  ({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" }, spec }) as KObject;

function statusOf(f: () => unknown): StatusError {
  try {
    f();
  } catch (e) {
    if (e instanceof StatusError) return e;
    throw e;
  }
  throw new Error("no error");
}

test("an apply configuration nested to the limit is applied; one level more is 422", () => {
  // The object is one level (spec) above its spec.
  const ok = trackApply({ def: widgets, manager: "m" }, undefined, widget(nested(MAX_APPLY_DEPTH - 1)), false);
  expect(ok.spec).toEqual(nested(MAX_APPLY_DEPTH - 1));
  const err = statusOf(() =>
    trackApply({ def: widgets, manager: "m" }, undefined, widget(nested(MAX_APPLY_DEPTH)), false),
  );
  expect({ code: err.code, reason: err.reason }).toEqual({ code: 422, reason: "Invalid" });
  expect(err.message).toBe(
    `the apply configuration is nested deeper than ${MAX_APPLY_DEPTH} levels, the limit of server-side apply`,
  );
  expect(statusOf(() => trackApply({ def: widgets, manager: "m" }, undefined, widget(nested(1500)), false)).code).toBe(
    422,
  );
});

test("more fields than the limit in the configuration, or in the object applied to, is 422", () => {
  const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));
  // apiVersion, kind, metadata, metadata.name and spec are five: MAX_APPLY_FIELDS - 5 keys in spec fit exactly.
  const fits = trackApply({ def: widgets, manager: "m" }, undefined, widget(many(MAX_APPLY_FIELDS - 5)), false);
  expect(Object.keys(fits.spec as object)).toHaveLength(MAX_APPLY_FIELDS - 5);
  const err = statusOf(() =>
    trackApply({ def: widgets, manager: "m" }, undefined, widget(many(MAX_APPLY_FIELDS - 4)), false),
  );
  expect(err.code).toBe(422);
  expect(err.message).toContain(`the apply configuration has more than ${MAX_APPLY_FIELDS} fields`);
  const live = {
    ...widget(many(MAX_APPLY_FIELDS)),
    metadata: { name: "w", uid: "u", resourceVersion: "1" },
  } as KObject;
  const small = statusOf(() => trackApply({ def: widgets, manager: "m2" }, live, widget({ a: 1 }), false));
  expect(small.code).toBe(422);
  expect(small.message).toContain(`the object has more than ${MAX_APPLY_FIELDS} fields`);
});

test("an update of an object deeper than the limit is not tracked: its managedFields are dropped, at once", () => {
  const created = trackUpdate({ def: widgets, manager: "a" }, undefined, widget(nested(5000)), undefined);
  expect(created).toHaveLength(1);
  const live = { ...widget(nested(5000)), metadata: { name: "w", managedFields: created } } as KObject;
  expect(trackUpdate({ def: widgets, manager: "b" }, live, widget(nested(5001)), undefined)).toBeUndefined();
  // Within the limit, updates are tracked as before.
  const first = trackUpdate({ def: widgets, manager: "a" }, undefined, widget(nested(10)), undefined);
  const shallow = { ...widget(nested(10)), metadata: { name: "w", managedFields: first } } as KObject;
  expect(trackUpdate({ def: widgets, manager: "b" }, shallow, widget(nested(11)), undefined)?.length).toBeGreaterThan(
    0,
  );
});
