// The review APIs: create-only questions answered from the same authenticator and authorizer that
// guard every request, and never stored. `kubectl auth can-i` (SelfSubjectAccessReview),
// `auth can-i --list` (SelfSubjectRulesReview) and `auth whoami` (SelfSubjectReview) use them,
// as do webhook-style callers (TokenReview, SubjectAccessReview).

import type { AuthorizationAttributes, Authenticator, Authorizer } from "../../auth/types.ts";
import { errors, field, type FieldError } from "../../machinery/status.ts";
import type { KObject, RequestContext, ResourceDef, UserInfo } from "../types.ts";
import { builtin, CREATE_ONLY, isZero, type JsonObject, objectAt, str, strings } from "./strategy-helpers.ts";
import { nowTime } from "./timestamps.ts";
import { WireDecoder } from "./wire-decode.ts";
import { isObject, setOwn } from "../../machinery/object.ts";

export interface ReviewDeps {
  authenticator: Authenticator;
  authorizer: Authorizer;
}

const AUTHN = "authentication.k8s.io";
const AUTHZ = "authorization.k8s.io";
const RESOURCE_ATTRIBUTES = ["namespace", "verb", "group", "version", "resource", "subresource", "name"] as const;

// ---- shared pieces ----

/** The metadata a review answers with: what was sent, as Go re-encodes an ObjectMeta. */
function echoMetadata(obj: KObject): KObject["metadata"] {
  const meta: KObject["metadata"] = { ...(isObject(obj.metadata) ? obj.metadata : {}) };
  if (meta.creationTimestamp === undefined) (meta as Record<string, unknown>).creationTimestamp = null;
  return meta;
}

/** Go's omitempty: drop empty strings, lists and maps from a flat object. */
function omitEmpty(o: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(o)) if (!isZero(v) || typeof v === "boolean") setOwn(out, k, v);
  return out;
}

function userInfoJSON(u: UserInfo): JsonObject {
  return omitEmpty({ username: u.username, uid: u.uid ?? "", groups: u.groups ?? [], extra: u.extra ?? {} });
}

/** A metadata that must be empty (SubjectAccessReview kinds): nothing but zero values and managedFields. */
function metadataIsEmpty(obj: KObject, ignore: string[]): boolean {
  return Object.entries(obj.metadata ?? {}).every(([k, v]) => k === "managedFields" || ignore.includes(k) || isZero(v));
}

function invalid(kind: string, group: string, errs: FieldError[]): void {
  if (errs.length) throw errors.invalid(kind, group, "", errs);
}

// ---- access reviews ----

function decodeAccessSpec(wire: WireDecoder, obj: KObject, withSubject: boolean): void {
  const spec = wire.object(
    obj.spec,
    { struct: wire.kind, path: "spec" },
    `v1.${withSubject ? "SubjectAccessReviewSpec" : "SelfSubjectAccessReviewSpec"}`,
  );
  if (!spec) return;
  const ra = wire.object(
    spec.resourceAttributes,
    { struct: "SubjectAccessReviewSpec", path: "spec.resourceAttributes" },
    "v1.ResourceAttributes",
  );
  if (ra) {
    for (const f of RESOURCE_ATTRIBUTES)
      wire.string(ra[f], { struct: "ResourceAttributes", path: `spec.resourceAttributes.${f}` });
    wire.object(
      ra.fieldSelector,
      { struct: "ResourceAttributes", path: "spec.resourceAttributes.fieldSelector" },
      "v1.FieldSelectorAttributes",
    );
    wire.object(
      ra.labelSelector,
      { struct: "ResourceAttributes", path: "spec.resourceAttributes.labelSelector" },
      "v1.LabelSelectorAttributes",
    );
  }
  const nra = wire.object(
    spec.nonResourceAttributes,
    { struct: "SubjectAccessReviewSpec", path: "spec.nonResourceAttributes" },
    "v1.NonResourceAttributes",
  );
  if (nra)
    for (const f of ["path", "verb"])
      wire.string(nra[f], { struct: "NonResourceAttributes", path: `spec.nonResourceAttributes.${f}` });
  if (withSubject) {
    const at = (f: string) => ({ struct: "SubjectAccessReviewSpec", path: `spec.${f}` });
    wire.string(spec.user, at("user"));
    wire.string(spec.uid, at("uid"));
    wire.strings(spec.groups, at("groups"));
    wire.object(spec.extra, at("extra"), "map[string]v1.ExtraValue");
  }
}

/** The fieldSelector/labelSelector attributes: a raw selector or requirements, not both, not neither. */
function validateSelectorAttributes(sel: unknown, path: string): FieldError[] {
  if (!isObject(sel)) return [];
  const raw = str(sel.rawSelector);
  const reqs = Array.isArray(sel.requirements) ? sel.requirements : [];
  const errs: FieldError[] = [];
  if (raw && reqs.length)
    errs.push(field.invalid(`${path}.rawSelector`, raw, "may not specified at the same time as requirements"));
  if (!raw && !reqs.length)
    errs.push(
      field.required(`${path}.requirements`, `when ${path} is specified, requirements or rawSelector is required`),
    );
  return errs;
}

function validateAccessSpec(spec: JsonObject, requireSubject: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const hasRA = isObject(spec.resourceAttributes);
  const hasNRA = isObject(spec.nonResourceAttributes);
  if (hasRA && hasNRA)
    errs.push(
      field.invalid(
        "spec.nonResourceAttributes",
        spec.nonResourceAttributes,
        "cannot be specified in combination with resourceAttributes",
      ),
    );
  if (!hasRA && !hasNRA)
    errs.push(
      field.invalid(
        "spec.resourceAttributes",
        null,
        "exactly one of nonResourceAttributes or resourceAttributes must be specified",
      ),
    );
  if (requireSubject && !str(spec.user) && strings(spec.groups).length === 0) {
    errs.push(field.invalid("spec.user", str(spec.user), "at least one of user or group must be specified"));
  }
  if (hasRA) {
    const ra = objectAt(spec, "resourceAttributes");
    errs.push(...validateSelectorAttributes(ra.fieldSelector, "spec.resourceAttributes.fieldSelector"));
    errs.push(...validateSelectorAttributes(ra.labelSelector, "spec.resourceAttributes.labelSelector"));
  }
  return errs;
}

/** ResourceAttributesFrom / NonResourceAttributesFrom: an empty version means every version. */
function attributesFor(spec: JsonObject, user: UserInfo, cluster: string): AuthorizationAttributes {
  if (isObject(spec.resourceAttributes)) {
    const ra = spec.resourceAttributes;
    return {
      user,
      cluster,
      resourceRequest: true,
      verb: str(ra.verb),
      namespace: str(ra.namespace),
      group: str(ra.group),
      version: str(ra.version) || "*",
      resource: str(ra.resource),
      subresource: str(ra.subresource),
      name: str(ra.name),
    };
  }
  const nra = objectAt(spec, "nonResourceAttributes");
  return { user, cluster, resourceRequest: false, verb: str(nra.verb), path: str(nra.path) };
}

/** The spec as Go writes it back: empty attributes omitted. */
function echoAccessSpec(spec: JsonObject): JsonObject {
  const out: JsonObject = { ...spec };
  if (isObject(spec.resourceAttributes)) out.resourceAttributes = omitEmpty(spec.resourceAttributes);
  if (isObject(spec.nonResourceAttributes)) out.nonResourceAttributes = omitEmpty(spec.nonResourceAttributes);
  for (const f of ["user", "uid", "groups", "extra"]) if (isZero(out[f])) delete out[f];
  return out;
}

function accessStatus(deps: ReviewDeps, attrs: AuthorizationAttributes): JsonObject {
  const d = deps.authorizer.authorize(attrs);
  const status: JsonObject = { allowed: d.allowed };
  if (d.denied) status.denied = true;
  if (d.reason) status.reason = d.reason;
  if (d.evaluationError) status.evaluationError = d.evaluationError;
  return status;
}

function extraOf(v: unknown): Record<string, string[]> | undefined {
  if (!isObject(v)) return undefined;
  const out: Record<string, string[]> = {};
  for (const [k, vals] of Object.entries(v)) setOwn(out, k, strings(vals));
  return out;
}

function subjectAccessReview(deps: ReviewDeps, obj: KObject, ctx: RequestContext): KObject {
  const wire = new WireDecoder("SubjectAccessReview", "v1");
  decodeAccessSpec(wire, obj, true);
  const spec = objectAt(obj, "spec");
  const errs = validateAccessSpec(spec, true);
  if (!metadataIsEmpty(obj, [])) errs.push(field.invalid("metadata", obj.metadata, "must be empty"));
  invalid("SubjectAccessReview", AUTHZ, errs);
  const user: UserInfo = {
    username: str(spec.user),
    uid: str(spec.uid) || undefined,
    groups: strings(spec.groups),
    extra: extraOf(spec.extra),
  };
  return {
    kind: "SubjectAccessReview",
    apiVersion: `${AUTHZ}/v1`,
    metadata: echoMetadata(obj),
    spec: echoAccessSpec(spec),
    status: accessStatus(deps, attributesFor(spec, user, ctx.cluster)),
  };
}

function localSubjectAccessReview(deps: ReviewDeps, obj: KObject, ctx: RequestContext): KObject {
  const wire = new WireDecoder("LocalSubjectAccessReview", "v1");
  const namespace = ctx.namespace ?? "";
  if (!namespace) throw errors.badRequest(`namespace is required on this type: ${namespace}`);
  const meta = isObject(obj.metadata) ? obj.metadata : {};
  if (meta.namespace && meta.namespace !== namespace) {
    throw errors.badRequest("the namespace of the provided object does not match the namespace sent on the request");
  }
  obj.metadata = { ...meta, namespace };
  decodeAccessSpec(wire, obj, true);
  const spec = objectAt(obj, "spec");
  const errs = validateAccessSpec(spec, true);
  if (!metadataIsEmpty(obj, ["namespace"]))
    errs.push(field.invalid("metadata", obj.metadata, "must be empty except for namespace"));
  if (isObject(spec.resourceAttributes) && str(spec.resourceAttributes.namespace) !== namespace) {
    errs.push(
      field.invalid(
        "spec.resourceAttributes.namespace",
        str(spec.resourceAttributes.namespace),
        "must match metadata.namespace",
      ),
    );
  }
  if (isObject(spec.nonResourceAttributes)) {
    errs.push(
      field.invalid("spec.nonResourceAttributes", spec.nonResourceAttributes, "disallowed on this kind of request"),
    );
  }
  invalid("LocalSubjectAccessReview", AUTHZ, errs);
  const user: UserInfo = {
    username: str(spec.user),
    uid: str(spec.uid) || undefined,
    groups: strings(spec.groups),
    extra: extraOf(spec.extra),
  };
  return {
    kind: "LocalSubjectAccessReview",
    apiVersion: `${AUTHZ}/v1`,
    metadata: echoMetadata(obj),
    spec: echoAccessSpec(spec),
    status: accessStatus(deps, attributesFor(spec, user, ctx.cluster)),
  };
}

function selfSubjectAccessReview(deps: ReviewDeps, obj: KObject, ctx: RequestContext): KObject {
  const wire = new WireDecoder("SelfSubjectAccessReview", "v1");
  decodeAccessSpec(wire, obj, false);
  const spec = objectAt(obj, "spec");
  const errs = validateAccessSpec(spec, false);
  if (!metadataIsEmpty(obj, [])) errs.push(field.invalid("metadata", obj.metadata, "must be empty"));
  invalid("SelfSubjectAccessReview", AUTHZ, errs);
  return {
    kind: "SelfSubjectAccessReview",
    apiVersion: `${AUTHZ}/v1`,
    metadata: echoMetadata(obj),
    spec: echoAccessSpec(spec),
    status: accessStatus(deps, attributesFor(spec, ctx.user, ctx.cluster)),
  };
}

function selfSubjectRulesReview(deps: ReviewDeps, obj: KObject, ctx: RequestContext): KObject {
  const wire = new WireDecoder("SelfSubjectRulesReview", "v1");
  const spec =
    wire.object(obj.spec, { struct: "SelfSubjectRulesReview", path: "spec" }, "v1.SelfSubjectRulesReviewSpec") ?? {};
  const namespace = wire.string(spec.namespace, { struct: "SelfSubjectRulesReviewSpec", path: "spec.namespace" }) ?? "";
  if (!namespace) throw errors.badRequest("no namespace on request");
  const rules = deps.authorizer.rulesFor(ctx.user, ctx.cluster, namespace);
  // kube answers with a fresh object: neither the request's metadata nor its spec come back.
  return {
    kind: "SelfSubjectRulesReview",
    apiVersion: `${AUTHZ}/v1`,
    metadata: { creationTimestamp: null } as unknown as KObject["metadata"],
    spec: {},
    status: {
      resourceRules: rules.resourceRules.map((r) => ({
        verbs: r.verbs,
        ...omitEmpty({ apiGroups: r.apiGroups, resources: r.resources, resourceNames: r.resourceNames }),
      })),
      nonResourceRules: rules.nonResourceRules.map((r) => ({
        verbs: r.verbs,
        ...omitEmpty({ nonResourceURLs: r.nonResourceURLs }),
      })),
      incomplete: rules.incomplete,
      ...(rules.evaluationError ? { evaluationError: rules.evaluationError } : {}),
    },
  };
}

// ---- authentication reviews ----

async function tokenReview(deps: ReviewDeps, obj: KObject): Promise<KObject> {
  const wire = new WireDecoder("TokenReview", "v1");
  const spec = wire.object(obj.spec, { struct: "TokenReview", path: "spec" }, "v1.TokenReviewSpec") ?? {};
  const token = wire.string(spec.token, { struct: "TokenReviewSpec", path: "spec.token" }) ?? "";
  const audiences = wire.strings(spec.audiences, { struct: "TokenReviewSpec", path: "spec.audiences" }) ?? [];
  if (!token) throw errors.badRequest("token is required for TokenReview in authentication");
  const user = await deps.authenticator.authenticateToken(token);
  const status: JsonObject = {};
  if (user) {
    status.authenticated = true;
    status.user = userInfoJSON(user);
    // Our tokens are good for any audience, so the intersection is what was asked for.
    if (audiences.length) status.audiences = audiences;
  } else {
    status.user = {};
    status.error = "invalid bearer token";
  }
  return { kind: "TokenReview", apiVersion: `${AUTHN}/v1`, metadata: echoMetadata(obj), spec: omitEmpty(spec), status };
}

function selfSubjectReview(ctx: RequestContext): KObject {
  return {
    kind: "SelfSubjectReview",
    apiVersion: `${AUTHN}/v1`,
    metadata: { creationTimestamp: nowTime() },
    status: { userInfo: userInfoJSON(ctx.user) },
  };
}

// ---- definitions ----

function review(
  group: string,
  plural: string,
  kind: string,
  namespaced: boolean,
  handleCreate: (obj: KObject, ctx: RequestContext) => KObject | Promise<KObject>,
): ResourceDef {
  return builtin({
    group,
    version: "v1",
    plural,
    singular: kind.toLowerCase(),
    kind,
    namespaced,
    verbs: CREATE_ONLY,
    mode: "virtual",
    handleCreate,
    strategy: { hasStatus: false, tracksGeneration: false },
  });
}

export function authenticationResources(deps: ReviewDeps): ResourceDef[] {
  return [
    review(AUTHN, "selfsubjectreviews", "SelfSubjectReview", false, (_obj, ctx) => selfSubjectReview(ctx)),
    review(AUTHN, "tokenreviews", "TokenReview", false, (obj) => tokenReview(deps, obj)),
  ];
}

export function authorizationResources(deps: ReviewDeps): ResourceDef[] {
  return [
    review(AUTHZ, "localsubjectaccessreviews", "LocalSubjectAccessReview", true, (obj, ctx) =>
      localSubjectAccessReview(deps, obj, ctx),
    ),
    review(AUTHZ, "selfsubjectaccessreviews", "SelfSubjectAccessReview", false, (obj, ctx) =>
      selfSubjectAccessReview(deps, obj, ctx),
    ),
    review(AUTHZ, "selfsubjectrulesreviews", "SelfSubjectRulesReview", false, (obj, ctx) =>
      selfSubjectRulesReview(deps, obj, ctx),
    ),
    review(AUTHZ, "subjectaccessreviews", "SubjectAccessReview", false, (obj, ctx) =>
      subjectAccessReview(deps, obj, ctx),
    ),
  ];
}
