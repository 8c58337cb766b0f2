// The admission chain: mutating plugins, then validating plugins, each in registration order,
// stopping at the first error; and, through a real ObjectStore on SQLite, what plugins see of
// creates, updates (main resource and /status), deletes and dry runs, and that a plugin added
// without touching the store changes or refuses writes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AdmissionChain } from "../../src/admission/chain.ts";
import type { AdmissionAttributes, AdmissionOperation, AdmissionPlugin } from "../../src/apis/admission.ts";
import { ObjectStore } from "../../src/apis/store.ts";
import type { KObject, ResourceDef } from "../../src/apis/types.ts";
import { adminUser } from "../../src/auth/token-authenticator.ts";
import { errors, StatusError } from "../../src/machinery/status.ts";
import { requestContext } from "../../src/server/rest/request-context.ts";
import { DEFAULT_PREFIX } from "../../src/storage/keys.ts";
import { SqliteStorage } from "../../src/storage/sqlite/sqlite-storage.ts";

const ALL: AdmissionOperation[] = ["CREATE", "UPDATE", "DELETE"];

function attrs(operation: AdmissionOperation): AdmissionAttributes {
  const ctx = requestContext("admin", adminUser(), new URLSearchParams());
  return {
    operation,
    def: {} as ResourceDef,
    subresource: undefined,
    name: "x",
    namespace: undefined,
    object: { metadata: {} },
    oldObject: undefined,
    user: ctx.user,
    dryRun: false,
    ctx,
  };
}

/** A plugin that logs its steps into `log`, synchronously or after a tick. */
function logging(
  name: string,
  log: string[],
  opts: {
    ops?: AdmissionOperation[];
    async?: boolean;
    mutate?: boolean;
    validate?: boolean;
    fail?: "admit" | "validate";
  } = {},
): AdmissionPlugin {
  const ops = opts.ops ?? ALL;
  const step = (what: "admit" | "validate") => (a: AdmissionAttributes) => {
    const act = () => {
      log.push(`${name}.${what}(${a.operation})`);
      if (opts.fail === what) throw errors.forbidden(`${name} says no`, { group: "", resource: "things" }, a.name);
    };
    if (!opts.async) return act();
    return Bun.sleep(1).then(act);
  };
  return {
    name,
    handles: (op) => ops.includes(op),
    ...(opts.mutate !== false ? { admit: step("admit") } : {}),
    ...(opts.validate !== false ? { validate: step("validate") } : {}),
  };
}

/** The object (or old object) a plugin recorded at its `i`th call. */
function seenObject(seen: Record<string, unknown>[], i: number, key: "object" | "oldObject"): KObject {
  const o = seen[i]?.[key];
  if (!o) throw new Error(`call ${i} saw no ${key}`);
  return o as KObject;
}

async function runBoth(chain: AdmissionChain, a: AdmissionAttributes): Promise<void> {
  await chain.admit(a);
  await chain.validate(a);
}

describe("the chain", () => {
  test("runs every mutating plugin, then every validating plugin, each in registration order", async () => {
    const log: string[] = [];
    const chain = new AdmissionChain([
      logging("a", log),
      logging("b", log, { async: true }),
      logging("c", log, { mutate: false }),
      logging("d", log, { validate: false, async: true }),
    ]);
    await runBoth(chain, attrs("CREATE"));
    expect(log).toEqual([
      "a.admit(CREATE)",
      "b.admit(CREATE)",
      "d.admit(CREATE)",
      "a.validate(CREATE)",
      "b.validate(CREATE)",
      "c.validate(CREATE)",
    ]);
  });

  test("asks each plugin which operations it handles, and says when a step has nobody", async () => {
    const log: string[] = [];
    const chain = new AdmissionChain([
      logging("creates", log, { ops: ["CREATE"] }),
      logging("deletes", log, { ops: ["DELETE"], mutate: false }),
    ]);
    expect([chain.mutates("CREATE"), chain.validates("CREATE")]).toEqual([true, true]);
    expect([chain.mutates("UPDATE"), chain.validates("UPDATE")]).toEqual([false, false]);
    expect([chain.mutates("DELETE"), chain.validates("DELETE")]).toEqual([false, true]);
    await runBoth(chain, attrs("UPDATE"));
    await runBoth(chain, attrs("DELETE"));
    expect(log).toEqual(["deletes.validate(DELETE)"]);
  });

  test("synchronous plugins cost no promise", () => {
    const log: string[] = [];
    const chain = new AdmissionChain([logging("a", log), logging("b", log)]);
    expect(chain.admit(attrs("CREATE"))).toBeUndefined();
    expect(chain.validate(attrs("CREATE"))).toBeUndefined();
    expect(new AdmissionChain([]).validate(attrs("CREATE"))).toBeUndefined();
  });

  test("a value that is not a promise counts as a synchronous answer; a thenable is waited for", async () => {
    const log: string[] = [];
    const odd = (name: string, value: unknown): AdmissionPlugin => ({
      name,
      handles: () => true,
      validate: () => {
        log.push(name);
        return value as undefined;
      },
    });
    const sync = new AdmissionChain([odd("false", false), odd("null", null), odd("zero", 0)]);
    expect(sync.validate(attrs("CREATE"))).toBeUndefined();
    expect(log).toEqual(["false", "null", "zero"]);
    log.length = 0;
    let resolved = false;
    const thenable = {
      // biome-ignore lint/suspicious/noThenProperty: a promise-like object of another library is what this checks
      then: (ok: () => void) =>
        setTimeout(() => {
          resolved = true;
          ok();
        }, 1),
    };
    const waiting = new AdmissionChain([odd("thenable", thenable), odd("after", undefined)]);
    const pending = waiting.validate(attrs("CREATE"));
    expect(pending).toBeInstanceOf(Promise);
    expect(log).toEqual(["thenable"]);
    await pending;
    expect(resolved).toBe(true);
    expect(log).toEqual(["thenable", "after"]);
  });

  test("the first error stops the chain and comes out as it was thrown", async () => {
    for (const async of [false, true]) {
      const log: string[] = [];
      const chain = new AdmissionChain([
        logging("a", log),
        logging("b", log, { async, fail: "admit" }),
        logging("c", log),
      ]);
      const err = await runBoth(chain, attrs("UPDATE")).then(
        () => undefined,
        (e) => e,
      );
      expect(err).toBeInstanceOf(StatusError);
      expect((err as StatusError).code).toBe(403);
      expect((err as StatusError).message).toBe("b says no");
      expect(log).toEqual(["a.admit(UPDATE)", "b.admit(UPDATE)"]);
    }
    const log: string[] = [];
    const chain = new AdmissionChain([logging("a", log, { async: true, fail: "validate" }), logging("b", log)]);
    await expect(runBoth(chain, attrs("DELETE"))).rejects.toThrow("a says no");
    expect(log).toEqual(["a.admit(DELETE)", "b.admit(DELETE)", "a.validate(DELETE)"]);
  });

  test("a plugin name may be registered once", () => {
    expect(() => new AdmissionChain([logging("a", []), logging("a", [])])).toThrow("registered twice");
  });
});

describe("through the store", () => {
  let dir: string;
  let storage: SqliteStorage;

  const widgets: ResourceDef = {
    group: "example.com",
    version: "v1",
    plural: "widgets",
    singular: "widget",
    kind: "Widget",
    listKind: "WidgetList",
    namespaced: true,
    verbs: ["create", "get", "list", "update", "patch", "delete"],
    subresources: [{ name: "status", verbs: ["get", "update", "patch"] }],
    mode: "stored",
    source: "crd",
    strategy: { hasStatus: true, tracksGeneration: true },
  };
  const ctx = (dryRun = false) => {
    const c = requestContext("admin", adminUser(), new URLSearchParams());
    c.dryRun = dryRun;
    return c;
  };

  /** A plugin that records what it saw (a snapshot of the attributes) and may act on it. */
  function recorder(
    seen: Record<string, unknown>[],
    act?: { admit?: (a: AdmissionAttributes) => void; validate?: (a: AdmissionAttributes) => void },
  ): AdmissionPlugin {
    const snap = (step: string, a: AdmissionAttributes) =>
      seen.push({
        step,
        operation: a.operation,
        resource: a.def.plural,
        subresource: a.subresource,
        name: a.name,
        namespace: a.namespace,
        object: a.object && structuredClone(a.object),
        oldObject: a.oldObject && structuredClone(a.oldObject),
        user: a.user.username,
        dryRun: a.dryRun,
      });
    return {
      name: "Recorder",
      handles: () => true,
      admit(a) {
        snap("admit", a);
        act?.admit?.(a);
      },
      async validate(a) {
        snap("validate", a);
        act?.validate?.(a);
      },
    };
  }

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "kcp-admission-"));
    storage = SqliteStorage.open(join(dir, "kcp.db"));
  });

  afterAll(async () => {
    await storage?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("plugins see create, update, status update and delete, with their attributes", async () => {
    const seen: Record<string, unknown>[] = [];
    const store = new ObjectStore(storage, DEFAULT_PREFIX, new AdmissionChain([recorder(seen)]));
    const created = await store.create(widgets, ctx(), { metadata: { name: "w" }, spec: { size: 1 } } as KObject, "ns");
    expect(
      seen.map((s) => [
        s.step,
        s.operation,
        s.resource,
        s.subresource,
        s.name,
        s.namespace,
        s.oldObject,
        s.user,
        s.dryRun,
      ]),
    ).toEqual([
      ["admit", "CREATE", "widgets", undefined, "w", "ns", undefined, adminUser().username, false],
      ["validate", "CREATE", "widgets", undefined, "w", "ns", undefined, adminUser().username, false],
    ]);
    // Mutating admission comes before the strategy fills in the system fields; validating after.
    expect(seenObject(seen, 0, "object").metadata.uid).toBeUndefined();
    expect(seenObject(seen, 1, "object").metadata.uid).toBe(created.metadata.uid);
    expect(seenObject(seen, 1, "object").metadata.generation).toBe(1);

    seen.length = 0;
    await store.update(widgets, ctx(), "ns", "w", (cur) => ({ ...cur, spec: { size: 2 } }));
    expect(seen.map((s) => [s.step, s.operation, s.subresource, s.name, s.namespace])).toEqual([
      ["admit", "UPDATE", undefined, "w", "ns"],
      ["validate", "UPDATE", undefined, "w", "ns"],
    ]);
    expect(seenObject(seen, 0, "oldObject").spec).toEqual({ size: 1 });
    expect(seenObject(seen, 0, "object").spec).toEqual({ size: 2 });
    expect(seenObject(seen, 1, "object").metadata.generation).toBe(2);

    seen.length = 0;
    await store.update(widgets, ctx(), "ns", "w", (cur) => ({ ...cur, status: { ready: true } }), {
      subresource: "status",
    });
    expect(seen.map((s) => [s.step, s.operation, s.subresource])).toEqual([
      ["admit", "UPDATE", "status"],
      ["validate", "UPDATE", "status"],
    ]);
    expect(seenObject(seen, 1, "object").status).toEqual({ ready: true });

    seen.length = 0;
    const { deleted } = await store.delete(widgets, ctx(), "ns", "w");
    expect(deleted).toBe(true);
    expect(seen.map((s) => [s.step, s.operation, s.name, s.namespace, s.object])).toEqual([
      ["admit", "DELETE", "w", "ns", undefined],
      ["validate", "DELETE", "w", "ns", undefined],
    ]);
    expect(seenObject(seen, 0, "oldObject").status).toEqual({ ready: true });
  });

  test("a mutating plugin's change is stored; a validating plugin's refusal stops the write", async () => {
    const store = new ObjectStore(
      storage,
      DEFAULT_PREFIX,
      new AdmissionChain([
        {
          name: "Labeller",
          handles: (op) => op !== "DELETE",
          admit(a) {
            if (a.object)
              a.object.metadata.labels = { ...a.object.metadata.labels, admitted: a.operation.toLowerCase() };
          },
        },
        {
          name: "Guard",
          handles: () => true,
          validate(a) {
            const obj = a.object ?? a.oldObject;
            if (obj?.metadata.labels?.locked === "true")
              throw errors.forbidden(
                `widgets "${a.name}" is locked`,
                { group: "example.com", resource: "widgets" },
                a.name,
              );
          },
        },
      ]),
    );
    const created = await store.create(widgets, ctx(), { metadata: { name: "m" } } as KObject, "ns");
    expect(created.metadata.labels).toEqual({ admitted: "create" });
    expect((await store.get(widgets, "admin", "ns", "m")).metadata.labels).toEqual({ admitted: "create" });
    const { object } = await store.update(widgets, ctx(), "ns", "m", (cur) => ({ ...cur, spec: { size: 3 } }));
    expect(object.metadata.labels).toEqual({ admitted: "update" });

    await expect(
      store.create(widgets, ctx(), { metadata: { name: "l", labels: { locked: "true" } } } as KObject, "ns"),
    ).rejects.toThrow('widgets "l" is locked');
    expect(await store.tryGet(widgets, "admin", "ns", "l")).toBeNull();
    await expect(
      store.update(widgets, ctx(), "ns", "m", (cur) => ({
        ...cur,
        metadata: { ...cur.metadata, labels: { locked: "true" } },
      })),
    ).rejects.toThrow('widgets "m" is locked');
    expect((await store.get(widgets, "admin", "ns", "m")).metadata.labels).toEqual({ admitted: "update" });

    // Locked behind the store's back: the delete is refused too.
    const plain = new ObjectStore(storage, DEFAULT_PREFIX);
    await plain.update(widgets, ctx(), "ns", "m", (cur) => ({
      ...cur,
      metadata: { ...cur.metadata, labels: { locked: "true" } },
    }));
    await expect(store.delete(widgets, ctx(), "ns", "m")).rejects.toThrow('widgets "m" is locked');
    expect(await store.tryGet(widgets, "admin", "ns", "m")).not.toBeNull();
    expect((await plain.delete(widgets, ctx(), "ns", "m")).deleted).toBe(true);
  });

  test("a dry run runs admission", async () => {
    const seen: Record<string, unknown>[] = [];
    const store = new ObjectStore(storage, DEFAULT_PREFIX, new AdmissionChain([recorder(seen)]));
    await store.create(widgets, ctx(true), { metadata: { name: "d" } } as KObject, "ns");
    expect(await store.tryGet(widgets, "admin", "ns", "d")).toBeNull();
    await store.create(widgets, ctx(), { metadata: { name: "d" } } as KObject, "ns");
    await store.update(widgets, ctx(true), "ns", "d", (cur) => ({ ...cur, spec: { size: 9 } }));
    await store.delete(widgets, ctx(true), "ns", "d");
    expect(seen.map((s) => [s.step, s.operation, s.dryRun])).toEqual([
      ["admit", "CREATE", true],
      ["validate", "CREATE", true],
      ["admit", "CREATE", false],
      ["validate", "CREATE", false],
      ["admit", "UPDATE", true],
      ["validate", "UPDATE", true],
      ["admit", "DELETE", true],
      ["validate", "DELETE", true],
    ]);
    expect((await store.get(widgets, "admin", "ns", "d")).spec).toBeUndefined();
  });
});
