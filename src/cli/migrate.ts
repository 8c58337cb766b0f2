// `kcp migrate`: copy all data between the SQLite and the etcd backend, in either direction.
//
//   kcp migrate --from sqlite:.kcp --to etcd:https://10.0.0.1:2379 --etcd-cafile ca.crt ...
//   kcp migrate --from etcd:http://127.0.0.1:2379 --to sqlite:/var/lib/kcp
//
// `sqlite:<path>` is a root directory (its data/kcp.db) or a database file; `etcd:<urls>` is
// comma-separated member URLs, with the --etcd-* flags for TLS and the key prefix. Stop the kcp
// servers using either side first. Every resourceVersion changes (see src/storage/copy-storage.ts).
import { defineCommand } from "citty";
import { existsSync, statSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { log } from "../log.ts";
import { copyStorage } from "../storage/copy-storage.ts";
import { normalizeEtcdPrefix, openStorage, type StorageOptions } from "../storage/open-storage.ts";
import {
  etcdConnectionArgs,
  etcdTls,
  explainTooLarge,
  maxObjectSizeArgs,
  maxObjectSizeFromFlag,
  parseEtcdServers,
} from "./storage-flags.ts";

type Side = { kind: "sqlite"; path: string } | { kind: "etcd"; endpoints: string[] };

export default defineCommand({
  meta: {
    name: "migrate",
    description: "Copy all data from one storage backend to another (SQLite ↔ etcd); resourceVersions change",
  },
  args: {
    from: {
      type: "string",
      required: true,
      valueHint: "sqlite:<path>|etcd:<urls>",
      description: "Where the data is: sqlite:<root-dir or .db file> or etcd:<comma-separated member URLs>",
    },
    to: {
      type: "string",
      required: true,
      valueHint: "sqlite:<path>|etcd:<urls>",
      description: "Where to copy it: sqlite:<root-dir or .db file> or etcd:<comma-separated member URLs>",
    },
    ...etcdConnectionArgs,
    ...maxObjectSizeArgs,
    force: {
      type: "boolean",
      default: false,
      description: "Delete what the destination already holds (under its key prefix) instead of refusing",
    },
  },
  async run({ args }) {
    const from = parseSide(args.from, "--from", true);
    const to = parseSide(args.to, "--to", false);
    if (from.kind === to.kind) throw new Error("--from and --to must be different backends (one sqlite:, one etcd:)");
    const etcdSide = from.kind === "etcd" ? from : (to as Extract<Side, { kind: "etcd" }>);
    const tls = etcdTls(args, etcdSide.endpoints);
    const prefix = normalizeEtcdPrefix(args["etcd-prefix"] ?? "/registry");
    // The destination refuses larger values as kcp start would; the source is only read.
    const maxValueBytes = maxObjectSizeFromFlag(args["max-object-size"]);
    const optionsFor = (side: Side): StorageOptions =>
      side.kind === "sqlite"
        ? { backend: "sqlite", path: side.path, compactionIntervalMs: 0 }
        : { backend: "etcd", endpoints: side.endpoints, ...tls, prefix, compactionIntervalMs: 0 };
    if (to.kind === "sqlite") await mkdir(dirname(to.path), { recursive: true, mode: 0o700 });

    const source = await openStorage(optionsFor(from));
    try {
      const destination = await openStorage(optionsFor(to), { maxValueBytes });
      try {
        log.info(`Copying from ${source.description} to ${destination.description}`);
        const started = Date.now();
        let lastReport = 0;
        const result = await copyStorage(source, destination, {
          replace: args.force,
          onReplace: (n) => log.warn(`--force: deleting the ${n} keys the destination holds`),
          onProgress: (copied, total) => {
            if (copied < total && Date.now() - lastReport < 1000) return;
            lastReport = Date.now();
            log.info(`copied ${copied}/${total} keys (${total ? Math.floor((copied * 100) / total) : 100}%)`);
          },
        }).catch((e) => {
          throw explainTooLarge(e);
        });
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        log.success(
          `Migrated ${result.copied} keys in ${seconds}s (source revision ${result.sourceRevision}, destination revision ${result.destinationRevision}).`,
        );
        log.info(
          "Every resourceVersion changed: restart clients and controllers (they must relist; old resourceVersions mean nothing here).",
        );
      } finally {
        await destination.close();
      }
    } finally {
      await source.close();
    }
  },
});

/** `sqlite:<path>` or `etcd:<urls>`. A SQLite source must exist; a destination is created. */
function parseSide(raw: string, flag: string, isSource: boolean): Side {
  const i = raw.indexOf(":");
  const kind = i < 0 ? "" : raw.slice(0, i);
  const rest = i < 0 ? "" : raw.slice(i + 1);
  if (kind === "etcd") return { kind, endpoints: parseEtcdServers(rest, flag) };
  if (kind !== "sqlite")
    throw new Error(`${flag} must be sqlite:<root-dir or .db file> or etcd:<member URLs>, not "${raw}"`);
  if (rest === "") throw new Error(`${flag}: sqlite: needs a path (a kcp root directory or a database file)`);
  return { kind, path: sqlitePath(resolve(rest), flag, isSource) };
}

/**
 * A root directory means its data/kcp.db (or, given a data directory, its kcp.db); a file is
 * itself. A destination that does not exist yet is a file if it ends in ".db", else a root directory.
 */
function sqlitePath(path: string, flag: string, isSource: boolean): string {
  if (!existsSync(path)) {
    if (isSource) throw new Error(`${flag}: no SQLite database at ${path}`);
    return path.endsWith(".db") ? path : join(path, "data", "kcp.db");
  }
  if (!statSync(path).isDirectory()) return path;
  const inRoot = join(path, "data", "kcp.db");
  const inData = join(path, "kcp.db");
  if (existsSync(inRoot)) return inRoot;
  if (existsSync(inData)) return inData;
  if (isSource) throw new Error(`${flag}: no kcp database in ${path} (looked for data/kcp.db and kcp.db)`);
  return inRoot;
}
