// The WAL checkpointer's thread (see checkpointer.ts): its own connection to the store's file,
// which copies committed WAL frames into the database file every so often. A PASSIVE checkpoint
// never waits for the writer or the readers of the server's connection, and its fsync of the
// database file happens here, off the server's event loop.
//
// Messages in: { path, intervalMs } to start; "catch-up" for a checkpoint now, while the server
// holds its commits back, answered { caughtUp: true, log, moved }; "stop" to close the connection,
// answered "stopped".
// Messages out: { checkpointed: true, log, moved } after a checkpoint that followed new commits
// (log: frames in the WAL, moved: frames copied so far), { error } if one failed.

import { Database } from "bun:sqlite";

declare const self: Worker;

let db: Database | undefined;
let timer: ReturnType<typeof setInterval> | undefined;
/** The database's data_version at the last checkpoint: another connection's commit changes it. */
let lastVersion = -1;

function checkpoint(catchUp = false): void {
  if (!db) {
    if (catchUp) self.postMessage({ caughtUp: true, log: 0, moved: 0 });
    return;
  }
  try {
    // Nothing committed since the last checkpoint: nothing to copy, and nothing to report.
    const version = db.query<{ data_version: number }, []>("PRAGMA data_version").get()?.data_version ?? 0;
    if (version === lastVersion && !catchUp) return;
    const row = db
      .query<{ busy: number; log: number; checkpointed: number }, []>("PRAGMA wal_checkpoint(PASSIVE)")
      .get();
    // A checkpoint that copied only part (the writer was busy) is tried again on the next tick.
    if (row && row.checkpointed === row.log) lastVersion = version;
    if (catchUp) self.postMessage({ caughtUp: true, log: row?.log ?? 0, moved: row?.checkpointed ?? 0 });
    else if (row && row.log > 0) self.postMessage({ checkpointed: true, log: row.log, moved: row.checkpointed });
  } catch (err) {
    if (catchUp) self.postMessage({ caughtUp: true, log: 0, moved: 0 });
    self.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
}

self.onmessage = (event: MessageEvent) => {
  const msg = event.data as { path: string; intervalMs: number } | "stop" | "catch-up";
  if (msg === "catch-up") {
    checkpoint(true);
    return;
  }
  if (msg === "stop") {
    if (timer) clearInterval(timer);
    timer = undefined;
    db?.close();
    db = undefined;
    self.postMessage("stopped");
    return;
  }
  if (db) return;
  try {
    db = new Database(msg.path, { create: false, strict: true });
    // The server's connection may hold the write lock for a moment; PASSIVE skips what it cannot copy.
    db.run("PRAGMA busy_timeout = 1000");
    timer = setInterval(() => checkpoint(), msg.intervalMs);
    self.postMessage("started");
  } catch (err) {
    self.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
};
