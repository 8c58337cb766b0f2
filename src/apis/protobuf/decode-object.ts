// Decoding `application/vnd.kubernetes.protobuf` request bodies: the "k8s\0" prefix, the
// runtime.Unknown envelope { TypeMeta typeMeta = 1; bytes raw = 2; string contentEncoding = 3;
// string contentType = 4; }, then the object in `raw` into the JSON object a JSON client would
// have sent. Errors are worded as kube-apiserver's 400 answers for the same bodies.

import { checkDecodedValue } from "../../machinery/document-limits.ts";
import { errors, type StatusError } from "../../machinery/status.ts";
import { decodeMessage } from "./decode-message.ts";
import { isBuiltinProtobufKind, isCustomResourceProtobufKind, protobufMessageFor } from "./messages/index.ts";
import { ProtoError, WIRE_BYTES, WireReader } from "./wire-reader.ts";

export const PROTOBUF_MEDIA_TYPE = "application/vnd.kubernetes.protobuf";

/** "k8s\0" */
const PREFIX = [0x6b, 0x38, 0x73, 0x00];

export interface ExpectedKind {
  group: string;
  version: string;
  kind: string;
}

interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

function apiVersionString(gv: { group: string; version: string }): string {
  return gv.group ? `${gv.group}/${gv.version}` : gv.version;
}

/** Whether kcp can decode this built-in kind from protobuf. */
export function protobufSupported(expected: ExpectedKind): boolean {
  return isBuiltinProtobufKind(apiVersionString(expected), expected.kind);
}

/**
 * Whether a custom resource of this kind takes protobuf: only Kubernetes' own kinds served through
 * CRDs (a `deployments.apps` CRD), whose typed clients send protobuf. Other CRs answer 415, as kube's do.
 */
export function protobufSupportedForCustomResource(expected: ExpectedKind): boolean {
  return isCustomResourceProtobufKind(apiVersionString(expected), expected.kind);
}

/** kube's summarizeData: the start of the body, as text when it looks like JSON, else in hex. */
function summarizeData(data: Uint8Array, max = 30): string {
  if (data.length === 0) return "<empty>";
  const part = data.subarray(0, Math.min(max, data.length));
  const more = data.length > max ? " ..." : "";
  if (data[0] === 0x7b) return new TextDecoder().decode(part) + more;
  return Buffer.from(part).toString("hex") + more;
}

function unrecognized(expected: ExpectedKind, why: string, body: Uint8Array): StatusError {
  return errors.badRequest(
    `the object provided is unrecognized (must be of type ${expected.kind}): ${why} (${summarizeData(body)})`,
  );
}

/** schema.ParseGroupVersion: "" or "v1" (legacy group) or "group/version"; anything else is no group version. */
function parseApiVersion(apiVersion: string): { group: string; version: string } {
  if (apiVersion === "" || apiVersion === "/") return { group: "", version: "" };
  const parts = apiVersion.split("/");
  if (parts.length === 1) return { group: "", version: apiVersion };
  if (parts.length === 2) return { group: parts[0] as string, version: parts[1] as string };
  return { group: "", version: "" };
}

interface Envelope {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
}

const utf8 = new TextDecoder("utf-8");

function readStringFields(bytes: Uint8Array, names: Record<number, string>): Record<string, string> {
  const out: Record<string, string> = {};
  const r = new WireReader(bytes);
  while (!r.done) {
    const { field, wireType } = r.tag();
    if (field <= 0) throw new ProtoError(`proto: TypeMeta: illegal tag ${field} (wire type ${wireType})`);
    const name = names[field];
    if (name === undefined) {
      r.skip(wireType);
      continue;
    }
    if (wireType !== WIRE_BYTES) throw new ProtoError(`proto: wrong wireType = ${wireType} for field ${name}`);
    out[name] = utf8.decode(r.bytes());
  }
  return out;
}

function readEnvelope(data: Uint8Array): Envelope {
  const r = new WireReader(data);
  let typeMeta: Record<string, string> = {};
  let raw: Uint8Array = new Uint8Array(0);
  while (!r.done) {
    const { field, wireType } = r.tag();
    if (field <= 0) throw new ProtoError(`proto: Unknown: illegal tag ${field} (wire type ${wireType})`);
    if (field === 1 || field === 2 || field === 3 || field === 4) {
      if (wireType !== WIRE_BYTES)
        throw new ProtoError(
          `proto: wrong wireType = ${wireType} for field ${["", "TypeMeta", "Raw", "ContentEncoding", "ContentType"][field]}`,
        );
      const b = r.bytes();
      if (field === 1) typeMeta = { ...typeMeta, ...readStringFields(b, { 1: "apiVersion", 2: "kind" }) };
      else if (field === 2) raw = b;
    } else r.skip(wireType);
  }
  return { apiVersion: typeMeta.apiVersion ?? "", kind: typeMeta.kind ?? "", raw };
}

/**
 * Decode a protobuf request body of the `expected` kind into its JSON object (with apiVersion and
 * kind). The envelope's TypeMeta may leave out what the URL implies; what it names must match.
 * A DeleteOptions body may name any group version.
 */
export function decodeProtobufObject(
  body: Uint8Array,
  expected: ExpectedKind,
  maxDecodedBytes?: number,
): Record<string, unknown> {
  if (body.length === 0) throw unrecognized(expected, "empty data", body);
  if (body.length < PREFIX.length || PREFIX.some((b, i) => body[i] !== b)) {
    throw unrecognized(
      expected,
      `provided data does not appear to be a protobuf message, expected prefix [${PREFIX.join(" ")}]`,
      body,
    );
  }
  if (body.length === PREFIX.length) throw unrecognized(expected, "empty body", body);

  let env: Envelope;
  try {
    env = readEnvelope(body.subarray(PREFIX.length));
  } catch (e) {
    if (e instanceof ProtoError) throw unrecognized(expected, e.message, body);
    throw e;
  }

  // copyKindDefaults: what the envelope leaves out comes from the expected kind.
  const gv = parseApiVersion(env.apiVersion);
  const actual: GroupVersionKind = { group: gv.group, version: gv.version, kind: env.kind || expected.kind };
  if (actual.version === "") {
    actual.group = expected.group;
    actual.version = expected.version;
  }
  const actualApiVersion = apiVersionString(actual);
  const cannot = (why: string) =>
    errors.badRequest(`${actual.kind} in version "${actual.version}" cannot be handled as a ${expected.kind}: ${why}`);

  const desc = protobufMessageFor(actualApiVersion, actual.kind);
  if (!desc)
    throw cannot(
      `no kind "${actual.kind}" is registered for version "${actualApiVersion}" in scheme "pkg/api/legacyscheme/scheme.go:30"`,
    );
  if (actual.kind !== expected.kind)
    throw cannot(`the kind in the data (${actual.kind}) does not match the expected kind (${expected.kind})`);
  if (expected.kind !== "DeleteOptions" && (actual.group !== expected.group || actual.version !== expected.version)) {
    throw errors.badRequest(
      `the API version in the data (${actualApiVersion}) does not match the expected API version (${apiVersionString(expected)})`,
    );
  }

  let decoded: unknown;
  try {
    decoded = decodeMessage(desc, env.raw);
  } catch (e) {
    if (e instanceof ProtoError) throw cannot(e.message);
    throw e;
  }
  // Defaults make a message larger decoded than sent (an empty ServicePort: 2 bytes in, a port
  // and a targetPort out): the decoded object is held to the bound of a decoded YAML document.
  checkDecodedValue(decoded, maxDecodedBytes);
  return { apiVersion: actualApiVersion, kind: actual.kind, ...(decoded as Record<string, unknown>) };
}
