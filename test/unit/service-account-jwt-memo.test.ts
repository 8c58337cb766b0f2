// ServiceAccountJWT remembers tokens whose signature it checked (an ES256 check per request was a
// quarter of a small create): only the signature is remembered, never the verdict on time.
import { expect, test } from "bun:test";
import { generateKeyPairSync } from "node:crypto";
import { ServiceAccountJWT } from "../../src/auth/service-account-jwt.ts";

const pem = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({
  type: "pkcs8",
  format: "pem",
}) as string;

test("a remembered token still expires, and a token with another signature is still checked", () => {
  let clock = 1_800_000_000_000;
  const jwt = new ServiceAccountJWT(pem, undefined, () => clock);
  const now = jwt.nowSeconds();
  const claims = { cluster: "a", namespace: "n", name: "s", uid: "u", audiences: ["x"], id: "i" };
  const token = jwt.sign({ ...claims, issuedAt: now, expiresAt: now + 600 });
  expect(jwt.verify(token)?.name).toBe("s");
  expect(jwt.verify(token)?.name).toBe("s");
  const [h, p, s] = token.split(".") as [string, string, string];
  const other = Buffer.from(s, "base64url");
  other[10] = (other[10] as number) ^ 1;
  expect(jwt.verify(`${h}.${p}.${other.toString("base64url")}`)).toBeNull();
  // Another payload under the remembered signature is another token: checked, and refused.
  const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, "base64url").toString()), sub: "x" }));
  expect(jwt.verify(`${h}.${forged.toString("base64url")}.${s}`)).toBeNull();
  clock += 3600_000;
  expect(jwt.verify(token)).toBeNull();
});

test("at most 1,024 tokens are remembered, and all keep verifying", () => {
  const jwt = new ServiceAccountJWT(pem);
  const now = jwt.nowSeconds();
  const tokens = Array.from({ length: 1100 }, (_, i) =>
    jwt.sign({
      cluster: "a",
      namespace: "n",
      name: `s${i}`,
      uid: "u",
      audiences: ["x"],
      id: "i",
      issuedAt: now,
      expiresAt: now + 600,
    }),
  );
  for (const t of tokens) expect(jwt.verify(t)).not.toBeNull();
  expect((jwt as unknown as { validSignatures: Set<string> }).validSignatures.size).toBe(1024);
  expect(jwt.verify(tokens[0] as string)?.name).toBe("s0");
});
