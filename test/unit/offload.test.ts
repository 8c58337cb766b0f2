// The offloaded tasks give in the worker what they give inline: random patches, applies and
// managed fields from a seeded PRNG, their errors as the same Status, and request keys that name
// Object.prototype's members crossing to the worker and back as plain own data.
import { afterAll, describe, expect, test } from "bun:test";
import { TASKS, type Tasks } from "../../src/apis/offload/offload-tasks.ts";
import { isLarge, runTask, stopOffload } from "../../src/apis/offload/offload.ts";
import { toPortableDef } from "../../src/apis/offload/portable-def.ts";
import type { KObject, ResourceDef } from "../../src/apis/types.ts";
import { builtinResources } from "../../src/apis/builtin/index.ts";
import { StatusError } from "../../src/machinery/status.ts";

afterAll(() => stopOffload());

/** mulberry32: the same inputs on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const defs = builtinResources({} as never);
const configMaps = defs.find((d) => d.group === "" && d.plural === "configmaps") as ResourceDef;
const def = toPortableDef(configMaps);
const NOW = "2026-01-02T03:04:05Z";

function randomData(rand: () => number, n: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < n; i++) out[`k${Math.floor(rand() * n * 2)}`] = `v${Math.floor(rand() * 1000)}`;
  return out;
}

function configMap(rand: () => number, n: number): KObject {
  const fins = Array.from({ length: Math.floor(rand() * 20) }, (_, i) => `x/f${i}`);
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "cm", namespace: "ns", ...(fins.length ? { finalizers: fins } : {}) },
    data: randomData(rand, n),
  };
}

function randomJsonPatch(rand: () => number, doc: KObject): unknown[] {
  const ops: unknown[] = [];
  let len = (doc.metadata.finalizers as string[] | undefined)?.length ?? 0;
  if (len === 0) {
    ops.push({ op: "add", path: "/metadata/finalizers", value: [] });
  }
  for (let i = 0; i < 50; i++) {
    const r = rand();
    if (r < 0.35 || len === 0) {
      const at = Math.floor(rand() * (len + 1));
      ops.push({ op: "add", path: `/metadata/finalizers/${at === len ? "-" : at}`, value: `x/a${i}` });
      len++;
    } else if (r < 0.6) {
      ops.push({ op: "remove", path: `/metadata/finalizers/${Math.floor(rand() * len)}` });
      len--;
    } else if (r < 0.75) {
      ops.push({ op: "replace", path: `/metadata/finalizers/${Math.floor(rand() * len)}`, value: `x/r${i}` });
    } else if (r < 0.85) {
      ops.push({
        op: "move",
        from: `/metadata/finalizers/${Math.floor(rand() * len)}`,
        path: "/metadata/finalizers/0",
      });
    } else if (r < 0.95) {
      ops.push({ op: "add", path: `/data/n${i}`, value: String(i) });
    } else {
      ops.push({ op: "copy", from: "/data", path: `/metadata/annotations` });
    }
  }
  return ops;
}

/** The task in the worker and inline on copies of the same input: the same value, or the same Status. */
async function same<N extends keyof Tasks>(task: N, input: Parameters<Tasks[N]>[0]): Promise<unknown> {
  let inline: unknown;
  let inlineError: StatusError | undefined;
  try {
    inline = (TASKS[task] as (i: unknown) => unknown)(structuredClone(input));
  } catch (e) {
    if (!(e instanceof StatusError)) throw e;
    inlineError = e;
  }
  let offloaded: unknown;
  let offloadedError: StatusError | undefined;
  try {
    offloaded = await runTask(task, structuredClone(input), true);
  } catch (e) {
    if (!(e instanceof StatusError)) throw e;
    offloadedError = e;
  }
  if (inlineError || offloadedError) {
    expect(offloadedError?.toStatus()).toEqual(inlineError?.toStatus() as never);
    return undefined;
  }
  expect(offloaded).toEqual(inline);
  return offloaded;
}

describe("the worker computes what the inline path computes", () => {
  test("JSON patches, 40 random ones", async () => {
    const rand = prng(16);
    for (let i = 0; i < 40; i++) {
      const target = configMap(rand, 30);
      await same("patch", { type: "json", def, target, patch: randomJsonPatch(rand, target) });
    }
  });

  test("merge and strategic merge patches, 40 random ones each", async () => {
    const rand = prng(17);
    for (let i = 0; i < 40; i++) {
      const target = configMap(rand, 30);
      const data: Record<string, string | null> = randomData(rand, 20);
      for (const k of Object.keys(target.data as object)) if (rand() < 0.2) data[k] = null;
      await same("patch", { type: "merge", def, target, patch: { data } });
      const fins = Array.from({ length: Math.floor(rand() * 10) }, (_, j) => `x/s${j}`);
      await same("patch", { type: "strategic", def, target, patch: { data, metadata: { finalizers: fins } } });
    }
  });

  test("server-side applies and the managed fields of updates, 20 random ones", async () => {
    const rand = prng(18);
    for (let i = 0; i < 20; i++) {
      const first = configMap(rand, 40);
      const created = (await same("apply", {
        write: { def, manager: "a", now: NOW },
        live: undefined,
        config: first,
        force: false,
      })) as KObject;
      const second = configMap(rand, 40);
      // Conflicts (409) unless forced: both paths must agree either way.
      await same("apply", {
        write: { def, manager: "b", now: NOW },
        live: created,
        config: second,
        force: rand() < 0.5,
      });
      const next = { ...structuredClone(created), data: randomData(rand, 40) };
      await same("trackUpdate", { write: { def, manager: "c", now: NOW }, live: created, next, requested: undefined });
    }
  });

  test("YAML documents, and a YAML error as the same 400", async () => {
    await same("parseYaml", { text: "a: 1\nb: [x, y]\nc: {d: e}\n", errorPrefix: "p" });
    await same("parseYaml", { text: "a: [1, 2\n", errorPrefix: "p" });
  });

  test("a failing JSON patch is the same 422 from the worker", async () => {
    const target = configMap(prng(19), 3);
    const patch = [{ op: "remove", path: "/data/missing" }];
    await same("patch", { type: "json", def, target, patch });
    const e = await runTask("patch", { type: "json", def, target, patch }, true).catch((x) => x);
    expect(e).toBeInstanceOf(StatusError);
    expect((e as StatusError).code).toBe(422);
  });
});

test("the worker holds a JSON Patch's copies to the maxCopyBytes it is given, and YAML to maxDecodedBytes", async () => {
  const target = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: { a: "x".repeat(1000) } };
  const copy = [{ op: "copy", from: "/data/a", path: "/data/b" }];
  // 1,002 bytes as JSON (the string and its quotes): just over a 1,001-byte limit, within a 1,002-byte one.
  const e = await runTask("patch", { type: "json", def, target, patch: copy, maxCopyBytes: 1001 }, true).catch(
    (x) => x,
  );
  expect(e).toBeInstanceOf(StatusError);
  expect((e as StatusError).code).toBe(422);
  expect(JSON.stringify((e as StatusError).details)).toContain("exceeding the limit 1001");
  const out = (await runTask("patch", { type: "json", def, target, patch: copy, maxCopyBytes: 1002 }, true)) as {
    data: Record<string, string>;
  };
  expect(out.data.b).toBe(target.data.a);
  const yaml = { text: `a: &a "${"y".repeat(100)}"\nb: *a\nc: *a\n`, errorPrefix: "p" };
  const big = await runTask("parseYaml", { ...yaml, maxDecodedBytes: 200 }, true).catch((x) => x);
  expect((big as StatusError).code).toBe(413);
  expect((big as StatusError).message).toContain("exceeds 200 bytes");
  expect(await runTask("parseYaml", { ...yaml, maxDecodedBytes: 400 }, true)).toEqual({
    a: "y".repeat(100),
    b: "y".repeat(100),
    c: "y".repeat(100),
  });
});

test("keys named after Object.prototype's members cross to the worker and back as own data", async () => {
  const names = ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"];
  const data = JSON.parse(`{${names.map((n) => `"${n}":"v-${n}"`).join(",")}}`) as Record<string, string>;
  const target = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "p" }, data: {} };
  const out = (await runTask("patch", { type: "merge", def, target, patch: { data } }, true)) as {
    data: Record<string, unknown>;
  };
  for (const n of names) {
    expect(Object.hasOwn(out.data, n)).toBe(true);
    expect(Object.getOwnPropertyDescriptor(out.data, n)?.value).toBe(`v-${n}`);
  }
  expect(Object.getPrototypeOf(out.data)).toBe(Object.prototype);
  expect(JSON.parse(JSON.stringify(out.data))).toEqual(JSON.parse(JSON.stringify(data)));
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

test("isLarge counts no further than the threshold, and says small inputs stay inline", () => {
  expect(isLarge({ a: 1 }, [1, 2, 3])).toBe(false);
  expect(isLarge({ data: randomData(prng(20), 3000) })).toBe(true);
  expect(isLarge(undefined, null, "x")).toBe(false);
});
