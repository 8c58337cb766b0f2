// kube's audit.k8s.io/v1 Event at the Metadata level: who (user, and whom they impersonated), what
// (verb, URI, object reference), where from, the authorization decision, the response code and
// when — never request or response bodies. kcp adds the logical cluster as the annotation
// `kcp.io/cluster`.

import type { UserInfo } from "../../auth/types.ts";
import type { RequestInfo } from "../request-info.ts";

export const CLUSTER_ANNOTATION = "kcp.io/cluster";

export interface AuditFacts {
  auditID: string;
  /** ResponseComplete; ResponseStarted for a watch, logged when its stream begins. */
  stage: "ResponseComplete" | "ResponseStarted";
  requestURI: string;
  method: string;
  info: RequestInfo | undefined;
  /** The authenticated user; undefined when authentication failed. */
  user: UserInfo | undefined;
  impersonatedUser: UserInfo | undefined;
  sourceIP: string | undefined;
  userAgent: string | null;
  code: number;
  decision: { allowed: boolean; reason: string } | undefined;
  received: Date;
  completed: Date;
}

/** RFC 3339 with microseconds, as kube's MicroTime. */
function microTime(d: Date): string {
  return d.toISOString().replace(/Z$/, "000Z");
}

function userJSON(u: UserInfo): Record<string, unknown> {
  return {
    username: u.username,
    ...(u.uid ? { uid: u.uid } : {}),
    ...(u.groups.length ? { groups: u.groups } : {}),
    ...(u.extra && Object.keys(u.extra).length ? { extra: u.extra } : {}),
  };
}

export function auditEvent(f: AuditFacts): Record<string, unknown> {
  const info = f.info;
  const annotations: Record<string, string> = {};
  if (f.decision) {
    annotations["authorization.k8s.io/decision"] = f.decision.allowed ? "allow" : "forbid";
    annotations["authorization.k8s.io/reason"] = f.decision.reason;
  }
  if (info) annotations[CLUSTER_ANNOTATION] = info.cluster;
  let objectRef: Record<string, string> | undefined;
  if (info?.kind === "resource") {
    objectRef = { resource: info.resource };
    if (info.namespace) objectRef.namespace = info.namespace;
    if (info.name) objectRef.name = info.name;
    if (info.group) objectRef.apiGroup = info.group;
    objectRef.apiVersion = info.version;
    if (info.subresource) objectRef.subresource = info.subresource;
  }
  return {
    kind: "Event",
    apiVersion: "audit.k8s.io/v1",
    level: "Metadata",
    auditID: f.auditID,
    stage: f.stage,
    requestURI: f.requestURI,
    // kube's verb: the request info's for API requests, the lower-case method for others.
    verb: info?.verb ?? f.method.toLowerCase(),
    user: f.user ? userJSON(f.user) : {},
    ...(f.impersonatedUser ? { impersonatedUser: userJSON(f.impersonatedUser) } : {}),
    ...(f.sourceIP ? { sourceIPs: [f.sourceIP] } : {}),
    ...(f.userAgent ? { userAgent: f.userAgent } : {}),
    ...(objectRef ? { objectRef } : {}),
    responseStatus: { metadata: {}, code: f.code },
    requestReceivedTimestamp: microTime(f.received),
    stageTimestamp: microTime(f.completed),
    annotations,
  };
}
