// Read queries over the revision log (see schema.ts). Every key range is a `key >= lo AND key < hi`
// (or `key > after`) comparison so SQLite walks an index; LIKE would scan the table.

import type { Database, Statement } from "bun:sqlite";
import { type KeyValue, prefixEnd, type WatchEvent } from "../interface.ts";

/** Keys in [lo, hi), or (lo, hi) when `loExclusive` (pagination resumes after a key). */
export interface KeyRange {
  lo: string;
  loExclusive: boolean;
  hi: string;
}

// Bound for the empty prefix: above every key that does not itself start with U+10FFFF.
const TOP = "\u{10FFFF}";

/** The range of keys under `prefix` and after `after` (if given); null when it is empty. */
export function keyRange(prefix: string, after?: string): KeyRange | null {
  const hi = prefix === "" ? TOP : prefixEnd(prefix);
  if (after === undefined || after < prefix) return { lo: prefix, loExclusive: false, hi };
  if (after >= hi) return null;
  return { lo: after, loExclusive: true, hi };
}

interface EventRow {
  rev: number;
  key: string;
  create_rev: number;
  prev_rev: number;
  deleted: number;
  value: string;
  prev_value: string | null;
}

type RangeStatements<R> = { inclusive: Statement<R>; exclusive: Statement<R> };

export class LogReader {
  private readonly getStmt: Statement<KeyValue, [string]>;
  private readonly maxRevStmt: Statement<{ rev: number | null }, []>;
  private readonly listLatestStmt: RangeStatements<KeyValue>;
  private readonly listAtStmt: RangeStatements<KeyValue>;
  private readonly countLatestStmt: RangeStatements<{ n: number }>;
  private readonly countAtStmt: RangeStatements<{ n: number }>;
  private readonly eventsStmt: Statement<EventRow, [number, string, string, number]>;

  constructor(db: Database) {
    const both = <R>(sql: (lo: string) => string): RangeStatements<R> => ({
      inclusive: db.query<R, never>(sql("key >= ?1")),
      exclusive: db.query<R, never>(sql("key > ?1")),
    });
    this.getStmt = db.query(
      `SELECT c.key AS key, l.value AS value, c.rev AS modRevision, c.create_rev AS createRevision
       FROM current c JOIN log l ON l.rev = c.rev WHERE c.key = ?`,
    );
    this.maxRevStmt = db.query("SELECT MAX(rev) AS rev FROM log");
    this.listLatestStmt = both(
      (lo) => `SELECT c.key AS key, l.value AS value, c.rev AS modRevision, c.create_rev AS createRevision
       FROM current c JOIN log l ON l.rev = c.rev
       WHERE c.${lo} AND c.key < ?2 ORDER BY c.key LIMIT ?3`,
    );
    // The latest row per key at or below ?3, via the covering (key, rev, deleted) index: SQLite's
    // bare columns of a MAX() aggregate come from the row holding the maximum, so `deleted` is
    // that row's. Then one rowid lookup per returned item for the value.
    const latestAt = (lo: string) =>
      `SELECT key, MAX(rev) AS rev, deleted FROM log WHERE ${lo} AND key < ?2 AND rev <= ?3 GROUP BY key HAVING deleted = 0`;
    this.listAtStmt = both(
      (lo) => `SELECT m.key AS key, l.value AS value, l.rev AS modRevision, l.create_rev AS createRevision
       FROM (${latestAt(lo)} ORDER BY key LIMIT ?4) m JOIN log l ON l.rev = m.rev ORDER BY m.key`,
    );
    this.countLatestStmt = both((lo) => `SELECT count(*) AS n FROM current WHERE ${lo} AND key < ?2`);
    this.countAtStmt = both((lo) => `SELECT count(*) AS n FROM (${latestAt(lo)})`);
    // Walk the log by revision from ?1 and stop at the limit. The unary + keeps SQLite from
    // choosing the key index instead, which would sort the prefix's entire history on every read.
    this.eventsStmt = db.query(
      `SELECT l.rev, l.key, l.create_rev, l.prev_rev, l.deleted, l.value, p.value AS prev_value
       FROM log l LEFT JOIN log p ON p.rev = l.prev_rev
       WHERE l.rev > ?1 AND +l.key >= ?2 AND +l.key < ?3 ORDER BY l.rev LIMIT ?4`,
    );
  }

  /** The highest revision in the log (0 when empty). */
  maxRevision(): number {
    return this.maxRevStmt.get()?.rev ?? 0;
  }

  get(key: string): KeyValue | null {
    return this.getStmt.get(key);
  }

  /** Live keys in the range at the latest revision, in key order; limit ≤ 0 means all. */
  listLatest(range: KeyRange, limit: number): KeyValue[] {
    const stmt = range.loExclusive ? this.listLatestStmt.exclusive : this.listLatestStmt.inclusive;
    return stmt.all(range.lo, range.hi, limit > 0 ? limit : -1);
  }

  /** Live keys in the range as of `revision`, in key order; limit ≤ 0 means all. */
  listAt(range: KeyRange, revision: number, limit: number): KeyValue[] {
    const stmt = range.loExclusive ? this.listAtStmt.exclusive : this.listAtStmt.inclusive;
    return stmt.all(range.lo, range.hi, revision, limit > 0 ? limit : -1);
  }

  countLatest(range: KeyRange): number {
    const stmt = range.loExclusive ? this.countLatestStmt.exclusive : this.countLatestStmt.inclusive;
    return stmt.get(range.lo, range.hi)?.n ?? 0;
  }

  countAt(range: KeyRange, revision: number): number {
    const stmt = range.loExclusive ? this.countAtStmt.exclusive : this.countAtStmt.inclusive;
    return stmt.get(range.lo, range.hi, revision)?.n ?? 0;
  }

  /** Up to `limit` events under `prefix` with revision > afterRevision, in revision order. */
  eventsAfter(prefix: string, afterRevision: number, limit: number): WatchEvent[] {
    const range = keyRange(prefix) as KeyRange;
    return this.eventsStmt.all(afterRevision, range.lo, range.hi, limit).map(toEvent);
  }
}

function toEvent(row: EventRow): WatchEvent {
  const deleted = row.deleted !== 0;
  const ev: WatchEvent = {
    type: deleted ? "DELETE" : "PUT",
    key: row.key,
    value: row.value,
    revision: row.rev,
    createRevision: row.create_rev,
    prevRevision: row.prev_rev,
  };
  // A delete row stores the deleted value itself, which is also its previous value.
  const prev = row.prev_value ?? (deleted ? row.value : null);
  if (prev !== null) ev.prevValue = prev;
  return ev;
}
