// Every built-in resource, in kube-apiserver's group priority order (discovery lists groups in
// the order their first resource appears here): core, apiregistration, events, authentication,
// authorization, certificates, rbac, apiextensions, coordination.

import type { ServiceAccountJWT } from "../../auth/service-account-jwt.ts";
import type { ResourceDef } from "../types.ts";
import { apiextensionsResources } from "./apiextensions.ts";
import { apiregistrationResources } from "./apiregistration.ts";
import { certificatesResources } from "./certificates.ts";
import { coordinationResources } from "./coordination.ts";
import { coreResources } from "./core.ts";
import { eventsV1Resources } from "./events.ts";
import { rbacResources } from "./rbac.ts";
import { authenticationResources, authorizationResources, type ReviewDeps } from "./reviews.ts";
import { attachTableAndSchema } from "./table-and-schema.ts";

export interface BuiltinDeps extends ReviewDeps {
  /** Issues service account tokens (serviceaccounts/<name>/token); without it that subresource is 405. */
  serviceAccountTokens?: ServiceAccountJWT;
}

export function builtinResources(deps: BuiltinDeps): ResourceDef[] {
  // The CRD strategy checks new CRDs against the finished list (no CRD may shadow a built-in).
  let natives: ResourceDef[] = [];
  natives = [
    ...coreResources(deps.serviceAccountTokens),
    ...apiregistrationResources(),
    ...eventsV1Resources(),
    ...authenticationResources(deps),
    ...authorizationResources(deps),
    ...certificatesResources(),
    ...rbacResources(),
    ...apiextensionsResources(() => natives),
    ...coordinationResources(),
  ].map(attachTableAndSchema);
  return natives;
}

export { prepareNamespaceFinalize, validateNamespaceFinalize } from "./core.ts";
export { prepareCSRApproval, validateCSRApproval } from "./certificates.ts";
