// metadata.ownerReferences are checked by the object-meta validation every kind shares: a create or
// an update with a bad reference is answered 422 Invalid with one cause per rule broken, as
// kube-apiserver answers it, and nothing is stored.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { type InMemoryApp, inMemoryApp, TEST_TOKEN } from "../helpers/in-memory-app.ts";

const headers = { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json" };
let a: InMemoryApp;

beforeAll(async () => {
  a = await inMemoryApp();
});
afterAll(async () => {
  await a.close();
});

interface Status {
  kind: string;
  code: number;
  reason: string;
  message: string;
  details?: { name?: string; kind?: string; causes?: { reason: string; field: string; message: string }[] };
}

const configMaps = "/api/v1/namespaces/default/configmaps";
const ref = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  name,
  uid: `uid-${name}`,
  ...extra,
});

async function send(method: string, path: string, body: unknown): Promise<Response> {
  return a.app.request(path, { method, headers, body: JSON.stringify(body) });
}

test("a create with empty owner reference fields is 422 with a cause per field", async () => {
  const res = await send("POST", configMaps, {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "bad", ownerReferences: [{ apiVersion: "apps/", kind: "", name: "", uid: "" }] },
  });
  expect(res.status).toBe(422);
  const status = (await res.json()) as Status;
  expect(status.reason).toBe("Invalid");
  expect(status.details?.kind).toBe("ConfigMap");
  expect(status.details?.name).toBe("bad");
  expect(status.details?.causes).toEqual([
    {
      reason: "FieldValueInvalid",
      field: "metadata.ownerReferences.apiVersion",
      message: 'Invalid value: "apps/": version must not be empty',
    },
    {
      reason: "FieldValueInvalid",
      field: "metadata.ownerReferences.kind",
      message: 'Invalid value: "": must not be empty',
    },
    {
      reason: "FieldValueInvalid",
      field: "metadata.ownerReferences.name",
      message: 'Invalid value: "": must not be empty',
    },
    {
      reason: "FieldValueInvalid",
      field: "metadata.ownerReferences.uid",
      message: 'Invalid value: "": must not be empty',
    },
  ]);
  expect(status.message).toStartWith(
    'ConfigMap "bad" is invalid: [metadata.ownerReferences.apiVersion: Invalid value: "apps/": version must not be empty, ',
  );
  expect((await a.app.request(`${configMaps}/bad`, { headers })).status).toBe(404);
});

test("an update that makes a second reference the controller is 422; the stored object is unchanged", async () => {
  const created = await send("POST", configMaps, {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "owned", ownerReferences: [ref("a", { controller: true }), ref("b")] },
  });
  expect(created.status).toBe(201);
  const obj = (await created.json()) as { metadata: { ownerReferences: Record<string, unknown>[] } };
  obj.metadata.ownerReferences = [ref("a", { controller: true }), ref("b", { controller: true })];
  const res = await send("PUT", `${configMaps}/owned`, obj);
  expect(res.status).toBe(422);
  const status = (await res.json()) as Status;
  expect(status.details?.causes?.map((c) => [c.field, c.message.replace(/^.*\}\}: /, "")])).toEqual([
    [
      "metadata.ownerReferences",
      'Only one reference can have Controller set to true. Found "true" in references for ConfigMap/a and ConfigMap/b',
    ],
  ]);
  const stored = (await (await a.app.request(`${configMaps}/owned`, { headers })).json()) as typeof obj;
  expect(stored.metadata.ownerReferences.map((r) => r.controller ?? false)).toEqual([true, false]);
});

test("a patch naming a core/v1 Event as owner is 422", async () => {
  const res = await a.app.request(`${configMaps}/owned`, {
    method: "PATCH",
    headers: { ...headers, "content-type": "application/merge-patch+json" },
    body: JSON.stringify({
      metadata: { ownerReferences: [{ apiVersion: "v1", kind: "Event", name: "e", uid: "uid-e" }] },
    }),
  });
  expect(res.status).toBe(422);
  const status = (await res.json()) as Status;
  expect(status.details?.causes).toEqual([
    {
      reason: "FieldValueInvalid",
      field: "metadata.ownerReferences",
      message:
        'Invalid value: v1.OwnerReference{APIVersion:"v1", Kind:"Event", Name:"e", UID:"uid-e", Controller:(*bool)(nil), BlockOwnerDeletion:(*bool)(nil)}: /v1, Kind=Event is disallowed from being an owner',
    },
  ]);
});
