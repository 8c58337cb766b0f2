// Reading request bodies: a size limit (kube-apiserver's 3 MiB), JSON or YAML, and the media types
// each verb accepts. Malformed input is a 400 Status, an oversized body a 413.

import { parse as parseYaml } from "yaml";
import { errors } from "../status.ts";

export const MAX_BODY_BYTES = 3 * 1024 * 1024;

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

export async function readBodyText(req: Request): Promise<string> {
  const len = Number(req.headers.get("content-length") ?? "0");
  if (len > MAX_BODY_BYTES) throw errors.requestEntityTooLarge(MAX_BODY_BYTES);
  if (!req.body) return "";
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => {});
      throw errors.requestEntityTooLarge(MAX_BODY_BYTES);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Parse a JSON or YAML document into a value; `what` names it in errors. */
export function parseDocument(text: string, type: string): unknown {
  if (type === "application/yaml" || type === "application/apply-patch+yaml" || type === "text/yaml") {
    try {
      // maxAliasCount guards against "billion laughs" documents (CVE-2019-11253).
      return parseYaml(text, { maxAliasCount: 100, uniqueKeys: false });
    } catch (e) {
      throw errors.badRequest(`error converting YAML to JSON: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw errors.badRequest(`couldn't get version/kind; json parse error: ${(e as Error).message}`);
  }
}

/** Decode an object body for create/update: JSON or YAML; protobuf and others are 415. */
export async function readObjectBody(req: Request): Promise<Record<string, unknown>> {
  const type = mediaType(req.headers.get("content-type")) || "application/json";
  if (type !== "application/json" && type !== "application/yaml" && type !== "text/yaml" && type !== "*/*") {
    throw errors.unsupportedMediaType(type, ["application/json", "application/yaml"]);
  }
  const text = await readBodyText(req);
  if (text.trim() === "") throw errors.badRequest("the body of the request was empty");
  const doc = parseDocument(text, type);
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    throw errors.badRequest("couldn't get version/kind; json parse error: the body is not a JSON object");
  }
  return doc as Record<string, unknown>;
}
