// authentication.k8s.io/v1: TokenReview, SelfSubjectReview, and TokenRequest (the body of the
// serviceaccounts/token subresource).

import {
  bool,
  int64,
  kindType,
  mapOf,
  objectType,
  optStr,
  optStruct,
  type Schema,
  str,
  strings,
  struct,
  time,
} from "../../schema-builders.ts";

const V1 = "io.k8s.api.authentication.v1.";

const userInfo = objectType(
  "UserInfo holds the information about the user needed to implement the user.Info interface.",
  {
    extra: mapOf(
      { type: "array", items: { type: "string", default: "" } },
      "Any additional information provided by the authenticator.",
    ),
    groups: strings("The names of groups this user is a part of."),
    uid: optStr(
      "A unique value that identifies this user across time. If this user is deleted and another user by the same name is added, they will have different UIDs.",
    ),
    username: optStr("The name that uniquely identifies this user among all active users."),
  },
);

export const authenticationSchemas: Record<string, Schema> = {
  [`${V1}BoundObjectReference`]: objectType(
    "BoundObjectReference is a reference to an object that a token is bound to.",
    {
      apiVersion: optStr("API version of the referent."),
      kind: optStr("Kind of the referent. Valid kinds are 'Pod' and 'Secret'."),
      name: optStr("Name of the referent."),
      uid: optStr("UID of the referent."),
    },
  ),
  [`${V1}SelfSubjectReview`]: kindType(
    "SelfSubjectReview contains the user information that the kube-apiserver has about the user making this request. When using impersonation, users will receive the user info of the user being impersonated.  If impersonation or request header authentication is used, any extra keys will have their case ignored and returned as lowercase.",
    { status: struct(`${V1}SelfSubjectReviewStatus`, "Status is filled in by the server with the user attributes.") },
  ),
  [`${V1}SelfSubjectReviewStatus`]: objectType(
    "SelfSubjectReviewStatus is filled by the kube-apiserver and sent back to a user.",
    {
      userInfo: struct(`${V1}UserInfo`, "User attributes of the user making this request."),
    },
  ),
  [`${V1}TokenRequest`]: kindType(
    "TokenRequest requests a token for a given service account.",
    {
      spec: struct(`${V1}TokenRequestSpec`, "Spec holds information about the request being evaluated"),
      status: struct(
        `${V1}TokenRequestStatus`,
        "Status is filled in by the server and indicates whether the token can be authenticated.",
      ),
    },
    { required: ["spec"] },
  ),
  [`${V1}TokenRequestSpec`]: objectType(
    "TokenRequestSpec contains client provided parameters of a token request.",
    {
      audiences: strings(
        "Audiences are the intendend audiences of the token. A recipient of a token must identify themself with an identifier in the list of audiences of the token, and otherwise should reject the token. A token issued for multiple audiences may be used to authenticate against any of the audiences listed but implies a high degree of trust between the target audiences.",
      ),
      boundObjectRef: optStruct(
        `${V1}BoundObjectReference`,
        "BoundObjectRef is a reference to an object that the token will be bound to. The token will only be valid for as long as the bound object exists. NOTE: The API server's TokenReview endpoint will validate the BoundObjectRef, but other audiences may not. Keep ExpirationSeconds small if you want prompt revocation.",
      ),
      expirationSeconds: int64(
        "ExpirationSeconds is the requested duration of validity of the request. The token issuer may return a token with a different validity duration so a client needs to check the 'expiration' field in a response.",
      ),
    },
    { required: ["audiences"] },
  ),
  [`${V1}TokenRequestStatus`]: objectType(
    "TokenRequestStatus is the result of a token request.",
    {
      expirationTimestamp: {
        ...time("ExpirationTimestamp is the time of expiration of the returned token."),
        default: {},
      },
      token: str("Token is the opaque bearer token."),
    },
    { required: ["token", "expirationTimestamp"] },
  ),
  [`${V1}TokenReview`]: kindType(
    "TokenReview attempts to authenticate a token to a known user. Note: TokenReview requests may be cached by the webhook token authenticator plugin in the kube-apiserver.",
    {
      spec: struct(`${V1}TokenReviewSpec`, "Spec holds information about the request being evaluated"),
      status: struct(
        `${V1}TokenReviewStatus`,
        "Status is filled in by the server and indicates whether the request can be authenticated.",
      ),
    },
    { required: ["spec"] },
  ),
  [`${V1}TokenReviewSpec`]: objectType("TokenReviewSpec is a description of the token authentication request.", {
    audiences: strings(
      "Audiences is a list of the identifiers that the resource server presented with the token identifies as. Audience-aware token authenticators will verify that the token was intended for at least one of the audiences in this list. If no audiences are provided, the audience will default to the audience of the Kubernetes apiserver.",
    ),
    token: optStr("Token is the opaque bearer token."),
  }),
  [`${V1}TokenReviewStatus`]: objectType("TokenReviewStatus is the result of the token authentication request.", {
    audiences: strings(
      'Audiences are audience identifiers chosen by the authenticator that are compatible with both the TokenReview and token. An identifier is any identifier in the intersection of the TokenReviewSpec audiences and the token\'s audiences. A client of the TokenReview API that sets the spec.audiences field should validate that a compatible audience identifier is returned in the status.audiences field to ensure that the TokenReview server is audience aware. If a TokenReview returns an empty status.audience field where status.authenticated is "true", the token is valid against the audience of the Kubernetes API server.',
    ),
    authenticated: bool("Authenticated indicates that the token was associated with a known user."),
    error: optStr("Error indicates that the token couldn't be checked"),
    user: struct(`${V1}UserInfo`, "User is the UserInfo associated with the provided token."),
  }),
  [`${V1}UserInfo`]: userInfo,
};
