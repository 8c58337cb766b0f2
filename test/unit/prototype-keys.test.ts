// Objects as plain data (issue 16, item 4): every name Object.prototype has (`__proto__`,
// `constructor`, `toString`, …) as a data key, a label, an annotation, a Secret's stringData key, a
// custom resource's field, a JSON Patch path and a strategic-merge / apply merge key, through create,
// update, the four patch types and the selectors. Each object reads back exactly as sent, or kube
// refuses the key with a 4xx; never a 5xx, and Object.prototype is left as it was after each test.

import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { CrdController } from "../../src/controllers/crd/crd-controller.ts";
import { type InMemoryApp, inMemoryApp, TEST_TOKEN } from "../helpers/in-memory-app.ts";

const NAMES = Object.getOwnPropertyNames(Object.prototype);
const PROTOTYPE_BEFORE = new Map(NAMES.map((n) => [n, Object.getOwnPropertyDescriptor(Object.prototype, n)]));
/** kube's label and annotation key (name part): alphanumerics at both ends. */
const QUALIFIED_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const CMS = "/api/v1/namespaces/default/configmaps";

type Obj = Record<string, any>;
let a: InMemoryApp;
let crds: CrdController;

/** JSON text of an object with these keys, each key's value from `value` (text, so `__proto__` is a key). */
function objectText(keys: string[], value: (k: string) => unknown): string {
  return `{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(value(k))}`).join(",")}}`;
}

/** The object's own entries, sorted: what was stored, whatever the keys are. */
function entries(o: unknown): [string, unknown][] {
  if (o === null || typeof o !== "object") return [];
  return Object.keys(o)
    .sort()
    .map((k) => [k, (o as Obj)[k]]);
}

function expected(keys: string[], value: (k: string) => unknown): [string, unknown][] {
  return [...keys].sort().map((k) => [k, value(k)]);
}

async function call(method: string, path: string, body?: string, contentType = "application/json") {
  const res = await a.app.request(path, {
    method,
    headers: { authorization: `Bearer ${TEST_TOKEN}`, "content-type": contentType },
    ...(body === undefined ? {} : { body }),
  });
  const text = await res.text();
  const parsed = text ? (JSON.parse(text) as Obj) : {};
  expect({ method, path, status: res.status, below500: res.status < 500 }).toMatchObject({ below500: true });
  return { status: res.status, body: parsed };
}

function expectCreated(r: { status: number; body: Obj }, code = 201) {
  expect({ status: r.status, message: r.body.message }).toEqual({ status: code, message: undefined });
  return r.body;
}

beforeAll(async () => {
  a = await inMemoryApp();
  const crdDef = a.deps.registry.lookup("admin", "apiextensions.k8s.io", "v1", "customresourcedefinitions");
  if (!crdDef) throw new Error("no CRD resource");
  crds = new CrdController(a.deps.store, a.deps.registry, crdDef);
  await crds.start();
});

afterAll(async () => {
  crds.stop();
  await a.close();
});

afterEach(() => {
  // Nothing was added to, replaced on or removed from Object.prototype.
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual([...NAMES].sort());
  for (const n of NAMES) expect(Object.getOwnPropertyDescriptor(Object.prototype, n)).toEqual(PROTOTYPE_BEFORE.get(n));
  expect(({} as Obj).polluted).toBeUndefined();
  expect(Object.getPrototypeOf({})).toBe(Object.prototype);
});

test("the names are Object.prototype's", () => {
  expect(NAMES).toContain("__proto__");
  expect(NAMES).toContain("constructor");
  expect(NAMES).toContain("hasOwnProperty");
  expect(NAMES.length).toBeGreaterThanOrEqual(12);
});

describe("ConfigMap data keys", () => {
  const cm = (name: string, value: (k: string) => string) =>
    `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"${name}"},"data":${objectText(NAMES, value)}}`;

  test("create and update keep every key", async () => {
    const created = expectCreated(
      await call(
        "POST",
        CMS,
        cm("data-keys", (k) => `c-${k}`),
      ),
    );
    expect(entries(created.data)).toEqual(expected(NAMES, (k) => `c-${k}`));
    const body = cm("data-keys", (k) => `u-${k}`).replace(
      '"name":"data-keys"',
      `"name":"data-keys","resourceVersion":"${created.metadata.resourceVersion}"`,
    );
    expectCreated(await call("PUT", `${CMS}/data-keys`, body), 200);
    const got = await call("GET", `${CMS}/data-keys`);
    expect(entries(got.body.data)).toEqual(expected(NAMES, (k) => `u-${k}`));
  });

  test("binaryData beside data: only a real duplicate is refused", async () => {
    const body = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"bin-keys"},"data":{"plain":"x"},"binaryData":${objectText(NAMES, () => "AQI=")}}`;
    const created = expectCreated(await call("POST", CMS, body));
    expect(entries(created.binaryData)).toEqual(expected(NAMES, () => "AQI="));
    const dup = await call(
      "POST",
      CMS,
      '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup"},"data":{"constructor":"x"},"binaryData":{"constructor":"AQI="}}',
    );
    expect(dup.status).toBe(422);
  });

  test("merge, strategic merge and JSON patches set and remove every key", async () => {
    expectCreated(
      await call(
        "POST",
        CMS,
        cm("patched", (k) => `c-${k}`),
      ),
    );
    const merge = `{"data":${objectText(NAMES, (k) => `m-${k}`)}}`;
    expectCreated(await call("PATCH", `${CMS}/patched`, merge, "application/merge-patch+json"), 200);
    expect(entries((await call("GET", `${CMS}/patched`)).body.data)).toEqual(expected(NAMES, (k) => `m-${k}`));

    const smp = `{"data":${objectText(NAMES, (k) => `s-${k}`)}}`;
    expectCreated(await call("PATCH", `${CMS}/patched`, smp, "application/strategic-merge-patch+json"), 200);
    expect(entries((await call("GET", `${CMS}/patched`)).body.data)).toEqual(expected(NAMES, (k) => `s-${k}`));

    const ops = NAMES.map((k) => ({ op: "replace", path: `/data/${k}`, value: `j-${k}` }));
    ops.push({ op: "test", path: "/data/constructor", value: "j-constructor" });
    expectCreated(await call("PATCH", `${CMS}/patched`, JSON.stringify(ops), "application/json-patch+json"), 200);
    expect(entries((await call("GET", `${CMS}/patched`)).body.data)).toEqual(expected(NAMES, (k) => `j-${k}`));

    // Removing: null in a merge patch, `remove` in a JSON patch, on keys that exist and on keys that do not.
    const half = NAMES.filter((_, i) => i % 2 === 0);
    const rest = NAMES.filter((_, i) => i % 2 === 1);
    const removeMerge = `{"data":${objectText(half, () => null)}}`;
    expectCreated(await call("PATCH", `${CMS}/patched`, removeMerge, "application/merge-patch+json"), 200);
    expect(entries((await call("GET", `${CMS}/patched`)).body.data)).toEqual(expected(rest, (k) => `j-${k}`));
    expectCreated(await call("PATCH", `${CMS}/patched`, removeMerge, "application/strategic-merge-patch+json"), 200);
    const removeJson = JSON.stringify(rest.map((k) => ({ op: "remove", path: `/data/${k}` })));
    expectCreated(await call("PATCH", `${CMS}/patched`, removeJson, "application/json-patch+json"), 200);
    expect(entries((await call("GET", `${CMS}/patched`)).body.data)).toEqual([]);
    // A key that is not there cannot be removed or tested, whatever Object.prototype has.
    for (const k of NAMES) {
      const op = JSON.stringify([{ op: "remove", path: `/data/${k}` }]);
      expect((await call("PATCH", `${CMS}/patched`, op, "application/json-patch+json")).status).toBe(422);
    }
  });

  test("merge and strategic merge patches add every key to an object without it", async () => {
    for (const [name, type] of [
      ["fresh-merge", "application/merge-patch+json"],
      ["fresh-smp", "application/strategic-merge-patch+json"],
    ] as const) {
      expectCreated(await call("POST", CMS, `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"${name}"}}`));
      const patch = `{"data":${objectText(NAMES, (k) => `p-${k}`)}}`;
      expectCreated(await call("PATCH", `${CMS}/${name}`, patch, type), 200);
      expect(entries((await call("GET", `${CMS}/${name}`)).body.data)).toEqual(expected(NAMES, (k) => `p-${k}`));
    }
  });

  test("JSON patch add, copy and move with every name as a path segment", async () => {
    expectCreated(await call("POST", CMS, '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"jp"},"data":{}}'));
    const ops: Obj[] = [];
    for (const k of NAMES) {
      ops.push({ op: "add", path: `/data/${k}`, value: `a-${k}` });
      ops.push({ op: "copy", from: `/data/${k}`, path: `/data/copy-${k}` });
      ops.push({ op: "move", from: `/data/copy-${k}`, path: `/data/moved${k}` });
    }
    expectCreated(await call("PATCH", `${CMS}/jp`, JSON.stringify(ops), "application/json-patch+json"), 200);
    const data = (await call("GET", `${CMS}/jp`)).body.data;
    expect(entries(data)).toEqual(
      [
        ...expected(NAMES, (k) => `a-${k}`),
        ...expected(
          NAMES.map((k) => `moved${k}`),
          (k) => `a-${k.slice(5)}`,
        ),
      ].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)),
    );
    // A path through a prototype name that is not an own member is not found (422), never followed.
    for (const k of NAMES) {
      const op = JSON.stringify([{ op: "add", path: `/metadata/${k}/polluted`, value: "yes" }]);
      expect((await call("PATCH", `${CMS}/jp`, op, "application/json-patch+json")).status).toBe(422);
    }
  });

  test("server-side apply manages every key", async () => {
    const body = cm("applied", (k) => `a-${k}`);
    const path = `${CMS}/applied?fieldManager=keys`;
    expectCreated(await call("PATCH", path, body, "application/apply-patch+yaml"), 201);
    const got = (await call("GET", `${CMS}/applied`)).body;
    expect(entries(got.data)).toEqual(expected(NAMES, (k) => `a-${k}`));
    const managed = got.metadata.managedFields.find((m: Obj) => m.manager === "keys");
    expect(entries(managed.fieldsV1["f:data"]).map(([k]) => k)).toEqual(NAMES.map((k) => `f:${k}`).sort());
    // A second manager takes half the keys; applying again without the rest removes them.
    const half = NAMES.filter((_, i) => i % 2 === 0);
    const other = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"applied"},"data":${objectText(half, (k) => `o-${k}`)}}`;
    expectCreated(
      await call("PATCH", `${CMS}/applied?fieldManager=other&force=true`, other, "application/apply-patch+yaml"),
      200,
    );
    const fewer = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"applied"},"data":{}}`;
    expectCreated(await call("PATCH", path, fewer, "application/apply-patch+yaml"), 200);
    expect(entries((await call("GET", `${CMS}/applied`)).body.data)).toEqual(expected(half, (k) => `o-${k}`));
  });
});

test("managedFields from a client with prototype names in fieldsV1: the object is kept, apply works", async () => {
  const fields = `{"f:data":${objectText(
    NAMES.map((k) => `f:${k}`),
    () => ({}),
  )},${objectText(NAMES, () => ({ "f:x": {} })).slice(1, -1)}}`;
  const managed = `[{"manager":"__proto__","operation":"Update","apiVersion":"v1","fieldsType":"FieldsV1","fieldsV1":${fields}}]`;
  const body = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"managed","managedFields":${managed}},"data":${objectText(NAMES, () => "v")}}`;
  // Whatever becomes of managedFields it cannot decode, the object is kept as sent.
  const created = expectCreated(await call("POST", CMS, body));
  expect(entries(created.data)).toEqual(expected(NAMES, () => "v"));
  const apply = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"managed"},"data":${objectText(NAMES, () => "w")}}`;
  const path = `${CMS}/managed?fieldManager=constructor&force=true`;
  const applied = expectCreated(await call("PATCH", path, apply, "application/apply-patch+yaml"), 200);
  expect(entries(applied.data)).toEqual(expected(NAMES, () => "w"));
  expect(applied.metadata.managedFields.some((m: Obj) => m.manager === "constructor")).toBe(true);
});

describe("labels, annotations and selectors", () => {
  test("each name as a label and an annotation key: kept, or 422 where kube refuses the key", async () => {
    for (const [i, k] of NAMES.entries()) {
      const body = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"label-${i}","labels":${objectText([k], () => "v")},"annotations":${objectText([k], () => "a")}}}`;
      const r = await call("POST", CMS, body);
      if (!QUALIFIED_NAME.test(k)) {
        expect({ k, status: r.status }).toEqual({ k, status: 422 });
        continue;
      }
      expect({ k, status: r.status }).toEqual({ k, status: 201 });
      const got = (await call("GET", `${CMS}/label-${i}`)).body;
      expect(entries(got.metadata.labels)).toEqual([[k, "v"]]);
      expect(entries(got.metadata.annotations)).toEqual([[k, "a"]]);
    }
  });

  test("a selector on a prototype name matches only objects with that label", async () => {
    expectCreated(
      await call("POST", CMS, '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"unlabelled-sel"}}'),
    );
    const names = async (selector: string) => {
      const r = await call("GET", `${CMS}?labelSelector=${encodeURIComponent(selector)}`);
      expect(r.status).toBe(200);
      return r.body.items.map((o: Obj) => o.metadata.name as string);
    };
    for (const [i, k] of NAMES.entries()) {
      if (!QUALIFIED_NAME.test(k)) continue;
      expect({ k, names: await names(k) }).toEqual({ k, names: [`label-${i}`] });
      expect({ k, names: await names(`${k}=v`) }).toEqual({ k, names: [`label-${i}`] });
      expect({ k, names: await names(`${k} in (v)`) }).toEqual({ k, names: [`label-${i}`] });
      expect((await names(`!${k}`)).includes("unlabelled-sel")).toBe(true);
      expect((await names(`!${k}`)).includes(`label-${i}`)).toBe(false);
      expect((await names(`${k}!=v`)).includes(`label-${i}`)).toBe(false);
    }
  });
});

test("Secret stringData with every name lands in data", async () => {
  const body = `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"string-data"},"stringData":${objectText(NAMES, (k) => `s-${k}`)}}`;
  const created = expectCreated(await call("POST", "/api/v1/namespaces/default/secrets", body));
  expect(entries(created.data)).toEqual(expected(NAMES, (k) => Buffer.from(`s-${k}`).toString("base64")));
  expect(created.stringData).toBeUndefined();
});

test("a built-in kind's unknown fields named after prototype members are dropped or refused", async () => {
  const fields = objectText(NAMES, () => 1).slice(1, -1);
  const body = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"unknown-fields"},${fields}}`;
  const strict = await call("POST", `${CMS}?fieldValidation=Strict`, body);
  expect(strict.status).toBe(400);
  for (const k of NAMES) expect(strict.body.message).toContain(`unknown field "${k}"`);
  const created = expectCreated(await call("POST", `${CMS}?fieldValidation=Ignore`, body));
  expect(entries(created).map(([k]) => k)).toEqual(["apiVersion", "kind", "metadata"]);
});

describe("merge keys", () => {
  const SAS = "/api/v1/namespaces/default/serviceaccounts";

  test("ServiceAccount secrets keyed by every name, by strategic merge patch and apply", async () => {
    const list = (names: string[]) => `[${names.map((n) => `{"name":${JSON.stringify(n)}}`).join(",")}]`;
    const sa = `{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"merge-keys"},"secrets":${list(NAMES)}}`;
    const created = expectCreated(await call("POST", SAS, sa));
    expect(created.secrets.map((s: Obj) => s.name)).toEqual(NAMES);
    // Strategic merge: delete half by merge key, add one more.
    const half = NAMES.filter((_, i) => i % 2 === 0);
    const patch = `{"secrets":[${half.map((n) => `{"$patch":"delete","name":${JSON.stringify(n)}}`).join(",")},{"name":"extra"}]}`;
    expectCreated(await call("PATCH", `${SAS}/merge-keys`, patch, "application/strategic-merge-patch+json"), 200);
    const after = (await call("GET", `${SAS}/merge-keys`)).body.secrets.map((s: Obj) => s.name);
    expect([...after].sort()).toEqual([...NAMES.filter((_, i) => i % 2 === 1), "extra"].sort());
    // Apply: a manager owning every name's item.
    const applied = `{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"merge-keys"},"secrets":${list(NAMES)}}`;
    const r = await call(
      "PATCH",
      `${SAS}/merge-keys?fieldManager=keys&force=true`,
      applied,
      "application/apply-patch+yaml",
    );
    expectCreated(r, 200);
    expect([...r.body.secrets.map((s: Obj) => s.name)].sort()).toEqual([...NAMES, "extra"].sort());
    const managed = r.body.metadata.managedFields.find((m: Obj) => m.manager === "keys");
    const keys = Object.keys(managed.fieldsV1["f:secrets"]);
    for (const n of NAMES) expect(keys).toContain(`k:{"name":${JSON.stringify(n)}}`);
  });
});

describe("custom resources", () => {
  const WIDGETS = "/apis/example.com/v1/namespaces/default/widgets";
  /** A nested object under every name, and the shapes that pollute a prototype when walked blindly. */
  const spec = (tag: string) =>
    `{${NAMES.map((k) => `${JSON.stringify(k)}:{"polluted":"${tag}","inner":${objectText(NAMES, () => tag)}}`).join(",")}}`;
  const widget = (tag: string, extra = "") =>
    `{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"${extra}},"spec":${spec(tag)}}`;
  const expectSpec = (got: Obj, tag: string) => {
    expect(entries(got.spec).map(([k]) => k)).toEqual([...NAMES].sort());
    for (const k of NAMES) {
      expect(entries(got.spec[k]).map(([f]) => f)).toEqual(["inner", "polluted"]);
      expect(got.spec[k].polluted).toBe(tag);
      expect(entries(got.spec[k].inner)).toEqual(expected(NAMES, () => tag));
    }
  };

  beforeAll(async () => {
    const schema = {
      openAPIV3Schema: {
        type: "object",
        properties: {
          spec: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
          // Declared fields named after prototype members, in a map-keyed list too.
          fields: {
            type: "object",
            properties: Object.fromEntries(
              NAMES.filter((n) => n !== "__proto__").map((n) => [
                n,
                // A default on one: an object without the field has none of its own to keep.
                n === "valueOf" ? { type: "string", default: "d" } : { type: "string" },
              ]),
            ),
          },
          items: {
            type: "array",
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["name"],
            items: {
              type: "object",
              required: ["name"],
              properties: { name: { type: "string" }, v: { type: "string" } },
            },
          },
        },
      },
    };
    const crd = {
      metadata: { name: "widgets.example.com" },
      spec: {
        group: "example.com",
        scope: "Namespaced",
        names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList" },
        versions: [{ name: "v1", served: true, storage: true, schema }],
      },
    };
    expectCreated(await call("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", JSON.stringify(crd)));
    const deadline = Date.now() + 10_000;
    while ((await a.app.request(WIDGETS, { headers: { authorization: `Bearer ${TEST_TOKEN}` } })).status !== 200) {
      if (Date.now() > deadline) throw new Error("widgets not served");
      await Bun.sleep(20);
    }
  });

  test("create, update, merge patch and JSON patch keep every nested name", async () => {
    const created = expectCreated(await call("POST", WIDGETS, widget("c")));
    expectSpec(created, "c");
    const rv = `,"resourceVersion":"${created.metadata.resourceVersion}"`;
    expectSpec(expectCreated(await call("PUT", `${WIDGETS}/w`, widget("u", rv)), 200), "u");
    const merge = `{"spec":${spec("m")}}`;
    expectSpec(expectCreated(await call("PATCH", `${WIDGETS}/w`, merge, "application/merge-patch+json"), 200), "m");
    const ops = NAMES.flatMap((k) => [
      { op: "replace", path: `/spec/${k}/polluted`, value: "j" },
      ...NAMES.map((f) => ({ op: "replace", path: `/spec/${k}/inner/${f}`, value: "j" })),
    ]);
    expectSpec(
      expectCreated(await call("PATCH", `${WIDGETS}/w`, JSON.stringify(ops), "application/json-patch+json"), 200),
      "j",
    );
    // Strategic merge is not for custom resources (415), whatever the body holds.
    expect((await call("PATCH", `${WIDGETS}/w`, merge, "application/strategic-merge-patch+json")).status).toBe(415);
  });

  test("apply keeps every nested name, declared fields and map-list keys", async () => {
    const fields = objectText(
      NAMES.filter((n) => n !== "__proto__"),
      (k) => `f-${k}`,
    );
    const items = `[${NAMES.map((n) => `{"name":${JSON.stringify(n)},"v":"i"}`).join(",")}]`;
    const body = `{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"},"spec":${spec("a")},"fields":${fields},"items":${items}}`;
    const r = await call("PATCH", `${WIDGETS}/w?fieldManager=keys&force=true`, body, "application/apply-patch+yaml");
    expectCreated(r, 200);
    expectSpec(r.body, "a");
    expect(entries(r.body.fields)).toEqual(
      expected(
        NAMES.filter((n) => n !== "__proto__"),
        (k) => `f-${k}`,
      ),
    );
    expect(r.body.items.map((i: Obj) => i.name)).toEqual(NAMES);
    // A field named after a prototype member that the schema does not declare is pruned, not kept.
    const undeclared = `{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w2"},"fields":{"__proto__":"x"},${objectText(NAMES, () => 1).slice(1, -1)}}`;
    const pruned = expectCreated(await call("POST", WIDGETS, undeclared));
    expect(entries(pruned).map(([k]) => k)).toEqual(["apiVersion", "fields", "kind", "metadata"]);
    expect(entries(pruned.fields)).toEqual([["valueOf", "d"]]);
  });
});
