// serviceaccounts/<name>/token is answered by the subresource's own create handler, built around
// the token issuer the composition root gives; without an issuer it has no handler (405).
import { expect, test } from "bun:test";
import { generateKeyPairSync } from "node:crypto";
import { builtinResources } from "../../src/apis/builtin/index.ts";
import type { KObject, ResourceDef, SubresourceCreate } from "../../src/apis/types.ts";
import { ServiceAccountJWT } from "../../src/auth/service-account-jwt.ts";
import { adminUser } from "../../src/auth/token-authenticator.ts";
import { errors, StatusError } from "../../src/machinery/status.ts";
import { requestContext } from "../../src/server/rest/request-context.ts";

const pem = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({
  type: "pkcs8",
  format: "pem",
}) as string;

function tokenOf(defs: ResourceDef[]) {
  const sa = defs.find((d) => d.group === "" && d.plural === "serviceaccounts");
  return { sa: sa as ResourceDef, sub: sa?.subresources.find((s) => s.name === "token") };
}

test("without an issuer the token subresource is declared but has no create handler", () => {
  const { sub } = tokenOf(builtinResources({} as never));
  expect(sub).toMatchObject({
    name: "token",
    kind: "TokenRequest",
    group: "authentication.k8s.io",
    version: "v1",
    verbs: ["create"],
  });
  expect(sub?.create).toBeUndefined();
});

test("with an issuer it signs a token for the service account it reads", async () => {
  const tokens = new ServiceAccountJWT(pem);
  const { sa, sub } = tokenOf(builtinResources({ serviceAccountTokens: tokens } as never));
  const reads: string[] = [];
  const stored: KObject = {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name: "robot", namespace: "team", uid: "uid-1" },
  };
  const request = (name: string): SubresourceCreate => ({
    def: sa,
    name,
    namespace: "team",
    body: { spec: { audiences: ["x"], expirationSeconds: 3600 } },
    ctx: requestContext("c1", adminUser(), new URLSearchParams(), "team"),
    get: async (d, ns, n) => {
      reads.push(`${d.plural}/${ns}/${n}`);
      if (n !== "robot") throw errors.notFound({ group: "", resource: d.plural }, n);
      return stored;
    },
    lookup: () => undefined,
  });
  const out = (await sub?.create?.(request("robot"))) as KObject;
  expect(out).toMatchObject({
    kind: "TokenRequest",
    apiVersion: "authentication.k8s.io/v1",
    metadata: { name: "robot", namespace: "team" },
    spec: { audiences: ["x"], expirationSeconds: 3600 },
  });
  const token = (out.status as { token: string }).token;
  expect(tokens.verify(token)).toMatchObject({
    cluster: "c1",
    namespace: "team",
    name: "robot",
    uid: "uid-1",
    audiences: ["x"],
  });
  expect(reads).toEqual(["serviceaccounts/team/robot"]);
  const missing = await Promise.resolve(sub?.create?.(request("ghost"))).catch((e) => e);
  expect(missing).toBeInstanceOf(StatusError);
  expect((missing as StatusError).code).toBe(404);
});
