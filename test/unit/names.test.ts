import { describe, expect, test } from "bun:test";
import {
  isConfigMapKey,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  isValidPathSegmentName,
  isValidPathSegmentPrefix,
} from "../../src/machinery/validation/names.ts";

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const NAME_PART_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

describe("isDNS1123Subdomain", () => {
  test("accepts subdomains", () => {
    for (const v of ["a", "example.com", "a-b.c-d", "0", "x".repeat(253)]) expect(isDNS1123Subdomain(v)).toEqual([]);
  });
  test("rejects with kube's message", () => {
    expect(isDNS1123Subdomain("Bad_Name")).toEqual([SUBDOMAIN_MSG]);
    for (const v of ["", "-a", "a-", "a..b", ".a", "A"]) expect(isDNS1123Subdomain(v)).toEqual([SUBDOMAIN_MSG]);
  });
  test("length is checked in bytes and reported before the format", () => {
    expect(isDNS1123Subdomain("x".repeat(254))).toEqual(["must be no more than 253 characters"]);
    expect(isDNS1123Subdomain("é".repeat(127))).toEqual(["must be no more than 253 characters", SUBDOMAIN_MSG]);
  });
});

describe("isDNS1123Label", () => {
  test("accepts labels up to 63", () => {
    expect(isDNS1123Label("default")).toEqual([]);
    expect(isDNS1123Label("a".repeat(63))).toEqual([]);
  });
  test("dots get their own message", () => {
    expect(isDNS1123Label("a.b")).toEqual(["must not contain dots"]);
  });
  test("other failures get the regex message", () => {
    expect(isDNS1123Label("Foo")).toEqual([LABEL_MSG]);
    expect(isDNS1123Label("a".repeat(64))).toEqual(["must be no more than 63 characters"]);
  });
});

describe("isValidPathSegmentName", () => {
  test("dot names and separators", () => {
    expect(isValidPathSegmentName(".")).toEqual(["may not be '.'"]);
    expect(isValidPathSegmentName("..")).toEqual(["may not be '..'"]);
    expect(isValidPathSegmentName("a/b%c")).toEqual(["may not contain '/'", "may not contain '%'"]);
    expect(isValidPathSegmentName("Any_Thing.x:y")).toEqual([]);
    expect(isValidPathSegmentPrefix("..")).toEqual([]);
  });
});

describe("isQualifiedName", () => {
  test("accepts keys with and without prefix", () => {
    for (const v of ["app", "App.Name_1", "example.com/app", "kubernetes.io/metadata.name", "a".repeat(63)])
      expect(isQualifiedName(v)).toEqual([]);
  });
  test("name part errors", () => {
    expect(isQualifiedName("x y")).toEqual([NAME_PART_MSG]);
    expect(isQualifiedName("a".repeat(64))).toEqual(["name part must be no more than 63 characters"]);
    expect(isQualifiedName("example.com/")).toEqual(["name part must be non-empty", NAME_PART_MSG]);
  });
  test("prefix part errors", () => {
    expect(isQualifiedName("/a")).toEqual(["prefix part must be non-empty"]);
    expect(isQualifiedName("Example.com/a")).toEqual([`prefix part ${SUBDOMAIN_MSG}`]);
    // A prefix that only its length makes wrong, at the limit and one past it.
    const prefix = `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(61)}`;
    expect(isQualifiedName(`${prefix}/a`)).toEqual([]);
    expect(isQualifiedName(`${prefix}d/a`)).toEqual(["prefix part must be no more than 253 characters"]);
    expect(isQualifiedName(`${prefix}/${"n".repeat(64)}`)).toEqual(["name part must be no more than 63 characters"]);
  });
  test("more than one slash", () => {
    expect(isQualifiedName("a/b/c")).toEqual([
      "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ]);
  });
});

describe("isValidLabelValue", () => {
  test("empty is valid, bad characters are not", () => {
    expect(isValidLabelValue("")).toEqual([]);
    expect(isValidLabelValue("v1.2_3-x")).toEqual([]);
    expect(isValidLabelValue("x y")).toEqual([
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
    ]);
    expect(isValidLabelValue("a".repeat(64))).toEqual(["must be no more than 63 characters"]);
  });
});

describe("isConfigMapKey", () => {
  test("valid keys", () => {
    for (const v of ["key.name", "KEY_NAME", "key-name", ".hidden", "a..b"]) expect(isConfigMapKey(v)).toEqual([]);
  });
  test("dots and bad characters", () => {
    expect(isConfigMapKey(".")).toEqual(["must not be '.'"]);
    expect(isConfigMapKey("..")).toEqual(["must not be '..'"]);
    expect(isConfigMapKey("..x")).toEqual(["must not start with '..'"]);
    expect(isConfigMapKey("a/b")).toEqual([
      "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    ]);
    expect(isConfigMapKey("")).toHaveLength(1);
    expect(isConfigMapKey("k".repeat(254))).toEqual(["must be no more than 253 characters"]);
  });
});
