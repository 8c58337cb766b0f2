// The etcd backend against real etcd members started by the test: the backend-independent suite
// (on one member, a fresh key prefix per test), then what is particular to etcd: the key layout,
// compaction done by someone else, watchers older than the in-memory window, writes whose answer
// is lost on the way back, a member restart under a watch, TLS, and an unreachable cluster.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { Etcd3 } from "etcd3";
import { EtcdStorage, type EtcdStorageOptions } from "../../src/storage/etcd/etcd-storage.ts";
import {
  CompactedError,
  RevisionMismatchError,
  StorageUnavailableError,
  ValueTooLargeError,
  WatchOverflowError,
} from "../../src/storage/interface.ts";
import { type EtcdCluster, etcdMissingReason, freePort, startEtcd } from "../helpers/etcd-process.ts";
import { record, runStorageSuite, waitFor } from "./suite.ts";

const missing = etcdMissingReason();

if (missing) {
  console.error(`etcd storage tests cannot run: ${missing}`);
  test("etcd is installed", () => {
    throw new Error(missing);
  });
} else {
  let etcd: EtcdCluster;
  let raw: Etcd3;
  let n = 0;
  const open: EtcdStorage[] = [];

  beforeAll(async () => {
    etcd = await startEtcd();
    raw = new Etcd3({ hosts: etcd.endpoints });
  });
  afterAll(async () => {
    for (const s of open.splice(0)) await s.close();
    raw?.close();
    await etcd?.stop();
  });

  /** A storage on the shared member, under a prefix no other test uses (unless given one). */
  async function connect(opts: Partial<EtcdStorageOptions> = {}): Promise<{ s: EtcdStorage; prefix: string }> {
    const prefix = opts.prefix ?? `/t${++n}`;
    const s = await EtcdStorage.connect({ endpoints: etcd.endpoints, callTimeoutMs: 1000, ...opts, prefix });
    open.push(s);
    return { s, prefix };
  }

  // A short deadline keeps the suite quick should a call stall (the suite avoids bun's
  // expect(...).rejects, which stalls gRPC calls until a timer fires: see failure() in suite.ts).
  runStorageSuite("etcd", async () => {
    const storage = await EtcdStorage.connect({
      endpoints: etcd.endpoints,
      prefix: `/suite-${++n}`,
      callTimeoutMs: 300,
    });
    return { storage, cleanup: () => storage.close() };
  });

  describe("EtcdStorage", () => {
    test("keys are stored under the prefix as given, values as UTF-8 text; prefixes do not see each other", async () => {
      const { s, prefix } = await connect();
      const other = await connect();
      const key = "/registry/core/configmaps/root/default/grüße";
      const rev = await s.create(key, '{"data":{"k":"ünïcödé ✓"}}');
      const stored = await raw.get(`${prefix}${key}`).string();
      expect(stored).toBe('{"data":{"k":"ünïcödé ✓"}}');
      const meta = await raw.kv.range({ key: Buffer.from(`${prefix}${key}`) });
      expect(Number(meta.kvs[0]?.mod_revision)).toBe(rev);
      expect(await other.s.get(key)).toBeNull();
      expect(await other.s.count("/")).toBe(0);
      expect((await s.list({ prefix: "/registry/" })).items.map((kv) => kv.key)).toEqual([key]);
      // A key outside the backend's "<prefix>/" space is not its business, even if it shares the prefix.
      await raw.put(`${prefix}x/registry/core/configmaps/root/default/a`).value("stranger");
      expect(await s.count("/")).toBe(1);
    });

    test("a value over etcd's request size limits is refused at once as too large, and nothing is stored", async () => {
      // kcp's own check (the same 1.5 MiB by default) is lifted to reach etcd's.
      const { s } = await connect({ retryBudgetMs: 10_000, maxValueBytes: 8 * 1024 * 1024 });
      // Over etcd's --max-request-bytes (1.5 MiB by default), then over gRPC's 2 MiB message limit.
      for (const [size, words] of [
        [1.7 * 1024 * 1024, "etcdserver: request is too large"],
        [2.5 * 1024 * 1024, "larger than max"],
      ] as const) {
        const err = await s.create("/huge/a", "x".repeat(size)).then(
          () => null,
          (e: unknown) => e,
        );
        // A definite answer: were it taken for a transient failure, it would be retried until the
        // budget ran out and end as WriteOutcomeUnknownError.
        expect(err).toBeInstanceOf(ValueTooLargeError);
        expect((err as Error).message).toContain(words);
        expect(await s.get("/huge/a")).toBeNull();
      }
      // The same key with a value etcd takes still works.
      expect(await s.create("/huge/a", "small")).toBeGreaterThan(0);
    });

    test("a list without a limit reads several chunks, all at one revision", async () => {
      const { s } = await connect();
      const keys = Array.from({ length: 2500 }, (_, i) => `/big/k${String(i).padStart(5, "0")}`);
      for (let i = 0; i < keys.length; i += 500) await Promise.all(keys.slice(i, i + 500).map((k) => s.create(k, "v")));
      const rev = await s.currentRevision();
      const res = await s.list({ prefix: "/big/" });
      expect(res.items.map((kv) => kv.key)).toEqual(keys);
      expect(res.revision).toBe(rev);
      expect(res.more).toBe(false);
      await s.delete("/big/k00007");
      expect((await s.list({ prefix: "/big/", revision: rev })).items).toHaveLength(2500);
      expect(await s.count("/big/")).toBe(2499);
    });

    test("an answer of several megabytes (many HTTP/2 flow-control windows) arrives whole", async () => {
      const { s } = await connect();
      const value = "x".repeat(20_000);
      const keys = Array.from({ length: 300 }, (_, i) => `/large/k${String(i).padStart(4, "0")}`);
      for (let i = 0; i < keys.length; i += 100)
        await Promise.all(keys.slice(i, i + 100).map((k) => s.create(k, value)));
      const res = await s.list({ prefix: "/large/" });
      expect(res.items.map((kv) => kv.key)).toEqual(keys);
      expect(res.items.every((kv) => kv.value === value)).toBe(true);
    });

    test("compaction done by another client is learned from etcd's answers, and found at connect", async () => {
      const { s, prefix } = await connect({ watchWindowEvents: 4 });
      const { s: s2 } = await connect({ prefix });
      const r1 = await s.create("/c/a", "1");
      let rev = r1;
      for (let i = 2; i <= 10; i++) rev = await s.update("/c/a", String(i), rev);
      const at = rev - 2;
      await raw.kv.compact({ revision: at, physical: true });
      expect(await s.compactedRevision()).toBeLessThan(at); // nobody told it

      // Older than the window: the watcher's own etcd watch is refused with compact_revision.
      const tooOld = record(s, { prefix: "/c/", afterRevision: r1 });
      await waitFor(() => tooOld.errors.length === 1, "CompactedError from etcd");
      expect(tooOld.errors[0]).toBeInstanceOf(CompactedError);
      expect((tooOld.errors[0] as CompactedError).compacted).toBe(at);
      expect(await s.compactedRevision()).toBe(at);

      // A list below it: etcd only says "compacted"; the exact revision is searched for.
      const listed = await s2.list({ prefix: "/c/", revision: r1 }).catch((e) => e);
      expect(listed).toBeInstanceOf(CompactedError);
      expect((listed as CompactedError).compacted).toBe(at);
      expect(await s2.compactedRevision()).toBe(at);
      expect((await s2.list({ prefix: "/c/", revision: at })).items[0]?.value).toBe("8");

      const fresh = await connect({ prefix });
      expect(await fresh.s.compactedRevision()).toBe(at);
    });

    test("a watcher older than the in-memory window reads etcd's history, then joins the shared watch", async () => {
      const { s } = await connect({ watchWindowEvents: 8 });
      const r0 = await s.currentRevision();
      const revs: number[] = [];
      for (let i = 0; i < 40; i++) revs.push(await s.create(`/h/k${i}`, `v${i}`));
      await s.create("/elsewhere/x", "x");
      const rec = record(s, { prefix: "/h/", afterRevision: r0 });
      await waitFor(() => rec.events.length === 40, "40 historic events");
      await waitFor(() => s.stats().catchingUp === 0, "joined the shared watch");
      for (let i = 40; i < 50; i++) revs.push(await s.create(`/h/k${i}`, `v${i}`));
      await waitFor(() => rec.events.length === 50, "50 events");
      await Bun.sleep(30);
      expect(rec.events.map((e) => e.revision)).toEqual(revs);
      expect(rec.events[3]?.value).toBe("v3");
      expect(rec.errors).toEqual([]);
      rec.stop();
    });

    test("a slow watcher overtaken by the window during its replay goes back to etcd without a gap", async () => {
      const { s } = await connect({ watchWindowEvents: 5 });
      const r0 = await s.currentRevision();
      const got: number[] = [];
      const w = s.watch({
        prefix: "/slow/",
        afterRevision: r0,
        onEvent: async (ev) => {
          await Bun.sleep(2);
          got.push(ev.revision);
        },
        onError: (err) => {
          throw err;
        },
      });
      const revs: number[] = [];
      for (let i = 0; i < 150; i++) revs.push(await s.create(`/slow/k${i}`, "v"));
      await waitFor(() => got.length === 150, "150 events", 10_000);
      expect(got).toEqual(revs);
      w.stop();
    });

    test("idle watchers get progress; a watcher that stops consuming is dropped", async () => {
      const { s } = await connect({ progressIntervalMs: 20, maxWatcherQueue: 30 });
      const quiet = record(s, { prefix: "/quiet/", afterRevision: await s.currentRevision() });
      const errors: Error[] = [];
      s.watch({
        prefix: "/busy/",
        afterRevision: await s.currentRevision(),
        onEvent: () => new Promise<void>(() => {}),
        onError: (e) => errors.push(e),
      });
      let rev = 0;
      for (let i = 0; i < 40; i++) rev = await s.create(`/busy/k${i}`, "v");
      await waitFor(() => quiet.progress.some((r) => r >= rev), "progress");
      expect(quiet.events).toEqual([]);
      await waitFor(() => errors.length === 1, "overflow");
      expect(errors[0]).toBeInstanceOf(WatchOverflowError);
      quiet.stop();
    });

    describe("writes whose answer is lost", () => {
      let link: FaultyLink;
      let s: EtcdStorage;
      let prefix: string;

      beforeAll(async () => {
        link = await FaultyLink.to(etcd.endpoints[0] as string);
        prefix = `/t${++n}`;
        s = await EtcdStorage.connect({
          endpoints: [link.url],
          prefix,
          callTimeoutMs: 300,
          retryBudgetMs: 10_000,
          progressIntervalMs: 100,
        });
        open.push(s);
      });
      afterAll(() => link?.close());

      const current = async (key: string) => (await raw.kv.range({ key: Buffer.from(prefix + key) })).kvs[0];

      /** Lose every answer until the write has applied and its deadline passed, then reconnect. */
      async function loseAnswer<T>(write: () => Promise<T>, applied: () => Promise<boolean>): Promise<T> {
        const before = s.stats().resolvedWrites;
        link.mode = "drop-responses";
        const p = write();
        const deadline = Date.now() + 5000;
        while (!(await applied())) {
          if (Date.now() > deadline) throw new Error("the write never reached etcd");
          await Bun.sleep(10);
        }
        await Bun.sleep(450); // past the 300 ms deadline: the client now sees a timeout
        link.restore();
        const result = await p;
        expect(s.stats().resolvedWrites).toBeGreaterThan(before);
        return result;
      }

      test("an update that applied is reported as applied, once, with its revision", async () => {
        const watch = record(s, { prefix: "/amb/", afterRevision: await s.currentRevision() });
        const r1 = await s.create("/amb/u", "v1");
        const r2 = await loseAnswer(
          () => s.update("/amb/u", "v2", r1),
          async () => (await current("/amb/u"))?.value.toString() === "v2",
        );
        const kv = await current("/amb/u");
        expect(r2).toBe(Number(kv?.mod_revision));
        expect(kv?.version).toBe("2"); // created once, updated once
        // The shared watch broke with the connection and resumed: each event once, in order.
        const r3 = await s.update("/amb/u", "v3", r2);
        await waitFor(() => watch.events.length === 3, "3 events");
        await Bun.sleep(30);
        expect(watch.events.map((e) => [e.revision, e.value])).toEqual([
          [r1, "v1"],
          [r2, "v2"],
          [r3, "v3"],
        ]);
        watch.stop();
      });

      test("a create and a delete that applied are reported as applied", async () => {
        const c = await loseAnswer(
          () => s.create("/amb/c", "made"),
          async () => (await current("/amb/c")) !== undefined,
        );
        expect(c).toBe(Number((await current("/amb/c"))?.mod_revision));
        const d = await loseAnswer(
          () => s.delete("/amb/c", c),
          async () => (await current("/amb/c")) === undefined,
        );
        expect(d.prev).toEqual({ key: "/amb/c", value: "made", modRevision: c, createRevision: c });
        expect(d.revision).toBe(Number((await raw.kv.range({ key: Buffer.from("/") })).header.revision));
      });

      test("an update that never arrived, overtaken by another writer, is a conflict", async () => {
        const r1 = await s.create("/amb/x", "v1");
        link.mode = "drop-requests";
        const p = s.update("/amb/x", "mine", r1).catch((e) => e);
        await Bun.sleep(50);
        await raw.put(`${prefix}/amb/x`).value("theirs");
        await Bun.sleep(400);
        link.restore();
        const err = await p;
        expect(err).toBeInstanceOf(RevisionMismatchError);
        expect((err as RevisionMismatchError).current.value).toBe("theirs");
        expect((await current("/amb/x"))?.value.toString()).toBe("theirs");
      });
    });

    test("a watch survives a restart of the member, without loss or duplicates", async () => {
      const own = await startEtcd();
      const s = await EtcdStorage.connect({ endpoints: own.endpoints, callTimeoutMs: 500, progressIntervalMs: 100 });
      try {
        const rec = record(s, { prefix: "/r/", afterRevision: await s.currentRevision() });
        const revs: number[] = [];
        for (let i = 0; i < 20; i++) revs.push(await s.create(`/r/k${i}`, "v"));
        await waitFor(() => rec.events.length === 20, "20 events before the restart");

        const member = own.members[0];
        if (!member) throw new Error("no member");
        await member.stop("SIGKILL");
        expect(await s.healthy()).toBe(false);
        const down = await s.create("/r/while-down", "v").catch((e) => e);
        expect(down).toBeInstanceOf(StorageUnavailableError);
        await member.start();
        const upBy = Date.now() + 10_000;
        while (!(await s.healthy())) {
          if (Date.now() > upBy) throw new Error("storage did not become healthy after the restart");
          await Bun.sleep(50);
        }
        for (let i = 20; i < 40; i++) revs.push(await s.create(`/r/k${i}`, "v"));
        await waitFor(() => rec.events.length >= 40, "40 events after the restart", 10_000);
        await Bun.sleep(50);
        expect(rec.errors).toEqual([]);
        expect(rec.events.map((e) => e.revision)).toEqual(revs);
        expect(s.stats().feedStreams).toBeGreaterThanOrEqual(2);
      } finally {
        await s.close();
        await own.stop();
      }
    });

    test("TLS with client certificates, endpoints given as IP addresses or DNS names", async () => {
      const secure = await startEtcd({ tls: true });
      const tls = secure.tls;
      if (!tls) throw new Error("no TLS material");
      expect(secure.endpoints[0]).toStartWith("https://127.0.0.1:");
      const s = await EtcdStorage.connect({ endpoints: secure.endpoints, ...tls, callTimeoutMs: 1000 });
      try {
        const rec = record(s, { prefix: "/tls/", afterRevision: await s.currentRevision() });
        const rev = await s.create("/tls/a", "secret");
        expect(await s.get("/tls/a")).toEqual({
          key: "/tls/a",
          value: "secret",
          modRevision: rev,
          createRevision: rev,
        });
        await waitFor(() => rec.events.length === 1, "1 event");
        rec.stop();
        // Without a client certificate the member refuses the connection.
        const refused = await EtcdStorage.connect({
          endpoints: secure.endpoints,
          caFile: tls.caFile,
          callTimeoutMs: 200,
          retryBudgetMs: 600,
        }).catch((e) => e);
        expect(refused).toBeInstanceOf(StorageUnavailableError);
        // Named by a DNS name, the member is asked for by that name (both clients: calls and watches).
        const named = await EtcdStorage.connect({
          endpoints: secure.endpoints.map((e) => e.replace("127.0.0.1", "localhost")),
          ...tls,
          callTimeoutMs: 1000,
        });
        try {
          const watched = record(named, { prefix: "/tls/", afterRevision: rev });
          const rev2 = await named.create("/tls/b", "by name");
          expect(await named.get("/tls/a")).toEqual({
            key: "/tls/a",
            value: "secret",
            modRevision: rev,
            createRevision: rev,
          });
          await waitFor(() => watched.events.length === 1, "1 event by name");
          expect(watched.events[0]?.revision).toBe(rev2);
          watched.stop();
        } finally {
          await named.close();
        }
      } finally {
        await s.close();
        await secure.stop();
      }
    });

    test("an unreachable cluster fails to connect with StorageUnavailableError within the budget", async () => {
      const port = await freePort();
      const started = Date.now();
      const err = await EtcdStorage.connect({
        endpoints: [`http://127.0.0.1:${port}`],
        callTimeoutMs: 200,
        retryBudgetMs: 800,
      }).catch((e) => e);
      expect(err).toBeInstanceOf(StorageUnavailableError);
      expect(Date.now() - started).toBeLessThan(3000);
    });
  });
}

/**
 * A TCP relay in front of an etcd member that can lose traffic in one direction, to make a call
 * time out after etcd applied it (lost answer) or before etcd saw it (lost request). Lost bytes
 * leave an HTTP/2 connection unusable, so restore() also cuts every connection: the client then
 * reconnects through the relay.
 */
class FaultyLink {
  mode: "pass" | "drop-responses" | "drop-requests" = "pass";
  private readonly pairs = new Set<[Socket, Socket]>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async to(target: string): Promise<FaultyLink> {
    const { hostname, port } = new URL(target);
    const server = createServer();
    const listening = new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    await listening;
    const address = server.address();
    const link = new FaultyLink(
      server,
      `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`,
    );
    server.on("connection", (client) => {
      const upstream = tcpConnect(Number(port), hostname);
      const pair: [Socket, Socket] = [client, upstream];
      link.pairs.add(pair);
      const end = () => {
        client.destroy();
        upstream.destroy();
        link.pairs.delete(pair);
      };
      client.on("data", (d) => {
        if (link.mode !== "drop-requests") upstream.write(d);
      });
      upstream.on("data", (d) => {
        if (link.mode !== "drop-responses") client.write(d);
      });
      client.on("error", end).on("close", end);
      upstream.on("error", end).on("close", end);
    });
    return link;
  }

  /** Pass everything again, on fresh connections. */
  restore(): void {
    this.mode = "pass";
    for (const [a, b] of [...this.pairs]) {
      a.destroy();
      b.destroy();
    }
    this.pairs.clear();
  }

  close(): void {
    this.restore();
    this.server.close();
  }
}
