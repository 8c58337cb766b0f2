// ResourceQuota with kubectl: the quota controller keeps status.hard and status.used current
// (`kubectl describe quota` shows the rows), and admission refuses a create past an object-count
// quota — built-in kinds by their legacy and `count/` names, custom resources by
// `count/<resource>.<group>` — with kube's 403; concurrent creates never overrun the limit.
import { describe, expect, test } from "bun:test";
import { stringify as stringifyYaml } from "yaml";
import { api, type KcpProcess, kubectl, useKcp } from "../helpers/kcp-process.ts";

let kcp: KcpProcess;

useKcp((k) => (kcp = k));

type Obj = Record<string, any>;

const widgetCRD = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "widgets.example.com" },
  spec: {
    group: "example.com",
    scope: "Namespaced",
    names: { plural: "widgets", singular: "widget", kind: "Widget" },
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
      },
    ],
  },
};

async function until<T>(what: string, read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(v)}`);
    await Bun.sleep(25);
  }
}

async function quotaStatus(namespace: string, name: string): Promise<Obj> {
  const res = await api(kcp, `/api/v1/namespaces/${namespace}/resourcequotas/${name}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as Obj).status ?? {};
}

async function ok(args: string[], stdin?: string): Promise<string> {
  const r = await kubectl(kcp, args, stdin === undefined ? {} : { stdin });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return r.stdout;
}

describe("resource quotas", () => {
  test("configmaps and count/widgets.example.com: creates beyond the limit are refused, describe shows used/hard", async () => {
    await ok(["create", "-f", "-"], JSON.stringify(widgetCRD));
    await until(
      "the widgets API",
      async () => (await api(kcp, "/apis/example.com/v1/widgets")).status,
      (s) => s === 200,
    );
    await ok(["create", "namespace", "quota-a"]);
    await ok(["-n", "quota-a", "create", "quota", "q", "--hard=configmaps=2,count/widgets.example.com=1"]);
    await until(
      "the quota's status",
      () => quotaStatus("quota-a", "q"),
      (s) => s.used?.configmaps === "0",
    );

    await ok(["-n", "quota-a", "create", "configmap", "c1"]);
    await ok(["-n", "quota-a", "create", "configmap", "c2"]);
    const third = await kubectl(kcp, ["-n", "quota-a", "create", "configmap", "c3"]);
    expect(third.code).toBe(1);
    expect(third.stderr).toContain(
      'configmaps "c3" is forbidden: exceeded quota: q, requested: configmaps=1, used: configmaps=2, limited: configmaps=2',
    );

    const widget = (name: string) =>
      stringifyYaml({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name, namespace: "quota-a" } });
    await ok(["create", "-f", "-"], widget("w1"));
    const second = await kubectl(kcp, ["create", "-f", "-"], { stdin: widget("w2") });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(
      'Error from server (Forbidden): error when creating "STDIN": widgets.example.com "w2" is forbidden: exceeded quota: q, requested: count/widgets.example.com=1, used: count/widgets.example.com=1, limited: count/widgets.example.com=1',
    );

    // The raw answer: kube's 403 Forbidden Status.
    const raw = await api(kcp, "/api/v1/namespaces/quota-a/configmaps", {
      method: "POST",
      body: JSON.stringify({ metadata: { name: "raw" } }),
    });
    expect(raw.status).toBe(403);
    const status = (await raw.json()) as Obj;
    expect(status.reason).toBe("Forbidden");
    expect(status.details).toEqual({ name: "raw", kind: "configmaps" });

    await until(
      "the quota's usage",
      () => quotaStatus("quota-a", "q"),
      (s) => s.used?.configmaps === "2" && s.used?.["count/widgets.example.com"] === "1",
    );
    const described = await ok(["-n", "quota-a", "describe", "quota", "q"]);
    expect(described).toMatch(/configmaps\s+2\s+2\n/);
    expect(described).toMatch(/count\/widgets\.example\.com\s+1\s+1\n/);
    // kubectl describe namespace lists the quota too.
    expect(await ok(["describe", "namespace", "quota-a"])).toMatch(/configmaps\s+2\s+2/);

    // Deleting frees a slot: the count follows.
    await ok(["-n", "quota-a", "delete", "configmap", "c1"]);
    await until(
      "the usage after a delete",
      () => quotaStatus("quota-a", "q"),
      (s) => s.used?.configmaps === "1",
    );
    await ok(["-n", "quota-a", "create", "configmap", "c3"]);
    // Other namespaces are not limited.
    await ok(["create", "namespace", "quota-free"]);
    for (const n of ["x1", "x2", "x3"]) await ok(["-n", "quota-free", "create", "configmap", n]);
  });

  test("10 concurrent creates against a limit of 3: exactly 3 succeed", async () => {
    await ok(["create", "namespace", "quota-race"]);
    await ok(["-n", "quota-race", "create", "quota", "three", "--hard=count/secrets=3"]);
    await until(
      "the quota's status",
      () => quotaStatus("quota-race", "three"),
      (s) => s.used?.["count/secrets"] === "0",
    );
    const codes = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const res = await api(kcp, "/api/v1/namespaces/quota-race/secrets", {
          method: "POST",
          body: JSON.stringify({ metadata: { name: `s${i}` }, stringData: { a: "b" } }),
        });
        await res.body?.cancel();
        return res.status;
      }),
    );
    expect(codes.filter((c) => c === 201)).toHaveLength(3);
    expect(codes.filter((c) => c === 403)).toHaveLength(7);
    const list = (await (await api(kcp, "/api/v1/namespaces/quota-race/secrets")).json()) as Obj;
    expect(list.items).toHaveLength(3);
    await until(
      "the quota's usage",
      () => quotaStatus("quota-race", "three"),
      (s) => s.used?.["count/secrets"] === "3",
    );
  });
});
