// Path handling (issue 16, item 3): one spelling per object. Through the app (test/helpers/in-memory-app.ts):
// malformed escapes, escaped slashes, empty and dot segments are 400 Status; names are decoded once;
// DELETE on the all-namespaces path is 405; the view across clusters keeps to the namespace in its
// path. parseRequestInfo and rawPathProblem are also asked directly about raw paths that a Request
// (which resolves `..` as Bun.serve does) cannot carry; test/e2e/request-paths.test.ts sends them raw.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { queryBool } from "../../src/machinery/parse-bool.ts";
import { isStatusError } from "../../src/machinery/status.ts";
import { rawPathProblem } from "../../src/server/raw-path-routes.ts";
import { parseRequestInfo } from "../../src/server/request-info.ts";
import { type InMemoryApp, inMemoryApp, TEST_TOKEN } from "../helpers/in-memory-app.ts";

const AUTH = { authorization: `Bearer ${TEST_TOKEN}` };
const JSON_HEADERS = { ...AUTH, "content-type": "application/json" };

let a: InMemoryApp;

async function req(path: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, any> }> {
  const res = await a.app.request(path, { ...init, headers: { ...JSON_HEADERS, ...(init.headers ?? {}) } });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

function configMap(name: string, data: Record<string, string> = {}) {
  return JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data });
}

async function expectStatus(path: string, code: number, reason: string, init: RequestInit = {}) {
  const { status, body } = await req(path, init);
  expect({ status, kind: body.kind, code: body.code, reason: body.reason }).toEqual({
    status: code,
    kind: "Status",
    code,
    reason,
  });
  return body;
}

beforeAll(async () => {
  a = await inMemoryApp();
  for (const cluster of ["ca", "cb"]) {
    for (const ns of ["one", "two"]) {
      const p = `/clusters/${cluster}/api/v1/namespaces`;
      expect((await req(p, { method: "POST", body: JSON.stringify({ metadata: { name: ns } }) })).status).toBe(201);
      const cm = await req(`${p}/${ns}/configmaps`, { method: "POST", body: configMap(`cm-${ns}`) });
      expect(cm.status).toBe(201);
    }
  }
});

afterAll(async () => {
  await a.close();
});

describe("parseRequestInfo on raw paths", () => {
  const parse = (path: string, method = "GET") => parseRequestInfo(method, path, new URLSearchParams(), queryBool);
  const refusal = (path: string) => {
    try {
      parse(path);
    } catch (e) {
      if (isStatusError(e)) return { code: e.code, reason: e.reason };
      throw e;
    }
    return undefined;
  };

  test.each([
    "/clusters/cb/../ca/api/v1/namespaces/one/configmaps",
    "/clusters/cb/%2e%2e/ca/api/v1/namespaces/one/configmaps",
    "/clusters/cb/%2E%2E/ca/api/v1/namespaces/one/configmaps",
    "/api/v1/namespaces/one/./configmaps",
    "/api/v1/namespaces/one/%2e/configmaps",
    "/api/v1/namespaces/one/configmaps/..",
    "/api/v1/namespaces/one/configmaps/a%2Fb",
    "/api/v1/namespaces/one/configmaps/a%2fb",
    "/api/v1/namespaces%2Fone/configmaps",
    "/api/v1//namespaces/one/configmaps",
    "/clusters/ca//api/v1/configmaps",
    "/api/v1/namespaces/one/configmaps/%E0%A4%A",
    "/api/v1/namespaces/one/configmaps/%zz",
    "/clusters/%E0%A4%A/api/v1/configmaps",
    "/clusters/c%61/api/v1/configmaps",
  ])("%s is 400 BadRequest", (path) => {
    expect(refusal(path)).toEqual({ code: 400, reason: "BadRequest" });
  });

  test("names and namespaces are decoded exactly once", () => {
    const info = parse("/api/v1/namespaces/one/configmaps/cm%2Ewith%2Edots");
    expect(info).toMatchObject({ kind: "resource", namespace: "one", name: "cm.with.dots" });
    // `%252E` is `%2E` after one decoding: a name with a percent sign, not a dot.
    expect(parse("/api/v1/namespaces/one/configmaps/cm%252E")).toMatchObject({ name: "cm%2E" });
    expect(parse("/api/v1/n%61mespaces/one/configmaps")).toMatchObject({ namespace: "one", resource: "configmaps" });
  });

  test("the wildcard cluster may be spelled %2A, as client-go escapes it", () => {
    expect(parse("/clusters/%2A/api/v1/configmaps")).toMatchObject({ cluster: "*", wildcard: true });
    expect(parse("/clusters/%2a/api/v1/configmaps")).toMatchObject({ cluster: "*", wildcard: true });
  });

  test("a trailing slash is let through", () => {
    expect(parse("/api/v1/namespaces/one/configmaps/")).toMatchObject({ verb: "list", resource: "configmaps" });
    expect(parse("/clusters/ca/api/")).toMatchObject({ kind: "nonresource", path: "/api/" });
  });
});

describe("rawPathProblem (the raw target Bun.serve's routes see against the resolved URL)", () => {
  test("dot segments, backslashes and resolved-away segments are problems", () => {
    expect(rawPathProblem(["clusters", "cb", "..", "ca", "api"], "/clusters/ca/api")).toContain('".."');
    expect(rawPathProblem(["a", ".", "b"], "/a/b")).toContain('"."');
    expect(rawPathProblem(["a\\..\\b"], "/b")).toContain("\\");
    // A `..` deeper than the routes' parameters still changes the segments they saw.
    expect(rawPathProblem(["clusters", "cb", "x"], "/clusters/ca/api")).toBeDefined();
  });

  test("a path spelled as it resolves is none, escapes included", () => {
    expect(rawPathProblem(["api", "v1", "cm.with.dots"], "/api/v1/cm%2Ewith%2Edots")).toBeUndefined();
    expect(rawPathProblem(["clusters", "ca", "api"], "/clusters/ca/api/v1/configmaps")).toBeUndefined();
    expect(rawPathProblem(["a", "%E0%A4%A"], "/a/%E0%A4%A")).toBeUndefined();
  });
});

describe("through the app", () => {
  test("a malformed escape is 400, even without a token", async () => {
    const res = await a.app.request("/clusters/%E0%A4%A/api/v1/configmaps");
    expect(res.status).toBe(400);
    expect(((await res.json()) as Record<string, unknown>).reason).toBe("BadRequest");
    await expectStatus("/api/v1/namespaces/one/configmaps/%E0%A4%A", 400, "BadRequest");
  });

  test("an escaped slash, an empty segment or an escaped cluster name is 400", async () => {
    await expectStatus("/clusters/ca/api/v1/namespaces/one/configmaps/cm%2Fone", 400, "BadRequest");
    await expectStatus("/clusters/ca/api/v1/namespaces/one%2Fconfigmaps/cm-one", 400, "BadRequest");
    await expectStatus("/clusters/ca/api/v1/namespaces/one//configmaps/cm-one", 400, "BadRequest");
    await expectStatus("/clusters/c%61/api/v1/namespaces/one/configmaps/cm-one", 400, "BadRequest");
  });

  test("a name is decoded once: cm%2Ewith%2Edots is cm.with.dots", async () => {
    const p = "/clusters/ca/api/v1/namespaces/one/configmaps";
    expect((await req(p, { method: "POST", body: configMap("cm.with.dots") })).status).toBe(201);
    const got = await req(`${p}/cm%2Ewith%2Edots`);
    expect({ status: got.status, name: got.body.metadata?.name }).toEqual({ status: 200, name: "cm.with.dots" });
    await expectStatus(`${p}/cm%252Ewith%252Edots`, 404, "NotFound");
  });

  test("DELETE on the all-namespaces path is 405 MethodNotAllowed and deletes nothing", async () => {
    const body = await expectStatus("/clusters/ca/api/v1/configmaps", 405, "MethodNotAllowed", { method: "DELETE" });
    expect(body.message).toBe("the server does not allow this method on the requested resource");
    const left = await req("/clusters/ca/api/v1/configmaps");
    expect(left.body.items.map((i: any) => i.metadata.name).sort()).toContain("cm-one");
    // In a namespace it is deletecollection as before.
    expect((await req("/clusters/cb/api/v1/namespaces/two/configmaps", { method: "DELETE" })).status).toBe(200);
    expect((await req("/clusters/cb/api/v1/namespaces/two/configmaps")).body.items).toEqual([]);
    expect((await req("/clusters/cb/api/v1/namespaces/one/configmaps")).body.items.length).toBe(1);
  });

  test("the view across clusters keeps to the namespace in its path", async () => {
    const names = async (path: string) => {
      const r = await req(path);
      expect(r.status).toBe(200);
      // Only the objects beforeAll made (another test adds cm.with.dots).
      return r.body.items
        .filter((i: any) => i.metadata.name.startsWith("cm-"))
        .map((i: any) => `${i.metadata.namespace}/${i.metadata.name}`)
        .sort();
    };
    expect(await names("/clusters/*/api/v1/namespaces/one/configmaps")).toEqual(["one/cm-one", "one/cm-one"]);
    expect(await names("/clusters/*/api/v1/namespaces/no-such-ns/configmaps")).toEqual([]);
    expect(
      await names("/clusters/*/api/v1/namespaces/one/configmaps?limit=1&fieldSelector=metadata.name=cm-one"),
    ).toEqual(["one/cm-one"]);
    const all = await names("/clusters/*/api/v1/configmaps");
    expect(all).toContain("two/cm-two");
    // A watch (its initial ADDED events, then it times out) keeps to the namespace too.
    const res = await a.app.request("/clusters/*/api/v1/namespaces/two/configmaps?watch=1&timeoutSeconds=1", {
      headers: JSON_HEADERS,
    });
    expect(res.status).toBe(200);
    const events = (await res.text())
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => JSON.parse(l));
    const watched = events
      .filter((e) => e.type === "ADDED")
      .map((e) => `${e.object.metadata.namespace}/${e.object.metadata.name}`);
    expect(watched).toEqual(["two/cm-two"]);
  });
});
