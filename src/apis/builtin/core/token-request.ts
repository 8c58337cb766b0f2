// POST serviceaccounts/<name>/token: an authentication.k8s.io/v1 TokenRequest in, the same
// TokenRequest with status.token (a signed JWT) and status.expirationTimestamp out, as kube's
// TokenREST does. `kubectl create token` sends it (as protobuf from 1.32 on). Nothing is stored.
// The subresource answers the create itself (SubresourceDef.create); the token issuer is given by
// the composition root, and without one the subresource has no handler (405).

import { randomUUID } from "node:crypto";
import type { ServiceAccountJWT } from "../../../auth/service-account-jwt.ts";
import { errors, field, type FieldError } from "../../../machinery/status.ts";
import type { KObject, SubresourceCreate, SubresourceDef } from "../../types.ts";
import { formatGoTime } from "../timestamps.ts";
import { WireDecoder } from "../wire-decode.ts";

const GROUP = "authentication.k8s.io";
const API_VERSION = `${GROUP}/v1`;
const KIND = "TokenRequest";
const DEFAULT_EXPIRATION_SECONDS = 3600;
const MIN_EXPIRATION_SECONDS = 600;
const MAX_EXPIRATION_SECONDS = 2 ** 32;

interface BoundObjectRef {
  kind: string;
  apiVersion: string;
  name: string;
  uid: string;
}

interface DecodedRequest {
  metadata: Record<string, unknown>;
  audiences: string[];
  expirationSeconds: number;
  boundObjectRef?: BoundObjectRef;
}

function decodeRequest(body: Record<string, unknown>): DecodedRequest {
  if (body.apiVersion !== undefined && body.apiVersion !== "" && body.apiVersion !== API_VERSION) {
    throw errors.badRequest(
      `the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${API_VERSION})`,
    );
  }
  if (body.kind !== undefined && body.kind !== "" && body.kind !== KIND) {
    throw errors.badRequest(
      `${String(body.kind)} in version "v1" cannot be handled as a ${KIND}: the kind in the data does not match the expected kind`,
    );
  }
  const wire = new WireDecoder(KIND, "v1");
  const metadata = wire.object(body.metadata, { struct: KIND, path: "metadata" }, "v1.ObjectMeta") ?? {};
  for (const f of ["name", "namespace"]) wire.string(metadata[f], { struct: KIND, path: `metadata.${f}` });
  const spec = wire.object(body.spec, { struct: KIND, path: "spec" }, "v1.TokenRequestSpec") ?? {};
  const at = (f: string) => ({ struct: "TokenRequestSpec", path: `spec.${f}` });
  const audiences = wire.strings(spec.audiences, at("audiences")) ?? [];
  const expirationSeconds = wire.int(spec.expirationSeconds, at("expirationSeconds"), 64) ?? DEFAULT_EXPIRATION_SECONDS;
  const ref = wire.object(spec.boundObjectRef, at("boundObjectRef"), "v1.BoundObjectReference");
  let boundObjectRef: BoundObjectRef | undefined;
  if (ref) {
    const s = (f: string) =>
      wire.string(ref[f], { struct: "BoundObjectReference", path: `spec.boundObjectRef.${f}` }) ?? "";
    boundObjectRef = { kind: s("kind"), apiVersion: s("apiVersion"), name: s("name"), uid: s("uid") };
  }
  return { metadata, audiences, expirationSeconds, boundObjectRef };
}

/** The bound object's reference as Go writes it back (empty fields left out). */
function refJSON(ref: BoundObjectRef): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(ref)) if (v) out[k] = v;
  return out;
}

/** The bound secret's identity; pods and nodes are not served by kcp, so none can be found. */
async function boundSecret(
  req: SubresourceCreate,
  saName: string,
  namespace: string,
  ref: BoundObjectRef,
): Promise<{ name: string; uid: string }> {
  const slash = ref.apiVersion.indexOf("/");
  const group = slash < 0 ? "" : ref.apiVersion.slice(0, slash);
  const version = slash < 0 ? ref.apiVersion : ref.apiVersion.slice(slash + 1);
  if (group === "" && (ref.kind === "Pod" || ref.kind === "Node")) {
    throw errors.notFound({ group: "", resource: ref.kind === "Pod" ? "pods" : "nodes" }, ref.name);
  }
  if (group !== "" || ref.kind !== "Secret") {
    throw errors.badRequest(
      `cannot bind token for serviceaccount "${saName}" to object of kind "${group}/${version}, Kind=${ref.kind}"`,
    );
  }
  const secretsDef = req.lookup("", "v1", "secrets");
  if (!secretsDef) throw errors.notFound({ group: "", resource: "secrets" }, ref.name);
  const secret = await req.get(secretsDef, namespace, ref.name);
  const uid = String(secret.metadata.uid ?? "");
  if (ref.uid && ref.uid !== uid) {
    throw errors.conflict(
      { group: "", resource: "Secret" },
      ref.name,
      `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
    );
  }
  return { name: ref.name, uid };
}

/** The token subresource of serviceaccounts, answered by `tokens` (none: not served, 405). */
export function tokenSubresource(tokens?: ServiceAccountJWT): SubresourceDef {
  const sub: SubresourceDef = { name: "token", kind: KIND, group: GROUP, version: "v1", verbs: ["create"] };
  if (tokens) sub.create = (req) => issueToken(tokens, req);
  return sub;
}

async function issueToken(tokens: ServiceAccountJWT, req: SubresourceCreate): Promise<KObject> {
  const { name, namespace, ctx } = req;
  if (!namespace) throw errors.badRequest("namespace is required");
  const request = decodeRequest(req.body);

  // The name and namespace in the body, if any, must be those of the URL.
  const meta = request.metadata;
  if (typeof meta.name === "string" && meta.name !== "" && meta.name !== name) {
    throw errors.invalid(KIND, GROUP, name, [
      field.invalid("metadata.name", meta.name, "must match the service account name if specified"),
    ]);
  }
  if (typeof meta.namespace === "string" && meta.namespace !== "" && meta.namespace !== namespace) {
    throw errors.invalid(KIND, GROUP, name, [
      field.invalid("metadata.namespace", meta.namespace, "must match the service account namespace if specified"),
    ]);
  }

  const sa: KObject = await req.get(req.def, namespace, name);
  const audiences = request.audiences.length > 0 ? request.audiences : [...tokens.apiAudiences];
  const now = tokens.nowSeconds();

  const errs: FieldError[] = [];
  if (request.expirationSeconds < MIN_EXPIRATION_SECONDS) {
    errs.push(
      field.invalid(
        "spec.expirationSeconds",
        request.expirationSeconds,
        "may not specify a duration less than 10 minutes",
      ),
    );
  }
  if (request.expirationSeconds > MAX_EXPIRATION_SECONDS) {
    errs.push(
      field.invalid(
        "spec.expirationSeconds",
        request.expirationSeconds,
        "may not specify a duration larger than 2^32 seconds",
      ),
    );
  }
  if (errs.length) throw errors.invalid(KIND, GROUP, "", errs);

  const secret = request.boundObjectRef ? await boundSecret(req, name, namespace, request.boundObjectRef) : undefined;
  const expiresAt = now + request.expirationSeconds;
  const token = tokens.sign({
    cluster: ctx.cluster,
    namespace,
    name,
    uid: String(sa.metadata.uid ?? ""),
    secret,
    audiences,
    issuedAt: now,
    expiresAt,
    id: randomUUID(),
  });

  const metadata: Record<string, unknown> = {
    ...meta,
    name,
    namespace,
    creationTimestamp: formatGoTime({ seconds: now, nanos: 0 }, "time"),
  };
  return {
    kind: KIND,
    apiVersion: API_VERSION,
    metadata,
    spec: {
      audiences,
      expirationSeconds: request.expirationSeconds,
      boundObjectRef: request.boundObjectRef ? refJSON(request.boundObjectRef) : null,
    },
    status: { token, expirationTimestamp: formatGoTime({ seconds: expiresAt, nanos: 0 }, "time") },
  };
}
