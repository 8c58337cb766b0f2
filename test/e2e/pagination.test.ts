// Chunked lists (`limit`/`continue`) with one consistent resourceVersion across pages, and field
// selectors as kubectl sends them.
import { describe, expect, test } from "bun:test";
import { stringify as stringifyYaml } from "yaml";
import { api, type KcpProcess, kubectl, useKcp } from "../helpers/kcp-process.ts";

let kcp: KcpProcess;
const NS = "paged";
const NAMES = ["cm-1", "cm-2", "cm-3", "cm-4", "cm-5", "cm-6", "cm-7"];

type Obj = Record<string, any>;
const JSON_HEADERS = { "Content-Type": "application/json" };

useKcp((k) => (kcp = k), {
  setup: async () => {
    const docs = [
      { apiVersion: "v1", kind: "Namespace", metadata: { name: NS } },
      ...NAMES.map((name, i) => ({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name, namespace: NS, labels: { parity: i % 2 ? "odd" : "even" } },
      })),
    ];
    const r = await kubectl(kcp, ["create", "--validate=false", "-f", "-"], {
      stdin: docs.map((d) => stringifyYaml(d)).join("---\n"),
    });
    expect(r.code).toBe(0);
  },
});

async function getList(path: string): Promise<Obj> {
  const res = await api(kcp, path);
  expect(res.status).toBe(200);
  return (await res.json()) as Obj;
}

describe("pagination", () => {
  test("kubectl get --chunk-size=2 returns all 7, in four requests", async () => {
    const r = await kubectl(kcp, ["get", "cm", "-n", NS, "--chunk-size=2", "-o", "name", "-v=6"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split("\n")).toEqual(NAMES.map((n) => `configmap/${n}`));
    const lists = [
      ...r.stderr.matchAll(/https:\/\/127\.0\.0\.1:\d+(\/api\/v1\/namespaces\/paged\/configmaps\?[^\s"]*)/g),
    ].map((m) => m[1]);
    expect(lists).toHaveLength(4);
    expect(lists[0]).toBe("/api/v1/namespaces/paged/configmaps?limit=2");
    for (const next of lists.slice(1)) expect(next).toMatch(/[?&]continue=[^&]+/);
  });

  test("the table form (NAME/AGE) pages too", async () => {
    const r = await kubectl(kcp, ["get", "cm", "-n", NS, "--chunk-size=3"]);
    expect(r.code).toBe(0);
    const names = r.stdout
      .trim()
      .split("\n")
      .slice(1)
      .map((l) => l.split(/\s+/)[0]);
    expect(names).toEqual(NAMES);
  });

  test("raw limit/continue: every page has the first page's resourceVersion, and later writes stay out", async () => {
    const path = `/api/v1/namespaces/${NS}/configmaps`;
    const first = await getList(`${path}?limit=3`);
    expect(first.items.map((i: Obj) => i.metadata.name)).toEqual(["cm-1", "cm-2", "cm-3"]);
    expect(first.metadata.remainingItemCount).toBe(4);
    expect(typeof first.metadata.continue).toBe("string");
    const rv = first.metadata.resourceVersion;

    // A write between pages: the snapshot does not change.
    const res = await api(kcp, `${path}`, {
      method: "POST",
      body: JSON.stringify({ metadata: { name: "cm-55" } }),
      headers: JSON_HEADERS,
    });
    expect(res.status).toBe(201);
    const del = await api(kcp, `${path}/cm-6`, { method: "DELETE" });
    expect(del.status).toBe(200);

    const second = await getList(`${path}?limit=3&continue=${encodeURIComponent(first.metadata.continue)}`);
    expect(second.metadata.resourceVersion).toBe(rv);
    expect(second.items.map((i: Obj) => i.metadata.name)).toEqual(["cm-4", "cm-5", "cm-6"]);
    expect(second.metadata.remainingItemCount).toBe(1);
    const third = await getList(`${path}?limit=3&continue=${encodeURIComponent(second.metadata.continue)}`);
    expect(third.metadata.resourceVersion).toBe(rv);
    expect(third.items.map((i: Obj) => i.metadata.name)).toEqual(["cm-7"]);
    expect(third.metadata.continue).toBeUndefined();
    expect(third.metadata.remainingItemCount).toBeUndefined();

    // A fresh list sees the writes.
    const now = await getList(path);
    expect(now.items.map((i: Obj) => i.metadata.name)).toEqual([
      "cm-1",
      "cm-2",
      "cm-3",
      "cm-4",
      "cm-5",
      "cm-55",
      "cm-7",
    ]);
    expect(Number(now.metadata.resourceVersion)).toBeGreaterThan(Number(rv));

    // Restore for the other tests.
    await api(kcp, `${path}/cm-55`, { method: "DELETE" });
    await api(kcp, path, {
      method: "POST",
      body: JSON.stringify({ metadata: { name: "cm-6", labels: { parity: "odd" } } }),
      headers: JSON_HEADERS,
    });
  });

  test("limit with a label selector pages over the matching objects only", async () => {
    const path = `/api/v1/namespaces/${NS}/configmaps?labelSelector=parity%3Deven&limit=2`;
    const first = await getList(path);
    expect(first.items.map((i: Obj) => i.metadata.name)).toEqual(["cm-1", "cm-3"]);
    const second = await getList(`${path}&continue=${encodeURIComponent(first.metadata.continue)}`);
    expect(second.items.map((i: Obj) => i.metadata.name)).toEqual(["cm-5", "cm-7"]);
    expect(second.metadata.continue ?? "").toBe("");
  });

  test("continue with a resourceVersion, or a garbled token, is 400", async () => {
    const first = await getList(`/api/v1/namespaces/${NS}/configmaps?limit=2`);
    const both = await api(
      kcp,
      `/api/v1/namespaces/${NS}/configmaps?limit=2&continue=${encodeURIComponent(first.metadata.continue)}&resourceVersion=${first.metadata.resourceVersion}`,
    );
    expect(both.status).toBe(400);
    expect(((await both.json()) as Obj).message).toBe("specifying resource version is not allowed when using continue");
    const garbled = await api(kcp, `/api/v1/namespaces/${NS}/configmaps?limit=2&continue=not-a-token`);
    expect(garbled.status).toBe(400);
    expect(((await garbled.json()) as Obj).reason).toBe("BadRequest");
  });
});

describe("field selectors", () => {
  test("metadata.name with kubectl get --field-selector (=, ==, !=)", async () => {
    const eq = await kubectl(kcp, ["get", "cm", "-n", NS, "--field-selector", "metadata.name=cm-4", "-o", "name"]);
    expect(eq.stdout).toBe("configmap/cm-4\n");
    const eqeq = await kubectl(kcp, ["get", "cm", "-n", NS, "--field-selector", "metadata.name==cm-2", "-o", "name"]);
    expect(eqeq.stdout).toBe("configmap/cm-2\n");
    const ne = await kubectl(kcp, ["get", "cm", "-n", NS, "--field-selector", "metadata.name!=cm-4", "-o", "name"]);
    expect(ne.stdout.trim().split("\n")).toEqual(NAMES.filter((n) => n !== "cm-4").map((n) => `configmap/${n}`));
    const ns = await kubectl(kcp, [
      "get",
      "cm",
      "-A",
      "--field-selector",
      `metadata.namespace=${NS},metadata.name=cm-7`,
      "-o",
      "name",
    ]);
    expect(ns.stdout).toBe("configmap/cm-7\n");
  });

  test("events by involvedObject.name", async () => {
    const event = (name: string, target: string) => ({
      apiVersion: "v1",
      kind: "Event",
      metadata: { name, namespace: NS },
      involvedObject: { kind: "ConfigMap", name: target, namespace: NS, apiVersion: "v1" },
      reason: "Tested",
      message: `about ${target}`,
      type: "Normal",
      source: { component: "e2e" },
    });
    const r = await kubectl(kcp, ["create", "--validate=false", "-f", "-"], {
      stdin: [event("ev-a", "cm-1"), event("ev-b", "cm-2"), event("ev-c", "cm-1")]
        .map((e) => stringifyYaml(e))
        .join("---\n"),
    });
    expect(r.stderr).toBe("");
    const got = await kubectl(kcp, [
      "get",
      "events",
      "-n",
      NS,
      "--field-selector",
      "involvedObject.name=cm-1",
      "-o",
      "name",
    ]);
    expect(got.stdout.trim().split("\n")).toEqual(["event/ev-a", "event/ev-c"]);
    const both = await kubectl(kcp, [
      "get",
      "events",
      "-n",
      NS,
      "--field-selector",
      "involvedObject.kind=ConfigMap,involvedObject.name=cm-2,type=Normal",
      "-o",
      "name",
    ]);
    expect(both.stdout).toBe("event/ev-b\n");
  });

  test("an unsupported field is 400, worded as kube-apiserver words it per kind", async () => {
    const cm = await kubectl(kcp, ["get", "cm", "-n", NS, "--field-selector", "data.k=v"]);
    expect(cm.code).toBe(1);
    expect(cm.stderr).toContain(
      'Error from server (BadRequest): Unable to find "/v1, Resource=configmaps" that match label selector "", field selector "data.k=v": "data.k" is not a known field selector: only "metadata.name", "metadata.namespace"',
    );
    const ev = await kubectl(kcp, ["get", "events", "-n", NS, "--field-selector", "bogus=x"]);
    expect(ev.code).toBe(1);
    expect(ev.stderr).toContain(
      'Error from server (BadRequest): Unable to find "/v1, Resource=events" that match label selector "", field selector "bogus=x": field label not supported: bogus',
    );
  });
});
