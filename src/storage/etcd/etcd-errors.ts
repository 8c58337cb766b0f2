// How the etcd backend reads the errors the etcd3 client throws.
//
// etcd3 turns gRPC failures into typed errors, but etcd's own answers (a compacted or future
// revision) arrive as generic OUT_OF_RANGE errors told apart only by their message. Errors are
// recognised by class and message, never by constructor name (minification renames classes).

import {
  ClientClosedError,
  GRPCAbortedError,
  GRPCCancelledError,
  GRPCDeadlineExceededError,
  GRPCInternalError,
  GRPCResourceExhastedError,
  GRPCUnavailableError,
  GRPCUnknownError,
} from "etcd3";

const COMPACTED = "required revision has been compacted";
const FUTURE = "required revision is a future revision";

/** etcd refused a revision older than its compaction. */
export function isCompactedError(err: unknown): boolean {
  return err instanceof Error && err.message.includes(COMPACTED);
}

/** etcd refused a revision it has not reached yet. */
export function isFutureRevisionError(err: unknown): boolean {
  return err instanceof Error && err.message.includes(FUTURE);
}

/**
 * A failure of the transport or of the cluster's availability (no leader, a deadline, a dropped
 * connection, an overloaded member), as opposed to an answer. Worth retrying; for a write, the
 * request may or may not have been applied.
 */
export function isTransientError(err: unknown): boolean {
  if (
    err instanceof GRPCDeadlineExceededError ||
    err instanceof GRPCUnavailableError ||
    err instanceof GRPCCancelledError ||
    err instanceof GRPCInternalError ||
    err instanceof GRPCUnknownError ||
    err instanceof GRPCAbortedError ||
    err instanceof GRPCResourceExhastedError
  ) {
    return true;
  }
  if (!(err instanceof Error)) return false;
  // etcd's own availability answers, whatever status code carries them.
  return /etcdserver: (request timed out|leader changed|no leader|too many requests|server stopped|not capable)/.test(err.message);
}

/** The client was closed under the call. */
export function isClientClosedError(err: unknown): boolean {
  return err instanceof ClientClosedError;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
