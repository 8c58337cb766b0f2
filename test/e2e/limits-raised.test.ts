// A raised --max-object-size (2Mi here, over etcd's default 1.5 MiB) raises what follows it
// (src/machinery/request-limits.ts): a JSON Patch's copies may add up to the object size, a body
// may be twice the object size (4 MiB, over kube's 3 MiB), a decoded YAML document twice that.
import { describe, expect, test } from "bun:test";
import { api, type KcpProcess, useKcp } from "../helpers/kcp-process.ts";

let kcp: KcpProcess;
const MAX_OBJECT = 2 * 1024 * 1024;

type Obj = Record<string, any>;
// A custom resource: ConfigMaps and Secrets hold at most 1 MiB of data whatever the object limit.
const BLOBS = "/apis/example.com/v1/namespaces/default/blobs";
const blob = (name: string, spec: Obj) => ({ apiVersion: "example.com/v1", kind: "Blob", metadata: { name }, spec });

async function installBlobs(k: KcpProcess): Promise<void> {
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
  const created = await api(k, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", {
    method: "POST",
    body: JSON.stringify(crd),
    headers: { "Content-Type": "application/json" },
  });
  expect(created.status).toBe(201);
  const deadline = Date.now() + 10_000;
  while ((await api(k, BLOBS)).status !== 200 && Date.now() < deadline) await Bun.sleep(100);
}

useKcp((k) => (kcp = k), { args: ["--max-object-size", "2Mi"], setup: installBlobs });

const post = (body: string, type = "application/json") =>
  api(kcp, BLOBS, { method: "POST", body, headers: { "Content-Type": type } });
const jsonPatch = (name: string, ops: unknown[]) =>
  api(kcp, `${BLOBS}/${name}`, {
    method: "PATCH",
    body: JSON.stringify(ops),
    headers: { "Content-Type": "application/json-patch+json" },
  });

describe("JSON Patch copies", () => {
  test("a copy of 1.9 MiB (over the default's 1.5 MiB) is applied; copies just over 2 MiB are 422", async () => {
    const big = "b".repeat(MAX_OBJECT - 100 * 1024);
    expect((await post(JSON.stringify(blob("raised", { big })))).status).toBe(201);
    const moved = await jsonPatch("raised", [
      { op: "copy", from: "/spec/big", path: "/spec/moved" },
      { op: "remove", path: "/spec/big" },
    ]);
    expect(moved.status).toBe(200);
    expect(((await moved.json()) as Obj).spec.moved).toBe(big);

    const half = "h".repeat(MAX_OBJECT / 2);
    expect((await post(JSON.stringify(blob("halves", { half })))).status).toBe(201);
    const over = await jsonPatch("halves", [
      { op: "copy", from: "/spec/half", path: "/spec/b" },
      { op: "remove", path: "/spec/b" },
      { op: "copy", from: "/spec/half", path: "/spec/c" },
      { op: "remove", path: "/spec/c" },
    ]);
    const body = (await over.json()) as Obj;
    expect({ code: over.status, reason: body.reason }).toEqual({ code: 422, reason: "Invalid" });
    expect(body.details.causes[0].message).toContain(`exceeding the limit ${MAX_OBJECT}`);
  });
});

describe("request body", () => {
  test("a body over 4 MiB is 413; a 3.5 MiB body holding an object within 2 MiB is stored", async () => {
    const object = JSON.stringify(blob("padded", { a: "p".repeat(1.8 * 1024 * 1024) }));
    // The 413 first: a 201 to a body near 3 MiB followed by a 413 on the same kept-alive connection
    // makes the server's shutdown wait its full grace (seen with the default limits too).
    const res = await post(`${" ".repeat(4 * 1024 * 1024)}${object}`);
    const body = (await res.json()) as Obj;
    expect({ code: res.status, reason: body.reason }).toEqual({ code: 413, reason: "RequestEntityTooLarge" });
    expect(body.message).toContain(`limit is ${4 * 1024 * 1024}`);
    // Whitespace is JSON too: the body is 3.5 MiB, the object stored from it 1.8 MiB.
    expect((await post(`${" ".repeat(1.7 * 1024 * 1024)}${object}`)).status).toBe(201);
  });

  test("YAML aliases expanding to 7 MiB pass the decoded limit (8 MiB) and meet the object limit", async () => {
    const lines = ["apiVersion: example.com/v1", "kind: Blob", "metadata: {name: expands}", "spec:"];
    lines.push(`  a: &a "${"x".repeat(72 * 1024)}"`);
    for (let i = 0; i < 99; i++) lines.push(`  b${i}: *a`);
    const res = await post(lines.join("\n"), "application/yaml");
    const body = (await res.json()) as Obj;
    expect({ code: res.status, reason: body.reason }).toEqual({ code: 413, reason: "RequestEntityTooLarge" });
    expect(body.message).toContain(`over the limit of ${MAX_OBJECT} bytes`);
  });
});
