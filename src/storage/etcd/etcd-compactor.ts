// Periodic compaction of etcd's history, as kube-apiserver does it: at every tick, compact at the
// revision seen one tick earlier, so one interval of history always stays (watches may resume
// from anything newer). Several kcp replicas on one etcd each run this; a compaction someone
// else already did is a no-op (EtcdStorage.compact swallows etcd's "already compacted"), and a
// failed tick (etcd unreachable) is logged and tried again at the next.

import { log } from "../../log.ts";
import type { Storage } from "../interface.ts";

export const DEFAULT_ETCD_COMPACTION_INTERVAL_MS = 5 * 60 * 1000;

/** Start compacting every `intervalMs` (0: never). Returns the function that stops it. */
export function startEtcdCompaction(storage: Storage, intervalMs: number): () => void {
  if (intervalMs <= 0) return () => {};
  let previous = 0;
  let busy = false;
  let failing = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      const current = await storage.currentRevision();
      if (previous > 0) {
        await storage.compact(previous);
        log.debug(`etcd: compacted history at revision ${previous}`);
      }
      previous = current;
      if (failing) log.info("etcd: compaction works again");
      failing = false;
    } catch (err) {
      if (!failing) log.warn(`etcd: compaction failed (will retry): ${(err as Error).message}`);
      failing = true;
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  void tick();
  return () => clearInterval(timer);
}
