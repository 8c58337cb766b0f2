import { describe, expect, test } from "bun:test";
import { SchemaNode } from "../../src/apis/schema-node.ts";
import { BUILTIN_SCHEMAS } from "../../src/apis/builtin/schemas/index.ts";
import { applyStrategicMergePatch, MAX_MERGED_LIST_ITEMS } from "../../src/machinery/patch/strategic-merge-patch.ts";
import { StatusError } from "../../src/machinery/status.ts";

type Obj = Record<string, unknown>;
const schemaOf = (name: string) => SchemaNode.of(BUILTIN_SCHEMAS[name]);
const configMap = schemaOf("io.k8s.api.core.v1.ConfigMap");
const serviceAccount = schemaOf("io.k8s.api.core.v1.ServiceAccount");
const role = schemaOf("io.k8s.api.rbac.v1.Role");
const limitRange = schemaOf("io.k8s.api.core.v1.LimitRange");

/** A kind with one list of each strategy, and a map patched by replacement. */
const fixture = SchemaNode.of({
  type: "object",
  properties: {
    items: {
      type: "array",
      items: {
        type: "object",
        properties: { name: { type: "string" }, value: { type: "string" }, extra: { type: "string" } },
      },
      "x-kubernetes-patch-strategy": "merge",
      "x-kubernetes-patch-merge-key": "name",
    },
    tags: { type: "array", items: { type: "string" }, "x-kubernetes-patch-strategy": "merge" },
    plain: { type: "array", items: { type: "string" } },
    replaced: {
      type: "object",
      properties: { a: { type: "string" }, b: { type: "string" } },
      "x-kubernetes-patch-strategy": "replace",
    },
    union: {
      type: "object",
      properties: { kind: { type: "string" }, a: { type: "string" }, b: { type: "string" } },
      "x-kubernetes-patch-strategy": "retainKeys",
    },
  },
});

function statusOf(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (e) {
    if (e instanceof StatusError) return e;
    throw e;
  }
  throw new Error("no error");
}

describe("strategic merge patch: maps", () => {
  test("merges maps, null deletes, the inputs stay untouched", () => {
    const original = { metadata: { name: "c", labels: { a: "1", b: "2" } }, data: { x: "1", y: "2" } };
    const patch = { metadata: { labels: { b: null, c: "3" } }, data: { y: null, z: "3" } };
    const out = applyStrategicMergePatch(original, patch, configMap);
    expect(out).toEqual({ metadata: { name: "c", labels: { a: "1", c: "3" } }, data: { x: "1", z: "3" } });
    expect(original.data).toEqual({ x: "1", y: "2" });
    expect(patch.data).toEqual({ y: null, z: "3" });
  });

  test("nulls of values new to the original are dropped", () => {
    expect(applyStrategicMergePatch({}, { data: { a: "1", b: null } }, configMap)).toEqual({ data: { a: "1" } });
  });

  test("$patch: replace replaces a map, $patch: delete empties it", () => {
    const original = { data: { a: "1", b: "2" }, binaryData: { x: "eA==" } };
    expect(applyStrategicMergePatch(original, { data: { $patch: "replace", c: "3" } }, configMap)).toEqual({
      data: { c: "3" },
      binaryData: { x: "eA==" },
    });
    expect(applyStrategicMergePatch(original, { data: { $patch: "delete" } }, configMap)).toEqual({
      data: {},
      binaryData: { x: "eA==" },
    });
    expect(applyStrategicMergePatch(original, { $patch: "replace", data: { z: "9" } }, configMap)).toEqual({
      data: { z: "9" },
    });
  });

  test("an unknown $patch directive in a map is 400 (kube: 500)", () => {
    const e = statusOf(() => applyStrategicMergePatch({ data: { a: "1" } }, { data: { $patch: "merge" } }, configMap));
    expect(e.code).toBe(400);
    expect(e.message).toBe("unknown patch type: merge in map: map[$patch:merge]");
  });

  test("$retainKeys drops the other keys of the original", () => {
    const out = applyStrategicMergePatch(
      { union: { kind: "A", a: "1" } },
      { union: { $retainKeys: ["kind", "b"], kind: "B", b: "2" } },
      fixture,
    );
    expect(out).toEqual({ union: { kind: "B", b: "2" } });
    expect(
      statusOf(() => applyStrategicMergePatch({ union: {} }, { union: { $retainKeys: "kind" } }, fixture)).message,
    ).toBe("invalid patch format of retainKeys");
  });

  test("a map with the replace strategy is replaced", () => {
    expect(applyStrategicMergePatch({ replaced: { a: "1" } }, { replaced: { b: "2" } }, fixture)).toEqual({
      replaced: { b: "2" },
    });
  });
});

describe("strategic merge patch: lists", () => {
  test("metadata.ownerReferences merge by uid", () => {
    const ref = (uid: string, name: string) => ({ apiVersion: "v1", kind: "ConfigMap", name, uid });
    const original = { metadata: { ownerReferences: [ref("1", "a"), ref("2", "b")] } };
    const out = applyStrategicMergePatch(
      original,
      { metadata: { ownerReferences: [{ uid: "2", name: "b2" }, ref("3", "c")] } },
      configMap,
    );
    expect(out.metadata).toEqual({ ownerReferences: [ref("1", "a"), ref("2", "b2"), ref("3", "c")] });
  });

  test("metadata.finalizers are a merged set (new items first); $deleteFromPrimitiveList removes items", () => {
    const original = { metadata: { finalizers: ["a", "b"] } };
    expect(applyStrategicMergePatch(original, { metadata: { finalizers: ["c", "a"] } }, configMap).metadata).toEqual({
      finalizers: ["c", "a", "b"],
    });
    expect(
      applyStrategicMergePatch(original, { metadata: { "$deleteFromPrimitiveList/finalizers": ["a"] } }, configMap)
        .metadata,
    ).toEqual({ finalizers: ["b"] });
  });

  test("$setElementOrder orders a merged primitive list (kubectl apply's patches)", () => {
    const original = { metadata: { finalizers: ["a", "b", "c"] } };
    const patch = {
      metadata: {
        "$setElementOrder/finalizers": ["c", "a", "d"],
        finalizers: ["d"],
        "$deleteFromPrimitiveList/finalizers": ["b"],
      },
    };
    expect(applyStrategicMergePatch(original, patch, configMap).metadata).toEqual({ finalizers: ["c", "a", "d"] });
  });

  test("ServiceAccount.secrets merge by name; $patch: delete removes an item, $patch: replace replaces the list", () => {
    const original = { secrets: [{ name: "a" }, { name: "b" }] };
    // Without $setElementOrder, items the live list lacks come first (kube's mergeSortedSlice).
    expect(applyStrategicMergePatch(original, { secrets: [{ name: "c" }] }, serviceAccount)).toEqual({
      secrets: [{ name: "c" }, { name: "a" }, { name: "b" }],
    });
    expect(applyStrategicMergePatch(original, { secrets: [{ name: "a", $patch: "delete" }] }, serviceAccount)).toEqual({
      secrets: [{ name: "b" }],
    });
    expect(
      applyStrategicMergePatch(original, { secrets: [{ $patch: "replace" }, { name: "z" }] }, serviceAccount),
    ).toEqual({ secrets: [{ name: "z" }] });
  });

  test("merge lists: items merge by key, new ones go after, the patch's order wins for its items", () => {
    const original = {
      items: [
        { name: "a", value: "1" },
        { name: "b", value: "2", extra: "x" },
        { name: "c", value: "3" },
      ],
    };
    const out = applyStrategicMergePatch(
      original,
      {
        items: [
          { name: "c", value: "30" },
          { name: "b", value: null },
          { name: "d", value: "4" },
        ],
      },
      fixture,
    );
    expect(out.items).toEqual([
      { name: "a", value: "1" },
      { name: "c", value: "30" },
      { name: "b", extra: "x" },
      { name: "d", value: "4" },
    ]);
  });

  test("$setElementOrder orders a merged list of maps; a server-only item goes before the first listed item it preceded", () => {
    const original = { items: [{ name: "a" }, { name: "s" }, { name: "b" }] };
    const patch = {
      "$setElementOrder/items": [{ name: "b" }, { name: "a" }, { name: "n" }],
      items: [{ name: "n", value: "new" }],
    };
    expect(applyStrategicMergePatch(original, patch, fixture).items).toEqual([
      { name: "s" },
      { name: "b" },
      { name: "a" },
      { name: "n", value: "new" },
    ]);
  });

  test("an item without the merge key is 400 (kube: 500)", () => {
    const e = statusOf(() =>
      applyStrategicMergePatch({ items: [{ name: "a" }] }, { items: [{ value: "1" }] }, fixture),
    );
    expect(e.code).toBe(400);
    expect(e.message).toBe("map: map[value:1] does not contain declared merge key: name");
  });

  test("primitive merge lists union without duplicates; lists without a strategy are replaced", () => {
    expect(applyStrategicMergePatch({ tags: ["a", "b"] }, { tags: ["b", "c"] }, fixture)).toEqual({
      tags: ["a", "b", "c"],
    });
    expect(applyStrategicMergePatch({ plain: ["a", "b"] }, { plain: ["c"] }, fixture)).toEqual({ plain: ["c"] });
  });

  test("atomic lists of built-in kinds are replaced: RBAC rules, LimitRange limits", () => {
    const rules = [{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }];
    expect(
      applyStrategicMergePatch(
        { rules },
        { rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["list"] }] },
        role,
      ),
    ).toEqual({
      rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["list"] }],
    });
    const limits = [{ type: "Container", max: { cpu: "1" } }];
    expect(applyStrategicMergePatch({ spec: { limits } }, { spec: { limits: [{ type: "Pod" }] } }, limitRange)).toEqual(
      { spec: { limits: [{ type: "Pod" }] } },
    );
  });

  test("values of another type replace the original; lists of lists are refused", () => {
    expect(applyStrategicMergePatch({ data: "x" }, { data: { a: "1" } }, configMap)).toEqual({ data: { a: "1" } });
    expect(statusOf(() => applyStrategicMergePatch({ tags: [["a"]] }, { tags: [["b"]] }, fixture)).code).toBe(422);
  });

  test("without a schema, lists are replaced and maps merged", () => {
    expect(applyStrategicMergePatch({ a: [1, 2], m: { x: 1 } }, { a: [3], m: { y: 2 } }, undefined)).toEqual({
      a: [3],
      m: { x: 1, y: 2 },
    });
  });
});

describe("strategic merge patch: bounded work", () => {
  const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

  test("a merged list over MAX_MERGED_LIST_ITEMS is kube's generic 422, with the reason as its cause", () => {
    const original = { metadata: { finalizers: names("example.com/a", 60_000) } };
    const err = statusOf(() =>
      applyStrategicMergePatch(original, { metadata: { finalizers: names("example.com/b", 50_000) } }, configMap),
    );
    expect({ code: err.code, reason: err.reason }).toEqual({ code: 422, reason: "Invalid" });
    expect(err.details?.causes?.[0]?.message).toBe(
      `a merged list may hold at most ${MAX_MERGED_LIST_ITEMS} items, this one would have 110000`,
    );
  });

  test("large merge lists are merged by index: 40,000 finalizers, secrets by name, deletions", () => {
    const a = names("example.com/a", 40_000);
    const b = names("example.com/b", 40_000);
    const merged = applyStrategicMergePatch(
      { metadata: { finalizers: a } },
      { metadata: { finalizers: b } },
      configMap,
    );
    expect(merged.metadata).toEqual({ finalizers: [...b, ...a] });
    const dropped = applyStrategicMergePatch(
      { metadata: { finalizers: a } },
      { metadata: { "$deleteFromPrimitiveList/finalizers": a.slice(1) } },
      configMap,
    );
    expect(dropped.metadata).toEqual({ finalizers: [a[0]] });

    const secrets = names("s", 20_000).map((name) => ({ name, note: "old" }));
    const patch = {
      secrets: [
        ...names("s", 20_000)
          .filter((_, i) => i % 2 === 0)
          .map((name) => ({ name, note: "new" })),
        { name: "s1", $patch: "delete" },
      ],
    };
    const out = applyStrategicMergePatch({ secrets }, patch, serviceAccount) as { secrets: Obj[] };
    expect(out.secrets).toHaveLength(19_999);
    expect(out.secrets.filter((c) => c.note === "new")).toHaveLength(10_000);
    expect(out.secrets.some((c) => c.name === "s1")).toBe(false);
  });
});
