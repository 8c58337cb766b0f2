// authorization.k8s.io/v1: the four access-review kinds and their attribute types.

import {
  arrayOf,
  bool,
  kindType,
  mapOf,
  objectType,
  optStr,
  optStruct,
  type Schema,
  str,
  strings,
  struct,
  structItems,
} from "../../schema-builders.ts";

const V1 = "io.k8s.api.authorization.v1.";
const META = "io.k8s.apimachinery.pkg.apis.meta.v1.";

const reviewStatus = () =>
  struct(
    `${V1}SubjectAccessReviewStatus`,
    "Status is filled in by the server and indicates whether the request is allowed or not",
  );

const resourceAttributes = objectType(
  "ResourceAttributes includes the authorization attributes available for resource requests to the Authorizer interface",
  {
    fieldSelector: optStruct(
      `${V1}FieldSelectorAttributes`,
      "fieldSelector describes the limitation on access based on field.  It can only limit access, not broaden it.\n\nThis field  is alpha-level. To use this field, you must enable the `AuthorizeWithSelectors` feature gate (disabled by default).",
    ),
    group: optStr('Group is the API Group of the Resource.  "*" means all.'),
    labelSelector: optStruct(
      `${V1}LabelSelectorAttributes`,
      "labelSelector describes the limitation on access based on labels.  It can only limit access, not broaden it.\n\nThis field  is alpha-level. To use this field, you must enable the `AuthorizeWithSelectors` feature gate (disabled by default).",
    ),
    name: optStr(
      'Name is the name of the resource being requested for a "get" or deleted for a "delete". "" (empty) means all.',
    ),
    namespace: optStr(
      'Namespace is the namespace of the action being requested.  Currently, there is no distinction between no namespace and all namespaces "" (empty) is defaulted for LocalSubjectAccessReviews "" (empty) is empty for cluster-scoped resources "" (empty) means "all" for namespace scoped resources from a SubjectAccessReview or SelfSubjectAccessReview',
    ),
    resource: optStr('Resource is one of the existing resource types.  "*" means all.'),
    subresource: optStr('Subresource is one of the existing resource types.  "" means none.'),
    verb: optStr(
      'Verb is a kubernetes resource API verb, like: get, list, watch, create, update, delete, proxy.  "*" means all.',
    ),
    version: optStr('Version is the API Version of the Resource.  "*" means all.'),
  },
);

const selectorAttributes = (what: "field" | "label", requirement: string) =>
  objectType(
    `${what === "field" ? "FieldSelectorAttributes" : "LabelSelectorAttributes"} indicates a ${what} limited access. Webhook authors are encouraged to * ensure rawSelector and requirements are not both set * consider the requirements field if set * not try to parse or consider the rawSelector field if set. This is to avoid another CVE-2022-2880 (i.e. getting different systems to agree on how exactly to parse a query is not something we want), see https://www.oxeye.io/resources/golang-parameter-smuggling-attack for more details. For the *SubjectAccessReview endpoints of the kube-apiserver: * If rawSelector is empty and requirements are empty, the request is not limited. * If rawSelector is present and requirements are empty, the rawSelector will be parsed and limited if the parsing succeeds. * If rawSelector is empty and requirements are present, the requirements should be honored * If rawSelector is present and requirements are present, the request is invalid.`,
    {
      rawSelector: optStr(
        `rawSelector is the serialization of a ${what} selector that would be included in a query parameter. Webhook implementations are encouraged to ignore rawSelector. The kube-apiserver's *SubjectAccessReview will parse the rawSelector as long as the requirements are not present.`,
      ),
      requirements: arrayOf(
        structItems(requirement),
        `requirements is the parsed interpretation of a ${what} selector. All requirements must be met for a resource instance to match the selector. Webhook implementations should handle requirements, but how to handle them is up to the webhook. Since requirements can only limit the request, it is safe to authorize as unlimited request if the requirements are not understood.`,
        { "x-kubernetes-list-type": "atomic" },
      ),
    },
  );

export const authorizationSchemas: Record<string, Schema> = {
  [`${V1}FieldSelectorAttributes`]: selectorAttributes("field", `${META}FieldSelectorRequirement`),
  [`${META}FieldSelectorRequirement`]: objectType(
    "FieldSelectorRequirement is a selector that contains values, a key, and an operator that relates the key and values.",
    {
      key: str("key is the field selector key that the requirement applies to."),
      operator: str(
        "operator represents a key's relationship to a set of values. Valid operators are In, NotIn, Exists, DoesNotExist. The list of operators may grow in the future.",
      ),
      values: strings(
        "values is an array of string values. If the operator is In or NotIn, the values array must be non-empty. If the operator is Exists or DoesNotExist, the values array must be empty.",
      ),
    },
    { required: ["key", "operator"] },
  ),
  [`${V1}LabelSelectorAttributes`]: selectorAttributes("label", `${META}LabelSelectorRequirement`),
  [`${V1}LocalSubjectAccessReview`]: kindType(
    "LocalSubjectAccessReview checks whether or not a user or group can perform an action in a given namespace. Having a namespace scoped resource makes it much easier to grant namespace scoped policy that includes permissions checking.",
    {
      spec: struct(
        `${V1}SubjectAccessReviewSpec`,
        "Spec holds information about the request being evaluated.  spec.namespace must be equal to the namespace you made the request against.  If empty, it is defaulted.",
      ),
      status: reviewStatus(),
    },
    { required: ["spec"] },
  ),
  [`${V1}NonResourceAttributes`]: objectType(
    "NonResourceAttributes includes the authorization attributes available for non-resource requests to the Authorizer interface",
    { path: optStr("Path is the URL path of the request"), verb: optStr("Verb is the standard HTTP verb") },
  ),
  [`${V1}NonResourceRule`]: objectType(
    "NonResourceRule holds information that describes a rule for the non-resource",
    {
      nonResourceURLs: strings(
        'NonResourceURLs is a set of partial urls that a user should have access to.  *s are allowed, but only as the full, final step in the path.  "*" means all.',
      ),
      verbs: strings(
        'Verb is a list of kubernetes non-resource API verbs, like: get, post, put, delete, patch, head, options.  "*" means all.',
      ),
    },
    { required: ["verbs"] },
  ),
  [`${V1}ResourceAttributes`]: resourceAttributes,
  [`${V1}ResourceRule`]: objectType(
    "ResourceRule is the list of actions the subject is allowed to perform on resources. The list ordering isn't significant, may contain duplicates, and possibly be incomplete.",
    {
      apiGroups: strings(
        'APIGroups is the name of the APIGroup that contains the resources.  If multiple API groups are specified, any action requested against one of the enumerated resources in any API group will be allowed.  "*" means all.',
      ),
      resourceNames: strings(
        'ResourceNames is an optional white list of names that the rule applies to.  An empty set means that everything is allowed.  "*" means all.',
      ),
      resources: strings(
        'Resources is a list of resources this rule applies to.  "*" means all in the specified apiGroups.\n "*/foo" represents the subresource \'foo\' for all resources in the specified apiGroups.',
      ),
      verbs: strings(
        'Verb is a list of kubernetes resource API verbs, like: get, list, watch, create, update, delete, proxy.  "*" means all.',
      ),
    },
    { required: ["verbs"] },
  ),
  [`${V1}SelfSubjectAccessReview`]: kindType(
    'SelfSubjectAccessReview checks whether or the current user can perform an action.  Not filling in a spec.namespace means "in all namespaces".  Self is a special case, because users should always be able to check whether they can perform an action',
    {
      spec: struct(
        `${V1}SelfSubjectAccessReviewSpec`,
        "Spec holds information about the request being evaluated.  user and groups must be empty",
      ),
      status: reviewStatus(),
    },
    { required: ["spec"] },
  ),
  [`${V1}SelfSubjectAccessReviewSpec`]: objectType(
    "SelfSubjectAccessReviewSpec is a description of the access request.  Exactly one of ResourceAuthorizationAttributes and NonResourceAuthorizationAttributes must be set",
    {
      nonResourceAttributes: optStruct(
        `${V1}NonResourceAttributes`,
        "NonResourceAttributes describes information for a non-resource access request",
      ),
      resourceAttributes: optStruct(
        `${V1}ResourceAttributes`,
        "ResourceAuthorizationAttributes describes information for a resource access request",
      ),
    },
  ),
  [`${V1}SelfSubjectRulesReview`]: kindType(
    "SelfSubjectRulesReview enumerates the set of actions the current user can perform within a namespace. The returned list of actions may be incomplete depending on the server's authorization mode, and any errors experienced during the evaluation. SelfSubjectRulesReview should be used by UIs to show/hide actions, or to quickly let an end user reason about their permissions. It should NOT Be used by external systems to drive authorization decisions as this raises confused deputy, cache lifetime/revocation, and correctness concerns. SubjectAccessReview, and LocalAccessReview are the correct way to defer authorization decisions to the API server.",
    {
      spec: struct(`${V1}SelfSubjectRulesReviewSpec`, "Spec holds information about the request being evaluated."),
      status: struct(
        `${V1}SubjectRulesReviewStatus`,
        "Status is filled in by the server and indicates the set of actions a user can perform.",
      ),
    },
    { required: ["spec"] },
  ),
  [`${V1}SelfSubjectRulesReviewSpec`]: objectType(
    "SelfSubjectRulesReviewSpec defines the specification for SelfSubjectRulesReview.",
    {
      namespace: optStr("Namespace to evaluate rules for. Required."),
    },
  ),
  [`${V1}SubjectAccessReview`]: kindType(
    "SubjectAccessReview checks whether or not a user or group can perform an action.",
    {
      spec: struct(`${V1}SubjectAccessReviewSpec`, "Spec holds information about the request being evaluated"),
      status: reviewStatus(),
    },
    { required: ["spec"] },
  ),
  [`${V1}SubjectAccessReviewSpec`]: objectType(
    "SubjectAccessReviewSpec is a description of the access request.  Exactly one of ResourceAuthorizationAttributes and NonResourceAuthorizationAttributes must be set",
    {
      extra: mapOf(
        { type: "array", items: { type: "string", default: "" } },
        "Extra corresponds to the user.Info.GetExtra() method from the authenticator.  Since that is input to the authorizer it needs a reflection here.",
      ),
      groups: strings("Groups is the groups you're testing for."),
      nonResourceAttributes: optStruct(
        `${V1}NonResourceAttributes`,
        "NonResourceAttributes describes information for a non-resource access request",
      ),
      resourceAttributes: optStruct(
        `${V1}ResourceAttributes`,
        "ResourceAuthorizationAttributes describes information for a resource access request",
      ),
      uid: optStr("UID information about the requesting user."),
      user: optStr(
        'User is the user you\'re testing for. If you specify "User" but not "Groups", then is it interpreted as "What if User were not a member of any groups',
      ),
    },
  ),
  [`${V1}SubjectAccessReviewStatus`]: objectType(
    "SubjectAccessReviewStatus",
    {
      allowed: {
        ...bool("Allowed is required. True if the action would be allowed, false otherwise."),
        default: false,
      },
      denied: bool(
        "Denied is optional. True if the action would be denied, otherwise false. If both allowed is false and denied is false, then the authorizer has no opinion on whether to authorize the action. Denied may not be true if Allowed is true.",
      ),
      evaluationError: optStr(
        "EvaluationError is an indication that some error occurred during the authorization check. It is entirely possible to get an error and be able to continue determine authorization status in spite of it. For instance, RBAC can be missing a role, but enough roles are still present and bound to reason about the request.",
      ),
      reason: optStr("Reason is optional.  It indicates why a request was allowed or denied."),
    },
    { required: ["allowed"] },
  ),
  [`${V1}SubjectRulesReviewStatus`]: objectType(
    "SubjectRulesReviewStatus contains the result of a rules check. This check can be incomplete depending on the set of authorizers the server is configured with and any errors experienced during evaluation. Because authorization rules are additive, if a rule appears in a list it's safe to assume the subject has that permission, even if that list is incomplete.",
    {
      evaluationError: optStr(
        "EvaluationError can appear in combination with Rules. It indicates an error occurred during rule evaluation, such as an authorizer that doesn't support rule evaluation, and that ResourceRules and/or NonResourceRules may be incomplete.",
      ),
      incomplete: {
        ...bool(
          "Incomplete is true when the rules returned by this call are incomplete. This is most commonly encountered when an authorizer, such as an external authorizer, doesn't support rules evaluation.",
        ),
        default: false,
      },
      nonResourceRules: arrayOf(
        structItems(`${V1}NonResourceRule`),
        "NonResourceRules is the list of actions the subject is allowed to perform on non-resources. The list ordering isn't significant, may contain duplicates, and possibly be incomplete.",
        { "x-kubernetes-list-type": "atomic" },
      ),
      resourceRules: arrayOf(
        structItems(`${V1}ResourceRule`),
        "ResourceRules is the list of actions the subject is allowed to perform on resources. The list ordering isn't significant, may contain duplicates, and possibly be incomplete.",
        { "x-kubernetes-list-type": "atomic" },
      ),
    },
    { required: ["resourceRules", "nonResourceRules", "incomplete"] },
  ),
};
