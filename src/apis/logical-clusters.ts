// Logical clusters come into being on first use by someone who may create them (the logical
// cluster filter decides who), or by a create of their LogicalCluster object in `admin`: a marker
// object and the namespaces `default`, `kube-system`, `kube-public` and `kube-node-lease` (kube's
// system namespaces; the last may be deleted, as in kube). Before that a cluster costs nothing;
// after, a few rows and one entry in the `known` set.
//
// The marker is the cluster's LogicalCluster object (tenancy.kcp.io, builtin/logical-cluster.ts),
// stored as admin's: `<prefix>/tenancy.kcp.io/logicalclusters/admin/<name>`. A watch on those keys
// keeps `known` and `terminating` true on every replica: a deleted cluster is forgotten when its
// marker goes, and a cluster being deleted takes no writes (the filter asks `isTerminating`).
// Earlier versions kept a bare marker at `…/logicalclusters/<name>/cluster`; `start` moves them.

import type { ObjectStore } from "./store.ts";
import type { ResourceDef, RequestContext } from "./types.ts";
import { randomUUID } from "node:crypto";
import {
  KeyExistsError,
  KeyNotFoundError,
  type KeyValue,
  RevisionMismatchError,
  type Storage,
  type Watch,
  type WatchEvent,
} from "../storage/interface.ts";
import { objectKey } from "../storage/keys.ts";
import { encodeObject, nowTimestamp } from "./object-codec.ts";
import { StatusError } from "../machinery/status.ts";
import { isObject } from "../machinery/object.ts";
import { log } from "../log.ts";
import {
  LOGICAL_CLUSTER_API_VERSION,
  LOGICAL_CLUSTER_KIND,
  LOGICAL_CLUSTER_PLURAL,
  TENANCY_GROUP,
} from "./builtin/logical-cluster.ts";
import { AdmittedWrites } from "./admitted-writes.ts";

/** The logical cluster of a path without `/clusters/<name>`; its CRDs are served in every cluster. */
export const DEFAULT_CLUSTER = "admin";

export const INITIAL_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

const SYSTEM_USER = { username: "system:kcp", groups: ["system:masters"] };

/** How long the marker watch waits before it lists again after losing its watch. */
const REWATCH_DELAY_MS = 1000;

/** kube's NamespaceTerminating answer, for a logical cluster. */
export function terminatingStatus(cluster: string): StatusError {
  return new StatusError(
    403,
    "Forbidden",
    `unable to create or change content in logical cluster ${cluster} because it is being terminated`,
    {
      name: cluster,
      group: TENANCY_GROUP,
      kind: LOGICAL_CLUSTER_PLURAL,
      causes: [{ reason: "LogicalClusterTerminating", message: `logical cluster ${cluster} is being terminated` }],
    },
  );
}

export class LogicalClusters {
  private readonly known = new Set<string>();
  /** Clusters whose marker has a deletionTimestamp: their data is being removed. */
  private readonly terminating = new Set<string>();
  private readonly pending = new Map<string, Promise<void>>();
  private watch?: Watch;
  private stopped = false;
  /** Writes the logical cluster filter admitted, by the marker revision seen then (admitted-writes.ts). */
  readonly writes = new AdmittedWrites();
  /** Told of each cluster seen turning Terminating, with the revision that showed it. */
  private readonly terminatingListeners = new Set<(name: string, revision: number) => void>();

  constructor(
    private readonly storage: Storage,
    private readonly store: ObjectStore,
    private readonly prefix: string,
    private readonly namespaceDef: ResourceDef,
  ) {}

  /** Where every marker lives: admin's logicalclusters. */
  private markersPrefix(): string {
    return `${this.prefix}/tenancy.kcp.io/logicalclusters/${DEFAULT_CLUSTER}/`;
  }

  markerKey(name: string): string {
    return objectKey(this.prefix, {
      group: "tenancy.kcp.io",
      resource: "logicalclusters",
      cluster: DEFAULT_CLUSTER,
      name,
    });
  }

  /** Move markers of the old layout, then follow the markers (list, then watch; again after a loss). */
  async start(): Promise<void> {
    await this.migrateMarkers();
    await this.follow();
  }

  stop(): void {
    this.stopped = true;
    this.watch?.stop();
  }

  private async follow(): Promise<void> {
    const prefix = this.markersPrefix();
    const listed = await this.storage.list({ prefix, skipRemaining: true });
    const seen = new Set<string>();
    for (const kv of listed.items) {
      const name = kv.key.slice(prefix.length);
      const was = this.terminating.has(name);
      seen.add(this.noteMarker(name, kv.value));
      if (!was && this.terminating.has(name)) this.tellTerminating(name, listed.revision);
    }
    // A cluster deleted while the watch was lost.
    for (const name of [...this.known]) if (!seen.has(name) && !this.pending.has(name)) this.forget(name);
    this.writes.observe(listed.revision);
    if (this.stopped) return;
    this.watch = this.storage.watch({
      prefix,
      afterRevision: listed.revision,
      onEvent: (ev: WatchEvent) => {
        const name = ev.key.slice(prefix.length);
        const was = this.terminating.has(name);
        if (ev.type === "DELETE") this.forget(name);
        else this.noteMarker(name, ev.value);
        this.writes.observe(ev.revision);
        if (!was && this.terminating.has(name)) this.tellTerminating(name, ev.revision);
      },
      onError: (err) => {
        if (this.stopped) return;
        log.debug(`logical clusters: marker watch lost (${err.message}), listing again`);
        this.followLater();
      },
    });
  }

  /**
   * Follow again after a pause, until a list and watch succeed: a replica that stopped following
   * would never see a cluster terminate or go, and take writes into it.
   */
  private followLater(): void {
    setTimeout(() => {
      if (this.stopped) return;
      this.follow().catch((e) => {
        log.warn(`logical clusters: cannot list markers (${e}), trying again`);
        this.followLater();
      });
    }, REWATCH_DELAY_MS);
  }

  private noteMarker(name: string, value: string): string {
    this.known.add(name);
    let deleting = false;
    try {
      const obj = JSON.parse(value) as unknown;
      deleting = isObject(obj) && isObject(obj.metadata) && typeof obj.metadata.deletionTimestamp === "string";
    } catch {
      // Not ours to judge: a marker that does not decode is a cluster that exists.
    }
    if (deleting) this.terminating.add(name);
    else this.terminating.delete(name);
    return name;
  }

  /** Call `fn` for each cluster this server sees turning Terminating (after it refuses its writes). */
  onTerminating(fn: (name: string, revision: number) => void): () => void {
    this.terminatingListeners.add(fn);
    return () => this.terminatingListeners.delete(fn);
  }

  private tellTerminating(name: string, revision: number): void {
    for (const fn of this.terminatingListeners) {
      try {
        fn(name, revision);
      } catch (e) {
        log.warn(`logical clusters: a Terminating listener failed: ${e}`);
      }
    }
  }

  /** Forget `name` at once (its marker is gone): the next request for it finds no cluster. */
  forget(name: string): void {
    this.known.delete(name);
    this.terminating.delete(name);
  }

  /**
   * Markers of the old layout (`…/logicalclusters/<name>/cluster`, a bare name and time) become
   * LogicalCluster objects with the same creation time. Creates go first (a crash in between leaves
   * both, and the next start finishes), except admin's old key, which is the new key of a cluster
   * named "cluster": it goes before that one is written.
   */
  private async migrateMarkers(): Promise<void> {
    const all = `${this.prefix}/tenancy.kcp.io/logicalclusters/`;
    const { items } = await this.storage.list({ prefix: all, skipRemaining: true });
    const old = items.filter((kv) => {
      const parts = kv.key.slice(all.length).split("/");
      if (parts.length !== 2 || parts[1] !== "cluster") return false;
      try {
        const v = JSON.parse(kv.value) as unknown;
        return isObject(v) && v.kind !== LOGICAL_CLUSTER_KIND;
      } catch {
        return false;
      }
    });
    const collides = this.markerKey("cluster");
    const ordered = [...old].sort((a, b) => Number(b.key === collides) - Number(a.key === collides));
    for (const kv of ordered) {
      const name = kv.key.slice(all.length).split("/")[0] as string;
      const v = JSON.parse(kv.value) as { creationTimestamp?: unknown };
      if (kv.key === collides) await this.deleteOldMarker(kv);
      try {
        await this.storage.create(this.markerKey(name), this.markerValue(name, v.creationTimestamp));
      } catch (e) {
        if (!(e instanceof KeyExistsError)) throw e;
      }
      if (kv.key !== collides) await this.deleteOldMarker(kv);
      log.info(`logical cluster ${name}: marker moved to ${this.markerKey(name)}`);
    }
  }

  /**
   * Delete an old marker only as it was listed: another replica starting at the same time may have
   * moved it already, and admin's old key may by then hold the new marker of a cluster "cluster".
   */
  private async deleteOldMarker(kv: KeyValue): Promise<void> {
    try {
      await this.storage.delete(kv.key, kv.modRevision);
    } catch (e) {
      if (!(e instanceof KeyNotFoundError || e instanceof RevisionMismatchError)) throw e;
    }
  }

  private markerValue(name: string, created: unknown): string {
    return encodeObject({
      apiVersion: LOGICAL_CLUSTER_API_VERSION,
      kind: LOGICAL_CLUSTER_KIND,
      metadata: {
        name,
        uid: randomUUID(),
        creationTimestamp: typeof created === "string" ? created : nowTimestamp(),
      },
      status: { phase: "Ready" },
    });
  }

  /** True when `name` is known to exist in this process: no storage read. */
  isKnown(name: string): boolean {
    return this.known.has(name);
  }

  /** True while `name` is being deleted (its data is being removed): it takes no writes. */
  isTerminating(name: string): boolean {
    return this.terminating.has(name);
  }

  /**
   * The namespaces a new cluster starts with, written before its marker (so a marker means a
   * ready cluster); for a create of the LogicalCluster object too. Nothing for one that exists.
   */
  async prepare(name: string): Promise<void> {
    if (await this.exists(name)) return;
    await this.createNamespaces(name);
  }

  private async createNamespaces(name: string): Promise<void> {
    const ctx: RequestContext = { cluster: name, user: SYSTEM_USER, dryRun: false, warnings: [] };
    for (const ns of INITIAL_NAMESPACES) {
      try {
        await this.store.create(this.namespaceDef, ctx, { metadata: { name: ns } }, undefined);
      } catch (e) {
        if (!(e instanceof StatusError && e.reason === "AlreadyExists")) throw e;
      }
    }
  }

  /**
   * Whether `name` exists, without creating it (another kcp on the same storage may have created
   * it): one storage read for a cluster not yet known here.
   */
  async exists(name: string): Promise<boolean> {
    if (this.known.has(name)) return true;
    const pending = this.pending.get(name);
    if (pending) {
      await pending;
      return true;
    }
    const marker = await this.storage.get(this.markerKey(name));
    if (!marker) return false;
    // Terminating too, if it is: the marker watch may not have brought this cluster yet.
    this.noteMarker(name, marker.value);
    return true;
  }

  /** Make sure `name` exists, creating it if not; cheap after the first call. */
  ensure(name: string): Promise<void> | undefined {
    if (this.known.has(name)) return undefined;
    let p = this.pending.get(name);
    if (!p) {
      p = this.bootstrap(name)
        .then(() => undefined)
        .finally(() => this.pending.delete(name));
      this.pending.set(name, p);
    }
    return p;
  }

  /**
   * Create `name` for a user who may create it, as `ensure` does, but saying whether this call made
   * it: of concurrent creators exactly one writes the marker and gets true (its creator rights
   * follow from that), the others false.
   */
  async create(name: string): Promise<boolean> {
    if (this.known.has(name)) return false;
    return this.bootstrap(name);
  }

  /** Makes the cluster; true when this call wrote its marker. */
  private async bootstrap(name: string): Promise<boolean> {
    const key = this.markerKey(name);
    let created = false;
    if (!(await this.storage.get(key))) {
      await this.createNamespaces(name);
      try {
        await this.storage.create(key, this.markerValue(name, undefined));
        created = true;
      } catch (e) {
        if (!(e instanceof KeyExistsError)) throw e;
      }
    }
    this.known.add(name);
    return created;
  }

  /** How many logical clusters exist (one count of a key range, for /metrics). */
  count(): Promise<number> {
    return this.storage.count(this.markersPrefix());
  }

  /** Names of every logical cluster that exists. */
  async list(): Promise<string[]> {
    const prefix = this.markersPrefix();
    const res = await this.storage.list({ prefix });
    return res.items.map((kv) => kv.key.slice(prefix.length));
  }
}
