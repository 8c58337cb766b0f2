// The hand-written protobuf codec of the etcd KV calls (src/storage/etcd/etcd-proto.ts), checked
// against an independent implementation: protobufjs reading etcd's own rpc.proto (the copy the
// etcd3 package ships). Requests encoded here must decode there to the same fields, answers
// encoded there must decode here to etcd3's shapes (Buffers, int64 as decimal strings).

import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import protobuf from "protobufjs";
import {
  decodeCompactionResponse,
  decodeRangeResponse,
  decodeTxnResponse,
  encodeCompactionRequest,
  encodeRangeRequest,
  encodeTxnRequest,
} from "../../src/storage/etcd/etcd-proto.ts";

const root = new protobuf.Root().loadSync(join(import.meta.dir, "../../node_modules/etcd3/proto/rpc.proto"), {
  keepCase: true,
});
const type = (name: string) => root.lookupType(`etcdserverpb.${name}`);

/** A request frame as protobufjs reads it (int64 as strings, enums by name, bytes as Buffers, oneof names). */
function read(name: string, frame: Buffer): Record<string, unknown> {
  expect(frame[0]).toBe(0);
  expect(frame.readUInt32BE(1)).toBe(frame.length - 5);
  const t = type(name);
  return t.toObject(t.decode(frame.subarray(5)), {
    longs: String,
    enums: String,
    bytes: Buffer,
    oneofs: true,
  }) as Record<string, unknown>;
}

/** An answer as etcd sends it: protobufjs encodes it, in a gRPC frame. */
function answer(name: string, obj: Record<string, unknown>, trailing?: Buffer): Buffer {
  const t = type(name);
  let msg = Buffer.from(t.encode(t.fromObject(obj)).finish());
  if (trailing) msg = Buffer.concat([msg, trailing]);
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(msg.length, 1);
  return Buffer.concat([prefix, msg]);
}

const b = (s: string) => Buffer.from(s, "utf8");
const header = {
  cluster_id: "14841639068965178418",
  member_id: "10276657743932975437",
  revision: "9007199254740993",
  raft_term: "7",
};

describe("etcd protobuf codec: requests", () => {
  test("RangeRequest with every field the storage sets", () => {
    const got = read(
      "RangeRequest",
      encodeRangeRequest({
        key: b("/a/"),
        range_end: b("/a0"),
        limit: 500,
        revision: "9007199254740993",
        keys_only: true,
        count_only: true,
        serializable: true,
      }),
    );
    expect(got).toEqual({
      key: b("/a/"),
      range_end: b("/a0"),
      limit: "500",
      revision: "9007199254740993",
      keys_only: true,
      count_only: true,
      serializable: true,
    });
    // Defaults are left out, as proto3 does.
    expect(read("RangeRequest", encodeRangeRequest({ key: b("/k"), revision: 0 }))).toEqual({ key: b("/k") });
  });

  test("TxnRequest of a create: compare on create_revision 0 (a oneof member, sent though zero)", () => {
    const value = Buffer.alloc(20_000, 0x61); // a length of 3 varint bytes inside two nested messages
    const got = read(
      "TxnRequest",
      encodeTxnRequest({
        compare: [{ key: b("/k"), target: "Create", result: "Equal", create_revision: 0 }],
        success: [{ request_put: { key: b("/k"), value } }],
        failure: [{ request_range: { key: b("/k") } }],
      }),
    );
    expect(got).toEqual({
      compare: [{ key: b("/k"), target: "Create", create_revision: "0", target_union: "create_revision" }],
      success: [{ request_put: { key: b("/k"), value }, request: "request_put" }],
      failure: [{ request_range: { key: b("/k") }, request: "request_range" }],
    });
  });

  test("TxnRequest of an update and of a delete: several compares, prev_kv, enums, a value compare", () => {
    const value = Buffer.alloc(200, 0x62); // a length of 2 varint bytes
    const got = read(
      "TxnRequest",
      encodeTxnRequest({
        compare: [
          { key: b("/k"), target: "Create", result: "Greater", create_revision: 0 },
          { key: b("/k"), target: "Mod", result: "Equal", mod_revision: 1234567 },
          { key: b("/k"), target: "Value", result: "NotEqual", value: b("x") },
          { key: b("/k"), target: "Version", result: "Less", version: 3, range_end: b("/l") },
        ],
        success: [
          { request_put: { key: b("/k"), value, prev_kv: true } },
          { request_delete_range: { key: b("/k"), range_end: b("/l"), prev_kv: true } },
        ],
        failure: [{ request_range: { key: b("/k"), limit: 1 } }],
      }),
    );
    expect(got).toEqual({
      compare: [
        { key: b("/k"), target: "Create", result: "Greater", create_revision: "0", target_union: "create_revision" },
        { key: b("/k"), target: "Mod", mod_revision: "1234567", target_union: "mod_revision" },
        { key: b("/k"), target: "Value", result: "NotEqual", value: b("x"), target_union: "value" },
        { key: b("/k"), result: "Less", version: "3", range_end: b("/l"), target_union: "version" },
      ],
      success: [
        { request_put: { key: b("/k"), value, prev_kv: true }, request: "request_put" },
        { request_delete_range: { key: b("/k"), range_end: b("/l"), prev_kv: true }, request: "request_delete_range" },
      ],
      failure: [{ request_range: { key: b("/k"), limit: "1" }, request: "request_range" }],
    });
  });

  test("CompactionRequest", () => {
    expect(read("CompactionRequest", encodeCompactionRequest({ revision: 42, physical: true }))).toEqual({
      revision: "42",
      physical: true,
    });
    expect(read("CompactionRequest", encodeCompactionRequest({ revision: "300" }))).toEqual({ revision: "300" });
  });
});

const kv = (key: string, value: string, create: string, mod: string, version: string, lease = "0") => ({
  key: b(key),
  value: b(value),
  create_revision: create,
  mod_revision: mod,
  version,
  lease,
});

describe("etcd protobuf codec: answers", () => {
  test("RangeResponse: header with 64-bit ids, key-values, more, count", () => {
    const got = decodeRangeResponse(
      answer("RangeResponse", {
        header,
        kvs: [kv("/a", "1", "5", "9", "2"), kv("/b", "", "6", "6", "1", "7587870162098487123")],
        more: true,
        count: "12",
      }),
    );
    expect(got).toEqual({
      header,
      kvs: [kv("/a", "1", "5", "9", "2"), kv("/b", "", "6", "6", "1", "7587870162098487123")],
      more: true,
      count: "12",
    });
    expect(Buffer.isBuffer(got.kvs[0]?.key)).toBe(true);
  });

  test("an empty RangeResponse has etcd3's defaults", () => {
    expect(decodeRangeResponse(answer("RangeResponse", {}))).toEqual({
      header: { cluster_id: "0", member_id: "0", revision: "0", raft_term: "0" },
      kvs: [],
      more: false,
      count: "0",
    });
  });

  test("TxnResponse of a failed compare carries the current KeyValue", () => {
    const current = kv("/registry/k", "x".repeat(5000), "17", "23", "3");
    const got = decodeTxnResponse(
      answer("TxnResponse", {
        header,
        succeeded: false,
        responses: [{ response_range: { header: { revision: "9007199254740993" }, kvs: [current], count: "1" } }],
      }),
    );
    expect(got.succeeded).toBe(false);
    expect(got.header).toEqual(header);
    expect(got.responses).toEqual([
      {
        response_range: {
          header: { cluster_id: "0", member_id: "0", revision: "9007199254740993", raft_term: "0" },
          kvs: [current],
          more: false,
          count: "1",
        },
      },
    ] as never);
  });

  test("TxnResponse of a put and of a delete with its previous values", () => {
    const got = decodeTxnResponse(
      answer("TxnResponse", {
        header,
        succeeded: true,
        responses: [
          { response_put: { header: { revision: "30" }, prev_kv: kv("/k", "old", "3", "4", "2") } },
          { response_put: { header: { revision: "30" } } },
          {
            response_delete_range: {
              header: { revision: "30" },
              deleted: "2",
              prev_kvs: [kv("/k", "a", "1", "1", "1"), kv("/l", "b", "2", "2", "1")],
            },
          },
        ],
      }),
    );
    const h = { cluster_id: "0", member_id: "0", revision: "30", raft_term: "0" };
    expect(got).toEqual({
      header,
      succeeded: true,
      responses: [
        { response_put: { header: h, prev_kv: kv("/k", "old", "3", "4", "2") } },
        { response_put: { header: h } },
        {
          response_delete_range: {
            header: h,
            deleted: "2",
            prev_kvs: [kv("/k", "a", "1", "1", "1"), kv("/l", "b", "2", "2", "1")],
          },
        },
      ],
    } as never);
  });

  test("CompactionResponse", () => {
    expect(decodeCompactionResponse(answer("CompactionResponse", { header }))).toEqual({ header });
  });

  test("fields it does not know are skipped, whatever their wire type", () => {
    // field 20 varint, field 21 fixed64, field 22 bytes, field 23 fixed32
    const extra = Buffer.from([
      0xa0, 0x01, 0xff, 0x01, 0xa9, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 0xb2, 0x01, 2, 9, 9, 0xbd, 0x01, 1, 2, 3, 4,
    ]);
    expect(decodeRangeResponse(answer("RangeResponse", { count: "3" }, extra)).count).toBe("3");
  });

  test("negative int64 and the largest uint64 keep their value", () => {
    const got = decodeRangeResponse(
      answer("RangeResponse", {
        header: { cluster_id: "18446744073709551615" },
        kvs: [kv("/k", "v", "1", "1", "1", "-1")],
      }),
    );
    expect(got.header.cluster_id).toBe("18446744073709551615");
    expect(got.kvs[0]?.lease).toBe("-1");
  });

  test("a truncated or compressed answer is refused", () => {
    const whole = answer("RangeResponse", { header, kvs: [kv("/a", "1", "5", "9", "2")] });
    expect(() => decodeRangeResponse(whole.subarray(0, whole.length - 3))).toThrow();
    const compressed = Buffer.from(whole);
    compressed[0] = 1;
    expect(() => decodeRangeResponse(compressed)).toThrow();
    // A length that runs past the message.
    const bad = Buffer.from(whole);
    bad[6] = 0x7f;
    expect(() => decodeRangeResponse(bad)).toThrow();
  });
});
