// LogicalClusterLifecycle admission: once a logical cluster is Terminating, nothing is created in
// it through the store — kcp's in-process controllers included, which do not pass the HTTP
// filter — while deletes still work, and other clusters are untouched.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { StatusError } from "../../src/machinery/status.ts";
import { type InMemoryApp, inMemoryApp, TEST_TOKEN } from "../helpers/in-memory-app.ts";

let env: InMemoryApp;
beforeAll(async () => {
  env = await inMemoryApp();
});
afterAll(() => env.close());

const send = (method: string, path: string, body?: unknown) =>
  Promise.resolve(
    env.app.request(path, {
      method,
      headers: { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json" },
      ...(body ? { body: JSON.stringify(body) } : {}),
    }),
  );

test("a store create in a terminating cluster is 403 for the server's own controllers too; deletes pass", async () => {
  const { store, registry, clusters } = env.deps;
  const cm = (name: string) => ({ metadata: { name }, data: { a: "1" } });
  for (const c of ["doomed", "alive"])
    expect((await send("POST", `/clusters/${c}/api/v1/namespaces/default/configmaps`, cm("before"))).status).toBe(201);
  // No controller runs here: the cluster stays Terminating.
  expect((await send("DELETE", "/apis/tenancy.kcp.io/v1alpha1/logicalclusters/doomed")).status).toBe(200);
  const deadline = Date.now() + 5000;
  while (!clusters.isTerminating("doomed") && Date.now() < deadline) await Bun.sleep(10);
  expect(clusters.isTerminating("doomed")).toBe(true);
  const def = registry.lookup("doomed", "", "v1", "configmaps");
  if (!def) throw new Error("configmaps not served");
  const system = { username: "system:kcp", groups: ["system:masters"] };
  const ctx = (cluster: string) => ({ cluster, user: system, dryRun: false, warnings: [] });
  const refused = await store.create(def, ctx("doomed"), cm("after"), "default").catch((e) => e);
  expect(refused).toBeInstanceOf(StatusError);
  expect({ code: refused.code, reason: refused.reason, message: refused.message }).toEqual({
    code: 403,
    reason: "Forbidden",
    message: "unable to create or change content in logical cluster doomed because it is being terminated",
  });
  expect(await store.tryGet(def, "doomed", "default", "after")).toBeNull();
  await store.delete(def, ctx("doomed"), "default", "before", {});
  expect(await store.tryGet(def, "doomed", "default", "before")).toBeNull();
  expect((await store.create(def, ctx("alive"), cm("after"), "default")).metadata.name).toBe("after");
});
