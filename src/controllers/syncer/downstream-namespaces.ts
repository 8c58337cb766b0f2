// Namespaces in the physical cluster: a kcp object in namespace N is synced into namespace N
// downstream, created on first use. Which namespaces are known to exist is remembered, so a
// burst of objects in one namespace costs one create; a create that fails with NotFound (the
// namespace was deleted downstream) forgets it, and the retry creates it again.

import type { DynamicClient, ResourceClient } from "../../client/dynamic-client.ts";
import { isStatusError } from "../../machinery/status.ts";

const MAX_REMEMBERED = 10_000;

export class DownstreamNamespaces {
  private readonly namespaces: ResourceClient;
  private readonly known = new Set<string>();
  private readonly pending = new Map<string, Promise<void>>();

  constructor(downstream: DynamicClient) {
    this.namespaces = downstream.resource({
      group: "",
      version: "v1",
      resource: "namespaces",
      namespaced: false,
      kind: "Namespace",
    });
  }

  /** Resolves once namespace `name` exists downstream (created if needed). */
  ensure(name: string): Promise<void> {
    if (this.known.has(name)) return Promise.resolve();
    let p = this.pending.get(name);
    if (!p) {
      p = this.create(name).finally(() => this.pending.delete(name));
      this.pending.set(name, p);
    }
    return p;
  }

  /** The namespace turned out not to exist (a create in it said NotFound). */
  forget(name: string): void {
    this.known.delete(name);
  }

  private async create(name: string): Promise<void> {
    try {
      await this.namespaces.create({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
    } catch (e) {
      if (!isStatusError(e) || e.code !== 409) throw e;
      // AlreadyExists, or Conflict while it is terminating: the create of the object says which.
    }
    if (this.known.size >= MAX_REMEMBERED) this.known.clear();
    this.known.add(name);
  }
}
