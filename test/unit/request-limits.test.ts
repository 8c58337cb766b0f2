// The request limits that follow --max-object-size: kube's at the default, raised with a larger
// object size (a body carries twice the object, as kube's 3 MiB carries etcd's 1.5 MiB), never
// below kube's body limit for a smaller one.
import { expect, test } from "bun:test";
import { DEFAULT_MAX_OBJECT_BYTES, requestLimitsFor } from "../../src/machinery/request-limits.ts";
import { MAX_BODY_BYTES } from "../../src/server/rest/body.ts";
import { MAX_DECODED_BYTES } from "../../src/machinery/document-limits.ts";
import { DEFAULT_MAX_VALUE_BYTES } from "../../src/storage/value-size.ts";

const MiB = 1024 * 1024;

test("the default object size gives kube's body limit and the documented decoded and copy limits", () => {
  expect(DEFAULT_MAX_VALUE_BYTES).toBe(DEFAULT_MAX_OBJECT_BYTES);
  expect(requestLimitsFor()).toEqual({
    maxBodyBytes: MAX_BODY_BYTES,
    maxDecodedBytes: MAX_DECODED_BYTES,
    maxCopyBytes: 1.5 * MiB,
  });
});

test("a larger object size raises every limit with it", () => {
  expect(requestLimitsFor(4 * MiB)).toEqual({
    maxBodyBytes: 8 * MiB,
    maxDecodedBytes: 16 * MiB,
    maxCopyBytes: 4 * MiB,
  });
});

test("a smaller object size lowers the copy limit only", () => {
  expect(requestLimitsFor(512 * 1024)).toEqual({
    maxBodyBytes: 3 * MiB,
    maxDecodedBytes: 6 * MiB,
    maxCopyBytes: 512 * 1024,
  });
});
