import { describe, expect, test } from "bun:test";
import {
  checkSupported,
  escapeValue,
  parseFieldSelector,
  unescapeValue,
} from "../../src/machinery/selectors/field-selector.ts";
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

const fields = (m: Record<string, string>) => (f: string) => m[f];

describe("parseFieldSelector", () => {
  test("empty selects everything", () => {
    const sel = parseFieldSelector("");
    expect(sel.requirements).toEqual([]);
    expect(sel.matches(() => undefined)).toBe(true);
  });

  test("operators =, == and !=", () => {
    expect(parseFieldSelector("metadata.name=a").requirements).toEqual([
      { field: "metadata.name", op: "=", value: "a" },
    ]);
    expect(parseFieldSelector("metadata.name==a").requirements).toEqual([
      { field: "metadata.name", op: "=", value: "a" },
    ]);
    expect(parseFieldSelector("metadata.name!=a").requirements).toEqual([
      { field: "metadata.name", op: "!=", value: "a" },
    ]);
  });

  test("the terms kubectl describe sends", () => {
    const sel = parseFieldSelector(
      "involvedObject.kind=ConfigMap,involvedObject.uid=u1,involvedObject.name=demo,involvedObject.namespace=default",
    );
    expect(sel.requirements.map((r) => r.field)).toEqual([
      "involvedObject.kind",
      "involvedObject.name",
      "involvedObject.namespace",
      "involvedObject.uid",
    ]);
    const ev = {
      "involvedObject.kind": "ConfigMap",
      "involvedObject.uid": "u1",
      "involvedObject.name": "demo",
      "involvedObject.namespace": "default",
    };
    expect(sel.matches(fields(ev))).toBe(true);
    expect(sel.matches(fields({ ...ev, "involvedObject.uid": "u2" }))).toBe(false);
  });

  test("absent fields compare as empty", () => {
    expect(parseFieldSelector("spec.x=").matches(() => undefined)).toBe(true);
    expect(parseFieldSelector("spec.x!=").matches(() => undefined)).toBe(false);
    expect(
      parseFieldSelector("metadata.namespace!=default").matches(fields({ "metadata.namespace": "kube-system" })),
    ).toBe(true);
  });

  test("escapes in values", () => {
    const sel = parseFieldSelector("a=x\\,y\\=z\\\\,b=2");
    expect(sel.requirements).toEqual([
      { field: "a", op: "=", value: "x,y=z\\" },
      { field: "b", op: "=", value: "2" },
    ]);
    expect(escapeValue("x,y=z\\")).toBe("x\\,y\\=z\\\\");
    expect(unescapeValue(escapeValue("a\\b,c=d"))).toBe("a\\b,c=d");
  });

  test("kube's errors", () => {
    const e = errorOf(() => parseFieldSelector("metadata.name"));
    expect(e.code).toBe(400);
    expect(e.message).toBe("invalid selector: 'metadata.name'; can't understand 'metadata.name'");
    expect(errorOf(() => parseFieldSelector("a=b=c")).message).toBe(
      "invalid field selector: unescaped character in value: 61",
    );
    expect(errorOf(() => parseFieldSelector("a=b\\q")).message).toBe(
      "invalid field selector: invalid escape sequence: \\q",
    );
    expect(errorOf(() => parseFieldSelector("a=b\\")).message).toBe(
      "invalid field selector: invalid escape sequence: \\",
    );
  });
});

describe("checkSupported", () => {
  const supported = new Set(["metadata.name", "metadata.namespace", "type"]);
  test("supported fields pass", () => {
    expect(() => checkSupported(parseFieldSelector("type=Opaque,metadata.name=a"), supported, "secrets")).not.toThrow();
  });
  test("unsupported fields are a 400", () => {
    const e = errorOf(() => checkSupported(parseFieldSelector("spec.foo=bar"), supported, "secrets"));
    expect(e.code).toBe(400);
    expect(e.reason).toBe("BadRequest");
    expect(e.message).toBe("field label not supported: spec.foo");
    expect(
      errorOf(() => checkSupported(parseFieldSelector("foo.bar=baz"), supported, "configmaps", "default")).message,
    ).toBe('"foo.bar" is not a known field selector: only "metadata.name", "metadata.namespace"');
  });
});
