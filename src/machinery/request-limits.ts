// The request limits that follow the stored object size (`kcp start --max-object-size`): a body
// must be able to carry the largest object, and a patch must be able to build it. kube-apiserver
// sets its body limit (3 MiB) at twice etcd's request limit (1.5 MiB) because a JSON body is larger
// than the object it stores; kcp keeps that ratio when the object size is raised.

/** etcd's default request size limit: the stored object limit unless `--max-object-size` says otherwise. */
export const DEFAULT_MAX_OBJECT_BYTES = 1.5 * 1024 * 1024;

/** kube-apiserver's request body limit: never lowered, raised to twice a larger object size. */
export const MIN_MAX_BODY_BYTES = 3 * 1024 * 1024;

export interface RequestLimits {
  /** A request body, as sent (413 above it). */
  maxBodyBytes: number;
  /** A decoded YAML document or protobuf message, measured as JSON: twice the body limit. */
  maxDecodedBytes: number;
  /** What a JSON Patch's `copy` operations may add together: a larger result could not be stored. */
  maxCopyBytes: number;
}

/** The limits of requests to a server that stores objects of up to `maxObjectBytes`. */
export function requestLimitsFor(maxObjectBytes: number = DEFAULT_MAX_OBJECT_BYTES): RequestLimits {
  const maxBodyBytes = Math.max(MIN_MAX_BODY_BYTES, 2 * maxObjectBytes);
  return { maxBodyBytes, maxDecodedBytes: 2 * maxBodyBytes, maxCopyBytes: maxObjectBytes };
}
