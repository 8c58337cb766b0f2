import { describe, expect, test } from "bun:test";
import { negotiate, offer, parseAccept } from "../../src/server/negotiation.ts";

const V2 = offer("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
const V2BETA1 = offer("application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList");
const TABLE_V1 = offer("application/json;as=Table;g=meta.k8s.io;v=v1");
const TABLE_V1BETA1 = offer("application/json;as=Table;g=meta.k8s.io;v=v1beta1");
const JSON_ = offer("application/json");
const YAML = offer("application/yaml");
const PROTOBUF = offer("application/vnd.kubernetes.protobuf");

const discovery = [V2, V2BETA1, JSON_, YAML];
const resource = [TABLE_V1, TABLE_V1BETA1, JSON_, YAML];

// The Accept headers the wire-protocol notes recorded from real clients.
const KUBECTL_DISCOVERY =
  "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
const KUBECTL_OLD_DISCOVERY =
  "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
const KUBECTL_TABLE =
  "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
const KUBECTL_PROTOBUF = "application/vnd.kubernetes.protobuf,application/json";

describe("parseAccept", () => {
  test("entries with params and q, ordered by q then specificity", () => {
    const entries = parseAccept(
      "*/*;q=0.8, application/json;as=Table;v=v1;g=meta.k8s.io, text/*;q=0.8, application/yaml",
    );
    expect(entries).toEqual([
      { type: "application", subtype: "json", params: { as: "Table", v: "v1", g: "meta.k8s.io" }, q: 1 },
      { type: "application", subtype: "yaml", params: {}, q: 1 },
      { type: "text", subtype: "*", params: {}, q: 0.8 },
      { type: "*", subtype: "*", params: {}, q: 0.8 },
    ]);
  });
  test("malformed ranges are dropped; bare * is */*", () => {
    expect(parseAccept("garbage, *, a/b/c").map((e) => `${e.type}/${e.subtype}`)).toEqual(["*/*"]);
    expect(parseAccept("application/json;q=abc")[0]?.q).toBe(0);
  });
});

describe("negotiate", () => {
  test("kubectl ≥1.30 discovery gets aggregated v2", () => {
    expect(negotiate(KUBECTL_DISCOVERY, discovery)).toBe(V2);
  });
  test("kubectl 1.27-1.29 discovery gets v2beta1", () => {
    expect(negotiate(KUBECTL_OLD_DISCOVERY, discovery)).toBe(V2BETA1);
  });
  test("discovery falls back to plain JSON when aggregation is not offered", () => {
    expect(negotiate(KUBECTL_DISCOVERY, [JSON_])).toBe(JSON_);
  });
  test("legacy discovery clients", () => {
    expect(negotiate("application/json, */*", discovery)).toBe(JSON_);
    expect(negotiate("*/*", discovery)).toBe(JSON_);
  });
  test("kubectl get asks for a Table", () => {
    expect(negotiate(KUBECTL_TABLE, resource)).toBe(TABLE_V1);
    expect(negotiate("application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json", resource)).toBe(
      TABLE_V1BETA1,
    );
    expect(negotiate(KUBECTL_TABLE, [JSON_, YAML])).toBe(JSON_);
  });
  test("a conversion nobody offers is not acceptable", () => {
    expect(negotiate("application/json;as=Table;v=v1;g=meta.k8s.io", [JSON_, YAML])).toBeNull();
    expect(negotiate("application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io", resource)).toBeNull();
  });
  test("protobuf only when offered", () => {
    expect(negotiate(KUBECTL_PROTOBUF, resource)).toBe(JSON_);
    expect(negotiate(KUBECTL_PROTOBUF, [...resource, PROTOBUF])).toBe(PROTOBUF);
    expect(negotiate("application/vnd.kubernetes.protobuf", resource)).toBeNull();
  });
  test("client-node, python and a missing header get JSON", () => {
    expect(negotiate("application/json, */*;q=0.8", resource)).toBe(JSON_);
    expect(negotiate("application/json", resource)).toBe(JSON_);
    expect(negotiate(null, resource)).toBe(JSON_);
    expect(negotiate("", [YAML, JSON_])).toBe(JSON_);
    expect(negotiate(undefined, [TABLE_V1, YAML])).toBe(YAML);
  });
  test("wildcards pick the first plain offer in offer order", () => {
    expect(negotiate("application/*", [YAML, JSON_])).toBe(YAML);
    expect(negotiate("text/*", resource)).toBeNull();
  });
  test("YAML", () => {
    expect(negotiate("application/yaml", resource)).toBe(YAML);
    expect(negotiate("application/yaml;q=0.5, application/json", resource)).toBe(JSON_);
  });
  test("q=0 refuses a type", () => {
    expect(negotiate("application/json;q=0", resource)).toBeNull();
    expect(negotiate("application/json;q=0, */*", [JSON_, YAML])).toBe(JSON_);
    expect(negotiate("application/json;q=0, application/yaml", [JSON_, YAML])).toBe(YAML);
  });
  test("type and subtype are case-insensitive", () => {
    expect(negotiate("Application/JSON", resource)).toBe(JSON_);
  });
  test("offers may carry extra fields", () => {
    const offers = [
      { ...JSON_, id: "json" as const },
      { ...YAML, id: "yaml" as const },
    ];
    expect(negotiate("application/yaml", offers)?.id).toBe("yaml");
  });
});
