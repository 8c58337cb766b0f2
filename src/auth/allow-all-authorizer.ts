// Until RBAC is enforced (its own issue), every authenticated user may do everything.

import type { AuthorizationAttributes, AuthorizationDecision, Authorizer, UserInfo } from "./types.ts";

export class AllowAllAuthorizer implements Authorizer {
  authorize(_attrs: AuthorizationAttributes): AuthorizationDecision {
    return { allowed: true, reason: "" };
  }

  rulesFor(_user: UserInfo, _cluster: string, _namespace: string) {
    return {
      resourceRules: [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }],
      nonResourceRules: [{ verbs: ["*"], nonResourceURLs: ["*"] }],
      incomplete: false,
    };
  }
}
