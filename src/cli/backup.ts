// `kcp backup --to FILE`: a consistent snapshot of a kcp's data, taken while it serves.
//
//   kcp backup --to kcp-backup.db                          # SQLite in .kcp (the default)
//   kcp backup --root-dir /var/lib/kcp --to /backups/kcp-$(date +%F).db
//   kcp backup --etcd-servers https://10.0.0.1:2379 --etcd-cafile ca.crt ... --to kcp.db
//   kcp backup --root-dir .kcp --embedded-etcd --to kcp.db   # the member a running kcp started
//
// Whatever the backend, the file is one format (src/storage/backup-file.ts) holding every object
// at one revision; `kcp restore` reads it. Certificates, keys and tokens in <root-dir>/data are
// not in it (they are plain files: copy them beside it if the restored kcp should keep them).
import { defineCommand } from "citty";
import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { log } from "../log.ts";
import { etcdPkiFiles } from "../pki/etcd-certs.ts";
import { openStorage } from "../storage/open-storage.ts";
import { openSqliteSnapshot } from "../storage/sqlite/snapshot-reader.ts";
import { type StoreSnapshot, storageSnapshot } from "../storage/store-snapshot.ts";
import { writeBackup } from "../storage/write-backup.ts";
import { progressReporter } from "./progress.ts";
import { etcdConnectionArgs, startStorageArgs, storageFromFlags } from "./storage-flags.ts";

export default defineCommand({
  meta: {
    name: "backup",
    description: "Write a consistent snapshot of a kcp's data (SQLite or etcd) to a file, while kcp runs",
  },
  args: {
    to: {
      type: "string",
      required: true,
      valueHint: "file",
      description: "The backup file to write (written under a temporary name, renamed when complete)",
    },
    "root-dir": {
      type: "string",
      default: ".kcp",
      valueHint: "dir",
      description: "The kcp root directory whose data/kcp.db to back up (or whose embedded etcd, with --embedded-etcd)",
    },
    "etcd-servers": {
      ...startStorageArgs["etcd-servers"],
      description:
        "Back up kcp's keys in these etcd members (comma-separated https://host:port or http://host:port) instead of --root-dir's SQLite database",
    },
    ...etcdConnectionArgs,
    "embedded-etcd": {
      type: "boolean",
      default: false,
      description: "Back up the embedded etcd of the kcp running on --root-dir (through its client port and PKI)",
    },
    "embedded-etcd-client-port": startStorageArgs["embedded-etcd-client-port"],
    "page-size": {
      type: "string",
      default: "1000",
      valueHint: "count",
      description: "Keys read and written at a time (memory use grows with it)",
    },
    force: {
      type: "boolean",
      default: false,
      description: "Replace --to if it exists",
    },
  },
  async run({ args }) {
    if (args["root-dir"] === "") throw new Error("--root-dir must not be empty");
    if (args.to === "") throw new Error("--to must not be empty");
    const rootDir = resolve(args["root-dir"]);
    const file = resolve(args.to);
    const pageText = args["page-size"] ?? "1000";
    if (!/^[0-9]{1,6}$/.test(pageText) || Number(pageText) < 1)
      throw new Error(`--page-size: "${pageText}" is not a whole number from 1 to 999999`);
    const storage = storageFromFlags(args, rootDir);
    if (existsSync(file) && !args.force) throw new Error(`${file} exists: pass --force to replace it`);
    if (existsSync(file) && statSync(file).isDirectory()) throw new Error(`--to: ${file} is a directory`);

    let snapshot: StoreSnapshot;
    if (!storage) {
      const dbPath = join(rootDir, "data", "kcp.db");
      if (!existsSync(dbPath)) throw new Error(`no kcp database at ${dbPath} (give the root directory of a kcp)`);
      snapshot = openSqliteSnapshot(dbPath);
    } else {
      let etcd: Extract<typeof storage, { backend: "etcd" }>;
      if (storage.backend === "embedded-etcd") {
        // The member belongs to the running kcp: reach it as that kcp does, never start another.
        const pki = etcdPkiFiles(join(storage.dataDir, "etcd-pki"));
        if (!existsSync(pki.clientCertFile))
          throw new Error(
            `no embedded etcd in ${rootDir} (no ${pki.clientCertFile}): was kcp started there with --embedded-etcd?`,
          );
        etcd = {
          backend: "etcd",
          endpoints: [`https://127.0.0.1:${storage.clientPort}`],
          caFile: pki.caFile,
          certFile: pki.clientCertFile,
          keyFile: pki.clientKeyFile,
          prefix: storage.prefix,
        };
      } else if (storage.backend === "etcd") {
        etcd = storage;
      } else {
        throw new Error(`unexpected backend ${storage.backend}`);
      }
      const opened = await openStorage({ ...etcd, compactionIntervalMs: 0 });
      try {
        snapshot = await storageSnapshot(opened.storage, opened.keyPrefix, "etcd", opened.description, () =>
          opened.close(),
        );
      } catch (err) {
        await opened.close();
        throw err;
      }
    }

    const started = Date.now();
    try {
      log.info(`Backing up ${snapshot.total} keys at revision ${snapshot.revision} from ${snapshot.source}`);
      const info = await writeBackup(snapshot, file, {
        pageSize: Number(pageText),
        onProgress: progressReporter("backed up"),
      });
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const mib = (statSync(file).size / (1024 * 1024)).toFixed(1);
      log.success(`Backed up ${info.keys} keys at revision ${info.revision} to ${file} (${mib} MiB, ${seconds}s)`);
    } catch (err) {
      throw new Error(`backup failed, nothing written to ${file}`, { cause: err });
    } finally {
      await snapshot.close();
    }
  },
});
