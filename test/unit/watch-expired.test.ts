// A watch or an exact list at a resourceVersion that compaction removed gets 410 Expired, as
// kube-apiserver answers (an ERROR event inside a 200 watch stream). The running server compacts
// only old history on a timer, so this drives the watch handler over a real SQLite store compacted
// on purpose.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { builtinResources } from "../../src/apis/builtin/index.ts";
import { ResourceRegistry } from "../../src/apis/registry.ts";
import { ObjectStore } from "../../src/apis/store.ts";
import type { KObject, ResourceDef } from "../../src/apis/types.ts";
import { AllowAllAuthorizer } from "../../src/auth/allow-all-authorizer.ts";
import { adminUser, StaticTokenAuthenticator } from "../../src/auth/token-authenticator.ts";
import { parseRequestInfo, type ResourceRequestInfo } from "../../src/server/request-info.ts";
import { requestContext } from "../../src/server/rest/request-context.ts";
import { DEFAULT_WATCH_SETTINGS, handleWatch } from "../../src/server/rest/watch.ts";
import { StatusError } from "../../src/machinery/status.ts";
import { DEFAULT_PREFIX } from "../../src/storage/keys.ts";
import { SqliteStorage } from "../../src/storage/sqlite/sqlite-storage.ts";
import { queryBool } from "../../src/machinery/parse-bool.ts";
import { WatchStream } from "../helpers/watch-stream.ts";

let dir: string;
let storage: SqliteStorage;
let store: ObjectStore;
let configmaps: ResourceDef;
/** Revisions of the writes made before compaction. */
const revisions: number[] = [];
let compactedAt: number;

const PATH = "/api/v1/namespaces/default/configmaps";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kcp-expired-"));
  storage = SqliteStorage.open(join(dir, "kcp.db"));
  const authenticator = new StaticTokenAuthenticator([{ token: "t".repeat(43), user: adminUser() }]);
  const registry = new ResourceRegistry(builtinResources({ authenticator, authorizer: new AllowAllAuthorizer() }));
  configmaps = registry.lookup("admin", "", "v1", "configmaps") as ResourceDef;
  store = new ObjectStore(storage, DEFAULT_PREFIX);
  const ctx = requestContext("admin", adminUser(), new URLSearchParams(), "default");
  for (const name of ["a", "b", "c"]) {
    const o = await store.create(configmaps, ctx, { metadata: { name }, data: { v: "0" } } as KObject, "default");
    revisions.push(Number(o.metadata.resourceVersion));
  }
  for (let i = 1; i <= 3; i++) {
    const { object } = await store.update(configmaps, ctx, "default", "a", (cur) => ({
      ...cur,
      data: { v: String(i) },
    }));
    revisions.push(Number(object.metadata.resourceVersion));
  }
  compactedAt = await storage.currentRevision();
  await storage.compact(compactedAt);
});

afterAll(async () => {
  await storage?.close();
  rmSync(dir, { recursive: true, force: true });
});

function watch(query: string): { stream: WatchStream; abort: () => void } {
  const q = new URLSearchParams(query);
  const info = parseRequestInfo("GET", PATH, q, queryBool) as ResourceRequestInfo;
  const controller = new AbortController();
  const req = new Request(`https://127.0.0.1${PATH}?${query}`, { signal: controller.signal });
  const res = handleWatch(store, configmaps, info, q, req, DEFAULT_WATCH_SETTINGS);
  expect(res.status).toBe(200);
  return { stream: new WatchStream(res), abort: () => controller.abort() };
}

describe("after compaction", () => {
  test("a watch from a compacted resourceVersion gets an ERROR event with 410 Expired, then the stream ends", async () => {
    const old = revisions[1];
    expect(old).toBeLessThan(compactedAt);
    const { stream } = watch(`watch=true&resourceVersion=${old}`);
    const ev = await stream.next();
    expect(ev.type).toBe("ERROR");
    expect(ev.object).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: `too old resource version: ${old} (${compactedAt})`,
      reason: "Expired",
      code: 410,
    });
    expect(await stream.closedByServer()).toBe(true);
  });

  test("a watch from the compacted revision itself still works (only older history is gone)", async () => {
    const { stream, abort } = watch(`watch=true&resourceVersion=${compactedAt}`);
    try {
      const ctx = requestContext("admin", adminUser(), new URLSearchParams(), "default");
      await store.create(configmaps, ctx, { metadata: { name: "after" } } as KObject, "default");
      const ev = await stream.next();
      expect(ev.type).toBe("ADDED");
      expect(ev.object.metadata.name).toBe("after");
    } finally {
      abort();
      stream.close();
    }
  });

  test("a watch without resourceVersion is not affected: current state as ADDED", async () => {
    const { stream, abort } = watch("watch=true");
    try {
      const evs = await stream.take(4);
      expect(evs.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual([
        "ADDED a",
        "ADDED after",
        "ADDED b",
        "ADDED c",
      ]);
      expect(evs[0].object.data).toEqual({ v: "3" });
    } finally {
      abort();
      stream.close();
    }
  });

  test("an Exact list at a compacted resourceVersion is 410 Expired", async () => {
    const old = revisions[0];
    const err = await store
      .list(configmaps, "admin", "default", { resourceVersion: String(old), resourceVersionMatch: "Exact" })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(StatusError);
    const status = (err as StatusError).toStatus();
    expect(status.code).toBe(410);
    expect(status.reason).toBe("Expired");
    expect(status.message).toBe(`too old resource version: ${old} (${compactedAt})`);
  });
});
