// Field ownership through updates and applies (structured-merge-diff's Updater), on plain JSON
// values and per-manager field sets:
// - an update takes ownership of what it changed, from whoever owned it;
// - an apply owns exactly the fields of its configuration: it merges them into the live object,
//   removes the fields it applied last time and no longer does (unless someone else owns them),
//   and fails with conflicts when it would change fields other managers own, unless forced.

import type { SchemaNode } from "../schema-node.ts";
import { mergeValues } from "./apply-merge.ts";
import { type Comparison, compareValues } from "./compare.ts";
import { type Conflict, ConflictsError } from "./conflicts.ts";
import { FieldSet } from "./field-set.ts";
import { fieldSetOf } from "./field-set-of.ts";
import type { VersionedSet } from "./managed-fields.ts";
import { removeItems } from "./remove-items.ts";

export type ManagerSets = Map<string, VersionedSet>;

export interface UpdaterContext {
  node: SchemaNode;
  /** The apiVersion the request speaks. */
  version: string;
  /** Fields the request may not change (reset by the strategy): nobody gains or loses them. */
  ignored?: FieldSet;
}

function filtered(c: Comparison, ignored: FieldSet | undefined): Comparison {
  if (!ignored) return c;
  return {
    added: c.added.recursiveDifference(ignored),
    modified: c.modified.recursiveDifference(ignored),
    removed: c.removed.recursiveDifference(ignored),
  };
}

/**
 * Compare `live` and `next`; take what changed away from every manager but `workflow`, or fail
 * with conflicts when not forced. Removed fields are owned by no one. Returns the comparison.
 */
function reassign(
  ctx: UpdaterContext,
  live: unknown,
  next: unknown,
  managers: ManagerSets,
  workflow: string,
  force: boolean,
): Comparison {
  const cmp = filtered(compareValues(live, next, ctx.node), ctx.ignored);
  const changed = cmp.modified.union(cmp.added);
  const conflicts: Conflict[] = [];
  const taken = new Map<string, FieldSet>();
  for (const id of [...managers.keys()].sort()) {
    if (id === workflow) continue;
    const vs = managers.get(id) as VersionedSet;
    const c = vs.set.intersection(changed);
    if (c.isEmpty()) continue;
    taken.set(id, c);
    // Conflicts matter only when not forced (an update always is).
    if (!force) for (const path of c.paths()) conflicts.push({ manager: id, path });
  }
  if (!force && conflicts.length > 0) throw new ConflictsError(conflicts);
  for (const [id, vs] of managers) {
    if (id === workflow) continue;
    let set = vs.set;
    const t = taken.get(id);
    if (t) set = set.difference(t);
    if (!cmp.removed.isEmpty()) set = set.difference(cmp.removed);
    if (set.isEmpty()) managers.delete(id);
    else managers.set(id, { ...vs, set });
  }
  return cmp;
}

/** Record an update from `live` to `next` by `manager`; `managers` is updated in place. */
export function recordUpdate(
  ctx: UpdaterContext,
  live: unknown,
  next: unknown,
  managers: ManagerSets,
  manager: string,
): void {
  const cmp = reassign(ctx, live, next, managers, manager, true);
  let set = (managers.get(manager)?.set ?? new FieldSet()).difference(cmp.removed).union(cmp.modified).union(cmp.added);
  if (ctx.ignored) set = set.recursiveDifference(ctx.ignored);
  if (set.isEmpty()) managers.delete(manager);
  else managers.set(manager, { set, apiVersion: ctx.version, applied: false });
}

/**
 * Apply `config` to `live` for `manager`; returns the new object. `managers` is updated in place.
 * Throws ConflictsError (unless `force`) and TypedValueError for a configuration that does not fit
 * the schema.
 */
export function recordApply(
  ctx: UpdaterContext,
  live: unknown,
  config: unknown,
  managers: ManagerSets,
  manager: string,
  force: boolean,
): unknown {
  let configSet = fieldSetOf(config, ctx.node);
  if (ctx.ignored) configSet = configSet.recursiveDifference(ctx.ignored);
  let merged = mergeValues(live, config, ctx.node);
  const last = managers.get(manager);
  const trial = new Map(managers);
  trial.set(manager, { set: configSet, apiVersion: ctx.version, applied: true });
  if (last && !last.set.isEmpty()) merged = prune(ctx, merged, trial, last.set);
  reassign(ctx, live, merged, trial, manager, force);
  managers.clear();
  for (const [k, v] of trial) managers.set(k, v);
  return merged;
}

/**
 * Remove from `merged` what the applier owned before (`last`) and nobody owns now, not even the
 * applier's new configuration.
 */
function prune(ctx: UpdaterContext, merged: unknown, managers: ManagerSets, last: FieldSet): unknown {
  let mergedSet: FieldSet;
  try {
    mergedSet = fieldSetOf(merged, ctx.node);
  } catch {
    return merged;
  }
  let owned = new FieldSet();
  for (const vs of managers.values()) owned = owned.union(vs.set);
  const gone = last
    .withNamedFields(ctx.node)
    .intersection(mergedSet.withNamedFields(ctx.node))
    .difference(owned.withNamedFields(ctx.node));
  return removeItems(merged, gone, ctx.node);
}
