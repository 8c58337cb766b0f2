// A service account token (a pull-mode syncer's kcp credential) works in the logical cluster of its
// service account only: on another logical cluster's path, or across all of them (/clusters/*),
// the request is refused with 401, as if the token were unknown.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { generateKeyPairSync } from "node:crypto";
import { ServiceAccountTokenAuthenticator, storageLookup } from "../../src/auth/service-account-authenticator.ts";
import { ServiceAccountJWT } from "../../src/auth/service-account-jwt.ts";
import { UnionAuthenticator } from "../../src/auth/union-authenticator.ts";
import { createApp } from "../../src/server/app.ts";
import { DEFAULT_PREFIX } from "../../src/storage/keys.ts";
import { type InMemoryApp, inMemoryApp, TEST_TOKEN } from "../helpers/in-memory-app.ts";

let mem: InMemoryApp;
let app: ReturnType<typeof createApp>;
let token = "";

async function call(path: string, bearer: string, method = "GET", body?: unknown): Promise<Response> {
  return app.request(path, {
    method,
    headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
}

beforeAll(async () => {
  const pem = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({
    type: "pkcs8",
    format: "pem",
  }) as string;
  const jwt = new ServiceAccountJWT(pem);
  mem = await inMemoryApp({ serviceAccountTokens: jwt });
  // As `kcp start` authenticates: the static tokens, then service account tokens.
  const authenticator = new UnionAuthenticator(
    mem.deps.authenticator,
    new ServiceAccountTokenAuthenticator(jwt, storageLookup(mem.storage, DEFAULT_PREFIX)),
  );
  app = createApp({ ...mem.deps, authenticator });
  const sa = { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "kcp-syncer-east" } };
  expect(
    (await call("/clusters/team-a/api/v1/namespaces/default/serviceaccounts", TEST_TOKEN, "POST", sa)).status,
  ).toBe(201);
  const res = await call(
    "/clusters/team-a/api/v1/namespaces/default/serviceaccounts/kcp-syncer-east/token",
    TEST_TOKEN,
    "POST",
    { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: {} },
  );
  expect(res.status).toBe(201);
  token = ((await res.json()) as { status: { token: string } }).status.token;
  // team-b exists too (its own namespaces), so a refusal is not a 404 of a missing cluster.
  expect((await call("/clusters/team-b/api/v1/namespaces/default/configmaps", TEST_TOKEN)).status).toBe(200);
});
afterAll(async () => {
  await mem?.close();
});

test("the token works in its own logical cluster", async () => {
  expect((await call("/clusters/team-a/api/v1/namespaces/default/configmaps", token)).status).toBe(200);
  expect((await call("/clusters/team-a/api", token)).status).toBe(200);
});

test("the token is refused (401) in another logical cluster and across all of them", async () => {
  for (const path of [
    "/clusters/team-b/api/v1/namespaces/default/configmaps",
    "/clusters/team-b/api",
    "/api/v1/namespaces/default/configmaps",
    "/clusters/*/api/v1/configmaps",
  ]) {
    const res = await call(path, token);
    expect({ path, status: res.status }).toEqual({ path, status: 401 });
    expect(await res.json()).toMatchObject({ kind: "Status", reason: "Unauthorized", code: 401 });
  }
});

test("other credentials are not narrowed", async () => {
  expect((await call("/clusters/*/api/v1/configmaps", TEST_TOKEN)).status).toBe(200);
});
