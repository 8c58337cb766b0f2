// The hono environment every filter and handler of the app shares: what Bun passes as `c.env`, and
// the variables the filters set on the context for those after them.

import type { X509Certificate } from "node:crypto";
import type { UserInfo } from "../../apis/types.ts";
import type { RequestInfo } from "../request-info.ts";

export type Env = {
  /** Bun.serve's server, given to `app.fetch(req, server)`; absent under `app.request(...)` in tests. */
  Bindings:
    | {
        timeout?: (req: Request, seconds: number) => void;
        /** The TLS client certificate the listener verified for this request's connection, if any. */
        peerCertificate?: (req: Request) => X509Certificate | undefined;
        /** The client's address as the listener saw it (for the audit log). */
        requestIP?: (req: Request) => string | undefined;
      }
    | undefined;
  Variables: {
    /** The request URL, parsed once by the request info filter. */
    url: URL;
    /** Set by the request info filter. */
    requestInfo: RequestInfo;
    /** Set by the authentication filter: the token's user, or system:anonymous on a public path. */
    user: UserInfo;
    /** Set by the impersonation filter when the request impersonates: the authenticated user (`user` is then the impersonated one). */
    originalUser?: UserInfo;
    /** Set by the logical cluster filter: make the (unknown) cluster once authorization allowed the request. */
    createCluster?: boolean;
    /** The authorizer's answer that let the request through or ended it (for the audit log). */
    authorization?: { allowed: boolean; reason: string };
  };
};
