// The shapes of admission, kube-apiserver's admission.Interface: what a plugin sees of a write
// (the attributes), what a plugin is, and what the store calls. Types only, so that the store
// (here in apis/) can call admission without importing the chain or any plugin (src/admission/).

import type { KObject, RequestContext, ResourceDef, UserInfo } from "./types.ts";

/** The writes admission sees (kube's CONNECT has no counterpart here). */
export type AdmissionOperation = "CREATE" | "UPDATE" | "DELETE";

/** What a plugin is told about one write (kube's admission.Attributes). */
export interface AdmissionAttributes {
  readonly operation: AdmissionOperation;
  /** The resource written to. */
  readonly def: ResourceDef;
  /** The subresource of an update through one ("status", "finalize", "scale", …); undefined for the main resource. */
  readonly subresource: string | undefined;
  /** The object's name ("" for a create that asks for a generated name: it has none yet). */
  readonly name: string;
  /** The object's namespace; undefined for cluster-scoped kinds. */
  readonly namespace: string | undefined;
  /**
   * The object as it will be written: CREATE and UPDATE. Mutating plugins may change it in place
   * (its metadata too, in place: the store holds on to the same metadata object); validating
   * plugins must not. Undefined for DELETE.
   */
  readonly object: KObject | undefined;
  /** The object as stored before the write: UPDATE and DELETE; undefined for CREATE. */
  readonly oldObject: KObject | undefined;
  /** Who writes. */
  readonly user: UserInfo;
  /** A dry run still runs admission; plugins with side effects must not make them. */
  readonly dryRun: boolean;
  /** The whole request context (logical cluster, warnings, field manager). */
  readonly ctx: RequestContext;
}

/**
 * One admission plugin (kube's admission.Interface with MutationInterface and/or
 * ValidationInterface). A plugin fails a write by throwing (a StatusError is answered as it is).
 * Either step may return a promise; a plugin that answers synchronously costs no await.
 */
export interface AdmissionPlugin {
  /** For logs and errors, e.g. "NamespaceLifecycle". */
  readonly name: string;
  /** Whether the plugin wants writes of this operation at all (asked once, when the chain is built). */
  handles(operation: AdmissionOperation): boolean;
  /** The mutating step: may change `attributes.object`. */
  admit?(attributes: AdmissionAttributes): void | Promise<void>;
  /** The validating step: may only accept or refuse. */
  validate?(attributes: AdmissionAttributes): void | Promise<void>;
}

/**
 * What the store calls (src/admission/chain.ts builds it from plugins). `mutates`/`validates` say,
 * without building anything, whether a step has any plugin for an operation, so that a write no
 * plugin wants costs neither an attributes object nor an await. `admit`/`validate` return
 * undefined when every plugin answered synchronously.
 */
export interface Admission {
  mutates(operation: AdmissionOperation): boolean;
  validates(operation: AdmissionOperation): boolean;
  admit(attributes: AdmissionAttributes): void | Promise<void>;
  validate(attributes: AdmissionAttributes): void | Promise<void>;
}
