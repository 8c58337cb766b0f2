// Apply conflicts: fields another manager owns whose value the apply would change. kube answers
// 409 Conflict with one FieldManagerConflict cause per field and a message naming the managers:
//   Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: .data.a

import { StatusError } from "../../machinery/status.ts";
import { parseManagerIdentifier } from "./managed-fields.ts";
import { displayPath, type Path } from "./path-element.ts";

export interface Conflict {
  /** The manager's identifier (see managerIdentifier). */
  manager: string;
  path: Path;
}

/** An apply that would take fields from other managers; `conflicts` are in report order. */
export class ConflictsError extends Error {
  constructor(readonly conflicts: Conflict[]) {
    super(`${conflicts.length} conflicts`);
  }
}

/** How kube names a manager in conflict messages: `"name"`, with ` with subresource "s"` and, for updaters, ` using v1`. */
export function printManager(identifier: string): string {
  let info: ReturnType<typeof parseManagerIdentifier>;
  try {
    info = parseManagerIdentifier(identifier);
  } catch {
    return JSON.stringify(identifier);
  }
  let s = JSON.stringify(info.manager);
  if (info.subresource) s += ` with subresource ${JSON.stringify(info.subresource)}`;
  if (info.operation === "Update") s += ` using ${info.apiVersion ?? ""}`;
  return s;
}

function message(conflicts: Conflict[]): string {
  if (conflicts.length === 1) {
    const c = conflicts[0] as Conflict;
    return `Apply failed with 1 conflict: conflict with ${printManager(c.manager)}: ${displayPath(c.path)}`;
  }
  const byManager = new Map<string, Path[]>();
  for (const c of conflicts) byManager.set(c.manager, [...(byManager.get(c.manager) ?? []), c.path]);
  const lines: string[] = [];
  for (const m of [...byManager.keys()].sort()) {
    lines.push(`conflicts with ${printManager(m)}:`);
    for (const p of byManager.get(m) as Path[]) lines.push(`- ${displayPath(p)}`);
  }
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join("\n")}`;
}

/** The 409 kube answers for apply conflicts (details carry only the causes). */
export function conflictStatusError(conflicts: Conflict[]): StatusError {
  return new StatusError(409, "Conflict", message(conflicts), {
    causes: conflicts.map((c) => ({
      reason: "FieldManagerConflict",
      message: `conflict with ${printManager(c.manager)}`,
      field: displayPath(c.path),
    })),
  });
}
