// Service account tokens: the signing key on disk, the ES256 JWTs, and the authenticator that
// accepts them only while the service account (and a bound secret) still exists with the same uid.
import { afterAll, describe, expect, test } from "bun:test";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureServiceAccountKey } from "../../src/pki/service-account-key.ts";
import { ServiceAccountTokenAuthenticator, storageLookup } from "../../src/auth/service-account-authenticator.ts";
import { DEFAULT_ISSUER, type ServiceAccountClaims, ServiceAccountJWT } from "../../src/auth/service-account-jwt.ts";
import { adminUser, StaticTokenAuthenticator } from "../../src/auth/token-authenticator.ts";
import { UnionAuthenticator } from "../../src/auth/union-authenticator.ts";
import { DEFAULT_PREFIX, objectKey } from "../../src/storage/keys.ts";
import { SqliteStorage } from "../../src/storage/sqlite/sqlite-storage.ts";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "kcp-sa-"));
  dirs.push(dir);
  return dir;
}
const stores: SqliteStorage[] = [];
afterAll(async () => {
  for (const s of stores) await s.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function newKeyPem(): string {
  return generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({
    type: "pkcs8",
    format: "pem",
  }) as string;
}

const NOW = 1_800_000_000;

function claims(over: Partial<ServiceAccountClaims> = {}): ServiceAccountClaims {
  return {
    cluster: "root",
    namespace: "default",
    name: "sa1",
    uid: "uid-1",
    audiences: [DEFAULT_ISSUER],
    issuedAt: NOW,
    expiresAt: NOW + 3600,
    id: "jti-1",
    ...over,
  };
}

describe("ensureServiceAccountKey", () => {
  test("creates a P-256 key in service-account.key (0600) and keeps it across restarts", async () => {
    const dir = tempDir();
    const pem = await ensureServiceAccountKey(dir);
    expect(pem).toContain("BEGIN PRIVATE KEY");
    expect(statSync(join(dir, "service-account.key")).mode & 0o777).toBe(0o600);
    expect(await ensureServiceAccountKey(dir)).toBe(pem);
  });

  test("replaces a file that holds no usable key", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "service-account.key"), "garbage");
    const pem = await ensureServiceAccountKey(dir);
    expect(readFileSync(join(dir, "service-account.key"), "utf8")).toBe(pem);
    expect(() => new ServiceAccountJWT(pem)).not.toThrow();
  });
});

describe("ServiceAccountJWT", () => {
  const pem = newKeyPem();
  let clock = NOW * 1000;
  const jwt = new ServiceAccountJWT(pem, DEFAULT_ISSUER, () => clock);

  test("signs kube's claims and verifies them back", () => {
    const token = jwt.sign(claims({ secret: { name: "s", uid: "s-uid" } }));
    const [h, p] = token.split(".") as [string, string];
    expect(JSON.parse(Buffer.from(h, "base64url").toString())).toEqual({ alg: "ES256", kid: jwt.keyId });
    expect(JSON.parse(Buffer.from(p, "base64url").toString())).toEqual({
      aud: [DEFAULT_ISSUER],
      exp: NOW + 3600,
      iat: NOW,
      iss: DEFAULT_ISSUER,
      jti: "jti-1",
      "kcp.io/cluster": "root",
      "kubernetes.io": {
        namespace: "default",
        serviceaccount: { name: "sa1", uid: "uid-1" },
        secret: { name: "s", uid: "s-uid" },
      },
      nbf: NOW,
      sub: "system:serviceaccount:default:sa1",
    });
    expect(jwt.verify(token)).toEqual(claims({ secret: { name: "s", uid: "s-uid" } }));
  });

  test("rejects tampered, foreign, unsigned and malformed tokens", () => {
    const token = jwt.sign(claims());
    const [h, p, s] = token.split(".") as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, "base64url").toString());
    const forged = Buffer.from(JSON.stringify({ ...payload, sub: "system:serviceaccount:default:admin" })).toString(
      "base64url",
    );
    expect(jwt.verify(`${h}.${forged}.${s}`)).toBeNull();
    expect(jwt.verify(new ServiceAccountJWT(newKeyPem(), DEFAULT_ISSUER, () => clock).sign(claims()))).toBeNull();
    const none = Buffer.from(JSON.stringify({ alg: "none" })).toString("base64url");
    expect(jwt.verify(`${none}.${p}.`)).toBeNull();
    expect(jwt.verify("not-a-jwt")).toBeNull();
    expect(jwt.verify("a.b.c")).toBeNull();
    expect(new ServiceAccountJWT(pem, "https://other.example", () => clock).verify(token)).toBeNull();
  });

  test("expiry and not-before allow a minute of clock skew", () => {
    const token = jwt.sign(claims());
    clock = (NOW + 3600 + 59) * 1000;
    expect(jwt.verify(token)).not.toBeNull();
    clock = (NOW + 3600 + 61) * 1000;
    expect(jwt.verify(token)).toBeNull();
    clock = (NOW - 59) * 1000;
    expect(jwt.verify(token)).not.toBeNull();
    clock = (NOW - 61) * 1000;
    expect(jwt.verify(token)).toBeNull();
    clock = NOW * 1000;
  });
});

describe("ServiceAccountTokenAuthenticator", () => {
  const jwt = new ServiceAccountJWT(newKeyPem(), DEFAULT_ISSUER, () => NOW * 1000);
  const storage = SqliteStorage.open(join(tempDir(), "kcp.db"));
  stores.push(storage);
  const key = (resource: string, name: string) =>
    objectKey(DEFAULT_PREFIX, { group: "", resource, cluster: "root", namespace: "default", name });
  const put = (resource: string, name: string, uid: string, extra: Record<string, unknown> = {}) =>
    storage.create(key(resource, name), JSON.stringify({ metadata: { name, namespace: "default", uid, ...extra } }));
  const authn = new ServiceAccountTokenAuthenticator(jwt, storageLookup(storage, DEFAULT_PREFIX));

  test("authenticates the service account's user while it exists with the token's uid", async () => {
    await put("serviceaccounts", "sa1", "uid-1");
    const token = jwt.sign(claims());
    expect(await authn.authenticateToken(token)).toEqual({
      username: "system:serviceaccount:default:sa1",
      uid: "uid-1",
      groups: ["system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"],
      extra: {
        "authentication.kcp.io/cluster-name": ["root"],
        "authentication.kubernetes.io/credential-id": ["JTI=jti-1"],
      },
    });
    // The same token in another logical cluster names a service account that does not exist there.
    expect(await authn.authenticateToken(jwt.sign(claims({ cluster: "other" })))).toBeNull();
    // Another audience is not this server.
    expect(await authn.authenticateToken(jwt.sign(claims({ audiences: ["vault"] })))).toBeNull();

    await storage.delete(key("serviceaccounts", "sa1"));
    expect(await authn.authenticateToken(token)).toBeNull();
    await put("serviceaccounts", "sa1", "uid-2");
    expect(await authn.authenticateToken(token)).toBeNull();
  });

  test("a service account being deleted no longer authenticates", async () => {
    await put("serviceaccounts", "going", "uid-g", { deletionTimestamp: "2030-01-01T00:00:00Z" });
    expect(await authn.authenticateToken(jwt.sign(claims({ name: "going", uid: "uid-g" })))).toBeNull();
  });

  test("a token bound to a secret lives as long as that secret", async () => {
    await put("serviceaccounts", "bound", "uid-b");
    await put("secrets", "sec", "sec-1");
    const token = jwt.sign(claims({ name: "bound", uid: "uid-b", secret: { name: "sec", uid: "sec-1" } }));
    expect((await authn.authenticateToken(token))?.username).toBe("system:serviceaccount:default:bound");
    await storage.delete(key("secrets", "sec"));
    expect(await authn.authenticateToken(token)).toBeNull();
  });

  test("a union tries the static tokens first, then service account tokens", async () => {
    await put("serviceaccounts", "u", "uid-u");
    const union = new UnionAuthenticator(
      new StaticTokenAuthenticator([{ token: "admin-token", user: adminUser() }]),
      authn,
    );
    expect((await union.authenticateToken("admin-token"))?.username).toBe("kcp-admin");
    expect((await union.authenticateToken(jwt.sign(claims({ name: "u", uid: "uid-u" }))))?.username).toBe(
      "system:serviceaccount:default:u",
    );
    expect(await union.authenticateToken("nobody")).toBeNull();
  });
});
