import { describe, expect, test } from "bun:test";
import { findResults, formatGoFloat, JsonPathError, parseJsonPath, printResult } from "../../src/machinery/jsonpath.ts";

const obj = {
  metadata: { name: "w1", labels: { "app.kubernetes.io/name": "demo", tier: "web" }, annotations: { "a.b/c": "x" } },
  spec: {
    replicas: 3,
    size: 1.5,
    enabled: true,
    ports: [
      { name: "http", port: 80 },
      { name: "https", port: 443 },
    ],
    nested: { deep: { value: "d" } },
  },
  status: {
    conditions: [
      { type: "Ready", status: "True", reason: "Up" },
      { type: "Synced", status: "False" },
    ],
  },
};

const eval1 = (p: string) => findResults(parseJsonPath(p), obj);

describe("JSONPath", () => {
  test("fields, nested fields, with and without braces", () => {
    expect(eval1(".spec.replicas")).toEqual([3]);
    expect(eval1("{.spec.replicas}")).toEqual([3]);
    expect(eval1(".spec.nested.deep.value")).toEqual(["d"]);
    expect(eval1("$.metadata.name")).toEqual(["w1"]);
  });

  test("missing keys yield nothing", () => {
    expect(eval1(".spec.missing")).toEqual([]);
    expect(eval1(".nope.deeper")).toEqual([]);
    expect(eval1(".spec.ports[5].name")).toEqual([]);
  });

  test("array indexes, negative indexes, slices, wildcard and unions", () => {
    expect(eval1(".spec.ports[0].port")).toEqual([80]);
    expect(eval1(".spec.ports[-1].name")).toEqual(["https"]);
    expect(eval1(".spec.ports[0:1].name")).toEqual(["http"]);
    expect(eval1(".spec.ports[*].port")).toEqual([80, 443]);
    expect(eval1(".spec.ports[0,1].name")).toEqual(["http", "https"]);
    expect(eval1(".spec.ports.*.name")).toEqual(["http", "https"]);
  });

  test("bracketed keys with dots, and escaped dots", () => {
    expect(eval1(".metadata.labels['app.kubernetes.io/name']")).toEqual(["demo"]);
    expect(eval1('.metadata.labels["tier"]')).toEqual(["web"]);
    expect(eval1(".metadata.annotations.a\\.b/c")).toEqual(["x"]);
  });

  test("filters compare a relative path with a literal or test its existence", () => {
    expect(eval1('.status.conditions[?(@.type=="Ready")].status')).toEqual(["True"]);
    expect(eval1(".status.conditions[?(@.type=='Synced')].status")).toEqual(["False"]);
    expect(eval1('.status.conditions[?(@.type!="Ready")].type')).toEqual(["Synced"]);
    expect(eval1(".status.conditions[?(@.reason)].type")).toEqual(["Ready"]);
    expect(eval1(".spec.ports[?(@.port > 100)].name")).toEqual(["https"]);
    expect(eval1(".spec.ports[?(@.port<=80)].name")).toEqual(["http"]);
    expect(eval1('.status.conditions[?(@.type=="Nope")].status')).toEqual([]);
  });

  test("recursive descent", () => {
    expect(eval1("..port")).toEqual([80, 443]);
    expect(eval1(".spec..value")).toEqual(["d"]);
  });

  test("malformed paths are errors", () => {
    expect(() => parseJsonPath(".spec.ports[0")).toThrow(JsonPathError);
    expect(() => parseJsonPath('.status.conditions[?(@.type=="x"]')).toThrow(JsonPathError);
  });
});

describe("printing results as kubectl does", () => {
  test("strings raw, numbers as Go prints them, structures as JSON with sorted keys", () => {
    expect(printResult("x")).toBe("x");
    expect(printResult(3)).toBe("3");
    expect(printResult(true)).toBe("true");
    expect(printResult({ b: 1, a: [1, "<"] })).toBe('{"a":[1,"\\u003c"],"b":1}');
  });

  test("floats switch to an exponent outside [1e-4, 1e6)", () => {
    expect(formatGoFloat(1.5)).toBe("1.5");
    expect(formatGoFloat(123456.5)).toBe("123456.5");
    expect(formatGoFloat(1234567.5)).toBe("1.2345675e+06");
    expect(formatGoFloat(0.00001)).toBe("1e-05");
    expect(formatGoFloat(1e21)).toBe("1e+21");
  });
});
