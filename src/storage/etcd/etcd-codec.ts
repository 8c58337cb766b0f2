// Translation between the storage interface's keys and records and etcd's: storage keys live in
// etcd under an optional prefix, as UTF-8 bytes; revisions come back as decimal strings.

import type { IEvent, IKeyValue } from "etcd3";
import type { KeyValue, WatchEvent } from "../interface.ts";

export class EtcdKeyCodec {
  /** The etcd prefix as bytes. */
  private readonly prefixBytes: Buffer;

  /**
   * `prefix` is prepended to every storage key inside etcd. Storage keys start with "/", so the
   * backend's whole key space is the range of keys starting with `${prefix}/`.
   */
  constructor(readonly prefix: string) {
    if (prefix.endsWith("/")) throw new Error(`etcd key prefix must not end with "/": ${prefix}`);
    this.prefixBytes = Buffer.from(prefix, "utf8");
  }

  encode(key: string): Buffer {
    return Buffer.from(this.prefix + key, "utf8");
  }

  /** A key to write: it must lie in the watched key space, or watchers would never see it. */
  encodeForWrite(key: string): Buffer {
    if (!key.startsWith("/")) throw new RangeError(`storage keys start with "/": ${JSON.stringify(key)}`);
    return this.encode(key);
  }

  decode(key: Buffer): string {
    return key.subarray(this.prefixBytes.length).toString("utf8");
  }

  /** [start, end) of every etcd key whose storage key starts with `prefix` ("" = all). */
  range(prefix: string): { key: Buffer; end: Buffer } {
    const start = this.encode(prefix === "" ? "/" : prefix);
    return { key: start, end: prefixEnd(start) };
  }

  /** The whole key space of this backend. */
  keyspace(): { key: Buffer; end: Buffer } {
    return this.range("/");
  }

  keyValue(kv: IKeyValue): KeyValue {
    return {
      key: this.decode(kv.key),
      value: kv.value.toString("utf8"),
      modRevision: Number(kv.mod_revision),
      createRevision: Number(kv.create_revision),
    };
  }

  /**
   * An etcd event (watched with prev_kv) as a storage event. A DELETE carries the deleted value
   * and its create revision, as the interface requires, from the previous key-value.
   */
  event(ev: IEvent): WatchEvent {
    const prev = ev.prev_kv ?? null;
    const revision = Number(ev.kv.mod_revision);
    const key = this.decode(ev.kv.key);
    const prevRevision = prev ? Number(prev.mod_revision) : 0;
    const prevValue = prev ? prev.value.toString("utf8") : undefined;
    if (ev.type === "Delete") {
      return {
        type: "DELETE",
        key,
        value: prevValue ?? "",
        ...(prevValue !== undefined ? { prevValue } : {}),
        revision,
        createRevision: prev ? Number(prev.create_revision) : 0,
        prevRevision,
      };
    }
    return {
      type: "PUT",
      key,
      value: ev.kv.value.toString("utf8"),
      ...(prevValue !== undefined ? { prevValue } : {}),
      revision,
      createRevision: Number(ev.kv.create_revision),
      prevRevision,
    };
  }
}

/** The smallest byte string greater than every string that starts with `prefix`. */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if ((end[i] as number) < 0xff) {
      end[i] = (end[i] as number) + 1;
      return end.subarray(0, i + 1);
    }
  }
  // All 0xff (or empty): every key is greater or equal; etcd spells "no end" as "\0".
  return Buffer.from([0]);
}

/** The smallest byte string greater than `key` (the start of a range strictly after it). */
export function keyAfter(key: Buffer): Buffer {
  return Buffer.concat([key, Buffer.from([0])]);
}
