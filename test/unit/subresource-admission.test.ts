// A create through a subresource that answers it itself (serviceaccounts/<name>/token) goes through
// the admission chain like any create: plugins see it with its subresource, the parent's name and
// the TokenRequest, may refuse it, and NamespaceLifecycle refuses it in a terminating namespace.
import { afterEach, expect, test } from "bun:test";
import { generateKeyPairSync } from "node:crypto";
import type { AdmissionAttributes, AdmissionPlugin } from "../../src/apis/admission.ts";
import { ServiceAccountJWT } from "../../src/auth/service-account-jwt.ts";
import { errors } from "../../src/machinery/status.ts";
import { type InMemoryApp, inMemoryApp, TEST_TOKEN } from "../helpers/in-memory-app.ts";

const pem = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({
  type: "pkcs8",
  format: "pem",
}) as string;
const headers = { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json" };
let current: InMemoryApp | undefined;

afterEach(async () => {
  await current?.close();
  current = undefined;
});

async function appWith(admission: AdmissionPlugin[]): Promise<InMemoryApp> {
  current = await inMemoryApp({ serviceAccountTokens: new ServiceAccountJWT(pem), admission });
  return current;
}

async function post(a: InMemoryApp, path: string, body: unknown): Promise<Response> {
  return a.app.request(path, { method: "POST", headers, body: JSON.stringify(body) });
}

const tokenRequest = { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { audiences: ["x"] } };

test("admission sees the token create with its subresource, the service account's name and the TokenRequest", async () => {
  const seen: AdmissionAttributes[] = [];
  const recorder: AdmissionPlugin = {
    name: "Recorder",
    handles: (op) => op === "CREATE",
    admit: (a) => {
      seen.push(a);
    },
  };
  const a = await appWith([recorder]);
  expect((await post(a, "/api/v1/namespaces/default/serviceaccounts", { metadata: { name: "robot" } })).status).toBe(
    201,
  );
  const res = await post(a, "/api/v1/namespaces/default/serviceaccounts/robot/token", tokenRequest);
  expect(res.status).toBe(201);
  expect(((await res.json()) as { status?: { token?: string } }).status?.token).toBeString();
  const token = seen.find((s) => s.subresource === "token");
  expect(token).toBeDefined();
  expect(token?.operation).toBe("CREATE");
  expect(token?.def.plural).toBe("serviceaccounts");
  expect(token?.name).toBe("robot");
  expect(token?.namespace).toBe("default");
  expect(token?.object?.kind).toBe("TokenRequest");
});

test("a validating plugin's refusal stops the token create", async () => {
  const refuse: AdmissionPlugin = {
    name: "NoTokens",
    handles: (op) => op === "CREATE",
    validate: (a) => {
      if (a.subresource === "token")
        throw errors.forbidden("no tokens today", { group: "", resource: "serviceaccounts" }, a.name);
    },
  };
  const a = await appWith([refuse]);
  expect((await post(a, "/api/v1/namespaces/default/serviceaccounts", { metadata: { name: "robot" } })).status).toBe(
    201,
  );
  const res = await post(a, "/api/v1/namespaces/default/serviceaccounts/robot/token", tokenRequest);
  expect(res.status).toBe(403);
  expect(((await res.json()) as { message: string }).message).toBe("no tokens today");
});

test("NamespaceLifecycle refuses a token in a terminating namespace, as kube does", async () => {
  const a = await appWith([]);
  expect((await post(a, "/api/v1/namespaces", { metadata: { name: "going" } })).status).toBe(201);
  expect((await post(a, "/api/v1/namespaces/going/serviceaccounts", { metadata: { name: "robot" } })).status).toBe(201);
  // No namespace controller runs here: the namespace stays Terminating (its finalizer is never removed).
  const del = await a.app.request("/api/v1/namespaces/going", { method: "DELETE", headers });
  expect(del.status).toBe(200);
  const res = await post(a, "/api/v1/namespaces/going/serviceaccounts/robot/token", tokenRequest);
  expect(res.status).toBe(403);
  const status = (await res.json()) as { reason: string; message: string };
  expect(status.reason).toBe("Forbidden");
  expect(status.message).toBe(
    'serviceaccounts "robot" is forbidden: unable to create new content in namespace going because it is being terminated',
  );
});
