// kube's own table columns for workload kinds that kcp serves through CRDs (apps/v1 Deployment,
// ReplicaSet, StatefulSet, DaemonSet). kube-apiserver prints these kinds with computed cells such
// as READY "3/5" that no JSONPath column can express, and users read `kubectl get deployments`
// that way on every cluster. A CRD of such a kind that declares no additionalPrinterColumns gets
// them (kube would print Name and Age only); a CRD that declares columns keeps its own.

import type { KObject, TableColumn, TableConvertor } from "../types.ts";
import { OBJECT_META_CREATION_TIMESTAMP_DESCRIPTION, OBJECT_META_NAME_DESCRIPTION } from "../builtin/schemas/meta.ts";
import { ageSince } from "../../machinery/human-duration.ts";
import { type JsonObject, obj, str } from "../../machinery/json-access.ts";
import { type LabelSelectorObject, labelSelectorFromObject } from "../../machinery/selectors/label-selector.ts";

function column(name: string, description: string, extra: Partial<TableColumn> = {}): TableColumn {
  return { name, type: "string", format: "", description, priority: 0, ...extra };
}

const NAME = column("Name", OBJECT_META_NAME_DESCRIPTION, { format: "name" });
const AGE = column("Age", OBJECT_META_CREATION_TIMESTAMP_DESCRIPTION);
const CONTAINERS = column("Containers", "Names of each container in the template.", { priority: 1 });
const IMAGES = column("Images", "Images referenced by each container in the template.", { priority: 1 });
const SELECTOR = column("Selector", "Label selector for pods.", { priority: 1 });

/** An integer field as kube's Go struct reads it: absent (or not a number) is 0. */
function int(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) ? Math.trunc(v) : 0;
}

/** spec.replicas: kube defaults an absent count to 1 before the printer sees the object. */
function desired(spec: JsonObject): number {
  return spec.replicas === undefined || spec.replicas === null ? 1 : int(spec.replicas);
}

/** The Containers and Images cells: the template's containers, comma-joined. */
function containerCells(spec: JsonObject): [string, string] {
  const containers = obj(obj(obj(spec.template).spec)).containers;
  const list = Array.isArray(containers) ? containers.map((c) => obj(c)) : [];
  return [list.map((c) => str(c.name)).join(","), list.map((c) => str(c.image)).join(",")];
}

/** The Selector cell: metav1.LabelSelectorAsSelector(spec.selector).String(); an invalid one prints "<error>". */
function selectorCell(spec: JsonObject): string {
  const sel = spec.selector;
  if (typeof sel !== "object" || sel === null) return "";
  try {
    return labelSelectorFromObject(sel as LabelSelectorObject).toString();
  } catch {
    return "<error>";
  }
}

interface KindPrinter {
  columns: TableColumn[];
  row(o: KObject, now: number): unknown[];
}

const deploymentPrinter: KindPrinter = {
  columns: [
    NAME,
    column("Ready", "Number of the pod with ready state"),
    column(
      "Up-to-date",
      "Total number of non-terminated pods targeted by this deployment that have the desired template spec.",
    ),
    column(
      "Available",
      "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.",
    ),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
  ],
  row(o, now) {
    const spec = obj(o.spec);
    const status = obj(o.status);
    const [names, images] = containerCells(spec);
    return [
      str(o.metadata.name),
      `${int(status.readyReplicas)}/${desired(spec)}`,
      int(status.updatedReplicas),
      int(status.availableReplicas),
      ageSince(o.metadata.creationTimestamp, now),
      names,
      images,
      selectorCell(spec),
    ];
  },
};

const replicaSetPrinter: KindPrinter = {
  columns: [
    NAME,
    column("Desired", "Number of desired pods.", { type: "integer" }),
    column("Current", "Replicas is the most recently observed number of replicas.", { type: "integer" }),
    column("Ready", "The number of ready replicas for this replica set.", { type: "integer" }),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
  ],
  row(o, now) {
    const spec = obj(o.spec);
    const status = obj(o.status);
    const [names, images] = containerCells(spec);
    return [
      str(o.metadata.name),
      desired(spec),
      int(status.replicas),
      int(status.readyReplicas),
      ageSince(o.metadata.creationTimestamp, now),
      names,
      images,
      selectorCell(spec),
    ];
  },
};

const statefulSetPrinter: KindPrinter = {
  columns: [NAME, column("Ready", "Number of the pod with ready state"), AGE, CONTAINERS, IMAGES],
  row(o, now) {
    const spec = obj(o.spec);
    const [names, images] = containerCells(spec);
    return [
      str(o.metadata.name),
      `${int(obj(o.status).readyReplicas)}/${desired(spec)}`,
      ageSince(o.metadata.creationTimestamp, now),
      names,
      images,
    ];
  },
};

/** The Node Selector cell: the template's nodeSelector as k=v pairs, sorted, or "<none>". */
function nodeSelectorCell(spec: JsonObject): string {
  const ns = obj(obj(obj(spec.template).spec).nodeSelector);
  const pairs = Object.keys(ns)
    .sort()
    .map((k) => `${k}=${str(ns[k])}`);
  return pairs.length > 0 ? pairs.join(",") : "<none>";
}

const daemonSetPrinter: KindPrinter = {
  columns: [
    NAME,
    column("Desired", "The total number of nodes that should be running the daemon pod.", { type: "integer" }),
    column("Current", "The number of nodes that are running at least 1 daemon pod.", { type: "integer" }),
    column("Ready", "The number of nodes running the daemon pod with a Ready condition.", { type: "integer" }),
    column("Up-to-date", "The total number of nodes running the updated daemon pod.", { type: "integer" }),
    column("Available", "The number of nodes running the daemon pod available for at least minReadySeconds.", {
      type: "integer",
    }),
    column("Node Selector", "The node selector of the pod template."),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
  ],
  row(o, now) {
    const spec = obj(o.spec);
    const status = obj(o.status);
    const [names, images] = containerCells(spec);
    return [
      str(o.metadata.name),
      int(status.desiredNumberScheduled),
      int(status.currentNumberScheduled),
      int(status.numberReady),
      int(status.updatedNumberScheduled),
      int(status.numberAvailable),
      nodeSelectorCell(spec),
      ageSince(o.metadata.creationTimestamp, now),
      names,
      images,
      selectorCell(spec),
    ];
  },
};

/** Printers by `group/version/Kind`: only versions whose fields these printers read. */
const KUBE_KIND_PRINTERS: ReadonlyMap<string, KindPrinter> = new Map([
  ["apps/v1/Deployment", deploymentPrinter],
  ["apps/v1/ReplicaSet", replicaSetPrinter],
  ["apps/v1/StatefulSet", statefulSetPrinter],
  ["apps/v1/DaemonSet", daemonSetPrinter],
]);

/** kube's table for a Kubernetes workload kind served by a CRD, or undefined for any other kind. */
export function kubeKindTableConvertor(group: string, version: string, kind: string): TableConvertor | undefined {
  const p = KUBE_KIND_PRINTERS.get(`${group}/${version}/${kind}`);
  return p ? { columns: p.columns, cells: (o) => p.row(o, Date.now()) } : undefined;
}
