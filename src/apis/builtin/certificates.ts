// certificates.k8s.io/v1 CertificateSigningRequest. The requester's identity is stamped into the
// spec on create; after that the spec never changes. Approval (Approved/Denied conditions) goes
// through /approval, the signed certificate through /status, and the main resource changes
// neither — as kube-apiserver's three CSR strategies split it.

import { field, type FieldError } from "../../machinery/status.ts";
import { deepEqual } from "../object-codec.ts";
import type { KObject, RequestContext, ResourceDef } from "../types.ts";
import { isDNS1123Label, isDNS1123Subdomain } from "../../machinery/validation/names.ts";
import { goBytes } from "./go-values.ts";
import { certificateChainError, certificateRequestError } from "./pem-blocks.ts";
import {
  builtin,
  ensureObject,
  fieldValue,
  type JsonObject,
  keepAllButStatus,
  keepStatus,
  objectAt,
  objects,
  STORED_VERBS,
  statusSubresource,
  str,
  strings,
  SUBRESOURCE_RW_VERBS,
} from "./strategy-helpers.ts";
import { nowTime } from "./timestamps.ts";
import { WireDecoder } from "./wire-decode.ts";

const wire = new WireDecoder("CertificateSigningRequest", "v1");
const LEGACY_UNKNOWN_SIGNER = "kubernetes.io/legacy-unknown";
const VALID_USAGES = [
  "signing",
  "digital signature",
  "content commitment",
  "key encipherment",
  "key agreement",
  "data encipherment",
  "cert sign",
  "crl sign",
  "encipher only",
  "decipher only",
  "any",
  "server auth",
  "client auth",
  "code signing",
  "email protection",
  "s/mime",
  "ipsec end system",
  "ipsec tunnel",
  "ipsec user",
  "timestamping",
  "ocsp signing",
  "microsoft sgc",
  "netscape sgc",
].sort();
const TRUE_ONLY_CONDITIONS = new Set(["Approved", "Denied", "Failed"]);

// ---- decoding ----

/** Type checks; []byte fields are re-encoded and condition times normalised in place. */
function decode(obj: KObject): void {
  const spec = wire.object(
    obj.spec,
    { struct: "CertificateSigningRequest", path: "spec" },
    "v1.CertificateSigningRequestSpec",
  );
  if (spec) {
    const at = (f: string) => ({ struct: "CertificateSigningRequestSpec", path: `spec.${f}` });
    const request = wire.bytes(spec.request, at("request"));
    if (request) spec.request = request.toString("base64");
    wire.string(spec.signerName, at("signerName"));
    wire.int(spec.expirationSeconds, at("expirationSeconds"), 32);
    wire.strings(spec.usages, at("usages"), "v1.KeyUsage");
    wire.strings(spec.groups, at("groups"));
  }
  const status = wire.object(
    obj.status,
    { struct: "CertificateSigningRequest", path: "status" },
    "v1.CertificateSigningRequestStatus",
  );
  if (status) {
    const certificate = wire.bytes(status.certificate, {
      struct: "CertificateSigningRequestStatus",
      path: "status.certificate",
    });
    if (certificate) status.certificate = certificate.toString("base64");
    const conditions = wire.objectList(
      status.conditions,
      { struct: "CertificateSigningRequestStatus", path: "status.conditions" },
      "v1.CertificateSigningRequestCondition",
    );
    for (const c of conditions ?? []) {
      for (const f of ["type", "status", "reason", "message"])
        wire.string(c[f], { struct: "CertificateSigningRequestCondition", path: `status.conditions.${f}` });
      for (const f of ["lastUpdateTime", "lastTransitionTime"])
        if (c[f] !== undefined) c[f] = wire.time(c[f], "time") ?? null;
    }
  }
}

function conditionsOf(obj: KObject): JsonObject[] {
  return objects(objectAt(obj, "status").conditions);
}

/** populateConditionTimestamps: fill missing times, keeping a transition time that still holds. */
function populateConditionTimestamps(obj: KObject, old: KObject): void {
  const now = nowTime();
  const oldConditions = conditionsOf(old);
  for (const c of conditionsOf(obj)) {
    if (!c.lastUpdateTime) c.lastUpdateTime = now;
    if (!c.lastTransitionTime) {
      const same = oldConditions.find((o) => o.type === c.type && o.status === c.status && o.lastTransitionTime);
      c.lastTransitionTime = same ? same.lastTransitionTime : now;
    }
  }
}

/** The /status path may not touch Approved/Denied: existing instances are restored from `old`. */
function preserveConditionInstances(obj: KObject, old: KObject, type: string): void {
  const oldConds = conditionsOf(old).filter((c) => c.type === type);
  const newConds = conditionsOf(obj);
  const newIdx = newConds.flatMap((c, i) => (c.type === type ? [i] : []));
  if (oldConds.length !== newIdx.length) return;
  const target = objectAt(obj, "status").conditions as unknown[];
  newIdx.forEach((idx, i) => {
    target[idx] = structuredClone(oldConds[i]);
  });
}

// ---- validation ----

interface Options {
  allowSettingApprovalConditions: boolean;
  allowSettingCertificate: boolean;
  allowBothApprovedAndDenied: boolean;
  allowLegacySignerName: boolean;
  allowDuplicateConditionTypes: boolean;
  allowEmptyConditionType: boolean;
  allowArbitraryCertificate: boolean;
  allowUnknownUsages: boolean;
  allowDuplicateUsages: boolean;
}

const bytesOf = (v: unknown) => (typeof v === "string" ? new Uint8Array(Buffer.from(v, "base64")) : new Uint8Array());
const certificateOf = (obj: KObject) => bytesOf(objectAt(obj, "status").certificate);

/** getValidationOptions: what an update may keep because the stored object already has it. */
function optionsFor(obj: KObject, old: KObject | undefined): Options {
  const oldConds = old ? conditionsOf(old) : [];
  const oldTypes = oldConds.map((c) => str(c.type));
  const oldUsages = old ? strings(objectAt(old, "spec").usages) : [];
  return {
    allowSettingApprovalConditions: false,
    allowSettingCertificate: false,
    allowBothApprovedAndDenied: oldTypes.includes("Approved") && oldTypes.includes("Denied"),
    allowLegacySignerName: old !== undefined && str(objectAt(old, "spec").signerName) === LEGACY_UNKNOWN_SIGNER,
    allowDuplicateConditionTypes: new Set(oldTypes).size !== oldTypes.length,
    allowEmptyConditionType: oldTypes.includes(""),
    allowArbitraryCertificate:
      old !== undefined &&
      (Buffer.from(certificateOf(obj)).equals(Buffer.from(certificateOf(old))) ||
        certificateChainError(certificateOf(old)) !== ""),
    allowUnknownUsages: oldUsages.some((u) => !VALID_USAGES.includes(u)),
    allowDuplicateUsages: new Set(oldUsages).size !== oldUsages.length,
  };
}

/** ValidateSignerName: `<domain with a dot>/<path of DNS subdomain characters>`. */
export function validateSignerName(path: string, signerName: string): FieldError[] {
  if (!signerName) return [field.required(path)];
  const segments = signerName.split("/");
  if (segments.length !== 2) {
    return [
      field.invalid(
        path,
        signerName,
        "must be a fully qualified domain and path of the form 'example.com/signer-name'",
      ),
    ];
  }
  const [domain, rest] = segments as [string, string];
  const errs: FieldError[] = [];
  if (domain.length > 253) errs.push(field.tooLong(path, domain, 253));
  const labels = domain.split(".");
  for (const label of labels) {
    const labelErrs = isDNS1123Label(label);
    if (labelErrs.length) {
      for (const msg of labelErrs)
        errs.push(field.invalid(path, domain, `validating label ${JSON.stringify(label)}: ${msg}`));
      // The remaining labels would only repeat the same complaint.
      break;
    }
  }
  if (labels.length < 2)
    errs.push(field.invalid(path, domain, "should be a domain with at least two segments separated by dots"));
  const maxPath = 253 + 63 + 1;
  if (rest.length > maxPath) errs.push(field.tooLong(path, rest, maxPath));
  for (const msg of isDNS1123Subdomain(rest)) errs.push(field.invalid(path, rest, msg));
  return errs;
}

function validateConditions(obj: KObject, opts: Options): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  let approved = false;
  let denied = false;
  conditionsOf(obj).forEach((c, i) => {
    const p = `status.conditions[${i}]`;
    const type = str(c.type);
    const status = str(c.status);
    if (!opts.allowEmptyConditionType && !type) errs.push(field.required(`${p}.type`));
    const allowed = TRUE_ONLY_CONDITIONS.has(type) ? ["True"] : ["False", "True", "Unknown"];
    if (!status) errs.push(field.required(`${p}.status`));
    else if (!allowed.includes(status)) errs.push(field.notSupported(`${p}.status`, status, allowed));
    if (!opts.allowBothApprovedAndDenied) {
      if (type === "Approved") {
        approved = true;
        if (denied)
          errs.push(field.invalid(`${p}.type`, type, "Approved and Denied conditions are mutually exclusive"));
      } else if (type === "Denied") {
        denied = true;
        if (approved)
          errs.push(field.invalid(`${p}.type`, type, "Approved and Denied conditions are mutually exclusive"));
      }
    }
    if (!opts.allowDuplicateConditionTypes) {
      if (seen.has(type)) errs.push(field.duplicate(`${p}.type`, type));
      seen.add(type);
    }
  });
  return errs;
}

function validateCSR(obj: KObject, opts: Options): FieldError[] {
  const errs: FieldError[] = [];
  const spec = objectAt(obj, "spec");
  const request = bytesOf(spec.request);
  const requestErr = certificateRequestError(request);
  if (requestErr)
    errs.push({ ...field.invalid("spec.request", spec.request ?? null, requestErr), goValue: goBytes(request) });
  const usages = strings(spec.usages);
  if (usages.length === 0) errs.push(field.required("spec.usages"));
  if (!opts.allowUnknownUsages) {
    usages.forEach((u, i) => {
      if (!VALID_USAGES.includes(u)) errs.push(field.notSupported(`spec.usages[${i}]`, u, VALID_USAGES));
    });
  }
  if (!opts.allowDuplicateUsages) {
    const seen = new Set<string>();
    usages.forEach((u, i) => {
      if (seen.has(u)) errs.push(field.duplicate(`spec.usages[${i}]`, u));
      seen.add(u);
    });
  }
  const signerName = str(spec.signerName);
  if (!opts.allowLegacySignerName && signerName === LEGACY_UNKNOWN_SIGNER) {
    errs.push(
      field.invalid("spec.signerName", signerName, "the legacy signerName is not allowed via this API version"),
    );
  } else {
    errs.push(...validateSignerName("spec.signerName", signerName));
  }
  if (typeof spec.expirationSeconds === "number" && spec.expirationSeconds < 600) {
    errs.push(
      field.invalid(
        "spec.expirationSeconds",
        spec.expirationSeconds,
        "may not specify a duration less than 600 seconds (10 minutes)",
      ),
    );
  }
  errs.push(...validateConditions(obj, opts));
  if (!opts.allowArbitraryCertificate) {
    const certErr = certificateChainError(certificateOf(obj));
    if (certErr) errs.push(field.invalid("status.certificate", "<certificate data>", certErr));
  }
  return errs;
}

function validateCSRUpdate(obj: KObject, old: KObject, opts: Options): FieldError[] {
  const errs = validateCSR(obj, opts);
  const byType = (o: KObject, t: string) => conditionsOf(o).filter((c) => c.type === t);
  for (const t of ["Approved", "Denied", "Failed"]) {
    if (byType(obj, t).length < byType(old, t).length) {
      errs.push(
        field.forbidden("status.conditions", `updates may not remove a condition of type ${JSON.stringify(t)}`),
      );
    }
  }
  if (!opts.allowSettingApprovalConditions) {
    for (const t of ["Approved", "Denied"]) {
      const now = byType(obj, t);
      const before = byType(old, t);
      if (now.length > before.length) {
        errs.push(field.forbidden("status.conditions", `updates may not add a condition of type ${JSON.stringify(t)}`));
      } else if (now.length === before.length && !deepEqual(now, before)) {
        errs.push(
          field.forbidden("status.conditions", `updates may not modify a condition of type ${JSON.stringify(t)}`),
        );
      }
    }
  }
  if (!Buffer.from(certificateOf(obj)).equals(Buffer.from(certificateOf(old)))) {
    if (!opts.allowSettingCertificate)
      errs.push(field.forbidden("status.certificate", "updates may not set certificate content"));
    else if (certificateOf(old).length > 0)
      errs.push(field.forbidden("status.certificate", "updates may not modify existing certificate content"));
  }
  return errs;
}

// ---- the three write paths ----

/** Create: the requester is whoever sent the request, and nothing starts approved. */
function prepareForCreate(obj: KObject, ctx: RequestContext): void {
  decode(obj);
  const spec = ensureObject(obj, "spec");
  for (const f of ["username", "uid", "groups", "extra"]) delete spec[f];
  const user = ctx.user;
  if (user.username) spec.username = user.username;
  if (user.uid) spec.uid = user.uid;
  if (user.groups.length) spec.groups = [...user.groups];
  if (user.extra && Object.keys(user.extra).length) spec.extra = structuredClone(user.extra);
  obj.status = {};
}

/** The approval subresource: only status.conditions come from the request. */
export function prepareCSRApproval(obj: KObject, old: KObject): void {
  decode(obj);
  populateConditionTimestamps(obj, old);
  const conditions = objectAt(obj, "status").conditions;
  obj.spec = structuredClone(old.spec);
  const status: JsonObject = structuredClone(objectAt(old, "status"));
  if (conditions === undefined) delete status.conditions;
  else status.conditions = conditions;
  obj.status = status;
}

export function validateCSRApproval(obj: KObject, old: KObject): FieldError[] {
  return validateCSRUpdate(obj, old, { ...optionsFor(obj, old), allowSettingApprovalConditions: true });
}

export function certificatesResources(): ResourceDef[] {
  return [
    builtin({
      group: "certificates.k8s.io",
      version: "v1",
      plural: "certificatesigningrequests",
      singular: "certificatesigningrequest",
      kind: "CertificateSigningRequest",
      shortNames: ["csr"],
      namespaced: false,
      verbs: STORED_VERBS,
      subresources: [
        { name: "approval", verbs: SUBRESOURCE_RW_VERBS, prepare: prepareCSRApproval, validate: validateCSRApproval },
        statusSubresource(),
      ],
      selectableFields: { "spec.signerName": (o) => fieldValue(o, "spec", "signerName") },
      strategy: {
        hasStatus: true,
        tracksGeneration: false,
        // kube does not care what CSRs are called beyond the path-segment rule.
        nameValidation: "path-segment",
        prepareForCreate,
        prepareForUpdate(obj, old) {
          decode(obj);
          obj.spec = structuredClone(old.spec);
          keepStatus(obj, old);
        },
        prepareForStatusUpdate(obj, old) {
          decode(obj);
          keepAllButStatus(obj, old);
          preserveConditionInstances(obj, old, "Approved");
          preserveConditionInstances(obj, old, "Denied");
          populateConditionTimestamps(obj, old);
        },
        validate: (obj) => validateCSR(obj, optionsFor(obj, undefined)),
        validateUpdate: (obj, old) => validateCSRUpdate(obj, old, optionsFor(obj, old)),
        validateStatusUpdate: (obj, old) =>
          validateCSRUpdate(obj, old, { ...optionsFor(obj, old), allowSettingCertificate: true }),
      },
    }),
  ];
}
