// The writes into logical clusters this server has admitted and not yet finished, each tagged with
// the revision of the LogicalCluster markers the server had seen when it admitted it. A write is
// admitted (by the logical cluster filter) only into a cluster that was not Terminating at that
// revision; it may land much later (a body sent slowly, a large patch in the offload worker, a
// slow store). So before the final count of a terminating cluster, the deleter waits until
// `drained(cluster)` reaches the revision that marked it: from then on no write admitted without
// knowing of the deletion is still on its way (docs/logical-clusters.md, "Deleting").

export class AdmittedWrites {
  private observed = 0;
  /** cluster → marker revision at admission → writes in flight. */
  private readonly inflight = new Map<string, Map<number, number>>();

  /** The marker revision this server has applied (list, then each watch event). */
  get observedRevision(): number {
    return this.observed;
  }

  observe(revision: number): void {
    if (revision > this.observed) this.observed = revision;
  }

  /** Record a write into `cluster` admitted now; call the returned function when it has finished (once). */
  admit(cluster: string): () => void {
    const revision = this.observed;
    let byRevision = this.inflight.get(cluster);
    if (!byRevision) {
      byRevision = new Map();
      this.inflight.set(cluster, byRevision);
    }
    byRevision.set(revision, (byRevision.get(revision) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const m = this.inflight.get(cluster);
      const n = (m?.get(revision) ?? 1) - 1;
      if (n > 0) m?.set(revision, n);
      else m?.delete(revision);
      if (m && m.size === 0) this.inflight.delete(cluster);
    };
  }

  /**
   * The marker revision up to which this server's view of `cluster` is settled: what it has
   * observed, held back by the oldest write into the cluster still in flight.
   */
  drained(cluster: string): number {
    let low = this.observed;
    for (const revision of this.inflight.get(cluster)?.keys() ?? []) if (revision < low) low = revision;
    return low;
  }

  /** drained() over every cluster: what this server tells the others (src/app/replica-lease.ts). */
  drainedAll(): number {
    let low = this.observed;
    for (const byRevision of this.inflight.values())
      for (const revision of byRevision.keys()) if (revision < low) low = revision;
    return low;
  }

  /** Writes in flight into every cluster. */
  inflightTotal(): number {
    let n = 0;
    for (const byRevision of this.inflight.values()) for (const c of byRevision.values()) n += c;
    return n;
  }

  /** Writes in flight into `cluster` (tests, logs). */
  inflightCount(cluster: string): number {
    let n = 0;
    for (const c of this.inflight.get(cluster)?.values() ?? []) n += c;
    return n;
  }
}
