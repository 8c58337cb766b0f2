// Service account tokens as kube-apiserver issues them for TokenRequest: ES256-signed JWTs with
// the registered claims (iss, sub, aud, exp, nbf, iat, jti) and the private `kubernetes.io` claim
// naming the service account (and the secret a token is bound to). kcp adds the logical cluster
// the service account lives in as `kcp.io/cluster`.

import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign, verify } from "node:crypto";

/** kube-apiserver's usual --service-account-issuer, also the default API audience. */
export const DEFAULT_ISSUER = "https://kubernetes.default.svc.cluster.local";

/** Clock skew tolerated on exp and nbf (go-jose's DefaultLeeway). */
const LEEWAY_SECONDS = 60;
/** How many tokens with a valid signature are remembered (see signatureValid). */
const SIGNATURE_MEMO = 1024;

export interface ServiceAccountClaims {
  cluster: string;
  namespace: string;
  name: string;
  uid: string;
  /** The secret the token is bound to (it is valid only while that secret exists). */
  secret?: { name: string; uid: string };
  audiences: string[];
  /** Seconds since the epoch. */
  issuedAt: number;
  expiresAt: number;
  /** The token's id (kube's JTI), reported as the credential id. */
  id: string;
}

interface Payload {
  aud?: unknown;
  exp?: unknown;
  iat?: unknown;
  iss?: unknown;
  jti?: unknown;
  nbf?: unknown;
  sub?: unknown;
  "kubernetes.io"?: {
    namespace?: unknown;
    serviceaccount?: { name?: unknown; uid?: unknown };
    secret?: { name?: unknown; uid?: unknown };
  };
  "kcp.io/cluster"?: unknown;
}

function b64url(data: string | Buffer): string {
  return Buffer.from(data).toString("base64url");
}

function parseJSONPart(part: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
}

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

export class ServiceAccountJWT {
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  /** The key id: base64url SHA-256 of the public key (as kube derives it). */
  readonly keyId: string;
  /** The audiences a token must carry to authenticate to this server. */
  readonly apiAudiences: string[];

  constructor(
    privateKeyPem: string,
    readonly issuer: string = DEFAULT_ISSUER,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.privateKey = createPrivateKey(privateKeyPem);
    this.publicKey = createPublicKey(this.privateKey);
    this.keyId = createHash("sha256")
      .update(this.publicKey.export({ type: "spki", format: "der" }))
      .digest("base64url");
    this.apiAudiences = [issuer];
  }

  /** Seconds since the epoch, by this issuer's clock. */
  nowSeconds(): number {
    return Math.floor(this.now() / 1000);
  }

  sign(c: ServiceAccountClaims): string {
    const header = { alg: "ES256", kid: this.keyId };
    const kube: NonNullable<Payload["kubernetes.io"]> = {
      namespace: c.namespace,
      serviceaccount: { name: c.name, uid: c.uid },
    };
    if (c.secret) kube.secret = { name: c.secret.name, uid: c.secret.uid };
    const payload = {
      aud: c.audiences,
      exp: c.expiresAt,
      iat: c.issuedAt,
      iss: this.issuer,
      jti: c.id,
      "kcp.io/cluster": c.cluster,
      "kubernetes.io": kube,
      nbf: c.issuedAt,
      sub: `system:serviceaccount:${c.namespace}:${c.name}`,
    };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
    const sig = sign("sha256", Buffer.from(input), { key: this.privateKey, dsaEncoding: "ieee-p1363" });
    return `${input}.${sig.toString("base64url")}`;
  }

  /**
   * Tokens whose signature was found valid, most recent last: an ES256 check costs ~0.1–0.3 ms,
   * a quarter of a small create, and a client sends the same token with every request. Only the
   * signature is remembered (a pure function of the token); expiry and the rest are checked on
   * every use. Bounded: the oldest is dropped beyond SIGNATURE_MEMO entries.
   */
  private readonly validSignatures = new Set<string>();

  private signatureValid(token: string, h: string, p: string, s: string): boolean {
    if (this.validSignatures.has(token)) return true;
    const sig = Buffer.from(s, "base64url");
    if (sig.length !== 64) return false;
    if (!verify("sha256", Buffer.from(`${h}.${p}`), { key: this.publicKey, dsaEncoding: "ieee-p1363" }, sig))
      return false;
    if (this.validSignatures.size >= SIGNATURE_MEMO) {
      const oldest = this.validSignatures.values().next().value;
      if (oldest !== undefined) this.validSignatures.delete(oldest);
    }
    this.validSignatures.add(token);
    return true;
  }

  /**
   * The claims of a token this issuer signed and that is valid now, or null. Audiences are not
   * checked here: that is the caller's business.
   */
  verify(token: string): ServiceAccountClaims | null {
    const parts = token.split(".");
    if (parts.length !== 3) return null;
    const [h, p, s] = parts as [string, string, string];
    const header = parseJSONPart(h) as { alg?: unknown; kid?: unknown } | undefined;
    if (header?.alg !== "ES256" || (header.kid !== undefined && header.kid !== this.keyId)) return null;
    if (!this.signatureValid(token, h, p, s)) return null;
    const payload = parseJSONPart(p) as Payload | undefined;
    if (!payload || typeof payload !== "object" || payload.iss !== this.issuer) return null;
    const now = this.nowSeconds();
    const exp = payload.exp;
    const nbf = payload.nbf ?? payload.iat;
    if (typeof exp !== "number" || now > exp + LEEWAY_SECONDS) return null;
    if (typeof nbf === "number" && now < nbf - LEEWAY_SECONDS) return null;
    const kube = payload["kubernetes.io"];
    const namespace = str(kube?.namespace);
    const name = str(kube?.serviceaccount?.name);
    const uid = str(kube?.serviceaccount?.uid);
    const cluster = str(payload["kcp.io/cluster"]);
    if (!namespace || !name || !uid || !cluster) return null;
    if (payload.sub !== `system:serviceaccount:${namespace}:${name}`) return null;
    const aud = Array.isArray(payload.aud)
      ? payload.aud.filter((a): a is string => typeof a === "string")
      : typeof payload.aud === "string"
        ? [payload.aud]
        : [];
    const claims: ServiceAccountClaims = {
      cluster,
      namespace,
      name,
      uid,
      audiences: aud,
      issuedAt: typeof payload.iat === "number" ? payload.iat : 0,
      expiresAt: exp,
      id: str(payload.jti) ?? "",
    };
    const secretName = str(kube?.secret?.name);
    const secretUid = str(kube?.secret?.uid);
    if (kube?.secret !== undefined) {
      if (!secretName || !secretUid) return null;
      claims.secret = { name: secretName, uid: secretUid };
    }
    return claims;
  }
}
