// The audit log through the whole app: real AuditLog files, the in-memory app's filters and handlers.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Authorizer } from "../../src/auth/types.ts";
import { AuditLog, BATCH } from "../../src/server/audit/audit-log.ts";
import { createApp } from "../../src/server/app.ts";
import { type InMemoryApp, inMemoryApp, TEST_TOKEN } from "../helpers/in-memory-app.ts";
import { removeDir, tempDir } from "../helpers/kcp-process.ts";

type Event = Record<string, unknown> & {
  annotations: Record<string, string>;
  user: Record<string, unknown>;
  requestReceivedTimestamp: string;
  stageTimestamp: string;
};

const dir = tempDir("kcp-audit-");
afterAll(() => removeDir(dir));

function readEvents(path: string): Event[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Event);
}

describe("AuditLog", () => {
  test("appends JSON lines to a 0600 file; close writes everything queued", async () => {
    const path = join(dir, "plain.log");
    const a = AuditLog.open(path);
    for (let i = 0; i < 3; i++) a.log({ n: i });
    await a.close();
    expect(readFileSync(path, "utf8")).toBe('{"n":0}\n{"n":1}\n{"n":2}\n');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const again = AuditLog.open(path);
    again.log({ n: 3 });
    await again.close();
    expect(readEvents(path).length).toBe(4);
  });

  test("a burst that never yields is written in batches: nothing lost, in order, little queued", async () => {
    const path = join(dir, "burst.log");
    const a = AuditLog.open(path);
    // All logged within one turn of the event loop, so the end-of-turn write never comes.
    for (let i = 0; i < 3 * BATCH + 5; i++) a.log({ n: i });
    // Whole batches are on disk already; the last 5 wait for the end of the turn.
    expect(readEvents(path).length).toBe(3 * BATCH);
    await Bun.sleep(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(readEvents(path).length).toBe(3 * BATCH + 5);
    await a.close();
    expect(readEvents(path).map((e) => e.n)).toEqual(Array.from({ length: 3 * BATCH + 5 }, (_, i) => i));
  });
});

describe("audit filter", () => {
  const authorizer: Authorizer = {
    authorize: (attrs) =>
      attrs.resource === "secrets"
        ? { allowed: false, reason: "no secrets here" }
        : { allowed: true, reason: attrs.verb === "impersonate" ? "may impersonate" : "allowed by test" },
    rulesFor: () => ({ resourceRules: [], nonResourceRules: [], incomplete: false }),
  };
  let env: InMemoryApp;
  let audit: AuditLog;
  let app: ReturnType<typeof createApp>;
  const path = join(dir, "app.log");
  const ids: string[] = [];

  beforeAll(async () => {
    env = await inMemoryApp({ authorizer });
    audit = AuditLog.open(path);
    app = createApp({ ...env.deps, audit });
    const send = async (url: string, headers: Record<string, string> = {}) => {
      const res = await app.request(url, { headers: { authorization: `Bearer ${TEST_TOKEN}`, ...headers } });
      ids.push(res.headers.get("audit-id") ?? "");
      return res.status;
    };
    expect(await send("/api/v1/namespaces/default/configmaps/cm1?resourceVersion=0", { "user-agent": "t/1" })).toBe(
      404,
    );
    expect(await send("/api/v1/namespaces/default/secrets")).toBe(403);
    expect(await send("/clusters/team/apis/apps/v1/namespaces/default/deployments/d/scale")).toBe(404);
    expect(await send("/api/v1/namespaces", { authorization: "Bearer nope" })).toBe(401);
    expect(await send("/api/v1/namespaces", { "Impersonate-User": "bob", "Impersonate-Group": "g" })).toBe(200);
    expect(await send("/version")).toBe(200);
    const watch = await app.request("/api/v1/namespaces/default/configmaps?watch=true", {
      headers: { authorization: `Bearer ${TEST_TOKEN}` },
    });
    expect(watch.status).toBe(200);
    await watch.body?.cancel();
    await audit.close();
  });
  afterAll(() => env.close());

  test("one Metadata-level event per request, in order, with the Audit-ID each response carried", () => {
    const events = readEvents(path);
    expect(events.length).toBe(7);
    expect(events.slice(0, 6).map((e) => e.auditID)).toEqual(ids);
    expect(new Set(ids).size).toBe(6);
    for (const e of events.slice(0, 6)) {
      expect(e).toMatchObject({
        kind: "Event",
        apiVersion: "audit.k8s.io/v1",
        level: "Metadata",
        stage: "ResponseComplete",
      });
      expect(e.requestReceivedTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
      expect(e.stageTimestamp >= e.requestReceivedTimestamp).toBe(true);
    }
  });

  test("who, what, the decision, the code and the logical cluster", () => {
    const [get, forbidden, sub, unauthenticated, impersonated, version] = readEvents(path);
    expect(get).toMatchObject({
      requestURI: "/api/v1/namespaces/default/configmaps/cm1?resourceVersion=0",
      verb: "get",
      user: { username: "kcp-admin", groups: ["system:masters", "system:authenticated"] },
      userAgent: "t/1",
      objectRef: { resource: "configmaps", namespace: "default", name: "cm1", apiVersion: "v1" },
      responseStatus: { code: 404 },
      annotations: {
        "authorization.k8s.io/decision": "allow",
        "authorization.k8s.io/reason": "allowed by test",
        "kcp.io/cluster": "admin",
      },
    });
    expect(get.impersonatedUser).toBeUndefined();
    expect(forbidden).toMatchObject({
      verb: "list",
      responseStatus: { code: 403 },
      annotations: { "authorization.k8s.io/decision": "forbid", "authorization.k8s.io/reason": "no secrets here" },
    });
    expect(sub).toMatchObject({
      objectRef: {
        resource: "deployments",
        namespace: "default",
        name: "d",
        apiGroup: "apps",
        apiVersion: "v1",
        subresource: "scale",
      },
      annotations: { "kcp.io/cluster": "team" },
    });
    expect(unauthenticated).toMatchObject({ user: {}, responseStatus: { code: 401 } });
    expect(unauthenticated.annotations["authorization.k8s.io/decision"]).toBeUndefined();
    expect(impersonated).toMatchObject({
      user: { username: "kcp-admin" },
      impersonatedUser: { username: "bob", groups: ["g", "system:authenticated"] },
      responseStatus: { code: 200 },
    });
    expect(version).toMatchObject({ verb: "get", requestURI: "/version", responseStatus: { code: 200 } });
    expect(version.objectRef).toBeUndefined();
  });

  test("a watch is logged when its stream starts, stage ResponseStarted", () => {
    expect(readEvents(path)[6]).toMatchObject({
      verb: "watch",
      stage: "ResponseStarted",
      responseStatus: { code: 200 },
    });
  });
});
