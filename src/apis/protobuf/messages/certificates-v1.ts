// k8s.io/api/certificates/v1: CertificateSigningRequest (`kubectl certificate approve|deny` PUTs
// one to /approval).

import { bytes, int32, map, message, msg, msgs, string, strings } from "../schema.ts";
import { ExtraValue } from "./authentication-v1.ts";
import { ObjectMeta, Time } from "./meta-v1.ts";

const CertificateSigningRequestSpec = message("CertificateSigningRequestSpec", [
  bytes(1, "request", "always"),
  string(7, "signerName", "always"),
  int32(8, "expirationSeconds", "pointer"),
  strings(5, "usages"),
  string(2, "username"),
  string(3, "uid"),
  strings(4, "groups"),
  map(6, "extra", () => ExtraValue),
]);

const CertificateSigningRequestCondition = message("CertificateSigningRequestCondition", [
  string(1, "type", "always"),
  string(6, "status", "always"),
  string(2, "reason"),
  string(3, "message"),
  msg(4, "lastUpdateTime", () => Time),
  msg(5, "lastTransitionTime", () => Time),
]);

const CertificateSigningRequestStatus = message("CertificateSigningRequestStatus", [
  msgs(1, "conditions", () => CertificateSigningRequestCondition),
  bytes(2, "certificate"),
]);

export const CertificateSigningRequest = message("CertificateSigningRequest", [
  msg(1, "metadata", () => ObjectMeta),
  msg(2, "spec", () => CertificateSigningRequestSpec),
  msg(3, "status", () => CertificateSigningRequestStatus),
]);
