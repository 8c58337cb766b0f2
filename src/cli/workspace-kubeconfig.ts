// How `kcp workspace use` changes a kubeconfig, as kcp's `kubectl ws` does: the workspace in use
// is the context `workspace.kcp.io/current`, whose cluster entry (of the same name) is a copy of
// the context it came from with the server URL ending in `/clusters/<name>` (no suffix for admin);
// the context it replaced becomes `workspace.kcp.io/previous`, so `use -` swaps the two. Contexts
// the user wrote are never changed; the file keeps everything else it holds.
//
// These functions edit the parsed YAML document (plain objects) and nothing else: the command
// (workspace.ts) reads and writes the file.

import { isObject } from "../machinery/object.ts";
import { DEFAULT_CLUSTER } from "../apis/logical-clusters.ts";

export const CURRENT_CONTEXT = "workspace.kcp.io/current";
export const PREVIOUS_CONTEXT = "workspace.kcp.io/previous";

type Doc = Record<string, unknown>;
interface Named {
  name: string;
  [k: string]: unknown;
}

const CLUSTER_PATH = /\/clusters\/([^/]+)\/*$/;

/** The logical cluster a server URL addresses: `/clusters/<name>`, or admin without one. */
export function workspaceOfServer(server: string): string {
  const m = CLUSTER_PATH.exec(new URL(server).pathname);
  return m ? decodeURIComponent(m[1] as string) : DEFAULT_CLUSTER;
}

/** `server` pointed at logical cluster `name` (admin: no `/clusters/` suffix). */
export function serverOfWorkspace(server: string, name: string): string {
  const url = new URL(server);
  const base = url.pathname.replace(CLUSTER_PATH, "").replace(/\/+$/, "");
  url.pathname = name === DEFAULT_CLUSTER ? base || "/" : `${base}/clusters/${encodeURIComponent(name)}`;
  return url.toString().replace(/\/+$/, "");
}

function entries(doc: Doc, key: "clusters" | "contexts" | "users"): Named[] {
  const list = doc[key];
  if (!Array.isArray(list)) {
    const fresh: Named[] = [];
    doc[key] = fresh;
    return fresh;
  }
  return list.filter((e): e is Named => isObject(e) && typeof e.name === "string");
}

function find(doc: Doc, key: "clusters" | "contexts", name: string): Named | undefined {
  return entries(doc, key).find((e) => e.name === name);
}

/** Put `entry` in place of the entry of the same name, or at the end. */
function put(doc: Doc, key: "clusters" | "contexts", entry: Named): void {
  const list = Array.isArray(doc[key]) ? (doc[key] as unknown[]) : [];
  const i = list.findIndex((e) => isObject(e) && e.name === entry.name);
  if (i >= 0) list[i] = entry;
  else list.push(entry);
  doc[key] = list;
}

/** The current context's body and its cluster's body, or an Error for people. */
function currentParts(doc: Doc): { context: Record<string, unknown>; cluster: Record<string, unknown> } {
  const name = doc["current-context"];
  if (typeof name !== "string" || name === "") throw new Error("the kubeconfig has no current-context");
  const ctx = find(doc, "contexts", name);
  if (!ctx || !isObject(ctx.context)) throw new Error(`the current context ${name} is not in the kubeconfig`);
  const clusterName = ctx.context.cluster;
  const cl = typeof clusterName === "string" ? find(doc, "clusters", clusterName) : undefined;
  if (!cl || !isObject(cl.cluster) || typeof cl.cluster.server !== "string")
    throw new Error(`the cluster of context ${name} is not in the kubeconfig or has no server`);
  return { context: ctx.context, cluster: cl.cluster };
}

/** The workspace the current context is in. */
export function currentWorkspace(doc: Doc): string {
  return workspaceOfServer(currentParts(doc).cluster.server as string);
}

/** Write context `name` (and its cluster entry of the same name) from a context and cluster body. */
function writeContext(
  doc: Doc,
  name: string,
  context: Record<string, unknown>,
  cluster: Record<string, unknown>,
): void {
  put(doc, "clusters", { name, cluster: structuredClone(cluster) });
  put(doc, "contexts", { name, context: { ...structuredClone(context), cluster: name } });
}

/**
 * Switch to workspace `name`: the current context becomes `previous`, and `current` (made current)
 * is the same with its server pointed at `name`. Returns the workspace left.
 */
export function useWorkspace(doc: Doc, name: string): string {
  const { context, cluster } = currentParts(doc);
  const left = workspaceOfServer(cluster.server as string);
  const target = { ...structuredClone(cluster), server: serverOfWorkspace(cluster.server as string, name) };
  writeContext(doc, PREVIOUS_CONTEXT, context, cluster);
  writeContext(doc, CURRENT_CONTEXT, context, target);
  doc["current-context"] = CURRENT_CONTEXT;
  return left;
}

/** `use -`: back to the previous workspace (which the current one then becomes). Returns where it went. */
export function usePrevious(doc: Doc): string {
  const prev = find(doc, "contexts", PREVIOUS_CONTEXT);
  const prevCluster = find(doc, "clusters", PREVIOUS_CONTEXT);
  if (!prev || !isObject(prev.context) || !prevCluster || !isObject(prevCluster.cluster)) {
    throw new Error("there is no previous workspace (kcp workspace use <name> records one)");
  }
  const prevContext = prev.context;
  const prevBody = prevCluster.cluster;
  const { context, cluster } = currentParts(doc);
  writeContext(doc, PREVIOUS_CONTEXT, context, cluster);
  writeContext(doc, CURRENT_CONTEXT, prevContext, prevBody);
  doc["current-context"] = CURRENT_CONTEXT;
  return workspaceOfServer(prevBody.server as string);
}
