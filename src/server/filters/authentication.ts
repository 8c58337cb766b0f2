// Filter 2, authentication (kube-apiserver's WithAuthentication): a verified TLS client
// certificate's user, else a bearer token the authenticator knows (the static token file's, or a
// service account's — in its own logical cluster only), else 401; without credentials only the
// public endpoints pass, as system:anonymous.

import type { Context, MiddlewareHandler, Next } from "hono";
import type { UserInfo } from "../../apis/types.ts";
import type { ClientCertAuthenticator } from "../../auth/client-cert-authenticator.ts";
import { serviceAccountTokenAllowedIn } from "../../auth/service-account-authenticator.ts";
import type { Authenticator } from "../../auth/types.ts";
import { errors } from "../../machinery/status.ts";
import type { Env } from "./env.ts";

/** Endpoints anyone may read without credentials, as kube's system:public-info-viewer allows. */
const PUBLIC_PATHS = new Set(["/healthz", "/livez", "/readyz", "/version"]);

function isPublicPath(path: string): boolean {
  const p = path.replace(/\/+$/, "") || "/";
  if (PUBLIC_PATHS.has(p)) return true;
  return p.startsWith("/healthz/") || p.startsWith("/livez/") || p.startsWith("/readyz/");
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

export function authenticationFilter(
  authenticator: Authenticator,
  clientCerts?: ClientCertAuthenticator,
): MiddlewareHandler<Env> {
  return (c, next) => {
    // A verified client certificate comes first, as kube's x509 authenticator precedes the token ones.
    const cert = clientCerts && c.env?.peerCertificate?.(c.req.raw);
    const certUser = cert ? clientCerts.authenticateCertificate(cert) : null;
    if (certUser) {
      c.set("user", certUser);
      return next();
    }
    const header = c.req.raw.headers.get("authorization");
    if (!header) {
      const info = c.get("requestInfo");
      if (info.kind === "nonresource" && isPublicPath(info.path)) {
        c.set("user", { username: "system:anonymous", groups: ["system:unauthenticated"] });
        return next();
      }
      throw errors.unauthorized();
    }
    const m = BEARER.exec(header);
    if (!m) throw errors.unauthorized();
    const found = authenticator.authenticateToken(m[1]);
    // Service account tokens are looked up asynchronously; a static token is known at once.
    if (found instanceof Promise) return found.then((user) => authenticated(c, user, next));
    return authenticated(c, found, next);
  };
}

function authenticated(c: Context<Env>, user: UserInfo | null, next: Next): Promise<void> {
  if (!user) throw errors.unauthorized();
  // A service account's token is good in its own logical cluster only.
  const info = c.get("requestInfo");
  if (!serviceAccountTokenAllowedIn(user, info.cluster, info.wildcard)) throw errors.unauthorized();
  c.set("user", user);
  return next();
}
