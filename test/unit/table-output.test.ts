import { describe, expect, test } from "bun:test";
import { builtinResources } from "../../src/apis/builtin/index.ts";
import type { KObject, ResourceDef } from "../../src/apis/types.ts";
import { StatusError } from "../../src/machinery/status.ts";
import {
  negotiateOutput,
  respondAs,
  transformList,
  transformObject,
  watchObjectEncoder,
} from "../../src/server/table/table-output.ts";

const defs = builtinResources({} as never);
const def = (group: string, plural: string) =>
  defs.find((d) => d.group === group && d.plural === plural) as ResourceDef;
const configmaps = def("", "configmaps");
const ssar = def("authorization.k8s.io", "selfsubjectaccessreviews");

const KUBECTL_ACCEPT =
  "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
const TABLE_ONLY = "application/json;as=Table;v=v1;g=meta.k8s.io";

function cm(name: string, rv: string): KObject {
  const ts = new Date(Date.now() - 300_000).toISOString().replace(/\.\d{3}Z$/, "Z");
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name,
      namespace: "default",
      resourceVersion: rv,
      uid: `u-${name}`,
      creationTimestamp: ts,
      labels: { a: "b" },
    },
    data: { k: "v" },
  };
}

function status(fn: () => unknown): number {
  try {
    fn();
  } catch (e) {
    if (e instanceof StatusError) return e.code;
    throw e;
  }
  return 200;
}

describe("negotiating the representation", () => {
  test("kubectl's Accept gets a v1 Table; v1beta1 alone gets v1beta1", () => {
    expect(negotiateOutput(configmaps, KUBECTL_ACCEPT)).toEqual({ kind: "Table", version: "v1" });
    expect(negotiateOutput(configmaps, "application/json;as=Table;v=v1beta1;g=meta.k8s.io")).toEqual({
      kind: "Table",
      version: "v1beta1",
    });
  });

  test("plain Accept headers get the object", () => {
    for (const a of [
      null,
      "",
      "*/*",
      "application/json",
      "application/json, */*;q=0.8",
      "application/vnd.kubernetes.protobuf,application/json",
      "application/yaml",
    ]) {
      expect(negotiateOutput(configmaps, a)).toEqual({ kind: "object" });
    }
  });

  test("metadata-only forms", () => {
    expect(negotiateOutput(configmaps, "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io")).toEqual({
      kind: "PartialObjectMetadataList",
      version: "v1",
    });
    expect(
      negotiateOutput(configmaps, "application/json;as=PartialObjectMetadata;v=v1beta1;g=meta.k8s.io,application/json"),
    ).toEqual({
      kind: "PartialObjectMetadata",
      version: "v1beta1",
    });
  });

  test("a Table of a kind that has none (the review APIs) is 406; with a JSON fallback it is the object", () => {
    expect(status(() => negotiateOutput(ssar, TABLE_ONLY))).toBe(406);
    expect(negotiateOutput(ssar, KUBECTL_ACCEPT)).toEqual({ kind: "object" });
    expect(status(() => negotiateOutput(configmaps, "application/json;as=Table;v=v2;g=meta.k8s.io"))).toBe(406);
  });

  test("a header asked again gets the same answer (negotiated once), per kind with or without Tables", () => {
    const header = "application/json;as=Table;v=v1beta1;g=meta.k8s.io";
    for (let i = 0; i < 3; i++) {
      expect(status(() => negotiateOutput(ssar, header))).toBe(406);
      expect(negotiateOutput(configmaps, header)).toEqual({ kind: "Table", version: "v1beta1" });
    }
    // Answers are shared, so nobody may change one.
    expect(Object.isFrozen(negotiateOutput(configmaps, header))).toBe(true);
    expect(Object.isFrozen(negotiateOutput(configmaps, "application/json"))).toBe(true);
    // Hundreds of distinct headers (only the first 256 are remembered) are all still negotiated.
    for (let i = 0; i < 400; i++) {
      expect(negotiateOutput(configmaps, `application/json;as=Table;v=v1;g=meta.k8s.io;x=${i}`)).toEqual({
        kind: "Table",
        version: "v1",
      });
      expect(status(() => negotiateOutput(ssar, `application/json;as=Table;v=v1;g=meta.k8s.io;x=${i}`))).toBe(406);
    }
  });
});

describe("rendering", () => {
  const q = (s = "") => new URLSearchParams(s);
  const list = {
    kind: "ConfigMapList",
    apiVersion: "v1",
    metadata: { resourceVersion: "9", continue: "abc" },
    items: [cm("a", "5"), cm("b", "6")],
  };

  test("a list as a Table: list metadata, column definitions, a row per object with PartialObjectMetadata", () => {
    const t = transformList(configmaps, list, { kind: "Table", version: "v1" }, q()) as Record<string, any>;
    expect(t.kind).toBe("Table");
    expect(t.apiVersion).toBe("meta.k8s.io/v1");
    expect(t.metadata).toEqual({ resourceVersion: "9", continue: "abc" });
    expect(t.columnDefinitions.map((c: { name: string }) => c.name)).toEqual(["Name", "Data", "Age"]);
    expect(t.rows[0].cells).toEqual(["a", 1, "5m"]);
    expect(t.rows[0].object).toEqual({
      kind: "PartialObjectMetadata",
      apiVersion: "meta.k8s.io/v1",
      metadata: list.items[0].metadata,
    });
  });

  test("includeObject=Object embeds the object, None leaves it out, anything else is 400", () => {
    const full = transformList(configmaps, list, { kind: "Table", version: "v1" }, q("includeObject=Object")) as Record<
      string,
      any
    >;
    expect(full.rows[1].object).toEqual(list.items[1]);
    const none = transformList(
      configmaps,
      list,
      { kind: "Table", version: "v1beta1" },
      q("includeObject=None"),
    ) as Record<string, any>;
    expect(none.apiVersion).toBe("meta.k8s.io/v1beta1");
    expect("object" in none.rows[0]).toBe(false);
    expect(
      status(() => transformList(configmaps, list, { kind: "Table", version: "v1" }, q("includeObject=All"))),
    ).toBe(400);
  });

  test("one object as a Table carries its resourceVersion", () => {
    const t = transformObject(configmaps, cm("a", "5"), { kind: "Table", version: "v1" }, q()) as Record<string, any>;
    expect(t.metadata).toEqual({ resourceVersion: "5" });
    expect(t.rows).toHaveLength(1);
  });

  test("PartialObjectMetadata and PartialObjectMetadataList, and 406 for the wrong one", () => {
    const l = transformList(configmaps, list, { kind: "PartialObjectMetadataList", version: "v1" }, q()) as Record<
      string,
      any
    >;
    expect(l.kind).toBe("PartialObjectMetadataList");
    expect(l.metadata).toEqual(list.metadata);
    expect(l.items[0]).toEqual({
      kind: "PartialObjectMetadata",
      apiVersion: "meta.k8s.io/v1",
      metadata: list.items[0].metadata,
    });
    expect(
      transformObject(configmaps, cm("a", "5"), { kind: "PartialObjectMetadata", version: "v1" }, q()),
    ).toMatchObject({ kind: "PartialObjectMetadata" });
    expect(status(() => transformList(configmaps, list, { kind: "PartialObjectMetadata", version: "v1" }, q()))).toBe(
      406,
    );
    expect(
      status(() =>
        transformObject(configmaps, cm("a", "5"), { kind: "PartialObjectMetadataList", version: "v1" }, q()),
      ),
    ).toBe(406);
  });

  test("watch events: a one-row Table each, column definitions only in the first", () => {
    const enc = watchObjectEncoder(configmaps, { kind: "Table", version: "v1" }, q()) as (o: KObject) => string;
    const first = JSON.parse(enc(cm("a", "5")));
    const second = JSON.parse(enc(cm("b", "6")));
    expect(first.columnDefinitions).toHaveLength(3);
    expect(first.rows[0].cells[0]).toBe("a");
    expect(second.columnDefinitions).toBeNull();
    expect(second.rows[0].cells[0]).toBe("b");
    expect(second.metadata).toEqual({ resourceVersion: "6" });
    const bookmark = JSON.parse(enc({ kind: "ConfigMap", apiVersion: "v1", metadata: { resourceVersion: "7" } }));
    expect(bookmark.rows).toEqual([]);
    expect(watchObjectEncoder(configmaps, { kind: "object" }, q())).toBeNull();
  });

  test("write responses are converted when asked; Status answers pass through", async () => {
    const res = new Response(JSON.stringify(cm("a", "5")), {
      status: 201,
      headers: { "Content-Type": "application/json" },
    });
    const t = (await (await respondAs(configmaps, { kind: "Table", version: "v1" }, q(), res)).json()) as Record<
      string,
      any
    >;
    expect(t.kind).toBe("Table");
    const st = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 200 };
    const res2 = new Response(JSON.stringify(st), { status: 200, headers: { "Content-Type": "application/json" } });
    expect(await (await respondAs(configmaps, { kind: "Table", version: "v1" }, q(), res2)).json()).toEqual(st);
  });
});
