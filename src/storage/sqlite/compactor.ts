// Compaction of the revision log, with etcd's meaning: compacting at revision C keeps the state as
// of C (the latest live row of every key at or below C) and every row above C, and forgets the
// rest. So a row at or below C goes when a newer row of its key at or below C supersedes it (found
// through that row's prev_rev, no scan), or when it is a delete. Lists at C and watches from C
// still work; anything older gets CompactedError.
//
// Work is done in transactions of at most `chunk` revisions, yielding to the event loop between
// them, and the compacted revision is recorded in the same transaction as each chunk's deletes.

import type { Database, Statement } from "bun:sqlite";
import { readMeta, writeMeta } from "./schema.ts";

export class Compactor {
  private compacted: number;
  private readonly deleteSuperseded: Statement<unknown, [number, number]>;
  private readonly deleteTombstones: Statement<unknown, [number, number]>;
  private readonly step: (from: number, to: number) => number;
  /** Serializes compactions. */
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Database,
    private readonly chunk = 10_000,
  ) {
    this.compacted = readMeta(db, "compact_rev") ?? 0;
    this.deleteSuperseded = db.query(
      "DELETE FROM log WHERE rev IN (SELECT prev_rev FROM log WHERE rev > ?1 AND rev <= ?2 AND prev_rev > 0)",
    );
    this.deleteTombstones = db.query("DELETE FROM log WHERE rev > ?1 AND rev <= ?2 AND deleted = 1");
    this.step = db.transaction((from: number, to: number) => {
      // Superseded rows first: the tombstones are what point at the rows they delete.
      const removed = this.deleteSuperseded.run(from, to).changes + this.deleteTombstones.run(from, to).changes;
      writeMeta(db, "compact_rev", to);
      return removed;
    }).immediate;
  }

  /** Everything at or below this revision was compacted (0: never). */
  get revision(): number {
    return this.compacted;
  }

  /**
   * Compact up to `target` (no-op if already there). `alive` is checked between chunks so a
   * closing store can stop it. Resolves with the number of log rows removed.
   */
  compact(target: number, alive: () => boolean): Promise<number> {
    const run = this.tail.then(() => this.run(target, alive));
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async run(target: number, alive: () => boolean): Promise<number> {
    let removed = 0;
    while (this.compacted < target) {
      if (!alive()) return removed;
      const to = Math.min(target, this.compacted + this.chunk);
      removed += this.step(this.compacted, to);
      this.compacted = to;
      if (this.compacted < target) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    // Give the space back: without a checkpoint the WAL keeps growing with the deletes.
    if (removed > 0 && alive()) this.db.run("PRAGMA wal_checkpoint(TRUNCATE)");
    return removed;
  }
}
