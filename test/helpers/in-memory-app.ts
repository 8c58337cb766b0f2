// The HTTP app of `kcp start` without a socket: the same registry, object store, logical clusters and
// authentication as src/app/start-server.ts builds, over SQLite in memory, for `app.request(...)`.
// The authorizer can be swapped for a test's own.

import { NamespaceView } from "../../src/admission/namespace-view.ts";
import { namespaceLifecycle } from "../../src/admission/namespace-lifecycle.ts";
import { builtinResources } from "../../src/apis/builtin/index.ts";
import { LogicalClusters } from "../../src/apis/logical-clusters.ts";
import { ResourceRegistry } from "../../src/apis/registry.ts";
import { ObjectStore } from "../../src/apis/store.ts";
import { AllowAllAuthorizer } from "../../src/auth/allow-all-authorizer.ts";
import { adminUser, StaticTokenAuthenticator } from "../../src/auth/token-authenticator.ts";
import type { Authorizer } from "../../src/auth/types.ts";
import { createApp } from "../../src/server/app.ts";
import type { AppDeps } from "../../src/server/app-deps.ts";
import { DEFAULT_CLUSTER } from "../../src/server/request-info.ts";
import { DEFAULT_PREFIX } from "../../src/storage/keys.ts";
import { SqliteStorage } from "../../src/storage/sqlite/sqlite-storage.ts";

export const TEST_TOKEN = "test-admin-token";

export interface InMemoryApp {
  app: ReturnType<typeof createApp>;
  deps: AppDeps;
  storage: SqliteStorage;
  close(): Promise<void>;
}

/** A fresh app on an empty in-memory database, with `admin` bootstrapped as at start-up. */
export async function inMemoryApp(opts: { authorizer?: Authorizer } = {}): Promise<InMemoryApp> {
  // No progress notifications: nothing here watches, and no timer should outlive a test.
  const storage = SqliteStorage.open(":memory:", { progressIntervalMs: 0 });
  const authenticator = new StaticTokenAuthenticator([{ token: TEST_TOKEN, user: adminUser() }]);
  const authorizer = opts.authorizer ?? new AllowAllAuthorizer();
  const registry = new ResourceRegistry(builtinResources({ authenticator, authorizer }));
  const namespaceDef = registry.lookup(DEFAULT_CLUSTER, "", "v1", "namespaces");
  if (!namespaceDef) throw new Error("the namespaces resource is not registered");
  const namespaceView = new NamespaceView(new ObjectStore(storage, DEFAULT_PREFIX), namespaceDef);
  await namespaceView.start();
  const store = new ObjectStore(storage, DEFAULT_PREFIX, namespaceLifecycle(storage, DEFAULT_PREFIX, namespaceView));
  const clusters = new LogicalClusters(storage, store, DEFAULT_PREFIX, namespaceDef);
  await clusters.ensure(DEFAULT_CLUSTER);
  const deps: AppDeps = {
    registry,
    store,
    clusters,
    authenticator,
    authorizer,
    serverAddress: "127.0.0.1:6443",
    readyChecks: [{ name: "ping", check: () => true }],
    liveChecks: [{ name: "ping", check: () => true }],
  };
  return {
    app: createApp(deps),
    deps,
    storage,
    async close() {
      namespaceView.stop();
      await storage.close();
    },
  };
}
