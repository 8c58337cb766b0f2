// Filter 1, request info (kube-apiserver's WithRequestInfo): parses the URL, once for the whole
// request, and works out what it asks for, the logical cluster included. A malformed
// `/clusters/<name>` prefix is a 404 here, before authentication is asked.

import type { MiddlewareHandler } from "hono";
import { queryBool } from "../../machinery/parse-bool.ts";
import { parseRequestInfo } from "../request-info.ts";
import type { Env } from "./env.ts";

export const requestInfoFilter: MiddlewareHandler<Env> = (c, next) => {
  const req = c.req.raw;
  const url = new URL(req.url);
  c.set("url", url);
  c.set("requestInfo", parseRequestInfo(req.method, url.pathname, url.searchParams, queryBool));
  return next();
};
