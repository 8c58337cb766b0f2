// The request target as the client sent it. Bun.serve resolves `.` and `..` segments (plain or
// `%2e`), reads `\` as `/` and cuts at `#` before the handler sees `request.url`, so
// `/clusters/cb/../ca/…` arrives as `/clusters/ca/…`: a proxy in front that judges the path prefix
// saw cluster cb, kcp serves ca. Bun's `routes` are matched on the raw target instead (Bun 1.4), and
// hand their parameters over decoded: routes of one parameter per segment show the raw segments,
// and a request whose raw segments differ from those of its resolved URL is refused with 400.
// test/e2e/request-paths.test.ts pins this through a raw socket, so a Bun that changes it is noticed.

import { errors } from "../machinery/status.ts";
import { errorResponse } from "./rest/respond.ts";

/** Segments given their own parameter; deeper paths are compared on these (kube's longest has 10). */
const DEPTH = 16;

type Handler = (req: Request) => Response | Promise<Response>;
type RouteHandler = (req: Request & { params: Record<string, string> }) => Response | Promise<Response>;

/** Bun.serve `routes` that refuse a raw path that is not its own resolved path, else call `handler`. */
export function rawPathRoutes(handler: Handler): Record<string, RouteHandler> {
  const routes: Record<string, RouteHandler> = {};
  const check: RouteHandler = (req) => {
    const bad = rawPathProblem(Object.values(req.params), new URL(req.url).pathname);
    return bad ? errorResponse(errors.badRequest(`invalid request path: ${bad}`)) : handler(req);
  };
  let pattern = "";
  for (let i = 0; i < DEPTH; i++) {
    pattern += `/:s${i}`;
    routes[pattern] = check;
    routes[`${pattern}/`] = check;
  }
  routes[`${pattern}/*`] = check;
  return routes;
}

/**
 * The fallback for a request no route matched: only `/` (a raw path with an empty segment matches
 * none, and Bun may have resolved a `..` after it: `/a//../b` arrives as `/a/b`).
 */
export function unroutedPath(handler: Handler): Handler {
  return (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/" || path === "") return handler(req);
    return errorResponse(errors.badRequest("invalid request path: an empty path segment is not allowed"));
  };
}

/**
 * Why the raw segments (decoded, in order) are not those of the resolved path, or undefined when
 * they are. Exported for its unit test.
 */
export function rawPathProblem(rawSegments: string[], resolvedPath: string): string | undefined {
  for (const raw of rawSegments) {
    if (raw === "." || raw === "..") return `a "${raw}" path segment is not allowed`;
    if (raw.includes("\\")) return 'a "\\" in a path is not allowed';
  }
  const resolved = resolvedPath.split("/").slice(1);
  for (let i = 0; i < rawSegments.length; i++) {
    const raw = rawSegments[i] as string;
    let seg: string;
    try {
      seg = decodeURIComponent(resolved[i] ?? "");
    } catch {
      // A malformed escape: the request info filter answers it.
      return undefined;
    }
    if (seg !== raw) return "the path is not spelled as it resolves";
  }
  return undefined;
}
