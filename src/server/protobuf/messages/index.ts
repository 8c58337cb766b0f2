// The protobuf schema of every built-in kind kcp serves, by group, version and kind.
// DeleteOptions is registered in every group version (as kube's AddToGroupVersion does).

import type { MessageDesc } from "../schema.ts";
import { CustomResourceDefinition } from "./apiextensions-v1.ts";
import { APIService } from "./apiregistration-v1.ts";
import { SelfSubjectReview, TokenRequest, TokenReview } from "./authentication-v1.ts";
import {
  LocalSubjectAccessReview,
  SelfSubjectAccessReview,
  SelfSubjectRulesReview,
  SubjectAccessReview,
} from "./authorization-v1.ts";
import { CertificateSigningRequest } from "./certificates-v1.ts";
import { Lease } from "./coordination-v1.ts";
import {
  ConfigMap,
  Event as CoreEvent,
  LimitRange,
  Namespace,
  ResourceQuota,
  Secret,
  ServiceAccount,
} from "./core-v1.ts";
import { Event as EventsEvent } from "./events-v1.ts";
import { DeleteOptions } from "./meta-v1.ts";
import { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from "./rbac-v1.ts";

const KINDS: Record<string, Record<string, MessageDesc>> = {
  v1: { ConfigMap, Secret, Namespace, ServiceAccount, Event: CoreEvent, LimitRange, ResourceQuota },
  "coordination.k8s.io/v1": { Lease },
  "events.k8s.io/v1": { Event: EventsEvent },
  "rbac.authorization.k8s.io/v1": { Role, ClusterRole, RoleBinding, ClusterRoleBinding },
  "certificates.k8s.io/v1": { CertificateSigningRequest },
  "apiregistration.k8s.io/v1": { APIService },
  "apiextensions.k8s.io/v1": { CustomResourceDefinition },
  "authentication.k8s.io/v1": { TokenReview, TokenRequest, SelfSubjectReview },
  "authorization.k8s.io/v1": {
    SubjectAccessReview,
    LocalSubjectAccessReview,
    SelfSubjectAccessReview,
    SelfSubjectRulesReview,
  },
};

/** The message of a kind in a group version ("v1", "rbac.authorization.k8s.io/v1"), if kcp knows it. */
export function protobufMessageFor(apiVersion: string, kind: string): MessageDesc | undefined {
  if (kind === "DeleteOptions") return DeleteOptions;
  const kinds = Object.hasOwn(KINDS, apiVersion) ? KINDS[apiVersion] : undefined;
  return kinds && Object.hasOwn(kinds, kind) ? kinds[kind] : undefined;
}
