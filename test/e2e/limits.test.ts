// Bounded work per request: documents nested past kube's depth, YAML aliases that expand past the
// decoded limit, objects over the stored size limit, and patches that would grow without bound are
// refused with a 4xx Status, and nothing is stored.
import { describe, expect, test } from "bun:test";
import { api, type KcpProcess, useKcp } from "../helpers/kcp-process.ts";

let kcp: KcpProcess;

// A smaller stored object limit than the default, so the test bodies stay small.
const MAX_OBJECT = 512 * 1024;
useKcp((k) => (kcp = k), { args: ["--max-object-size", "512Ki"] });

type Obj = Record<string, any>;
const CM = "/api/v1/namespaces/default/configmaps";

async function expectStatus(res: Response, code: number, reason: string): Promise<Obj> {
  const body = (await res.json()) as Obj;
  expect({ http: res.status, code: body.code, reason: body.reason, kind: body.kind }).toEqual({
    http: code,
    code,
    reason,
    kind: "Status",
  });
  return body;
}

async function expectAbsent(name: string): Promise<void> {
  expect((await api(kcp, `${CM}/${name}`)).status).toBe(404);
}

const post = (body: string, type = "application/json") =>
  api(kcp, CM, { method: "POST", body, headers: { "Content-Type": type } });

describe("depth", () => {
  test("a body nested 100,000 deep is kube's 400, and the server still answers", async () => {
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    const res = await post(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep"},"x":${deep}}`);
    const body = await expectStatus(res, 400, "BadRequest");
    expect(body.message).toContain("exceeded max depth");
    await expectAbsent("deep");
    expect((await api(kcp, "/readyz")).status).toBe(200);
  });

  test("a merge patch nested past the limit is 400 and changes nothing", async () => {
    expect((await post('{"metadata":{"name":"patched"},"data":{"a":"1"}}')).status).toBe(201);
    const deep = `${'{"a":'.repeat(20_000)}1${"}".repeat(20_000)}`;
    const res = await api(kcp, `${CM}/patched`, {
      method: "PATCH",
      body: `{"data":{"a":"2"},"x":${deep}}`,
      headers: { "Content-Type": "application/merge-patch+json" },
    });
    await expectStatus(res, 400, "BadRequest");
    const cm = (await (await api(kcp, `${CM}/patched`)).json()) as Obj;
    expect(cm.data).toEqual({ a: "1" });
  });
});

describe("YAML aliases", () => {
  test("a 100 KB body whose aliases expand to 10 MB is 413 and not stored", async () => {
    const lines = ["apiVersion: v1", "kind: ConfigMap", "metadata: {name: laughs}", "data:"];
    lines.push(`  a: &a "${"x".repeat(100_000)}"`);
    for (let i = 0; i < 99; i++) lines.push(`  b${i}: *a`);
    const res = await post(lines.join("\n"), "application/yaml");
    const body = await expectStatus(res, 413, "RequestEntityTooLarge");
    expect(body.message).toContain("decoded document exceeds");
    await expectAbsent("laughs");
  });
});

describe("stored object size (--max-object-size)", () => {
  const cm = (name: string, bytes: number) =>
    JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data: { a: "x".repeat(bytes) } });

  test("an object over the limit is 413 and not stored; one under it is stored", async () => {
    const body = await expectStatus(await post(cm("big", MAX_OBJECT + 1000)), 413, "RequestEntityTooLarge");
    expect(body.message).toContain(`over the limit of ${MAX_OBJECT} bytes`);
    await expectAbsent("big");
    expect((await post(cm("fits", MAX_OBJECT - 1000))).status).toBe(201);
  });

  test("an update or patch that grows an object past the limit is 413 and leaves it as it was", async () => {
    expect((await post(cm("grows", 100))).status).toBe(201);
    const put = await api(kcp, `${CM}/grows`, {
      method: "PUT",
      body: cm("grows", MAX_OBJECT + 1),
      headers: { "Content-Type": "application/json" },
    });
    await expectStatus(put, 413, "RequestEntityTooLarge");
    const patch = await api(kcp, `${CM}/grows`, {
      method: "PATCH",
      body: JSON.stringify({ data: { b: "y".repeat(MAX_OBJECT) } }),
      headers: { "Content-Type": "application/merge-patch+json" },
    });
    await expectStatus(patch, 413, "RequestEntityTooLarge");
    const got = (await (await api(kcp, `${CM}/grows`)).json()) as Obj;
    expect(Object.keys(got.data)).toEqual(["a"]);
    expect(got.data.a).toHaveLength(100);
  });
});

describe("JSON Patch", () => {
  test("copying an array into itself 30 times is 422 at once, and the object is unchanged", async () => {
    const finalizers = Array.from({ length: 1000 }, (_, i) => `example.com/f${i}`);
    const created = await post(JSON.stringify({ metadata: { name: "doubling", finalizers }, data: { a: "1" } }));
    expect(created.status).toBe(201);
    const ops = Array.from({ length: 30 }, () => ({
      op: "copy",
      from: "/metadata/finalizers",
      path: "/metadata/finalizers/-",
    }));
    const res = await api(kcp, `${CM}/doubling`, {
      method: "PATCH",
      body: JSON.stringify(ops),
      headers: { "Content-Type": "application/json-patch+json" },
    });
    const body = await expectStatus(res, 422, "Invalid");
    expect(body.details.causes[0].message).toContain("the accumulated size increase of copy is");
    expect((await api(kcp, "/readyz")).status).toBe(200);
    const got = (await (await api(kcp, `${CM}/doubling`)).json()) as Obj;
    expect(got.metadata.finalizers).toEqual(finalizers);
  });
});

describe("JSON Patch copies follow --max-object-size (512Ki here)", () => {
  // 2,500 small keys make the object large enough to be patched in the offload worker.
  const many = Object.fromEntries(Array.from({ length: 2500 }, (_, i) => [`k${i}`, "v"]));
  const copyPatch = (name: string, ops: unknown[]) =>
    api(kcp, `${CM}/${name}`, {
      method: "PATCH",
      body: JSON.stringify(ops),
      headers: { "Content-Type": "application/json-patch+json" },
    });

  test("copies adding up to just over the object size are 422 naming that limit; a copy under it is applied", async () => {
    const half = "h".repeat(MAX_OBJECT / 2);
    expect((await post(JSON.stringify({ metadata: { name: "copy-over" }, data: { ...many, half } }))).status).toBe(201);
    // Two copies of half the limit (each with its quotes): two bytes over. Before, the copy limit
    // stayed 1.5 MiB and the result was refused only when stored, as 413.
    const over = await copyPatch("copy-over", [
      { op: "copy", from: "/data/half", path: "/data/b" },
      { op: "remove", path: "/data/b" },
      { op: "copy", from: "/data/half", path: "/data/c" },
      { op: "remove", path: "/data/c" },
    ]);
    const body = await expectStatus(over, 422, "Invalid");
    expect(body.details.causes[0].message).toContain(`exceeding the limit ${MAX_OBJECT}`);
    const big = "b".repeat(MAX_OBJECT - 64 * 1024);
    expect((await post(JSON.stringify({ metadata: { name: "copy-under" }, data: { ...many, big } }))).status).toBe(201);
    const under = await copyPatch("copy-under", [
      { op: "copy", from: "/data/big", path: "/data/moved" },
      { op: "remove", path: "/data/big" },
    ]);
    expect(under.status).toBe(200);
    const got = (await under.json()) as Obj;
    expect(got.data.moved).toBe(big);
    expect(got.data.big).toBeUndefined();
  });
});

describe("strategic merge patch", () => {
  const smp = (name: string, body: unknown) =>
    api(kcp, `${CM}/${name}`, {
      method: "PATCH",
      body: JSON.stringify(body),
      headers: { "Content-Type": "application/strategic-merge-patch+json" },
    });
  const finalizers = (n: number) => Array.from({ length: n }, (_, i) => `example.com/f${i}`);

  test("adding 100,001 finalizers is 422 and changes nothing; 5,000 are merged", async () => {
    expect((await post('{"metadata":{"name":"fin"},"data":{"a":"1"}}')).status).toBe(201);
    const body = await expectStatus(
      await smp("fin", { metadata: { finalizers: finalizers(100_001) } }),
      422,
      "Invalid",
    );
    expect(body.details.causes[0].message).toContain("a merged list may hold at most 100000 items");
    expect((await api(kcp, "/readyz")).status).toBe(200);
    const res = await smp("fin", { metadata: { finalizers: finalizers(5_000) } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as Obj).metadata.finalizers).toHaveLength(5_000);
  });
});

describe("server-side apply", () => {
  const apply = (name: string, body: string) =>
    api(kcp, `${CM}/${name}?fieldManager=limits-test`, {
      method: "PATCH",
      body,
      headers: { "Content-Type": "application/apply-patch+yaml" },
    });

  test("a 500-deep apply configuration is 422, a 1,500-deep one 400, at once, and nothing is created", async () => {
    const deep = (n: number) => `${'{"a":'.repeat(n)}1${"}".repeat(n)}`;
    const config = (n: number) =>
      `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"ssa-deep"},"x":${deep(n)}}`;
    const body = await expectStatus(await apply("ssa-deep", config(500)), 422, "Invalid");
    expect(body.message).toContain("nested deeper than 100 levels");
    // An apply body is YAML: past the yaml flow depth it is not even parsed.
    const yaml = await expectStatus(await apply("ssa-deep", config(1500)), 400, "BadRequest");
    expect(yaml.message).toBe("error decoding YAML: yaml: exceeded max depth of 1000");
    await expectAbsent("ssa-deep");
    expect((await api(kcp, "/readyz")).status).toBe(200);
  });

  test("an apply configuration of 60,000 keys is 422; one of 100 keys is applied", async () => {
    const data = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, "v"]));
    const cm = (n: number) =>
      JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "ssa-wide" }, data: data(n) });
    const body = await expectStatus(await apply("ssa-wide", cm(60_000)), 422, "Invalid");
    expect(body.message).toContain("has more than 50000 fields");
    await expectAbsent("ssa-wide");
    expect((await apply("ssa-wide", cm(100))).status).toBe(201);
  });
});

describe("custom resources nested deep", () => {
  test("a custom resource 5,000 deep is created and updated (untracked), and the server keeps answering", async () => {
    const crd = {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: "blobs.example.com" },
      spec: {
        group: "example.com",
        scope: "Namespaced",
        names: { plural: "blobs", singular: "blob", kind: "Blob", listKind: "BlobList" },
        versions: [
          {
            name: "v1",
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: "object",
                properties: { spec: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
              },
            },
          },
        ],
      },
    };
    const created = await api(kcp, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", {
      method: "POST",
      body: JSON.stringify(crd),
      headers: { "Content-Type": "application/json" },
    });
    expect(created.status).toBe(201);
    const blobs = "/apis/example.com/v1/namespaces/default/blobs";
    const deadline = Date.now() + 10_000;
    while ((await api(kcp, blobs)).status !== 200 && Date.now() < deadline) await Bun.sleep(100);
    const deep = (n: number) => `${'{"a":'.repeat(n)}1${"}".repeat(n)}`;
    const body = (n: number) =>
      `{"apiVersion":"example.com/v1","kind":"Blob","metadata":{"name":"deep"},"spec":${deep(n)}}`;
    const res = await api(kcp, blobs, {
      method: "POST",
      body: body(5000),
      headers: { "Content-Type": "application/json" },
    });
    expect(res.status).toBe(201);
    const patched = await api(kcp, `${blobs}/deep`, {
      method: "PATCH",
      body: `{"spec":${deep(5001)}}`,
      headers: { "Content-Type": "application/merge-patch+json" },
    });
    expect(patched.status).toBe(200);
    const got = (await patched.json()) as Obj;
    expect(got.metadata.managedFields).toBeUndefined();
    expect((await api(kcp, "/readyz")).status).toBe(200);
  });
});
