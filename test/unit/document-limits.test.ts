// Bounds on decoded documents: JSON nesting depth (kube's 10,000) and the decoded size of YAML,
// whose aliases expand a small body into a large value.
import { expect, test } from "bun:test";
import {
  checkJsonDepth,
  decodedValueExcess,
  jsonDepthExcess,
  MAX_DECODED_BYTES,
  MAX_JSON_DEPTH,
  MAX_YAML_FLOW_DEPTH,
  yamlFlowDepthExceeds,
} from "../../src/machinery/document-limits.ts";
import { StatusError } from "../../src/machinery/status.ts";
import { parseDocument } from "../../src/server/rest/body.ts";
import { parseApplyConfiguration } from "../../src/server/rest/apply-patch.ts";

function statusOf(f: () => unknown): StatusError {
  try {
    f();
  } catch (e) {
    if (e instanceof StatusError) return e;
    throw e;
  }
  throw new Error("no error");
}

const nested = (n: number, open = "[", close = "]") => `${open.repeat(n)}${close.repeat(n)}`;

test("JSON nested to the limit parses; one more is kube's 400", () => {
  expect(jsonDepthExcess(nested(MAX_JSON_DEPTH))).toBe(-1);
  expect(() => parseDocument(nested(MAX_JSON_DEPTH), "application/json")).not.toThrow();
  const err = statusOf(() => parseDocument(nested(MAX_JSON_DEPTH + 1), "application/json"));
  expect(err.code).toBe(400);
  expect(err.message).toBe("couldn't get version/kind; json parse error: invalid character '[' exceeded max depth");
});

test("JSON nested 100,000 deep is a 400, not a stack overflow", () => {
  const text = `{"a":${'{"a":'.repeat(100_000)}1${"}".repeat(100_001)}`;
  expect(statusOf(() => parseDocument(text, "application/json")).code).toBe(400);
});

test("brackets inside strings (and escaped quotes) do not count", () => {
  const text = JSON.stringify({ s: `\\"${"[".repeat(20)}` });
  expect(jsonDepthExcess(text, 1)).toBe(-1);
  expect(jsonDepthExcess('{"a":[1]}', 1)).toBe(5);
  expect(() => checkJsonDepth('{"a":{"b":1}}', 2)).not.toThrow();
});

test("a decoded value is measured as its JSON text, aliases counted each time they appear", () => {
  const leaf = { k: "v".repeat(100) };
  expect(decodedValueExcess([leaf, leaf], 1000)).toBeNull();
  const shared = Array.from({ length: 10 }, () => leaf);
  expect(decodedValueExcess(shared, 1000)).toBe("size");
  expect(decodedValueExcess(JSON.parse(nested(50)), 1e6, 49)).toBe("depth");
  expect(decodedValueExcess(JSON.parse(nested(50)), 1e6, 50)).toBeNull();
});

/** A YAML body within maxAliasCount whose aliases expand it about 100-fold (as the 0.95 MiB → 61 MB). */
function aliasBomb(): string {
  const lines = [`a: &a "${"x".repeat(100_000)}"`];
  for (let i = 0; i < 99; i++) lines.push(`b${i}: *a`);
  return lines.join("\n");
}

test("YAML whose aliases expand past the decoded limit is 413, for bodies and apply configurations", () => {
  const text = aliasBomb();
  expect(text.length).toBeLessThan(110_000);
  for (const f of [() => parseDocument(text, "application/yaml"), () => parseApplyConfiguration(text)]) {
    const err = statusOf(f);
    expect(err.code).toBe(413);
    expect(err.reason).toBe("RequestEntityTooLarge");
    expect(err.message).toContain(String(MAX_DECODED_BYTES));
  }
});

test("YAML flow nesting past 1,000 levels is a 400 before the yaml package recurses into it", () => {
  const flow = (n: number) => `a: ${"[".repeat(n)}${"]".repeat(n)}`;
  expect(() => parseDocument(flow(MAX_YAML_FLOW_DEPTH), "application/yaml")).not.toThrow();
  for (const n of [MAX_YAML_FLOW_DEPTH + 1, 200_000]) {
    const err = statusOf(() => parseDocument(flow(n), "application/yaml"));
    expect({ code: err.code, message: err.message }).toEqual({
      code: 400,
      message: `error converting YAML to JSON: yaml: exceeded max depth of ${MAX_YAML_FLOW_DEPTH}`,
    });
  }
  expect(statusOf(() => parseApplyConfiguration(`x: ${"{a: ".repeat(5000)}`)).message).toBe(
    `error decoding YAML: yaml: exceeded max depth of ${MAX_YAML_FLOW_DEPTH}`,
  );
  // Balanced brackets in strings do not add up.
  expect(yamlFlowDepthExceeds(`a: "${"[]".repeat(5000)}"`)).toBe(false);
});

test("YAML with a few aliases is decoded as before", () => {
  const doc = parseDocument("a: &x {b: 1}\nc: *x\n", "application/yaml");
  expect(doc).toEqual({ a: { b: 1 }, c: { b: 1 } });
});
