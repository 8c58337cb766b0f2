// The backup file and restore into SQLite, against real SQLite stores in temporary files:
// a backup that fails half-way leaves nothing (and an older backup untouched), a restored store
// keeps every object's revisions and jumps its own, two objects sharing a revision (as etcd's
// multi-key transactions make) both survive, and a file that is not a backup is refused.
import { afterAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BackupFileReader, BackupFileWriter, BackupFormatError } from "../../src/storage/backup-file.ts";
import { CompactedError } from "../../src/storage/interface.ts";
import { DatabaseExistsError, restoreSqliteDatabase } from "../../src/storage/sqlite/restore-database.ts";
import { SqliteStorage } from "../../src/storage/sqlite/sqlite-storage.ts";
import { openSqliteSnapshot } from "../../src/storage/sqlite/snapshot-reader.ts";
import { storageSnapshot } from "../../src/storage/store-snapshot.ts";
import { writeBackup } from "../../src/storage/write-backup.ts";
import { removeDir, tempDir } from "../helpers/kcp-process.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) removeDir(d);
});

function dir(): string {
  const d = tempDir("kcp-backup-unit-");
  dirs.push(d);
  return d;
}

describe("backup", () => {
  test("a backup that fails half-way leaves no file and keeps the previous one", async () => {
    const d = dir();
    const storage = SqliteStorage.open(join(d, "kcp.db"));
    try {
      for (let i = 0; i < 20; i++) await storage.create(`/registry/core/configmaps/admin/default/c${i}`, `v${i}`);
      const file = join(d, "kcp.backup");
      writeFileSync(file, "the previous backup");
      // Read through the Storage interface (the etcd path) a page at a time; between pages the
      // history the snapshot reads is compacted away, so the read fails as etcd's would.
      const inner = await storageSnapshot(storage, "/registry", "etcd", "test", async () => {});
      const snapshot = {
        ...inner,
        async *pages(pageSize: number) {
          let first = true;
          for await (const page of inner.pages(pageSize)) {
            yield page;
            if (first) {
              first = false;
              const rev = await storage.update("/registry/core/configmaps/admin/default/c19", "newer", 21);
              await storage.compact(rev);
            }
          }
        },
      };
      const err = await writeBackup(snapshot, file, { pageSize: 5 }).catch((e) => e);
      expect(err).toBeInstanceOf(CompactedError);
      expect(readFileSync(file, "utf8")).toBe("the previous backup");
      expect(readdirSync(d).sort()).toEqual(["kcp.backup", "kcp.db", "kcp.db-shm", "kcp.db-wal"]);
    } finally {
      await storage.close();
    }
  });

  test("a SQLite snapshot holds the live keys at its revision, without the prefix", async () => {
    const d = dir();
    const storage = SqliteStorage.open(join(d, "kcp.db"));
    try {
      await storage.create("/registry/core/configmaps/admin/default/a", "a1");
      const rev = await storage.update("/registry/core/configmaps/admin/default/a", "a2", 2);
      await storage.create("/registry/core/configmaps/admin/default/b", "b");
      await storage.delete("/registry/core/configmaps/admin/default/b");
      await storage.create("/elsewhere/x", "not kcp's");
      await storage.create("/registry!x", "sorts between /registry and /registry/");
      const snapshot = openSqliteSnapshot(join(d, "kcp.db"));
      // Written after the snapshot began: not in it.
      await storage.create("/registry/core/configmaps/admin/default/c", "late");
      const info = await writeBackup(snapshot, join(d, "out.backup"), { pageSize: 1 });
      await snapshot.close();
      expect(info).toMatchObject({ backend: "sqlite", revision: 7, keys: 1 });
      const reader = BackupFileReader.open(join(d, "out.backup"));
      expect([...reader.pages()].flat()).toEqual([
        { key: "/core/configmaps/admin/default/a", value: "a2", modRevision: rev, createRevision: 2 },
      ]);
      reader.close();
    } finally {
      await storage.close();
    }
  });
});

describe("restore into SQLite", () => {
  function backupOf(path: string, revision: number, objects: [string, string, number, number][]): BackupFileReader {
    const w = BackupFileWriter.create(path);
    w.add(objects.map(([key, value, modRevision, createRevision]) => ({ key, value, modRevision, createRevision })));
    w.finish({ backend: "etcd", revision, kcpVersion: "0.0.0", created: new Date().toISOString(), source: "test" });
    return BackupFileReader.open(path);
  }

  test("objects keep their revisions, the store jumps and everything before is compacted", async () => {
    const d = dir();
    const backup = backupOf(join(d, "b"), 50, [
      ["/core/configmaps/admin/default/a", "A", 40, 10],
      // etcd gives every key of one transaction the same revision: SQLite needs a new one for the second.
      ["/core/configmaps/admin/default/b", "B", 40, 40],
      ["/core/namespaces/admin/default", "NS", 3, 3],
    ]);
    const db = join(d, "root", "data", "kcp.db");
    const result = await restoreSqliteDatabase(backup, db, { bumpRevision: 1000 });
    expect(result).toEqual({ keys: 3, backupRevision: 50, revision: 1051, renumbered: 1 });
    await expect(restoreSqliteDatabase(backup, db, { bumpRevision: 1000 })).rejects.toBeInstanceOf(DatabaseExistsError);
    backup.close();

    const storage = SqliteStorage.open(db);
    try {
      expect(await storage.currentRevision()).toBe(1051);
      expect(await storage.compactedRevision()).toBe(1051);
      expect(await storage.get("/registry/core/configmaps/admin/default/a")).toMatchObject({
        value: "A",
        modRevision: 40,
        createRevision: 10,
      });
      expect(await storage.get("/registry/core/configmaps/admin/default/b")).toMatchObject({
        value: "B",
        modRevision: 1051,
      });
      expect((await storage.list({ prefix: "/registry/" })).items.map((kv) => kv.key)).toEqual([
        "/registry/core/configmaps/admin/default/a",
        "/registry/core/configmaps/admin/default/b",
        "/registry/core/namespaces/admin/default",
      ]);
      await expect(storage.list({ prefix: "/registry/", revision: 60 })).rejects.toBeInstanceOf(CompactedError);
      const watchErr = await new Promise<Error>((resolve) =>
        storage.watch({ prefix: "/registry/", afterRevision: 60, onEvent: () => {}, onError: resolve }),
      );
      expect(watchErr).toBeInstanceOf(CompactedError);
      // An update with the backed-up resourceVersion still applies, and lands after the jump.
      expect(await storage.update("/registry/core/configmaps/admin/default/a", "A2", 40)).toBe(1052);
    } finally {
      await storage.close();
    }
  });

  test("a file that is not a backup is refused", () => {
    const d = dir();
    const storage = SqliteStorage.open(join(d, "kcp.db"));
    void storage.close();
    expect(() => BackupFileReader.open(join(d, "kcp.db"))).toThrow(BackupFormatError);
    writeFileSync(join(d, "text"), "hello");
    expect(() => BackupFileReader.open(join(d, "text"))).toThrow(BackupFormatError);
  });
});
