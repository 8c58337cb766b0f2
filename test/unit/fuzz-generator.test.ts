// The fuzzer's generator (test/fuzz/): a case is a pure function of seed and number, and its
// protobuf bodies are valid before they are damaged (the server's own decoder reads them back).

import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { decodeProtobufObject } from "../../src/apis/protobuf/decode-object.ts";
import { protobufMessageFor } from "../../src/apis/protobuf/messages/index.ts";
import { fixtureFor } from "../fuzz/fixtures.ts";
import { protobufBody } from "../fuzz/protobuf-encode.ts";
import { Rng } from "../fuzz/random.ts";
import { type CaseContext, generateCase } from "../fuzz/requests.ts";

// Generating a case takes a few milliseconds (bodies of 20,000 keys, nesting 10,000 deep).
setDefaultTimeout(30_000);

const ctx: CaseContext = {
  resources: [
    {
      group: "",
      version: "v1",
      resource: "configmaps",
      kind: "ConfigMap",
      namespaced: true,
      verbs: ["create", "get", "list", "patch"],
    },
    {
      group: "fuzz.example.com",
      version: "v1",
      resource: "widgets",
      subresource: "scale",
      kind: "Scale",
      namespaced: true,
      verbs: ["get", "patch", "update"],
    },
  ],
  cluster: "fuzz-w0",
  victim: "fuzz-victim",
  tokens: { admin: "admin-token", serviceAccount: "sa-token" },
};

describe("generateCase", () => {
  test("the same seed and case number give the same request; another seed another one", () => {
    const a = Array.from({ length: 100 }, (_, i) => generateCase(42, i, ctx));
    const b = Array.from({ length: 100 }, (_, i) => generateCase(42, i, ctx));
    expect(b).toEqual(a);
    const c = Array.from({ length: 100 }, (_, i) => generateCase(43, i, ctx));
    expect(c.filter((r, i) => r.target === a[i]?.target).length).toBeLessThan(50);
  });

  test("cases use every method, content type and patch type, and only name the worker's cluster or the view", () => {
    const cases = Array.from({ length: 1000 }, (_, i) => generateCase(7, i, ctx));
    const methods = new Set(cases.map((r) => r.method));
    for (const m of ["GET", "POST", "PUT", "PATCH", "DELETE"]) expect(methods).toContain(m);
    const types = new Set(cases.flatMap((r) => r.headers.filter(([k]) => k === "Content-Type").map(([, v]) => v)));
    for (const t of [
      "application/json",
      "application/yaml",
      "application/vnd.kubernetes.protobuf",
      "application/json-patch+json",
      "application/merge-patch+json",
      "application/strategic-merge-patch+json",
      "application/apply-patch+yaml",
    ])
      expect(types).toContain(t);
    expect(cases.some((r) => r.raw)).toBe(true);
    expect(cases.some((r) => r.watch)).toBe(true);
    for (const r of cases) {
      const m = /^(?:https:\/\/127\.0\.0\.1)?\/clusters\/([^/]+)\//.exec(r.target);
      if (m && !r.notes.some((n) => n.startsWith("path "))) expect(["fuzz-w0", "*", "%2A"]).toContain(m[1] as string);
    }
  });
});

test("Rng: integers in range, and a seed of its own", () => {
  const rng = new Rng(1, 2);
  for (let i = 0; i < 1000; i++) {
    const n = rng.range(3, 5);
    expect(n >= 3 && n <= 5).toBe(true);
  }
  expect(new Rng(1, 2).u32()).toBe(new Rng(1, 2).u32());
  expect(new Rng(1, 2).u32()).not.toBe(new Rng(2, 1).u32());
});

test("protobuf bodies built from fixtures decode back to the fixture", () => {
  for (const [group, resource, version, kind] of [
    ["", "configmaps", "v1", "ConfigMap"],
    ["", "secrets", "v1", "Secret"],
    ["coordination.k8s.io", "leases", "v1", "Lease"],
    ["rbac.authorization.k8s.io", "roles", "v1", "Role"],
  ] as const) {
    const obj = fixtureFor(group, resource, version, kind, "a", "default");
    const desc = protobufMessageFor(obj.apiVersion as string, kind);
    if (!desc) throw new Error(`no message for ${kind}`);
    const decoded = decodeProtobufObject(protobufBody(desc, obj), { group, version, kind });
    expect({ kind, metadata: decoded.metadata }).toMatchObject({ kind, metadata: obj.metadata as object });
    for (const k of Object.keys(obj)) if (k !== "metadata") expect(decoded[k]).toEqual(obj[k]);
  }
});
