// Applies a batch of writes to the revision log in one transaction. Each op's precondition is
// checked against the state left by the ops before it in the same batch, so a batch is equivalent
// to running its ops one by one; an op whose precondition fails is rejected alone.

import type { Database, Statement } from "bun:sqlite";
import {
  KeyExistsError,
  KeyNotFoundError,
  type KeyValue,
  RevisionMismatchError,
  type WatchEvent,
} from "../interface.ts";
import type { Outcome } from "./group-commit.ts";

export type WriteOp =
  | { kind: "create"; key: string; value: string }
  | { kind: "update"; key: string; value: string; expectedRevision: number }
  | { kind: "delete"; key: string; expectedRevision?: number };

export interface WriteResult {
  revision: number;
  /** The value the write replaced (null for a create). */
  prev: KeyValue | null;
}

export interface AppliedBatch {
  outcomes: Outcome<WriteResult>[];
  /** The events of the successful ops, in revision order. */
  events: WatchEvent[];
  /** The revision of the last write (unchanged when every op failed). */
  revision: number;
}

export class LogWriter {
  private readonly getStmt: Statement<KeyValue, [string]>;
  private readonly claimStmt: Statement<unknown, [string, number, number]>;
  private readonly insertStmt: Statement<unknown, [number, string, number, number, number, string]>;
  private readonly upsertStmt: Statement<unknown, [string, number, number]>;
  private readonly removeStmt: Statement<unknown, [string]>;
  private readonly run: (ops: readonly WriteOp[], revision: number) => AppliedBatch;

  constructor(db: Database) {
    this.getStmt = db.query(
      `SELECT c.key AS key, l.value AS value, c.rev AS modRevision, c.create_rev AS createRevision
       FROM current c JOIN log l ON l.rev = c.rev WHERE c.key = ?`,
    );
    // A create only needs the key to be absent: one statement both checks and claims it (no row
    // changed: the key exists), without a lookup of its own or a join with the log.
    this.claimStmt = db.query(
      "INSERT INTO current (key, rev, create_rev) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING",
    );
    this.insertStmt = db.query(
      "INSERT INTO log (rev, key, create_rev, prev_rev, deleted, value) VALUES (?, ?, ?, ?, ?, ?)",
    );
    this.upsertStmt = db.query(
      "INSERT INTO current (key, rev, create_rev) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET rev = excluded.rev, create_rev = excluded.create_rev",
    );
    this.removeStmt = db.query("DELETE FROM current WHERE key = ?");
    // IMMEDIATE: take the write lock at BEGIN, so a batch never fails half-way on a lock upgrade.
    this.run = db.transaction((ops: readonly WriteOp[], revision: number) => this.applyAll(ops, revision)).immediate;
  }

  /** Apply `ops` after `revision` (the current one). Throws only if the transaction failed as a whole. */
  apply(ops: readonly WriteOp[], revision: number): AppliedBatch {
    return this.run(ops, revision);
  }

  private applyAll(ops: readonly WriteOp[], startRevision: number): AppliedBatch {
    let revision = startRevision;
    // Keys written earlier in this batch: their state as the next op must see it (null: absent).
    const overlay = new Map<string, KeyValue | null>();
    const current = (key: string): KeyValue | null => {
      const seen = overlay.get(key);
      return seen !== undefined ? seen : this.getStmt.get(key);
    };
    const outcomes: Outcome<WriteResult>[] = [];
    const events: WatchEvent[] = [];

    for (const op of ops) {
      if (op.kind === "create") {
        const seen = overlay.get(op.key);
        // A key written earlier in this batch is in `current` already (or was removed from it).
        if (
          (seen !== undefined && seen !== null) ||
          this.claimStmt.run(op.key, revision + 1, revision + 1).changes === 0
        ) {
          outcomes.push({ ok: false, error: new KeyExistsError(op.key) });
          continue;
        }
        const rev = ++revision;
        this.insertStmt.run(rev, op.key, rev, 0, 0, op.value);
        overlay.set(op.key, { key: op.key, value: op.value, modRevision: rev, createRevision: rev });
        events.push({ type: "PUT", key: op.key, value: op.value, revision: rev, createRevision: rev, prevRevision: 0 });
        outcomes.push({ ok: true, value: { revision: rev, prev: null } });
        continue;
      }
      const prev = current(op.key);
      const failure = checkPrecondition(op, prev);
      if (failure) {
        outcomes.push({ ok: false, error: failure });
        continue;
      }
      const rev = ++revision;
      if (op.kind === "delete") {
        const old = prev as KeyValue;
        this.insertStmt.run(rev, op.key, old.createRevision, old.modRevision, 1, old.value);
        this.removeStmt.run(op.key);
        overlay.set(op.key, null);
        events.push({
          type: "DELETE",
          key: op.key,
          value: old.value,
          prevValue: old.value,
          revision: rev,
          createRevision: old.createRevision,
          prevRevision: old.modRevision,
        });
      } else {
        const createRevision = prev ? prev.createRevision : rev;
        const prevRevision = prev ? prev.modRevision : 0;
        this.insertStmt.run(rev, op.key, createRevision, prevRevision, 0, op.value);
        this.upsertStmt.run(op.key, rev, createRevision);
        overlay.set(op.key, { key: op.key, value: op.value, modRevision: rev, createRevision });
        const ev: WatchEvent = {
          type: "PUT",
          key: op.key,
          value: op.value,
          revision: rev,
          createRevision,
          prevRevision,
        };
        if (prev) ev.prevValue = prev.value;
        events.push(ev);
      }
      outcomes.push({ ok: true, value: { revision: rev, prev } });
    }
    return { outcomes, events, revision };
  }
}

function checkPrecondition(op: WriteOp, prev: KeyValue | null): Error | null {
  if (op.kind === "create") return prev ? new KeyExistsError(op.key) : null;
  if (!prev) return new KeyNotFoundError(op.key);
  if (op.expectedRevision !== undefined && op.expectedRevision !== prev.modRevision)
    return new RevisionMismatchError(op.key, prev);
  return null;
}
