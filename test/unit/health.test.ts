import { describe, expect, test } from "bun:test";
import { type HealthCheck, healthCheckResponse, healthResponse } from "../../src/server/health.ts";

const ok = (name: string): HealthCheck => ({ name, check: () => true });
const asyncOk = (name: string): HealthCheck => ({ name, check: async () => true });
const bad = (name: string): HealthCheck => ({ name, check: () => false });
const throws = (name: string): HealthCheck => ({
  name,
  check: async () => {
    throw new Error("etcd unreachable");
  },
});

const q = (s = "") => new URLSearchParams(s);

describe("healthResponse", () => {
  test("healthy: plain ok, no trailing newline", async () => {
    const res = await healthResponse("readyz", [ok("ping"), asyncOk("etcd")], q());
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("text/plain; charset=utf-8");
    expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(await res.text()).toBe("ok");
  });

  test("verbose lists each check and names the endpoint", async () => {
    for (const kind of ["healthz", "livez", "readyz"] as const) {
      const res = await healthResponse(kind, [ok("ping"), asyncOk("log")], q("verbose"));
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(`[+]ping ok\n[+]log ok\n${kind} check passed\n`);
    }
  });

  test("a failure is 500 and always verbose, with reasons withheld", async () => {
    const res = await healthResponse("livez", [ok("ping"), bad("etcd"), throws("informers")], q());
    expect(res.status).toBe(500);
    expect(await res.text()).toBe(
      "[+]ping ok\n[-]etcd failed: reason withheld\n[-]informers failed: reason withheld\nlivez check failed\n",
    );
  });

  test("exclude skips a failing check and warns about names that match nothing", async () => {
    const res = await healthResponse(
      "readyz",
      [ok("ping"), bad("etcd")],
      q("exclude=etcd&exclude=zz&exclude=aa&verbose"),
    );
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(
      '[+]ping ok\n[+]etcd excluded: ok\nwarn: some health checks cannot be excluded: no matches for "aa","zz"\nreadyz check passed\n',
    );
    const quiet = await healthResponse("readyz", [ok("ping"), bad("etcd")], q("exclude=etcd"));
    expect(await quiet.text()).toBe("ok");
  });

  test("checks run concurrently", async () => {
    let running = 0;
    let peak = 0;
    const slow = (name: string): HealthCheck => ({
      name,
      check: async () => {
        running++;
        peak = Math.max(peak, running);
        await Bun.sleep(5);
        running--;
        return true;
      },
    });
    await healthResponse("healthz", [slow("a"), slow("b"), slow("c")], q());
    expect(peak).toBe(3);
  });
});

describe("healthCheckResponse", () => {
  const checks = [ok("ping"), bad("etcd"), throws("informers")];

  test("a passing check is ok", async () => {
    const res = await healthCheckResponse(checks, "ping");
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("ok");
  });

  test("a failing check is 500 with its reason", async () => {
    const res = await healthCheckResponse(checks, "etcd");
    expect(res.status).toBe(500);
    expect(await res.text()).toBe("internal server error: check failed\n");
    const thrown = await healthCheckResponse(checks, "informers");
    expect(await thrown.text()).toBe("internal server error: etcd unreachable\n");
  });

  test("healthResponse routes /<kind>/<name> to the named check, slashes included", async () => {
    const hooks = [...checks, ok("poststarthook/start-informers")];
    const one = await healthResponse("readyz", hooks, q(), "/readyz/etcd");
    expect(one.status).toBe(500);
    expect(await one.text()).toBe("internal server error: check failed\n");
    const hook = await healthResponse("livez", hooks, q(), "/livez/poststarthook/start-informers");
    expect(await hook.text()).toBe("ok");
    // The root path still aggregates every check.
    const root = await healthResponse("readyz", hooks, q(), "/readyz");
    expect(root.status).toBe(500);
    expect(await root.text()).toEndWith("readyz check failed\n");
  });

  test("an unknown check is 404", async () => {
    const res = await healthCheckResponse(checks, "nope");
    expect(res.status).toBe(404);
    expect(await res.text()).toBe("404 page not found\n");
  });
});
