// core/v1 ServiceAccount: only its metadata is validated; secret references keep just their names,
// and the `token` subresource is served as authentication.k8s.io/v1 TokenRequest, answered by the
// token issuer the composition root gives (token-request.ts).

import type { KObject, RequestContext, ResourceDef } from "../../types.ts";
import { builtin, STORED_VERBS } from "../strategy-helpers.ts";
import { WireDecoder } from "../wire-decode.ts";
import { isObject } from "../../../machinery/object.ts";
import type { ServiceAccountJWT } from "../../../auth/service-account-jwt.ts";
import { tokenSubresource } from "./token-request.ts";

const wire = new WireDecoder("ServiceAccount", "v1");
const ENFORCE_MOUNTABLE_SECRETS = "kubernetes.io/enforce-mountable-secrets";

function decode(obj: KObject): void {
  wire.objectList(obj.secrets, { struct: "ServiceAccount", path: "secrets" }, "v1.ObjectReference");
  wire.objectList(
    obj.imagePullSecrets,
    { struct: "ServiceAccount", path: "imagePullSecrets" },
    "v1.LocalObjectReference",
  );
  wire.bool(obj.automountServiceAccountToken, { struct: "ServiceAccount", path: "automountServiceAccountToken" });
}

/** kube's cleanSecretReferences: a secret reference keeps only its name. */
function cleanSecretReferences(obj: KObject): void {
  if (!Array.isArray(obj.secrets)) return;
  obj.secrets = obj.secrets.map((s) => (isObject(s) && typeof s.name === "string" && s.name ? { name: s.name } : {}));
}

/** The deprecation warning kube 1.32 gives when the annotation is newly set. */
function warnOnEnforceMountableSecrets(obj: KObject, old: KObject | undefined, ctx: RequestContext): void {
  if (old?.metadata.annotations && ENFORCE_MOUNTABLE_SECRETS in old.metadata.annotations) return;
  if (obj.metadata.annotations && ENFORCE_MOUNTABLE_SECRETS in obj.metadata.annotations) {
    ctx.warnings.push(
      `metadata.annotations[${ENFORCE_MOUNTABLE_SECRETS}]: deprecated in v1.32+; prefer separate namespaces to isolate access to mounted secrets`,
    );
  }
}

export function serviceAccounts(tokens?: ServiceAccountJWT): ResourceDef {
  return builtin({
    group: "",
    version: "v1",
    plural: "serviceaccounts",
    singular: "serviceaccount",
    kind: "ServiceAccount",
    shortNames: ["sa"],
    namespaced: true,
    verbs: STORED_VERBS,
    subresources: [tokenSubresource(tokens)],
    strategy: {
      hasStatus: false,
      tracksGeneration: false,
      prepareForCreate(obj, ctx) {
        decode(obj);
        cleanSecretReferences(obj);
        warnOnEnforceMountableSecrets(obj, undefined, ctx);
      },
      prepareForUpdate(obj, old, ctx) {
        decode(obj);
        cleanSecretReferences(obj);
        warnOnEnforceMountableSecrets(obj, old, ctx);
      },
    },
  });
}
