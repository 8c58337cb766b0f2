// TEMPORARY: a list+watch cache over a ResourceClient with the shape the client contract gives
// src/client/informer.ts's remote informer, until branch c1 lands it. Replace the imports of this
// file with "../../client/informer.ts" then, and delete it.

import type { ListOptions, ResourceClient } from "../../client/dynamic-client.ts";
import { log } from "../../log.ts";
import type { KObject } from "../../machinery/object.ts";

export interface RemoteSource {
  client: ResourceClient;
  opts: Pick<ListOptions, "namespace" | "labelSelector" | "fieldSelector">;
}

export function remoteSource(client: ResourceClient, opts: RemoteSource["opts"] = {}): RemoteSource {
  return { client, opts };
}

export interface InformerOptions {
  name: string;
  source: RemoteSource;
  resyncMs?: number;
  onAdd?(obj: KObject, cluster: string): void;
  onUpdate?(oldObj: KObject, newObj: KObject, cluster: string): void;
  onDelete?(obj: KObject, cluster: string): void;
}

const key = (ns: string | undefined, name: string | undefined) => `${ns ?? ""}/${name ?? ""}`;

export class Informer {
  private cache = new Map<string, KObject>();
  private stopped = false;
  private synced = false;
  private resyncTimer?: ReturnType<typeof setInterval>;
  private iterator?: AsyncIterator<unknown>;

  constructor(private readonly opts: InformerOptions) {}

  async start(): Promise<void> {
    const rv = await this.relist();
    this.synced = true;
    void this.watchLoop(rv);
    if (this.opts.resyncMs) {
      this.resyncTimer = setInterval(() => {
        for (const o of this.cache.values()) this.opts.onUpdate?.(o, o, "");
      }, this.opts.resyncMs);
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    void this.iterator?.return?.();
  }

  hasSynced(): boolean {
    return this.synced;
  }

  get(namespace: string | undefined, name: string): KObject | undefined {
    return this.cache.get(key(namespace, name));
  }

  list(): KObject[] {
    return [...this.cache.values()];
  }

  private async relist(): Promise<string> {
    const l = await this.opts.source.client.list({ ...this.opts.source.opts });
    const next = new Map<string, KObject>();
    for (const o of l.items) next.set(key(o.metadata.namespace, o.metadata.name), o);
    const prev = this.cache;
    this.cache = next;
    for (const [k, o] of next) {
      const old = prev.get(k);
      if (old) this.opts.onUpdate?.(old, o, "");
      else this.opts.onAdd?.(o, "");
    }
    for (const [k, o] of prev) if (!next.has(k)) this.opts.onDelete?.(o, "");
    return l.metadata.resourceVersion ?? "";
  }

  private async watchLoop(startRv: string): Promise<void> {
    let rv = startRv;
    let delay = 100;
    while (!this.stopped) {
      try {
        const it = this.opts.source.client
          .watch({ ...this.opts.source.opts, resourceVersion: rv, allowWatchBookmarks: true })
          [Symbol.asyncIterator]();
        this.iterator = it;
        for (;;) {
          const r = await it.next();
          if (r.done || this.stopped) break;
          const ev = r.value;
          delay = 100;
          if (ev.type === "ERROR") throw new Error("watch expired");
          const o = ev.object;
          if (o.metadata.resourceVersion) rv = o.metadata.resourceVersion;
          if (ev.type === "BOOKMARK") continue;
          const k = key(o.metadata.namespace, o.metadata.name);
          const old = this.cache.get(k);
          if (ev.type === "DELETED") {
            this.cache.delete(k);
            this.opts.onDelete?.(o, "");
          } else {
            this.cache.set(k, o);
            if (old) this.opts.onUpdate?.(old, o, "");
            else this.opts.onAdd?.(o, "");
          }
        }
      } catch (e) {
        if (this.stopped) return;
        log.debug(`${this.opts.name}: watch: ${(e as Error).message}`);
        await Bun.sleep(delay);
        delay = Math.min(delay * 2, 5000);
        try {
          rv = await this.relist();
        } catch (e2) {
          log.debug(`${this.opts.name}: list: ${(e2 as Error).message}`);
        }
      }
    }
  }
}
