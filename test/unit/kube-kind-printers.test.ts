import { describe, expect, test } from "bun:test";
import { kubeKindTableConvertor } from "../../src/apis/crd/kube-kind-printers.ts";
import type { KObject, ResourceDef } from "../../src/apis/types.ts";
import { tableConvertorOf } from "../../src/server/table/table-output.ts";

const created = new Date(Date.now() - 90_400).toISOString();

function deployment(spec: Record<string, unknown>, status?: Record<string, unknown>): KObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "d", creationTimestamp: created },
    spec: {
      selector: {
        matchLabels: { app: "web" },
        matchExpressions: [{ key: "tier", operator: "In", values: ["b", "a"] }],
      },
      template: {
        spec: {
          containers: [
            { name: "a", image: "nginx" },
            { name: "b", image: "busybox:1" },
          ],
        },
      },
      ...spec,
    },
    ...(status ? { status } : {}),
  };
}

describe("kube's columns for workload kinds served by CRDs", () => {
  test("Deployment: READY is ready/desired, absent replicas mean 1, wide columns", () => {
    const t = kubeKindTableConvertor("apps", "v1", "Deployment");
    expect(t?.columns.map((c) => c.name)).toEqual([
      "Name",
      "Ready",
      "Up-to-date",
      "Available",
      "Age",
      "Containers",
      "Images",
      "Selector",
    ]);
    expect(t?.columns.filter((c) => c.priority === 1).map((c) => c.name)).toEqual(["Containers", "Images", "Selector"]);
    const row = t?.cells(deployment({ replicas: 10 }, { readyReplicas: 7, updatedReplicas: 10, availableReplicas: 6 }));
    expect(row).toEqual(["web", "7/10", 10, 6, "90s", "a,b", "nginx,busybox:1", "app=web,tier in (a,b)"]);
    expect(t?.cells(deployment({}))?.slice(0, 4)).toEqual(["web", "0/1", 0, 0]);
    // A selector kube would reject prints as an error cell instead of failing the whole list.
    const bad = deployment({ selector: { matchExpressions: [{ key: "x", operator: "Near" }] } });
    expect(t?.cells(bad)?.[7]).toBe("<error>");
  });

  test("ReplicaSet, StatefulSet and DaemonSet", () => {
    const rs = kubeKindTableConvertor("apps", "v1", "ReplicaSet");
    expect(
      rs?.cells({ ...deployment({ replicas: 3 }, { replicas: 2, readyReplicas: 1 }), kind: "ReplicaSet" }),
    ).toEqual(["web", 3, 2, 1, "90s", "a,b", "nginx,busybox:1", "app=web,tier in (a,b)"]);
    const sts = kubeKindTableConvertor("apps", "v1", "StatefulSet");
    expect(sts?.cells(deployment({ replicas: 2 }, { readyReplicas: 2 }))).toEqual([
      "web",
      "2/2",
      "90s",
      "a,b",
      "nginx,busybox:1",
    ]);
    const ds = kubeKindTableConvertor("apps", "v1", "DaemonSet");
    const daemon = deployment(
      { template: { spec: { nodeSelector: { zone: "b", os: "linux" }, containers: [] } } },
      {
        desiredNumberScheduled: 4,
        currentNumberScheduled: 3,
        numberReady: 2,
        updatedNumberScheduled: 3,
        numberAvailable: 1,
      },
    );
    expect(ds?.cells(daemon)?.slice(0, 7)).toEqual(["web", 4, 3, 2, 3, 1, "os=linux,zone=b"]);
  });

  test("only those kinds and versions", () => {
    expect(kubeKindTableConvertor("apps", "v1beta1", "Deployment")).toBeUndefined();
    expect(kubeKindTableConvertor("example.com", "v1", "Deployment")).toBeUndefined();
  });

  test("a CRD's own columns win; without columns a workload kind gets kube's, another kind Age", () => {
    const def = (kind: string, printerColumns?: ResourceDef["printerColumns"]) =>
      ({ group: "apps", version: "v1", kind, source: "crd", mode: "stored", printerColumns }) as unknown as ResourceDef;
    expect(tableConvertorOf(def("Deployment"))?.columns.map((c) => c.name)).toContain("Up-to-date");
    const own = tableConvertorOf(
      def("Deployment", [{ name: "Replicas", type: "integer", jsonPath: ".spec.replicas" }]),
    );
    expect(own?.columns.map((c) => c.name)).toEqual(["Name", "Replicas"]);
    expect(tableConvertorOf(def("Widget"))?.columns.map((c) => c.name)).toEqual(["Name", "Age"]);
  });
});
