// The garbage collector's owner graph (kube-controller-manager's GraphBuilder's uidToNode), keyed by
// (logical cluster, uid): an owner reference names a uid in the dependent's own logical cluster
// only, so the same uid in another logical cluster is another node and never matches.
//
// Only objects that take part hold a node: those with ownerReferences (dependents) and those that
// are named by one (owners). An object neither owns nor is owned costs the graph nothing. A node
// named by a reference before (or without) its object being observed is "virtual": obj undefined.
//
// The objects kept are the informers' trimmed copies (see trimForGraph): the graph shares them, and
// an edge costs one Set entry on the owner plus the owner reference the dependent carries anyway.

import type { KObject } from "../../apis/types.ts";

export interface OwnerRef {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  blockOwnerDeletion?: boolean;
  controller?: boolean;
}

const NO_DEPENDENTS: ReadonlySet<GraphNode> = new Set();

export class GraphNode {
  /** The object as last observed (trimmed); undefined while the node is only referenced. */
  obj?: KObject;
  /** The storage resource (`group/resource`) whose informer observed it. */
  resource?: string;
  /** Allocated on the first dependent: most nodes are leaves. */
  private deps?: Set<GraphNode>;

  constructor(
    readonly cluster: string,
    readonly uid: string,
  ) {}

  get dependents(): ReadonlySet<GraphNode> {
    return this.deps ?? NO_DEPENDENTS;
  }

  addDependent(d: GraphNode): void {
    this.deps ??= new Set();
    this.deps.add(d);
  }

  removeDependent(d: GraphNode): void {
    this.deps?.delete(d);
    if (this.deps?.size === 0) this.deps = undefined;
  }

  get virtual(): boolean {
    return this.obj === undefined;
  }

  ownerRefs(): OwnerRef[] {
    return (this.obj?.metadata.ownerReferences as OwnerRef[] | undefined) ?? [];
  }

  /** Its dependents whose reference to it has blockOwnerDeletion (what a foreground deletion waits for). */
  blockingDependents(): GraphNode[] {
    const out: GraphNode[] = [];
    for (const d of this.dependents) {
      if (d.ownerRefs().some((r) => r.uid === this.uid && r.blockOwnerDeletion === true)) out.push(d);
    }
    return out;
  }
}

/** The result of observing an object: the owners that gained or lost it as a dependent. */
export interface GraphChange {
  node: GraphNode;
  addedOwners: GraphNode[];
  removedOwners: GraphNode[];
}

function ownerUids(obj: KObject | undefined): Set<string> {
  const out = new Set<string>();
  for (const r of (obj?.metadata.ownerReferences as OwnerRef[] | undefined) ?? []) if (r.uid) out.add(r.uid);
  return out;
}

export class OwnerGraph {
  /** Per logical cluster, by uid: the uid strings are the objects' own, no key is built per node. */
  private readonly clusters = new Map<string, Map<string, GraphNode>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  node(cluster: string, uid: string): GraphNode | undefined {
    return this.clusters.get(cluster)?.get(uid);
  }

  private ensure(cluster: string, uid: string): GraphNode {
    let nodes = this.clusters.get(cluster);
    if (!nodes) {
      nodes = new Map();
      this.clusters.set(cluster, nodes);
    }
    let n = nodes.get(uid);
    if (!n) {
      n = new GraphNode(cluster, uid);
      nodes.set(uid, n);
      this.count++;
    }
    return n;
  }

  private drop(n: GraphNode): void {
    const nodes = this.clusters.get(n.cluster);
    if (!nodes?.delete(n.uid)) return;
    this.count--;
    if (nodes.size === 0) this.clusters.delete(n.cluster);
  }

  /** A virtual node with no dependents is nothing: drop it. */
  private prune(n: GraphNode): void {
    if (n.virtual && n.dependents.size === 0) this.drop(n);
  }

  /**
   * The object was added or changed. An object with no owner references that nobody references
   * takes no node (returns undefined), unless `keep` (an owner being deleted that the collector
   * must finish even without dependents).
   */
  observe(cluster: string, obj: KObject, resource: string, keep = false): GraphChange | undefined {
    const uid = obj.metadata.uid;
    if (!uid) return undefined;
    const existing = this.node(cluster, uid);
    const newOwners = ownerUids(obj);
    if (!existing && newOwners.size === 0 && !keep) return undefined;
    const node = existing ?? this.ensure(cluster, uid);
    const oldOwners = ownerUids(node.obj);
    node.obj = obj;
    node.resource = resource;
    const addedOwners: GraphNode[] = [];
    const removedOwners: GraphNode[] = [];
    for (const u of oldOwners) {
      if (newOwners.has(u)) continue;
      const o = this.node(cluster, u);
      if (!o) continue;
      o.removeDependent(node);
      removedOwners.push(o);
      this.prune(o);
    }
    for (const u of newOwners) {
      const o = this.ensure(cluster, u);
      if (!o.dependents.has(node)) {
        o.addDependent(node);
        if (!oldOwners.has(u)) addedOwners.push(o);
      }
    }
    // An object that stopped owning and being owned leaves the graph.
    if (newOwners.size === 0 && node.dependents.size === 0 && !keep) this.drop(node);
    return { node, addedOwners, removedOwners };
  }

  /**
   * The object is gone. Returns its node (now virtual, still holding its dependents, which the
   * caller examines) and the owners it was a dependent of; undefined when it took no part.
   */
  remove(cluster: string, uid: string): { node: GraphNode; owners: GraphNode[] } | undefined {
    const node = this.node(cluster, uid);
    if (!node) return undefined;
    // Referenced but never observed since: its dependents still learn that it is gone.
    if (node.virtual) return { node, owners: [] };
    const owners: GraphNode[] = [];
    for (const u of ownerUids(node.obj)) {
      const o = this.node(cluster, u);
      if (!o) continue;
      o.removeDependent(node);
      owners.push(o);
      this.prune(o);
    }
    node.obj = undefined;
    node.resource = undefined;
    this.prune(node);
    return { node, owners };
  }

  /** Every node of one storage resource (to forget them when the resource stops being served). */
  nodesOf(resource: string): GraphNode[] {
    const out: GraphNode[] = [];
    for (const nodes of this.clusters.values())
      for (const n of nodes.values()) if (n.resource === resource) out.push(n);
    return out;
  }

  /** The number of owner→dependent edges (for measurements). */
  edgeCount(): number {
    let n = 0;
    for (const nodes of this.clusters.values()) for (const node of nodes.values()) n += node.dependents.size;
    return n;
  }
}

/** What the collector keeps of an object: identity, owners and deletion state (client-go's SetTransform). */
export function trimForGraph(obj: KObject): KObject {
  const m = obj.metadata;
  const meta: KObject["metadata"] = { name: m.name, uid: m.uid };
  if (m.namespace !== undefined) meta.namespace = m.namespace;
  if (m.deletionTimestamp) meta.deletionTimestamp = m.deletionTimestamp;
  if (m.finalizers?.length) meta.finalizers = m.finalizers;
  const refs = m.ownerReferences as OwnerRef[] | undefined;
  if (Array.isArray(refs) && refs.length) {
    meta.ownerReferences = refs.map((r) => {
      const t: OwnerRef = { apiVersion: r.apiVersion, kind: r.kind, name: r.name, uid: r.uid };
      if (r.blockOwnerDeletion === true) t.blockOwnerDeletion = true;
      return t;
    });
  }
  return { apiVersion: obj.apiVersion, kind: obj.kind, metadata: meta } as KObject;
}
