// Backend selection for `kcp start` (and `kcp migrate`): the embedded SQLite database (default),
// an etcd cluster (`--etcd-servers`), or an etcd member kcp runs itself (`--embedded-etcd`).
//
// Key layout. Every backend stores objects under `<prefix>/<group>/<resource>/<cluster>/…`
// (src/storage/keys.ts). In SQLite the prefix is `/registry`. In etcd it is `--etcd-prefix`
// (default `/registry`), exactly as kube-apiserver's flag of that name: with the default, etcd
// holds `/registry/core/configmaps/admin/default/x`; with `--etcd-prefix=/kcp-a` it holds
// `/kcp-a/core/configmaps/…`, and the kcp servers on that prefix see nothing else. Technically the
// etcd backend gets the prefix (EtcdStorage's own key prefix, which also scopes its one watch to
// `<prefix>/`) and the object store above it uses keys without one (`/core/configmaps/…`).

import { join } from "node:path";
import { log } from "../log.ts";
import { EmbeddedEtcd } from "./etcd/embedded-etcd.ts";
import type { Storage } from "./interface.ts";
import { DEFAULT_PREFIX } from "./keys.ts";

export const DEFAULT_ETCD_PREFIX = "/registry";
export const DEFAULT_EMBEDDED_ETCD_CLIENT_PORT = 2379;
export const DEFAULT_EMBEDDED_ETCD_PEER_PORT = 2380;

/** How kcp reaches etcd. */
export interface EtcdConnection {
  /** etcd's key prefix for kcp's data (`--etcd-prefix`, normalised: see normalizeEtcdPrefix). */
  prefix: string;
  /** Deadline of each etcd call (default 5 s); a request retries for twice this before it fails. */
  requestTimeoutMs?: number;
  /** How often to compact etcd's history (default 5 minutes; 0: never). */
  compactionIntervalMs?: number;
}

export type StorageOptions =
  | { backend: "sqlite" /** The database file. */; path: string; compactionIntervalMs?: number }
  | ({ backend: "etcd"; endpoints: string[]; caFile?: string; certFile?: string; keyFile?: string } & EtcdConnection)
  | ({
      backend: "embedded-etcd" /** `<root>/data`: the member's data goes to `etcd/`, its PKI to `etcd-pki/`. */;
      dataDir: string;
      clientPort: number;
      peerPort: number;
    } & EtcdConnection);

export interface OpenedStorage {
  storage: Storage;
  /** The prefix the object store puts before its keys (see "Key layout" above). */
  keyPrefix: string;
  /** For logs: what the data lives in. */
  description: string;
  /** Start the backend's periodic history compaction; returns the function that stops it. */
  startCompaction(): () => void;
  /** Close the storage, then stop what it runs on (the embedded etcd). */
  close(): Promise<void>;
}

/** SQLite's compaction: every 5 minutes, keeping the last 10,000 revisions for watches to resume from. */
const SQLITE_COMPACTION_INTERVAL_MS = 5 * 60 * 1000;
const SQLITE_COMPACTION_RETAIN = 10_000;

/**
 * `--etcd-prefix` as the etcd backend wants it: starts with "/", no trailing "/" ("/" alone is the
 * root, stored as ""). Throws on anything else.
 */
export function normalizeEtcdPrefix(raw: string): string {
  const p = raw.trim().replace(/\/+$/, "");
  if (raw.trim() === "") throw new Error("--etcd-prefix must not be empty (use / for the root of the key space)");
  if (p !== "" && !p.startsWith("/")) throw new Error(`--etcd-prefix must start with "/": ${JSON.stringify(raw)}`);
  if (p.includes("//")) throw new Error(`--etcd-prefix must not contain "//": ${JSON.stringify(raw)}`);
  return p;
}

/** Limits every backend enforces the same way. */
export interface StorageLimits {
  /** The largest stored object, in bytes (`--max-object-size`; default etcd's 1.5 MiB). */
  maxValueBytes?: number;
}

/** Open the configured backend (starting the embedded etcd first, if that is the one). */
export async function openStorage(opts: StorageOptions, limits: StorageLimits = {}): Promise<OpenedStorage> {
  switch (opts.backend) {
    case "sqlite":
      return openSqlite(opts.path, opts.compactionIntervalMs, limits);
    case "etcd":
      return openEtcd(
        opts,
        { endpoints: opts.endpoints, caFile: opts.caFile, certFile: opts.certFile, keyFile: opts.keyFile },
        null,
        limits,
      );
    case "embedded-etcd": {
      const member = await EmbeddedEtcd.start({
        dataDir: join(opts.dataDir, "etcd"),
        pkiDir: join(opts.dataDir, "etcd-pki"),
        clientPort: opts.clientPort,
        peerPort: opts.peerPort,
        // A larger --max-object-size than etcd's default needs the member to accept it (and the key).
        ...(limits.maxValueBytes && limits.maxValueBytes > 1.5 * 1024 * 1024
          ? { maxRequestBytes: limits.maxValueBytes + 64 * 1024 }
          : {}),
      });
      try {
        return await openEtcd(
          opts,
          {
            endpoints: [member.endpoint],
            caFile: member.pki.caFile,
            certFile: member.pki.clientCertFile,
            keyFile: member.pki.clientKeyFile,
          },
          member,
          limits,
        );
      } catch (err) {
        await member.stop();
        throw err;
      }
    }
  }
}

async function openSqlite(
  path: string,
  intervalMs = SQLITE_COMPACTION_INTERVAL_MS,
  limits: StorageLimits = {},
): Promise<OpenedStorage> {
  const { SqliteStorage } = await import("./sqlite/sqlite-storage.ts");
  const storage = SqliteStorage.open(path, {
    checkpointInWorker: true,
    ...(limits.maxValueBytes ? { maxValueBytes: limits.maxValueBytes } : {}),
  });
  return {
    storage,
    keyPrefix: DEFAULT_PREFIX,
    description: `SQLite database ${path}`,
    startCompaction: () =>
      intervalMs > 0 ? storage.startAutoCompaction(intervalMs, SQLITE_COMPACTION_RETAIN) : () => {},
    close: () => storage.close(),
  };
}

interface EtcdEndpoints {
  endpoints: string[];
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

async function openEtcd(
  conn: EtcdConnection,
  where: EtcdEndpoints,
  member: EmbeddedEtcd | null,
  limits: StorageLimits = {},
): Promise<OpenedStorage> {
  // Loaded only here: the SQLite default never pays for the gRPC client.
  const [{ EtcdStorage }, { startEtcdCompaction, DEFAULT_ETCD_COMPACTION_INTERVAL_MS }] = await Promise.all([
    import("./etcd/etcd-storage.ts"),
    import("./etcd/etcd-compactor.ts"),
  ]);
  const endpoints = where.endpoints.join(",");
  let storage: Awaited<ReturnType<typeof EtcdStorage.connect>>;
  try {
    storage = await EtcdStorage.connect({
      endpoints: where.endpoints,
      ...(where.caFile ? { caFile: where.caFile } : {}),
      ...(where.certFile ? { certFile: where.certFile } : {}),
      ...(where.keyFile ? { keyFile: where.keyFile } : {}),
      ...(conn.requestTimeoutMs ? { callTimeoutMs: conn.requestTimeoutMs } : {}),
      prefix: conn.prefix,
      ...(limits.maxValueBytes ? { maxValueBytes: limits.maxValueBytes } : {}),
    });
  } catch (err) {
    throw new Error(`cannot connect to etcd at ${endpoints}`, { cause: err });
  }
  const revision = await storage.currentRevision();
  log.info(`Connected to etcd at ${endpoints} (key prefix ${conn.prefix || "/"}, revision ${revision})`);
  const interval = conn.compactionIntervalMs ?? DEFAULT_ETCD_COMPACTION_INTERVAL_MS;
  return {
    storage,
    keyPrefix: "",
    description: `etcd ${endpoints}, key prefix ${conn.prefix || "/"}`,
    startCompaction: () => startEtcdCompaction(storage, interval),
    async close() {
      try {
        await storage.close();
      } finally {
        await member?.stop();
      }
    },
  };
}
