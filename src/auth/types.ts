// Authentication and authorization contracts. The review APIs (tokenreviews, *subjectaccessreviews,
// selfsubjectreviews) answer from these same objects that guard every request.

/** Who is asking (kube's user.Info): the authenticated user, its groups and extra attributes. */
export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export interface Authenticator {
  /**
   * The user a bearer token belongs to, or null when the token is unknown. May answer
   * asynchronously (service account tokens are checked against storage): always await it.
   */
  authenticateToken(token: string): UserInfo | null | Promise<UserInfo | null>;
}

/** What a request wants to do, as kube-apiserver's authorizer.Attributes. */
export interface AuthorizationAttributes {
  user: UserInfo;
  cluster: string;
  verb: string;
  /** Resource requests. */
  resourceRequest: boolean;
  group?: string;
  version?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  /** Non-resource requests, e.g. /healthz. */
  path?: string;
}

export interface AuthorizationDecision {
  allowed: boolean;
  denied?: boolean;
  reason: string;
  /** Something went wrong while deciding (e.g. a binding's role is missing): SubjectAccessReview's status.evaluationError. */
  evaluationError?: string;
}

export interface Authorizer {
  authorize(attrs: AuthorizationAttributes): AuthorizationDecision;
  /** The rules a user has in a namespace, for selfsubjectrulesreviews. */
  rulesFor(
    user: UserInfo,
    cluster: string,
    namespace: string,
  ): {
    resourceRules: { verbs: string[]; apiGroups?: string[]; resources?: string[]; resourceNames?: string[] }[];
    nonResourceRules: { verbs: string[]; nonResourceURLs?: string[] }[];
    incomplete: boolean;
    /** What went wrong while gathering the rules: SelfSubjectRulesReview's status.evaluationError. */
    evaluationError?: string;
  };
}
