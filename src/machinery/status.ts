// Kubernetes `Status` errors. Throw a StatusError anywhere on a request's path; the server renders it once.

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, unknown>;
  status: "Failure" | "Success";
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** The identity of a resource in messages: `configmaps`, or `widgets.example.com` for a named group. */
export interface ResourceRef {
  group: string;
  resource: string;
}

export function qualifiedResource(ref: ResourceRef): string {
  return ref.group ? `${ref.resource}.${ref.group}` : ref.resource;
}

export class StatusError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly details?: StatusDetails;
  /** Extra response headers (e.g. Retry-After). */
  readonly headers?: Record<string, string>;

  constructor(
    code: number,
    reason: string,
    message: string,
    details?: StatusDetails,
    headers?: Record<string, string>,
  ) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.details = details;
    this.headers = headers;
  }

  toStatus(): Status {
    const s: Status = {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) s.details = this.details;
    return s;
  }
}

export function isStatusError(e: unknown): e is StatusError {
  return e instanceof StatusError;
}

function details(ref: ResourceRef, name: string | undefined): StatusDetails {
  const d: StatusDetails = {};
  if (name !== undefined) d.name = name;
  if (ref.group) d.group = ref.group;
  d.kind = ref.resource;
  return d;
}

export const errors = {
  notFound(ref: ResourceRef, name: string): StatusError {
    return new StatusError(404, "NotFound", `${qualifiedResource(ref)} "${name}" not found`, details(ref, name));
  },
  /** An unknown path or resource type. */
  pathNotFound(): StatusError {
    return new StatusError(404, "NotFound", "the server could not find the requested resource", {});
  },
  alreadyExists(ref: ResourceRef, name: string): StatusError {
    return new StatusError(
      409,
      "AlreadyExists",
      `${qualifiedResource(ref)} "${name}" already exists`,
      details(ref, name),
    );
  },
  conflict(
    ref: ResourceRef,
    name: string,
    why = "the object has been modified; please apply your changes to the latest version and try again",
  ): StatusError {
    return new StatusError(
      409,
      "Conflict",
      `Operation cannot be fulfilled on ${qualifiedResource(ref)} "${name}": ${why}`,
      details(ref, name),
    );
  },
  /** 422 with one cause per field error. `kind` is the object's Kind (e.g. "ConfigMap"). */
  invalid(kind: string, group: string, name: string, causes: FieldError[]): StatusError {
    const msgs = causes.map(fieldErrorText);
    const summary = msgs.length === 1 ? msgs[0] : `[${msgs.join(", ")}]`;
    const d: StatusDetails = {
      name,
      kind,
      causes: causes.map((c) => ({ reason: c.type, message: fieldErrorMessage(c), field: c.field })),
    };
    if (group) d.group = group;
    return new StatusError(422, "Invalid", `${kind}${group ? `.${group}` : ""} "${name}" is invalid: ${summary}`, d);
  },
  badRequest(message: string, causes?: StatusCause[]): StatusError {
    return new StatusError(400, "BadRequest", message, causes ? { causes } : undefined);
  },
  methodNotAllowed(): StatusError {
    return new StatusError(
      405,
      "MethodNotAllowed",
      "the server does not allow this method on the requested resource",
      {},
    );
  },
  notAcceptable(accepted: string[]): StatusError {
    return new StatusError(406, "NotAcceptable", `only the following media types are accepted: ${accepted.join(", ")}`);
  },
  unsupportedMediaType(_contentType: string, accepted: string[]): StatusError {
    return new StatusError(
      415,
      "UnsupportedMediaType",
      `the body of the request was in an unknown format - accepted media types include: ${accepted.join(", ")}`,
      {},
    );
  },
  requestEntityTooLarge(limit: number): StatusError {
    return new StatusError(413, "RequestEntityTooLarge", `Request entity too large: limit is ${limit}`);
  },
  gone(message: string): StatusError {
    return new StatusError(410, "Expired", message);
  },
  unauthorized(): StatusError {
    return new StatusError(401, "Unauthorized", "Unauthorized");
  },
  forbidden(message: string, ref?: ResourceRef, name?: string, causes?: StatusCause[]): StatusError {
    const d: StatusDetails | undefined = ref ? details(ref, name) : undefined;
    if (d && causes) d.causes = causes;
    return new StatusError(403, "Forbidden", message, d);
  },
  internal(message: string): StatusError {
    return new StatusError(500, "InternalError", `Internal error occurred: ${message}`, { causes: [{ message }] });
  },
  serviceUnavailable(message: string): StatusError {
    return new StatusError(503, "ServiceUnavailable", message);
  },
  timeout(message: string): StatusError {
    return new StatusError(504, "Timeout", message);
  },
  tooManyRequests(message: string, retryAfterSeconds: number): StatusError {
    return new StatusError(
      429,
      "TooManyRequests",
      message,
      { retryAfterSeconds },
      { "Retry-After": String(retryAfterSeconds) },
    );
  },
};

// ---- field errors, worded as k8s.io/apimachinery/pkg/util/validation/field does ----

export type FieldErrorType =
  | "FieldValueRequired"
  | "FieldValueInvalid"
  | "FieldValueNotSupported"
  | "FieldValueForbidden"
  | "FieldValueTooLong"
  | "FieldValueTooMany"
  | "FieldValueDuplicate"
  | "FieldValueTypeInvalid";

export interface FieldError {
  type: FieldErrorType;
  field: string;
  /** The offending value, rendered in messages as Go's %#v would for strings and numbers. */
  value?: unknown;
  detail?: string;
  /** For FieldValueNotSupported: the allowed values. */
  supported?: string[];
  /** When true, the value is omitted from the message (e.g. secrets). */
  omitValue?: boolean;
  /** The value as Go's %#v prints a struct or slice (`rbac.RoleRef{Kind:"Role"}`), shown verbatim instead of `value`. */
  goValue?: string;
}

function renderValue(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (v === null || v === undefined) return "null";
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return JSON.stringify(v);
}

/** The message of one cause, without the field path (as kube-apiserver puts in details.causes[].message). */
export function fieldErrorMessage(e: FieldError): string {
  switch (e.type) {
    case "FieldValueRequired":
      return `Required value${e.detail ? `: ${e.detail}` : ""}`;
    case "FieldValueForbidden":
      return `Forbidden${e.detail ? `: ${e.detail}` : ""}`;
    case "FieldValueTooLong":
      return `Too long: ${e.detail ?? "value is too long"}`;
    case "FieldValueTooMany":
      return `Too many: ${e.detail ?? "too many items"}`;
    case "FieldValueDuplicate":
      return `Duplicate value: ${e.goValue ?? renderValue(e.value)}`;
    case "FieldValueNotSupported": {
      const sup = e.supported?.length
        ? `: supported values: ${e.supported.map((s) => JSON.stringify(s)).join(", ")}`
        : "";
      return `Unsupported value: ${e.goValue ?? renderValue(e.value)}${sup}`;
    }
    case "FieldValueTypeInvalid":
      return `Invalid value: ${e.goValue ?? renderValue(e.value)}${e.detail ? `: ${e.detail}` : ""}`;
    default:
      if (e.omitValue) return `Invalid value: ${e.detail ?? ""}`.trimEnd();
      return `Invalid value: ${e.goValue ?? renderValue(e.value)}${e.detail ? `: ${e.detail}` : ""}`;
  }
}

/** The full text of one field error: `metadata.name: Invalid value: "x": detail`. */
export function fieldErrorText(e: FieldError): string {
  return `${e.field}: ${fieldErrorMessage(e)}`;
}

export const field = {
  required(path: string, detail = ""): FieldError {
    return { type: "FieldValueRequired", field: path, detail };
  },
  invalid(path: string, value: unknown, detail: string): FieldError {
    return { type: "FieldValueInvalid", field: path, value, detail };
  },
  notSupported(path: string, value: unknown, supported: string[]): FieldError {
    return { type: "FieldValueNotSupported", field: path, value, supported };
  },
  forbidden(path: string, detail: string): FieldError {
    return { type: "FieldValueForbidden", field: path, detail };
  },
  tooLong(path: string, value: unknown, max: number): FieldError {
    return { type: "FieldValueTooLong", field: path, value, detail: `may not be more than ${max} bytes` };
  },
  duplicate(path: string, value: unknown): FieldError {
    return { type: "FieldValueDuplicate", field: path, value };
  },
  typeInvalid(path: string, value: unknown, detail: string): FieldError {
    return { type: "FieldValueTypeInvalid", field: path, value, detail };
  },
};
