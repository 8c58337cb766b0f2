// rbac.authorization.k8s.io/v1: Role, ClusterRole, RoleBinding, ClusterRoleBinding and their parts.
// Rules and subjects are atomic lists, as kube declares them.

import {
  arrayOf,
  ATOMIC_MAP,
  kindType,
  listType,
  objectType,
  optStr,
  optStruct,
  type Schema,
  str,
  strings,
  struct,
  structItems,
} from "../../schema-builders.ts";

const V1 = "io.k8s.api.rbac.v1.";
const META = "io.k8s.apimachinery.pkg.apis.meta.v1.";

export const ROLE_BINDING_ROLE_REF_DESCRIPTION =
  "RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error. This field is immutable.";
export const CLUSTER_ROLE_BINDING_ROLE_REF_DESCRIPTION =
  "RoleRef can only reference a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error. This field is immutable.";

const rules = (description: string) =>
  arrayOf(structItems(`${V1}PolicyRule`), description, { "x-kubernetes-list-type": "atomic" });
const subjects = () =>
  arrayOf(structItems(`${V1}Subject`), "Subjects holds references to the objects the role applies to.", {
    "x-kubernetes-list-type": "atomic",
  });

const policyRule = objectType(
  "PolicyRule holds information that describes a policy rule, but does not contain information about who the rule applies to or which namespace the rule applies to.",
  {
    apiGroups: strings(
      'APIGroups is the name of the APIGroup that contains the resources.  If multiple API groups are specified, any action requested against one of the enumerated resources in any API group will be allowed. "" represents the core API group and "*" represents all API groups.',
    ),
    nonResourceURLs: strings(
      'NonResourceURLs is a set of partial urls that a user should have access to.  *s are allowed, but only as the full, final step in the path Since non-resource URLs are not namespaced, this field is only applicable for ClusterRoles referenced from a ClusterRoleBinding. Rules can either apply to API resources (such as "pods" or "secrets") or non-resource URL paths (such as "/api"),  but not both.',
    ),
    resourceNames: strings(
      "ResourceNames is an optional white list of names that the rule applies to.  An empty set means that everything is allowed.",
    ),
    resources: strings("Resources is a list of resources this rule applies to. '*' represents all resources."),
    verbs: strings(
      "Verbs is a list of Verbs that apply to ALL the ResourceKinds contained in this rule. '*' represents all verbs.",
    ),
  },
  { required: ["verbs"] },
);

const roleRef = objectType(
  "RoleRef contains information that points to the role being used",
  {
    apiGroup: str("APIGroup is the group for the resource being referenced"),
    kind: str("Kind is the type of resource being referenced"),
    name: str("Name is the name of resource being referenced"),
  },
  { required: ["apiGroup", "kind", "name"], ...ATOMIC_MAP },
);

const subject = objectType(
  "Subject contains a reference to the object or user identities a role binding applies to.  This can either hold a direct API object reference, or a value for non-objects such as user and group names.",
  {
    apiGroup: optStr(
      'APIGroup holds the API group of the referenced subject. Defaults to "" for ServiceAccount subjects. Defaults to "rbac.authorization.k8s.io" for User and Group subjects.',
    ),
    kind: str(
      'Kind of object being referenced. Values defined by this API group are "User", "Group", and "ServiceAccount". If the Authorizer does not recognized the kind value, the Authorizer should report an error.',
    ),
    name: str("Name of the object being referenced."),
    namespace: optStr(
      'Namespace of the referenced object.  If the object kind is non-namespace, such as "User" or "Group", and this value is not empty the Authorizer should report an error.',
    ),
  },
  { required: ["kind", "name"], ...ATOMIC_MAP },
);

const aggregationRule = objectType(
  "AggregationRule describes how to locate ClusterRoles to aggregate into the ClusterRole",
  {
    clusterRoleSelectors: arrayOf(
      structItems(`${META}LabelSelector`),
      "ClusterRoleSelectors holds a list of selectors which will be used to find ClusterRoles and create the rules. If any of the selectors match, then the ClusterRole's permissions will be added",
      { "x-kubernetes-list-type": "atomic" },
    ),
  },
);

export const rbacSchemas: Record<string, Schema> = {
  [`${V1}AggregationRule`]: aggregationRule,
  [`${V1}ClusterRole`]: kindType(
    "ClusterRole is a cluster level, logical grouping of PolicyRules that can be referenced as a unit by a RoleBinding or ClusterRoleBinding.",
    {
      aggregationRule: optStruct(
        `${V1}AggregationRule`,
        "AggregationRule is an optional field that describes how to build the Rules for this ClusterRole. If AggregationRule is set, then the Rules are controller managed and direct changes to Rules will be stomped by the controller.",
      ),
      rules: rules("Rules holds all the PolicyRules for this ClusterRole"),
    },
  ),
  [`${V1}ClusterRoleBinding`]: kindType(
    "ClusterRoleBinding references a ClusterRole, but not contain it.  It can reference a ClusterRole in the global namespace, and adds who information via Subject.",
    { roleRef: struct(`${V1}RoleRef`, CLUSTER_ROLE_BINDING_ROLE_REF_DESCRIPTION), subjects: subjects() },
    { required: ["roleRef"] },
  ),
  [`${V1}ClusterRoleBindingList`]: listType(
    "ClusterRoleBindingList is a collection of ClusterRoleBindings",
    `${V1}ClusterRoleBinding`,
    "Items is a list of ClusterRoleBindings",
  ),
  [`${V1}ClusterRoleList`]: listType(
    "ClusterRoleList is a collection of ClusterRoles",
    `${V1}ClusterRole`,
    "Items is a list of ClusterRoles",
  ),
  [`${V1}PolicyRule`]: policyRule,
  [`${V1}Role`]: kindType(
    "Role is a namespaced, logical grouping of PolicyRules that can be referenced as a unit by a RoleBinding.",
    {
      rules: rules("Rules holds all the PolicyRules for this Role"),
    },
  ),
  [`${V1}RoleBinding`]: kindType(
    "RoleBinding references a role, but does not contain it.  It can reference a Role in the same namespace or a ClusterRole in the global namespace. It adds who information via Subjects and namespace information by which namespace it exists in.  RoleBindings in a given namespace only have effect in that namespace.",
    { roleRef: struct(`${V1}RoleRef`, ROLE_BINDING_ROLE_REF_DESCRIPTION), subjects: subjects() },
    { required: ["roleRef"] },
  ),
  [`${V1}RoleBindingList`]: listType(
    "RoleBindingList is a collection of RoleBindings",
    `${V1}RoleBinding`,
    "Items is a list of RoleBindings",
  ),
  [`${V1}RoleList`]: listType("RoleList is a collection of Roles", `${V1}Role`, "Items is a list of Roles"),
  [`${V1}RoleRef`]: roleRef,
  [`${V1}Subject`]: subject,
};
