// The storage flags of `kcp start` (and the etcd ones of `kcp migrate`): their citty definitions
// and their translation into StorageOptions, with the checks that make a bad combination an error
// at the command line rather than a failure later.

import { join } from "node:path";
import {
  DEFAULT_EMBEDDED_ETCD_CLIENT_PORT,
  DEFAULT_EMBEDDED_ETCD_PEER_PORT,
  DEFAULT_ETCD_PREFIX,
  normalizeEtcdPrefix,
  type StorageOptions,
} from "../storage/open-storage.ts";
import { ValueTooLargeError } from "../storage/interface.ts";
import { parseByteSizeFlag } from "./byte-size-flag.ts";
import { parseDurationFlag } from "./duration-flag.ts";

/** Flags that say how to reach an external etcd (shared by `start` and `migrate`). */
export const etcdConnectionArgs = {
  "etcd-cafile": {
    type: "string",
    valueHint: "file",
    description: "CA bundle (PEM) that verifies the etcd members' serving certificates",
  },
  "etcd-certfile": {
    type: "string",
    valueHint: "file",
    description: "Client certificate (PEM) to present to etcd; needs --etcd-keyfile",
  },
  "etcd-keyfile": {
    type: "string",
    valueHint: "file",
    description: "Key (PEM) of --etcd-certfile",
  },
  "etcd-prefix": {
    type: "string",
    default: DEFAULT_ETCD_PREFIX,
    valueHint: "prefix",
    description: "Key prefix of kcp's data in etcd (keys are <prefix>/<group>/<resource>/<cluster>/...)",
  },
} as const;

/**
 * `--max-object-size` of the commands that write a store for `kcp start` to serve (migrate, restore
 * into etcd): without it, objects stored under a raised `kcp start --max-object-size` could not be copied.
 */
export const maxObjectSizeArgs = {
  "max-object-size": {
    type: "string",
    default: "1.5Mi",
    valueHint: "size",
    description:
      "Largest object the destination accepts: the --max-object-size of the kcp start that serves it (an etcd destination needs --max-request-bytes at least this)",
  },
} as const;

/** Bytes of `--max-object-size`, with kcp start's parser and floor. */
export function maxObjectSizeFromFlag(text: string | undefined): number {
  return parseByteSizeFlag(text ?? "1.5Mi", "--max-object-size", 64 * 1024);
}

/** A write refused for its size, told as what to do about it. */
export function explainTooLarge(err: unknown): unknown {
  if (!(err instanceof ValueTooLargeError)) return err;
  return new Error(
    `${err.message}: give --max-object-size the value of the kcp start that stores it (an etcd destination needs --max-request-bytes at least that)`,
    { cause: err },
  );
}

export const startStorageArgs = {
  "etcd-servers": {
    type: "string",
    valueHint: "urls",
    description:
      "Store data in these etcd members (comma-separated https://host:port or http://host:port) instead of SQLite",
  },
  ...etcdConnectionArgs,
  "etcd-compaction-interval": {
    type: "string",
    default: "5m",
    valueHint: "duration",
    description: "How often to compact etcd's history (0 disables)",
  },
  "etcd-request-timeout": {
    type: "string",
    default: "5s",
    valueHint: "duration",
    description: "Deadline of each etcd call; a request retries for twice this, then fails with 503/504",
  },
  "embedded-etcd": {
    type: "boolean",
    default: false,
    description: "Run an etcd member from the etcd binary on PATH (data in <root-dir>/data/etcd) and store data in it",
  },
  "embedded-etcd-client-port": {
    type: "string",
    default: String(DEFAULT_EMBEDDED_ETCD_CLIENT_PORT),
    valueHint: "port",
    description: "Client port of the embedded etcd (on 127.0.0.1)",
  },
  "embedded-etcd-peer-port": {
    type: "string",
    default: String(DEFAULT_EMBEDDED_ETCD_PEER_PORT),
    valueHint: "port",
    description: "Peer port of the embedded etcd (on 127.0.0.1)",
  },
} as const;

/** The values citty hands over for startStorageArgs (strings and the one boolean). */
export interface StartStorageFlags {
  "etcd-servers"?: string;
  "etcd-cafile"?: string;
  "etcd-certfile"?: string;
  "etcd-keyfile"?: string;
  "etcd-prefix"?: string;
  "etcd-compaction-interval"?: string;
  "etcd-request-timeout"?: string;
  "embedded-etcd"?: boolean;
  "embedded-etcd-client-port"?: string;
  "embedded-etcd-peer-port"?: string;
}

export interface EtcdTlsFlags {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

/** `--etcd-servers` → endpoint URLs; each must be http(s)://host:port. */
export function parseEtcdServers(raw: string, flag = "--etcd-servers"): string[] {
  const endpoints = raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (endpoints.length === 0) throw new Error(`${flag} must name at least one etcd member`);
  for (const e of endpoints) {
    let url: URL;
    try {
      url = new URL(e);
    } catch {
      throw new Error(`${flag}: "${e}" is not a URL (expected https://host:port or http://host:port)`);
    }
    if (
      (url.protocol !== "https:" && url.protocol !== "http:") ||
      !url.port ||
      (url.pathname !== "/" && url.pathname !== "") ||
      url.search
    ) {
      throw new Error(`${flag}: "${e}" must be https://host:port or http://host:port`);
    }
  }
  return endpoints.map((e) => e.replace(/\/+$/, ""));
}

/** The TLS flags, checked against the endpoints: a client certificate needs its key, and TLS needs https. */
export function etcdTls(
  flags: { "etcd-cafile"?: string; "etcd-certfile"?: string; "etcd-keyfile"?: string },
  endpoints: string[],
): EtcdTlsFlags {
  const caFile = flags["etcd-cafile"] || undefined;
  const certFile = flags["etcd-certfile"] || undefined;
  const keyFile = flags["etcd-keyfile"] || undefined;
  if ((certFile === undefined) !== (keyFile === undefined))
    throw new Error("--etcd-certfile and --etcd-keyfile must be given together");
  if ((caFile || certFile) && endpoints.some((e) => e.startsWith("http://"))) {
    throw new Error("--etcd-cafile/--etcd-certfile are for TLS: give the members as https:// URLs");
  }
  return { ...(caFile ? { caFile } : {}), ...(certFile ? { certFile } : {}), ...(keyFile ? { keyFile } : {}) };
}

function parsePort(raw: string, flag: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isInteger(n) || n < 1 || n > 65535)
    throw new Error(`${flag} must be a port number (1-65535), not "${raw}"`);
  return n;
}

/**
 * The storage `kcp start` should open, or undefined for the default (SQLite in the root
 * directory). `rootDir` is absolute.
 */
export function storageFromFlags(flags: StartStorageFlags, rootDir: string): StorageOptions | undefined {
  const servers = flags["etcd-servers"]?.trim() ?? "";
  const embedded = flags["embedded-etcd"] === true;
  const tlsGiven = Boolean(flags["etcd-cafile"] || flags["etcd-certfile"] || flags["etcd-keyfile"]);
  const prefix = normalizeEtcdPrefix(flags["etcd-prefix"] ?? DEFAULT_ETCD_PREFIX);
  const compactionIntervalMs = parseDurationFlag(
    flags["etcd-compaction-interval"] ?? "5m",
    "--etcd-compaction-interval",
  );
  const requestTimeoutMs = parseDurationFlag(flags["etcd-request-timeout"] ?? "5s", "--etcd-request-timeout");
  if (requestTimeoutMs < 100) throw new Error("--etcd-request-timeout must be at least 100ms");
  const clientPort = parsePort(
    flags["embedded-etcd-client-port"] ?? String(DEFAULT_EMBEDDED_ETCD_CLIENT_PORT),
    "--embedded-etcd-client-port",
  );
  const peerPort = parsePort(
    flags["embedded-etcd-peer-port"] ?? String(DEFAULT_EMBEDDED_ETCD_PEER_PORT),
    "--embedded-etcd-peer-port",
  );

  if (embedded && servers !== "") throw new Error("--embedded-etcd and --etcd-servers cannot be used together");
  if (tlsGiven && servers === "")
    throw new Error("--etcd-cafile, --etcd-certfile and --etcd-keyfile need --etcd-servers");
  if (servers !== "") {
    const endpoints = parseEtcdServers(servers);
    return { backend: "etcd", endpoints, ...etcdTls(flags, endpoints), prefix, compactionIntervalMs, requestTimeoutMs };
  }
  if (embedded) {
    if (clientPort === peerPort)
      throw new Error("--embedded-etcd-client-port and --embedded-etcd-peer-port must differ");
    return {
      backend: "embedded-etcd",
      dataDir: join(rootDir, "data"),
      clientPort,
      peerPort,
      prefix,
      compactionIntervalMs,
      requestTimeoutMs,
    };
  }
  const changed = (
    [
      ["etcd-prefix", DEFAULT_ETCD_PREFIX],
      ["etcd-compaction-interval", "5m"],
      ["etcd-request-timeout", "5s"],
      ["embedded-etcd-client-port", String(DEFAULT_EMBEDDED_ETCD_CLIENT_PORT)],
      ["embedded-etcd-peer-port", String(DEFAULT_EMBEDDED_ETCD_PEER_PORT)],
    ] as const
  ).find(([name, def]) => flags[name] !== undefined && flags[name] !== def);
  if (changed) throw new Error(`--${changed[0]} applies to etcd: add --etcd-servers or --embedded-etcd`);
  return undefined;
}
