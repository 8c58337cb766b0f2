// `kcp restore --from FILE --root-dir DIR`: a backup made by `kcp backup` (of either backend)
// becomes the SQLite database of DIR; `kcp start --root-dir DIR` then serves it.
//
// Objects keep their resourceVersions; the store's revision jumps by --bump-revision and every
// revision before the jump is compacted, so clients that saw newer revisions on the old server
// get 410 Gone and relist instead of silently wrong answers (src/storage/sqlite/restore-database.ts).
//
// With --etcd-servers the keys are written into etcd instead, with new resourceVersions, if
// etcd's revision is already past the backup's plus --bump-revision (src/storage/restore-storage.ts).
import { defineCommand } from "citty";
import { join, resolve } from "node:path";
import { log } from "../log.ts";
import { BackupFileReader } from "../storage/backup-file.ts";
import { openStorage } from "../storage/open-storage.ts";
import { restoreIntoStorage } from "../storage/restore-storage.ts";
import { DEFAULT_BUMP_REVISION, restoreSqliteDatabase } from "../storage/sqlite/restore-database.ts";
import { progressReporter } from "./progress.ts";
import {
  etcdConnectionArgs,
  explainTooLarge,
  maxObjectSizeArgs,
  maxObjectSizeFromFlag,
  startStorageArgs,
  storageFromFlags,
} from "./storage-flags.ts";

export default defineCommand({
  meta: {
    name: "restore",
    description:
      "Restore a backup made by kcp backup into a root directory's SQLite database, or into etcd (no kcp may use the target meanwhile)",
  },
  args: {
    from: {
      type: "string",
      required: true,
      valueHint: "file",
      description: "The backup file",
    },
    "root-dir": {
      type: "string",
      default: ".kcp",
      valueHint: "dir",
      description: "The kcp root directory to restore into (its data/kcp.db)",
    },
    "bump-revision": {
      type: "string",
      default: String(DEFAULT_BUMP_REVISION),
      valueHint: "count",
      description:
        "Start the restored store this many revisions after the backup's and mark all before compacted (old resourceVersions get 410); more than the writes made after the backup",
    },
    "etcd-servers": {
      ...startStorageArgs["etcd-servers"],
      description:
        "Restore into these etcd members (under --etcd-prefix; new resourceVersions) instead of --root-dir's SQLite database",
    },
    ...etcdConnectionArgs,
    "max-object-size": {
      ...maxObjectSizeArgs["max-object-size"],
      description:
        "With --etcd-servers, the largest object etcd is given: the --max-object-size of the kcp start that serves it (the members need --max-request-bytes at least this); a SQLite restore takes every object",
    },
    force: {
      type: "boolean",
      default: false,
      description:
        "Replace an existing database in --root-dir, or the keys under --etcd-prefix (stop the kcp using it first)",
    },
    "dry-run": {
      type: "boolean",
      default: false,
      description: "Check the file and print what it holds (JSON), restore nothing",
    },
  },
  async run({ args }) {
    if (args.from === "") throw new Error("--from must not be empty");
    const bumpText = args["bump-revision"] ?? String(DEFAULT_BUMP_REVISION);
    if (!/^[0-9]{1,15}$/.test(bumpText))
      throw new Error(`--bump-revision: "${bumpText}" is not a whole number (0 to 999999999999999)`);
    const bumpRevision = Number(bumpText);
    const backup = BackupFileReader.open(resolve(args.from));
    try {
      if (args["dry-run"]) {
        process.stdout.write(`${JSON.stringify(backup.info, null, 2)}\n`);
        return;
      }
      if (args["root-dir"] === "") throw new Error("--root-dir must not be empty");
      const target = storageFromFlags(args, resolve(args["root-dir"]));
      if (target?.backend === "etcd") {
        const maxValueBytes = maxObjectSizeFromFlag(args["max-object-size"]);
        return await restoreIntoEtcd(backup, target, bumpRevision, args.force, maxValueBytes);
      }
      const dbPath = join(resolve(args["root-dir"]), "data", "kcp.db");
      const { info } = backup;
      log.info(
        `Restoring ${info.keys} keys at revision ${info.revision} (a backup of ${info.backend}, kcp ${info.kcpVersion}, taken ${info.created}) into ${dbPath}`,
      );
      if (bumpRevision === 0)
        log.warn(
          "--bump-revision=0: revisions after the backup's will be reused; clients that saw them must not resume from them",
        );
      const result = await restoreSqliteDatabase(backup, dbPath, {
        bumpRevision,
        replace: args.force,
        onProgress: progressReporter("restored"),
      });
      if (result.renumbered > 0)
        log.warn(`${result.renumbered} objects shared a revision with another and got a new resourceVersion`);
      log.success(
        `Restored ${result.keys} keys; the store continues at revision ${result.revision} (everything up to it is compacted: older resourceVersions get 410 Gone)`,
      );
    } finally {
      backup.close();
    }
  },
});

async function restoreIntoEtcd(
  backup: BackupFileReader,
  target: Parameters<typeof openStorage>[0],
  bumpRevision: number,
  force: boolean,
  maxValueBytes: number,
): Promise<void> {
  const { info } = backup;
  const opened = await openStorage({ ...target, compactionIntervalMs: 0 }, { maxValueBytes });
  try {
    log.info(
      `Restoring ${info.keys} keys at revision ${info.revision} (a backup of ${info.backend}, kcp ${info.kcpVersion}, taken ${info.created}) into ${opened.description}`,
    );
    const result = await restoreIntoStorage(backup, opened, {
      bumpRevision,
      replace: force,
      onReplace: (n) => log.warn(`--force: deleting the ${n} keys under the prefix`),
      onProgress: progressReporter("restored"),
    }).catch((e) => {
      throw explainTooLarge(e);
    });
    log.success(
      `Restored ${result.keys} keys with new resourceVersions; etcd is at revision ${result.revision}, compacted there (older resourceVersions get 410 Gone)`,
    );
  } finally {
    await opened.close();
  }
}
