// NamespaceView: every logical cluster's namespaces (name → terminating?) in memory, from a list of
// the namespaces prefix and a watch from the list's revision, as kube-apiserver's namespace informer
// keeps them for the NamespaceLifecycle admission plugin.

import type { KObject } from "../apis/types.ts";
import type { Storage, WatchEvent } from "../storage/interface.ts";
import { PrefixInformer } from "../storage/prefix-informer.ts";
import { resourcePrefix } from "../storage/keys.ts";

export interface NamespaceState {
  terminating: boolean;
}

export function isTerminating(value: string): boolean {
  const ns = JSON.parse(value) as KObject;
  return Boolean(ns.metadata?.deletionTimestamp) || (ns.status as { phase?: string } | undefined)?.phase === "Terminating";
}

/** The namespaces of every logical cluster, kept from a storage list + watch. */
export class NamespaceView {
  private readonly prefix: string;
  /** cluster → namespace name → state. */
  private clusters = new Map<string, Map<string, NamespaceState>>();
  private informer?: PrefixInformer;
  /** True while the watch runs: otherwise every lookup reads storage. */
  private synced = false;

  constructor(
    private readonly storage: Storage,
    keyPrefix: string,
  ) {
    this.prefix = resourcePrefix(keyPrefix, "", "namespaces");
  }

  /** List, then watch from the list's revision: nothing in between is missed. */
  async start(): Promise<void> {
    this.informer = new PrefixInformer(this.storage, this.prefix, "namespace lifecycle", {
      onList: (items) => {
        const clusters = new Map<string, Map<string, NamespaceState>>();
        for (const kv of items) this.put(clusters, kv.key, { terminating: isTerminating(kv.value) });
        this.clusters = clusters;
        this.synced = true;
      },
      onEvent: (ev) => this.onEvent(ev),
      onLost: () => {
        this.synced = false;
      },
    });
    await this.informer.start();
  }

  stop(): void {
    this.synced = false;
    this.informer?.stop();
  }

  /**
   * What the view knows of a namespace: its state, or undefined when it has to be read from
   * storage (unknown, or the view is not in sync).
   */
  lookup(cluster: string, name: string): NamespaceState | undefined {
    if (!this.synced) return undefined;
    return this.clusters.get(cluster)?.get(name);
  }

  private onEvent(ev: WatchEvent): void {
    if (ev.type === "DELETE") {
      const parts = this.split(ev.key);
      if (!parts) return;
      const names = this.clusters.get(parts.cluster);
      if (!names) return;
      names.delete(parts.name);
      if (names.size === 0) this.clusters.delete(parts.cluster);
      return;
    }
    let terminating: boolean;
    try {
      terminating = isTerminating(ev.value);
    } catch {
      return;
    }
    this.put(this.clusters, ev.key, { terminating });
  }

  private put(clusters: Map<string, Map<string, NamespaceState>>, key: string, state: NamespaceState): void {
    const parts = this.split(key);
    if (!parts) return;
    let names = clusters.get(parts.cluster);
    if (!names) {
      names = new Map();
      clusters.set(parts.cluster, names);
    }
    names.set(parts.name, state);
  }

  /** `<prefix><cluster>/<name>` → cluster and name. */
  private split(key: string): { cluster: string; name: string } | undefined {
    if (!key.startsWith(this.prefix)) return undefined;
    const rest = key.slice(this.prefix.length);
    const i = rest.indexOf("/");
    if (i <= 0 || i === rest.length - 1) return undefined;
    return { cluster: rest.slice(0, i), name: rest.slice(i + 1) };
  }
}
