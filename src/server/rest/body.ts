// Reading request bodies: a size limit (kube-apiserver's 3 MiB, more for a larger --max-object-size:
// src/machinery/request-limits.ts), JSON, YAML or (built-in kinds)
// protobuf, and the media types each verb accepts. Malformed input is a 400 Status, an oversized
// body a 413, an unaccepted media type a 415.

import { recordDuplicateFields, rememberDuplicateFields } from "../../apis/crd/duplicate-fields.ts";
import type { ResourceDef } from "../../apis/types.ts";
import {
  decodeProtobufObject,
  type ExpectedKind,
  PROTOBUF_MEDIA_TYPE,
  protobufSupported,
  protobufSupportedForCustomResource,
} from "../../apis/protobuf/decode-object.ts";
import { checkJsonDepth } from "../../machinery/document-limits.ts";
import { MIN_MAX_BODY_BYTES, type RequestLimits, requestLimitsFor } from "../../machinery/request-limits.ts";
import { parseYaml } from "../../machinery/yaml-document.ts";
import { errors } from "../../machinery/status.ts";
import { capabilitiesOf } from "../../apis/capabilities.ts";
import {
  jsonIsLarge,
  OFFLOAD_MIN_PROTOBUF_BYTES,
  OFFLOAD_MIN_YAML_BYTES,
  parseJsonBody,
  runTask,
} from "../../apis/offload/offload.ts";

/** The body limit of the default object size (kube-apiserver's). */
export const MAX_BODY_BYTES = MIN_MAX_BODY_BYTES;

export const PATCH_TYPES = {
  json: "application/json-patch+json",
  merge: "application/merge-patch+json",
  strategic: "application/strategic-merge-patch+json",
  apply: "application/apply-patch+yaml",
} as const;

/** The media type of a Content-Type header, lower-cased and without parameters. */
export function mediaType(contentType: string | null): string {
  if (!contentType) return "";
  return contentType.split(";")[0].trim().toLowerCase();
}

/** The Content-Length of a request when it is a valid one within the limit, else null (413 above it). */
function declaredLength(req: Request, maxBytes: number): number | null {
  const header = req.headers.get("content-length");
  const len = Number(header ?? "0");
  if (len > maxBytes) throw errors.requestEntityTooLarge(maxBytes);
  return header !== null && Number.isSafeInteger(len) && len >= 0 ? len : null;
}

/** UTF-8 as Go reads it: a leading byte order mark is kept (so JSON with one is refused, as kube does). */
const UTF8 = new TextDecoder("utf-8", { ignoreBOM: true });

export async function readBodyText(req: Request, maxBytes: number = MAX_BODY_BYTES): Promise<string> {
  return UTF8.decode(await readBodyBytes(req, maxBytes));
}

/** Requests whose body was read to its end: their connection may serve the next request. */
const fullyRead = new WeakSet<Request>();

export function bodyFullyRead(req: Request): boolean {
  return fullyRead.has(req);
}

export async function readBodyBytes(req: Request, maxBytes: number = MAX_BODY_BYTES): Promise<Uint8Array> {
  const bytes = await readAllBytes(req, maxBytes);
  fullyRead.add(req);
  return bytes;
}

async function readAllBytes(req: Request, maxBytes: number): Promise<Uint8Array> {
  const len = declaredLength(req, maxBytes);
  // With a Content-Length within the limit, one read: no stream reader, no chunks (and not
  // even the `req.body` stream object, which Bun makes on first access).
  if (len !== null) {
    if (len === 0) return new Uint8Array(0);
    const bytes = await req.bytes();
    if (bytes.byteLength > maxBytes) throw errors.requestEntityTooLarge(maxBytes);
    return bytes;
  }
  if (!req.body) return new Uint8Array(0);
  // Otherwise (chunked) read it as a stream, stopping at the limit.
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw errors.requestEntityTooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return chunks.length === 1 ? (chunks[0] as Uint8Array) : new Uint8Array(Buffer.concat(chunks));
}

export { MAX_YAML_ALIASES, parseYaml } from "../../machinery/yaml-document.ts";

const JSON_ERROR = "couldn't get version/kind; json parse error";

/** Parse a JSON or YAML document into a value (a YAML one within `maxDecodedBytes` as JSON). */
export function parseDocument(text: string, type: string, maxDecodedBytes?: number): unknown {
  if (type === "application/yaml" || type === "application/apply-patch+yaml" || type === "text/yaml") {
    return parseYaml(text, "error converting YAML to JSON", maxDecodedBytes);
  }
  checkJsonDepth(text);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw errors.badRequest(`${JSON_ERROR}: ${(e as Error).message}`);
  }
}

/** parseDocument of a JSON document, in the offload worker when it is large (the same value and errors). */
export async function parseJsonDocument(text: string): Promise<unknown> {
  return jsonIsLarge(text) ? (await parseJsonBody(text, JSON_ERROR)).value : parseDocument(text, "application/json");
}

/** The kind a body sent to a resource (or one of its subresources) must be. */
export function bodyKind(def: ResourceDef, subresource?: string): ExpectedKind {
  const sub = subresource === undefined ? undefined : def.subresources.find((s) => s.name === subresource);
  return { group: sub?.group ?? def.group, version: sub?.version ?? def.version, kind: sub?.kind ?? def.kind };
}

/**
 * Decode an object body for create/update of `def` (or its `subresource`): JSON or YAML, and for
 * built-in kinds also protobuf (kubectl ≥ 1.32 and client-go ≥ 0.32 typed clients send it).
 * Custom resources, like kube's, take JSON and YAML only — except CRDs for Kubernetes' own kinds
 * (Deployment, Pod, Service, Job, ...), which typed clients address with protobuf bodies; those
 * are decoded to JSON and then go the CRD path (validation, pruning, defaulting) like any CR.
 */
export async function readObjectBody(
  req: Request,
  def: ResourceDef,
  subresource?: string,
  limits: RequestLimits = requestLimitsFor(),
): Promise<Record<string, unknown>> {
  const type = mediaType(req.headers.get("content-type")) || "application/json";
  const expected = bodyKind(def, subresource);
  const protobuf = capabilitiesOf(def).protobuf
    ? protobufSupported(expected)
    : protobufSupportedForCustomResource(expected);
  if (type === PROTOBUF_MEDIA_TYPE && protobuf) {
    const bytes = await readBodyBytes(req, limits.maxBodyBytes);
    // A large body is decoded in the offload worker, with the same bounds and errors.
    if (bytes.byteLength > OFFLOAD_MIN_PROTOBUF_BYTES)
      return runTask(
        "decodeProtobuf",
        { body: bytes, expected: { ...expected }, maxDecodedBytes: limits.maxDecodedBytes },
        true,
      );
    return decodeProtobufObject(bytes, expected, limits.maxDecodedBytes);
  }
  if (type !== "application/json" && type !== "application/yaml" && type !== "text/yaml" && type !== "*/*") {
    throw errors.unsupportedMediaType(
      type,
      protobuf
        ? ["application/json", "application/yaml", PROTOBUF_MEDIA_TYPE]
        : ["application/json", "application/yaml"],
    );
  }
  const text = await readBodyText(req, limits.maxBodyBytes);
  if (text.trim() === "") throw errors.badRequest("the body of the request was empty");
  // A large YAML body is parsed in the offload worker (the yaml package takes about 1 ms per KiB),
  // and so is JSON of many members (JSON.parse of 40,000 keys holds the loop 50-150 ms).
  const yaml = type === "application/yaml" || type === "text/yaml";
  let doc: unknown;
  let duplicates: string[] | undefined;
  if (yaml && text.length > OFFLOAD_MIN_YAML_BYTES)
    doc = await runTask(
      "parseYaml",
      { text, errorPrefix: "error converting YAML to JSON", maxDecodedBytes: limits.maxDecodedBytes },
      true,
    );
  else if (!yaml && jsonIsLarge(text)) ({ value: doc, duplicates } = await parseJsonBody(text, JSON_ERROR));
  else doc = parseDocument(text, type, limits.maxDecodedBytes);
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    throw errors.badRequest(`${JSON_ERROR}: the body is not a JSON object`);
  }
  // JSON.parse keeps the last of duplicated keys silently; the kind's strategy reports them (fieldValidation).
  if (duplicates) rememberDuplicateFields(doc, duplicates);
  else if (!yaml) recordDuplicateFields(doc, text);
  return doc as Record<string, unknown>;
}

/**
 * Reads and drops what is left of a body no handler read, for at most `graceMs`; true once it is
 * read to its end. Bun then serves the next request on the connection; a body still arriving after
 * the grace (a client trickling it) or one a handler stopped reading halfway cannot be, and its
 * connection is closed instead.
 */
export async function discardBody(req: Request, graceMs: number): Promise<boolean> {
  if (req.bodyUsed || !req.body) return req.body === null;
  const reader = req.body.getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<"expired">((resolve) => {
    timer = setTimeout(() => resolve("expired"), graceMs);
  });
  try {
    for (;;) {
      const step = await Promise.race([reader.read(), expired]);
      if (step === "expired") {
        reader.cancel().catch(() => {});
        return false;
      }
      if (step.done) {
        fullyRead.add(req);
        return true;
      }
    }
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
