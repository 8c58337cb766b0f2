// Filter 2b, impersonation (kube-apiserver's WithImpersonation): a request with Impersonate-User
// (and optionally Impersonate-Group, repeatable, Impersonate-Uid, Impersonate-Extra-<key>) acts as
// that identity, provided the authenticated user may `impersonate` each part of it. It runs after
// authentication (whose user asks) and before authorization (which then judges the impersonated
// user); the authenticated user stays on the context as `originalUser` for the audit log.
//
// Fetch's Headers join a repeated header with ", ", so repeated Impersonate-Group or
// Impersonate-Extra-<key> headers come back as one comma-separated list: a group or extra value
// that itself holds a comma is read as several, each of which must be allowed on its own.

import type { MiddlewareHandler } from "hono";
import type { AuthorizationAttributes, Authorizer, UserInfo } from "../../auth/types.ts";
import { errors } from "../../machinery/status.ts";
import { forbiddenStatus } from "./forbidden-status.ts";
import type { Env } from "./env.ts";

const USER = "impersonate-user";
const GROUP = "impersonate-group";
const UID = "impersonate-uid";
const EXTRA_PREFIX = "impersonate-extra-";

const AUTHN_GROUP = "authentication.k8s.io";
const ANONYMOUS = "system:anonymous";
const ALL_AUTHENTICATED = "system:authenticated";
const ALL_UNAUTHENTICATED = "system:unauthenticated";
const SA_PREFIX = "system:serviceaccount:";

/** More parts than this in one request is a hostile client: each costs an authorizer call. */
const MAX_PARTS = 200;

/** One thing to be allowed to impersonate, as the authorizer sees it. */
interface Part {
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name: string;
}

function listOf(value: string | null): string[] {
  if (value === null) return [];
  return value
    .split(",")
    .map((v) => v.trim())
    .filter((v) => v !== "");
}

/** `system:serviceaccount:<ns>:<name>` as kube's SplitUsername reads it; otherwise undefined. */
function serviceAccountOf(username: string): { namespace: string; name: string } | undefined {
  if (!username.startsWith(SA_PREFIX)) return undefined;
  const parts = username.slice(SA_PREFIX.length).split(":");
  if (parts.length !== 2 || parts[0] === "" || parts[1] === "") return undefined;
  return { namespace: parts[0], name: parts[1] };
}

export function impersonationFilter(authorizer: Authorizer): MiddlewareHandler<Env> {
  return (c, next) => {
    const headers = c.req.raw.headers;
    const username = headers.get(USER) ?? "";
    const groups = listOf(headers.get(GROUP));
    const uid = headers.get(UID) ?? "";
    const extra: Record<string, string[]> = Object.create(null);
    let extraCount = 0;
    for (const [name, value] of headers) {
      if (!name.startsWith(EXTRA_PREFIX)) continue;
      let key: string;
      try {
        // kube percent-decodes the key (header names cannot hold every character an extra key may).
        key = decodeURIComponent(name.slice(EXTRA_PREFIX.length)).toLowerCase();
      } catch {
        throw errors.badRequest(`malformed impersonation extra header ${JSON.stringify(name)}`);
      }
      const values = listOf(value);
      // Two spellings of one key (`Scopes`, `%73copes`) add to the same list.
      extra[key] = Object.hasOwn(extra, key) ? [...extra[key], ...values] : values;
      extraCount += values.length;
    }
    if (!username) {
      if (groups.length || extraCount || uid) {
        throw errors.badRequest("requested impersonation of groups, extra or uid without impersonating a user");
      }
      return next();
    }
    if (groups.length + extraCount > MAX_PARTS) {
      throw errors.badRequest(`more than ${MAX_PARTS} impersonated groups and extra values`);
    }

    const requester = c.get("user");
    const info = c.get("requestInfo");
    const parts: Part[] = [];
    const sa = serviceAccountOf(username);
    const actingGroups = [...groups];
    if (sa) {
      parts.push({ group: "", resource: "serviceaccounts", namespace: sa.namespace, name: sa.name });
      // A service account's groups follow from its namespace, as kube fills them in.
      if (!groups.length) actingGroups.push("system:serviceaccounts", `system:serviceaccounts:${sa.namespace}`);
    } else {
      parts.push({ group: "", resource: "users", name: username });
    }
    for (const g of groups) parts.push({ group: "", resource: "groups", name: g });
    for (const [key, values] of Object.entries(extra)) {
      for (const v of values) parts.push({ group: AUTHN_GROUP, resource: "userextras", subresource: key, name: v });
    }
    if (uid) parts.push({ group: AUTHN_GROUP, resource: "uids", name: uid });

    for (const p of parts) {
      const attrs: AuthorizationAttributes = {
        user: requester,
        cluster: info.cluster,
        verb: "impersonate",
        resourceRequest: true,
        group: p.group,
        resource: p.resource,
        ...(p.subresource ? { subresource: p.subresource } : {}),
        ...(p.namespace ? { namespace: p.namespace } : {}),
        name: p.name,
      };
      const decision = authorizer.authorize(attrs);
      if (!decision.allowed) {
        c.set("authorization", decision);
        throw forbiddenStatus(attrs, decision.reason);
      }
    }

    // kube adds system:authenticated to a named user unless the groups already say either way,
    // and system:unauthenticated to system:anonymous.
    if (username !== ANONYMOUS) {
      if (!actingGroups.includes(ALL_AUTHENTICATED) && !actingGroups.includes(ALL_UNAUTHENTICATED)) {
        actingGroups.push(ALL_AUTHENTICATED);
      }
    } else if (!actingGroups.includes(ALL_UNAUTHENTICATED)) {
      actingGroups.push(ALL_UNAUTHENTICATED);
    }
    const acting: UserInfo = {
      username,
      ...(uid ? { uid } : {}),
      groups: actingGroups,
      ...(extraCount ? { extra } : {}),
    };
    c.set("originalUser", requester);
    c.set("user", acting);
    return next();
  };
}
