// No request blocks the others (issue 16, item 2), on a real kcp: while a large server-side apply
// or patch is being worked on, /readyz and another tenant's GET are answered first; the large
// requests' results are those of the inline path; /readyz keeps being answered while a large
// protobuf body is decoded and while a 20 MiB list is read and written, whose bytes are those of
// the old path (kubectl's chunked lists see every object); SIGTERM stops the server mid-request.
import { describe, expect, test } from "bun:test";
import { applyJsonPatch } from "../../src/machinery/patch/json-patch.ts";
import { decodeProtobufObject } from "../../src/apis/protobuf/decode-object.ts";
import type { StatusError } from "../../src/machinery/status.ts";
import { api, type KcpProcess, kubectl, startKcp, useKcp } from "../helpers/kcp-process.ts";
import { envelope, msg, str, stringMap } from "../helpers/protobuf-encoder.ts";

let kcp: KcpProcess;
useKcp((k) => (kcp = k));

const CM = "/api/v1/namespaces/default/configmaps";

function data(n: number, value: (i: number) => string): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < n; i++) out[`key-${String(i).padStart(5, "0")}`] = value(i);
  return out;
}

const configMap = (name: string, extra: Record<string, unknown>) =>
  JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name }, ...extra });

async function ok(r: Promise<Response>, status: number): Promise<Record<string, unknown>> {
  const res = await r;
  const text = await res.text();
  if (res.status !== status) throw new Error(`HTTP ${res.status}, want ${status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** Start `heavy`, then (once it is being worked on) the light requests; the order they finished in. */
async function finishingOrder(heavy: () => Promise<Response>, light: Record<string, () => Promise<Response>>) {
  const order: string[] = [];
  const done = (name: string) => async (r: Response) => {
    await r.text();
    order.push(name);
    return r.status;
  };
  const h = heavy().then(done("heavy"));
  // The heavy body (1-2 MiB) is sent and being worked on by then.
  await Bun.sleep(300);
  const statuses = await Promise.all([h, ...Object.entries(light).map(([name, f]) => f().then(done(name)))]);
  return { order, statuses };
}

describe("while a large request is worked on", () => {
  test("/readyz and another tenant's GET are answered before a 30,000-field apply finishes", async () => {
    await ok(
      api(kcp, "/clusters/quiet/api/v1/namespaces/default/configmaps", {
        method: "POST",
        body: configMap("small", { data: { a: "b" } }),
      }),
      201,
    );
    const body = configMap("wide", { data: data(30_000, (i) => `v${i}`) });
    await ok(
      api(kcp, `${CM}/wide?fieldManager=a`, {
        method: "PATCH",
        body,
        headers: { "Content-Type": "application/apply-patch+yaml" },
      }),
      201,
    );
    const forced = configMap("wide", { data: data(30_000, (i) => `w${i}`) });
    // A dry run: nothing is written, so the answer follows the work at once, as it would have
    // when the work held the event loop (readyz then came last).
    const { order, statuses } = await finishingOrder(
      () =>
        api(kcp, `${CM}/wide?fieldManager=b&force=true&dryRun=All`, {
          method: "PATCH",
          body: forced,
          headers: { "Content-Type": "application/apply-patch+yaml" },
        }),
      {
        readyz: () => api(kcp, "/readyz"),
        tenant: () => api(kcp, "/clusters/quiet/api/v1/namespaces/default/configmaps/small"),
      },
    );
    expect(statuses).toEqual([200, 200, 200]);
    expect(order.indexOf("readyz")).toBeLessThan(order.indexOf("heavy"));
    expect(order.indexOf("tenant")).toBeLessThan(order.indexOf("heavy"));
  }, 60_000);

  test("a JSON Patch of 10,000 operations on a large list: others first, and the result is the inline one", async () => {
    const finalizers = Array.from({ length: 20_000 }, (_, i) => `x/f${String(i).padStart(6, "0")}`);
    const created = await ok(
      api(kcp, CM, { method: "POST", body: configMap("list", { metadata: { name: "list", finalizers } }) }),
      201,
    );
    const ops = Array.from({ length: 10_000 }, (_, i) =>
      i % 3 === 0
        ? { op: "remove", path: "/metadata/finalizers/0" }
        : i % 3 === 1
          ? { op: "add", path: "/metadata/finalizers/5", value: `x/a${i}` }
          : { op: "replace", path: `/metadata/finalizers/${i % 1000}`, value: `x/r${i}` },
    );
    const patch = (dry: boolean) => () =>
      api(kcp, `${CM}/list${dry ? "?dryRun=All" : ""}`, {
        method: "PATCH",
        body: JSON.stringify(ops),
        headers: { "Content-Type": "application/json-patch+json" },
      });
    const { order, statuses } = await finishingOrder(patch(true), { readyz: () => api(kcp, "/readyz") });
    expect(statuses).toEqual([200, 200]);
    expect(order).toEqual(["readyz", "heavy"]);
    const patched = await ok(patch(false)(), 200);
    const expected = applyJsonPatch(created, ops) as { metadata: { finalizers: string[] } };
    expect((patched.metadata as { finalizers: string[] }).finalizers).toEqual(expected.metadata.finalizers);
  }, 60_000);

  test("large merge and strategic merge patches give the merged object", async () => {
    await ok(api(kcp, CM, { method: "POST", body: configMap("maps", { data: data(20_000, (i) => `v${i}`) }) }), 201);
    const merged = await ok(
      api(kcp, `${CM}/maps`, {
        method: "PATCH",
        body: JSON.stringify({ data: { ...data(10_000, (i) => `m${i}`), "key-19999": null } }),
        headers: { "Content-Type": "application/merge-patch+json" },
      }),
      200,
    );
    const d = merged.data as Record<string, string>;
    expect(Object.keys(d).length).toBe(19_999);
    expect([d["key-00000"], d["key-09999"], d["key-10000"], d["key-19999"]]).toEqual([
      "m0",
      "m9999",
      "v10000",
      undefined as never,
    ]);
    const fins = Array.from({ length: 5_000 }, (_, i) => `x/s${i}`);
    const smp = await ok(
      api(kcp, `${CM}/maps`, {
        method: "PATCH",
        body: JSON.stringify({ metadata: { finalizers: fins }, data: { "key-00000": "s0" } }),
        headers: { "Content-Type": "application/strategic-merge-patch+json" },
      }),
      200,
    );
    expect((smp.metadata as { finalizers: string[] }).finalizers).toEqual(fins);
    expect((smp.data as Record<string, string>)["key-00000"]).toBe("s0");
    const managers = (smp.metadata as { managedFields: { manager: string }[] }).managedFields.map((m) => m.manager);
    expect(managers.length).toBeGreaterThan(0);
  }, 60_000);
});

/** How many times /readyz answered while `heavy` ran (polled back to back from its start), and its value. */
async function readyzDuring<T>(heavy: Promise<T>): Promise<{ answers: number; value: T }> {
  let finished = false;
  const done = heavy.finally(() => {
    finished = true;
  });
  let answers = 0;
  while (!finished) {
    const r = await api(kcp, "/readyz");
    await r.text();
    if (r.status === 200 && !finished) answers++;
  }
  return { answers, value: await done };
}

/** A protobuf ConfigMap of `entries` data keys, and `tail` raw bytes after it (in the envelope's raw). */
function protobufConfigMap(name: string, entries: number, tail: number[] = []): Uint8Array {
  const data: Record<string, string> = {};
  for (let i = 0; i < entries; i++) data[`key-${String(i).padStart(6, "0")}`] = `value-${i}`;
  return envelope("v1", "ConfigMap", [...msg(1, str(1, name)), ...stringMap(2, data), ...tail]);
}

describe("large bodies and lists", () => {
  test("a large protobuf body is decoded off the loop: /readyz answers meanwhile, and its error is the inline one", async () => {
    // 45,000 map entries, then a field of the wrong wire type: a 400 found at the end of decoding.
    const body = protobufConfigMap("proto", 45_000, [(2 << 3) | 0, 1]);
    const expected = (() => {
      try {
        decodeProtobufObject(body, { group: "", version: "v1", kind: "ConfigMap" });
      } catch (e) {
        return (e as StatusError).toStatus();
      }
    })();
    expect(expected?.code).toBe(400);
    const { answers, value } = await readyzDuring(
      api(kcp, CM, { method: "POST", body, headers: { "Content-Type": "application/vnd.kubernetes.protobuf" } }).then(
        async (r) => ({ status: r.status, body: await r.json() }),
      ),
    );
    expect(value.status).toBe(400);
    expect(value.body).toEqual(expected as never);
    // Decoding on the loop held it for the whole request (0-2 answers, while the body was sent).
    expect(answers).toBeGreaterThanOrEqual(10);
    // Within the bounds, a large protobuf body still creates its object (in the worker).
    const created = await ok(
      api(kcp, CM, {
        method: "POST",
        body: protobufConfigMap("proto-ok", 5_000),
        headers: { "Content-Type": "application/vnd.kubernetes.protobuf" },
      }),
      201,
    );
    expect(Object.keys(created.data as object).length).toBe(5_000);
  }, 60_000);

  test("a large JSON body parsed in the worker: the same duplicate-field and syntax errors as a small one", async () => {
    const body = (n: number, tail: string) => {
      const data = Array.from({ length: n }, (_, i) => `"k${i}":"v${i}"`).join(",");
      return `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup${n}"},"data":{${data},"k1":"again"}${tail}`;
    };
    const answers: unknown[] = [];
    for (const n of [10, 10_000])
      for (const tail of ["}", "}x"]) {
        const r = await api(kcp, `${CM}?fieldValidation=Strict`, { method: "POST", body: body(n, tail) });
        const status = (await r.json()) as { code: number; message: string };
        answers.push([r.status, status.code, status.message.replace(`dup${n}`, "dup")]);
      }
    expect((answers[0] as unknown[])[0]).toBe(400);
    expect(String((answers[0] as unknown[])[2])).toContain('duplicate field "data.k1"');
    expect((answers[1] as unknown[])[0]).toBe(400);
    expect(answers.slice(2)).toEqual(answers.slice(0, 2));
  }, 60_000);

  test("a 20 MiB list: /readyz answers while it is read, and every client sees the same objects", async () => {
    const ns = "/api/v1/namespaces/big/configmaps";
    await ok(
      api(kcp, "/api/v1/namespaces", { method: "POST", body: JSON.stringify({ metadata: { name: "big" } }) }),
      201,
    );
    const value = "x".repeat(100_000);
    for (let i = 0; i < 200; i += 20)
      await Promise.all(
        Array.from({ length: 20 }, (_, j) =>
          ok(
            api(kcp, ns, {
              method: "POST",
              body: configMap(`big-${String(i + j).padStart(3, "0")}`, { data: { value } }),
            }),
            201,
          ),
        ),
      );
    // One page of 200 objects of 100 KiB: read, decoded and encoded at once, /readyz waited for
    // all of it before the answer's first byte; now it is answered between the steps.
    const { answers, value: res } = await readyzDuring(api(kcp, `${ns}?limit=500`));
    const text = await res.text();
    const list = JSON.parse(text) as {
      items: { metadata: { name: string; resourceVersion: string } }[];
      metadata: { resourceVersion: string };
    };
    expect(list.items.map((o) => o.metadata.name)).toEqual(
      Array.from({ length: 200 }, (_, i) => `big-${String(i).padStart(3, "0")}`),
    );
    expect(answers).toBeGreaterThanOrEqual(5);
    // Without a limit (streamed) the same objects. The list's own resourceVersion is the store's
    // revision, which the server's controllers may move meanwhile (a LogicalCluster status).
    const unlimited = JSON.parse(await (await api(kcp, ns)).text()) as typeof list & { kind: string };
    expect(unlimited.kind).toBe("ConfigMapList");
    expect(unlimited.items).toEqual(list.items);
    expect(Number(unlimited.metadata.resourceVersion)).toBeGreaterThanOrEqual(Number(list.metadata.resourceVersion));
    // kubectl's chunked lists (-o json and the Table) follow the continue tokens to every object.
    const json = await kubectl(kcp, ["get", "configmaps", "-n", "big", "-o", "json", "--chunk-size=30"]);
    expect(json.code).toBe(0);
    const viaKubectl = JSON.parse(json.stdout) as { items: { metadata: { name: string } }[] };
    expect(viaKubectl.items.map((o) => o.metadata.name)).toEqual(list.items.map((o) => o.metadata.name));
    const table = await kubectl(kcp, ["get", "configmaps", "-n", "big", "--chunk-size=30", "--no-headers"]);
    expect(table.code).toBe(0);
    expect(
      table.stdout
        .trim()
        .split("\n")
        .filter((l) => l.startsWith("big-")).length,
    ).toBe(200);
  }, 120_000);
});

test("SIGTERM stops kcp while a large apply is being worked on", async () => {
  const own = await startKcp();
  try {
    const body = configMap("wide", { data: data(30_000, (i) => `v${i}`) });
    const heavy = api(own, `${CM}/wide?fieldManager=a`, {
      method: "PATCH",
      body,
      headers: { "Content-Type": "application/apply-patch+yaml" },
    }).then(
      (r) => r.status,
      () => "closed",
    );
    await Bun.sleep(300);
    const exited = own.stop("SIGTERM");
    // The grace for in-flight requests is 10 s; give start-up noise on a loaded machine some room.
    const code = await Promise.race([exited, Bun.sleep(20_000).then(() => "still running")]);
    expect(code).toBe(0);
    expect(own.output()).toContain("kcp stopped");
    // The apply finished within the grace, or its connection closed with the server: never a hang.
    expect([201, 503, "closed"]).toContain(await heavy);
  } finally {
    await own.kill9();
  }
}, 60_000);
