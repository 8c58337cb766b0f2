// The garbage collector's owner graph (kube-controller-manager's GraphBuilder's uidToNode), keyed by
// (logical cluster, uid): an owner reference names a uid in the dependent's own logical cluster
// only, so the same uid in another logical cluster is another node and never matches.
//
// Only objects that take part hold a node: those with ownerReferences (dependents) and those that
// are named by one (owners). An object that neither owns nor is owned costs the graph nothing. A
// node named by a reference before (or without) its object being observed is "virtual".
//
// The graph is the collector's only copy of what it observed (no informer cache beside it): a node
// keeps the fields the collector reads (name, owner references, the finalizers of an object being
// deleted) on itself, one object per observed object. What repeats is shared: nodes of one logical
// cluster, resource and namespace share one Place, and dependents that name their one owner alike
// share one trimmed reference array. docs/performance.md measures what a node and an edge cost.

import type { KObject } from "../../apis/types.ts";

export interface OwnerRef {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  blockOwnerDeletion?: boolean;
  controller?: boolean;
}

const NO_REFS: readonly OwnerRef[] = Object.freeze([]);
const NO_FINALIZERS: readonly string[] = Object.freeze([]);
/** Dependents an owner keeps in an array at most; beyond, in a Set. */
const MAX_LISTED_DEPENDENTS = 256;
/** Strings interned at most (kinds, apiVersions, finalizers); beyond, the table starts over. */
const INTERNED = 10_000;

/** What the collector keeps of one owner reference (the `controller` flag is not read). */
function trimRef(r: OwnerRef, intern: (s: string) => string): OwnerRef {
  const t: OwnerRef = { apiVersion: intern(r.apiVersion), kind: intern(r.kind), name: r.name, uid: r.uid };
  if (r.blockOwnerDeletion === true) t.blockOwnerDeletion = true;
  return t;
}

function namesAlike(a: OwnerRef, b: OwnerRef): boolean {
  return (
    a.uid === b.uid &&
    a.name === b.name &&
    a.kind === b.kind &&
    a.apiVersion === b.apiVersion &&
    (a.blockOwnerDeletion === true) === (b.blockOwnerDeletion === true)
  );
}

function hasUid(refs: readonly OwnerRef[], uid: string): boolean {
  for (const r of refs) if (r.uid === uid) return true;
  return false;
}

/**
 * Where an observed object lives: its logical cluster, resource and namespace. Nodes share one per
 * combination (a node is one field smaller than with the three apart: most nodes are dependents).
 */
interface Place {
  readonly cluster: string;
  readonly resource: string | undefined;
  readonly namespace: string | undefined;
}

export class GraphNode {
  /** The observed object's name; undefined while the node is virtual. */
  name: string | undefined = undefined;
  /** Its owner references, trimmed (shared with other dependents: never changed in place). */
  refs: readonly OwnerRef[] = NO_REFS;
  /** The finalizers of an object being deleted (it has a deletionTimestamp); undefined otherwise. */
  deleting: readonly string[] | undefined = undefined;
  /**
   * Its dependents: one node (most owners have one, most nodes none), an array of a few (8 bytes
   * each, where a Set entry costs about 50), or a Set beyond MAX_LISTED_DEPENDENTS (removal from
   * an array is a scan).
   */
  private deps: GraphNode | GraphNode[] | Set<GraphNode> | undefined = undefined;

  constructor(
    readonly uid: string,
    /** Set by the graph as the object is observed (a virtual node's has its cluster only). */
    public place: Place,
  ) {}

  get cluster(): string {
    return this.place.cluster;
  }

  /** The storage resource (`group/resource`) whose watch observed it. */
  get resource(): string | undefined {
    return this.place.resource;
  }

  get namespace(): string | undefined {
    return this.place.namespace;
  }

  get virtual(): boolean {
    return this.name === undefined;
  }

  /** Being deleted with this finalizer still on it (a policy of the collector's to carry out). */
  deletingWith(finalizer: string): boolean {
    return this.deleting?.includes(finalizer) ?? false;
  }

  get dependentCount(): number {
    const d = this.deps;
    return d === undefined ? 0 : d instanceof Set ? d.size : Array.isArray(d) ? d.length : 1;
  }

  hasDependent(n: GraphNode): boolean {
    const d = this.deps;
    if (d === n) return true;
    if (d instanceof Set) return d.has(n);
    return Array.isArray(d) && d.includes(n);
  }

  /** Its dependents, as a new array (safe to iterate while the graph changes). */
  dependents(): GraphNode[] {
    const d = this.deps;
    return d === undefined ? [] : d instanceof Set || Array.isArray(d) ? [...d] : [d];
  }

  /** The first of its dependents (without copying them). */
  private firstDependent(): GraphNode | undefined {
    const d = this.deps;
    return d instanceof Set ? d.values().next().value : Array.isArray(d) ? d[0] : d;
  }

  addDependent(n: GraphNode): void {
    const d = this.deps;
    if (d === undefined) this.deps = n;
    else if (d instanceof Set) d.add(n);
    else if (Array.isArray(d)) {
      if (d.includes(n)) return;
      if (d.length < MAX_LISTED_DEPENDENTS) d.push(n);
      else this.deps = new Set([...d, n]);
    } else if (d !== n) this.deps = [d, n];
  }

  removeDependent(n: GraphNode): void {
    const d = this.deps;
    if (d === n) this.deps = undefined;
    else if (d instanceof Set) {
      d.delete(n);
      if (d.size <= MAX_LISTED_DEPENDENTS / 2) this.deps = d.size === 1 ? d.values().next().value : [...d];
    } else if (Array.isArray(d)) {
      const i = d.indexOf(n);
      if (i < 0) return;
      // Order does not matter: the last takes the removed one's slot.
      const last = d.pop() as GraphNode;
      if (i < d.length) d[i] = last;
      if (d.length === 1) this.deps = d[0];
    }
  }

  /**
   * The trimmed one-reference array naming this node as `r` does: a dependent's that names it
   * alike when there is one (its first dependent's: no field is spent on remembering it), else new.
   */
  refsNaming(r: OwnerRef, intern: (s: string) => string): readonly OwnerRef[] {
    const first = this.firstDependent();
    if (first?.refs.length === 1 && namesAlike(first.refs[0] as OwnerRef, r)) return first.refs;
    return Object.freeze([trimRef(r, intern)]);
  }

  /** Its dependents whose reference to it has blockOwnerDeletion (what a foreground deletion waits for). */
  blockingDependents(): GraphNode[] {
    const out: GraphNode[] = [];
    for (const d of this.dependents()) {
      if (d.refs.some((r) => r.uid === this.uid && r.blockOwnerDeletion === true)) out.push(d);
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

/** Places interned per logical cluster at most; beyond, the table starts over (nodes keep theirs). */
const PLACES = 1_000;

/** The nodes of one logical cluster, and the places they share. */
class ClusterNodes {
  readonly nodes = new Map<string, GraphNode>();
  /** The place of its virtual nodes. */
  readonly unobserved: Place;
  private readonly places = new Map<string, Place>();

  constructor(readonly name: string) {
    this.unobserved = { cluster: name, resource: undefined, namespace: undefined };
  }

  place(resource: string, namespace: string | undefined): Place {
    const key = namespace === undefined ? resource : `${resource}\n${namespace}`;
    let p = this.places.get(key);
    if (!p) {
      if (this.places.size >= PLACES) this.places.clear();
      p = { cluster: this.name, resource, namespace };
      this.places.set(key, p);
    }
    return p;
  }
}

export class OwnerGraph {
  /** Per logical cluster, by uid: the uid strings are the objects' own, no key is built per node. */
  private readonly clusters = new Map<string, ClusterNodes>();
  private readonly interned = new Map<string, string>();
  private count = 0;
  private readonly intern = (s: string): string => {
    const known = this.interned.get(s);
    if (known !== undefined) return known;
    if (this.interned.size >= INTERNED) this.interned.clear();
    this.interned.set(s, s);
    return s;
  };

  get size(): number {
    return this.count;
  }

  node(cluster: string, uid: string): GraphNode | undefined {
    return this.clusters.get(cluster)?.nodes.get(uid);
  }

  private clusterOf(cluster: string): ClusterNodes {
    let c = this.clusters.get(cluster);
    if (!c) {
      c = new ClusterNodes(cluster);
      this.clusters.set(cluster, c);
    }
    return c;
  }

  private ensure(c: ClusterNodes, uid: string): GraphNode {
    let n = c.nodes.get(uid);
    if (!n) {
      n = new GraphNode(uid, c.unobserved);
      c.nodes.set(uid, n);
      this.count++;
    }
    return n;
  }

  private drop(n: GraphNode): void {
    const c = this.clusters.get(n.cluster);
    if (!c?.nodes.delete(n.uid)) return;
    this.count--;
    if (c.nodes.size === 0) this.clusters.delete(n.cluster);
  }

  /** A virtual node with no dependents is nothing: drop it. */
  private prune(n: GraphNode): void {
    if (n.virtual && n.dependentCount === 0) this.drop(n);
  }

  /** The trimmed references of an object, sharing the owner's array when there is one reference. */
  private trimRefs(c: ClusterNodes, raw: readonly OwnerRef[]): readonly OwnerRef[] {
    if (raw.length === 0) return NO_REFS;
    const first = raw[0] as OwnerRef;
    if (raw.length === 1 && typeof first.uid === "string" && first.uid) {
      return this.ensure(c, first.uid).refsNaming(first, this.intern);
    }
    return Object.freeze(raw.map((r) => trimRef(r, this.intern)));
  }

  /**
   * The object was added or changed. An object with no owner references that nobody references
   * takes no node (returns undefined), unless `keep` (an owner being deleted that the collector
   * must finish even without dependents).
   */
  observe(cluster: string, obj: KObject, resource: string, keep = false): GraphChange | undefined {
    const m = obj.metadata;
    const uid = m.uid;
    if (!uid) return undefined;
    const raw = Array.isArray(m.ownerReferences) ? (m.ownerReferences as OwnerRef[]) : NO_REFS;
    const existing = this.node(cluster, uid);
    if (!existing && raw.length === 0 && !keep) return undefined;
    const c = this.clusterOf(cluster);
    const node = existing ?? this.ensure(c, uid);
    const oldRefs = node.refs;
    const newRefs = this.trimRefs(c, raw);
    node.name = m.name;
    node.place = c.place(resource, m.namespace);
    node.refs = newRefs;
    node.deleting = m.deletionTimestamp
      ? m.finalizers?.length
        ? Object.freeze(m.finalizers.map(this.intern))
        : NO_FINALIZERS
      : undefined;
    const addedOwners: GraphNode[] = [];
    const removedOwners: GraphNode[] = [];
    if (oldRefs !== newRefs) {
      for (const r of oldRefs) {
        if (hasUid(newRefs, r.uid)) continue;
        const o = c.nodes.get(r.uid);
        if (!o?.hasDependent(node)) continue;
        o.removeDependent(node);
        removedOwners.push(o);
        this.prune(o);
      }
      for (const r of newRefs) {
        if (!r.uid) continue;
        const o = this.ensure(c, r.uid);
        if (o.hasDependent(node)) continue;
        o.addDependent(node);
        if (!hasUid(oldRefs, r.uid)) addedOwners.push(o);
      }
    }
    // An object that stopped owning and being owned leaves the graph.
    if (newRefs.length === 0 && node.dependentCount === 0 && !keep) this.drop(node);
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
    for (const r of node.refs) {
      const o = this.node(cluster, r.uid);
      if (!o?.hasDependent(node)) continue;
      o.removeDependent(node);
      owners.push(o);
      this.prune(o);
    }
    node.name = undefined;
    node.place = this.clusters.get(cluster)?.unobserved ?? node.place;
    node.refs = NO_REFS;
    node.deleting = undefined;
    this.prune(node);
    return { node, owners };
  }

  /** Every observed node of one storage resource (to forget them when the resource stops being served). */
  nodesOf(resource: string): GraphNode[] {
    const out: GraphNode[] = [];
    for (const c of this.clusters.values()) for (const n of c.nodes.values()) if (n.resource === resource) out.push(n);
    return out;
  }

  /** The number of owner→dependent edges (for measurements). */
  edgeCount(): number {
    let n = 0;
    for (const c of this.clusters.values()) for (const node of c.nodes.values()) n += node.dependentCount;
    return n;
  }
}
