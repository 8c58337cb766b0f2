// The protobuf schema of every built-in kind kcp serves, by group, version and kind, and of the
// Kubernetes workload kinds kcp serves through CRDs (deployments.apps, pods, services, ...), whose
// typed clients (kubectl ≥ 1.32, client-go ≥ 0.32) send protobuf bodies all the same.
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
import { DaemonSet, Deployment, ReplicaSet, StatefulSet } from "./apps-v1.ts";
import { HorizontalPodAutoscalerV1, HorizontalPodAutoscalerV2, Scale } from "./autoscaling.ts";
import { CronJob, Job } from "./batch-v1.ts";
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
import { Pod } from "./core-v1-pod.ts";
import { Service } from "./core-v1-service.ts";
import { Event as EventsEvent } from "./events-v1.ts";
import { Ingress } from "./networking-v1.ts";
import { PodDisruptionBudget } from "./policy-v1.ts";
import { PriorityClass } from "./scheduling-v1.ts";
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

/**
 * Kinds a custom resource's body may be in protobuf: Kubernetes kinds kcp has no built-in for,
 * served when a CRD defines them, and Scale, the body of every CR's scale subresource.
 */
const CUSTOM_RESOURCE_KINDS: Record<string, Record<string, MessageDesc>> = {
  v1: { Pod, Service },
  "apps/v1": { Deployment, ReplicaSet, StatefulSet, DaemonSet },
  "batch/v1": { Job, CronJob },
  "policy/v1": { PodDisruptionBudget },
  "networking.k8s.io/v1": { Ingress },
  "scheduling.k8s.io/v1": { PriorityClass },
  "autoscaling/v1": { HorizontalPodAutoscaler: HorizontalPodAutoscalerV1, Scale },
  "autoscaling/v2": { HorizontalPodAutoscaler: HorizontalPodAutoscalerV2 },
};

function lookup(table: Record<string, Record<string, MessageDesc>>, apiVersion: string, kind: string) {
  const kinds = Object.hasOwn(table, apiVersion) ? table[apiVersion] : undefined;
  return kinds && Object.hasOwn(kinds, kind) ? kinds[kind] : undefined;
}

/** The message of a kind in a group version ("v1", "rbac.authorization.k8s.io/v1"), if kcp knows it. */
export function protobufMessageFor(apiVersion: string, kind: string): MessageDesc | undefined {
  if (kind === "DeleteOptions") return DeleteOptions;
  return lookup(KINDS, apiVersion, kind) ?? lookup(CUSTOM_RESOURCE_KINDS, apiVersion, kind);
}

/** Whether kcp has a built-in for this kind whose protobuf it decodes (DeleteOptions included). */
export function isBuiltinProtobufKind(apiVersion: string, kind: string): boolean {
  return kind === "DeleteOptions" || lookup(KINDS, apiVersion, kind) !== undefined;
}

/** Whether a custom resource's body of this kind may come in protobuf (see CUSTOM_RESOURCE_KINDS). */
export function isCustomResourceProtobufKind(apiVersion: string, kind: string): boolean {
  return lookup(CUSTOM_RESOURCE_KINDS, apiVersion, kind) !== undefined;
}
