// The storage flags of `kcp start`: how they become StorageOptions, and the combinations refused
// at the command line. Also the Go-style durations they take and storage errors as Status.
import { describe, expect, test } from "bun:test";
import { parseDurationFlag } from "../../src/cli/duration-flag.ts";
import { parseEtcdServers, storageFromFlags } from "../../src/cli/storage-flags.ts";
import { storageStatusError } from "../../src/server/storage-errors.ts";
import { StorageUnavailableError, ValueTooLargeError, WriteOutcomeUnknownError } from "../../src/storage/interface.ts";
import { normalizeEtcdPrefix } from "../../src/storage/open-storage.ts";

const ROOT = "/var/lib/kcp";

describe("storageFromFlags", () => {
  test("no storage flag: the SQLite default", () => {
    expect(storageFromFlags({}, ROOT)).toBeUndefined();
    expect(
      storageFromFlags({ "etcd-prefix": "/registry", "etcd-compaction-interval": "5m", "embedded-etcd": false }, ROOT),
    ).toBeUndefined();
  });

  test("--etcd-servers with TLS, prefix, compaction and request timeout", () => {
    expect(
      storageFromFlags(
        {
          "etcd-servers": "https://10.0.0.1:2379, https://10.0.0.2:2379/",
          "etcd-cafile": "/pki/ca.crt",
          "etcd-certfile": "/pki/kcp.crt",
          "etcd-keyfile": "/pki/kcp.key",
          "etcd-prefix": "/kcp-a/",
          "etcd-compaction-interval": "1h30m",
          "etcd-request-timeout": "1.5s",
        },
        ROOT,
      ),
    ).toEqual({
      backend: "etcd",
      endpoints: ["https://10.0.0.1:2379", "https://10.0.0.2:2379"],
      caFile: "/pki/ca.crt",
      certFile: "/pki/kcp.crt",
      keyFile: "/pki/kcp.key",
      prefix: "/kcp-a",
      compactionIntervalMs: 90 * 60_000,
      requestTimeoutMs: 1500,
    });
  });

  test("--embedded-etcd: data in <root>/data, ports from the flags, defaults 2379/2380", () => {
    expect(storageFromFlags({ "embedded-etcd": true }, ROOT)).toEqual({
      backend: "embedded-etcd",
      dataDir: "/var/lib/kcp/data",
      clientPort: 2379,
      peerPort: 2380,
      prefix: "/registry",
      compactionIntervalMs: 300_000,
      requestTimeoutMs: 5000,
    });
    const o = storageFromFlags(
      {
        "embedded-etcd": true,
        "embedded-etcd-client-port": "12379",
        "embedded-etcd-peer-port": "12380",
        "etcd-compaction-interval": "0",
      },
      ROOT,
    );
    expect(o).toMatchObject({ clientPort: 12379, peerPort: 12380, compactionIntervalMs: 0 });
  });

  test("bad combinations and values are refused with the flag's name", () => {
    const bad: [Record<string, string | boolean>, string][] = [
      [{ "embedded-etcd": true, "etcd-servers": "http://127.0.0.1:2379" }, "cannot be used together"],
      [{ "etcd-cafile": "/ca.crt" }, "need --etcd-servers"],
      [
        { "etcd-servers": "https://h:2379", "etcd-certfile": "/c.crt" },
        "--etcd-certfile and --etcd-keyfile must be given together",
      ],
      [{ "etcd-servers": "http://h:2379", "etcd-cafile": "/ca.crt" }, "https://"],
      [{ "etcd-servers": "h:2379" }, "must be https://host:port or http://host:port"],
      [{ "etcd-servers": "https://h" }, "must be https://host:port"],
      [{ "etcd-servers": " , " }, "at least one"],
      [{ "etcd-servers": "http://h:2379", "etcd-prefix": "registry" }, 'must start with "/"'],
      [
        { "etcd-servers": "http://h:2379", "etcd-compaction-interval": "5" },
        "--etcd-compaction-interval: invalid duration",
      ],
      [{ "etcd-servers": "http://h:2379", "etcd-request-timeout": "1ms" }, "at least 100ms"],
      [
        { "embedded-etcd": true, "embedded-etcd-client-port": "70000" },
        "--embedded-etcd-client-port must be a port number",
      ],
      [{ "embedded-etcd": true, "embedded-etcd-client-port": "2380" }, "must differ"],
      [{ "etcd-prefix": "/other" }, "--etcd-prefix applies to etcd"],
      [{ "embedded-etcd-peer-port": "3000" }, "--embedded-etcd-peer-port applies to etcd"],
    ];
    for (const [flags, message] of bad)
      expect(() => storageFromFlags(flags, ROOT), JSON.stringify(flags)).toThrow(message);
  });

  test("etcd member URLs", () => {
    expect(parseEtcdServers("http://127.0.0.1:2379,http://[::1]:2379")).toEqual([
      "http://127.0.0.1:2379",
      "http://[::1]:2379",
    ]);
    expect(() => parseEtcdServers("unix:///tmp/etcd.sock")).toThrow("https://host:port");
  });

  test("--etcd-prefix: leading slash required, trailing slashes dropped, / is the root", () => {
    expect(normalizeEtcdPrefix("/registry")).toBe("/registry");
    expect(normalizeEtcdPrefix("/a/b//")).toBe("/a/b");
    expect(normalizeEtcdPrefix("/")).toBe("");
    expect(() => normalizeEtcdPrefix("")).toThrow("must not be empty");
    expect(() => normalizeEtcdPrefix("/a//b")).toThrow('"//"');
  });
});

describe("parseDurationFlag (Go syntax)", () => {
  test("units, sums and fractions", () => {
    expect(parseDurationFlag("0", "--x")).toBe(0);
    expect(parseDurationFlag("5m", "--x")).toBe(300_000);
    expect(parseDurationFlag("1h30m10s", "--x")).toBe(5_410_000);
    expect(parseDurationFlag("250ms", "--x")).toBe(250);
    expect(parseDurationFlag("1.5h", "--x")).toBe(5_400_000);
    expect(parseDurationFlag("1500us", "--x")).toBe(2);
  });

  test("no unit, unknown units, negatives and junk are refused", () => {
    for (const bad of ["", "5", "5d", "-5m", "m", "5m junk", "1.2.3s"])
      expect(() => parseDurationFlag(bad, "--x"), bad).toThrow("--x: invalid duration");
  });
});

describe("storage errors as Status", () => {
  test("unavailable → 503 with Retry-After, unknown write outcome → 504, other errors → none", () => {
    const unavailable = storageStatusError(new StorageUnavailableError("etcd is unavailable: no leader"));
    expect(unavailable?.toStatus()).toMatchObject({
      code: 503,
      reason: "ServiceUnavailable",
      details: { retryAfterSeconds: 1 },
    });
    expect(unavailable?.message).toContain("no leader");
    expect(unavailable?.headers).toEqual({ "Retry-After": "1" });
    const unknown = storageStatusError(new WriteOutcomeUnknownError("etcd: the outcome of a write is unknown"));
    expect(unknown?.toStatus()).toMatchObject({ code: 504, reason: "Timeout" });
    expect(unknown?.message).toContain("may or may not have been applied");
    const timeout = new Error("The operation timed out.");
    timeout.name = "TimeoutError";
    expect(storageStatusError(timeout)?.code).toBe(504);
    expect(storageStatusError(new Error("boom"))).toBeNull();
  });

  test("a write the store refused as too large → 413 RequestEntityTooLarge with the store's words", () => {
    const tooLarge = storageStatusError(new ValueTooLargeError("etcdserver: request is too large"));
    expect(tooLarge?.toStatus()).toMatchObject({ code: 413, reason: "RequestEntityTooLarge" });
    expect(tooLarge?.message).toContain("etcdserver: request is too large");
  });
});
