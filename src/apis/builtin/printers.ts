// The Table columns kube-apiserver prints for each built-in kind (pkg/printers/internalversion,
// kube-aggregator's APIService convertor), and the default Name / Created At table of kinds that
// have no printer. The server always renders the wide form: -o wide only shows priority>0 columns.

import type { KObject, TableColumn, TableConvertor } from "../types.ts";
import {
  CONFIG_MAP_DATA_DESCRIPTION,
  EVENT_DESCRIPTIONS,
  SECRET_DATA_DESCRIPTION,
  SECRET_TYPE_DESCRIPTION,
  SERVICE_ACCOUNT_SECRETS_DESCRIPTION,
} from "./schemas/core.ts";
import { CSR_DESCRIPTIONS } from "./schemas/certificates.ts";
import { LEASE_HOLDER_DESCRIPTION } from "./schemas/coordination.ts";
import { OBJECT_META_CREATION_TIMESTAMP_DESCRIPTION, OBJECT_META_NAME_DESCRIPTION } from "./schemas/meta.ts";
import { CLUSTER_ROLE_BINDING_ROLE_REF_DESCRIPTION, ROLE_BINDING_ROLE_REF_DESCRIPTION } from "./schemas/rbac.ts";
import { ageSince, humanDuration, parseTimestamp } from "../../machinery/human-duration.ts";
import { type JsonObject, obj, str } from "../../machinery/json-access.ts";
import { CORE_EVENT_FIELDS, EVENTS_V1_FIELDS, type EventFieldNames } from "./event-fields.ts";

/** A kind's columns and how to fill them for an object at a given time. */
export interface Printer {
  columns: TableColumn[];
  row(obj: KObject, now: number): unknown[];
}

function column(name: string, description: string, extra: Partial<TableColumn> = {}): TableColumn {
  return { name, type: "string", format: "", description, priority: 0, ...extra };
}

const NAME = column("Name", OBJECT_META_NAME_DESCRIPTION, { format: "name" });
const AGE = column("Age", OBJECT_META_CREATION_TIMESTAMP_DESCRIPTION);

type Json = JsonObject;

function count(v: unknown): number {
  if (Array.isArray(v)) return v.length;
  return typeof v === "object" && v !== null ? Object.keys(v).length : 0;
}

const name = (o: KObject) => str(o.metadata.name);
const age = (o: KObject, now: number) => ageSince(o.metadata.creationTimestamp, now);

export const configMapPrinter: Printer = {
  columns: [NAME, column("Data", CONFIG_MAP_DATA_DESCRIPTION), AGE],
  row: (o, now) => [name(o), count(o.data) + count(o.binaryData), age(o, now)],
};

export const secretPrinter: Printer = {
  columns: [NAME, column("Type", SECRET_TYPE_DESCRIPTION), column("Data", SECRET_DATA_DESCRIPTION), AGE],
  row: (o, now) => [name(o), str(o.type), count(o.data), age(o, now)],
};

export const namespacePrinter: Printer = {
  columns: [NAME, column("Status", "The status of the namespace"), AGE],
  row: (o, now) => [name(o), str(obj(o.status).phase), age(o, now)],
};

export const serviceAccountPrinter: Printer = {
  columns: [NAME, column("Secrets", SERVICE_ACCOUNT_SECRETS_DESCRIPTION), AGE],
  row: (o, now) => [name(o), count(o.secrets), age(o, now)],
};

export const leasePrinter: Printer = {
  columns: [NAME, column("Holder", LEASE_HOLDER_DESCRIPTION), AGE],
  row: (o, now) => [name(o), str(obj(o.spec).holderIdentity), age(o, now)],
};

/** The fields printEvent reads, whichever API the event came through. */
interface EventView {
  name: string;
  firstTimestamp: unknown;
  lastTimestamp: unknown;
  eventTime: unknown;
  count: number;
  series?: Json;
  involvedObject: Json;
  type: string;
  reason: string;
  message: string;
  source: Json;
  reportingComponent: string;
  reportingInstance: string;
}

function eventRow(e: EventView, now: number): unknown[] {
  // An unset Time prints as "<unknown>"; the new-style eventTime stands in for an unset firstTimestamp.
  const first =
    parseTimestamp(e.firstTimestamp) === undefined ? ageSince(e.eventTime, now) : ageSince(e.firstTimestamp, now);
  let last = parseTimestamp(e.lastTimestamp) === undefined ? first : ageSince(e.lastTimestamp, now);
  let n = e.count;
  if (e.series) {
    last = ageSince(e.series.lastObservedTime, now);
    n = typeof e.series.count === "number" ? e.series.count : 0;
  } else if (n === 0) {
    // Singleton events don't set a count in the new API.
    n = 1;
  }
  const kind = str(e.involvedObject.kind).toLowerCase();
  const target = str(e.involvedObject.name) ? `${kind}/${str(e.involvedObject.name)}` : kind;
  const component = str(e.source.component) || e.reportingComponent;
  const instance = str(e.source.host) || e.reportingInstance;
  const source = instance ? `${component}, ${instance}` : component;
  return [last, e.type, e.reason, target, str(e.involvedObject.fieldPath), source, e.message.trim(), first, n, e.name];
}

const EVENT_COLUMNS: TableColumn[] = [
  column("Last Seen", EVENT_DESCRIPTIONS.lastTimestamp),
  column("Type", EVENT_DESCRIPTIONS.type),
  column("Reason", EVENT_DESCRIPTIONS.reason),
  column("Object", EVENT_DESCRIPTIONS.involvedObject),
  column("Subobject", EVENT_DESCRIPTIONS.fieldPath, { priority: 1 }),
  column("Source", EVENT_DESCRIPTIONS.source, { priority: 1 }),
  column("Message", EVENT_DESCRIPTIONS.message),
  column("First Seen", EVENT_DESCRIPTIONS.firstTimestamp, { priority: 1 }),
  column("Count", EVENT_DESCRIPTIONS.count, { priority: 1 }),
  column("Name", OBJECT_META_NAME_DESCRIPTION, { priority: 1, format: "name" }),
];

/** The Event printer of one API version, reading the shared Event shape by that version's field names. */
function eventPrinter(f: EventFieldNames): Printer {
  return {
    columns: EVENT_COLUMNS,
    row: (o, now) =>
      eventRow(
        {
          name: name(o),
          firstTimestamp: o[f.times[0]],
          lastTimestamp: o[f.times[1]],
          eventTime: o.eventTime,
          count: typeof o[f.count] === "number" ? (o[f.count] as number) : 0,
          series: o.series ? obj(o.series) : undefined,
          involvedObject: obj(o[f.regarding]),
          type: str(o.type),
          reason: str(o.reason),
          message: str(o[f.message]),
          source: obj(o[f.source]),
          reportingComponent: str(o[f.reportingController]),
          reportingInstance: str(o.reportingInstance),
        },
        now,
      ),
  };
}

export const coreEventPrinter = eventPrinter(CORE_EVENT_FIELDS);
/** events.k8s.io/v1 events print through their core/v1 view, as kube converts them. */
export const eventsV1Printer = eventPrinter(EVENTS_V1_FIELDS);

/** rbac.SubjectsStrings: users, groups and service accounts (namespace/name) of a binding. */
function subjects(o: KObject): [string, string, string] {
  const users: string[] = [];
  const groups: string[] = [];
  const sas: string[] = [];
  for (const s of Array.isArray(o.subjects) ? o.subjects : []) {
    const subject = obj(s);
    if (subject.kind === "ServiceAccount") sas.push(`${str(subject.namespace)}/${str(subject.name)}`);
    else if (subject.kind === "User") users.push(str(subject.name));
    else if (subject.kind === "Group") groups.push(str(subject.name));
  }
  return [users.join(", "), groups.join(", "), sas.join(", ")];
}

function bindingPrinter(roleRefDescription: string, what: string): Printer {
  return {
    columns: [
      NAME,
      column("Role", roleRefDescription),
      AGE,
      column("Users", `Users in the ${what}`, { priority: 1 }),
      column("Groups", `Groups in the ${what}`, { priority: 1 }),
      column("ServiceAccounts", `ServiceAccounts in the ${what}`, { priority: 1 }),
    ],
    row: (o, now) => {
      const ref = obj(o.roleRef);
      return [name(o), `${str(ref.kind)}/${str(ref.name)}`, age(o, now), ...subjects(o)];
    },
  };
}

export const roleBindingPrinter = bindingPrinter(ROLE_BINDING_ROLE_REF_DESCRIPTION, "roleBinding");
export const clusterRoleBindingPrinter = bindingPrinter(
  CLUSTER_ROLE_BINDING_ROLE_REF_DESCRIPTION,
  "clusterRoleBinding",
);

function csrCondition(o: KObject): string {
  let approved = false;
  let denied = false;
  let failed = false;
  const status = obj(o.status);
  for (const c of Array.isArray(status.conditions) ? status.conditions : []) {
    const t = obj(c).type;
    if (t === "Approved") approved = true;
    else if (t === "Denied") denied = true;
    else if (t === "Failed") failed = true;
  }
  let out = denied ? "Denied" : approved ? "Approved" : "Pending";
  if (failed) out += ",Failed";
  if (str(status.certificate)) out += ",Issued";
  return out;
}

export const csrPrinter: Printer = {
  columns: [
    NAME,
    AGE,
    column("SignerName", CSR_DESCRIPTIONS.signerName),
    column("Requestor", CSR_DESCRIPTIONS.request),
    column("RequestedDuration", CSR_DESCRIPTIONS.expirationSeconds),
    column("Condition", CSR_DESCRIPTIONS.conditions),
  ],
  row: (o, now) => {
    const spec = obj(o.spec);
    const seconds = spec.expirationSeconds;
    const duration = typeof seconds === "number" ? humanDuration(seconds * 1000) : "<none>";
    return [name(o), age(o, now), str(spec.signerName) || "<none>", str(spec.username), duration, csrCondition(o)];
  },
};

/** `cpu: 100m/1, memory: 0/1Gi` for the requests or the limits.* resources of a quota. */
function quotaColumns(o: KObject): [string, string] {
  const status = obj(o.status);
  const hard = obj(status.hard);
  const used = obj(status.used);
  const requests: string[] = [];
  const limits: string[] = [];
  for (const resource of Object.keys(hard).sort()) {
    const text = `${resource}: ${str(used[resource]) || "0"}/${str(hard[resource]) || "0"}`;
    const pieces = resource.split(".");
    if (pieces.length > 1 && pieces[0] === "limits") limits.push(text);
    else requests.push(text);
  }
  return [requests.join(", "), limits.join(", ")];
}

export const resourceQuotaPrinter: Printer = {
  columns: [
    NAME,
    column("Request", "Request represents a minimum amount of cpu/memory that a container may consume."),
    column(
      "Limit",
      "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.",
    ),
    AGE,
  ],
  row: (o, now) => [name(o), ...quotaColumns(o), age(o, now)],
};

export const apiServicePrinter: Printer = {
  columns: [
    NAME,
    column("Service", "The reference to the service that hosts this API endpoint."),
    column("Available", "Whether this service is available."),
    AGE,
  ],
  row: (o, now) => {
    const spec = obj(o.spec);
    const svc = spec.service ? obj(spec.service) : undefined;
    const service = svc ? `${str(svc.namespace)}/${str(svc.name)}` : "Local";
    let available = "Unknown";
    const conditions = Array.isArray(obj(o.status).conditions) ? (obj(o.status).conditions as unknown[]) : [];
    const cond = conditions.map(obj).find((c) => c.type === "Available");
    if (cond) {
      const s = str(cond.status);
      available = s === "True" || !str(cond.reason) ? s : `${s} (${str(cond.reason)})`;
    }
    return [name(o), service, available, age(o, now)];
  },
};

/** rest.DefaultTableConvertor: the name and the creation time in RFC 3339 (UTC). */
export const defaultPrinter: Printer = {
  columns: [NAME, column("Created At", OBJECT_META_CREATION_TIMESTAMP_DESCRIPTION, { type: "date" })],
  row: (o) => {
    const t = parseTimestamp(o.metadata.creationTimestamp);
    const created = new Date(t ?? Date.UTC(1, 0, 1)).toISOString().replace(/\.\d{3}Z$/, "Z");
    return [name(o), t === undefined ? "0001-01-01T00:00:00Z" : created];
  },
};

/** Printers by `group/Kind`; built-in kinds missing here get the default table. */
export const BUILTIN_PRINTERS: Readonly<Record<string, Printer>> = {
  "/ConfigMap": configMapPrinter,
  "/Secret": secretPrinter,
  "/Namespace": namespacePrinter,
  "/ServiceAccount": serviceAccountPrinter,
  "/Event": coreEventPrinter,
  "/ResourceQuota": resourceQuotaPrinter,
  "events.k8s.io/Event": eventsV1Printer,
  "coordination.k8s.io/Lease": leasePrinter,
  "rbac.authorization.k8s.io/RoleBinding": roleBindingPrinter,
  "rbac.authorization.k8s.io/ClusterRoleBinding": clusterRoleBindingPrinter,
  "certificates.k8s.io/CertificateSigningRequest": csrPrinter,
  "apiregistration.k8s.io/APIService": apiServicePrinter,
};

export function tableConvertor(p: Printer): TableConvertor {
  return { columns: p.columns, cells: (o) => p.row(o, Date.now()) };
}

/** The table of a built-in stored kind: its printer, or the default one. */
export function builtinTableConvertor(group: string, kind: string): TableConvertor {
  return tableConvertor(BUILTIN_PRINTERS[`${group}/${kind}`] ?? defaultPrinter);
}
