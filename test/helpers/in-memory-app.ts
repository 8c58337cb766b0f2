// The HTTP app of `kcp start` without a socket: the same API core (registry, admission, object store,
// logical clusters) as src/app/start-server.ts builds, over SQLite in memory, for `app.request(...)`.
// The authorizer can be swapped for a test's own.

import type { AdmissionPlugin } from "../../src/apis/admission.ts";
import { startApiCore } from "../../src/app/api-core.ts";
import type { ServiceAccountJWT } from "../../src/auth/service-account-jwt.ts";
import { AllowAllAuthorizer } from "../../src/auth/allow-all-authorizer.ts";
import { adminUser, StaticTokenAuthenticator } from "../../src/auth/token-authenticator.ts";
import type { Authorizer, UserInfo } from "../../src/auth/types.ts";
import { createApp } from "../../src/server/app.ts";
import type { AppDeps } from "../../src/server/app-deps.ts";
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
export async function inMemoryApp(
  opts: {
    authorizer?: Authorizer;
    serviceAccountTokens?: ServiceAccountJWT;
    admission?: AdmissionPlugin[];
    /** More bearer tokens and their users, beside the admin's TEST_TOKEN. */
    tokens?: { token: string; user: UserInfo }[];
  } = {},
): Promise<InMemoryApp> {
  // No progress notifications: nothing here watches, and no timer should outlive a test.
  const storage = SqliteStorage.open(":memory:", { progressIntervalMs: 0 });
  const authenticator = new StaticTokenAuthenticator([
    { token: TEST_TOKEN, user: adminUser() },
    ...(opts.tokens ?? []),
  ]);
  const authorizer = opts.authorizer ?? new AllowAllAuthorizer();
  const core = await startApiCore({
    storage,
    keyPrefix: DEFAULT_PREFIX,
    authenticator,
    authorizer,
    serviceAccountTokens: opts.serviceAccountTokens,
    admission: opts.admission,
  });
  const { registry, store, clusters } = core;
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
      core.stop();
      await storage.close();
    },
  };
}
