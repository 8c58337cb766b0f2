// Boolean strings: Go's strconv.ParseBool, and the looser rule kube-apiserver applies to query
// parameters (runtime.Convert_Slice_string_To_bool).

import { errors } from "./status.ts";

const TRUE = new Set(["1", "t", "T", "TRUE", "true", "True"]);
const FALSE = new Set(["0", "f", "F", "FALSE", "false", "False"]);

/**
 * strconv.ParseBool. Undefined for a missing or empty value; a 400 StatusError for anything else
 * it does not know.
 */
export function parseBool(s: string | undefined | null): boolean | undefined {
  if (s === undefined || s === null || s === "") return undefined;
  if (TRUE.has(s)) return true;
  if (FALSE.has(s)) return false;
  throw errors.badRequest(`strconv.ParseBool: parsing ${JSON.stringify(s)}: invalid syntax`);
}

/**
 * A boolean query parameter as kube-apiserver decodes it: absent is false; "0" and "false" (any
 * case) are false; every other value, even "" or "f", is true. Never throws.
 */
export function queryBool(s: string | undefined | null): boolean {
  if (s === undefined || s === null) return false;
  return !(s === "0" || s.toLowerCase() === "false");
}
