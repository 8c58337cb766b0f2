// metadata.managedFields to and from per-manager field sets. A manager is identified by its name,
// operation (Apply or Update), subresource and, for updaters only, the apiVersion it wrote with;
// each has the set of fields it owns and the time of its last change. Entries are written in
// kube's order: Apply before Update, then by time, manager, apiVersion and subresource.

import { FieldSet } from "./field-set.ts";
import { compareStrings } from "./path-element.ts";
import { isObject } from "../../machinery/object.ts";

export type Operation = "Apply" | "Update";

export interface ManagerInfo {
  manager: string;
  operation: Operation;
  /** Only in Update identifiers: appliers keep one identity whatever version they apply. */
  apiVersion?: string;
  subresource?: string;
}

export interface VersionedSet {
  set: FieldSet;
  apiVersion: string;
  /** Whether the manager applied these fields (operation Apply). */
  applied: boolean;
}

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: Record<string, unknown>;
  subresource?: string;
}

/** The managers of an object, by identifier, and the times of their last changes. */
export class Managed {
  readonly fields = new Map<string, VersionedSet>();
  readonly times = new Map<string, string | undefined>();

  isEmpty(): boolean {
    return this.fields.size === 0;
  }
}

/** The identifier of a manager: its ManagedFieldsEntry without fields, time and (for Apply) apiVersion, as JSON. */
export function managerIdentifier(info: ManagerInfo): string {
  const id: Record<string, string> = {};
  if (info.manager) id.manager = info.manager;
  id.operation = info.operation;
  if (info.operation === "Update" && info.apiVersion) id.apiVersion = info.apiVersion;
  if (info.subresource) id.subresource = info.subresource;
  return JSON.stringify(id);
}

export function parseManagerIdentifier(id: string): ManagerInfo {
  const o = JSON.parse(id) as Record<string, string>;
  return {
    manager: o.manager ?? "",
    operation: o.operation as Operation,
    apiVersion: o.apiVersion,
    subresource: o.subresource,
  };
}

/** A managedFields problem; the message is kube's. */
export class ManagedFieldsError extends Error {}

export function decodeManagedFields(entries: unknown): Managed {
  const out = new Managed();
  if (entries === undefined || entries === null) return out;
  if (!Array.isArray(entries)) throw new ManagedFieldsError("managedFields must be a list");
  entries.forEach((raw, i) => {
    if (!isObject(raw)) throw new ManagedFieldsError(`invalid managed fields entry ${i}`);
    const e = raw as ManagedFieldsEntry;
    if (e.fieldsType === undefined || e.fieldsType === "")
      throw new ManagedFieldsError(`missing fieldsType in managed fields entry ${i}`);
    if (e.fieldsType !== "FieldsV1")
      throw new ManagedFieldsError(`invalid fieldsType ${JSON.stringify(e.fieldsType)} in managed fields entry ${i}`);
    if (e.operation !== "Apply" && e.operation !== "Update")
      throw new ManagedFieldsError(`operation must be \`Apply\` or \`Update\` in managed fields entry ${i}`);
    const id = managerIdentifier({
      manager: typeof e.manager === "string" ? e.manager : "",
      operation: e.operation,
      apiVersion: e.apiVersion,
      subresource: e.subresource,
    });
    let set: FieldSet;
    try {
      set = FieldSet.fromFieldsV1(e.fieldsV1);
    } catch (err) {
      throw new ManagedFieldsError(
        `error decoding versioned set from managed fields entry ${i}: error decoding set: ${(err as Error).message}`,
      );
    }
    out.fields.set(id, {
      set,
      apiVersion: typeof e.apiVersion === "string" ? e.apiVersion : "",
      applied: e.operation === "Apply",
    });
    out.times.set(id, typeof e.time === "string" ? e.time : undefined);
  });
  return out;
}

function seconds(t: string | undefined): number {
  if (!t) return 0;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

export function encodeManagedFields(managed: Managed): ManagedFieldsEntry[] | undefined {
  if (managed.fields.size === 0) return undefined;
  const out: ManagedFieldsEntry[] = [];
  for (const [id, vs] of managed.fields) {
    const info = parseManagerIdentifier(id);
    const e: ManagedFieldsEntry = {};
    if (info.manager) e.manager = info.manager;
    e.operation = info.operation;
    if (vs.apiVersion) e.apiVersion = vs.apiVersion;
    const t = managed.times.get(id);
    if (t) e.time = t;
    e.fieldsType = "FieldsV1";
    e.fieldsV1 = vs.set.toFieldsV1();
    if (info.subresource) e.subresource = info.subresource;
    out.push(e);
  }
  return out.sort(
    (p, q) =>
      compareStrings(p.operation ?? "", q.operation ?? "") ||
      seconds(p.time) - seconds(q.time) ||
      compareStrings(p.manager ?? "", q.manager ?? "") ||
      compareStrings(p.apiVersion ?? "", q.apiVersion ?? "") ||
      compareStrings(p.subresource ?? "", q.subresource ?? ""),
  );
}
