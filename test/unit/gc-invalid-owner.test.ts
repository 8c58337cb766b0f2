// A namespaced dependent's owner is looked up in the dependent's namespace only (kube's garbage
// collector): a reference whose uid belongs to an object of another namespace is invalid, the
// owner counts as absent, and kube's OwnerRefInvalidNamespace Warning Event is recorded on the
// dependent — also when the collector's graph does not hold that owner (an object without owner
// references of its own, which the collector never decodes). Over the HTTP app without a socket
// and a real (in-memory SQLite) store.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { GarbageCollector } from "../../src/controllers/gc/garbage-collector.ts";
import { type InMemoryApp, inMemoryApp, TEST_TOKEN } from "../helpers/in-memory-app.ts";

type Obj = Record<string, any>;
const HEADERS = { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json" };
const cms = (ns: string) => `/api/v1/namespaces/${ns}/configmaps`;

let app: InMemoryApp;
let gc: GarbageCollector;
/** The collector's searches for a uid across namespaces: its lists of one logical cluster. */
let searches = 0;

beforeEach(async () => {
  app = await inMemoryApp();
  for (const ns of ["team-a", "team-b"]) {
    expect((await call("POST", "/api/v1/namespaces", { metadata: { name: ns } })).status).toBe(201);
  }
  const store = app.deps.store;
  const counting = Object.create(store) as typeof store;
  counting.list = (...args: Parameters<typeof store.list>) => {
    if (args[1] !== undefined) searches++;
    return store.list(...args);
  };
  searches = 0;
  gc = new GarbageCollector(counting, app.deps.registry);
  await gc.start();
});

afterEach(async () => {
  gc.stop();
  await app.close();
});

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Obj }> {
  const res = await app.app.request(path, {
    method,
    headers: HEADERS,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Obj };
}

async function createCm(ns: string, name: string, meta: Obj = {}): Promise<Obj> {
  const r = await call("POST", cms(ns), { apiVersion: "v1", kind: "ConfigMap", metadata: { name, ...meta } });
  expect(r.status).toBe(201);
  return r.body;
}

const refTo = (o: Obj) => ({ apiVersion: "v1", kind: "ConfigMap", name: o.metadata.name, uid: o.metadata.uid });
const exists = async (ns: string, name: string) => (await call("GET", `${cms(ns)}/${name}`)).status === 200;

async function until(what: string, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

async function invalidOwnerEvents(ns: string, about: string): Promise<Obj[]> {
  const list = await call("GET", `/api/v1/namespaces/${ns}/events`);
  return (list.body.items as Obj[]).filter(
    (e) => e.reason === "OwnerRefInvalidNamespace" && e.involvedObject?.name === about,
  );
}

describe("an owner reference across namespaces", () => {
  test("an owner the graph does not hold, in another namespace: a Warning Event, and the dependent is collected", async () => {
    // The owner has no owner references: the collector neither decodes nor holds it.
    const owner = await createCm("team-a", "owner");
    const dependent = await createCm("team-b", "crosses", { ownerReferences: [refTo(owner)] });
    await until("the dependent to be collected", async () => !(await exists("team-b", "crosses")));
    await until("the Warning Event", async () => (await invalidOwnerEvents("team-b", "crosses")).length > 0);
    const [event] = await invalidOwnerEvents("team-b", "crosses");
    expect(event?.type).toBe("Warning");
    expect(event?.involvedObject).toMatchObject({
      kind: "ConfigMap",
      namespace: "team-b",
      uid: dependent.metadata.uid,
    });
    expect(event?.message).toBe(
      `ownerRef [v1/ConfigMap, namespace: team-b, name: owner, uid: ${owner.metadata.uid}] does not exist in namespace "team-b"`,
    );
    expect(await exists("team-a", "owner")).toBe(true);
  });

  test("an object of the owner's name in the dependent's namespace, with another uid, changes nothing", async () => {
    const owner = await createCm("team-a", "owner");
    await createCm("team-b", "owner");
    await createCm("team-b", "crosses", { ownerReferences: [refTo(owner)] });
    await until("the dependent to be collected", async () => !(await exists("team-b", "crosses")));
    await until("the Warning Event", async () => (await invalidOwnerEvents("team-b", "crosses")).length > 0);
    expect(await exists("team-a", "owner")).toBe(true);
    expect(await exists("team-b", "owner")).toBe(true);
  });

  test("a uid that exists nowhere is only dangling (no Event); the search for it is made once", async () => {
    const ghost = { apiVersion: "v1", kind: "ConfigMap", name: "ghost", uid: "0f0e0d0c-0000-4000-8000-000000000000" };
    for (let i = 0; i < 5; i++) await createCm("team-b", `haunted-${i}`, { ownerReferences: [ghost] });
    await until("the dependents to be collected", async () => {
      for (let i = 0; i < 5; i++) if (await exists("team-b", `haunted-${i}`)) return false;
      return true;
    });
    expect(searches).toBe(1);
    await Bun.sleep(100);
    for (let i = 0; i < 5; i++) expect(await invalidOwnerEvents("team-b", `haunted-${i}`)).toEqual([]);
  });

  test("a cascade from an owner the collector saw deleted searches nothing", async () => {
    const owner = await createCm("team-a", "owner");
    for (let i = 0; i < 10; i++) await createCm("team-a", `kid-${i}`, { ownerReferences: [refTo(owner)] });
    await until("the graph to hold the kids", async () => gc.graph.size === 11);
    expect((await call("DELETE", `${cms("team-a")}/owner`)).status).toBe(200);
    await until("the kids to be collected", async () => {
      for (let i = 0; i < 10; i++) if (await exists("team-a", `kid-${i}`)) return false;
      return true;
    });
    expect(searches).toBe(0);
    expect(await invalidOwnerEvents("team-a", "kid-0")).toEqual([]);
  });
});
