// `kcp backup` of a kcp on SQLite while writers keep creating objects, then `kcp restore` into a
// new root directory and a kcp started there: it holds exactly the objects whose creation
// revision is at or below the backup's revision, with their resourceVersions; a watch (or an
// exact list) from a revision the old server reached after the backup gets 410 Expired, and a
// watch from the restored server's own revision works. The same from a kcp on etcd (an external
// member, and the embedded one of a running kcp).
import { afterAll, describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { call, configMap, etcdArgs, until } from "../helpers/etcd-kcp.ts";
import { etcdMissingReason, freePort, startEtcd } from "../helpers/etcd-process.ts";
import { api, type KcpProcess, removeDir, startKcp, tempDir } from "../helpers/kcp-process.ts";
import { WatchStream } from "../helpers/watch-stream.ts";

const REPO = resolve(import.meta.dir, "../..");

async function kcpCli(args: string[]): Promise<{ code: number; out: string; stdout: string }> {
  const proc = Bun.spawn([process.execPath, join(REPO, "src/main.ts"), ...args], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NO_COLOR: "1" },
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, out: stdout + stderr, stdout };
}

/** Writers creating ConfigMaps one after another, with names spread over the key range, recording each resourceVersion. */
function startWriters(kcp: KcpProcess, namespace: string, count: number) {
  const created = new Map<string, number>();
  const failures: string[] = [];
  let stopping = false;
  const loop = async (w: number) => {
    for (let i = 0; !stopping; i++) {
      const name = `${crypto.randomUUID().slice(0, 8)}-w${w}-${i}`;
      const r = await call(
        kcp,
        "POST",
        `/api/v1/namespaces/${namespace}/configmaps`,
        configMap(name, { i: String(i) }),
      );
      if (r.status !== 201) failures.push(`${name}: ${r.status} ${JSON.stringify(r.body)}`);
      else created.set(name, Number(r.body.metadata.resourceVersion));
    }
  };
  const loops = Array.from({ length: count }, (_, w) => loop(w));
  return {
    created,
    failures,
    async stop() {
      stopping = true;
      await Promise.all(loops);
    },
  };
}

const dirs: string[] = [];
const servers: KcpProcess[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop();
  for (const d of dirs) removeDir(d);
});

interface TakenBackup {
  file: string;
  /** The backup's revision. */
  revision: number;
  /** Objects created at or below it: name and resourceVersion. */
  inBackup: [string, number][];
  /** The newest resourceVersion a client of the old server saw (after the backup's). */
  newestSeen: number;
}

/** Writers on a running kcp `old`, and a backup with `backupArgs` taken while they write. */
async function backupDuringWrites(old: KcpProcess, backupArgs: string[], backend: string): Promise<TakenBackup> {
  expect((await call(old, "POST", "/api/v1/namespaces", { metadata: { name: "load" } })).status).toBe(201);
  // Enough objects for the backup to read many pages (--page-size 10) while the writers go on.
  const writers = startWriters(old, "load", 3);
  await until("150 objects before the backup", async () => (writers.created.size >= 150 ? true : undefined), 60_000);

  const backupDir = tempDir("kcp-backup-");
  dirs.push(backupDir);
  const file = join(backupDir, "kcp.backup");
  const atBackupStart = writers.created.size;
  const backup = await kcpCli(["backup", ...backupArgs, "--to", file, "--page-size", "10"]);
  expect(backup.code, backup.out).toBe(0);
  expect(backup.out).toMatch(/Backed up \d+ keys at revision \d+ to /);
  const afterBackup = writers.created.size;
  await until("30 more objects after the backup", async () =>
    writers.created.size >= afterBackup + 30 ? true : undefined,
  );
  await writers.stop();
  expect(writers.failures).toEqual([]);
  // The writers kept going while the backup process ran.
  expect(afterBackup).toBeGreaterThan(atBackupStart);
  // Nothing beside the backup: no temporary file left.
  expect(readdirSync(backupDir)).toEqual(["kcp.backup"]);

  const info = await kcpCli(["restore", "--from", file, "--dry-run"]);
  expect(info.code, info.out).toBe(0);
  const meta = JSON.parse(info.stdout);
  expect(meta.backend).toBe(backend);
  expect(meta.kcpVersion).toMatch(/^\d+\.\d+\.\d+/);
  const revision: number = meta.revision;
  const inBackup = [...writers.created].filter(([, rv]) => rv <= revision);
  const later = [...writers.created].filter(([, rv]) => rv > revision);
  expect(inBackup.length).toBeGreaterThan(0);
  expect(later.length).toBeGreaterThanOrEqual(30);
  const newestSeen = Math.max(...writers.created.values());
  return { file, revision, inBackup, newestSeen };
}

/**
 * The whole story on a running kcp `old`: writers, a backup with `backupArgs` during them, a
 * restore into a new root directory, a kcp there, and the checks.
 */
async function backupDuringWritesAndRestore(old: KcpProcess, backupArgs: string[], backend: string): Promise<void> {
  const taken = await backupDuringWrites(old, backupArgs, backend);
  const { file, revision } = taken;
  const restoredRoot = tempDir("kcp-restored-");
  dirs.push(restoredRoot);
  const restore = await kcpCli(["restore", "--from", file, "--root-dir", restoredRoot]);
  expect(restore.code, restore.out).toBe(0);
  expect(restore.out).toContain(`continues at revision ${revision + 1_000_000_000}`);
  // A second restore into the same place is refused, and --force replaces.
  const again = await kcpCli(["restore", "--from", file, "--root-dir", restoredRoot]);
  expect(again.code).toBe(1);
  expect(again.out).toContain("already exists");
  const forced = await kcpCli(["restore", "--from", file, "--root-dir", restoredRoot, "--force"]);
  expect(forced.code, forced.out).toBe(0);

  const restored = await startKcp({ rootDir: restoredRoot });
  servers.push(restored);
  await checkRestored(restored, taken, true);
}

/** A kcp serving a restored backup: exactly its objects; 410 from the old server's revisions; watches from its own. */
async function checkRestored(restored: KcpProcess, taken: TakenBackup, keepsVersions: boolean): Promise<void> {
  const { revision, inBackup, newestSeen } = taken;
  const list = await call(restored, "GET", "/api/v1/namespaces/load/configmaps");
  expect(list.status).toBe(200);
  const got = new Map<string, number>(
    list.body.items.map((cm: any) => [cm.metadata.name, Number(cm.metadata.resourceVersion)]),
  );
  const listRevision = Number(list.body.metadata.resourceVersion);
  if (keepsVersions) {
    // Exactly the objects created at or before the backup's revision, each with its resourceVersion.
    expect([...got].sort()).toEqual([...inBackup].sort());
    expect(listRevision).toBeGreaterThanOrEqual(revision + 1_000_000_000);
  } else {
    // Exactly those objects, rewritten: every resourceVersion past what the old server's clients saw.
    expect([...got.keys()].sort()).toEqual(inBackup.map(([name]) => name).sort());
    for (const rv of got.values()) expect(rv).toBeGreaterThan(newestSeen);
  }

  // A revision the old server reached after the backup: 410 Expired, for a watch and an exact list.
  const stale = await api(
    restored,
    `/api/v1/namespaces/load/configmaps?watch=1&resourceVersion=${newestSeen}&allowWatchBookmarks=true`,
  );
  // As kube-apiserver: the watch opens, and its one event is an ERROR carrying the Status.
  expect(stale.status).toBe(200);
  const staleEvent = await new WatchStream(stale).next();
  expect(staleEvent.type).toBe("ERROR");
  const staleStatus = staleEvent.object;
  expect(staleStatus.code).toBe(410);
  expect(staleStatus.reason).toBe("Expired");
  const exact = await call(
    restored,
    "GET",
    `/api/v1/namespaces/load/configmaps?resourceVersion=${newestSeen}&resourceVersionMatch=Exact`,
  );
  expect(exact.status).toBe(410);
  expect(exact.body.reason).toBe("Expired");

  // From the restored server's own revision, watches work and new writes get revisions past the jump.
  const res = await api(restored, `/api/v1/namespaces/load/configmaps?watch=1&resourceVersion=${listRevision}`, {
    signal: AbortSignal.timeout(20_000),
  });
  expect(res.status).toBe(200);
  const watch = new WatchStream(res);
  const made = await call(restored, "POST", "/api/v1/namespaces/load/configmaps", configMap("after-restore"));
  expect(made.status).toBe(201);
  const ev = await watch.next();
  expect(ev.type).toBe("ADDED");
  expect(ev.object.metadata.name).toBe("after-restore");
  expect(Number(ev.object.metadata.resourceVersion)).toBeGreaterThan(listRevision);
  watch.close();
}

describe("kcp backup and restore (SQLite)", () => {
  test("a backup taken during writes restores exactly the objects up to its revision; later revisions get 410", async () => {
    const old = await startKcp();
    servers.push(old);
    dirs.push(old.rootDir);
    await backupDuringWritesAndRestore(old, ["--root-dir", old.rootDir], "sqlite");
  }, 120_000);

  test("backup fails with a non-zero exit and writes nothing when there is no database", async () => {
    const dir = tempDir("kcp-backup-none-");
    dirs.push(dir);
    const r = await kcpCli(["backup", "--root-dir", join(dir, "missing"), "--to", join(dir, "out.backup")]);
    expect(r.code).toBe(1);
    expect(r.out).toContain("no kcp database");
    expect(readdirSync(dir)).toEqual([]);
    const bad = await kcpCli(["restore", "--from", join(dir, "nothing"), "--dry-run"]);
    expect(bad.code).toBe(1);
  });
});

describe("kcp backup and restore with etcd", () => {
  const missing = etcdMissingReason();
  if (missing) {
    test("etcd is installed", () => {
      throw new Error(missing);
    });
    return;
  }

  test("--etcd-servers: a backup during writes has exactly the objects up to its revision", async () => {
    const etcd = await startEtcd();
    try {
      const old = await startKcp({ args: etcdArgs(etcd) });
      servers.push(old);
      dirs.push(old.rootDir);
      await backupDuringWritesAndRestore(old, etcdArgs(etcd), "etcd");
    } finally {
      for (const s of servers.splice(0)) await s.stop();
      await etcd.stop();
    }
  }, 120_000);

  test("--embedded-etcd: the member of the running kcp is backed up through its PKI", async () => {
    const clientPort = await freePort();
    let peerPort = await freePort();
    while (peerPort === clientPort) peerPort = await freePort();
    const old = await startKcp({
      args: [
        "--embedded-etcd",
        "--embedded-etcd-client-port",
        String(clientPort),
        "--embedded-etcd-peer-port",
        String(peerPort),
      ],
    });
    servers.push(old);
    dirs.push(old.rootDir);
    await backupDuringWritesAndRestore(
      old,
      ["--root-dir", old.rootDir, "--embedded-etcd", "--embedded-etcd-client-port", String(clientPort)],
      "etcd",
    );
  }, 120_000);

  test("--etcd-servers restore: into the etcd the backup came from, with new resourceVersions and 410 for old ones", async () => {
    const etcd = await startEtcd();
    try {
      const old = await startKcp({ args: etcdArgs(etcd) });
      servers.push(old);
      dirs.push(old.rootDir);
      const taken = await backupDuringWrites(old, etcdArgs(etcd), "etcd");
      await old.stop();
      // The default jump (1e9) is past anything this etcd's counter has reached: refused, with the way out.
      const refused = await kcpCli([
        "restore",
        "--from",
        taken.file,
        ...etcdArgs(etcd, ["--etcd-prefix", "/restored"]),
      ]);
      expect(refused.code).toBe(1);
      expect(refused.out).toContain(`below the backup's revision ${taken.revision} plus --bump-revision 1000000000`);
      // 30 writes followed the backup: a jump of 20 is below etcd's revision.
      const into = etcdArgs(etcd, ["--etcd-prefix", "/restored", "--bump-revision", "20"]);
      const restore = await kcpCli(["restore", "--from", taken.file, ...into]);
      expect(restore.code, restore.out).toBe(0);
      expect(restore.out).toMatch(/Restored \d+ keys with new resourceVersions/);
      const again = await kcpCli(["restore", "--from", taken.file, ...into]);
      expect(again.code).toBe(1);
      expect(again.out).toContain("the destination already holds");

      const restored = await startKcp({ args: etcdArgs(etcd, ["--etcd-prefix", "/restored"]) });
      servers.push(restored);
      dirs.push(restored.rootDir);
      await checkRestored(restored, taken, false);
    } finally {
      for (const s of servers.splice(0)) await s.stop();
      await etcd.stop();
    }
  }, 120_000);
});
