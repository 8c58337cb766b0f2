import { describe, expect, test } from "bun:test";
import type { KObject } from "../../src/apis/types.ts";
import {
  apiServicePrinter,
  clusterRoleBindingPrinter,
  configMapPrinter,
  coreEventPrinter,
  csrPrinter,
  defaultPrinter,
  eventsV1Printer,
  leasePrinter,
  namespacePrinter,
  type Printer,
  resourceQuotaPrinter,
  roleBindingPrinter,
  secretPrinter,
  serviceAccountPrinter,
} from "../../src/apis/builtin/printers.ts";
import { customResourceTable } from "../../src/server/table/custom-resource-columns.ts";

const NOW = Date.parse("2026-03-01T12:00:00Z");
const created = "2026-03-01T11:59:55Z"; // 5s before NOW

function o(body: Record<string, unknown>, meta: Record<string, unknown> = {}): KObject {
  return { metadata: { name: "x", creationTimestamp: created, ...meta }, ...body };
}

const header = (p: Printer) => p.columns.map((c) => (c.priority > 0 ? `(${c.name})` : c.name)).join(" ");

describe("built-in printers: kube-apiserver's columns and cells", () => {
  test("configmaps: NAME DATA AGE, counting data and binaryData", () => {
    expect(header(configMapPrinter)).toBe("Name Data Age");
    expect(configMapPrinter.row(o({ data: { a: "1", b: "2" }, binaryData: { c: "AA==" } }), NOW)).toEqual([
      "x",
      3,
      "5s",
    ]);
    expect(configMapPrinter.row(o({}), NOW)).toEqual(["x", 0, "5s"]);
    expect(configMapPrinter.columns[0]).toMatchObject({ name: "Name", type: "string", format: "name", priority: 0 });
    expect(configMapPrinter.columns[0].description).toStartWith("Name must be unique within a namespace.");
  });

  test("secrets: NAME TYPE DATA AGE", () => {
    expect(header(secretPrinter)).toBe("Name Type Data Age");
    expect(secretPrinter.row(o({ type: "Opaque", data: { k: "dg==" } }), NOW)).toEqual(["x", "Opaque", 1, "5s"]);
  });

  test("namespaces: NAME STATUS AGE", () => {
    expect(header(namespacePrinter)).toBe("Name Status Age");
    expect(namespacePrinter.row(o({ status: { phase: "Terminating" } }), NOW)).toEqual(["x", "Terminating", "5s"]);
  });

  test("serviceaccounts: NAME SECRETS AGE", () => {
    expect(header(serviceAccountPrinter)).toBe("Name Secrets Age");
    expect(serviceAccountPrinter.row(o({ secrets: [{ name: "a" }, { name: "b" }] }), NOW)).toEqual(["x", 2, "5s"]);
  });

  test("leases: NAME HOLDER AGE", () => {
    expect(header(leasePrinter)).toBe("Name Holder Age");
    expect(leasePrinter.row(o({ spec: { holderIdentity: "node-1" } }), NOW)).toEqual(["x", "node-1", "5s"]);
    expect(leasePrinter.row(o({ spec: {} }), NOW)).toEqual(["x", "", "5s"]);
  });

  test("events: LAST SEEN TYPE REASON OBJECT MESSAGE, the rest wide", () => {
    expect(header(coreEventPrinter)).toBe(
      "Last Seen Type Reason Object (Subobject) (Source) Message (First Seen) (Count) (Name)",
    );
    const ev = o({
      involvedObject: { kind: "Pod", name: "web-1", fieldPath: "spec.containers{app}" },
      type: "Warning",
      reason: "BackOff",
      message: "  restarting  ",
      source: { component: "kubelet", host: "node-1" },
      firstTimestamp: "2026-03-01T11:00:00Z",
      lastTimestamp: "2026-03-01T11:58:00Z",
      count: 4,
    });
    expect(coreEventPrinter.row(ev, NOW)).toEqual([
      "2m",
      "Warning",
      "BackOff",
      "pod/web-1",
      "spec.containers{app}",
      "kubelet, node-1",
      "restarting",
      "60m",
      4,
      "x",
    ]);
  });

  test("events without timestamps or count fall back like kube: eventTime, then count 1", () => {
    const ev = o({
      involvedObject: { kind: "Node" },
      eventTime: "2026-03-01T11:59:00.000000Z",
      reportingComponent: "ctrl",
      type: "Normal",
      reason: "R",
      message: "m",
    });
    expect(coreEventPrinter.row(ev, NOW)).toEqual(["60s", "Normal", "R", "node", "", "ctrl", "m", "60s", 1, "x"]);
    const series = o({
      involvedObject: { kind: "Pod", name: "p" },
      series: { count: 7, lastObservedTime: "2026-03-01T11:59:50.000000Z" },
      firstTimestamp: created,
    });
    expect(coreEventPrinter.row(series, NOW)[0]).toBe("10s");
    expect(coreEventPrinter.row(series, NOW)[8]).toBe(7);
  });

  test("events.k8s.io events print through their core view", () => {
    const ev = o({
      regarding: { kind: "Deployment", name: "web" },
      note: "scaled",
      reason: "Scaled",
      type: "Normal",
      eventTime: "2026-03-01T11:59:30.000000Z",
      reportingController: "deployment-controller",
      reportingInstance: "kcm-1",
    });
    expect(eventsV1Printer.row(ev, NOW)).toEqual([
      "30s",
      "Normal",
      "Scaled",
      "deployment/web",
      "",
      "deployment-controller, kcm-1",
      "scaled",
      "30s",
      1,
      "x",
    ]);
  });

  test("rolebindings and clusterrolebindings: NAME ROLE AGE, USERS GROUPS SERVICEACCOUNTS wide", () => {
    expect(header(roleBindingPrinter)).toBe("Name Role Age (Users) (Groups) (ServiceAccounts)");
    const rb = o({
      roleRef: { kind: "ClusterRole", name: "view", apiGroup: "rbac.authorization.k8s.io" },
      subjects: [
        { kind: "User", name: "alice" },
        { kind: "User", name: "bob" },
        { kind: "Group", name: "devs" },
        { kind: "ServiceAccount", name: "sa1", namespace: "ns1" },
      ],
    });
    expect(roleBindingPrinter.row(rb, NOW)).toEqual(["x", "ClusterRole/view", "5s", "alice, bob", "devs", "ns1/sa1"]);
    expect(clusterRoleBindingPrinter.columns[3].description).toBe("Users in the clusterRoleBinding");
  });

  test("certificatesigningrequests: NAME AGE SIGNERNAME REQUESTOR REQUESTEDDURATION CONDITION", () => {
    expect(header(csrPrinter)).toBe("Name Age SignerName Requestor RequestedDuration Condition");
    const csr = o({ spec: { signerName: "example.com/s", username: "alice", expirationSeconds: 3600 }, status: {} });
    expect(csrPrinter.row(csr, NOW)).toEqual(["x", "5s", "example.com/s", "alice", "60m", "Pending"]);
    const done = o({
      spec: {},
      status: { conditions: [{ type: "Approved" }, { type: "Failed" }], certificate: "QQ==" },
    });
    expect(csrPrinter.row(done, NOW).slice(2)).toEqual(["<none>", "", "<none>", "Approved,Failed,Issued"]);
    expect(
      csrPrinter.row(o({ spec: {}, status: { conditions: [{ type: "Approved" }, { type: "Denied" }] } }), NOW)[5],
    ).toBe("Denied");
  });

  test("resourcequotas: NAME REQUEST LIMIT AGE, limits.* in LIMIT", () => {
    expect(header(resourceQuotaPrinter)).toBe("Name Request Limit Age");
    const q = o({ status: { hard: { "limits.cpu": "2", pods: "10", "requests.memory": "1Gi" }, used: { pods: "3" } } });
    expect(resourceQuotaPrinter.row(q, NOW)).toEqual([
      "x",
      "pods: 3/10, requests.memory: 0/1Gi",
      "limits.cpu: 0/2",
      "5s",
    ]);
  });

  test("apiservices: NAME SERVICE AVAILABLE AGE", () => {
    expect(header(apiServicePrinter)).toBe("Name Service Available Age");
    const local = o({ spec: {}, status: { conditions: [{ type: "Available", status: "True", reason: "Local" }] } });
    expect(apiServicePrinter.row(local, NOW)).toEqual(["x", "Local", "True", "5s"]);
    const remote = o({
      spec: { service: { namespace: "ns", name: "svc" } },
      status: { conditions: [{ type: "Available", status: "False", reason: "MissingEndpoints" }] },
    });
    expect(apiServicePrinter.row(remote, NOW)).toEqual(["x", "ns/svc", "False (MissingEndpoints)", "5s"]);
    expect(apiServicePrinter.row(o({ spec: {} }), NOW)[2]).toBe("Unknown");
  });

  test("kinds without a printer (roles, limitranges, CRDs): NAME CREATED AT", () => {
    expect(header(defaultPrinter)).toBe("Name Created At");
    expect(defaultPrinter.columns[1].type).toBe("date");
    expect(defaultPrinter.row(o({}, { creationTimestamp: "2026-03-01T11:59:55Z" }), NOW)).toEqual([
      "x",
      "2026-03-01T11:59:55Z",
    ]);
  });
});

describe("custom resource tables from additionalPrinterColumns", () => {
  const cols = customResourceTable([
    { name: "Replicas", type: "integer", jsonPath: ".spec.replicas" },
    {
      name: "Ready",
      type: "string",
      jsonPath: '.status.conditions[?(@.type=="Ready")].status',
      description: "Whether it is ready",
    },
    { name: "Ratio", type: "number", jsonPath: ".spec.ratio", format: "float" },
    { name: "Paused", type: "boolean", jsonPath: ".spec.paused", priority: 1 },
    { name: "Tags", type: "string", jsonPath: ".spec.tags" },
    { name: "Started", type: "date", jsonPath: ".status.startTime" },
  ]);

  test("Name first, then the columns as declared", () => {
    expect(cols.columns.map((c) => c.name)).toEqual([
      "Name",
      "Replicas",
      "Ready",
      "Ratio",
      "Paused",
      "Tags",
      "Started",
    ]);
    expect(cols.columns[1].description).toBe("Custom resource definition column (in JSONPath format): .spec.replicas");
    expect(cols.columns[2].description).toBe("Whether it is ready");
    expect(cols.columns[3]).toMatchObject({ type: "number", format: "float", priority: 0 });
    expect(cols.columns[4].priority).toBe(1);
  });

  test("cells are typed as their column says; missing values are null", () => {
    const cr = o({
      spec: { replicas: 3.7, ratio: 0.5, paused: false, tags: ["a", "b"] },
      status: { conditions: [{ type: "Ready", status: "True" }], startTime: "2026-03-01T09:00:00Z" },
    });
    expect(cols.row(cr, NOW)).toEqual(["x", 3, "True", 0.5, false, '["a","b"]', "3h"]);
    expect(cols.row(o({ spec: { replicas: "three", paused: "no" }, status: { startTime: "soon" } }), NOW)).toEqual([
      "x",
      null,
      null,
      null,
      null,
      null,
      "<invalid>",
    ]);
  });

  test("no printer columns: an Age column of type date", () => {
    const t = customResourceTable([]);
    expect(t.columns.map((c) => [c.name, c.type])).toEqual([
      ["Name", "string"],
      ["Age", "date"],
    ]);
    expect(t.row(o({}), NOW)).toEqual(["x", "5s"]);
  });
});
