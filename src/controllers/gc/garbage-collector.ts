// The garbage collector, as kube-controller-manager's: it follows every stored resource (built-in
// kinds and custom resources) with one list and watch per resource across all logical clusters
// (resource-feed.ts), keeps the owner graph (graph.ts), and
//  - deletes a dependent once every owner it names is absent (not found in the dependent's logical
//    cluster, or found with another uid) — background cascading; when some owners remain it only
//    removes the references to the absent ones;
//  - for an owner being deleted with the `orphan` finalizer, removes its references from every
//    dependent, then the finalizer;
//  - for an owner being deleted with `foregroundDeletion`, deletes its dependents (in foreground
//    when they own objects themselves) and removes the finalizer once no dependent with
//    blockOwnerDeletion is left.
// A namespaced dependent's owner is looked up in the dependent's namespace only: an owner whose
// uid lives in another namespace counts as absent, and the reference is reported with kube's
// OwnerRefInvalidNamespace Warning Event (invalid-owner-events.ts), whether or not the graph holds
// that owner.
// Nothing is decided before every resource has listed once (an owner of a type still listing must
// not look absent), and absence is confirmed by a live read before anything is deleted. CRDs come
// and go: the registry's changes start following new resources and stop those no longer served.

import type { ResourceRegistry } from "../../apis/registry.ts";
import { FOREGROUND_FINALIZER, type ObjectStore, ORPHAN_FINALIZER, storageOf } from "../../apis/store.ts";
import type { KObject, RequestContext, ResourceDef } from "../../apis/types.ts";
import { type Informer, storeSource } from "../../client/informer.ts";
import { WorkQueue } from "../../client/work-queue.ts";
import { log } from "../../log.ts";
import { parseAPIVersion } from "../../machinery/api-version.ts";
import { StatusError } from "../../machinery/status.ts";
import { type GraphNode, OwnerGraph, type OwnerRef } from "./graph.ts";
import { InvalidOwnerEvents } from "./invalid-owner-events.ts";
import { ResourceFeed } from "./resource-feed.ts";

const SYSTEM_USER = {
  username: "system:serviceaccount:kube-system:generic-garbage-collector",
  groups: ["system:masters"],
};

/** The storage resource a definition reads and writes (versions and aliases of one resource share it). */
export function storageKeyOf(def: ResourceDef): string {
  const s = storageOf(def);
  return `${s.group}/${s.resource}`;
}

function deletingWith(obj: KObject | undefined, finalizer: string): boolean {
  return Boolean(obj?.metadata.deletionTimestamp) && (obj?.metadata.finalizers?.includes(finalizer) ?? false);
}

/**
 * Whether a stored write can matter to the collector: the object has (or had) owner references or
 * a deletion timestamp. The others (most writes: a create without ownerReferences) are not even
 * decoded; their deletes still are. A mention in other fields only costs a decode.
 */
function mayMatter(value: string, prevValue: string | undefined): boolean {
  const matters = (v: string) => v.includes('"ownerReferences"') || v.includes('"deletionTimestamp"');
  return matters(value) || (prevValue !== undefined && matters(prevValue));
}

/** Objects per page of the first lists (about 4 ms of decoding each for 1 KiB objects). */
const LIST_PAGE = 500;
/** Owner uids whose namespace the collector remembers (see namespaceOfUid); the oldest are forgotten. */
const WHEREABOUTS = 10_000;

type OwnerState = "solid" | "dangling" | "waiting";

/** Thrown inside an update when the object is not the one meant (recreated under the same name). */
class UidChanged extends Error {}

/** A dependent as sync() read it from its node (which may change while sync awaits). */
interface Dependent {
  cluster: string;
  uid: string;
  name: string;
  namespace: string | undefined;
  def: ResourceDef;
}

interface Followed {
  def: ResourceDef;
  /** The collector's own list and watch of the resource… */
  feed?: ResourceFeed;
  /** …or an informer kept by someone else, to which it added handlers. */
  shared?: Informer;
  stopHandlers?: () => void;
  synced: boolean;
}

export interface GarbageCollectorOptions {
  /** Informers already kept by someone else, by storage key (`/namespaces`): handlers are added to them. */
  shared?: Map<string, Informer>;
}

export class GarbageCollector {
  readonly graph = new OwnerGraph();
  private readonly followed = new Map<string, Followed>();
  private readonly work = new WorkQueue("garbage collector", (item) => this.sync(item));
  private stopRegistry?: () => void;
  private stopped = false;
  private readonly invalidOwners: InvalidOwnerEvents;
  /**
   * `cluster\nresource\nuid` → the namespace an object of that uid was found in, or null: none in
   * the logical cluster (looked for, or its deletion observed). Bounds the searches of
   * namespaceOfUid to one per owner (a cascade's thousands of dependents name one owner).
   */
  private readonly whereabouts = new Map<string, string | null>();
  /** Counts gone(): a live read that saw an owner is trusted only if nothing went in the meantime. */
  private removals = 0;

  constructor(
    private readonly store: ObjectStore,
    private readonly registry: ResourceRegistry,
    private readonly opts: GarbageCollectorOptions = {},
  ) {
    this.invalidOwners = new InvalidOwnerEvents(store, registry, (cluster) => this.ctx(cluster));
  }

  /** Resolves once every stored resource has been listed once. */
  async start(): Promise<void> {
    this.stopRegistry = this.registry.onChange(() => {
      this.reconcile();
    });
    await Promise.all(this.reconcile());
  }

  stop(): void {
    this.stopped = true;
    this.stopRegistry?.();
    this.work.stop();
    for (const f of this.followed.values()) this.unfollow(f);
    this.followed.clear();
  }

  /** True once every followed resource has listed once: before that, absence means nothing. */
  synced(): boolean {
    for (const f of this.followed.values()) if (!f.synced) return false;
    return true;
  }

  private unfollow(f: Followed): void {
    f.stopHandlers?.();
    f.feed?.stop();
  }

  /**
   * Follow every stored resource served somewhere, and only those. Synchronous: it starts the new
   * feeds and returns their first lists, which retry by themselves (a resource that cannot be
   * listed for a while holds back the collector's decisions, never the following of other resources).
   */
  private reconcile(): Promise<void>[] {
    if (this.stopped) return [];
    const wanted = new Map<string, ResourceDef>();
    for (const d of this.registry.resources("*")) {
      if (d.mode !== "stored") continue;
      const k = storageKeyOf(d);
      // The storage version's definition, read as stored: the collector needs metadata only, and a
      // served version's read-time conversion (webhook conversion: not supported) must not stop it.
      if (!wanted.has(k) || d.storageVersion) wanted.set(k, d.onRead ? { ...d, onRead: undefined } : d);
    }
    for (const [k, f] of [...this.followed]) {
      if (wanted.has(k)) continue;
      this.followed.delete(k);
      this.unfollow(f);
      // Its objects are gone with their resource: their dependents are examined.
      for (const n of this.graph.nodesOf(k)) this.gone(n.cluster, n.uid, k);
    }
    const starting: Promise<void>[] = [];
    for (const [k, def] of wanted) {
      if (this.followed.has(k)) continue;
      starting.push(this.follow(k, def));
    }
    return starting;
  }

  private async follow(resource: string, def: ResourceDef): Promise<void> {
    const shared = this.opts.shared?.get(resource);
    if (shared) {
      const f: Followed = { shared, def, synced: false };
      this.followed.set(resource, f);
      // The graph keeps what it needs of each object; the shared informer keeps its own copies.
      f.stopHandlers = shared.addHandlers({
        onAdd: (obj, cluster) => this.observed(cluster, obj, resource),
        onUpdate: (old, obj, cluster) => {
          if (old.metadata.uid !== obj.metadata.uid && old.metadata.uid) this.gone(cluster, old.metadata.uid, resource);
          this.observed(cluster, obj, resource);
        },
        onDelete: (obj, cluster) => {
          if (obj.metadata.uid) this.gone(cluster, obj.metadata.uid, resource);
        },
      });
      f.synced = shared.hasSynced();
      if (!f.synced) await this.waitSynced(f, shared);
      return;
    }
    const source = storeSource(this.store, def, { accepts: mayMatter, pageSize: LIST_PAGE });
    const feed = new ResourceFeed(`garbage collector: ${resource}`, source, {
      onObject: (obj, cluster) => this.observed(cluster, obj, resource),
      onDeleted: (obj, cluster) => {
        if (obj.metadata.uid) this.gone(cluster, obj.metadata.uid, resource);
      },
      // Objects that went away while the watch was down (or that changed uid under their name).
      // Not all: a node the relist did not decode (no owner references, no deletion timestamp)
      // also looks gone, so its dependents are examined again, but its uid is not said to be absent.
      onRelisted: (listed) => {
        for (const n of this.graph.nodesOf(resource)) {
          if (!listed(n.cluster, n.uid)) this.gone(n.cluster, n.uid, resource, false);
        }
      },
    });
    const f: Followed = { feed, def, synced: false };
    this.followed.set(resource, f);
    for (let attempt = 0; !this.stopped && this.followed.get(resource) === f; attempt++) {
      try {
        await feed.start();
        f.synced = true;
        return;
      } catch (e) {
        log.warn(`garbage collector: listing ${resource} failed (${(e as Error).message}); retrying`);
        await Bun.sleep(Math.min(100 * 2 ** attempt, 5000));
      }
    }
  }

  private async waitSynced(f: Followed, informer: Informer): Promise<void> {
    while (!this.stopped && !informer.hasSynced()) await Bun.sleep(20);
    f.synced = true;
  }

  private enqueue(n: GraphNode): void {
    this.work.add(`${n.cluster}\n${n.uid}`);
  }

  /** An object was added or changed. */
  private observed(cluster: string, obj: KObject, resource: string): void {
    const finishing = deletingWith(obj, ORPHAN_FINALIZER) || deletingWith(obj, FOREGROUND_FINALIZER);
    const change = this.graph.observe(cluster, obj, resource, finishing);
    if (!change) return;
    const { node } = change;
    // An owner observed before anything named it took no node: a shared informer's cache has it.
    for (const o of change.addedOwners) if (o.virtual) this.fillFromShared(o, node);
    // An owner being deleted with a policy of the collector's.
    if (node.deletingWith(ORPHAN_FINALIZER)) this.enqueue(node);
    if (node.deletingWith(FOREGROUND_FINALIZER)) {
      this.enqueue(node);
      for (const d of node.dependents()) this.enqueue(d);
    }
    // A foreground owner that stopped being owned by this one may have nothing left to wait for.
    for (const o of change.removedOwners) if (o.deletingWith(FOREGROUND_FINALIZER)) this.enqueue(o);
    // A dependent whose owner is not (yet) observed, or is being deleted in foreground.
    // Also one whose reference names another object than the graph's node of that uid (another
    // name, or an owner in another namespace: a reference never crosses one), which sync() resolves.
    for (const r of node.refs) {
      const o = this.graph.node(cluster, r.uid);
      const named = o?.name === r.name && (o.namespace === undefined || o.namespace === node.namespace);
      if (!o || o.virtual || !named || o.deletingWith(FOREGROUND_FINALIZER)) {
        this.enqueue(node);
        break;
      }
    }
  }

  /**
   * Give a virtual owner its object from the cache of a shared informer (the namespaces'), when
   * its resource has one and the object is there. The collector's own feeds keep no cache: their
   * owners that the graph does not hold are read live when it matters (ownerState).
   */
  private fillFromShared(owner: GraphNode, dependent: GraphNode): void {
    const ref = dependent.refs.find((r) => r.uid === owner.uid);
    if (!ref) return;
    const def = this.defOfKind(owner.cluster, parseAPIVersion(ref.apiVersion ?? "").group, ref.kind);
    if (!def) return;
    const resource = storageKeyOf(def);
    const informer = this.followed.get(resource)?.shared;
    if (!informer) return;
    const namespace = def.namespaced ? dependent.namespace : undefined;
    if (def.namespaced && !namespace) return;
    const cached = informer.get(namespace, ref.name, owner.cluster);
    if (cached?.metadata.uid !== owner.uid) return;
    this.graph.observe(owner.cluster, cached, resource);
  }

  /**
   * An object is gone (`deleted`: its deletion was seen, not only its absence from a relist): its
   * owners (a foreground one may be done) and its dependents are examined.
   */
  private gone(cluster: string, uid: string, resource: string, deleted = true): void {
    this.removals++;
    const removed = this.graph.remove(cluster, uid);
    if (!removed) return;
    // A uid is never used again: wherever a reference names it, its object is absent. Said of
    // owners only (a node with dependents): a cascade's thousands of deleted dependents would
    // otherwise push their owner out of the table while its other dependents still ask for it.
    if (deleted && removed.node.dependentCount > 0) this.remember(`${cluster}\n${resource}\n${uid}`, null);
    for (const o of removed.owners) if (o.deletingWith(FOREGROUND_FINALIZER)) this.enqueue(o);
    for (const d of removed.node.dependents()) this.enqueue(d);
  }

  /** Returns true when done with the item, false to try again later. */
  private async sync(item: string): Promise<boolean> {
    if (!this.synced()) return false;
    const i = item.indexOf("\n");
    const node = this.graph.node(item.slice(0, i), item.slice(i + 1));
    if (!node || node.name === undefined) return true;
    if (node.deleting) {
      if (node.deletingWith(ORPHAN_FINALIZER)) return this.orphanDependents(node);
      if (node.deletingWith(FOREGROUND_FINALIZER)) return this.finishForeground(node);
      return true;
    }
    if (node.refs.length === 0) return true;
    const def = this.defOfNode(node);
    if (!def) return true;
    // The node as it is now: it may change (or go) while this awaits.
    const me: Dependent = { cluster: node.cluster, uid: node.uid, name: node.name, namespace: node.namespace, def };
    // As kube: the object's references as stored now decide, not the graph's (it may lag).
    const live = await this.store.tryGet(def, me.cluster, me.namespace, me.name);
    if (!live || live.metadata.uid !== me.uid || live.metadata.deletionTimestamp) return true;
    const refs = (live.metadata.ownerReferences as OwnerRef[] | undefined) ?? [];
    if (refs.length === 0) return true;
    const solid: OwnerRef[] = [];
    const absent: OwnerRef[] = [];
    let waiting = false;
    for (const r of refs) {
      const state = await this.ownerState(me, r);
      if (state === "solid") solid.push(r);
      else absent.push(r);
      if (state === "waiting") waiting = true;
    }
    if (solid.length > 0) {
      // kube keeps an object that still has an owner, without the references to the absent ones.
      if (absent.length === 0) return true;
      const drop = new Set(absent.map((r) => r.uid));
      return this.patchOwnerRefs(node, (refs) => refs.filter((r) => !drop.has(r.uid)));
    }
    // No owner left: delete it, in foreground when an owner waits and it owns objects itself.
    let policy: "Orphan" | "Foreground" | "Background" = "Background";
    if (waiting && node.dependentCount > 0) {
      policy = "Foreground";
      // A dependent of its own waits for its dependents too: maybe a cycle (A owns B owns A). As kube,
      // its own references stop blocking, so that the owners waiting for it need not wait.
      if (node.dependents().some((d) => d.deletingWith(FOREGROUND_FINALIZER))) {
        await this.patchOwnerRefs(node, (refs) => refs.map(({ blockOwnerDeletion: _, ...r }) => r));
      }
    } else if (live.metadata.finalizers?.includes(ORPHAN_FINALIZER)) policy = "Orphan";
    else if (live.metadata.finalizers?.includes(FOREGROUND_FINALIZER)) policy = "Foreground";
    try {
      // The object as read above, and no other version: owners read since may have been changed
      // (re-parented to a live owner) in between.
      await this.store.delete(def, this.ctx(me.cluster), me.namespace, me.name, {
        preconditions: { uid: me.uid, resourceVersion: live.metadata.resourceVersion },
        propagationPolicy: policy,
      });
    } catch (e) {
      if (!(e instanceof StatusError && (e.code === 404 || e.code === 409))) throw e;
      // Gone already, or another object under the name now: nothing of ours to delete. The same
      // object, changed since it was read: decide again.
      if (e.code === 409) {
        const now = await this.store.tryGet(def, me.cluster, me.namespace, me.name);
        if (now?.metadata.uid === me.uid) return false;
      }
    }
    return true;
  }

  /**
   * Whether an owner named by `dependent` exists: observed in the graph, or (not observed) a live
   * read in the dependent's logical cluster with the same uid. A kind that cannot be resolved, or a
   * namespaced owner of a cluster-scoped dependent, counts as existing: kube never collects those.
   * A namespaced owner is looked for in the dependent's namespace only; its uid found in another
   * namespace makes the reference invalid (reported), and the owner absent.
   */
  private async ownerState(dependent: Dependent, r: OwnerRef): Promise<OwnerState> {
    const def = this.defOfKind(dependent.cluster, parseAPIVersion(r.apiVersion ?? "").group, r.kind);
    if (!def) return "solid";
    const namespace = dependent.namespace;
    if (def.namespaced && !namespace) {
      this.reportInvalid(dependent, r);
      return "solid";
    }
    // The graph's node of that uid answers only when it is the object the reference names: same
    // name and, for a namespaced owner, the dependent's namespace.
    const o = this.graph.node(dependent.cluster, r.uid);
    if (o && !o.virtual && o.name === r.name && (!def.namespaced || o.namespace === namespace)) {
      return o.deletingWith(FOREGROUND_FINALIZER) ? "waiting" : "solid";
    }
    const removals = this.removals;
    const live = await this.store.tryGet(def, dependent.cluster, def.namespaced ? namespace : undefined, r.name);
    if (live && live.metadata.uid === r.uid) {
      // The graph's virtual node of the owner becomes the object read (kube's GraphBuilder turns a
      // virtual node into an observed one), so that the owner's next dependents need no read: an
      // owner without owner references is never decoded from the watch, but its deletion is, and
      // so is any change the collector acts on (a deletion timestamp, owner references). Not when
      // something went meanwhile (the read may predate the owner's deletion, already handled), nor
      // when the watch observed the owner first (the read may be older than what it saw).
      const node = this.graph.node(dependent.cluster, r.uid);
      if (node?.virtual && node.dependentCount > 0 && removals === this.removals) {
        this.observed(dependent.cluster, live, storageKeyOf(def));
      }
      return deletingWith(live, FOREGROUND_FINALIZER) ? "waiting" : "solid";
    }
    if (def.namespaced) {
      // Absent here: does its uid live in another namespace? The graph may hold it; else the store says.
      const elsewhere =
        o && !o.virtual && o.namespace !== undefined ? o.namespace : await this.namespaceOfUid(def, dependent, r.uid);
      if (elsewhere !== undefined && elsewhere !== namespace) this.reportInvalid(dependent, r);
    }
    return "dangling";
  }

  /**
   * The namespace of the object of `def` whose uid is `uid` in the dependent's logical cluster, if
   * there is one: a scan of that resource's stored JSON for the uid (only the objects mentioning it
   * are decoded), done once per uid (remembered in `whereabouts`).
   */
  private async namespaceOfUid(def: ResourceDef, dependent: Dependent, uid: string): Promise<string | undefined> {
    const key = `${dependent.cluster}\n${storageKeyOf(def)}\n${uid}`;
    const known = this.whereabouts.get(key);
    if (known !== undefined) return known ?? undefined;
    let found: string | null = null;
    let token: string | undefined;
    do {
      const page = await this.store.list(def, dependent.cluster, undefined, {
        accepts: (value) => value.includes(uid),
        limit: LIST_PAGE,
        ...(token ? { continue: token } : {}),
      });
      for (const o of page.items) if (o.metadata.uid === uid) found = o.metadata.namespace ?? null;
      token = page.continue;
    } while (found === null && token && !this.stopped);
    this.remember(key, found);
    return found ?? undefined;
  }

  private remember(key: string, namespace: string | null): void {
    this.whereabouts.delete(key);
    if (this.whereabouts.size >= WHEREABOUTS) {
      const oldest = this.whereabouts.keys().next().value;
      if (oldest !== undefined) this.whereabouts.delete(oldest);
    }
    this.whereabouts.set(key, namespace);
  }

  /** Orphan: every dependent loses its references to the owner, then the owner its `orphan` finalizer. */
  private async orphanDependents(owner: GraphNode): Promise<boolean> {
    for (const d of owner.dependents()) {
      if (d.virtual) continue;
      const ok = await this.patchOwnerRefs(d, (refs) => refs.filter((r) => r.uid !== owner.uid));
      if (!ok) return false;
    }
    return this.removeFinalizer(owner, ORPHAN_FINALIZER);
  }

  /** Foreground: the dependents are deleted; the finalizer goes once none with blockOwnerDeletion is left. */
  private async finishForeground(owner: GraphNode): Promise<boolean> {
    const blocking = owner.blockingDependents().filter((d) => this.refersValidly(d, owner));
    if (blocking.length === 0) return this.removeFinalizer(owner, FOREGROUND_FINALIZER);
    // Each is examined (deleted, as this owner waits); their removal brings the owner back here.
    for (const d of blocking) if (!d.deleting) this.enqueue(d);
    return true;
  }

  /**
   * Whether `dependent`'s reference to `owner` can name it at all: a cluster-scoped object cannot
   * be owned by a namespaced one, nor a namespaced object by one in another namespace. kube never
   * collects through such a reference, and it must not hold up the owner's foreground deletion.
   */
  private refersValidly(dependent: GraphNode, owner: GraphNode): boolean {
    const ownerDef = this.defOfNode(owner);
    if (!ownerDef?.namespaced) return true;
    const dependentDef = this.defOfNode(dependent);
    if (dependentDef && !dependentDef.namespaced) return false;
    return dependent.namespace === owner.namespace;
  }

  private async patchOwnerRefs(node: GraphNode, keep: (refs: OwnerRef[]) => OwnerRef[]): Promise<boolean> {
    return this.updateNode(node, (cur) => {
      const refs = keep((cur.metadata.ownerReferences as OwnerRef[] | undefined) ?? []);
      if (refs.length) cur.metadata.ownerReferences = refs;
      else delete cur.metadata.ownerReferences;
    });
  }

  private async removeFinalizer(node: GraphNode, finalizer: string): Promise<boolean> {
    return this.updateNode(node, (cur) => {
      const left = (cur.metadata.finalizers ?? []).filter((f) => f !== finalizer);
      if (left.length) cur.metadata.finalizers = left;
      else delete cur.metadata.finalizers;
    });
  }

  /** Change the object of `node` if it is still the same object (uid); done when it is gone. */
  private async updateNode(node: GraphNode, change: (cur: KObject) => void): Promise<boolean> {
    const { name, namespace, uid } = node;
    const def = this.defOfNode(node);
    if (name === undefined || !def) return true;
    try {
      await this.store.update(def, this.ctx(node.cluster), namespace, name, (cur) => {
        if (cur.metadata.uid !== uid) throw new UidChanged();
        change(cur);
        delete cur.metadata.resourceVersion;
        return cur;
      });
    } catch (e) {
      if (e instanceof UidChanged) return true;
      if (e instanceof StatusError && e.code === 404) return true;
      throw e;
    }
    return true;
  }

  /** The OwnerRefInvalidNamespace Warning Event on `dependent` (recorded in the background, once). */
  private reportInvalid(dependent: Dependent, r: OwnerRef): void {
    const def = dependent.def;
    void this.invalidOwners.report(
      {
        cluster: dependent.cluster,
        apiVersion: def.group ? `${def.group}/${def.version}` : def.version,
        kind: def.kind,
        namespace: dependent.namespace,
        name: dependent.name,
        uid: dependent.uid,
      },
      r,
    );
  }

  private ctx(cluster: string): RequestContext {
    return { cluster, user: SYSTEM_USER, dryRun: false, warnings: [] };
  }

  /** The definition, in the node's logical cluster, of the resource whose feed observed it. */
  private defOfNode(node: GraphNode): ResourceDef | undefined {
    const resource = node.resource;
    if (!resource) return undefined;
    for (const d of this.registry.resources(node.cluster)) {
      if (d.mode === "stored" && storageKeyOf(d) === resource) return d;
    }
    return undefined;
  }

  private defOfKind(cluster: string, group: string, kind: string): ResourceDef | undefined {
    for (const d of this.registry.resources(cluster)) {
      if (d.mode === "stored" && d.group === group && d.kind === kind) return d;
    }
    return undefined;
  }
}
