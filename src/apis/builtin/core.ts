// The core/v1 kinds in scope, one module each under core/.

import type { ServiceAccountJWT } from "../../auth/service-account-jwt.ts";
import type { ResourceDef } from "../types.ts";
import { configMaps } from "./core/configmaps.ts";
import { coreEvents } from "./core/events.ts";
import { limitRanges } from "./core/limit-ranges.ts";
import { namespaces } from "./core/namespaces.ts";
import { resourceQuotas } from "./core/resource-quotas.ts";
import { secrets } from "./core/secrets.ts";
import { serviceAccounts } from "./core/service-accounts.ts";

export {
  NAMESPACE_FINALIZER,
  NAMESPACE_NAME_LABEL,
  prepareNamespaceFinalize,
  validateNamespaceFinalize,
} from "./core/namespaces.ts";

/** `tokens` answers serviceaccounts/<name>/token (without it, that subresource is 405). */
export function coreResources(tokens?: ServiceAccountJWT): ResourceDef[] {
  return [
    configMaps(),
    coreEvents(),
    limitRanges(),
    namespaces(),
    resourceQuotas(),
    secrets(),
    serviceAccounts(tokens),
  ];
}
