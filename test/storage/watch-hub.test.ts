import { describe, expect, test } from "bun:test";
import { CompactedError, type WatchEvent, WatchOverflowError } from "../../src/storage/interface.ts";
import { type BacklogReader, WatchHub } from "../../src/storage/watch-hub.ts";
import { waitFor } from "./suite.ts";

const put = (revision: number, key: string): WatchEvent => ({
  type: "PUT",
  key,
  value: `v${revision}`,
  revision,
  createRevision: revision,
  prevRevision: 0,
});

/** A minimal revisioned store feeding a hub, like a backend does. */
class FakeStore {
  readonly log: WatchEvent[] = [];
  compacted = 0;
  reads = 0;
  constructor(readonly hub: WatchHub) {}
  get revision(): number {
    return this.log.length;
  }
  write(...keys: string[]): void {
    const base = this.log.length;
    const evs = keys.map((k, i) => put(base + i + 1, k));
    this.log.push(...evs);
    this.hub.publish(evs);
  }
  readonly backlog: BacklogReader = (prefix, after, limit) => {
    this.reads++;
    if (after < this.compacted) throw new CompactedError(after, this.compacted);
    const events = this.log.filter((e) => e.revision > after && e.key.startsWith(prefix)).slice(0, limit);
    if (events.length === limit)
      return { events, through: (events[limit - 1] as WatchEvent).revision, complete: false };
    return { events, through: Math.max(after, this.revision), complete: true };
  };
}

function sink() {
  const r = { revs: [] as number[], keys: [] as string[], errors: [] as Error[], progress: [] as number[] };
  return {
    r,
    onEvent: (ev: WatchEvent) => {
      r.revs.push(ev.revision);
      r.keys.push(ev.key);
    },
    onError: (err: Error) => {
      r.errors.push(err);
    },
    onProgress: (rev: number) => {
      r.progress.push(rev);
    },
  };
}

describe("WatchHub", () => {
  test("fans events out to a thousand subscribers of one prefix, in order", async () => {
    const hub = new WatchHub();
    const sinks = Array.from({ length: 1000 }, () => sink());
    for (const s of sinks) hub.subscribe({ prefix: "/a/", afterRevision: 0, ...s });
    hub.publish([put(1, "/a/x"), put(2, "/b/x"), put(3, "/a/y")]);
    // Delivery is asynchronous: nothing has been delivered yet.
    expect(sinks[0]?.r.revs).toEqual([]);
    await Bun.sleep(0);
    for (const s of sinks) expect(s.r.revs).toEqual([1, 3]);
  });

  test("matches prefixes of every length, and only true prefixes", async () => {
    const hub = new WatchHub();
    const prefixes = ["", "/a/", "/a/b", "/a/b/", "/a/b/c", "/a/bc/"];
    const sinks = prefixes.map((prefix) => {
      const s = sink();
      hub.subscribe({ prefix, afterRevision: 0, ...s });
      return s;
    });
    hub.publish([put(1, "/a/b/c"), put(2, "/a/bc"), put(3, "/z")]);
    await Bun.sleep(0);
    expect(sinks.map((s) => s.r.revs)).toEqual([[1, 2, 3], [1, 2], [1, 2], [1], [1], []]);
  });

  test("drops a subscriber whose queue overflows, and only that one", async () => {
    const hub = new WatchHub({ maxQueue: 5 });
    const slowErrors: Error[] = [];
    let slowCalls = 0;
    hub.subscribe({
      prefix: "/",
      afterRevision: 0,
      onEvent: () => {
        slowCalls++;
        return new Promise<void>(() => {}); // never ready for the next event
      },
      onError: (e) => slowErrors.push(e),
    });
    const fast = sink();
    hub.subscribe({ prefix: "/", afterRevision: 0, ...fast });
    hub.publish([put(1, "/k")]);
    await Bun.sleep(0);
    hub.publish([2, 3, 4, 5, 6].map((r) => put(r, "/k")));
    await Bun.sleep(0);
    expect(slowErrors).toEqual([]);
    hub.publish([put(7, "/k")]);
    await Bun.sleep(0);
    expect(slowErrors).toHaveLength(1);
    expect(slowErrors[0]).toBeInstanceOf(WatchOverflowError);
    expect(slowCalls).toBe(1);
    expect(fast.r.revs).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(hub.size).toBe(1);
  });

  test("catches up from the backlog in chunks, then goes live with no gap and no duplicate", async () => {
    const hub = new WatchHub({ backlogChunk: 10 });
    const store = new FakeStore(hub);
    for (let i = 0; i < 35; i++) store.write(`/k${i}`);
    const s = sink();
    hub.subscribe({ prefix: "/", afterRevision: 5, backlog: store.backlog, ...s });
    // Written while the subscriber is still reading the backlog, and after.
    store.write("/during");
    await waitFor(() => s.r.revs.length >= 31, "catch-up");
    store.write("/live");
    await waitFor(() => s.r.revs.length >= 32, "live event");
    await Bun.sleep(5);
    expect(s.r.revs).toEqual(Array.from({ length: 32 }, (_, i) => i + 6));
    expect(store.reads).toBeGreaterThanOrEqual(4);
    expect(s.r.progress).toEqual([36]);
  });

  test("reports a backlog error through onError", async () => {
    const hub = new WatchHub();
    const store = new FakeStore(hub);
    store.write("/a", "/b");
    store.compacted = 2;
    const s = sink();
    hub.subscribe({ prefix: "/", afterRevision: 1, backlog: store.backlog, ...s });
    await waitFor(() => s.r.errors.length === 1, "error");
    expect(s.r.errors[0]).toBeInstanceOf(CompactedError);
    expect(hub.size).toBe(0);
  });

  test("progress reaches idle live subscribers only", async () => {
    const hub = new WatchHub();
    const idle = sink();
    hub.subscribe({ prefix: "/idle/", afterRevision: 0, ...idle });
    let release = () => {};
    const busyProgress: number[] = [];
    hub.subscribe({
      prefix: "/busy/",
      afterRevision: 0,
      onEvent: () =>
        new Promise<void>((resolve) => {
          release = resolve;
        }),
      onError: () => {},
      onProgress: (r) => busyProgress.push(r),
    });
    hub.publish([put(1, "/busy/k")]);
    await Bun.sleep(0);
    hub.progress(1);
    hub.progress(1); // repeated: not sent again
    expect(idle.r.progress).toEqual([1]);
    expect(busyProgress).toEqual([]);
    release();
    await Bun.sleep(0);
    hub.progress(2);
    expect(busyProgress).toEqual([2]);
  });

  test("stop ends delivery silently; a throwing consumer is stopped with its error; closeAll reaches everyone", async () => {
    const hub = new WatchHub();
    const stopped = sink();
    const w = hub.subscribe({ prefix: "/", afterRevision: 0, ...stopped });
    hub.publish([put(1, "/a")]);
    w.stop();
    await Bun.sleep(0);
    expect(stopped.r.revs).toEqual([]);
    expect(stopped.r.errors).toEqual([]);

    const boom = new Error("consumer failed");
    const failing: Error[] = [];
    hub.subscribe({
      prefix: "/",
      afterRevision: 0,
      onEvent: () => {
        throw boom;
      },
      onError: (e) => failing.push(e),
    });
    hub.publish([put(2, "/a")]);
    await waitFor(() => failing.length === 1, "consumer error");
    expect(failing[0]).toBe(boom);

    const a = sink();
    const b = sink();
    hub.subscribe({ prefix: "/x/", afterRevision: 0, ...a });
    hub.subscribe({ prefix: "/y/", afterRevision: 0, ...b });
    const closing = new Error("closing");
    hub.closeAll(closing);
    await Bun.sleep(0);
    expect([a.r.errors, b.r.errors]).toEqual([[closing], [closing]]);
    expect(hub.size).toBe(0);
  });
});
