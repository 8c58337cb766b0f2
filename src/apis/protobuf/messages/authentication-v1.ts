// k8s.io/api/authentication/v1: TokenReview, TokenRequest (the serviceaccounts/token
// subresource) and SelfSubjectReview (`kubectl auth whoami`).

import { bool, int64, map, message, msg, string, strings } from "../schema.ts";
import { ObjectMeta, Time } from "./meta-v1.ts";

const meta = msg(1, "metadata", () => ObjectMeta);

/** message ExtraValue { repeated string items = 1; } — a []string in Go, so a JSON array (null when nil). */
export const ExtraValue = message("ExtraValue", [strings(1, "items")], (p) =>
  Array.isArray(p.items) ? p.items : null,
);

export const UserInfo = message("UserInfo", [
  string(1, "username"),
  string(2, "uid"),
  strings(3, "groups"),
  map(4, "extra", () => ExtraValue),
]);

const TokenReviewSpec = message("TokenReviewSpec", [string(1, "token"), strings(2, "audiences")]);

const TokenReviewStatus = message("TokenReviewStatus", [
  bool(1, "authenticated"),
  msg(2, "user", () => UserInfo),
  strings(4, "audiences"),
  string(3, "error"),
]);

export const TokenReview = message("TokenReview", [
  meta,
  msg(2, "spec", () => TokenReviewSpec),
  msg(3, "status", () => TokenReviewStatus),
]);

const BoundObjectReference = message("BoundObjectReference", [
  string(1, "kind"),
  string(2, "apiVersion"),
  string(3, "name"),
  string(4, "uid"),
]);

const TokenRequestSpec = message("TokenRequestSpec", [
  strings(1, "audiences", "always"),
  int64(4, "expirationSeconds", "pointer"),
  msg(3, "boundObjectRef", () => BoundObjectReference, "nullable"),
]);

const TokenRequestStatus = message("TokenRequestStatus", [
  string(1, "token", "always"),
  msg(2, "expirationTimestamp", () => Time),
]);

export const TokenRequest = message("TokenRequest", [
  meta,
  msg(2, "spec", () => TokenRequestSpec),
  msg(3, "status", () => TokenRequestStatus),
]);

const SelfSubjectReviewStatus = message("SelfSubjectReviewStatus", [msg(1, "userInfo", () => UserInfo)]);

export const SelfSubjectReview = message("SelfSubjectReview", [meta, msg(2, "status", () => SelfSubjectReviewStatus)]);
