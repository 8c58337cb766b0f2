// Telling whether a write whose answer was lost (a deadline, a dropped connection, a leader
// change) was applied after all.
//
// Every write is a transaction guarded by a precondition on the key (absent, or at an expected
// mod_revision), so a retried write can never apply twice: once one copy applied, the
// precondition of the other fails. What remains is to interpret that failure: the key's history
// after the precondition, read with a single-key etcd watch from that revision, says who wrote
// first. The first write after mod_revision N is ours exactly when it has our value (or, for a
// delete, is a delete of revision N). Two clients writing the very same value under the same
// precondition are indistinguishable, and either answer is then true for both.

import type { Etcd3, IEvent } from "etcd3";
import { WriteOutcomeUnknownError } from "../interface.ts";
import { errorMessage } from "./etcd-errors.ts";
import { RawWatch, WatchCompactedError } from "./raw-watch.ts";

/**
 * The events of one key after `afterRevision`, in order, up to and including the first one for
 * which `last` returns true. The caller must know such an event exists (e.g. the key's current
 * mod_revision is newer), otherwise this waits until the deadline. A broken stream (a member
 * going away) is opened again while time remains.
 */
export async function keyHistory(
  client: Etcd3,
  key: Buffer,
  afterRevision: number,
  last: (ev: IEvent) => boolean,
  timeoutMs: number,
): Promise<IEvent[]> {
  const giveUp = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await keyHistoryOnce(client, key, afterRevision, last, giveUp - Date.now());
    } catch (err) {
      if (err instanceof WriteOutcomeUnknownError) throw err;
      const wait = Math.min(25 * 2 ** attempt, 500);
      if (Date.now() + wait >= giveUp)
        throw new WriteOutcomeUnknownError(`etcd: the outcome of a write is unknown: ${errorMessage(err)}`);
      await Bun.sleep(wait);
    }
  }
}

async function keyHistoryOnce(
  client: Etcd3,
  key: Buffer,
  afterRevision: number,
  last: (ev: IEvent) => boolean,
  timeoutMs: number,
): Promise<IEvent[]> {
  const events: IEvent[] = [];
  let raw: RawWatch | null = null;
  let timer: Timer | undefined;
  try {
    return await new Promise<IEvent[]>((resolve, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new WriteOutcomeUnknownError(
              `etcd: the outcome of a write is unknown (its history could not be read in time)`,
            ),
          ),
        timeoutMs,
      );
      RawWatch.open(client, {
        key,
        startRevision: afterRevision + 1,
        prevKv: true,
        onEvents: (evs) => {
          for (const ev of evs) {
            events.push(ev);
            if (last(ev)) {
              resolve(events);
              return;
            }
          }
        },
        onEnd: (err) =>
          reject(
            err instanceof WatchCompactedError
              ? new WriteOutcomeUnknownError("etcd: the outcome of a write is unknown (its history was compacted)")
              : err,
          ),
      }).then((w) => {
        raw = w;
      }, reject);
    });
  } finally {
    clearTimeout(timer);
    (raw as RawWatch | null)?.close();
  }
}

const sameValue = (kv: { value: Buffer } | null | undefined, value: Buffer) => kv?.value.equals(value) === true;

/**
 * An update guarded by mod_revision == `expected` failed after an ambiguous attempt: was one of
 * our attempts the first write after `expected`? Returns its revision, or null if another write
 * came first (then ours can never apply).
 */
export async function resolveUpdate(
  client: Etcd3,
  key: Buffer,
  value: Buffer,
  expected: number,
  timeoutMs: number,
): Promise<number | null> {
  const [first] = await keyHistory(client, key, expected, () => true, timeoutMs);
  if (!first) return null;
  const ours =
    first.type === "Put" && Number(first.prev_kv?.mod_revision ?? 0) === expected && sameValue(first.kv, value);
  return ours ? Number(first.kv.mod_revision) : null;
}

/**
 * A delete guarded by mod_revision == `expected` failed after an ambiguous attempt: was the first
 * write after `expected` a delete of that version? Returns that event, or null.
 */
export async function resolveDelete(
  client: Etcd3,
  key: Buffer,
  expected: number,
  timeoutMs: number,
): Promise<IEvent | null> {
  const [first] = await keyHistory(client, key, expected, () => true, timeoutMs);
  if (!first) return null;
  const ours = first.type === "Delete" && first.prev_kv != null && Number(first.prev_kv.mod_revision) === expected;
  return ours ? first : null;
}

/**
 * A create (guarded by "key absent") failed after an ambiguous attempt, and the key now exists
 * with create revision `createRevision`. Our create could only have applied after `floor` (a
 * revision seen before the first attempt was sent): was any creation of the key between the two
 * ours? Returns its revision, or null.
 */
export async function resolveCreate(
  client: Etcd3,
  key: Buffer,
  value: Buffer,
  floor: number,
  createRevision: number,
  timeoutMs: number,
): Promise<number | null> {
  if (createRevision <= floor) return null;
  const history = await keyHistory(client, key, floor, (ev) => Number(ev.kv.mod_revision) >= createRevision, timeoutMs);
  const ours = history.find((ev) => ev.type === "Put" && ev.kv.version === "1" && sameValue(ev.kv, value));
  return ours ? Number(ours.kv.mod_revision) : null;
}
