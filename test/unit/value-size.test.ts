// The stored object size limit: etcd's 1.5 MiB by default, the same on SQLite, configurable with
// `kcp start --max-object-size`.
import { expect, test } from "bun:test";
import { parseByteSizeFlag } from "../../src/cli/byte-size-flag.ts";
import { ValueTooLargeError } from "../../src/storage/interface.ts";
import { SqliteStorage } from "../../src/storage/sqlite/sqlite-storage.ts";
import { checkValueSize, DEFAULT_MAX_VALUE_BYTES } from "../../src/storage/value-size.ts";

test("the default is etcd's 1.5 MiB, counted in UTF-8 bytes", () => {
  expect(DEFAULT_MAX_VALUE_BYTES).toBe(1_572_864);
  expect(() => checkValueSize("x".repeat(DEFAULT_MAX_VALUE_BYTES), DEFAULT_MAX_VALUE_BYTES)).not.toThrow();
  expect(() => checkValueSize("x".repeat(DEFAULT_MAX_VALUE_BYTES + 1), DEFAULT_MAX_VALUE_BYTES)).toThrow(
    ValueTooLargeError,
  );
  // 600 three-byte characters are 1,800 bytes.
  expect(() => checkValueSize("€".repeat(600), 1000)).toThrow("the object is 1800 bytes, over the limit of 1000 bytes");
  expect(() => checkValueSize(new Uint8Array(1001), 1000)).toThrow(ValueTooLargeError);
});

test("SQLite refuses a create or update over the limit and stores nothing", async () => {
  const storage = SqliteStorage.open(":memory:", { progressIntervalMs: 0, maxValueBytes: 1000 });
  try {
    await expect(storage.create("/a", "x".repeat(1001))).rejects.toBeInstanceOf(ValueTooLargeError);
    expect(await storage.get("/a")).toBeNull();
    const rev = await storage.create("/a", "small");
    await expect(storage.update("/a", "x".repeat(1001), rev)).rejects.toBeInstanceOf(ValueTooLargeError);
    expect((await storage.get("/a"))?.value).toBe("small");
  } finally {
    await storage.close();
  }
});

test("SQLite's default limit is etcd's", async () => {
  const storage = SqliteStorage.open(":memory:", { progressIntervalMs: 0 });
  try {
    await expect(storage.create("/big", "x".repeat(DEFAULT_MAX_VALUE_BYTES + 1))).rejects.toBeInstanceOf(
      ValueTooLargeError,
    );
    await storage.create("/fits", "x".repeat(DEFAULT_MAX_VALUE_BYTES));
  } finally {
    await storage.close();
  }
});

test("--max-object-size takes bytes or quantities, and refuses nonsense", () => {
  expect(parseByteSizeFlag("1.5Mi", "--max-object-size")).toBe(1_572_864);
  expect(parseByteSizeFlag("512Ki", "--max-object-size")).toBe(524_288);
  expect(parseByteSizeFlag("2M", "--max-object-size")).toBe(2_000_000);
  expect(parseByteSizeFlag("70000", "--max-object-size")).toBe(70_000);
  expect(() => parseByteSizeFlag("lots", "--max-object-size")).toThrow('--max-object-size: invalid size "lots"');
  expect(() => parseByteSizeFlag("1Ki", "--max-object-size", 65_536)).toThrow("must be at least 65536 bytes");
  expect(() => parseByteSizeFlag("-5Mi", "--max-object-size")).toThrow("must be at least");
});
