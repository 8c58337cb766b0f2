// Parsing one YAML request document within the decoded-size and depth bounds
// (document-limits.ts). Here rather than beside the REST handlers so that the offload worker
// (src/apis/offload) can parse large bodies off the event loop with the same words.

import { checkDecodedValue, jsonDepthExcess, MAX_YAML_FLOW_DEPTH, yamlFlowDepthExceeds } from "./document-limits.ts";
import { errors } from "./status.ts";
import { yamlModule } from "../util/lazy-modules.ts";

/** The yaml package's alias limit: guards against "billion laughs" documents (CVE-2019-11253). */
export const MAX_YAML_ALIASES = 100;

/**
 * Parse a YAML document within the decoded-size and depth bounds (src/machinery/document-limits.ts):
 * maxAliasCount bounds the number of aliases, checkDecodedValue what they expand to.
 */
export function parseYaml(text: string, errorPrefix: string, maxDecodedBytes?: number): unknown {
  // JSON is YAML, and what clients send most (kubectl's apply bodies): JSON.parse reads it to the
  // same value some hundred times faster than the yaml package. Anything else is parsed as YAML.
  const json = asJson(text);
  if (json !== undefined) return json;
  if (yamlFlowDepthExceeds(text)) {
    throw errors.badRequest(`${errorPrefix}: yaml: exceeded max depth of ${MAX_YAML_FLOW_DEPTH}`);
  }
  let doc: unknown;
  try {
    doc = yamlModule().parse(text, { maxAliasCount: MAX_YAML_ALIASES, uniqueKeys: false });
  } catch (e) {
    throw errors.badRequest(`${errorPrefix}: ${(e as Error).message.split("\n")[0]}`);
  }
  checkDecodedValue(doc, maxDecodedBytes);
  return doc;
}

/** The value of `text` when it is a JSON object within the depth limit, else undefined. */
function asJson(text: string): unknown {
  // Deeper than YAML may nest: the YAML path refuses it in its own words.
  if (!/^\s*\{/.test(text) || jsonDepthExcess(text, MAX_YAML_FLOW_DEPTH) >= 0) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
