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
 * etcd refused the request as too large (its --max-request-bytes, 1.5 MiB by default, or the gRPC
 * message limit): an answer, never applied, and no retry will change it.
 */
export function isTooLargeError(err: unknown): boolean {
  return err instanceof Error && /request is too large|larger than max/.test(err.message);
}

/** etcd is out of space (its NOSPACE alarm): writes are refused until an operator frees some. */
function isNoSpaceError(err: unknown): boolean {
  return err instanceof Error && err.message.includes("database space exceeded");
}

/**
 * A failure of the transport or of the cluster's availability (no leader, a deadline, a dropped
 * connection, an overloaded member), as opposed to an answer. Worth retrying; for a write, the
 * request may or may not have been applied.
 */
export function isTransientError(err: unknown): boolean {
  // RESOURCE_EXHAUSTED also carries these two refusals, which no retry changes.
  if (isTooLargeError(err) || isNoSpaceError(err)) return false;
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
  return /etcdserver: (request timed out|leader changed|no leader|too many requests|server stopped|not capable)/.test(
    err.message,
  );
}

/** The client was closed under the call. */
export function isClientClosedError(err: unknown): boolean {
  return err instanceof ClientClosedError;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
