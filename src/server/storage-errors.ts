// Storage failures as API errors. While the backend is unreachable (etcd without quorum, a member
// restarting, the store closing) requests fail fast with a Status instead of hanging:
//
//   - a write whose outcome is unknown (it may have applied) → 504 Timeout, as kube-apiserver
//     answers a request that ran past its deadline;
//   - any other unavailability → 503 ServiceUnavailable with `Retry-After: 1`;
//   - a timeout from elsewhere on the request's path (an AbortSignal deadline) → 504 Timeout;
//   - a write the store refuses as too large (etcd's request size limit) → 413 RequestEntityTooLarge.

import { StorageUnavailableError, ValueTooLargeError, WriteOutcomeUnknownError } from "../storage/interface.ts";
import { errors, StatusError } from "../machinery/status.ts";

const RETRY_AFTER_SECONDS = 1;

/** The Status for a storage or deadline failure, or null when `err` is neither. */
export function storageStatusError(err: unknown): StatusError | null {
  if (err instanceof WriteOutcomeUnknownError) {
    return errors.timeout(
      `Timeout: request did not complete within the allotted time; the write may or may not have been applied (${err.message})`,
    );
  }
  if (err instanceof StorageUnavailableError) {
    return new StatusError(
      503,
      "ServiceUnavailable",
      `storage is unavailable: ${err.message}`,
      { retryAfterSeconds: RETRY_AFTER_SECONDS },
      { "Retry-After": String(RETRY_AFTER_SECONDS) },
    );
  }
  if (err instanceof ValueTooLargeError) {
    return new StatusError(
      413,
      "RequestEntityTooLarge",
      `Request entity too large: the storage refused the object (${err.message})`,
    );
  }
  if (err instanceof Error && err.name === "TimeoutError") {
    return errors.timeout(`Timeout: request did not complete within the allotted time (${err.message})`);
  }
  return null;
}
