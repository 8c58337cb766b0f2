// `/healthz`, `/livez`, `/readyz` and their per-check pages, worded as kube-apiserver's healthz
// package: `ok`, or a `[+]`/`[-]` line per check ending in `<kind> check passed|failed`.

export type HealthKind = "healthz" | "livez" | "readyz";

export interface HealthCheck {
  name: string;
  /** False or a throw means unhealthy; a thrown error's message shows only on the per-check page. */
  check: () => Promise<boolean> | boolean;
}

const TEXT = { "Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff" };

/** Runs one check; null when healthy, otherwise why not. */
async function failure(c: HealthCheck): Promise<string | null> {
  try {
    return (await c.check()) ? null : "check failed";
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/**
 * `GET /<kind>`. Checks run concurrently; `?exclude=<name>` (repeatable) skips one, and
 * `?verbose` lists them. A failure is always verbose, with reasons withheld since the endpoint is public.
 * Given the request path, `/<kind>/<name>` answers for that one check (names may hold slashes,
 * as kube's `poststarthook/...` do).
 */
export async function healthResponse(
  kind: HealthKind,
  checks: HealthCheck[],
  query: URLSearchParams,
  path?: string,
): Promise<Response> {
  const prefix = `/${kind}/`;
  if (path?.startsWith(prefix) && path.length > prefix.length)
    return healthCheckResponse(checks, path.slice(prefix.length));
  const excluded = new Set(query.getAll("exclude"));
  const results = await Promise.all(checks.map((c) => (excluded.has(c.name) ? "excluded" : failure(c))));
  let lines = "";
  let failed = false;
  checks.forEach((c, i) => {
    const r = results[i];
    if (r === "excluded") {
      excluded.delete(c.name);
      lines += `[+]${c.name} excluded: ok\n`;
    } else if (r === null) {
      lines += `[+]${c.name} ok\n`;
    } else {
      failed = true;
      lines += `[-]${c.name} failed: reason withheld\n`;
    }
  });
  if (excluded.size > 0) {
    const names = [...excluded].sort().map((n) => JSON.stringify(n));
    lines += `warn: some health checks cannot be excluded: no matches for ${names.join(",")}\n`;
  }
  // Go's http.Error appends a newline; the success page has none.
  if (failed) return new Response(`${lines}${kind} check failed\n`, { status: 500, headers: TEXT });
  if (!query.has("verbose")) return new Response("ok", { status: 200, headers: TEXT });
  return new Response(`${lines}${kind} check passed\n`, { status: 200, headers: TEXT });
}

/**
 * `GET /<kind>/<name>`: one check, `ok` or 500 with its reason. An unknown name gets Go's plain
 * `404 page not found`, as kube's health mux answers (not a Status).
 */
export async function healthCheckResponse(checks: HealthCheck[], name: string): Promise<Response> {
  const c = checks.find((x) => x.name === name);
  if (!c) return new Response("404 page not found\n", { status: 404, headers: TEXT });
  const why = await failure(c);
  if (why === null) return new Response("ok", { status: 200, headers: TEXT });
  return new Response(`internal server error: ${why}\n`, { status: 500, headers: TEXT });
}
