// The two Event APIs serve one set of objects, as on kube: with the real kubectl, an event a
// controller wrote through events.k8s.io/v1 shows in `kubectl get events` and `kubectl describe`,
// and one written through core/v1 shows in `kubectl get events.v1.events.k8s.io`.
import { describe, expect, test } from "bun:test";
import { parseTable } from "../helpers/kubectl-table.ts";
import { type KcpProcess, kubectl, useKcp } from "../helpers/kcp-process.ts";

let kcp: KcpProcess;

useKcp((k) => (kcp = k));

const newStyle = JSON.stringify({
  apiVersion: "events.k8s.io/v1",
  kind: "Event",
  metadata: { name: "synced.1", namespace: "default" },
  eventTime: "2026-01-01T00:00:00.000000Z",
  reportingController: "example.com/syncer",
  reportingInstance: "syncer-1",
  action: "Sync",
  reason: "Synced",
  type: "Normal",
  note: "synced from upstream",
  regarding: { apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "cfg" },
});

const oldStyle = JSON.stringify({
  apiVersion: "v1",
  kind: "Event",
  metadata: { name: "started.1", namespace: "default" },
  involvedObject: { apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "other" },
  reason: "Started",
  message: "started by hand",
  source: { component: "operator" },
  firstTimestamp: "2026-01-01T00:00:00Z",
  lastTimestamp: "2026-01-01T00:00:00Z",
  count: 4,
  type: "Warning",
});

describe("one Events store through kubectl", () => {
  test("kubectl get events shows an event created through events.k8s.io/v1", async () => {
    const created = await kubectl(kcp, ["create", "-f", "-"], { stdin: newStyle });
    expect(created.stderr).toBe("");
    expect(created.stdout.trim()).toBe("event.events.k8s.io/synced.1 created");
    const got = await kubectl(kcp, ["get", "events", "-n", "default"]);
    expect(got.code).toBe(0);
    const rows = parseTable(got.stdout);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      TYPE: "Normal",
      REASON: "Synced",
      OBJECT: "configmap/cfg",
      MESSAGE: "synced from upstream",
    });
    const json = await kubectl(kcp, ["get", "events", "-n", "default", "synced.1", "-o", "json"]);
    const obj = JSON.parse(json.stdout);
    expect(obj.apiVersion).toBe("v1");
    expect(obj.involvedObject.name).toBe("cfg");
    expect(obj.reportingComponent).toBe("example.com/syncer");
    expect(obj.note).toBeUndefined();
  }, 30_000);

  test("kubectl describe finds the events.k8s.io/v1 event of its object", async () => {
    expect((await kubectl(kcp, ["create", "configmap", "described", "-n", "default"])).code).toBe(0);
    const uid = (
      await kubectl(kcp, ["get", "configmap", "described", "-n", "default", "-o", "jsonpath={.metadata.uid}"])
    ).stdout;
    const ev = JSON.parse(newStyle);
    ev.metadata.name = "described.1";
    ev.note = "described from upstream";
    ev.regarding = { apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "described", uid };
    expect((await kubectl(kcp, ["create", "-f", "-"], { stdin: JSON.stringify(ev) })).code).toBe(0);
    // describe asks core/v1 for the events whose involvedObject is the config map (kind, name, namespace, uid).
    const described = await kubectl(kcp, ["describe", "configmap", "described", "-n", "default"]);
    expect(described.code).toBe(0);
    expect(described.stdout).toMatch(/Normal\s+Synced\s+.*example\.com\/syncer\s+described from upstream/);
    expect((await kubectl(kcp, ["delete", "events", "-n", "default", "described.1"])).code).toBe(0);
  }, 30_000);

  test("kubectl get events.v1.events.k8s.io shows an event created through core/v1", async () => {
    const created = await kubectl(kcp, ["create", "-f", "-"], { stdin: oldStyle });
    expect(created.stderr).toBe("");
    expect(created.stdout.trim()).toBe("event/started.1 created");
    const got = await kubectl(kcp, [
      "get",
      "events.v1.events.k8s.io",
      "-n",
      "default",
      "--field-selector",
      "regarding.name=other",
    ]);
    expect(got.code).toBe(0);
    const rows = parseTable(got.stdout);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      TYPE: "Warning",
      REASON: "Started",
      OBJECT: "configmap/other",
      MESSAGE: "started by hand",
    });
    const yaml = await kubectl(kcp, ["get", "events.v1.events.k8s.io", "-n", "default", "started.1", "-o", "json"]);
    const obj = JSON.parse(yaml.stdout);
    expect(obj.apiVersion).toBe("events.k8s.io/v1");
    expect(obj.note).toBe("started by hand");
    expect(obj.deprecatedCount).toBe(4);
    expect(obj.deprecatedSource).toEqual({ component: "operator" });
    expect(obj.message).toBeUndefined();
  }, 30_000);

  test("kubectl delete through one API removes the event from the other", async () => {
    const del = await kubectl(kcp, ["delete", "events.v1.events.k8s.io", "-n", "default", "synced.1"]);
    expect(del.code).toBe(0);
    const names = await kubectl(kcp, ["get", "events", "-n", "default", "-o", "name"]);
    expect(names.stdout.trim().split("\n")).toEqual(["event/started.1"]);
  }, 30_000);
});
