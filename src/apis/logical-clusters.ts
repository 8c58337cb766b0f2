// Logical clusters come into being on first use by someone who may create them (the logical
// cluster filter decides who): a marker object and the namespaces `default`, `kube-system`,
// `kube-public` and `kube-node-lease` (kube's system namespaces; the last may be deleted, as in kube). Before that a cluster costs nothing; after, a few rows and one
// entry in the `known` set.

import type { ObjectStore } from "./store.ts";
import type { ResourceDef, RequestContext } from "./types.ts";
import { KeyExistsError, type Storage } from "../storage/interface.ts";
import { objectKey } from "../storage/keys.ts";
import { nowTimestamp } from "./object-codec.ts";
import { StatusError } from "../machinery/status.ts";

/** The logical cluster of a path without `/clusters/<name>`; its CRDs are served in every cluster. */
export const DEFAULT_CLUSTER = "admin";

export const INITIAL_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

const SYSTEM_USER = { username: "system:kcp", groups: ["system:masters"] };

export class LogicalClusters {
  private readonly known = new Set<string>();
  private readonly pending = new Map<string, Promise<void>>();

  constructor(
    private readonly storage: Storage,
    private readonly store: ObjectStore,
    private readonly prefix: string,
    private readonly namespaceDef: ResourceDef,
  ) {}

  markerKey(name: string): string {
    return objectKey(this.prefix, {
      group: "tenancy.kcp.io",
      resource: "logicalclusters",
      cluster: name,
      name: "cluster",
    });
  }

  /** True when `name` is known to exist in this process: no storage read. */
  isKnown(name: string): boolean {
    return this.known.has(name);
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
    if (!(await this.storage.get(this.markerKey(name)))) return false;
    this.known.add(name);
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
      const ctx: RequestContext = { cluster: name, user: SYSTEM_USER, dryRun: false, warnings: [] };
      for (const ns of INITIAL_NAMESPACES) {
        try {
          await this.store.create(this.namespaceDef, ctx, { metadata: { name: ns } }, undefined);
        } catch (e) {
          if (!(e instanceof StatusError && e.reason === "AlreadyExists")) throw e;
        }
      }
      try {
        await this.storage.create(key, JSON.stringify({ name, creationTimestamp: nowTimestamp() }));
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
    return this.storage.count(`${this.prefix}/tenancy.kcp.io/logicalclusters/`);
  }

  /** Names of every logical cluster that exists. */
  async list(): Promise<string[]> {
    const prefix = `${this.prefix}/tenancy.kcp.io/logicalclusters/`;
    const res = await this.storage.list({ prefix });
    return res.items.map((kv) => kv.key.slice(prefix.length).split("/")[0]);
  }
}
