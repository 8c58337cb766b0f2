import { describe, expect, test } from "bun:test";
import {
  everything,
  labelSelectorFromObject,
  nothing,
  parseLabelSelector,
} from "../../src/machinery/selectors/label-selector.ts";
import { StatusError } from "../../src/machinery/status.ts";

function errorOf(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (e) {
    if (e instanceof StatusError) return e;
    throw e;
  }
  throw new Error("expected a StatusError");
}

describe("parseLabelSelector: grammar", () => {
  test("empty selects everything", () => {
    for (const s of ["", "   "]) {
      const sel = parseLabelSelector(s);
      expect(sel.empty).toBe(true);
      expect(sel.matches(undefined)).toBe(true);
    }
  });

  test("equality forms", () => {
    for (const s of ["app=web", "app==web", " app = web "]) {
      const sel = parseLabelSelector(s);
      expect(sel.empty).toBe(false);
      expect(sel.matches({ app: "web" })).toBe(true);
      expect(sel.matches({ app: "db" })).toBe(false);
      expect(sel.matches({})).toBe(false);
    }
    const ne = parseLabelSelector("app!=web");
    expect(ne.matches({ app: "db" })).toBe(true);
    expect(ne.matches({})).toBe(true);
    expect(ne.matches({ app: "web" })).toBe(false);
  });

  test("set forms", () => {
    const inSel = parseLabelSelector("env in (prod, staging)");
    expect(inSel.matches({ env: "prod" })).toBe(true);
    expect(inSel.matches({ env: "dev" })).toBe(false);
    expect(inSel.matches({})).toBe(false);
    const notin = parseLabelSelector("env notin (prod,staging)");
    expect(notin.matches({ env: "dev" })).toBe(true);
    expect(notin.matches({})).toBe(true);
    expect(notin.matches({ env: "prod" })).toBe(false);
  });

  test("existence forms", () => {
    const has = parseLabelSelector("app");
    expect(has.matches({ app: "" })).toBe(true);
    expect(has.matches({})).toBe(false);
    const not = parseLabelSelector("!app");
    expect(not.matches({})).toBe(true);
    expect(not.matches({ app: "x" })).toBe(false);
  });

  test("conjunction of all forms, sorted by key", () => {
    const sel = parseLabelSelector("x in (foo,,baz),y,z notin (),!w,a=b");
    expect(sel.requirements.map((r) => r.key)).toEqual(["a", "w", "x", "y", "z"]);
    expect(sel.requirements.find((r) => r.key === "x")?.values).toEqual(["", "baz", "foo"]);
    expect(sel.toString()).toBe("a=b,!w,x in (,baz,foo),y,z notin ()");
    expect(sel.matches({ a: "b", x: "", y: "1", z: "q" })).toBe(true);
    expect(sel.matches({ a: "b", x: "foo", y: "1", z: "" })).toBe(false);
    expect(sel.matches({ a: "b", x: "foo", y: "1", w: "1" })).toBe(false);
  });

  test("keywords are values where a value is expected; empty exact values", () => {
    expect(parseLabelSelector("x in (in,notin)").matches({ x: "notin" })).toBe(true);
    expect(parseLabelSelector("in").matches({ in: "1" })).toBe(true);
    expect(parseLabelSelector("a=").matches({ a: "" })).toBe(true);
    expect(parseLabelSelector("a=,b=c").matches({ a: "", b: "c" })).toBe(true);
  });

  test("gt and lt compare integers", () => {
    const sel = parseLabelSelector("n>5,m<3");
    expect(sel.matches({ n: "6", m: "2" })).toBe(true);
    expect(sel.matches({ n: "5", m: "2" })).toBe(false);
    expect(sel.matches({ n: "x", m: "2" })).toBe(false);
    expect(sel.matches({ m: "2" })).toBe(false);
  });

  test("prefixed keys", () => {
    expect(parseLabelSelector("app.kubernetes.io/name=web").matches({ "app.kubernetes.io/name": "web" })).toBe(true);
  });
});

describe("parseLabelSelector: kube's errors", () => {
  const cases: [string, string][] = [
    ["a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
    ["a=b c", "found 'c', expected: ',' or 'end of string'"],
    ["a=b,", "found '', expected: identifier after ','"],
    ["=a", "found '=', expected: !, identifier, or 'end of string'"],
    ["a in b", "unable to parse requirement: found 'b' expected: '('"],
    ["a in (b", "unable to parse requirement: found '', expected: ',' or ')'"],
    ["a in (b c)", "unable to parse requirement: found 'c', expected: ',' or ')'"],
    ["a=>b", "unable to parse requirement: found '>', expected: identifier"],
    ["!a=b", "found '=', expected: ',' or 'end of string'"],
    ["a (b)", "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt"],
    [
      "n>x",
      "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer",
    ],
  ];
  for (const [input, message] of cases) {
    test(JSON.stringify(input), () => {
      const e = errorOf(() => parseLabelSelector(input));
      expect(e.code).toBe(400);
      expect(e.reason).toBe("BadRequest");
      expect(e.message).toBe(message);
    });
  }

  test("invalid keys and values", () => {
    expect(errorOf(() => parseLabelSelector("-a=b")).message).toStartWith(
      'unable to parse requirement: <nil>: Invalid value: "-a": name part must consist of alphanumeric characters',
    );
    expect(errorOf(() => parseLabelSelector("a=b_")).message).toStartWith(
      'unable to parse requirement: values[0][a]: Invalid value: "b_": a valid label must be an empty string or consist of',
    );
    expect(errorOf(() => parseLabelSelector("a in (ok,-x)")).message).toStartWith(
      'unable to parse requirement: values[0][a]: Invalid value: "-x"',
    );
  });
});

describe("labelSelectorFromObject", () => {
  test("nil selects nothing, empty selects everything", () => {
    expect(labelSelectorFromObject(undefined).matches({ a: "b" })).toBe(false);
    expect(labelSelectorFromObject(null).empty).toBe(false);
    expect(labelSelectorFromObject({}).empty).toBe(true);
    expect(labelSelectorFromObject({}).matches({})).toBe(true);
    expect(nothing().matches({})).toBe(false);
    expect(everything().matches({ a: "b" })).toBe(true);
  });

  test("matchLabels and matchExpressions", () => {
    const sel = labelSelectorFromObject({
      matchLabels: { app: "web" },
      matchExpressions: [
        { key: "tier", operator: "In", values: ["b", "a"] },
        { key: "legacy", operator: "DoesNotExist" },
        { key: "env", operator: "Exists" },
      ],
    });
    expect(sel.toString()).toBe("app=web,env,!legacy,tier in (a,b)");
    expect(sel.matches({ app: "web", tier: "a", env: "x" })).toBe(true);
    expect(sel.matches({ app: "web", tier: "a", env: "x", legacy: "1" })).toBe(false);
    expect(sel.matches({ app: "web", tier: "c", env: "x" })).toBe(false);
  });

  test("bad operators and empty value sets", () => {
    expect(errorOf(() => labelSelectorFromObject({ matchExpressions: [{ key: "a", operator: "Gt" }] })).message).toBe(
      '"Gt" is not a valid label selector operator',
    );
    expect(
      errorOf(() => labelSelectorFromObject({ matchExpressions: [{ key: "a", operator: "In", values: [] }] })).message,
    ).toBe("values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty");
    expect(
      errorOf(() => labelSelectorFromObject({ matchExpressions: [{ key: "a", operator: "Exists", values: ["x"] }] }))
        .message,
    ).toBe('values: Invalid value: []string{"x"}: values set must be empty for exists and does not exist');
    expect(errorOf(() => labelSelectorFromObject({ matchLabels: { "a b": "c" } })).message).toStartWith(
      'key: Invalid value: "a b": name part',
    );
  });
});
